import type { CaptureRecord } from '../capture/record.js';
/**
 * The RST log: every RST (up to maxResetsPerConnection per connection) with a snapshot of its
 * connection just before the RST was processed, so explain can judge the RST against what the
 * endpoints had said so far. The packet fields live in the shared RecordPool (`state.rst`), the
 * snapshot beside them in `state.rstCtx`.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { st } from './endpoint.js';
import type { HandshakeStage, RstRecord } from './finished.js';
import {
  OPT_DF,
  REC_RESP,
  REC_STRIDE,
  R_ACK,
  R_FLAGS_WIN,
  R_FRAME,
  R_IP_ID,
  R_LEN,
  R_SEQ,
  R_TTL_OPT,
  allocRecord,
  fitSnapshots,
  flipChain,
  freeRecord,
  linkAfter,
  nextOf,
  writeRecord,
} from './recordPool.js';
import {
  E_DATA,
  F_SAW_HSACK,
  F_SAW_SYN,
  F_SAW_SYNACK,
  ORIG,
  RESP,
  type Side,
  type TrackState,
} from './state.js';
import { TCP_INACTIVE, endpointStateName } from './zeekState.js';

const HANDSHAKE_STAGES: readonly HandshakeStage[] = ['none', 'syn', 'syn_ack', 'complete', 'midstream'];

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** linux/if_packet.h PACKET_OUTGOING: in a Linux cooked capture, the capture host sent this packet. */
const SLL_OUTGOING = 4;

/** Records a RST sent by `side` with a snapshot of the connection; returns the RST's index within the connection. */
export function recordRst(s: TrackState, slot: number, side: Side, rec: CaptureRecord, pkt: DecodedPacket): number {
  const idx = s.rstCount[slot] ?? 0;
  s.rstCount[slot] = idx + 1;
  if (idx >= s.maxResets) return idx;
  const p = s.rst;
  const x = s.rstCtx;
  const r = allocRecord(p);
  fitSnapshots(x, p);
  const o = slot * 2 + ORIG;
  const rr = slot * 2 + RESP;
  const e = slot * 2 + side;
  writeRecord(p, r, rec, pkt, side === ORIG ? 0 : REC_RESP);
  x.index[r] = idx;
  x.mptcp[r] = pkt.optMptcpRstReason >= 0 ? (pkt.optMptcpRstReason & 255) | ((pkt.optMptcpRstFlags & 255) << 8) : -1;
  x.pkts[r * 2] = s.ePkts[o] ?? 0;
  x.pkts[r * 2 + 1] = s.ePkts[rr] ?? 0;
  x.states[r] = st(s, o) | (st(s, rr) << 4);
  const f = s.cFlags[slot] ?? 0;
  let stage = 0; // none
  if ((f & F_SAW_HSACK) !== 0) stage = 3;
  else if ((f & F_SAW_SYNACK) !== 0) stage = 2;
  else if ((f & F_SAW_SYN) !== 0) stage = 1;
  else if ((s.ePkts[o] ?? 0) + (s.ePkts[rr] ?? 0) > 0) stage = 4; // midstream
  x.bits[r] =
    stage |
    (((s.eMisc[o] ?? 0) & E_DATA) !== 0 ? 8 : 0) |
    (((s.eMisc[rr] ?? 0) & E_DATA) !== 0 ? 16 : 0) |
    ((s.eFin[o] ?? 0) > 0 ? 32 : 0) |
    ((s.eFin[rr] ?? 0) > 0 ? 64 : 0);
  x.lastSelf[r] = (s.ePkts[e] ?? 0) > 0 ? (s.eLastTime[e] ?? Number.NaN) : Number.NaN;
  x.lastOther[r] = (s.ePkts[e ^ 1] ?? 0) > 0 ? (s.eLastTime[e ^ 1] ?? Number.NaN) : Number.NaN;
  x.lastAny[r] = s.lastPktTs[slot] ?? Number.NaN;
  x.idleMax[r] = s.idleMax[slot] ?? 0;
  const seenO = st(s, o) !== TCP_INACTIVE;
  const seenR = st(s, rr) !== TCP_INACTIVE;
  x.nextSeq[r * 2] = seenO ? (s.eLast[o] ?? 0) : -1;
  x.nextSeq[r * 2 + 1] = seenR ? (s.eLast[rr] ?? 0) : -1;
  x.acked[r * 2] = seenO ? (s.eAck[o] ?? 0) : -1;
  x.acked[r * 2 + 1] = seenR ? (s.eAck[rr] ?? 0) : -1;
  const wo = s.eWin[o] ?? -1;
  const wr = s.eWin[rr] ?? -1;
  // The shift as a power of two by `<<` (at most 15): `2 **` compiled to a call of Math.pow's code, twice per RST.
  x.window[r * 2] = wo < 0 ? -1 : wo * (1 << ((s.eMisc[o] ?? 0) & 15));
  x.window[r * 2 + 1] = wr < 0 ? -1 : wr * (1 << ((s.eMisc[rr] ?? 0) & 15));
  x.consec[r] = ((s.eRxmtConsec[o] ?? 0) | ((s.eRxmtConsec[rr] ?? 0) << 16)) >>> 0;
  x.prevIpId[r] = s.eIpIdLast[e] ?? -1;
  x.reserved[r] = pkt.tcpReserved;
  x.badChecksum[r] = pkt.rstBadChecksum;
  x.checksum[r] = pkt.checksum;
  // PACKET_OUTGOING (4) in a Linux cooked capture: the capture host sent it; a bad checksum
  // holding the offload value (checksumGate.ts verifyRstChecksum) says the same of any capture.
  x.sentByCapturePoint[r] = pkt.sllPacketType === SLL_OUTGOING || pkt.rstChecksumOffloaded ? 1 : 0;
  if (pkt.payloadCaptured > 0 && s.rstPayloadBytes > 0) {
    const n = Math.min(pkt.payloadCaptured, s.rstPayloadBytes);
    const from = pkt.payloadOffset; // decoded offsets index rec.data directly
    s.rstPayload.set(r, rec.data.slice(from, from + n));
  }
  const tail = s.rstTail[slot] ?? -1;
  if (tail < 0) s.rstHead[slot] = r;
  else linkAfter(p, tail, r);
  s.rstTail[slot] = r;
  return idx;
}

/** Role flip: the recorded RSTs keep their true sender. */
export function flipResets(s: TrackState, slot: number): void {
  flipChain(s.rst, s.rstHead[slot] ?? -1);
}

/** An (orig, resp) pair of a RST's context. */
interface Pair<T> {
  readonly orig: T;
  readonly resp: T;
}

/**
 * The four boolean pairs, shared by every RST (frozen: no reader writes them): two objects less
 * per recorded RST, and nothing of them for a waiting connection to carry through scavenges.
 */
const BOOL_PAIRS: readonly Pair<boolean>[] = [0, 1, 2, 3].map((b) => Object.freeze({ orig: (b & 1) !== 0, resp: (b & 2) !== 0 }));

/** The shared pair of booleans: orig is bit 0 of `bits`, resp bit 1. */
export function boolPair(bits: number): Pair<boolean> {
  return BOOL_PAIRS[bits & 3] as Pair<boolean>;
}

/** The endpoint-state pairs (16 × 16 states), built once each when first met and shared (frozen). */
const STATE_PAIRS: (Pair<ReturnType<typeof endpointStateName>> | undefined)[] = new Array(256).fill(undefined);

function statePair(states: number): Pair<ReturnType<typeof endpointStateName>> {
  const k = states & 255;
  let pair = STATE_PAIRS[k];
  if (pair === undefined) {
    pair = Object.freeze({ orig: endpointStateName(k & 15), resp: endpointStateName(k >>> 4) });
    STATE_PAIRS[k] = pair;
  }
  return pair;
}

/** Count pairs up to SMALL_COUNTS - 1 on each side are shared (frozen): a probe's RST sees one or two packets. */
const SMALL_COUNTS = 8;
const COUNT_PAIRS: readonly Pair<number>[] = Array.from({ length: SMALL_COUNTS * SMALL_COUNTS }, (_, k) => Object.freeze({ orig: k % SMALL_COUNTS, resp: Math.floor(k / SMALL_COUNTS) }));

/** The pair (orig, resp) of counts, shared when both are small. */
export function countPair(orig: number, resp: number): Pair<number> {
  return orig < SMALL_COUNTS && resp < SMALL_COUNTS ? (COUNT_PAIRS[orig + resp * SMALL_COUNTS] as Pair<number>) : { orig, resp };
}

/** Both sides null (a pair of sides never seen), shared (frozen). */
const NULL_PAIR: Pair<number | null> = Object.freeze({ orig: null, resp: null });

/** The pair (orig, resp) of columns where a negative value means null. */
export function nullablePair(orig: number, resp: number): Pair<number | null> {
  return orig < 0 && resp < 0 ? NULL_PAIR : { orig: orig < 0 ? null : orig, resp: resp < 0 ? null : resp };
}

/** Entries of the recurring-pair cache (a power of two), and the shift that takes a hash's top bits. */
const PAIR_CACHE_SIZE = 1024;
const PAIR_CACHE_SHIFT = 32 - 10;
const pairKeyOrig = new Float64Array(PAIR_CACHE_SIZE).fill(Number.NaN); // NaN: empty (never equal)
const pairKeyResp = new Float64Array(PAIR_CACHE_SIZE);
const pairValues: (Pair<number | null> | undefined)[] = new Array<Pair<number | null> | undefined>(PAIR_CACHE_SIZE).fill(undefined);

/**
 * nullablePair for the scaled windows before a RST, which recur across connections (a side's
 * window is one of the few its operating system offers; a refused SYN's RST has the SYN's only):
 * shared pairs (frozen) from a small direct-mapped cache keyed by both values, instead of a pair
 * per RST. (Sequence and acknowledgement numbers start at random ISNs: never cached.)
 */
function recurringNullablePair(orig: number, resp: number): Pair<number | null> {
  if (orig < 0 && resp < 0) return NULL_PAIR;
  const i = Math.imul((orig | 0) ^ Math.imul(resp | 0, 0x9e3779b1), 0x85ebca6b) >>> PAIR_CACHE_SHIFT;
  const cached = pairValues[i];
  if (cached !== undefined && pairKeyOrig[i] === orig && pairKeyResp[i] === resp) return cached;
  const pair = Object.freeze(nullablePair(orig, resp));
  pairKeyOrig[i] = orig;
  pairKeyResp[i] = resp;
  pairValues[i] = pair;
  return pair;
}

/**
 * RST record `i` as an RstRecord: one literal (the packet's fields first, then the RST's own, the
 * order the JSON keeps), where Object.assign onto packetOf's record took a second object, a
 * property store each and an out-of-object property array per RST.
 */
function rstOf(s: TrackState, i: number): RstRecord {
  const x = s.rstCtx;
  const p = s.rst;
  const o = i * REC_STRIDE;
  const fw = p.d[o + R_FLAGS_WIN] ?? 0;
  const to = p.d[o + R_TTL_OPT] ?? 0;
  const opt = to >>> 8;
  const ts = p.ts[i] ?? 0;
  const states = x.states[i] ?? 0;
  const bits = x.bits[i] ?? 0;
  const mp = x.mptcp[i] ?? -1;
  const lastOther = nullIfNaN(x.lastOther[i] ?? Number.NaN);
  const lastAny = nullIfNaN(x.lastAny[i] ?? Number.NaN);
  const consec = x.consec[i] ?? 0;
  return {
    frame: (p.d[o + R_FRAME] ?? 0) >>> 0,
    ts,
    direction: (fw & REC_RESP) !== 0 ? 'resp' : 'orig',
    flags: fw & 0x1ff,
    seq: (p.d[o + R_SEQ] ?? 0) >>> 0,
    ack: (p.d[o + R_ACK] ?? 0) >>> 0,
    win: fw >>> 16,
    ttl: to & 255,
    ipId: p.d[o + R_IP_ID] ?? -1,
    df: (opt & OPT_DF) !== 0,
    payloadLen: p.d[o + R_LEN] ?? 0,
    options: opt & 0x7f,
    index: x.index[i] ?? 0,
    // Most RSTs carry no payload: no Map lookup while none is held.
    payload: s.rstPayload.size > 0 ? (s.rstPayload.get(i) ?? null) : null,
    mptcpReason: mp < 0 ? -1 : mp & 255,
    mptcpFlags: mp < 0 ? -1 : (mp >>> 8) & 255,
    reserved: x.reserved[i] ?? 0,
    badChecksum: x.badChecksum[i] ?? 0,
    checksum: x.checksum[i] ?? 0,
    sentByCapturePoint: (x.sentByCapturePoint[i] ?? 0) !== 0,
    context: {
      pktsBefore: countPair(x.pkts[i * 2] ?? 0, x.pkts[i * 2 + 1] ?? 0),
      states: statePair(states),
      handshake: HANDSHAKE_STAGES[bits & 7] ?? 'none',
      payload: BOOL_PAIRS[(bits >>> 3) & 3] as Pair<boolean>,
      fin: BOOL_PAIRS[(bits >>> 5) & 3] as Pair<boolean>,
      lastFromSenderTs: nullIfNaN(x.lastSelf[i] ?? Number.NaN),
      lastFromOtherTs: lastOther,
      sinceOther: lastOther === null ? null : ts - lastOther,
      sincePrevious: lastAny === null ? null : ts - lastAny,
      largestIdleGap: x.idleMax[i] ?? 0,
      nextSeq: nullablePair(x.nextSeq[i * 2] ?? -1, x.nextSeq[i * 2 + 1] ?? -1),
      acked: nullablePair(x.acked[i * 2] ?? -1, x.acked[i * 2 + 1] ?? -1),
      window: recurringNullablePair(x.window[i * 2] ?? -1, x.window[i * 2 + 1] ?? -1),
      consecutiveRetransmissions: countPair(consec & 0xffff, consec >>> 16),
      senderPrevIpId: x.prevIpId[i] ?? -1,
    },
  };
}

/**
 * The RST list of every connection without RSTs (most): one list, shared (nothing writes a
 * finished connection's list), of the map of the sized lists drainResets fills (holey, of
 * objects: made with one element, then emptied; an array never goes back to a narrower kind).
 * An empty literal per connection was an array of another map, and whichever of the two kinds
 * first reached code that reads the list after TurboFan compiled it deoptimised it ("wrong map":
 * learnFrom at the first unanswered probe, which finishes after the attempt timer, later than
 * the refused ones; --trace-deopt on the bench's mix). heldPack.ts and pipeline/connPack.ts
 * hand it out too for connections that come back from their rows.
 */
export const NO_RSTS: RstRecord[] = emptyObjectList<RstRecord>();

/** An empty array of the map of a sized array filled with objects (NO_RSTS). */
function emptyObjectList<T>(): T[] {
  const list = new Array<T>(1);
  list[0] = {} as T;
  list.length = 0;
  return list;
}

/** The connection's recorded RSTs in order; their records go back to the pool. */
export function drainResets(s: TrackState, slot: number): RstRecord[] {
  const head = s.rstHead[slot] ?? -1;
  if (head < 0) return NO_RSTS;
  // Sized once (a push onto an empty array reserves room for 17): the chain is counted first.
  let count = 0;
  for (let i = head; i >= 0; i = nextOf(s.rst, i)) count++;
  const resets = new Array<RstRecord>(count);
  let k = 0;
  for (let i = head; i >= 0; ) {
    resets[k++] = rstOf(s, i);
    const nx = nextOf(s.rst, i);
    if (s.rstPayload.size > 0) s.rstPayload.delete(i);
    freeRecord(s.rst, i);
    i = nx;
  }
  return resets;
}
