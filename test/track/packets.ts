/**
 * Builds DecodedPacket/CaptureRecord pairs directly (no bytes) for tracker tests, and runs a
 * list of them through a Tracker.
 */
import { CaptureRecord } from '../../src/capture/record.js';
import {
  DecodedPacket,
  LAYER_TCP,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from '../../src/decode/packet.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { Tracker, type TrackerOptions } from '../../src/track/tracker.js';

/** One test packet: flags as letters (S A F R P U), times in seconds. */
export interface TestPacket {
  ts: number;
  src?: string;
  sport?: number;
  dst?: string;
  dport?: number;
  flags: string;
  seq?: number;
  ack?: number;
  len?: number;
  captured?: number;
  win?: number;
  ttl?: number;
  ipId?: number;
  wscale?: number;
  payload?: string;
}

/** Client and server used by default: 10.0.0.1:40000 -> 10.0.0.2:80. */
export const C = { addr: '10.0.0.1', port: 40000 };
export const S = { addr: '10.0.0.2', port: 80 };

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

function ip6(s: string): number[] {
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  const w: number[] = [];
  for (let i = 0; i < 8; i += 2) w.push((((groups[i] ?? 0) << 16) | (groups[i + 1] ?? 0)) >>> 0);
  return w;
}

function flagBits(f: string): number {
  let b = 0;
  for (const ch of f) {
    if (ch === 'S') b |= TCP_SYN;
    else if (ch === 'A') b |= TCP_ACK;
    else if (ch === 'F') b |= TCP_FIN;
    else if (ch === 'R') b |= TCP_RST;
    else if (ch === 'P') b |= TCP_PSH;
    else if (ch === 'U') b |= TCP_URG;
  }
  return b;
}

let frameNo = 0;

/** Fills the reused record/packet pair for one test packet. */
export function fill(rec: CaptureRecord, pkt: DecodedPacket, p: TestPacket): void {
  pkt.reset(1);
  frameNo++;
  rec.frame = frameNo;
  rec.ts = p.ts;
  const len = p.len ?? (p.payload ? p.payload.length : 0);
  const bytes = new Uint8Array(54 + len);
  if (p.payload) for (let i = 0; i < p.payload.length; i++) bytes[54 + i] = p.payload.charCodeAt(i);
  rec.data = bytes;
  rec.start = 0;
  rec.caplen = bytes.length;
  rec.origLen = bytes.length;
  pkt.layer = LAYER_TCP;
  const src = p.src ?? C.addr;
  const dst = p.dst ?? S.addr;
  pkt.ipVersion = src.includes(':') ? 6 : 4;
  pkt.ipOffset = 14;
  if (pkt.ipVersion === 6) {
    pkt.src6.set(ip6(src));
    pkt.dst6.set(ip6(dst));
  } else {
    pkt.src4 = ip4(src);
    pkt.dst4 = ip4(dst);
  }
  pkt.ttl = p.ttl ?? 64;
  pkt.ipId = pkt.ipVersion === 6 ? -1 : (p.ipId ?? 0);
  pkt.df = true;
  pkt.ipTotalLength = 40 + len;
  pkt.protocol = 6;
  pkt.l4Offset = 34;
  pkt.l4End = 54 + len;
  pkt.isTcp = true;
  pkt.sport = p.sport ?? C.port;
  pkt.dport = p.dport ?? S.port;
  pkt.seq = (p.seq ?? 0) >>> 0;
  pkt.ack = (p.ack ?? 0) >>> 0;
  pkt.flags = flagBits(p.flags);
  pkt.win = p.win ?? 65535;
  pkt.tcpHeaderLength = 20;
  pkt.payloadOffset = 54;
  pkt.payloadLength = len;
  pkt.payloadCaptured = p.captured ?? len;
  if (p.wscale !== undefined) pkt.optWscale = p.wscale;
}

/** Client → server packet. */
export function c2s(p: Omit<TestPacket, 'src' | 'sport' | 'dst' | 'dport'>): TestPacket {
  return { ...p, src: C.addr, sport: C.port, dst: S.addr, dport: S.port };
}
/** Server → client packet. */
export function s2c(p: Omit<TestPacket, 'src' | 'sport' | 'dst' | 'dport'>): TestPacket {
  return { ...p, src: S.addr, sport: S.port, dst: C.addr, dport: C.port };
}

/** Runs packets through a new Tracker and returns the finished connections in sink order. */
export function run(packets: TestPacket[], options: Partial<TrackerOptions> = {}): FinishedConnection[] {
  const out: FinishedConnection[] = [];
  const t = new Tracker({ captureIndex: 0, ...options }, { onConnectionDone: (c) => out.push(c) });
  const rec = new CaptureRecord();
  const pkt = new DecodedPacket();
  for (const p of packets) {
    fill(rec, pkt, p);
    t.trackPacket(rec, pkt);
  }
  t.finish();
  return out;
}

/** conn_state and history of each connection, for compact assertions. */
export function summary(conns: FinishedConnection[]): string[] {
  return conns.map((c) => `${c.connState} ${c.history}`);
}
