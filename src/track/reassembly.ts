/**
 * Zeek's reassembler, tracking sequence ranges only (no bytes): what each side delivered in order
 * (`last_reassem_seq`, here eReassem), what waits above a hole (ranges in `state.blocks`), what the
 * peer's ACKs trimmed (eTrim), and the content gaps an ACK reveals. Mirrors
 * src/analyzer/protocol/tcp/TCP_Reassembler.cc (DataSent, AckReceived, Undelivered, Gap, CheckEOF)
 * and src/Reassem.cc (NewBlock, BlockInserted, TrimToSeq), plus the adapter's EndpointEOF and
 * ConnectionClosed that CheckEOF calls back into (TCPSessionAdapter.cc).
 */
import { didClose, noDataAcked, prev, size, st } from './endpoint.js';
import { H_GAP, scaled } from './history.js';
import { SEQ_SPACE } from './seq.js';
import { E_DATA, E_DID_CLOSE, E_DID_EOF, E_SKIP, F_ACTIVE, F_CLOSE_DEFERRED, F_DEFERRED_GEN, F_PARTIAL, type TrackState } from './state.js';
import { W_ABOVE_HOLE, W_EXCESSIVE_DATA, W_PENDING_DATA_WHEN_CLOSED, setWeird } from './weirds.js';
import { TCP_CLOSED, TCP_ESTABLISHED, TCP_INACTIVE, TCP_RESET } from './zeekState.js';

const TCP_MAX_INITIAL_WINDOW = 16384; // init-bare.zeek tcp_max_initial_window
const TCP_MAX_ABOVE_HOLE = 16384; // tcp_max_above_hole_without_any_acks
const TCP_EXCESSIVE_DATA = 10 * 1024 * 1024; // tcp_excessive_data_without_further_acks

/** The ranges above a hole of endpoint `e`; no Map lookup while no connection has any (the common case, per packet). */
function blocksOf(s: TrackState, e: number): number[] | undefined {
  return s.blocks.size === 0 ? undefined : s.blocks.get(e);
}

/**
 * TCP_Reassembler::DataSent + Reassembler::NewBlock/BlockInserted, tracking sequence ranges
 * only (no bytes): what was delivered in order (last_reassem_seq), what waits above a hole.
 */
export function dataSent(s: TrackState, slot: number, e: number, seq: number, len: number): void {
  s.eMisc[e] = (s.eMisc[e] ?? 0) | E_DATA;
  if (((s.eMisc[e] ?? 0) & E_SKIP) !== 0) return;
  const ack = (s.eAckWraps[e] ?? 0) * SEQ_SPACE + (s.eAck[e] ?? 0) - (s.eStart[e] ?? 0);
  let upper = seq + len;
  if (seq < ack) {
    if (upper <= ack) return; // already delivered and acked
    seq = ack;
  }
  const trim = s.eTrim[e] ?? 1;
  if (upper <= trim) return;
  if (seq < trim) seq = trim;
  let reassem = s.eReassem[e] ?? 1;
  if (seq <= reassem) {
    if (upper > reassem) {
      reassem = upper;
      const bl = blocksOf(s, e);
      if (bl) {
        while (bl.length > 0 && (bl[0] ?? 0) <= reassem) {
          if ((bl[1] ?? 0) > reassem) reassem = bl[1] ?? 0;
          bl.splice(0, 2);
        }
        if (bl.length === 0) s.blocks.delete(e);
      }
      s.eReassem[e] = reassem;
      // BlockInserted: none of our data acked yet but a lot sent: stop holding it.
      if (noDataAcked(s, e) && size(s, e) > TCP_MAX_INITIAL_WINDOW) s.eTrim[e] = reassem;
    }
  } else {
    let bl = s.blocks.get(e);
    if (!bl) {
      bl = [];
      s.blocks.set(e, bl);
    }
    // Insert [seq, upper) into the sorted, merged list of ranges above the hole.
    let i = 0;
    while (i < bl.length && (bl[i + 1] ?? 0) < seq) i += 2;
    let j = i;
    while (j < bl.length && (bl[j] ?? 0) <= upper) {
      if ((bl[j] ?? 0) < seq) seq = bl[j] ?? 0;
      if ((bl[j + 1] ?? 0) > upper) upper = bl[j + 1] ?? 0;
      j += 2;
    }
    bl.splice(i, j - i, seq, upper);
  }
  const bl = blocksOf(s, e);
  if (bl && bl.length > 0) {
    const undelivered = (bl[bl.length - 1] ?? 0) - (s.eReassem[e] ?? 1);
    if (noDataAcked(s, e) && undelivered > TCP_MAX_ABOVE_HOLE) {
      setWeird(s, slot, W_ABOVE_HOLE);
      s.blocks.delete(e);
      s.eMisc[e] = (s.eMisc[e] ?? 0) | E_SKIP;
      return;
    }
  }
  let buffered = (s.eReassem[e] ?? 1) - (s.eTrim[e] ?? 1);
  if (bl) for (let i = 0; i < bl.length; i += 2) buffered += (bl[i + 1] ?? 0) - (bl[i] ?? 0);
  if (buffered > TCP_EXCESSIVE_DATA) {
    setWeird(s, slot, W_EXCESSIVE_DATA);
    s.blocks.delete(e);
    s.eMisc[e] = (s.eMisc[e] ?? 0) | E_SKIP;
  }
}

/** TCP_Reassembler::AckReceived + Reassembler::TrimToSeq for endpoint e's data. */
export function ackReceived(s: TrackState, slot: number, e: number, seq: number): void {
  if ((s.eFin[e] ?? 0) > 0 && seq >= (s.eFinSeq[e] ?? 0)) seq = (s.eFinSeq[e] ?? 0) - 1;
  if (seq <= (s.eTrim[e] ?? 1)) return;
  if ((s.eReassem[e] ?? 1) < seq) undelivered(s, slot, e, seq);
  s.eTrim[e] = seq;
  const bl = blocksOf(s, e);
  if (bl) {
    while (bl.length > 0 && (bl[1] ?? 0) <= seq) bl.splice(0, 2);
    if (bl.length === 0) s.blocks.delete(e);
  }
  checkEOF(s, slot, e);
}

/** TCP_Reassembler::Undelivered: holes below up_to become content gaps. */
function undelivered(s: TrackState, slot: number, e: number, upTo: number): void {
  if (upTo <= 2 && ((s.cFlags[slot] ?? 0) & F_PARTIAL) !== 0) {
    // The faked-up ISN of a partial connection: ignore (and, as Zeek, don't advance).
    return;
  }
  let reassem = s.eReassem[e] ?? 1;
  if (((s.eMisc[e] ?? 0) & E_SKIP) === 0) {
    const bl = s.blocks.get(e);
    if (bl) {
      while (bl.length > 0) {
        const lo = bl[0] ?? 0;
        const hi = bl[1] ?? 0;
        if (lo >= upTo) break;
        if (lo > reassem) gap(s, slot, e, lo - reassem);
        if (hi > reassem) reassem = hi;
        bl.splice(0, 2);
      }
      if (bl.length === 0) s.blocks.delete(e);
    }
    if (upTo > reassem) gap(s, slot, e, upTo - reassem);
  }
  if (upTo > reassem) reassem = upTo;
  s.eReassem[e] = reassem;
}

/** TCP_Reassembler::Gap: 'G'/'g' and missed_bytes only while both sides are cleanly established or closing. */
function gap(s: TrackState, slot: number, e: number, len: number): void {
  const clean = (x: number) =>
    st(s, x) === TCP_ESTABLISHED || (st(s, x) === TCP_CLOSED && prev(s, x) === TCP_ESTABLISHED);
  if (clean(e) && clean(e ^ 1)) {
    scaled(s, slot, e, s.eGap, H_GAP);
    s.missed[slot] = (s.missed[slot] ?? 0) + len;
  }
}

/** TCP_Reassembler::DataPending. */
function dataPending(s: TrackState, e: number): boolean {
  if (((s.eMisc[e] ?? 0) & E_SKIP) !== 0) return false;
  const delivered = (s.eStart[e] ?? 0) + (s.eReassem[e] ?? 1);
  const last = (s.eSeqWraps[e] ?? 0) * SEQ_SPACE + (s.eLast[e] ?? 0);
  if (last < delivered) return false;
  if (delivered !== last - 1 && delivered !== last) return true;
  // "If we've sent RST, then we can't send ACKs any more."
  if (st(s, e) !== TCP_RESET && s.blocks.size !== 0 && s.blocks.has(e ^ 1)) return true;
  return false;
}

/** TCP_Reassembler::CheckEOF. */
export function checkEOF(s: TrackState, slot: number, e: number): void {
  const m = s.eMisc[e] ?? 0;
  if ((m & E_DID_EOF) !== 0) return;
  const state = st(s, e);
  if (((s.eFin[e] ?? 0) > 0 || state === TCP_CLOSED || state === TCP_RESET) && !dataPending(s, e)) {
    s.eMisc[e] = m | E_DID_EOF;
    // TCPSessionAdapter::EndpointEOF
    const f = s.cFlags[slot] ?? 0;
    if ((f & F_CLOSE_DEFERRED) !== 0) {
      if (dataPending(s, e) && didClose(s, slot * 2) && didClose(s, slot * 2 + 1))
        setWeird(s, slot, W_PENDING_DATA_WHEN_CLOSED);
      connectionClosed(s, slot, e, e ^ 1, (f & F_DEFERRED_GEN) !== 0);
      s.cFlags[slot] = (s.cFlags[slot] ?? 0) & ~F_CLOSE_DEFERRED;
    }
  }
}

/** TCPSessionAdapter::ConnectionClosed. */
export function connectionClosed(s: TrackState, slot: number, e: number, peer: number, genEvent: boolean): void {
  let f = s.cFlags[slot] ?? 0;
  if (dataPending(s, e)) {
    // "Don't close out the connection yet, there's still data to deliver."
    f |= F_CLOSE_DEFERRED;
    if ((f & F_DEFERRED_GEN) === 0 && genEvent) f |= F_DEFERRED_GEN;
    s.cFlags[slot] = f;
    return;
  }
  f &= ~F_CLOSE_DEFERRED;
  s.cFlags[slot] = f;
  if (didClose(s, e)) return;
  s.eMisc[e] = (s.eMisc[e] ?? 0) | E_DID_CLOSE;
  const closeComplete = st(s, e) === TCP_RESET || didClose(s, peer) || st(s, peer) === TCP_INACTIVE;
  if (closeComplete) {
    if (prev(s, e) !== TCP_INACTIVE || st(s, peer) !== TCP_INACTIVE) {
      if ((f & F_DEFERRED_GEN) !== 0) {
        genEvent = true;
        f &= ~F_DEFERRED_GEN;
      }
      if (genEvent) f &= ~F_ACTIVE; // ConnectionFinished
      s.cFlags[slot] = f;
    }
    // CancelTimers(): the analyzer's timers; then ConnDeleteTimer at LastTime + tcp_close_delay.
    s.attemptAt[slot] = Number.POSITIVE_INFINITY;
    s.expireAt[slot] = Number.POSITIVE_INFINITY;
    s.expire2At[slot] = Number.POSITIVE_INFINITY;
    s.resetAt[slot] = Number.POSITIVE_INFINITY;
    s.deleteAt[slot] = (s.lastTs[slot] ?? 0) + s.closeDelay;
  } else if (prev(s, e) !== TCP_INACTIVE) {
    // ExpireTimer at LastTime + tcp_session_timer, to look for the other side closing too.
    // (For a side whose first packet was the FIN, Zeek only arms PartialCloseTimer when a
    // connection_partial_close handler exists; the default scripts have none.)
    s.expire2At[slot] = Math.min(
      s.expire2At[slot] ?? Number.POSITIVE_INFINITY,
      (s.lastTs[slot] ?? 0) + s.sessionTimer,
    );
  }
}

/** Drops the ranges waiting above a hole on both sides of the slot (a new or finished connection). */
export function forgetAboveHole(s: TrackState, slot: number): void {
  if (s.blocks.size === 0) return;
  s.blocks.delete(slot * 2);
  s.blocks.delete(slot * 2 + 1);
}

/** Role flip: the ranges above a hole follow their side. */
export function flipAboveHole(s: TrackState, slot: number): void {
  const o = slot * 2;
  const r = o + 1;
  const bo = s.blocks.get(o);
  const br = s.blocks.get(r);
  s.blocks.delete(o);
  s.blocks.delete(r);
  if (bo) s.blocks.set(r, bo);
  if (br) s.blocks.set(o, br);
}
