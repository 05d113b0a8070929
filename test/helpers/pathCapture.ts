/**
 * Synthetic captures of one conversation at three points of a path, client — router — server,
 * as real captures show them: each point stamps packets with its own clock (an offset), a hop
 * takes `hop` seconds, the router decrements the TTL when it forwards, and the router's capture
 * is either Linux cooked on all interfaces (`tcpdump -i any`: a forwarded packet in, then out one
 * TTL lower) or Ethernet on its client-side interface only. A packet can be born at the router
 * (forged in an endpoint's name), and any sighting can be dropped (loss, other routes).
 */
import { writePcap } from '../../testkit/captureWriter.js';
import { ETHERTYPE_IPV4, LINKTYPE_LINUX_SLL, SLL_HOST, SLL_OUTGOING, ipv4, sll, tcp4Frame, tcpSegment } from '../../testkit/frames.js';

/** A capture point, also a host position on the path. */
export type PathPoint = 'client' | 'router' | 'server';

const POSITION: Record<PathPoint, number> = { client: 0, router: 1, server: 2 };
export const CLIENT = { addr: '10.0.1.2', port: 40000, ttl: 64 };
export const SERVER = { addr: '10.0.2.2', port: 80, ttl: 128 };

/** One packet on the path. */
export interface PathPacket {
  /** True time it left the host that made it. */
  t: number;
  /** The host that made it. */
  by: PathPoint;
  /** The end it travels to (its source address is the other end's). */
  to: 'client' | 'server';
  flags: number;
  seq: number;
  ack: number;
  id: number;
  len?: number;
  win?: number;
  /** TTL it left with (default the source end's initial TTL). */
  ttl?: number;
}

/** How the three captures are made. */
export interface PathOptions {
  /** Each point's clock minus the true time (seconds). */
  offsets?: Partial<Record<PathPoint, number>>;
  /** One-way delay per hop (seconds), default 1 ms. */
  hop?: number;
  /** `any` (default): Linux cooked on all interfaces; `client-side`: Ethernet on the client-facing interface. */
  router?: 'any' | 'client-side';
  /** Drops a sighting: true when `point` must not record packet number `index`. */
  drop?: (point: PathPoint, index: number, p: PathPacket) => boolean;
  /** Snaplen of each point's capture. */
  snaplen?: Partial<Record<PathPoint, number>>;
}

/** The three captures as pcap bytes. */
export type PathCaptures = Record<PathPoint, Uint8Array>;

/** The IPv4 packet (no link layer) of `p` with `ttl`. */
function ipPacket(p: PathPacket, ttl: number): Uint8Array {
  const fromClient = p.to === 'server';
  const src = fromClient ? CLIENT : SERVER;
  const dst = fromClient ? SERVER : CLIENT;
  const seg = { sport: src.port, dport: dst.port, seq: p.seq, ack: p.ack, flags: p.flags, win: p.win ?? 502, payload: new Uint8Array(p.len ?? 0).fill(0x61) };
  return ipv4({ src: src.addr, dst: dst.addr, ttl, id: p.id, df: true, tos: 0, payload: tcpSegment(seg) });
}

/** Ethernet frame of `p` with `ttl`. */
function etherFrame(p: PathPacket, ttl: number): Uint8Array {
  const fromClient = p.to === 'server';
  const src = fromClient ? CLIENT : SERVER;
  const dst = fromClient ? SERVER : CLIENT;
  return tcp4Frame({
    src: src.addr,
    dst: dst.addr,
    sport: src.port,
    dport: dst.port,
    seq: p.seq,
    ack: p.ack,
    flags: p.flags,
    win: p.win ?? 502,
    ttl,
    id: p.id,
    payload: new Uint8Array(p.len ?? 0).fill(0x61),
    padTo: 60,
  });
}

/** Renders the three captures of `packets`. */
export function pathCaptures(packets: readonly PathPacket[], options: PathOptions = {}): PathCaptures {
  const hop = options.hop ?? 0.001;
  const offset = (p: PathPoint) => options.offsets?.[p] ?? 0;
  const records: Record<PathPoint, { ts: number; data: Uint8Array }[]> = { client: [], router: [], server: [] };
  packets.forEach((p, index) => {
    const fromClient = p.to === 'server';
    const ttl0 = p.ttl ?? (p.by === 'router' ? 255 : fromClient ? CLIENT.ttl : SERVER.ttl);
    const start = POSITION[p.by];
    const end = POSITION[p.to];
    const step = end > start ? 1 : -1;
    for (let pos = start; pos !== end + step; pos += step) {
      const point = (Object.keys(POSITION) as PathPoint[]).find((k) => POSITION[k] === pos) as PathPoint;
      if (options.drop?.(point, index, p)) continue;
      const at = p.t + Math.abs(pos - start) * hop;
      // Routers passed before this point, the router itself decrementing on the way out.
      const routersBefore = start < 1 && pos > 1 ? 1 : start > 1 && pos < 1 ? 1 : 0;
      const ttl = ttl0 - routersBefore;
      if (point !== 'router') {
        records[point].push({ ts: at + offset(point), data: etherFrame(p, ttl) });
        continue;
      }
      const made = p.by === 'router';
      if (options.router === 'client-side') {
        // The client-facing interface: packets to the server as they arrive, to the client as they leave.
        const t = at + offset('router') + (fromClient || made ? 0 : 0.00001);
        records.router.push({ ts: t, data: etherFrame(p, fromClient || made ? ttl : ttl - 1) });
        continue;
      }
      if (!made) records.router.push({ ts: at + offset('router'), data: sll({ packetType: SLL_HOST, protocol: ETHERTYPE_IPV4, payload: ipPacket(p, ttl) }) });
      records.router.push({
        ts: at + offset('router') + 0.00001,
        data: sll({ packetType: SLL_OUTGOING, protocol: ETHERTYPE_IPV4, payload: ipPacket(p, made ? ttl : ttl - 1) }),
      });
    }
  });
  const write = (point: PathPoint, linkType?: number) =>
    writePcap(
      records[point].sort((a, b) => a.ts - b.ts),
      { linkType, snaplen: options.snaplen?.[point] },
    );
  return {
    client: write('client'),
    router: write('router', options.router === 'client-side' ? undefined : LINKTYPE_LINUX_SLL),
    server: write('server'),
  };
}

/** A conversation: handshake, a request and its answer, then a RST from `resetBy` (or none). */
export function conversation(start = 1_700_000_000): PathPacket[] {
  const c = 1000;
  const s = 5000;
  return [
    { t: start, by: 'client', to: 'server', flags: 0x02, seq: c, ack: 0, id: 1 },
    { t: start + 0.003, by: 'server', to: 'client', flags: 0x12, seq: s, ack: c + 1, id: 0 },
    { t: start + 0.006, by: 'client', to: 'server', flags: 0x10, seq: c + 1, ack: s + 1, id: 2 },
    { t: start + 0.007, by: 'client', to: 'server', flags: 0x18, seq: c + 1, ack: s + 1, id: 3, len: 100 },
    { t: start + 0.010, by: 'server', to: 'client', flags: 0x10, seq: s + 1, ack: c + 101, id: 700 },
    { t: start + 0.011, by: 'server', to: 'client', flags: 0x18, seq: s + 1, ack: c + 101, id: 701, len: 1000 },
    { t: start + 0.014, by: 'client', to: 'server', flags: 0x10, seq: c + 101, ack: s + 1001, id: 4 },
    { t: start + 0.020, by: 'client', to: 'server', flags: 0x18, seq: c + 101, ack: s + 1001, id: 5, len: 50 },
    { t: start + 0.023, by: 'server', to: 'client', flags: 0x10, seq: s + 1001, ack: c + 151, id: 702 },
  ];
}
