/**
 * A finished connection packed into numbers while it waits for a host's hop distance
 * (deferral.ts): its scalar fields in a row of a Float64Array, its strings and shared objects as
 * references in a row of a plain array, and the same FinishedConnection built again, field for
 * field and in the tracker's field order (track/finish.ts finishSlot, rstLog.ts rstOf,
 * recordPool.ts packetOf, baselines.ts ttlBaseline), when it is released.
 *
 * Why: in a SYN flood or a scan of closed ports every connection waits (its server sends only
 * RSTs), DEFER_LIMIT of them at a time, so each one's ~30 objects outlived the young generation
 * and were copied twice and then marked in old space (session 8: ~4.7 µs per connection, nearly
 * all the collector's). A packed row costs the collector nothing; only the strings (id,
 * addresses, history) and the few pairs that are not shared stay referenced.
 *
 * A connection with more resets, packets or TTL values than a row holds is not packed
 * (`packable`); the deferral then holds the object itself.
 *
 * Built again, a connection's ~15 objects (~2.1 KB) were a third of what a flood allocated per
 * connection. Where the reader keeps nothing of the connection once it is explained (the explain
 * stage without `onFinished` or ladders), `unpackConnection(…, true)` writes the fields into one
 * graph of objects made by the first such call instead (`SpareGraph`), the same shapes field for
 * field, so nothing is allocated per released connection.
 */
import type { EndpointSummary, FinishedConnection, PacketRecord, RstRecord, TtlBaseline } from '../track/finished.js';
import { PACKET_NUMBERS, readPacket, refillPacket, smiOrDouble, writePacket } from '../track/packedPacket.js';
import { countPair, nullablePair } from '../track/rstLog.js';

/** Recorded RSTs a row holds (a refused SYN has one). */
export const MAX_HELD_RESETS = 2;
/** Kept packets a row holds (a refused SYN keeps two: the SYN and the RST). */
export const MAX_HELD_PACKETS = 4;
/** TTL values per side (ttlBaseline keeps up to four). */
const MAX_TTL_VALUES = 4;

// Numbers of a row: the connection's, each side's, each packet's, each RST's.
const CONN_NUMS = 28;
const SIDE_NUMS = 19 + 2 * MAX_TTL_VALUES;
const PACKET_NUMS = PACKET_NUMBERS;
const RST_NUMS = PACKET_NUMS + 7 + 6 + 10;
const SIDE_AT = CONN_NUMS;
const PACKETS_AT = SIDE_AT + 2 * SIDE_NUMS;
const RESETS_AT = PACKETS_AT + MAX_HELD_PACKETS * PACKET_NUMS;
/** Numbers per row. */
export const ROW_NUMS = RESETS_AT + MAX_HELD_RESETS * RST_NUMS;

// References of a row: the connection's, each side's, each RST's.
const CONN_REFS = 9;
const SIDE_REFS = 3;
const RST_REFS = 5;
const SIDE_REFS_AT = CONN_REFS;
const RESET_REFS_AT = SIDE_REFS_AT + 2 * SIDE_REFS;
/** References per row. */
export const ROW_REFS = RESET_REFS_AT + MAX_HELD_RESETS * RST_REFS;

/** True when `conn` fits a row. */
export function packable(conn: FinishedConnection): boolean {
  return (
    conn.resets.length <= MAX_HELD_RESETS &&
    conn.packets.length <= MAX_HELD_PACKETS &&
    (conn.orig.ttl === null || conn.orig.ttl.values.length <= MAX_TTL_VALUES) &&
    (conn.resp.ttl === null || conn.resp.ttl.values.length <= MAX_TTL_VALUES)
  );
}

/** null as NaN (the nullable numbers of a connection are never NaN themselves). */
function num(x: number | null): number {
  return x === null ? Number.NaN : x;
}

/** NaN as null. */
function orNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** NaN as null, a whole number as smiOrDouble() gives it. */
function intOrNull(x: number | undefined): number | null {
  const v = x ?? Number.NaN;
  return Number.isNaN(v) ? null : smiOrDouble(v);
}

/** null as -1 (what nullablePair reads as null; the pairs' numbers are never negative). */
function neg(x: number | null): number {
  return x === null ? -1 : x;
}

/** Writes one side's summary at `at` (numbers) and `ref` (references). */
function packSide(nums: Float64Array, at: number, refs: unknown[], ref: number, e: EndpointSummary): void {
  refs[ref] = e.state;
  refs[ref + 1] = e.prevState;
  refs[ref + 2] = e.ipId;
  nums[at] = e.size;
  nums[at + 1] = e.pkts;
  nums[at + 2] = e.ipBytes;
  nums[at + 3] = e.retransmissions;
  nums[at + 4] = e.zeroWindows;
  nums[at + 5] = e.gaps;
  nums[at + 6] = e.badChecksums;
  nums[at + 7] = e.finCount;
  nums[at + 8] = e.rstCount;
  nums[at + 9] = e.payloadSeen ? 1 : 0;
  nums[at + 10] = num(e.lastWindow);
  nums[at + 11] = e.windowScale;
  nums[at + 12] = num(e.startSeq);
  const ttl = e.ttl;
  if (ttl === null) {
    nums[at + 13] = -1;
    return;
  }
  const n = ttl.values.length;
  nums[at + 13] = n;
  nums[at + 14] = ttl.otherCount;
  nums[at + 15] = ttl.mostCommon;
  nums[at + 16] = ttl.initial;
  nums[at + 17] = ttl.hops;
  for (let i = 0; i < n; i++) {
    const v = ttl.values[i] as { ttl: number; count: number };
    nums[at + 19 + i * 2] = v.ttl;
    nums[at + 20 + i * 2] = v.count;
  }
}

/** The TTL baseline written at `at` (baselines.ts ttlBaseline's shape), or null. */
function unpackTtl(nums: Float64Array, at: number): TtlBaseline | null {
  const n = smiOrDouble(nums[at + 13] ?? -1);
  if (n < 0) return null;
  const values = new Array<{ ttl: number; count: number }>(n);
  for (let i = 0; i < n; i++) values[i] = { ttl: smiOrDouble(nums[at + 19 + i * 2]), count: smiOrDouble(nums[at + 20 + i * 2]) };
  return { values, otherCount: smiOrDouble(nums[at + 14]), mostCommon: smiOrDouble(nums[at + 15]), initial: smiOrDouble(nums[at + 16]), hops: smiOrDouble(nums[at + 17]) };
}

/** The side written at `at` / `ref` (track/finish.ts endpointSummary's field order). */
function unpackSide(nums: Float64Array, at: number, refs: unknown[], ref: number): EndpointSummary {
  return {
    state: refs[ref] as EndpointSummary['state'],
    prevState: refs[ref + 1] as EndpointSummary['prevState'],
    size: smiOrDouble(nums[at]),
    pkts: smiOrDouble(nums[at + 1]),
    ipBytes: smiOrDouble(nums[at + 2]),
    ttl: unpackTtl(nums, at),
    ipId: refs[ref + 2] as EndpointSummary['ipId'],
    retransmissions: smiOrDouble(nums[at + 3]),
    zeroWindows: smiOrDouble(nums[at + 4]),
    gaps: smiOrDouble(nums[at + 5]),
    badChecksums: smiOrDouble(nums[at + 6]),
    finCount: smiOrDouble(nums[at + 7]),
    rstCount: smiOrDouble(nums[at + 8]),
    payloadSeen: nums[at + 9] === 1,
    lastWindow: intOrNull(nums[at + 10]),
    windowScale: smiOrDouble(nums[at + 11]),
    startSeq: intOrNull(nums[at + 12]),
  };
}

/** Writes one RST at `at` / `ref`. */
function packReset(nums: Float64Array, at: number, refs: unknown[], ref: number, r: RstRecord): void {
  writePacket(nums, at, r);
  const c = r.context;
  let k = at + PACKET_NUMS;
  nums[k++] = r.index;
  nums[k++] = r.mptcpReason;
  nums[k++] = r.mptcpFlags;
  nums[k++] = r.reserved;
  nums[k++] = r.badChecksum;
  nums[k++] = r.checksum;
  nums[k++] = r.sentByCapturePoint ? 1 : 0;
  nums[k++] = num(c.lastFromSenderTs);
  nums[k++] = num(c.lastFromOtherTs);
  nums[k++] = num(c.sinceOther);
  nums[k++] = num(c.sincePrevious);
  nums[k++] = c.largestIdleGap;
  nums[k++] = c.senderPrevIpId;
  nums[k++] = c.pktsBefore.orig;
  nums[k++] = c.pktsBefore.resp;
  nums[k++] = neg(c.nextSeq.orig);
  nums[k++] = neg(c.nextSeq.resp);
  nums[k++] = neg(c.acked.orig);
  nums[k++] = neg(c.acked.resp);
  nums[k++] = neg(c.window.orig);
  nums[k++] = neg(c.window.resp);
  nums[k++] = c.consecutiveRetransmissions.orig;
  nums[k++] = c.consecutiveRetransmissions.resp;
  refs[ref] = r.payload;
  refs[ref + 1] = c.states;
  refs[ref + 2] = c.handshake;
  refs[ref + 3] = c.payload;
  refs[ref + 4] = c.fin;
}

/** The RST written at `at` / `ref` (track/rstLog.ts rstOf's field order; its pairs made as rstOf makes them). */
function unpackReset(nums: Float64Array, at: number, refs: unknown[], ref: number): RstRecord {
  const k = at + PACKET_NUMS;
  return {
    frame: smiOrDouble(nums[at]),
    ts: nums[at + 1] ?? 0,
    direction: nums[at + 2] === 1 ? 'resp' : 'orig',
    flags: smiOrDouble(nums[at + 3]),
    seq: smiOrDouble(nums[at + 4]),
    ack: smiOrDouble(nums[at + 5]),
    win: smiOrDouble(nums[at + 6]),
    ttl: smiOrDouble(nums[at + 7]),
    ipId: smiOrDouble(nums[at + 8]),
    df: nums[at + 9] === 1,
    payloadLen: smiOrDouble(nums[at + 10]),
    options: smiOrDouble(nums[at + 11]),
    index: smiOrDouble(nums[k]),
    payload: refs[ref] as Uint8Array | null,
    mptcpReason: smiOrDouble(nums[k + 1]),
    mptcpFlags: smiOrDouble(nums[k + 2]),
    reserved: smiOrDouble(nums[k + 3]),
    badChecksum: smiOrDouble(nums[k + 4]),
    checksum: smiOrDouble(nums[k + 5]),
    sentByCapturePoint: nums[k + 6] === 1,
    context: {
      pktsBefore: countPair(smiOrDouble(nums[k + 13]), smiOrDouble(nums[k + 14])),
      states: refs[ref + 1] as RstRecord['context']['states'],
      handshake: refs[ref + 2] as RstRecord['context']['handshake'],
      payload: refs[ref + 3] as RstRecord['context']['payload'],
      fin: refs[ref + 4] as RstRecord['context']['fin'],
      lastFromSenderTs: orNull(nums[k + 7] ?? Number.NaN),
      lastFromOtherTs: orNull(nums[k + 8] ?? Number.NaN),
      sinceOther: orNull(nums[k + 9] ?? Number.NaN),
      sincePrevious: orNull(nums[k + 10] ?? Number.NaN),
      largestIdleGap: nums[k + 11] ?? 0,
      nextSeq: nullablePair(smiOrDouble(nums[k + 15]), smiOrDouble(nums[k + 16])),
      acked: nullablePair(smiOrDouble(nums[k + 17]), smiOrDouble(nums[k + 18])),
      window: nullablePair(smiOrDouble(nums[k + 19]), smiOrDouble(nums[k + 20])),
      consecutiveRetransmissions: countPair(smiOrDouble(nums[k + 21]), smiOrDouble(nums[k + 22])),
      senderPrevIpId: smiOrDouble(nums[k + 12]),
    },
  };
}

/** Rewrites `t` (made by unpackTtl) with the baseline written at `at`, which is not null; its value objects are reused. */
function refillTtl(t: TtlBaseline, nums: Float64Array, at: number): TtlBaseline {
  const n = smiOrDouble(nums[at + 13]);
  const values = t.values as { ttl: number; count: number }[];
  for (let i = 0; i < n; i++) {
    const ttl = smiOrDouble(nums[at + 19 + i * 2]);
    const count = smiOrDouble(nums[at + 20 + i * 2]);
    const v = values[i];
    if (v === undefined) values.push({ ttl, count });
    else {
      v.ttl = ttl;
      v.count = count;
    }
  }
  if (values.length > n) values.length = n;
  t.otherCount = smiOrDouble(nums[at + 14]);
  t.mostCommon = smiOrDouble(nums[at + 15]);
  t.initial = smiOrDouble(nums[at + 16]);
  t.hops = smiOrDouble(nums[at + 17]);
  return t;
}

/** One side of the spare graph: its summary, and its own TTL baseline (attached when the side has one). */
interface SpareSide {
  e: EndpointSummary;
  ttl: TtlBaseline | null;
}

/** Rewrites side `x` with the side written at `at` / `ref` (unpackSide's fields). */
function refillSide(x: SpareSide, nums: Float64Array, at: number, refs: unknown[], ref: number): EndpointSummary {
  const e = x.e;
  e.state = refs[ref] as EndpointSummary['state'];
  e.prevState = refs[ref + 1] as EndpointSummary['prevState'];
  e.size = smiOrDouble(nums[at]);
  e.pkts = smiOrDouble(nums[at + 1]);
  e.ipBytes = smiOrDouble(nums[at + 2]);
  if (smiOrDouble(nums[at + 13] ?? -1) < 0) e.ttl = null;
  else {
    if (x.ttl === null) x.ttl = unpackTtl(nums, at);
    else refillTtl(x.ttl, nums, at);
    e.ttl = x.ttl;
  }
  e.ipId = refs[ref + 2] as EndpointSummary['ipId'];
  e.retransmissions = smiOrDouble(nums[at + 3]);
  e.zeroWindows = smiOrDouble(nums[at + 4]);
  e.gaps = smiOrDouble(nums[at + 5]);
  e.badChecksums = smiOrDouble(nums[at + 6]);
  e.finCount = smiOrDouble(nums[at + 7]);
  e.rstCount = smiOrDouble(nums[at + 8]);
  e.payloadSeen = nums[at + 9] === 1;
  e.lastWindow = intOrNull(nums[at + 10]);
  e.windowScale = smiOrDouble(nums[at + 11]);
  e.startSeq = intOrNull(nums[at + 12]);
  return e;
}

/** countPair's pair in the spare graph: the shared one it gives for small counts, else spare `pair` rewritten. */
function spareCounts(pair: { orig: number; resp: number }, orig: number, resp: number): { orig: number; resp: number } {
  // countPair gives its shared (frozen) pair for small counts, the same one each time; a fresh one
  // otherwise (two then, both dropped: rare). Compared, not Object.isFrozen (a C++ builtin call, ~170
  // instructions, twice per released flood connection).
  const made = countPair(orig, resp);
  if (made === countPair(orig, resp)) return made;
  pair.orig = orig;
  pair.resp = resp;
  return pair;
}

/** nullablePair's pair in the spare graph: the shared one of two nulls, else spare `pair` rewritten (where it makes a fresh one). */
function spareNullable(pair: { orig: number | null; resp: number | null }, orig: number, resp: number): { orig: number | null; resp: number | null } {
  if (orig < 0 && resp < 0) return nullablePair(orig, resp);
  pair.orig = orig < 0 ? null : orig;
  pair.resp = resp < 0 ? null : resp;
  return pair;
}

/** One RST of the spare graph and the pairs of its context it owns (the shared ones are not rewritten). */
interface SpareReset {
  r: RstRecord;
  pairs: { orig: number | null; resp: number | null }[];
}

/** Pairs a spare RST owns: pktsBefore, nextSeq, acked, window, consecutiveRetransmissions. */
const RESET_PAIRS = 5;

/** Rewrites spare RST `x` with the RST written at `at` / `ref` (unpackReset's fields). */
function refillReset(x: SpareReset, nums: Float64Array, at: number, refs: unknown[], ref: number): RstRecord {
  const r = x.r;
  const k = at + PACKET_NUMS;
  r.frame = smiOrDouble(nums[at]);
  r.ts = nums[at + 1] ?? 0;
  r.direction = nums[at + 2] === 1 ? 'resp' : 'orig';
  r.flags = smiOrDouble(nums[at + 3]);
  r.seq = smiOrDouble(nums[at + 4]);
  r.ack = smiOrDouble(nums[at + 5]);
  r.win = smiOrDouble(nums[at + 6]);
  r.ttl = smiOrDouble(nums[at + 7]);
  r.ipId = smiOrDouble(nums[at + 8]);
  r.df = nums[at + 9] === 1;
  r.payloadLen = smiOrDouble(nums[at + 10]);
  r.options = smiOrDouble(nums[at + 11]);
  r.index = smiOrDouble(nums[k]);
  r.payload = refs[ref] as Uint8Array | null;
  r.mptcpReason = smiOrDouble(nums[k + 1]);
  r.mptcpFlags = smiOrDouble(nums[k + 2]);
  r.reserved = smiOrDouble(nums[k + 3]);
  r.badChecksum = smiOrDouble(nums[k + 4]);
  r.checksum = smiOrDouble(nums[k + 5]);
  r.sentByCapturePoint = nums[k + 6] === 1;
  const c = r.context as { -readonly [K in keyof RstRecord['context']]: RstRecord['context'][K] };
  const p = x.pairs;
  c.pktsBefore = spareCounts(p[0] as { orig: number; resp: number }, smiOrDouble(nums[k + 13]), smiOrDouble(nums[k + 14]));
  c.states = refs[ref + 1] as RstRecord['context']['states'];
  c.handshake = refs[ref + 2] as RstRecord['context']['handshake'];
  c.payload = refs[ref + 3] as RstRecord['context']['payload'];
  c.fin = refs[ref + 4] as RstRecord['context']['fin'];
  c.lastFromSenderTs = orNull(nums[k + 7] ?? Number.NaN);
  c.lastFromOtherTs = orNull(nums[k + 8] ?? Number.NaN);
  c.sinceOther = orNull(nums[k + 9] ?? Number.NaN);
  c.sincePrevious = orNull(nums[k + 10] ?? Number.NaN);
  c.largestIdleGap = nums[k + 11] ?? 0;
  c.nextSeq = spareNullable(p[1] as { orig: number | null; resp: number | null }, smiOrDouble(nums[k + 15]), smiOrDouble(nums[k + 16]));
  c.acked = spareNullable(p[2] as { orig: number | null; resp: number | null }, smiOrDouble(nums[k + 17]), smiOrDouble(nums[k + 18]));
  c.window = spareNullable(p[3] as { orig: number | null; resp: number | null }, smiOrDouble(nums[k + 19]), smiOrDouble(nums[k + 20]));
  c.consecutiveRetransmissions = spareCounts(p[4] as { orig: number; resp: number }, smiOrDouble(nums[k + 21]), smiOrDouble(nums[k + 22]));
  c.senderPrevIpId = smiOrDouble(nums[k + 12]);
  return r;
}

/**
 * The objects `unpackConnection(…, true)` rewrites: a connection with its sides, handshake and
 * lists, spare RSTs and packets, all made once by the fresh unpack below (so they have its
 * shapes, which are the tracker's) and grown to the most a row holds. The lists are one per
 * length, so that no list is ever shortened or lengthened under a reader.
 */
interface SpareGraph {
  conn: FinishedConnection;
  orig: SpareSide;
  resp: SpareSide;
  resets: SpareReset[];
  packets: PacketRecord[];
  /** resetLists[n], packetLists[n]: a list of the first n spare RSTs / packets. */
  resetLists: RstRecord[][];
  packetLists: PacketRecord[][];
}

let spare: SpareGraph | null = null;

/** The spare graph, made from the connection in row `row` the first time. */
function spareGraph(nums: Float64Array, refs: unknown[], row: number): SpareGraph {
  if (spare !== null) return spare;
  const at = row * ROW_NUMS;
  const ref = row * ROW_REFS;
  const conn = unpackConnection(nums, refs, row, false);
  // Resets and packets copied from the row's own (or its first, repeated): only their shapes matter.
  const resets: SpareReset[] = [];
  const packets: PacketRecord[] = [];
  for (let i = 0; i < MAX_HELD_RESETS; i++) {
    const r = unpackReset(nums, at + RESETS_AT, refs, ref + RESET_REFS_AT);
    const pairs: { orig: number | null; resp: number | null }[] = [];
    // The literal nullablePair and countPair make (one shape for both).
    for (let j = 0; j < RESET_PAIRS; j++) pairs.push({ orig: 0, resp: 0 });
    resets.push({ r, pairs });
  }
  for (let i = 0; i < MAX_HELD_PACKETS; i++) packets.push(readPacket(nums, at + PACKETS_AT));
  // Made as the tracker makes its lists (track/rstLog.ts drainResets, packetRing.ts drainRing: sized, or an empty literal), so they share its lists' shape.
  const resetLists: RstRecord[][] = [[]];
  for (let n = 1; n <= MAX_HELD_RESETS; n++) {
    const list = new Array<RstRecord>(n);
    for (let i = 0; i < n; i++) list[i] = (resets[i] as SpareReset).r;
    resetLists.push(list);
  }
  const packetLists: PacketRecord[][] = [[]];
  for (let n = 1; n <= MAX_HELD_PACKETS; n++) {
    const list = new Array<PacketRecord>(n);
    for (let i = 0; i < n; i++) list[i] = packets[i] as PacketRecord;
    packetLists.push(list);
  }
  spare = { conn, orig: { e: conn.orig, ttl: conn.orig.ttl }, resp: { e: conn.resp, ttl: conn.resp.ttl }, resets, packets, resetLists, packetLists };
  return spare;
}

/** Rewrites the spare graph with the connection in row `row` (unpackConnection's fields). */
function refillConnection(nums: Float64Array, refs: unknown[], row: number): FinishedConnection {
  const g = spareGraph(nums, refs, row);
  const at = row * ROW_NUMS;
  const ref = row * ROW_REFS;
  const nResets = smiOrDouble(nums[at + 26]);
  const nPackets = smiOrDouble(nums[at + 27]);
  for (let i = 0; i < nResets; i++) refillReset(g.resets[i] as SpareReset, nums, at + RESETS_AT + i * RST_NUMS, refs, ref + RESET_REFS_AT + i * RST_REFS);
  for (let i = 0; i < nPackets; i++) refillPacket(g.packets[i] as PacketRecord, nums, at + PACKETS_AT + i * PACKET_NUMS);
  const bits = smiOrDouble(nums[at + 8]);
  const conn = g.conn as { -readonly [K in keyof FinishedConnection]: FinishedConnection[K] };
  conn.number = smiOrDouble(nums[at]);
  conn.capture = smiOrDouble(nums[at + 1]);
  conn.id = idOfRow(refs[ref], conn.capture, conn.number);
  conn.ipVersion = nums[at + 2] === 6 ? 6 : 4;
  conn.origAddr = refs[ref + 1] as string;
  conn.origPort = smiOrDouble(nums[at + 3]);
  conn.respAddr = refs[ref + 2] as string;
  conn.respPort = smiOrDouble(nums[at + 4]);
  conn.startTs = nums[at + 5] ?? 0;
  conn.lastTs = nums[at + 6] ?? 0;
  conn.lastPacketTs = nums[at + 7] ?? 0;
  conn.connState = refs[ref + 3] as FinishedConnection['connState'];
  conn.history = refs[ref + 4] as string;
  conn.orig = refillSide(g.orig, nums, at + SIDE_AT, refs, ref + SIDE_REFS_AT);
  conn.resp = refillSide(g.resp, nums, at + SIDE_AT + SIDE_NUMS, refs, ref + SIDE_REFS_AT + SIDE_REFS);
  conn.flipped = (bits & 1) !== 0;
  conn.reusedTuple = (bits & 2) !== 0;
  const h = conn.handshake as { -readonly [K in keyof FinishedConnection['handshake']]: FinishedConnection['handshake'][K] };
  h.stage = refs[ref + 5] as FinishedConnection['handshake']['stage'];
  h.synTs = orNull(nums[at + 9] ?? Number.NaN);
  h.synAckTs = orNull(nums[at + 10] ?? Number.NaN);
  h.ackTs = orNull(nums[at + 11] ?? Number.NaN);
  h.synToSynAck = orNull(nums[at + 12] ?? Number.NaN);
  h.synAckToAck = orNull(nums[at + 13] ?? Number.NaN);
  conn.largestIdleGap = nums[at + 14] ?? 0;
  conn.missedBytes = smiOrDouble(nums[at + 15]);
  conn.weirds = refs[ref + 6] as FinishedConnection['weirds'];
  conn.resets = g.resetLists[nResets] as RstRecord[];
  conn.resetsNotRecorded = smiOrDouble(nums[at + 16]);
  conn.packets = g.packetLists[nPackets] as PacketRecord[];
  conn.keptPackets = smiOrDouble(nums[at + 17]);
  conn.keptFirstFrame = smiOrDouble(nums[at + 18]);
  conn.keptLastFrame = smiOrDouble(nums[at + 19]);
  conn.keptFirstFlags = smiOrDouble(nums[at + 20]);
  conn.origPairs = smiOrDouble(nums[at + 21]);
  conn.origSingles = smiOrDouble(nums[at + 22]);
  conn.respPairs = smiOrDouble(nums[at + 23]);
  conn.respSingles = smiOrDouble(nums[at + 24]);
  conn.packetsNotKept = smiOrDouble(nums[at + 25]);
  conn.endReason = refs[ref + 7] as FinishedConnection['endReason'];
  conn.tunnel = refs[ref + 8] as FinishedConnection['tunnel'];
  return conn;
}

/** track/finish.ts connIdOf's id of connection `number` of capture `capture`: `C<number>`, or `C<capture>-<number>` past capture 0. */
export function numberedId(capture: number, number: number): string {
  return capture > 0 ? `C${capture}-${number}` : `C${number}`;
}

/** The decimal number `text` holds from `from` to `to` as `${n}` writes it (no sign, no leading zero), or -1. */
function decimalIn(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15 || (to - from > 1 && text.charCodeAt(from) === 0x30)) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * True when `id` is numberedId(capture, number) (read in place, no string built): the row then
 * keeps no reference to it, and the id is written again when the connection is released. Why: the
 * tracker's id string of a held connection outlived the young generation (DEFER_LIMIT connections
 * wait), so each was copied by two scavenges into old space; written again it dies young.
 */
export function isNumberedId(id: string, capture: number, number: number): boolean {
  if (id.charCodeAt(0) !== 0x43) return false;
  let from = 1;
  if (capture > 0) {
    const dash = id.indexOf('-');
    if (dash < 0 || decimalIn(id, 1, dash) !== capture) return false;
    from = dash + 1;
  }
  return decimalIn(id, from, id.length) === number;
}

/** The id reference of a row (null: numberedId of its capture and number). */
function idOfRow(idRef: unknown, capture: number, number: number): string {
  return idRef === null ? numberedId(capture, number) : (idRef as string);
}

/** Writes `conn` (packable) into row `row` of `nums` (ROW_NUMS per row) and `refs` (ROW_REFS per row). */
export function packConnection(conn: FinishedConnection, nums: Float64Array, refs: unknown[], row: number): void {
  const at = row * ROW_NUMS;
  const ref = row * ROW_REFS;
  const h = conn.handshake;
  nums[at] = conn.number;
  nums[at + 1] = conn.capture;
  nums[at + 2] = conn.ipVersion;
  nums[at + 3] = conn.origPort;
  nums[at + 4] = conn.respPort;
  nums[at + 5] = conn.startTs;
  nums[at + 6] = conn.lastTs;
  nums[at + 7] = conn.lastPacketTs;
  nums[at + 8] = (conn.flipped ? 1 : 0) | (conn.reusedTuple ? 2 : 0);
  nums[at + 9] = num(h.synTs);
  nums[at + 10] = num(h.synAckTs);
  nums[at + 11] = num(h.ackTs);
  nums[at + 12] = num(h.synToSynAck);
  nums[at + 13] = num(h.synAckToAck);
  nums[at + 14] = conn.largestIdleGap;
  nums[at + 15] = conn.missedBytes;
  nums[at + 16] = conn.resetsNotRecorded;
  nums[at + 17] = conn.keptPackets;
  nums[at + 18] = conn.keptFirstFrame;
  nums[at + 19] = conn.keptLastFrame;
  nums[at + 20] = conn.keptFirstFlags;
  nums[at + 21] = conn.origPairs;
  nums[at + 22] = conn.origSingles;
  nums[at + 23] = conn.respPairs;
  nums[at + 24] = conn.respSingles;
  nums[at + 25] = conn.packetsNotKept;
  nums[at + 26] = conn.resets.length;
  nums[at + 27] = conn.packets.length;
  refs[ref] = isNumberedId(conn.id, conn.capture, conn.number) ? null : conn.id;
  refs[ref + 1] = conn.origAddr;
  refs[ref + 2] = conn.respAddr;
  refs[ref + 3] = conn.connState;
  refs[ref + 4] = conn.history;
  refs[ref + 5] = h.stage;
  refs[ref + 6] = conn.weirds;
  refs[ref + 7] = conn.endReason;
  refs[ref + 8] = conn.tunnel;
  packSide(nums, at + SIDE_AT, refs, ref + SIDE_REFS_AT, conn.orig);
  packSide(nums, at + SIDE_AT + SIDE_NUMS, refs, ref + SIDE_REFS_AT + SIDE_REFS, conn.resp);
  for (let i = 0; i < conn.packets.length; i++) writePacket(nums, at + PACKETS_AT + i * PACKET_NUMS, conn.packets[i] as PacketRecord);
  for (let i = 0; i < conn.resets.length; i++) {
    packReset(nums, at + RESETS_AT + i * RST_NUMS, refs, ref + RESET_REFS_AT + i * RST_REFS, conn.resets[i] as RstRecord);
  }
}

/** Drops row `row`'s references (so that what it held can be collected). */
export function clearRefs(refs: unknown[], row: number): void {
  const ref = row * ROW_REFS;
  for (let i = 0; i < ROW_REFS; i++) refs[ref + i] = null;
}

/**
 * The connection packed into row `row`, built again (track/finish.ts finishSlot's field order);
 * with `reuse`, written into the spare graph instead (SpareGraph), which the next such call
 * rewrites: only for a reader that keeps no reference to it or to any object in it.
 */
export function unpackConnection(nums: Float64Array, refs: unknown[], row: number, reuse = false): FinishedConnection {
  if (reuse) return refillConnection(nums, refs, row);
  const at = row * ROW_NUMS;
  const ref = row * ROW_REFS;
  const nResets = smiOrDouble(nums[at + 26]);
  const nPackets = smiOrDouble(nums[at + 27]);
  const resets = new Array<RstRecord>(nResets);
  for (let i = 0; i < nResets; i++) resets[i] = unpackReset(nums, at + RESETS_AT + i * RST_NUMS, refs, ref + RESET_REFS_AT + i * RST_REFS);
  const packets: PacketRecord[] = nPackets > 0 ? new Array<PacketRecord>(nPackets) : [];
  for (let i = 0; i < nPackets; i++) packets[i] = readPacket(nums, at + PACKETS_AT + i * PACKET_NUMS);
  const bits = smiOrDouble(nums[at + 8]);
  const number = smiOrDouble(nums[at]);
  const capture = smiOrDouble(nums[at + 1]);
  return {
    id: idOfRow(refs[ref], capture, number),
    number,
    capture,
    ipVersion: nums[at + 2] === 6 ? 6 : 4,
    origAddr: refs[ref + 1] as string,
    origPort: smiOrDouble(nums[at + 3]),
    respAddr: refs[ref + 2] as string,
    respPort: smiOrDouble(nums[at + 4]),
    startTs: nums[at + 5] ?? 0,
    lastTs: nums[at + 6] ?? 0,
    lastPacketTs: nums[at + 7] ?? 0,
    connState: refs[ref + 3] as FinishedConnection['connState'],
    history: refs[ref + 4] as string,
    orig: unpackSide(nums, at + SIDE_AT, refs, ref + SIDE_REFS_AT),
    resp: unpackSide(nums, at + SIDE_AT + SIDE_NUMS, refs, ref + SIDE_REFS_AT + SIDE_REFS),
    flipped: (bits & 1) !== 0,
    reusedTuple: (bits & 2) !== 0,
    handshake: {
      stage: refs[ref + 5] as FinishedConnection['handshake']['stage'],
      synTs: orNull(nums[at + 9] ?? Number.NaN),
      synAckTs: orNull(nums[at + 10] ?? Number.NaN),
      ackTs: orNull(nums[at + 11] ?? Number.NaN),
      synToSynAck: orNull(nums[at + 12] ?? Number.NaN),
      synAckToAck: orNull(nums[at + 13] ?? Number.NaN),
    },
    largestIdleGap: nums[at + 14] ?? 0,
    missedBytes: smiOrDouble(nums[at + 15]),
    weirds: refs[ref + 6] as FinishedConnection['weirds'],
    resets,
    resetsNotRecorded: smiOrDouble(nums[at + 16]),
    packets,
    keptPackets: smiOrDouble(nums[at + 17]),
    keptFirstFrame: smiOrDouble(nums[at + 18]),
    keptLastFrame: smiOrDouble(nums[at + 19]),
    keptFirstFlags: smiOrDouble(nums[at + 20]),
    origPairs: smiOrDouble(nums[at + 21]),
    origSingles: smiOrDouble(nums[at + 22]),
    respPairs: smiOrDouble(nums[at + 23]),
    respSingles: smiOrDouble(nums[at + 24]),
    packetsNotKept: smiOrDouble(nums[at + 25]),
    endReason: refs[ref + 7] as FinishedConnection['endReason'],
    tunnel: refs[ref + 8] as FinishedConnection['tunnel'],
  };
}
