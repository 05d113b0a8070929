/**
 * Per-side state of a connection, as Zeek's TCP_Endpoint (src/analyzer/protocol/tcp/
 * TCP_Endpoint.{h,cc}): the passive state and the one before it, the sequence space the side
 * used (start, last, acked, with 32-bit wrap counts), and the size Zeek logs. An endpoint is an
 * index into the per-side columns of TrackState: `slot*2 + side`; its peer is `e ^ 1`.
 */
import { SEQ_SPACE, U64_SPACE, seqDelta, u32Less } from './seq.js';
import { E_DID_CLOSE, F_LEFT_HANDSHAKE, type TrackState } from './state.js';
import { TCP_INACTIVE, TCP_RESET, TCP_SYN_SENT, isHandshakeState } from './zeekState.js';

/** The endpoint's passive state (zeekState.ts TCP_*). */
export function st(s: TrackState, e: number): number {
  return (s.eState[e] ?? 0) & 15;
}

/** The state before the last change. */
export function prev(s: TrackState, e: number): number {
  return (s.eState[e] ?? 0) >>> 4;
}

/** TCP_Endpoint::SetState: also switches to tcp_inactivity_timeout when the handshake ends. */
export function setState(s: TrackState, slot: number, e: number, ns: number): void {
  const cur = st(s, e);
  if (ns === cur) return;
  if (!isHandshakeState(ns) && isHandshakeState(cur) && isHandshakeState(st(s, e ^ 1)))
    s.cFlags[slot] = (s.cFlags[slot] ?? 0) | F_LEFT_HANDSHAKE;
  s.eState[e] = (cur << 4) | ns;
}

/** The side already closed (TCP_Endpoint's did_close). */
export function didClose(s: TrackState, e: number): boolean {
  return ((s.eMisc[e] ?? 0) & E_DID_CLOSE) !== 0;
}

/**
 * TCPSessionAdapter::get_relative_seq (uint64 result; a negative delta maps above 2^63 as in C).
 * `cur` and `last` arrive as int32 (Smis, no HeapNumber per call) and are compared unsigned here.
 */
export function relativeSeq(s: TrackState, e: number, cur: number, last: number, wraps: number): number {
  const ucur = cur >>> 0;
  const ulast = last >>> 0;
  const delta = seqDelta(ucur, ulast);
  if (delta < 0) {
    if (wraps > 0 && u32Less(ulast, ucur)) wraps--;
  } else if (delta > 0) {
    if (u32Less(ucur, ulast)) wraps++;
  }
  const start = s.eStart[e] ?? 0;
  if (wraps === 0) {
    const d = seqDelta(ucur, start);
    if (d < 0) {
      s.underflow = true;
      return d + U64_SPACE;
    }
    return d;
  }
  return wraps * SEQ_SPACE + ucur - start;
}

/** TCP_Endpoint::Size. */
export function size(s: TrackState, e: number): number {
  // The three states compared on every call (no short-circuit): a comparison first reached after
  // TurboFan compiled this function had no type feedback and deoptimised it (--trace-deopt).
  const abortedStates =
    (prev(s, e) === TCP_SYN_SENT ? 1 : 0) + (st(s, e) === TCP_RESET ? 1 : 0) + (st(s, e ^ 1) === TCP_INACTIVE ? 1 : 0);
  // "This looks like a half-open connection was discovered and aborted."
  if (abortedStates === 3 && !noDataAcked(s, e)) return 0;
  const last64 = (s.eSeqWraps[e] ?? 0) * SEQ_SPACE + (s.eLast[e] ?? 0);
  const ack64 = (s.eAckWraps[e] ?? 0) * SEQ_SPACE + (s.eAck[e] ?? 0);
  let size = (last64 > ack64 ? last64 : ack64) - (s.eStart[e] ?? 0);
  if (size < 0) size += U64_SPACE; // uint64 arithmetic in Zeek
  if (size !== 0) size--; // the SYN octet
  // The FIN octet, taken off (or 0) on every call: the test and the decrement, reached only for a
  // side that sent a FIN, had no type feedback until the first such side finished, and deoptimised
  // this function when that came after TurboFan compiled it (--trace-deopt on the bench's mix).
  size -= ((s.eFin[e] ?? 0) > 0 ? 1 : 0) * (size !== 0 ? 1 : 0);
  return size;
}

/** TCP_Endpoint::NoDataAcked. */
export function noDataAcked(s: TrackState, e: number): boolean {
  const ack = (s.eAckWraps[e] ?? 0) * SEQ_SPACE + (s.eAck[e] ?? 0);
  const start = s.eStart[e] ?? 0;
  return ack === start || ack === start + 1;
}

/** TCP_Endpoint::UpdateLastSeq. `seq` arrives as int32 (a Smi across the call) and is compared unsigned. */
export function updateLastSeqRaw(s: TrackState, e: number, seq: number): void {
  seq >>>= 0;
  // TCP_Endpoint::UpdateLastSeq: a numerically smaller value means the space wrapped.
  if (u32Less(seq, s.eLast[e] ?? 0)) s.eSeqWraps[e] = ((s.eSeqWraps[e] ?? 0) + 1) & 0xffff;
  s.eLast[e] = seq;
}

/** TCP_Endpoint::UpdateAckSeq. `seq` arrives as int32 (a Smi across the call) and is compared unsigned. */
export function updateAckSeqRaw(s: TrackState, e: number, seq: number): void {
  seq >>>= 0;
  if (u32Less(seq, s.eAck[e] ?? 0)) s.eAckWraps[e] = ((s.eAckWraps[e] ?? 0) + 1) & 0xffff;
  s.eAck[e] = seq;
}
