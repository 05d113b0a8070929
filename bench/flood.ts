/**
 * A connection flood for the memory benchmark: N distinct connections (default 5,000,000), each a
 * SYN answered by a RST/ACK (a SYN flood or a wide scan against closed ports), spread over
 * realistic capture time (default 8,000 new connections per second). Every 4-tuple is distinct:
 * the client address and port vary. Memory here is one write chunk; frames are patched from two
 * templates made by the builders of testkit/frames.ts, checksums recomputed per packet.
 *
 * Usage: node dist/bench/flood.js [--conns N] [--rate conns/s] [--out FILE]
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PcapStreamWriter } from '../testkit/captureWriter.js';
import { ACK, RST, SYN, internetChecksum, tcp4Frame, tcpChecksum } from '../testkit/frames.js';
import { Rng, argValue, checkGenArgs, exitUnlessRun } from './gen.js';

/** What `generateFlood` wrote. */
export interface FloodStats {
  readonly path: string;
  readonly bytes: number;
  readonly packets: number;
  readonly connections: number;
  readonly resets: number;
  readonly firstTs: number;
  readonly lastTs: number;
}

/** Options of `generateFlood`. */
export interface FloodOptions {
  /** Distinct connections. Default 5,000,000. */
  readonly conns?: number;
  /** New connections per second of capture time. Default DEFAULT_FLOOD_RATE (8000). */
  readonly rate?: number;
  readonly seed?: number;
  readonly startTs?: number;
}

// Offsets inside an untagged Ethernet + 20-byte IPv4 + TCP frame.
const IP = 14;
const TCP = 34;
const PORTS_PER_CLIENT = 50_000;
/** `generateFlood`'s rate when none is given (the bench's bar uses a scanner's rate instead: run.ts). */
export const DEFAULT_FLOOD_RATE = 8000;

/** Writes the flood capture to `path` (via a temporary file, renamed at the end). */
export function generateFlood(path: string, opts: FloodOptions = {}): FloodStats {
  const n = opts.conns ?? 5_000_000;
  const rate = opts.rate ?? DEFAULT_FLOOD_RATE;
  const rng = new Rng(opts.seed ?? 7);
  const start = opts.startTs ?? 1_709_283_600;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const w = PcapStreamWriter.create(tmp, { linkType: 1, snaplen: 262144 });

  const server = Uint8Array.of(198, 51, 100, 10);
  const syn = tcp4Frame({
    src: '10.0.0.1',
    dst: server,
    sport: 1,
    dport: 443,
    seq: 0,
    ack: 0,
    flags: SYN,
    win: 64240,
    ttl: 52,
    options: [{ kind: 'mss', value: 1460 }, { kind: 'sackPermitted' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
  });
  const rst = tcp4Frame({ src: server, dst: '10.0.0.1', sport: 443, dport: 1, seq: 0, ack: 0, flags: RST | ACK, win: 0, ttl: 64, padTo: 60 });
  const synLen = syn.length;
  const rstIpEnd = TCP + 20; // the RST's IP datagram ends here; the rest is Ethernet padding
  const client = new Uint8Array(4);
  // Pending RST answers: (time, client index, port, ack). RTTs are close, so a FIFO is time-ordered once clamped.
  const qT: number[] = [];
  const qI: number[] = [];
  const qAck: number[] = [];
  let qHead = 0;
  let lastTs = start;
  let resets = 0;

  const setClient = (i: number): number => {
    const c = Math.floor(i / PORTS_PER_CLIENT) + 1; // 10.0.0.1, 10.0.0.2, … (a 24-bit host number)
    client[0] = 10;
    client[1] = (c >>> 16) & 0xff;
    client[2] = (c >>> 8) & 0xff;
    client[3] = c & 0xff;
    return 10000 + (i % PORTS_PER_CLIENT);
  };
  const put16 = (b: Uint8Array, o: number, v: number): void => {
    b[o] = (v >>> 8) & 0xff;
    b[o + 1] = v & 0xff;
  };
  const put32 = (b: Uint8Array, o: number, v: number): void => {
    put16(b, o, v >>> 16);
    put16(b, o + 2, v & 0xffff);
  };
  const fixChecksums = (f: Uint8Array, ipEnd: number, src: Uint8Array, dst: Uint8Array): void => {
    put16(f, IP + 10, 0);
    put16(f, IP + 10, internetChecksum(f, IP, TCP));
    put16(f, TCP + 16, tcpChecksum(f.subarray(TCP, ipEnd), src, dst));
  };
  const flushRsts = (until: number): void => {
    while (qHead < qT.length && qT[qHead]! <= until) {
      const t = qT[qHead]!;
      const port = setClient(qI[qHead]!);
      rst.set(client, IP + 16);
      put16(rst, TCP + 2, port);
      put32(rst, TCP + 8, qAck[qHead]!);
      put16(rst, IP + 4, rng.int(0, 65535));
      fixChecksums(rst, rstIpEnd, server, client);
      lastTs = Math.max(lastTs, t);
      w.write({ ts: lastTs, data: rst });
      resets++;
      qHead++;
    }
    if (qHead > 65536) {
      qT.splice(0, qHead);
      qI.splice(0, qHead);
      qAck.splice(0, qHead);
      qHead = 0;
    }
  };

  let t = start;
  for (let i = 0; i < n; i++) {
    t += rng.exp(1 / rate);
    flushRsts(t);
    const port = setClient(i);
    const isn = rng.u32();
    syn.set(client, IP + 12);
    put16(syn, TCP, port);
    put32(syn, TCP + 4, isn);
    put16(syn, IP + 4, rng.int(0, 65535));
    fixChecksums(syn, synLen, client, server);
    lastTs = Math.max(lastTs, t);
    w.write({ ts: lastTs, data: syn });
    // The closed port answers one RTT (at the tap: a few hundred µs) later, acknowledging the SYN.
    qT.push(t + 0.0002 + rng.next() * 0.0006);
    qI.push(i);
    qAck.push((isn + 1) >>> 0);
  }
  flushRsts(Number.POSITIVE_INFINITY);
  w.close();
  renameSync(tmp, path);
  return { path, bytes: w.bytesWritten, packets: w.packets, connections: n, resets, firstTs: start, lastTs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  exitUnlessRun(
    checkGenArgs(argv, ['--conns', '--rate'], ['--out']),
    'usage: node dist/bench/flood.js [--conns N] [--rate conns/s] [--out FILE]   (default out: bench/data/flood-<conns>.pcap)',
  );
  const conns = Number(argValue(argv, '--conns') ?? 5_000_000);
  const rate = Number(argValue(argv, '--rate') ?? 8000);
  const out = argValue(argv, '--out') ?? `bench/data/flood-${conns}.pcap`;
  const t0 = process.hrtime.bigint();
  const s = generateFlood(out, { conns, rate });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${s.path}: ${(s.bytes / 1048576).toFixed(1)} MiB, ${s.packets} packets, ${s.connections} connections, ${s.resets} RSTs, ` +
      `${(s.lastTs - s.firstTs).toFixed(1)} s of capture; generated in ${secs.toFixed(1)} s`,
  );
}
