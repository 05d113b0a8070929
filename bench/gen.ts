/**
 * A deterministic generator of a synthetic but realistic capture for the benchmark: thousands of
 * interleaved concurrent TCP connections (≈15 % IPv6, ≈10 % in 802.1Q VLANs) of every kind
 * whyreset explains — normal connections, refused connections, application aborts, port scans,
 * injected resets, fast closes, retransmissions, idle gaps — written as classic pcap (Ethernet)
 * by the streaming writer, so memory stays bounded by live connections, not by the file size.
 *
 * The capture point is a tap next to the servers: server packets carry TTL 64, client packets
 * 64/128 minus a path length, frames shorter than 60 bytes are padded as on the wire.
 *
 * Usage: node dist/bench/gen.js [--size MiB] [--seed N] [--out FILE]
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PcapStreamWriter } from '../testkit/captureWriter.js';
import {
  ACK,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  FIN,
  PSH,
  RST,
  SYN,
  type TcpOption,
  type VlanTag,
  ethernet,
  ipv4,
  ipv6,
  tcpSegment,
} from '../testkit/frames.js';

/** What `generate` wrote. */
export interface GenStats {
  readonly path: string;
  readonly bytes: number;
  readonly packets: number;
  readonly connections: number;
  readonly resets: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly maxConcurrent: number;
  readonly byKind: Readonly<Record<string, number>>;
}

/** Options of `generate`. */
export interface GenOptions {
  /** Target file size in MiB (the file ends at the first packet past it). Default 512. */
  readonly sizeMiB?: number;
  /** PRNG seed; the same seed and size give the same bytes. Default 1. */
  readonly seed?: number;
  /** Capture start, epoch seconds. Default 2024-03-01T09:00:00Z. */
  readonly startTs?: number;
}

/** sfc32: a small, fast, seedable PRNG (PractRand-clean); Math.random is not seedable. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  /** Log-uniform in [lo, hi]: sizes and durations spread over orders of magnitude. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo)));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

type Dir = 0 | 1; // 0 = client -> server (orig), 1 = server -> client (resp)
const ORIG: Dir = 0;
const RESP: Dir = 1;

/** One simulated connection: addresses and per-direction sequence, TTL, IP-ID and timestamp state. */
interface Conn {
  readonly kind: string;
  readonly v6: boolean;
  readonly addr: [Uint8Array, Uint8Array];
  readonly port: [number, number];
  readonly mac: [Uint8Array, Uint8Array];
  readonly vlans: readonly VlanTag[] | undefined;
  readonly seq: [number, number];
  readonly ttl: [number, number];
  readonly ipId: [number, number];
  readonly win: [number, number];
  readonly tsVal: [number, number];
  readonly useTs: boolean;
  readonly mss: number;
  readonly rtt: number;
  /** Peer's timestamp to echo, per direction. */
  readonly tsEcr: [number, number];
}

/** A scheduled step: the connection's script resumes at `t`. */
interface Event {
  t: number;
  readonly run: Iterator<number, void, void>;
  readonly conn: Conn | null;
}

/** A binary min-heap of events by time. */
class EventHeap {
  private readonly items: Event[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: Event): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.t <= e.t) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }
  pop(): Event | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]!.t < a[l]!.t ? r : l;
        if (a[c]!.t >= last.t) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Server ports with the weight of their share of connections. */
const SERVICES: readonly (readonly [number, number])[] = [
  [443, 60],
  [80, 15],
  [22, 4],
  [8080, 5],
  [5432, 4],
  [3306, 3],
  [6379, 3],
  [25, 2],
  [993, 2],
  [8443, 2],
];
const SERVICE_WEIGHT = SERVICES.reduce((s, [, w]) => s + w, 0);

/** Kinds of connection and their share of new connections (scans: each scanner probes hundreds of ports). */
const KINDS: readonly (readonly [string, number])[] = [
  ['normal', 52],
  ['keepalive', 14],
  ['refused', 9],
  ['app_abort', 6],
  ['fast_close', 6],
  ['injected', 2],
  ['idle_reset', 2],
  ['rto_abort', 1],
  ['accept_overflow', 1],
  ['midstream', 3],
  ['scan', 0.03],
];
const KIND_WEIGHT = KINDS.reduce((s, [, w]) => s + w, 0);

/** The generator: a discrete-event simulation whose steps append packets to the writer. */
class CaptureSim {
  readonly rng: Rng;
  readonly w: PcapStreamWriter;
  readonly target: number;
  /** Random bytes that payloads are cut from (content does not matter, checksums do). */
  readonly pool: Uint8Array;
  readonly heap = new EventHeap();
  now: number;
  lastTs: number;
  readonly firstTs: number;
  connections = 0;
  resets = 0;
  live = 0;
  maxConcurrent = 0;
  readonly byKind: Record<string, number> = {};
  private readonly clients4: Uint8Array[] = [];
  private readonly clients6: Uint8Array[] = [];
  private readonly servers4: Uint8Array[] = [];
  private readonly servers6: Uint8Array[] = [];
  private readonly routerMac = Uint8Array.of(0x00, 0x1c, 0x73, 0x10, 0x20, 0x30);
  private readonly serverMacs: Uint8Array[] = [];

  constructor(w: PcapStreamWriter, target: number, seed: number, startTs: number) {
    this.rng = new Rng(seed);
    this.w = w;
    this.target = target;
    this.now = startTs;
    this.lastTs = startTs;
    this.firstTs = startTs;
    this.pool = new Uint8Array(1 << 16);
    for (let i = 0; i < this.pool.length; i++) this.pool[i] = this.rng.int(0, 255);
    const r = this.rng;
    for (let i = 0; i < 20000; i++) this.clients4.push(Uint8Array.of(r.chance(0.5) ? 10 : 100, r.int(64, 127), r.int(0, 255), r.int(1, 254)));
    for (let i = 0; i < 4000; i++) {
      const a = new Uint8Array(16);
      a.set([0x20, 0x01, 0x0d, 0xb8, 0xc0, r.int(0, 255)]);
      for (let j = 8; j < 16; j++) a[j] = r.int(0, 255);
      this.clients6.push(a);
    }
    for (let i = 0; i < 200; i++) {
      this.servers4.push(Uint8Array.of([192, 198, 203][i % 3]!, [0, 51, 0][i % 3]!, [2, 100, 113][i % 3]!, 1 + Math.floor(i / 3)));
      const a = new Uint8Array(16);
      a.set([0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 + i]);
      this.servers6.push(a);
      this.serverMacs.push(Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, i));
    }
  }

  get full(): boolean {
    return this.w.bytesWritten >= this.target;
  }

  /** A fresh connection of `kind` with random endpoints and state. */
  newConn(kind: string, v6 = this.rng.chance(0.15), clientAddr?: Uint8Array, serverAddr?: Uint8Array): Conn {
    const r = this.rng;
    const s = r.int(0, this.servers4.length - 1);
    let port = SERVICES[0]![0];
    for (let x = r.next() * SERVICE_WEIGHT, i = 0; i < SERVICES.length; i++) {
      x -= SERVICES[i]![1];
      if (x < 0) {
        port = SERVICES[i]![0];
        break;
      }
    }
    const clientTtl = (r.chance(0.7) ? 64 : 128) - r.int(3, 24);
    const rtt = r.logUniform(0.002, 0.25);
    this.connections++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    return {
      kind,
      v6,
      addr: [
        clientAddr ?? (v6 ? this.clients6[r.int(0, this.clients6.length - 1)]! : this.clients4[r.int(0, this.clients4.length - 1)]!),
        serverAddr ?? (v6 ? this.servers6[s]! : this.servers4[s]!),
      ],
      port: [r.int(32768, 60999), port],
      mac: [this.routerMac, this.serverMacs[s]!],
      vlans: r.chance(0.1) ? [{ tpid: 0x8100, vid: 10 + (s % 40) }] : undefined,
      seq: [r.u32(), r.u32()],
      ttl: [clientTtl, 64],
      ipId: [r.int(0, 65535), r.int(0, 65535)],
      win: [r.int(200, 2048), r.int(200, 2048)],
      tsVal: [r.u32(), r.u32()],
      useTs: r.chance(0.85),
      mss: v6 ? 1440 : 1460,
      rtt,
      tsEcr: [0, 0],
    };
  }

  /**
   * Appends one packet of `c` in direction `d` and advances that direction's sequence number.
   * `extra` bends the packet for resets and forgeries.
   */
  emit(
    c: Conn,
    d: Dir,
    flags: number,
    len = 0,
    extra?: { seq?: number; ack?: number; ttl?: number; ipId?: number; win?: number; noOptions?: boolean; options?: TcpOption[] },
  ): void {
    const o: Dir = d === ORIG ? RESP : ORIG;
    const ts = Math.max(this.now, this.lastTs);
    this.lastTs = ts;
    const seq = extra?.seq ?? c.seq[d];
    const ack = flags & ACK ? (extra?.ack ?? c.seq[o]) : 0;
    let options: TcpOption[] | undefined = extra?.options;
    if (options === undefined && c.useTs && !extra?.noOptions && !(flags & RST)) {
      // TSval ticks at 1 kHz (Linux); TSecr echoes the peer's latest (RFC 7323).
      const tv = (c.tsVal[d] + Math.floor((ts - this.firstTs) * 1000)) >>> 0;
      c.tsEcr[o] = tv;
      options = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsVal: tv, tsEcr: c.tsEcr[d] }];
    }
    const off = (c.seq[d] + len * 7) & 0x7fff;
    const seg = tcpSegment({
      sport: c.port[d],
      dport: c.port[o],
      seq,
      ack,
      flags,
      win: extra?.win ?? (flags & RST ? 0 : c.win[d]),
      options,
      payload: len > 0 ? this.pool.subarray(off, off + len) : undefined,
    });
    const id = extra?.ipId ?? c.ipId[d];
    c.ipId[d] = (c.ipId[d] + 1) & 0xffff;
    const ttl = extra?.ttl ?? c.ttl[d];
    const ip = c.v6
      ? ipv6({ src: c.addr[d], dst: c.addr[o], hopLimit: ttl, payload: seg })
      : ipv4({ src: c.addr[d], dst: c.addr[o], ttl, id, df: true, payload: seg });
    const frame = ethernet({
      src: c.mac[d],
      dst: c.mac[o],
      vlans: c.vlans,
      ethertype: c.v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4,
      payload: ip,
      padTo: 60,
    });
    this.w.write({ ts, data: frame });
    if (extra?.seq === undefined) c.seq[d] = (c.seq[d] + len + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    if (flags & RST) this.resets++;
  }

  /** The SYN options of a Linux client or server. */
  synOptions(c: Conn, d: Dir): TcpOption[] {
    const opts: TcpOption[] = [{ kind: 'mss', value: c.mss }, { kind: 'sackPermitted' }];
    if (c.useTs) {
      const tv = c.tsVal[d];
      opts.push({ kind: 'timestamp', tsVal: tv, tsEcr: d === RESP ? c.tsVal[ORIG] : 0 });
      c.tsEcr[d === ORIG ? RESP : ORIG] = tv;
    } else opts.push({ kind: 'nop' }, { kind: 'nop' });
    opts.push({ kind: 'nop' }, { kind: 'wscale', shift: 7 });
    return opts;
  }

  // Scripts: each yields the delay in seconds until its next step. -------------------------------

  *handshake(c: Conn): Generator<number, void, void> {
    this.emit(c, ORIG, SYN, 0, { win: 64240, options: this.synOptions(c, ORIG) });
    yield c.rtt * 0.5;
    this.emit(c, RESP, SYN | ACK, 0, { win: 65160, options: this.synOptions(c, RESP) });
    yield c.rtt * 0.5;
    this.emit(c, ORIG, ACK);
  }

  /** `bytes` of data from `d`, in MSS segments sent in windows, ACKed every second segment; a few get lost and retransmitted. */
  *bulk(c: Conn, d: Dir, bytes: number): Generator<number, void, void> {
    const o: Dir = d === ORIG ? RESP : ORIG;
    let left = bytes;
    let cwnd = 10;
    while (left > 0 && !this.full) {
      let unacked = 0;
      for (let i = 0; i < cwnd && left > 0; i++) {
        const n = Math.min(c.mss, left);
        left -= n;
        const seqBefore = c.seq[d];
        this.emit(c, d, left === 0 ? PSH | ACK : ACK, n);
        if (this.rng.chance(0.004)) {
          // Lost beyond the tap: the peer never ACKs it; RTO (≥ 200 ms, RFC 6298 with Linux's floor) then the same bytes again.
          yield Math.max(0.2, c.rtt * 3);
          this.emit(c, d, left === 0 ? PSH | ACK : ACK, n, { seq: seqBefore });
        }
        unacked++;
        yield 0.000012 * (n / 1460 + 0.05); // serialisation at ~1 Gbit/s
      }
      yield c.rtt;
      // Delayed ACKs: one per two full segments (RFC 9293 §3.8.6.3, Linux quickack aside).
      for (let i = 0; i < Math.ceil(unacked / 2); i++) this.emit(c, o, ACK);
      cwnd = Math.min(cwnd * 2, 64);
    }
  }

  /** One request/response exchange. */
  *exchange(c: Conn): Generator<number, void, void> {
    const r = this.rng;
    const upload = r.chance(0.05);
    yield* this.bulk(c, ORIG, upload ? Math.floor(r.logUniform(2000, 400000)) : r.int(80, 1400));
    yield r.logUniform(0.0005, 0.05); // server think time
    const x = r.next();
    const size = x < 0.8 ? r.int(200, 6000) : x < 0.995 ? Math.floor(r.logUniform(6000, 60000)) : Math.floor(r.logUniform(60000, 1000000));
    yield* this.bulk(c, RESP, size);
  }

  /** The FIN exchange started by `d`; `lastRst` replaces the final ACK by a RST (fast close). */
  *close(c: Conn, d: Dir, lastRst = false): Generator<number, void, void> {
    const o: Dir = d === ORIG ? RESP : ORIG;
    this.emit(c, d, FIN | ACK);
    yield c.rtt * 0.5;
    this.emit(c, o, FIN | ACK);
    yield c.rtt * 0.5;
    if (lastRst) this.emit(c, d, this.rng.chance(0.5) ? RST | ACK : RST);
    else this.emit(c, d, ACK);
  }

  *connScript(c: Conn): Generator<number, void, void> {
    const r = this.rng;
    switch (c.kind) {
      case 'normal': {
        yield* this.handshake(c);
        const rounds = r.int(1, 3);
        for (let i = 0; i < rounds && !this.full; i++) {
          yield r.logUniform(0.001, 0.3);
          yield* this.exchange(c);
        }
        yield r.logUniform(0.001, 2);
        yield* this.close(c, r.chance(0.6) ? ORIG : RESP);
        return;
      }
      case 'keepalive': {
        yield* this.handshake(c);
        const rounds = r.int(3, 20);
        for (let i = 0; i < rounds && !this.full; i++) {
          yield r.logUniform(0.5, 60); // idle gaps between requests on a kept-alive connection
          yield* this.bulk(c, ORIG, r.int(80, 900));
          yield r.logUniform(0.0005, 0.02);
          yield* this.bulk(c, RESP, r.int(100, 6000));
        }
        yield* this.close(c, r.chance(0.5) ? ORIG : RESP);
        return;
      }
      case 'refused': {
        // Nothing listens: the server's RST/ACK acknowledges the SYN (RFC 9293 §3.10.7.1); apps retry.
        const tries = r.chance(0.3) ? r.int(2, 3) : 1;
        for (let i = 0; i < tries; i++) {
          const isn = c.seq[ORIG];
          this.emit(c, ORIG, SYN, 0, { win: 64240, options: this.synOptions(c, ORIG) });
          yield c.rtt * 0.5;
          this.emit(c, RESP, RST | ACK, 0, { seq: 0, ack: (isn + 1) >>> 0 });
          if (i + 1 < tries) {
            yield r.logUniform(0.05, 1);
            c.seq[ORIG] = r.u32();
            c.port[ORIG] = r.int(32768, 60999);
            this.connections++;
          }
        }
        return;
      }
      case 'app_abort': {
        yield* this.handshake(c);
        yield* this.bulk(c, ORIG, r.int(80, 1400));
        yield r.logUniform(0.001, 0.05);
        const size = Math.floor(r.logUniform(2000, 300000));
        const aborter: Dir = r.chance(0.6) ? ORIG : RESP;
        const o: Dir = aborter === ORIG ? RESP : ORIG;
        // The response is cut short: the aborter sends RST/ACK in the middle (SO_LINGER 0 or a crash).
        const it = this.bulk(c, RESP, size);
        let steps = r.int(3, 40);
        for (let s = it.next(); !s.done && steps-- > 0; s = it.next()) yield s.value;
        this.emit(c, aborter, RST | ACK);
        if (r.chance(0.4)) {
          // Data already in flight reaches the closed side, which answers with a bare RST (seq = the ACK it got).
          yield c.rtt * 0.5;
          this.emit(c, o, PSH | ACK, c.mss);
          yield c.rtt * 0.5;
          this.emit(c, aborter, RST, 0, { seq: c.seq[aborter] });
        }
        return;
      }
      case 'fast_close': {
        yield* this.handshake(c);
        yield* this.exchange(c);
        yield r.logUniform(0.001, 0.5);
        yield* this.close(c, r.chance(0.5) ? ORIG : RESP, true);
        return;
      }
      case 'idle_reset': {
        yield* this.handshake(c);
        yield* this.exchange(c);
        yield r.logUniform(30, 400); // a long silence: a NAT or load balancer forgets the flow
        if (r.chance(0.5)) {
          // The client speaks again and the state-less box (or the server) answers RST.
          this.emit(c, ORIG, PSH | ACK, r.int(50, 600));
          yield c.rtt * 0.5;
          this.emit(c, RESP, RST, 0, { seq: c.seq[RESP] });
        } else {
          this.emit(c, RESP, RST | ACK);
        }
        return;
      }
      case 'rto_abort': {
        yield* this.handshake(c);
        yield* this.bulk(c, ORIG, r.int(80, 1400));
        yield 0.01;
        // The server's data is never ACKed: exponential backoff (RFC 6298 §5.5), then it gives up with RST.
        const seq = c.seq[RESP];
        this.emit(c, RESP, PSH | ACK, c.mss);
        let rto = 0.2 + c.rtt;
        const n = r.int(3, 7);
        for (let i = 0; i < n; i++) {
          yield rto;
          this.emit(c, RESP, PSH | ACK, c.mss, { seq });
          rto *= 2;
        }
        yield rto;
        this.emit(c, RESP, RST | ACK);
        return;
      }
      case 'accept_overflow': {
        // Handshake completes, the client sends its request, the server resets at once (tcp_abort_on_overflow).
        yield* this.handshake(c);
        yield 0.0001;
        this.emit(c, ORIG, PSH | ACK, r.int(80, 600));
        yield c.rtt * 0.5;
        this.emit(c, RESP, RST | ACK);
        return;
      }
      case 'injected': {
        yield* this.handshake(c);
        yield* this.bulk(c, ORIG, r.int(100, 900));
        yield 0.001;
        const it = this.bulk(c, RESP, 200000);
        let steps = r.int(2, 15);
        for (let s = it.next(); !s.done && steps-- > 0; s = it.next()) yield s.value;
        // A device in the path forges resets both ways: an odd TTL, a random IP ID, and a burst of
        // RSTs with shifted sequence numbers to hit the receiver's window (the GFW pattern, Weaver et al. 2009).
        const fakeTtl = r.chance(0.5) ? r.int(30, 50) : r.int(100, 250);
        const base = c.seq[RESP];
        const shift = r.chance(0.5) ? c.mss : c.win[ORIG] * 128;
        for (let i = 0; i < 3; i++) {
          this.emit(c, RESP, i === 0 ? RST : RST | ACK, 0, { seq: (base + i * shift) >>> 0, ttl: fakeTtl + i, ipId: r.int(0, 65535) });
          yield 0.00002;
        }
        this.emit(c, ORIG, RST, 0, { seq: c.seq[ORIG], ttl: fakeTtl + 3, ipId: r.int(0, 65535) });
        // The real server has not heard of it: its data keeps coming, and the client (now closed) answers RST.
        yield c.rtt * 0.3;
        for (let i = 0; i < 2; i++) {
          this.emit(c, RESP, ACK, c.mss);
          yield c.rtt * 0.5;
          this.emit(c, ORIG, RST, 0, { seq: c.seq[ORIG] });
          yield 0.0001;
        }
        return;
      }
      case 'midstream': {
        // Connections older than the capture: no handshake, data first.
        const rounds = r.int(1, 4);
        for (let i = 0; i < rounds && !this.full; i++) {
          yield* this.exchange(c);
          yield r.logUniform(0.01, 5);
        }
        if (r.chance(0.3)) this.emit(c, ORIG, RST | ACK);
        else yield* this.close(c, ORIG);
        return;
      }
    }
  }

  /** A SYN scanner: one source, hundreds of ports on one target; closed ports answer RST/ACK, open ones SYN/ACK then the scanner resets. */
  *scanScript(scanner: Conn): Generator<number, void, void> {
    const r = this.rng;
    const nPorts = r.int(200, 1500);
    const srcPort = r.int(40000, 65000); // nmap -sS keeps one source port
    const rtt = scanner.rtt;
    for (let i = 0; i < nPorts && !this.full; i++) {
      const c = this.newConn('scan_probe', scanner.v6, scanner.addr[ORIG], scanner.addr[RESP]);
      c.port[ORIG] = srcPort;
      c.port[RESP] = r.chance(0.7) ? r.int(1, 1024) : r.int(1025, 65535);
      c.ttl[ORIG] = scanner.ttl[ORIG];
      const isn = c.seq[ORIG];
      this.emit(c, ORIG, SYN, 0, { win: 1024, options: [{ kind: 'mss', value: 1460 }], ipId: r.int(0, 65535) });
      yield rtt * 0.5;
      if (r.chance(0.97)) {
        this.emit(c, RESP, RST | ACK, 0, { seq: 0, ack: (isn + 1) >>> 0 });
      } else {
        this.emit(c, RESP, SYN | ACK, 0, { win: 65160, options: this.synOptions(c, RESP) });
        yield rtt * 0.5;
        this.emit(c, ORIG, RST, 0, { seq: (isn + 1) >>> 0 });
      }
      yield r.exp(0.002);
    }
  }

  /** New connections arrive as a Poisson process. */
  *spawner(rate: number): Generator<number, void, void> {
    const r = this.rng;
    for (;;) {
      let kind = 'normal';
      for (let x = r.next() * KIND_WEIGHT, i = 0; i < KINDS.length; i++) {
        x -= KINDS[i]![1];
        if (x < 0) {
          kind = KINDS[i]![0];
          break;
        }
      }
      if (kind === 'scan') {
        const scanner = this.newConn('scan');
        this.connections--; // the scanner itself is not a connection; its probes are
        this.schedule(this.scanScript(scanner), scanner, 0);
      } else {
        const c = this.newConn(kind);
        this.schedule(this.connScript(c), c, 0);
      }
      yield r.exp(1 / rate);
    }
  }

  schedule(run: Iterator<number, void, void>, conn: Conn | null, delay: number): void {
    if (conn) {
      this.live++;
      if (this.live > this.maxConcurrent) this.maxConcurrent = this.live;
    }
    this.heap.push({ t: this.now + delay, run, conn });
  }

  run(): void {
    // Start with connections already open (the capture began while they were running).
    for (let i = 0; i < 300; i++) {
      const c = this.newConn('midstream');
      this.schedule(this.connScript(c), c, this.rng.next() * 2);
    }
    this.schedule(this.spawner(150), null, 0);
    while (!this.full) {
      const e = this.heap.pop();
      if (!e) break;
      this.now = e.t;
      const s = e.run.next();
      if (s.done) {
        if (e.conn) this.live--;
        continue;
      }
      e.t = this.now + s.value;
      this.heap.push(e);
    }
  }
}

/** Writes a synthetic capture to `path` (via a temporary file, renamed at the end). */
export function generate(path: string, opts: GenOptions = {}): GenStats {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const w = PcapStreamWriter.create(tmp, { linkType: 1, snaplen: 262144 });
  const g = new CaptureSim(w, (opts.sizeMiB ?? 512) * 1024 * 1024, opts.seed ?? 1, opts.startTs ?? 1_709_283_600);
  g.run();
  w.close();
  renameSync(tmp, path);
  return {
    path,
    bytes: w.bytesWritten,
    packets: w.packets,
    connections: g.connections,
    resets: g.resets,
    firstTs: g.firstTs,
    lastTs: g.lastTs,
    maxConcurrent: g.maxConcurrent,
    byKind: g.byKind,
  };
}

/** The value after `--name` in argv, if any. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * What a generator's command line asks for before anything is written: `help` for -h/--help,
 * an `error` for an option it does not know, an option without a value, or a number option that
 * is not a positive number; else `run`. A generator writes hundreds of MiB over `--out`'s default
 * (the benchmark's own file), so a mistyped or help-seeking command line must never reach it.
 */
export function checkGenArgs(
  argv: readonly string[],
  numberOptions: readonly string[],
  otherOptions: readonly string[],
): { readonly kind: 'help' } | { readonly kind: 'error'; readonly message: string } | { readonly kind: 'run' } {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i] ?? '';
    const value = argv[i + 1];
    if (!numberOptions.includes(name) && !otherOptions.includes(name)) return { kind: 'error', message: `unknown option ${JSON.stringify(name)}` };
    if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `${name} needs a value` };
    if (numberOptions.includes(name) && !(Number(value) > 0)) return { kind: 'error', message: `${name} must be a positive number, not ${JSON.stringify(value)}` };
  }
  return { kind: 'run' };
}

/** Ends the process when `checkGenArgs` says help (usage on stdout, exit 0) or error (exit 2). */
export function exitUnlessRun(check: ReturnType<typeof checkGenArgs>, usage: string): void {
  if (check.kind === 'help') {
    console.log(usage);
    process.exit(0);
  }
  if (check.kind === 'error') {
    console.error(`${check.message}\n${usage}`);
    process.exit(2);
  }
}

/** The mix generator's usage line. */
export const GEN_USAGE = 'usage: node dist/bench/gen.js [--size MiB] [--seed N] [--out FILE]   (default out: bench/data/mix-<size>MiB-s<seed>.pcap)';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  exitUnlessRun(checkGenArgs(argv, ['--size', '--seed'], ['--out']), GEN_USAGE);
  const sizeMiB = Number(argValue(argv, '--size') ?? 512);
  const seed = Number(argValue(argv, '--seed') ?? 1);
  const out = argValue(argv, '--out') ?? `bench/data/mix-${sizeMiB}MiB-s${seed}.pcap`;
  const t0 = process.hrtime.bigint();
  const s = generate(out, { sizeMiB, seed });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${s.path}: ${(s.bytes / 1048576).toFixed(1)} MiB, ${s.packets} packets, ${s.connections} connections, ${s.resets} RSTs, ` +
      `${(s.lastTs - s.firstTs).toFixed(1)} s of capture, up to ${s.maxConcurrent} concurrent; generated in ${secs.toFixed(1)} s`,
  );
  console.log(`  by kind: ${JSON.stringify(s.byKind)}`);
}
