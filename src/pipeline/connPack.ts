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
import { NO_RSTS, boolPair, countPair, nullablePair } from '../track/rstLog.js';
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

/** Numbers of a reset besides its packet's PACKET_NUMBERS (ConnPacker resetsAt): 8 of its own, 20 of its context. */
const RST_OWN_NUMBERS = 28;
/** Numbers of a connection besides its endpoints, weirds, resets, packets and tunnel layers (ConnPacker.connection). */
const CONNECTION_FIXED_NUMBERS = 38;

/** Call sites of ConnPacker.siteIndex, each with its own last string: the connection's fields, a reset's, then each endpoint's three. */
const S_ORIG_ADDR = 0;
const S_RESP_ADDR = 1;
const S_CONN_STATE = 2;
const S_HISTORY = 3;
const S_HANDSHAKE = 4;
const S_END_REASON = 5;
const S_RST_STATE_ORIG = 6;
const S_RST_STATE_RESP = 7;
const S_RST_HANDSHAKE = 8;
/** An endpoint's state, previous state and IP ID pattern (ConnPacker endpointAt: site, site + 1, site + 2). */
const S_ORIG_ENDPOINT = 9;
const S_RESP_ENDPOINT = 12;
const SITES = 15;

/** A nullable number as written: NaN for null (none of these fields ever holds NaN). */
function orNaN(v: number | null): number {
  return v === null ? Number.NaN : v;
}

/** Numbers of an endpoint summary as ConnPacker writes it: ENDPOINT_NUMBERS, and two per distinct TTL. */
function endpointNumbers(e: EndpointSummary): number {
  return e.ttl === null ? ENDPOINT_NUMBERS - 4 : ENDPOINT_NUMBERS + 2 * e.ttl.values.length;
}

/** Exactly the numbers ConnPacker.connection writes for `c` (checked there as it writes). */
export function connectionNumbers(c: FinishedConnection): number {
  return (
    CONNECTION_FIXED_NUMBERS +
    endpointNumbers(c.orig) +
    endpointNumbers(c.resp) +
    c.weirds.length +
    c.resets.length * (PACKET_NUMBERS + RST_OWN_NUMBERS) +
    c.packets.length * PACKET_NUMBERS +
    (c.tunnel === null ? 0 : 5 * c.tunnel.length)
  );
}

/** A nullable number as written (orNaN) read back: null for NaN, else as smiOrDouble. */
function nullOrSmi(v: number | undefined): number | null {
  const x = v ?? 0;
  return Number.isNaN(x) ? null : smiOrDouble(x);
}

/** A nullable number of a pair as rstLog.ts nullablePair takes it (negative for null: none of these is ever negative). */
function pairPart(v: number | undefined): number {
  const x = v ?? 0;
  return Number.isNaN(x) ? -1 : smiOrDouble(x);
}

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
  /** The last string written at each call site of siteIndex, and its index in the batch's table. */
  private readonly lastStrings: (string | null)[] = new Array<string | null>(SITES).fill(null);
  private readonly lastIndices = new Int32Array(SITES);

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

  /**
   * The string's index in the batch's table, through a one-entry cache per call site (`site`,
   * one of the S_ constants): a connection's states, addresses and history mostly repeat the
   * previous connection's (on a SYN flood nearly all of them), and a comparison with the last
   * string of the same field is cheaper than the table's Map look-up.
   */
  private siteIndex(site: number, v: string): number {
    if (this.lastStrings[site] === v) return this.lastIndices[site] as number;
    const i = this.indexOf(v);
    this.lastStrings[site] = v;
    this.lastIndices[site] = i;
    return i;
  }

  /** An endpoint summary at `o` (endpointNumbers of it, room already made); the next free offset. */
  private endpointAt(d: Float64Array, o: number, e: EndpointSummary, site: number): number {
    const ttl = e.ttl;
    d[o++] = this.siteIndex(site, e.state);
    d[o++] = this.siteIndex(site + 1, e.prevState);
    d[o++] = e.size;
    d[o++] = e.pkts;
    d[o++] = e.ipBytes;
    if (ttl === null) d[o++] = -1;
    else {
      const values = ttl.values.length;
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
    d[o++] = this.siteIndex(site + 2, e.ipId);
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
    return o;
  }

  /** The resets at `o` (room already made: RST_NUMBERS each after their count); the next free offset. */
  private resetsAt(d: Float64Array, o: number, resets: readonly RstRecord[]): number {
    d[o++] = resets.length;
    for (let k = 0; k < resets.length; k++) {
      const r = resets[k] as RstRecord;
      writePacket(d, o, r);
      o += PACKET_NUMBERS;
      d[o++] = r.index;
      if (r.payload === null) d[o++] = -1;
      else {
        d[o++] = this.objects.length;
        this.objects.push(r.payload);
      }
      d[o++] = r.mptcpReason;
      d[o++] = r.mptcpFlags;
      d[o++] = r.reserved;
      d[o++] = r.badChecksum;
      d[o++] = r.checksum;
      d[o++] = r.sentByCapturePoint ? 1 : 0;
      const c = r.context;
      d[o++] = c.pktsBefore.orig;
      d[o++] = c.pktsBefore.resp;
      d[o++] = this.siteIndex(S_RST_STATE_ORIG, c.states.orig);
      d[o++] = this.siteIndex(S_RST_STATE_RESP, c.states.resp);
      d[o++] = this.siteIndex(S_RST_HANDSHAKE, c.handshake);
      d[o++] = (c.payload.orig ? 1 : 0) | (c.payload.resp ? 2 : 0) | (c.fin.orig ? 4 : 0) | (c.fin.resp ? 8 : 0);
      d[o++] = orNaN(c.lastFromSenderTs);
      d[o++] = orNaN(c.lastFromOtherTs);
      d[o++] = orNaN(c.sinceOther);
      d[o++] = orNaN(c.sincePrevious);
      d[o++] = c.largestIdleGap;
      d[o++] = orNaN(c.nextSeq.orig);
      d[o++] = orNaN(c.nextSeq.resp);
      d[o++] = orNaN(c.acked.orig);
      d[o++] = orNaN(c.acked.resp);
      d[o++] = orNaN(c.window.orig);
      d[o++] = orNaN(c.window.resp);
      d[o++] = c.consecutiveRetransmissions.orig;
      d[o++] = c.consecutiveRetransmissions.resp;
      d[o++] = c.senderPrevIpId;
    }
    return o;
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

  /**
   * A finished connection, whole: every field in FinishedConnection's order (ConnUnpacker.connection
   * reads them in the same order), written after one check for room (connectionNumbers, exact) at
   * an offset kept in a local — a call and a bounds check per number was most of packing's cost.
   */
  connection(c: FinishedConnection): void {
    const need = connectionNumbers(c);
    this.room(need);
    const d = this.data;
    const start = this.n;
    let o = start;
    d[o++] = this.strings.length; // the id: no other string of the batch equals it, so no look-up
    this.strings.push(c.id);
    d[o++] = c.number;
    d[o++] = c.capture;
    d[o++] = c.ipVersion;
    d[o++] = this.siteIndex(S_ORIG_ADDR, c.origAddr);
    d[o++] = c.origPort;
    d[o++] = this.siteIndex(S_RESP_ADDR, c.respAddr);
    d[o++] = c.respPort;
    d[o++] = c.startTs;
    d[o++] = c.lastTs;
    d[o++] = c.lastPacketTs;
    d[o++] = this.siteIndex(S_CONN_STATE, c.connState);
    d[o++] = this.siteIndex(S_HISTORY, c.history);
    o = this.endpointAt(d, o, c.orig, S_ORIG_ENDPOINT);
    o = this.endpointAt(d, o, c.resp, S_RESP_ENDPOINT);
    d[o++] = c.flipped ? 1 : 0;
    d[o++] = c.reusedTuple ? 1 : 0;
    const h = c.handshake;
    d[o++] = this.siteIndex(S_HANDSHAKE, h.stage);
    d[o++] = orNaN(h.synTs);
    d[o++] = orNaN(h.synAckTs);
    d[o++] = orNaN(h.ackTs);
    d[o++] = orNaN(h.synToSynAck);
    d[o++] = orNaN(h.synAckToAck);
    d[o++] = c.largestIdleGap;
    d[o++] = c.missedBytes;
    const weirds = c.weirds;
    d[o++] = weirds.length;
    for (let k = 0; k < weirds.length; k++) d[o++] = this.indexOf(weirds[k] as string);
    o = this.resetsAt(d, o, c.resets);
    d[o++] = c.resetsNotRecorded;
    const packets = c.packets;
    d[o++] = packets.length;
    for (let k = 0; k < packets.length; k++, o += PACKET_NUMBERS) writePacket(d, o, packets[k] as PacketRecord);
    d[o++] = c.keptPackets;
    d[o++] = c.keptFirstFrame;
    d[o++] = c.keptLastFrame;
    d[o++] = c.keptFirstFlags;
    d[o++] = c.origPairs;
    d[o++] = c.origSingles;
    d[o++] = c.respPairs;
    d[o++] = c.respSingles;
    d[o++] = c.packetsNotKept;
    d[o++] = this.siteIndex(S_END_REASON, c.endReason);
    const layers = c.tunnel;
    if (layers === null) d[o++] = -1;
    else {
      d[o++] = layers.length;
      for (const l of layers) {
        d[o++] = this.indexOf(l.type);
        d[o++] = this.indexOf(l.src);
        d[o++] = this.indexOf(l.dst);
        d[o++] = l.key === undefined ? Number.NaN : l.key;
        d[o++] = l.vni === undefined ? Number.NaN : l.vni;
      }
    }
    // A typed array drops a write past its end without a word: a connection that wrote other than
    // its count would corrupt the batch silently, so it fails here instead.
    if (o - start !== need) throw new Error(`connPack: a connection wrote ${o - start} numbers where ${need} were counted`);
    this.n = o;
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
    this.lastStrings.fill(null);
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

  /** An endpoint summary as track/finish.ts endpointSummary makes it, read at a local offset (ConnPacker endpointAt's layout). */
  private endpoint(): EndpointSummary {
    const d = this.data;
    const s = this.strings;
    let o = this.n;
    const state = s[d[o] as number] as EndpointStateName;
    const prevState = s[d[o + 1] as number] as EndpointStateName;
    const size = smiOrDouble(d[o + 2]);
    const pkts = smiOrDouble(d[o + 3]);
    const ipBytes = smiOrDouble(d[o + 4]);
    this.n = o + 5;
    const ttl = this.ttl();
    o = this.n;
    this.n = o + 11;
    return {
      state,
      prevState,
      size,
      pkts,
      ipBytes,
      ttl,
      ipId: s[d[o] as number] as EndpointSummary['ipId'],
      retransmissions: smiOrDouble(d[o + 1]),
      zeroWindows: smiOrDouble(d[o + 2]),
      gaps: smiOrDouble(d[o + 3]),
      badChecksums: smiOrDouble(d[o + 4]),
      finCount: smiOrDouble(d[o + 5]),
      rstCount: smiOrDouble(d[o + 6]),
      payloadSeen: d[o + 7] === 1,
      lastWindow: nullOrSmi(d[o + 8]),
      windowScale: smiOrDouble(d[o + 9]),
      startSeq: nullOrSmi(d[o + 10]),
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

  private resets(): RstRecord[] {
    const count = this.num();
    // A connection without RSTs gets the tracker's shared empty list (track/rstLog.ts NO_RSTS: one map for every list).
    const resets: RstRecord[] = count > 0 ? new Array(count) : NO_RSTS;
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

  /** A RST's context as rstOf makes it, read at a local offset (ConnPacker resetsAt's layout). */
  private rstContext(): RstRecord['context'] {
    const d = this.data;
    const s = this.strings;
    const o = this.n;
    this.n = o + 20;
    const bits = d[o + 5] as number;
    return {
      pktsBefore: countPair(smiOrDouble(d[o]), smiOrDouble(d[o + 1])),
      states: { orig: s[d[o + 2] as number] as EndpointStateName, resp: s[d[o + 3] as number] as EndpointStateName },
      handshake: s[d[o + 4] as number] as HandshakeStage,
      payload: boolPair(bits),
      fin: boolPair(bits >>> 2),
      lastFromSenderTs: nullOrSmi(d[o + 6]),
      lastFromOtherTs: nullOrSmi(d[o + 7]),
      sinceOther: nullOrSmi(d[o + 8]),
      sincePrevious: nullOrSmi(d[o + 9]),
      largestIdleGap: smiOrDouble(d[o + 10]),
      nextSeq: nullablePair(pairPart(d[o + 11]), pairPart(d[o + 12])),
      acked: nullablePair(pairPart(d[o + 13]), pairPart(d[o + 14])),
      window: nullablePair(pairPart(d[o + 15]), pairPart(d[o + 16])),
      consecutiveRetransmissions: countPair(smiOrDouble(d[o + 17]), smiOrDouble(d[o + 18])),
      senderPrevIpId: smiOrDouble(d[o + 19]),
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
