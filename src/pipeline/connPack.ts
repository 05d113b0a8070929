/**
 * A batch of the track worker's events (trackWorker.ts) as one float64 stream for the trip to the
 * main thread (threads.ts): each event's code and arguments, and each finished connection whole,
 * so that a batch is one float64 array, a string table and (rarely) a few structured clones.
 * Cloning the connections object by object was most of the cost of a threaded run: the worker's
 * postMessage and the main thread's deserialising (`node --cpu-prof` on the bench's mix), and
 * the clones of a whole batch, made at once on arrival, outlived the main thread's 2 MiB young
 * generation while they waited their turn (twice its scavenge time). Unpacked one at a time, a
 * connection is made just before it is explained, as on one thread.
 *
 * A connection is written field by field by ConnPacker.connection and read back by
 * ConnUnpacker.connection — the one place that lists FinishedConnection's fields (track/finished.ts),
 * both in the tracker's order. The reader builds object literals with the tracker's fields in the
 * tracker's order (track/finish.ts finishSlot and endpointSummary, track/baselines.ts ttlBaseline,
 * track/recordPool.ts packetOf, track/rstLog.ts rstOf, track/tunnelTable.ts layersOf), so that
 * nothing downstream can tell the difference; its literal is typed, so a field added to
 * FinishedConnection fails the build until it is read here, and the round-trip test
 * (test/pipeline/connPack.test.ts) fails until it is written. null travels as NaN where a field
 * is written as a bare number, which none of these fields ever holds.
 */
import type { TunnelLayer } from '../model/report.js';
import type { EndReason, EndpointSummary, FinishedConnection, HandshakeStage, PacketRecord, RstRecord, TtlBaseline } from '../track/finished.js';
import { PACKET_NUMBERS, readPacket, smiOrDouble, writePacket } from '../track/packedPacket.js';
import { boolPair, countPair, nullablePair } from '../track/rstLog.js';
import type { WeirdName } from '../track/weirds.js';
import type { ConnState, EndpointStateName } from '../track/zeekState.js';

/** Tags of an event's argument written generically (ConnPacker.value), each followed by what it needs. */
const TAG_NUMBER = 0; // the number
const TAG_STRING = 1; // its index in the string table
const TAG_TRUE = 2;
const TAG_FALSE = 3;
const TAG_NULL = 4;
const TAG_UNDEFINED = 5;
const TAG_STRINGS = 6; // how many, then each one's index in the string table
const TAG_CLONE = 7; // its index in the batch's list of structured clones

/** Numbers of an endpoint summary besides two per distinct TTL (ConnPacker.endpoint): 16 fields, the TTL baseline's count and 4 scalars. */
const ENDPOINT_NUMBERS = 21;

/** True when every item of the array is a string. */
function allStrings(items: readonly unknown[]): items is readonly string[] {
  for (const item of items) if (typeof item !== 'string') return false;
  return true;
}

/** One batch as it crosses to the main thread (all cloned; the numbers are never transferred: trackWorker.ts flush). */
export interface PackedBatch {
  numbers: Float64Array;
  strings: string[];
  /** Structured clones (a RST's payload bytes, an input's summary). */
  objects: unknown[];
}

/** What a ConnPacker wrote since its last take, left where it was written (ConnPacker.takeInPlace). */
export interface WrittenBatch {
  /** The array written into: the one the packer was given, or a larger one it grew into. */
  data: Float64Array;
  /** Numbers written (from data[0]). */
  length: number;
  strings: string[];
  objects: unknown[];
}

/** Writes a batch in order into a growing float64 array, a string table and a list of structured clones. */
export class ConnPacker {
  private data: Float64Array;
  private n = 0;
  private strings: string[] = [];
  private stringIndex = new Map<string, number>();
  /** What is neither a number nor a short string (a RST's payload bytes), by index. */
  private objects: unknown[] = [];

  /** Writes into `data` (a slot of the worker's shared ring: trackWorker.ts) until it is full, then into a larger array of its own. */
  constructor(data: Float64Array = new Float64Array(1 << 16)) {
    this.data = data;
  }

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

  private bool(v: boolean): void {
    this.num(v ? 1 : 0);
  }

  /** An optional number: NaN when absent (a tunnel layer's key or VNI). */
  private optional(v: number | undefined): void {
    this.num(v === undefined ? Number.NaN : v);
  }

  /** The string's index in the batch's table (added the first time). */
  private indexOf(v: string): number {
    let i = this.stringIndex.get(v);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(v);
      this.stringIndex.set(v, i);
    }
    return i;
  }

  private str(v: string): void {
    this.num(this.indexOf(v));
  }

  /** A string no other in the batch equals (a connection's id): into the table without the look-up. */
  private uniqueStr(v: string): void {
    this.num(this.strings.length);
    this.strings.push(v);
  }

  /** An endpoint summary: ENDPOINT_NUMBERS numbers and two per distinct TTL, written after one check for room. */
  private endpoint(e: EndpointSummary): void {
    const ttl = e.ttl;
    const values = ttl === null ? 0 : ttl.values.length;
    this.room(ENDPOINT_NUMBERS + 2 * values);
    const d = this.data;
    let o = this.n;
    d[o++] = this.indexOf(e.state);
    d[o++] = this.indexOf(e.prevState);
    d[o++] = e.size;
    d[o++] = e.pkts;
    d[o++] = e.ipBytes;
    if (ttl === null) d[o++] = -1;
    else {
      d[o++] = values;
      for (let k = 0; k < values; k++) {
        const v = ttl.values[k] as { ttl: number; count: number };
        d[o++] = v.ttl;
        d[o++] = v.count;
      }
      d[o++] = ttl.otherCount;
      d[o++] = ttl.mostCommon;
      d[o++] = ttl.initial;
      d[o++] = ttl.hops;
    }
    d[o++] = this.indexOf(e.ipId);
    d[o++] = e.retransmissions;
    d[o++] = e.zeroWindows;
    d[o++] = e.gaps;
    d[o++] = e.badChecksums;
    d[o++] = e.finCount;
    d[o++] = e.rstCount;
    d[o++] = e.payloadSeen ? 1 : 0;
    d[o++] = e.lastWindow === null ? Number.NaN : e.lastWindow;
    d[o++] = e.windowScale;
    d[o++] = e.startSeq === null ? Number.NaN : e.startSeq;
    this.n = o;
  }

  private packets(packets: readonly PacketRecord[]): void {
    this.room(1 + packets.length * PACKET_NUMBERS);
    const d = this.data;
    let o = this.n;
    d[o++] = packets.length;
    for (let k = 0; k < packets.length; k++, o += PACKET_NUMBERS) writePacket(d, o, packets[k] as PacketRecord);
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
    for (let k = 0; k < resets.length; k++) {
      const r = resets[k] as RstRecord;
      this.room(PACKET_NUMBERS);
      writePacket(this.data, this.n, r);
      this.n += PACKET_NUMBERS;
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

  /** A number as it is (an event's code). */
  code(v: number): void {
    this.num(v);
  }

  /** A value of any kind: its tag, then what it needs (a structured clone for what is neither a number, a string, a boolean nor a list of strings). */
  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.num(TAG_NUMBER);
        this.num(v);
        return;
      case 'string':
        this.num(TAG_STRING);
        this.str(v);
        return;
      case 'boolean':
        this.num(v ? TAG_TRUE : TAG_FALSE);
        return;
      case 'undefined':
        this.num(TAG_UNDEFINED);
        return;
    }
    if (v === null) this.num(TAG_NULL);
    else if (Array.isArray(v) && allStrings(v)) {
      this.num(TAG_STRINGS);
      this.num(v.length);
      for (const item of v) this.str(item);
    } else {
      this.num(TAG_CLONE);
      this.num(this.objects.length);
      this.objects.push(v);
    }
  }

  private strs(items: readonly string[]): void {
    this.num(items.length);
    for (const item of items) this.str(item);
  }

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
      this.optional(l.key);
      this.optional(l.vni);
    }
  }

  private handshake(h: FinishedConnection['handshake']): void {
    this.str(h.stage);
    this.nullable(h.synTs);
    this.nullable(h.synAckTs);
    this.nullable(h.ackTs);
    this.nullable(h.synToSynAck);
    this.nullable(h.synAckToAck);
  }

  /** A finished connection, whole: every field in FinishedConnection's order (ConnUnpacker.connection reads them in the same order). */
  connection(c: FinishedConnection): void {
    this.uniqueStr(c.id);
    this.num(c.number);
    this.num(c.capture);
    this.num(c.ipVersion);
    this.str(c.origAddr);
    this.num(c.origPort);
    this.str(c.respAddr);
    this.num(c.respPort);
    this.num(c.startTs);
    this.num(c.lastTs);
    this.num(c.lastPacketTs);
    this.str(c.connState);
    this.str(c.history);
    this.endpoint(c.orig);
    this.endpoint(c.resp);
    this.bool(c.flipped);
    this.bool(c.reusedTuple);
    this.handshake(c.handshake);
    this.num(c.largestIdleGap);
    this.num(c.missedBytes);
    this.strs(c.weirds);
    this.resets(c.resets);
    this.num(c.resetsNotRecorded);
    this.packets(c.packets);
    this.num(c.keptPackets);
    this.num(c.keptFirstFrame);
    this.num(c.keptLastFrame);
    this.num(c.keptFirstFlags);
    this.num(c.origPairs);
    this.num(c.origSingles);
    this.num(c.respPairs);
    this.num(c.respSingles);
    this.num(c.packetsNotKept);
    this.str(c.endReason);
    this.tunnel(c.tunnel);
  }

  /** Numbers written since the last take (a connection counts many). */
  get size(): number {
    return this.n;
  }

  /** What was written since the last take (the numbers in an array of their own, to post), and a fresh start. */
  take(): PackedBatch {
    const out = { numbers: this.data.slice(0, this.n), strings: this.strings, objects: this.objects };
    this.restart(this.data);
    return out;
  }

  /**
   * What was written since the last take, left in the array it was written into (no copy: the
   * worker's shared ring slot, unless a batch outgrew it), and a fresh start writing into `next`.
   */
  takeInPlace(next: Float64Array): WrittenBatch {
    const out = { data: this.data, length: this.n, strings: this.strings, objects: this.objects };
    this.restart(next);
    return out;
  }

  private restart(data: Float64Array): void {
    this.data = data;
    this.n = 0;
    this.strings = [];
    this.objects = [];
    this.stringIndex.clear();
  }
}

/** Reads back, in order, what a ConnPacker wrote into one batch. */
export class ConnUnpacker {
  private n = 0;
  private readonly data: Float64Array;
  private readonly strings: readonly string[];
  private readonly objects: readonly unknown[];
  constructor(batch: PackedBatch) {
    this.data = batch.numbers;
    this.strings = batch.strings;
    this.objects = batch.objects;
  }

  private num(): number {
    return smiOrDouble(this.data[this.n++]);
  }

  private nullable(): number | null {
    const v = this.data[this.n++] ?? 0;
    return Number.isNaN(v) ? null : smiOrDouble(v);
  }

  private str<T extends string>(): T {
    return this.strings[this.num()] as T;
  }

  private bool(): boolean {
    return this.num() === 1;
  }

  private optional(): number | undefined {
    const v = this.data[this.n++] ?? 0;
    return Number.isNaN(v) ? undefined : smiOrDouble(v);
  }

  private strs<T extends string>(): T[] {
    const count = this.num();
    const items: T[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = this.str<T>();
    return items;
  }

  /** Tunnel layers as track/tunnelTable.ts layersOf makes them: key and vni only when present, in that order. */
  private tunnel(): TunnelLayer[] | null {
    const count = this.num();
    if (count < 0) return null;
    const layers: TunnelLayer[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const layer: TunnelLayer = { type: this.str(), src: this.str(), dst: this.str() };
      const key = this.optional();
      const vni = this.optional();
      if (key !== undefined) layer.key = key;
      if (vni !== undefined) layer.vni = vni;
      layers[i] = layer;
    }
    return layers;
  }

  private handshake(): FinishedConnection['handshake'] {
    return {
      stage: this.str(),
      synTs: this.nullable(),
      synAckTs: this.nullable(),
      ackTs: this.nullable(),
      synToSynAck: this.nullable(),
      synAckToAck: this.nullable(),
    };
  }

  private ttl(): TtlBaseline | null {
    const count = this.num();
    if (count < 0) return null;
    const values: { ttl: number; count: number }[] = new Array(count);
    for (let i = 0; i < count; i++) values[i] = { ttl: this.num(), count: this.num() };
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
    for (let k = 0; k < count; k++, o += PACKET_NUMBERS) packets[k] = readPacket(d, o);
    this.n = o;
    return packets;
  }

  /** A nullable number of a pair as rstLog.ts nullablePair takes it (negative for null: none of these is ever negative). */
  private pairPart(): number {
    const v = this.data[this.n++] ?? 0;
    return Number.isNaN(v) ? -1 : smiOrDouble(v);
  }

  private resets(): RstRecord[] {
    const count = this.num();
    const resets: RstRecord[] = new Array(count);
    const d = this.data;
    for (let k = 0; k < count; k++) {
      const o = this.n;
      this.n += PACKET_NUMBERS;
      const index = this.num();
      const payloadAt = this.num();
      // One literal in the tracker's field order (track/rstLog.ts rstOf: the packet's fields first,
      // then the RST's own), its pairs shared as rstOf shares them: Object.assign onto a packet
      // record took a second object and a property array per RST.
      resets[k] = {
        frame: smiOrDouble(d[o]),
        ts: smiOrDouble(d[o + 1]),
        direction: d[o + 2] === 1 ? 'resp' : 'orig',
        flags: smiOrDouble(d[o + 3]),
        seq: smiOrDouble(d[o + 4]),
        ack: smiOrDouble(d[o + 5]),
        win: smiOrDouble(d[o + 6]),
        ttl: smiOrDouble(d[o + 7]),
        ipId: smiOrDouble(d[o + 8]),
        df: d[o + 9] === 1,
        payloadLen: smiOrDouble(d[o + 10]),
        options: smiOrDouble(d[o + 11]),
        index,
        payload: payloadAt < 0 ? null : (this.objects[payloadAt] as Uint8Array),
        mptcpReason: this.num(),
        mptcpFlags: this.num(),
        reserved: this.num(),
        badChecksum: this.num(),
        checksum: this.num(),
        sentByCapturePoint: this.num() !== 0,
        context: this.rstContext(),
      };
    }
    return resets;
  }

  /** A RST's context as rstOf makes it. */
  private rstContext(): RstRecord['context'] {
    const pktsBefore = countPair(this.num(), this.num());
    const states = { orig: this.str<EndpointStateName>(), resp: this.str<EndpointStateName>() };
    const handshake = this.str<HandshakeStage>();
    const bits = this.num();
    return {
      pktsBefore,
      states,
      handshake,
      payload: boolPair(bits),
      fin: boolPair(bits >>> 2),
      lastFromSenderTs: this.nullable(),
      lastFromOtherTs: this.nullable(),
      sinceOther: this.nullable(),
      sincePrevious: this.nullable(),
      largestIdleGap: this.num(),
      nextSeq: nullablePair(this.pairPart(), this.pairPart()),
      acked: nullablePair(this.pairPart(), this.pairPart()),
      window: nullablePair(this.pairPart(), this.pairPart()),
      consecutiveRetransmissions: countPair(this.num(), this.num()),
      senderPrevIpId: this.num(),
    };
  }

  /** True once everything written into the batch was read. */
  get atEnd(): boolean {
    return this.n >= this.data.length;
  }

  /** What ConnPacker.code wrote. */
  code(): number {
    return this.num();
  }

  /** What ConnPacker.value wrote. */
  value(): unknown {
    return this.valueOf(this.num());
  }

  private valueOf(tag: number): unknown {
    switch (tag) {
      case TAG_NUMBER:
        return this.num();
      case TAG_STRING:
        return this.str();
      case TAG_TRUE:
        return true;
      case TAG_FALSE:
        return false;
      case TAG_NULL:
        return null;
      case TAG_UNDEFINED:
        return undefined;
      case TAG_STRINGS: {
        const count = this.num();
        const items: string[] = new Array(count);
        for (let i = 0; i < count; i++) items[i] = this.str();
        return items;
      }
      case TAG_CLONE:
        return this.objects[this.num()];
      default:
        throw new Error(`connPack: unknown tag ${tag}`);
    }
  }

  /** What ConnPacker.connection wrote: the connection, its fields in the tracker's order (track/finish.ts finishSlot). */
  connection(): FinishedConnection {
    return {
      id: this.str(),
      number: this.num(),
      capture: this.num(),
      ipVersion: this.num() === 6 ? 6 : 4,
      origAddr: this.str(),
      origPort: this.num(),
      respAddr: this.str(),
      respPort: this.num(),
      startTs: this.num(),
      lastTs: this.num(),
      lastPacketTs: this.num(),
      connState: this.str<ConnState>(),
      history: this.str(),
      orig: this.endpoint(),
      resp: this.endpoint(),
      flipped: this.bool(),
      reusedTuple: this.bool(),
      handshake: this.handshake(),
      largestIdleGap: this.num(),
      missedBytes: this.num(),
      weirds: this.strs<WeirdName>(),
      resets: this.resets(),
      resetsNotRecorded: this.num(),
      packets: this.packets(),
      keptPackets: this.num(),
      keptFirstFrame: this.num(),
      keptLastFrame: this.num(),
      keptFirstFlags: this.num(),
      origPairs: this.num(),
      origSingles: this.num(),
      respPairs: this.num(),
      respSingles: this.num(),
      packetsNotKept: this.num(),
      endReason: this.str<EndReason>(),
      tunnel: this.tunnel(),
    };
  }
}
