/**
 * The bulky, number-heavy parts of a finished connection — its kept packets, its RSTs, both
 * endpoint summaries and the handshake — as one float64 stream for the trip from the track worker to the
 * main thread (trackWorker.ts, threads.ts), one array per batch, transferred; the rest of the
 * connection goes as a structured clone. Cloning these parts object by object was most of the
 * cost of a threaded run (`node --cpu-prof` on the bench's mix: the worker's postMessage and
 * the main thread's deserialising, 30–50 µs per connection). Strings (state names) go through a
 * per-batch table, a RST's payload bytes in a per-batch list. Decoding builds the objects with the tracker's fields in the tracker's order
 * (track/finish.ts endpointSummary, track/baselines.ts ttlBaseline, track/recordPool.ts packetOf,
 * track/rstLog.ts rstOf),
 * so that nothing downstream can tell the difference; null travels as NaN, which none of these
 * fields ever holds.
 */
import type { TunnelLayer } from '../model/report.js';
import type { EndpointSummary, FinishedConnection, HandshakeStage, PacketRecord, RstRecord, TtlBaseline } from '../track/finished.js';
import type { EndpointStateName } from '../track/zeekState.js';

/** Writes numbers and strings in order into a growing float64 array and a string table. */
export class ConnPacker {
  private data = new Float64Array(1 << 16);
  private n = 0;
  private strings: string[] = [];
  private stringIndex = new Map<string, number>();
  /** What is neither a number nor a short string (a RST's payload bytes), by index. */
  private objects: unknown[] = [];

  private room(k: number): void {
    if (this.n + k <= this.data.length) return;
    const grown = new Float64Array(Math.max(this.n + k, this.data.length * 2));
    grown.set(this.data.subarray(0, this.n));
    this.data = grown;
  }

  private num(v: number): void {
    this.room(1);
    this.data[this.n++] = v;
  }

  private nullable(v: number | null): void {
    this.num(v === null ? Number.NaN : v);
  }

  private str(v: string): void {
    let i = this.stringIndex.get(v);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(v);
      this.stringIndex.set(v, i);
    }
    this.num(i);
  }

  private endpoint(e: EndpointSummary): void {
    this.str(e.state);
    this.str(e.prevState);
    this.num(e.size);
    this.num(e.pkts);
    this.num(e.ipBytes);
    const ttl = e.ttl;
    if (ttl === null) this.num(-1);
    else {
      this.num(ttl.values.length);
      for (const v of ttl.values) {
        this.num(v.ttl);
        this.num(v.count);
      }
      this.num(ttl.otherCount);
      this.num(ttl.mostCommon);
      this.num(ttl.initial);
      this.num(ttl.hops);
    }
    this.str(e.ipId);
    this.num(e.retransmissions);
    this.num(e.zeroWindows);
    this.num(e.gaps);
    this.num(e.badChecksums);
    this.num(e.finCount);
    this.num(e.rstCount);
    this.num(e.payloadSeen ? 1 : 0);
    this.nullable(e.lastWindow);
    this.num(e.windowScale);
    this.nullable(e.startSeq);
  }

  private packets(packets: readonly PacketRecord[]): void {
    this.room(1 + packets.length * 12);
    const d = this.data;
    let o = this.n;
    d[o++] = packets.length;
    for (const p of packets) {
      d[o] = p.frame;
      d[o + 1] = p.ts;
      d[o + 2] = p.direction === 'resp' ? 1 : 0;
      d[o + 3] = p.flags;
      d[o + 4] = p.seq;
      d[o + 5] = p.ack;
      d[o + 6] = p.win;
      d[o + 7] = p.ttl;
      d[o + 8] = p.ipId;
      d[o + 9] = p.df ? 1 : 0;
      d[o + 10] = p.payloadLen;
      d[o + 11] = p.options;
      o += 12;
    }
    this.n = o;
  }

  private pair(v: { orig: number; resp: number }): void {
    this.num(v.orig);
    this.num(v.resp);
  }

  private nullablePair(v: { orig: number | null; resp: number | null }): void {
    this.nullable(v.orig);
    this.nullable(v.resp);
  }

  private resets(resets: readonly RstRecord[]): void {
    this.num(resets.length);
    for (const r of resets) {
      this.packets([r]);
      this.num(r.index);
      if (r.payload === null) this.num(-1);
      else {
        this.num(this.objects.length);
        this.objects.push(r.payload);
      }
      this.num(r.mptcpReason);
      this.num(r.mptcpFlags);
      this.num(r.reserved);
      this.num(r.badChecksum);
      this.num(r.checksum);
      this.num(r.sentByCapturePoint ? 1 : 0);
      const c = r.context;
      this.pair(c.pktsBefore);
      this.str(c.states.orig);
      this.str(c.states.resp);
      this.str(c.handshake);
      this.num((c.payload.orig ? 1 : 0) | (c.payload.resp ? 2 : 0) | (c.fin.orig ? 4 : 0) | (c.fin.resp ? 8 : 0));
      this.nullable(c.lastFromSenderTs);
      this.nullable(c.lastFromOtherTs);
      this.nullable(c.sinceOther);
      this.nullable(c.sincePrevious);
      this.num(c.largestIdleGap);
      this.nullablePair(c.nextSeq);
      this.nullablePair(c.acked);
      this.nullablePair(c.window);
      this.pair(c.consecutiveRetransmissions);
      this.num(c.senderPrevIpId);
    }
  }

  /** Writes the connection's packets, resets, endpoints and handshake, and takes them out of it (the rest is cloned). */
  pack(conn: FinishedConnection): void {
    this.packets(conn.packets);
    this.resets(conn.resets);
    this.endpoint(conn.orig);
    this.endpoint(conn.resp);
    const h = conn.handshake;
    this.str(h.stage);
    this.nullable(h.synTs);
    this.nullable(h.synAckTs);
    this.nullable(h.ackTs);
    this.nullable(h.synToSynAck);
    this.nullable(h.synAckToAck);
    this.tunnel(conn.tunnel);
    const stripped = conn as unknown as Record<string, unknown>;
    stripped.packets = null;
    stripped.resets = null;
    stripped.orig = null;
    stripped.resp = null;
    stripped.handshake = null;
    stripped.tunnel = null;
  }

  /** The tunnel layers (track/tunnelTable.ts layersOf): their count (-1 for none), then type, addresses, key and VNI (NaN when absent). */
  private tunnel(layers: readonly TunnelLayer[] | null): void {
    if (layers === null) {
      this.num(-1);
      return;
    }
    this.num(layers.length);
    for (const l of layers) {
      this.str(l.type);
      this.str(l.src);
      this.str(l.dst);
      this.num(l.key ?? Number.NaN);
      this.num(l.vni ?? Number.NaN);
    }
  }

  /** What was written since the last take (the numbers in an array of their own, to transfer), and a fresh start. */
  take(): { numbers: Float64Array; strings: string[]; objects: unknown[] } {
    const out = { numbers: this.data.slice(0, this.n), strings: this.strings, objects: this.objects };
    this.n = 0;
    this.strings = [];
    this.objects = [];
    this.stringIndex = new Map();
    return out;
  }
}

/** Reads back, in order, what a ConnPacker wrote into one batch. */
export class ConnUnpacker {
  private n = 0;

  constructor(
    private readonly data: Float64Array,
    private readonly strings: readonly string[],
    private readonly objects: readonly unknown[],
  ) {}

  private num(): number {
    return this.data[this.n++] ?? 0;
  }

  private nullable(): number | null {
    const v = this.data[this.n++] ?? 0;
    return Number.isNaN(v) ? null : v;
  }

  private str<T extends string>(): T {
    return this.strings[this.num()] as T;
  }

  private ttl(): TtlBaseline | null {
    const count = this.num();
    if (count < 0) return null;
    const values: { ttl: number; count: number }[] = [];
    for (let i = 0; i < count; i++) values.push({ ttl: this.num(), count: this.num() });
    return { values, otherCount: this.num(), mostCommon: this.num(), initial: this.num(), hops: this.num() };
  }

  private endpoint(): EndpointSummary {
    return {
      state: this.str(),
      prevState: this.str(),
      size: this.num(),
      pkts: this.num(),
      ipBytes: this.num(),
      ttl: this.ttl(),
      ipId: this.str(),
      retransmissions: this.num(),
      zeroWindows: this.num(),
      gaps: this.num(),
      badChecksums: this.num(),
      finCount: this.num(),
      rstCount: this.num(),
      payloadSeen: this.num() === 1,
      lastWindow: this.nullable(),
      windowScale: this.num(),
      startSeq: this.nullable(),
    };
  }

  private packets(): PacketRecord[] {
    const count = this.num();
    const d = this.data;
    const packets: PacketRecord[] = new Array(count);
    let o = this.n;
    for (let k = 0; k < count; k++, o += 12) {
      packets[k] = {
        frame: d[o] ?? 0,
        ts: d[o + 1] ?? 0,
        direction: d[o + 2] === 1 ? 'resp' : 'orig',
        flags: d[o + 3] ?? 0,
        seq: d[o + 4] ?? 0,
        ack: d[o + 5] ?? 0,
        win: d[o + 6] ?? 0,
        ttl: d[o + 7] ?? 0,
        ipId: d[o + 8] ?? 0,
        df: d[o + 9] === 1,
        payloadLen: d[o + 10] ?? 0,
        options: d[o + 11] ?? 0,
      };
    }
    this.n = o;
    return packets;
  }

  private pair(): { orig: number; resp: number } {
    return { orig: this.num(), resp: this.num() };
  }

  private nullablePair(): { orig: number | null; resp: number | null } {
    return { orig: this.nullable(), resp: this.nullable() };
  }

  private resets(): RstRecord[] {
    const count = this.num();
    const resets: RstRecord[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const packet = this.packets()[0] as PacketRecord;
      const index = this.num();
      const payloadAt = this.num();
      const mptcpReason = this.num();
      const mptcpFlags = this.num();
      const reserved = this.num();
      const badChecksum = this.num();
      const checksum = this.num();
      const sentByCapturePoint = this.num() !== 0;
      const pktsBefore = this.pair();
      const states = { orig: this.str<EndpointStateName>(), resp: this.str<EndpointStateName>() };
      const handshake = this.str<HandshakeStage>();
      const bits = this.num();
      // The tracker's field order (track/rstLog.ts rstOf): the packet's fields first, then the RST's own.
      resets[k] = Object.assign(packet, {
        index,
        payload: payloadAt < 0 ? null : (this.objects[payloadAt] as Uint8Array),
        mptcpReason,
        mptcpFlags,
        reserved,
        badChecksum,
        checksum,
        sentByCapturePoint,
        context: {
          pktsBefore,
          states,
          handshake,
          payload: { orig: (bits & 1) !== 0, resp: (bits & 2) !== 0 },
          fin: { orig: (bits & 4) !== 0, resp: (bits & 8) !== 0 },
          lastFromSenderTs: this.nullable(),
          lastFromOtherTs: this.nullable(),
          sinceOther: this.nullable(),
          sincePrevious: this.nullable(),
          largestIdleGap: this.num(),
          nextSeq: this.nullablePair(),
          acked: this.nullablePair(),
          window: this.nullablePair(),
          consecutiveRetransmissions: this.pair(),
          senderPrevIpId: this.num(),
        },
      });
    }
    return resets;
  }

  /** Puts back into `conn` (as cloned) what ConnPacker.pack took out of it. */
  unpack(conn: FinishedConnection): void {
    conn.packets = this.packets();
    conn.resets = this.resets();
    conn.orig = this.endpoint();
    conn.resp = this.endpoint();
    conn.handshake = {
      stage: this.str(),
      synTs: this.nullable(),
      synAckTs: this.nullable(),
      ackTs: this.nullable(),
      synToSynAck: this.nullable(),
      synAckToAck: this.nullable(),
    };
    conn.tunnel = this.tunnel();
  }

  /** The layers ConnPacker.tunnel wrote, built with the tracker's key order (type, src, dst, key?, vni?). */
  private tunnel(): TunnelLayer[] | null {
    const count = this.num();
    if (count < 0) return null;
    const layers: TunnelLayer[] = [];
    for (let i = 0; i < count; i++) {
      const layer: TunnelLayer = { type: this.str(), src: this.str(), dst: this.str() };
      const key = this.nullable();
      const vni = this.nullable();
      if (key !== null) layer.key = key;
      if (vni !== null) layer.vni = vni;
      layers.push(layer);
    }
    return layers;
  }
}
