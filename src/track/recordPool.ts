/**
 * One pool of packet records, used twice: by every connection's packet ring (packetRing.ts) and
 * by the RST log (rstLog.ts). Records are rows of typed-array columns with a free list threaded
 * through `next`; a connection links its records into chains by the same field, so recording a
 * packet allocates nothing once the pool has grown.
 */
import type { CaptureRecord } from '../capture/record.js';
import { type DecodedPacket, TCP_RST } from '../decode/packet.js';
import { column, growColumns } from './columns.js';
import { OPT_MPTCP, OPT_MSS, OPT_SACK, OPT_SACK_PERMITTED, OPT_TIMESTAMP, OPT_UNKNOWN, OPT_WSCALE, type PacketRecord } from './finished.js';

/** `flags` bit: the record was sent by the endpoint now in the responder's slot. */
export const REC_RESP = 0x8000;
/** `flags` bit: a pinned head packet of a ring (never evicted). */
export const REC_PINNED = 0x4000;
/** `opt` bit: the IPv4 DF flag. */
export const OPT_DF = 0x80;

/** Int32 words a record takes in RecordPool.d, and the offset of each field among them. */
export const REC_STRIDE = 8;
/** Frame number (uint32, read with `>>> 0`). */
export const R_FRAME = 0;
/** TCP sequence number (uint32, read with `>>> 0`). */
export const R_SEQ = 1;
/** TCP acknowledgement number (uint32, read with `>>> 0`). */
export const R_ACK = 2;
/** TCP flags (9 bits) | REC_RESP | REC_PINNED in the low 16 bits, the raw window in the high 16. */
export const R_FLAGS_WIN = 3;
/** TCP payload length. */
export const R_LEN = 4;
/** IPv4 ID, -1 for IPv6. */
export const R_IP_ID = 5;
/** TTL (hop limit) | (OPT_* | DF << 7) << 8. */
export const R_TTL_OPT = 6;
/** Next record of the chain (or of the free list), -1 at the end. */
export const R_NEXT = 7;

/** A pool of packet records; see the file comment. */
export class RecordPool {
  /** Records the pool may grow to; allocation fails beyond. */
  readonly limit: number;
  /** Records the pool first grows to. */
  readonly minCap: number;
  cap = 0;
  /** Head of the free list, -1 if empty. */
  nextFree = -1;
  /** Records ever handed out (the rest of `cap` was never used). */
  high = 0;
  /** Records in use. */
  live = 0;
  /** Packets not recorded because the pool was at its limit. */
  dropped = 0;
  /** Records of held connections (heldConns.ts), given back but still counted against the limit. */
  held = 0;

  ts = column(Float64Array);
  /**
   * The record's other fields, REC_STRIDE int32 words a record (the R_* offsets): one array
   * instead of ten, so writing a packet loads one view and its bounds once rather than ten
   * (writeRecord ran ~200 instructions a packet over ten columns; callgrind, 32 MiB mix).
   */
  d = column(Int32Array, 8);

  constructor(limit: number, minCap: number) {
    this.limit = limit;
    this.minCap = minCap;
    // Each written twice, so that V8 takes them as mutable from the start: a field stored once
    // counts as constant, and optimised code that read it while constant was deoptimised by its
    // first later store ("code dependencies"). nextFree's first store is the first finished
    // connection's records coming back, after TurboFan compiled observe (which inlines
    // allocRecord): observe was deoptimised and compiled again early in every run (~26M
    // instructions of compilation, callgrind, 128 MiB mix). held and dropped change as late.
    this.nextFree = 0;
    this.nextFree = -1;
    this.held = 1;
    this.held = 0;
    this.dropped = 1;
    this.dropped = 0;
  }
}

/** Takes a record from the pool, growing it; -1 when the pool is at its limit. */
export function allocRecord(p: RecordPool): number {
  // Held connections' records come back when they are unpacked: room is kept for them.
  if (p.live + p.held >= p.limit) return -1;
  // The free list's head and its successor are read, and the head written, on every call: read
  // only when a record had been freed, they had no type feedback until a connection first
  // finished, after TurboFan had compiled observe (which inlines this), and deoptimised it.
  const i = p.nextFree;
  const next = p.d[(i < 0 ? 0 : i) * 8 + 7] ?? -1; // R_NEXT (literal offsets here: see writeRecord)
  p.nextFree = i < 0 ? -1 : next;
  const fromFree = i >= 0;
  if (!fromFree && p.high >= p.cap && !growPool(p)) return -1;
  p.live++;
  return fromFree ? i : p.high++;
}

/** Doubles the pool (at least to minCap, at most to limit); false when it is at its limit. */
function growPool(p: RecordPool): boolean {
  if (p.cap >= p.limit) return false;
  const n = Math.min(p.limit, Math.max(p.minCap, p.cap * 2));
  growColumns(p, n);
  p.cap = n;
  return true;
}

/** Returns record `i` to the pool's free list. */
export function freeRecord(p: RecordPool, i: number): void {
  p.d[i * 8 + 7] = p.nextFree; // R_NEXT
  p.nextFree = i;
  p.live--;
}

/**
 * Fills record `r` with the packet's fields (its time is the record's); `bits` are REC_RESP /
 * REC_PINNED. The record ends its chain. The offsets are written as literals (REC_STRIDE 8, the
 * R_* order above): in the esbuild bundle every top-level constant is a `var` of the bundle's
 * scope, a context load per use in optimised code. `o | k` for `o + k` (o is a multiple of 8):
 * a bitwise or needs no overflow check.
 */
export function writeRecord(p: RecordPool, r: number, rec: CaptureRecord, pkt: DecodedPacket, bits: number): void {
  p.ts[r] = rec.ts;
  const d = p.d;
  const o = r << 3;
  d[o] = rec.frame | 0; // R_FRAME
  d[o | 1] = pkt.seq | 0; // R_SEQ
  d[o | 2] = pkt.ack | 0; // R_ACK
  d[o | 3] = (pkt.flags & 0x1ff) | bits | (pkt.win << 16); // R_FLAGS_WIN
  d[o | 4] = pkt.payloadLength; // R_LEN
  d[o | 5] = pkt.ipVersion === 4 ? pkt.ipId & 0xffff : -1; // R_IP_ID
  // OPT_* bits of the TCP options, DF in bit 7 (written out: one call less on the per-packet path).
  let opt = 0;
  if (pkt.optMss >= 0) opt |= OPT_MSS;
  if (pkt.optWscale >= 0) opt |= OPT_WSCALE;
  // `=== true`: a pointer compare, where a truth test of a field TurboFan cannot type compiled to
  // the generic ToBoolean (false, "", undetectable, number and bigint checks).
  if (pkt.optSackPermitted === true) opt |= OPT_SACK_PERMITTED;
  if (pkt.optTimestamp === true) opt |= OPT_TIMESTAMP;
  if (pkt.optSackCount > 0) opt |= OPT_SACK;
  if (pkt.optMptcpSubtype >= 0) opt |= OPT_MPTCP;
  if (pkt.unknownOptionCount > 0) opt |= OPT_UNKNOWN;
  if (pkt.df === true) opt |= OPT_DF;
  d[o | 6] = (pkt.ttl & 255) | (opt << 8); // R_TTL_OPT
  d[o | 7] = -1; // R_NEXT
}

/** The next record of record `i`'s chain, -1 at its end. */
export function nextOf(p: RecordPool, i: number): number {
  return p.d[i * REC_STRIDE + R_NEXT] ?? -1;
}

/** Links record `next` after record `i` in its chain. */
export function linkAfter(p: RecordPool, i: number, next: number): void {
  p.d[i * REC_STRIDE + R_NEXT] = next;
}

/** Record `i`'s frame number. */
export function frameOf(p: RecordPool, i: number): number {
  return (p.d[i * REC_STRIDE + R_FRAME] ?? 0) >>> 0;
}

/** Record `i`'s TCP flags (9 bits) | REC_RESP | REC_PINNED. */
export function flagsOf(p: RecordPool, i: number): number {
  return (p.d[i * REC_STRIDE + R_FLAGS_WIN] ?? 0) & 0xffff;
}

/** Record `i` as a PacketRecord. */
export function packetOf(p: RecordPool, i: number): PacketRecord {
  const d = p.d;
  const o = i * REC_STRIDE;
  const fw = d[o + R_FLAGS_WIN] ?? 0;
  const to = d[o + R_TTL_OPT] ?? 0;
  return {
    frame: (d[o + R_FRAME] ?? 0) >>> 0,
    ts: p.ts[i] ?? 0,
    direction: (fw & REC_RESP) !== 0 ? 'resp' : 'orig',
    flags: fw & 0x1ff,
    seq: (d[o + R_SEQ] ?? 0) >>> 0,
    ack: (d[o + R_ACK] ?? 0) >>> 0,
    win: fw >>> 16,
    ttl: to & 255,
    ipId: d[o + R_IP_ID] ?? -1,
    df: ((to >>> 8) & OPT_DF) !== 0,
    payloadLen: d[o + R_LEN] ?? 0,
    options: (to >>> 8) & 0x7f,
  };
}

/**
 * True when record `b` is record `a` seen again after one forwarding hop: the record form of
 * explain/context.ts isForwardedTwin (same sender, seq, ack, flags, IP ID and payload length, TTL
 * one lower, within a second), for connections whose packets are never built as objects.
 */
function forwardedTwinRecords(p: RecordPool, a: number, b: number): boolean {
  const d = p.d;
  const oa = a << 3; // REC_STRIDE 8; `o | k` for `o + k`: see writeRecord
  const ob = b << 3;
  // The TTL first: one lower is what is rare between two packets of a side, so most pairs stop here.
  return (
    ((d[ob | 6] ?? 0) & 255) === ((d[oa | 6] ?? 0) & 255) - 1 && // R_TTL_OPT
    ((d[oa | 3] ?? 0) & (0x1ff | REC_RESP)) === ((d[ob | 3] ?? 0) & (0x1ff | REC_RESP)) && // R_FLAGS_WIN
    d[oa | 1] === d[ob | 1] && // R_SEQ
    d[oa | 2] === d[ob | 2] && // R_ACK
    d[oa | 5] === d[ob | 5] && // R_IP_ID
    d[oa | 4] === d[ob | 4] && // R_LEN
    Math.abs((p.ts[b] ?? 0) - (p.ts[a] ?? 0)) < 1
  );
}

/**
 * Of the records `order[0..n)` (a connection's kept packets in capture order), the non-RST ones
 * sent by the side `dirBit` (0 or REC_RESP) seen as forwarded pairs and seen once: the record
 * form of explain/context.ts forwardingCounts, written to `out[0]` (pairs) and `out[1]` (singles)
 * so that nothing is allocated.
 */
export function forwardingCountsOf(p: RecordPool, order: Int32Array, n: number, dirBit: number, out: Int32Array): void {
  let pairs = 0;
  let singles = 0;
  const d = p.d;
  for (let k = 0; k < n; k++) {
    const i = order[k] ?? 0;
    const fl = d[(i << 3) | 3] ?? 0; // R_FLAGS_WIN
    if ((fl & REC_RESP) !== dirBit || (fl & TCP_RST) !== 0) continue;
    if (k + 1 < n && forwardedTwinRecords(p, i, order[k + 1] ?? 0)) pairs++;
    else if (k > 0 && forwardedTwinRecords(p, order[k - 1] ?? 0, i)) continue;
    else singles++;
  }
  out[0] = pairs;
  out[1] = singles;
}

/** Flips the sender of every record of the chain starting at `head` (a role flip: records keep their true sender). */
export function flipChain(p: RecordPool, head: number): void {
  for (let i = head; i >= 0; i = nextOf(p, i)) {
    const k = i * REC_STRIDE + R_FLAGS_WIN;
    p.d[k] = (p.d[k] ?? 0) ^ REC_RESP;
  }
}

/** What the RST log keeps beside each RST record (same index as its record in the RST pool): the connection just before the RST. */
export class RstSnapshots {
  cap = 0;
  /** 0-based index of the RST within its connection. */
  index = column(Uint32Array);
  /** MPTCP MP_TCPRST reason | flags << 8, -1 none. */
  mptcp = column(Int32Array);
  /** Two entries per record, [orig, resp] as below: packets sent before the RST. */
  pkts = column(Uint32Array, 2);
  /** Endpoint states: orig | resp << 4. */
  states = column(Uint8Array);
  /** Handshake stage (3 bits) | payload seen orig 8, resp 16 | FIN sent orig 32, resp 64. */
  bits = column(Uint8Array);
  lastSelf = column(Float64Array);
  lastOther = column(Float64Array);
  lastAny = column(Float64Array);
  idleMax = column(Float32Array);
  /** Next sequence number expected from each side, -1 if unknown. */
  nextSeq = column(Float64Array, 2);
  /** Highest ack from each side, -1 if unknown. */
  acked = column(Float64Array, 2);
  /** Last scaled window of each side, -1 if unknown. */
  window = column(Float64Array, 2);
  /** Consecutive retransmissions: orig | resp << 16. */
  consec = column(Uint32Array);
  prevIpId = column(Int32Array);
  /** The RST's TCP reserved bits (DecodedPacket.tcpReserved). */
  reserved = column(Uint8Array);
  /** The RST's checksum verdict under -C (DecodedPacket.rstBadChecksum: 0, 1 IPv4 header, 2 TCP). */
  badChecksum = column(Uint8Array);
  /** The RST's TCP checksum field as captured. */
  checksum = column(Uint16Array);
  /** 1 when the capture point is the RST's sender (SLL outgoing, or a checksum-offload value). */
  sentByCapturePoint = column(Uint8Array);
}

/** Grows the snapshots to cover every record of `pool`. */
export function fitSnapshots(x: RstSnapshots, pool: RecordPool): void {
  if (x.cap >= pool.cap) return;
  growColumns(x, pool.cap);
  x.cap = pool.cap;
}
