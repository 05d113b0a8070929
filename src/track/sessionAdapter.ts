/**
 * The per-packet TCP state machine, a line-by-line port of Zeek's TCPSessionAdapter
 * (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc): Process, init_endpoint, init_peer,
 * update_last_seq, the Update*State arms, FlipRoles and IsReuse. Endpoint indices are
 * `slot*2 + side` (endpoint.ts); weirds are Zeek's names (weirds.ts).
 */
import type { CaptureRecord } from '../capture/record.js';
import { type DecodedPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from '../decode/packet.js';
import { swapSides } from './columns.js';
import {
  didClose,
  prev,
  relativeSeq,
  setState,
  size,
  st,
  updateAckSeqRaw,
  updateLastSeqRaw,
} from './endpoint.js';
import { H_FLIPPED, H_RETRANSMIT, H_SYN_ACK, H_ZERO_WINDOW, addHistory, scaled, updateHistory } from './history.js';
import { flipRing } from './packetRing.js';
import { ackReceived, checkEOF, connectionClosed, dataSent, flipAboveHole } from './reassembly.js';
import { flipResets } from './rstLog.js';
import { seqBetween, seqDelta } from './seq.js';
import { F_ACTIVE, F_FLIPPED, F_FPS_ORIG, F_FPS_RESP, F_PARTIAL, F_SAW_SYN, F_SYN_BY_RESP, HIST_INLINE, ORIG, type Side, type TrackState } from './state.js';
import { W_ACK_UNDERFLOW, W_ACTIVE_CONNECTION_REUSE, W_BAD_SYN_ACK, W_BAROQUE_SYN, W_DATA_AFTER_RESET, W_DATA_BEFORE_ESTABLISHED, W_FIN_ADVANCED_LAST_SEQ, W_FIN_AFTER_RESET, W_FIN_STORM, W_INAPPROPRIATE_FIN, W_ORIGINATOR_SYN_ACK, W_POSSIBLE_SPLIT_ROUTING, W_PREMATURE_CONNECTION_REUSE, W_REPEATED_SYN_REPLY_WO_ACK, W_REPEATED_SYN_WITH_ACK, W_RST_STORM, W_SCALE_RANGE, W_SEQ_UNDERFLOW, W_SIMULTANEOUS_OPEN, W_SPONTANEOUS_FIN, W_SPONTANEOUS_RST, W_SYN_AFTER_CLOSE, W_SYN_AFTER_PARTIAL, W_SYN_AFTER_RESET, W_SYN_INSIDE_CONNECTION, W_SYN_SEQ_JUMP, W_SYN_WITH_DATA, W_TCP_CHRISTMAS, W_TRUNCATED_PAYLOAD, W_UNSOLICITED_SYN_RESPONSE, didWeird, setWeird } from './weirds.js';
import { TCP_CLOSED, TCP_ESTABLISHED, TCP_INACTIVE, TCP_PARTIAL, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from './zeekState.js';

const TOO_LARGE_SEQ_DELTA = 1048576; // TCPSessionAdapter.cc
const TCP_STORM_THRESH = 1000; // init-bare.zeek tcp_storm_thresh
const TCP_STORM_INTERARRIVAL = 1; // tcp_storm_interarrival_thresh

/**
 * TCPSessionAdapter::Process for one packet. Returns the sender's endpoint index after
 * processing (a SYN/SYN-ACK reversal flips the roles in the middle). The packet's time is read
 * from `rec` where it is used: a double passed as an argument is boxed (a HeapNumber) per call.
 */
export function process(s: TrackState, slot: number, side: Side, pkt: DecodedPacket, rec: CaptureRecord): number {
  const flags = pkt.flags;
  const t = rec.ts;
  const SYN = (flags & TCP_SYN) !== 0;
  const FIN = (flags & TCP_FIN) !== 0;
  const RST = (flags & TCP_RST) !== 0;
  const ACK = (flags & TCP_ACK) !== 0;
  const baseSeq = pkt.seq >>> 0;
  const ackSeq = pkt.ack >>> 0;
  const len = pkt.payloadLength;
  let ep = slot * 2 + side;
  let peer = ep ^ 1;

  // TCPSessionAdapter::SetPartialStatus (written out: TurboFan's inlining budget for this
  // function runs out before it, and a call per packet showed in callgrind).
  const cf = s.cFlags[slot] ?? 0;
  if (side === ORIG) {
    if ((cf & F_FPS_ORIG) === 0) s.cFlags[slot] = !SYN || ACK ? cf | F_PARTIAL : cf & ~F_PARTIAL;
  } else if ((cf & F_FPS_RESP) === 0 && (cf & F_PARTIAL) === 0) {
    if (!SYN) s.cFlags[slot] = cf | F_PARTIAL;
  }

  // get_segment_len: SYN and FIN take a sequence number; a RST's payload is not stream data.
  const segLen = len + (SYN ? 1 : 0) + (FIN ? 1 : 0) - (RST ? len : 0);
  const seqOnePast = (baseSeq + segLen) >>> 0;
  initEndpoint(s, slot, ep, SYN, baseSeq | 0, seqOnePast | 0);

  s.underflow = false;
  const relSeq = relativeSeq(s, ep, baseSeq | 0, (s.eLast[ep] ?? 0) | 0, s.eSeqWraps[ep] ?? 0);
  const seqUnderflow = s.underflow;
  if (seqUnderflow && !RST) setWeird(s, slot, W_SEQ_UNDERFLOW);

  // TCP_Endpoint::CheckHistory: a connection whose history is just "H" flips on its first pure
  // ACK or data segment, from either side (see flipAfterSynAck).
  if (!SYN && !FIN && !RST && (len > 0 || ACK) && (s.hist[slot * (HIST_INLINE + 1)] ?? 0) === 1 && flipAfterSynAck(s, slot)) {
    ep ^= 1;
    peer ^= 1;
  }
  updateHistory(s, slot, ep, SYN, FIN, RST, ACK, (baseSeq - (s.eStart[ep] ?? 0)) | 0, len);

  // update_window: a zero window is interesting unless it comes with/after a RST or after the peer's FIN.
  if (pkt.win === 0 && !RST && st(s, peer) !== TCP_CLOSED && st(s, ep) !== TCP_RESET)
    scaled(s, slot, ep, s.eWin0, H_ZERO_WINDOW);

  if (!didClose(s, slot * 2) || !didClose(s, slot * 2 + 1)) s.lastTs[slot] = t;

  if (SYN) {
    // SynWeirds
    if (RST) setWeird(s, slot, W_TCP_CHRISTMAS);
    if ((flags & TCP_URG) !== 0) setWeird(s, slot, W_BAROQUE_SYN);
    if (len > 0) setWeird(s, slot, W_SYN_WITH_DATA);
    initWindow(s, slot, ep, peer, ACK, pkt.optWscale);
  }

  if (FIN) {
    const c = s.eFin[ep] ?? 0;
    if (c < 0xffff) s.eFin[ep] = c + 1;
    if (c + 1 >= TCP_STORM_THRESH && t < (s.eLastTime[ep] ?? 0) + TCP_STORM_INTERARRIVAL)
      setWeird(s, slot, W_FIN_STORM);
    s.eFinSeq[ep] = relSeq + segLen;
  }

  if (RST) {
    const c = s.eRst[ep] ?? 0;
    if (c < 0xffff) s.eRst[ep] = c + 1;
    if (c + 1 >= TCP_STORM_THRESH && t < (s.eLastTime[ep] ?? 0) + TCP_STORM_INTERARRIVAL)
      setWeird(s, slot, W_RST_STORM);
  }

  let relAck = 0;
  if (ACK) {
    if (st(s, peer) === TCP_INACTIVE) {
      relAck = 1;
      initPeer(s, slot, peer, ep, SYN, FIN, RST, ackSeq | 0);
    } else {
      s.underflow = false;
      relAck = relativeSeq(s, peer, ackSeq | 0, (s.eAck[peer] ?? 0) | 0, s.eAckWraps[peer] ?? 0);
      if (s.underflow) {
        relAck = 0;
        setWeird(s, slot, W_ACK_UNDERFLOW);
      } else if (!RST) {
        // update_ack_seq. "Don't trust ack's in RST packets."
        const d = seqDelta(ackSeq, s.eAck[peer] ?? 0);
        if (ackSeq === 0 && d > TOO_LARGE_SEQ_DELTA) {
          // More likely a broken ack than a large connection landing on 0.
        } else if (d > 0) updateAckSeqRaw(s, peer, ackSeq | 0);
      }
    }
  }

  const deltaLast = updateLastSeq(s, slot, ep, seqOnePast | 0, SYN, FIN, RST, len, baseSeq | 0);
  s.eLastTime[ep] = t;

  s.doClose = false;
  s.genEvent = false;
  const state = st(s, ep);
  if (state === TCP_INACTIVE) {
    if (updateInactiveState(s, slot, rec, ep, peer, baseSeq | 0, ackSeq | 0, len, side, flags)) {
      ep ^= 1;
      peer ^= 1;
    }
  } else if (state === TCP_SYN_SENT || state === TCP_SYN_ACK_SENT) {
    updateSynSentState(s, slot, ep, peer, len, side, flags);
  } else if (state === TCP_ESTABLISHED || state === TCP_PARTIAL) {
    updateEstablishedState(s, slot, ep, peer, flags);
  } else if (state === TCP_CLOSED) {
    updateClosedState(s, slot, rec, ep, deltaLast, flags);
  } else {
    // UpdateResetState
    if (SYN) setWeird(s, slot, W_SYN_AFTER_RESET);
    if (FIN) setWeird(s, slot, W_FIN_AFTER_RESET);
    if (len > 0 && !RST) setWeird(s, slot, W_DATA_AFTER_RESET);
  }
  const doClose = s.doClose;
  const genEvent = s.genEvent;

  // "We wait on doing this until we've updated the state machine so that if the ack reveals
  // a content gap, we can tell whether it came at the very end of the connection."
  if (ACK) ackReceived(s, slot, peer, relAck);

  // CheckPIA_FirstPacket(is_orig): with the is_orig the packet arrived with.
  s.cFlags[slot] = (s.cFlags[slot] ?? 0) | (side === ORIG ? F_FPS_ORIG : F_FPS_RESP);

  if (len > 0 && !RST && !seqUnderflow) {
    const relDataSeq = SYN ? relSeq + 1 : relSeq;
    // TCP_Endpoint::DataSent: the reassembler gets the data only if the snaplen kept all of it.
    if (pkt.payloadCaptured >= len) dataSent(s, slot, ep, relDataSeq, len);
    else setWeird(s, slot, W_TRUNCATED_PAYLOAD);
  }

  checkEOF(s, slot, ep);
  if (doClose) connectionClosed(s, slot, ep, peer, genEvent);
  return ep;
}

/** init_endpoint (TCPSessionAdapter.cc). `first` and `last` arrive as int32 (Smis across the call). */
function initEndpoint(s: TrackState, slot: number, e: number, SYN: boolean, first: number, last: number): void {
  first >>>= 0;
  last >>>= 0;
  switch (st(s, e)) {
    case TCP_INACTIVE:
      if (SYN) {
        s.eAck[e] = first;
        s.eStart[e] = first;
      } else {
        // Partial connection: number as though a SYN had been seen, and don't mark the
        // first packet as a duplicate.
        s.eAck[e] = (first - 1) >>> 0;
        s.eStart[e] = (first - 1) >>> 0;
        last = first;
      }
      s.eLast[e] = last;
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      if (SYN && first !== s.eStart[e]) {
        setWeird(s, slot, W_SYN_SEQ_JUMP);
        s.eStart[e] = first;
        s.eAck[e] = first;
        s.eLast[e] = last;
      }
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      if (SYN) {
        if (size(s, e) > 0) setWeird(s, slot, W_SYN_INSIDE_CONNECTION);
        if (first !== s.eStart[e]) setWeird(s, slot, W_SYN_SEQ_JUMP);
        // "Make a guess that somehow the connection didn't get established, and this SYN will
        // be the one that actually sets it up."
        s.eStart[e] = first;
        s.eAck[e] = first;
        s.eLast[e] = last;
      }
      break;
    case TCP_RESET:
      if (SYN && prev(s, e) === TCP_INACTIVE) {
        // Sequence numbers came from a RST (maybe injected): re-initialise from the SYN.
        s.eStart[e] = first;
        s.eAck[e] = first;
        s.eLast[e] = last;
      }
      break;
    default:
      break;
  }
}

/**
 * init_window: only the shift is kept (window recision is not tracked). Both endpoints' entries
 * are stored whatever the option says: a store only a SYN without the option reached had no type
 * feedback, and the first such SYN after optimisation deoptimised the caller.
 */
function initWindow(s: TrackState, slot: number, e: number, peer: number, ACK: boolean, scale: number): void {
  const keepE = (s.eMisc[e] ?? 0) & 0xf0;
  const peerMisc = s.eMisc[peer] ?? 0;
  if (scale > 14) {
    if (!didWeird(s, slot)) setWeird(s, slot, W_SCALE_RANGE);
    scale = 14;
  }
  const none = scale < 0;
  s.eMisc[e] = none ? keepE : keepE | scale;
  // A SYN-ACK without the option clears the peer's shift too (both must send it, RFC 7323 §2.2).
  s.eMisc[peer] = none && ACK ? peerMisc & 0xf0 : peerMisc;
}

/**
 * init_peer. `ackSeq` arrives as int32 (a Smi across the call): a one-sided connection's every
 * ACK comes here while its peer is inactive, and a uint32 >= 2^31 was a HeapNumber each time.
 */
function initPeer(
  s: TrackState,
  slot: number,
  peer: number,
  e: number,
  SYN: boolean,
  FIN: boolean,
  RST: boolean,
  ackSeq: number,
): void {
  if (!SYN && !FIN && !RST) {
    const state = st(s, e);
    if (state === TCP_SYN_SENT || state === TCP_SYN_ACK_SENT || state === TCP_ESTABLISHED) {
      // "We've already sent a SYN, but that hasn't roused the other end, yet we're ack'ing their data."
      if (!didWeird(s, slot)) setWeird(s, slot, W_POSSIBLE_SPLIT_ROUTING);
    }
  }
  const v = ((ackSeq >>> 0) - 1) >>> 0;
  s.eStart[peer] = v;
  s.eAck[peer] = v;
  s.eLast[peer] = v;
}

/**
 * update_last_seq: returns delta_last; counts retransmissions ('T'/'t'). `lastSeq` and `baseSeq`
 * arrive as int32 (Smis across the call: a uint32 >= 2^31 was a HeapNumber per packet).
 */
function updateLastSeq(
  s: TrackState,
  slot: number,
  e: number,
  lastSeq: number,
  SYN: boolean,
  FIN: boolean,
  RST: boolean,
  len: number,
  baseSeq: number,
): number {
  lastSeq >>>= 0;
  baseSeq >>>= 0;
  const delta = seqDelta(lastSeq, s.eLast[e] ?? 0);
  if ((SYN || RST) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
    // "perhaps trust RST seq #'s if initial and not too outlandish" — Zeek does not.
  } else if (FIN && (s.eLast[e] ?? 0) === ((s.eStart[e] ?? 0) + 1) >>> 0) {
    // Accommodate > 2 GB connections where only the SYN and the FIN were seen.
    updateLastSeqRaw(s, e, lastSeq | 0);
  } else if (st(s, e) === TCP_RESET) {
    // "don't trust any subsequent sequence numbers"
  } else if (delta > 0) {
    updateLastSeqRaw(s, e, lastSeq | 0);
    if (len > 0) s.eRxmtConsec[e] = 0;
  } else if (delta <= 0 && len > 0) {
    scaled(s, slot, e, s.eRxmt, H_RETRANSMIT);
    // For explain: consecutive retransmissions of the same sequence number. Both columns read
    // before the test: a load only a repeated retransmission reached had no type feedback when
    // TurboFan compiled process, and the first such packet deoptimised it.
    const consec = s.eRxmtConsec[e] ?? 0;
    const sameSeq = (s.eRxmtSeq[e] ?? 0) === baseSeq;
    const next = Math.min(0xffff, consec + 1);
    s.eRxmtConsec[e] = consec > 0 && sameSeq ? next : 1;
    s.eRxmtSeq[e] = baseSeq;
  }
  return delta;
}

/**
 * UpdateInactiveState. Returns true when it flipped the roles (SYN/SYN-ACK reversal).
 * `baseSeq` and `ackSeq` arrive as int32 (Smis across the call) and are made unsigned here.
 */
function updateInactiveState(
  s: TrackState,
  slot: number,
  rec: CaptureRecord,
  ep: number,
  peer: number,
  baseSeq: number,
  ackSeq: number,
  len: number,
  side: Side,
  flags: number,
): boolean {
  baseSeq >>>= 0;
  ackSeq >>>= 0;
  const SYN = (flags & TCP_SYN) !== 0;
  const FIN = (flags & TCP_FIN) !== 0;
  const RST = (flags & TCP_RST) !== 0;
  const ACK = (flags & TCP_ACK) !== 0;
  let flipped = false;
  if (SYN) {
    if (side === ORIG) {
      if (ACK) {
        setWeird(s, slot, W_ORIGINATOR_SYN_ACK);
        setState(s, slot, ep, TCP_SYN_ACK_SENT);
      } else setState(s, slot, ep, TCP_SYN_SENT);
      // AttemptTimer at t + tcp_attempt_delay.
      if (s.attemptDelay > 0)
        s.attemptAt[slot] = Math.min(s.attemptAt[slot] ?? Number.POSITIVE_INFINITY, rec.ts + s.attemptDelay);
    } else {
      if (ACK) {
        const ps = st(s, peer);
        if (
          ps !== TCP_INACTIVE &&
          ps !== TCP_PARTIAL &&
          !seqBetween(ackSeq, s.eStart[peer] ?? 0, s.eLast[peer] ?? 0)
        )
          setWeird(s, slot, W_BAD_SYN_ACK);
      } else if (st(s, peer) === TCP_SYN_ACK_SENT && baseSeq === s.eStart[ep]) {
        // SYN/SYN-ACK reversal (see IsReuse): flip the endpoints and establish.
        s.cFlags[slot] = (s.cFlags[slot] ?? 0) & ~F_PARTIAL;
        flipRoles(s, slot);
        ep ^= 1;
        peer ^= 1;
        flipped = true;
        setState(s, slot, peer, TCP_ESTABLISHED);
        s.cFlags[slot] = (s.cFlags[slot] ?? 0) | F_FPS_ORIG; // SetFirstPacketSeen(true)
      } else setWeird(s, slot, W_SIMULTANEOUS_OPEN);

      if (st(s, peer) === TCP_SYN_SENT) setState(s, slot, peer, TCP_ESTABLISHED);
      else if (st(s, peer) === TCP_INACTIVE) setWeird(s, slot, W_UNSOLICITED_SYN_RESPONSE);
      setState(s, slot, ep, TCP_ESTABLISHED);
    }
  }

  if (FIN) {
    setState(s, slot, ep, TCP_CLOSED);
    s.doClose = true;
    s.genEvent = true;
    if (st(s, peer) !== TCP_PARTIAL && !SYN) setWeird(s, slot, W_SPONTANEOUS_FIN);
  }

  if (RST) {
    setState(s, slot, ep, TCP_RESET);
    let isReject = false;
    if (side === ORIG) {
      // "If our peer is established then we saw a SYN-ack but not SYN - so a reverse scan."
      if (st(s, peer) === TCP_ESTABLISHED) isReject = true;
    } else if (st(s, peer) === TCP_SYN_SENT || st(s, peer) === TCP_SYN_ACK_SENT) isReject = true;
    s.doClose = true;
    s.genEvent = !isReject;
    if (!isReject && st(s, peer) === TCP_INACTIVE) setWeird(s, slot, W_SPONTANEOUS_RST);
  }

  if (st(s, ep) === TCP_INACTIVE) {
    // No control flags changed the state.
    if (side !== ORIG && len === 0 && st(s, slot * 2) === TCP_SYN_SENT) {
      // "Some eccentric TCP's will ack an initial SYN prior to sending a SYN reply."
    } else if (ACK && st(s, peer) === TCP_ESTABLISHED) {
      // SYN-ACK seen, SYN missed, now a pure ACK: establish rather than call it partial.
      setState(s, slot, ep, TCP_ESTABLISHED);
      s.cFlags[slot] = ((s.cFlags[slot] ?? 0) & ~F_PARTIAL) | (side === ORIG ? F_FPS_ORIG : F_FPS_RESP);
    } else setState(s, slot, ep, TCP_PARTIAL);
  }
  return flipped;
}

/** UpdateSYN_SentState. */
function updateSynSentState(
  s: TrackState,
  slot: number,
  ep: number,
  peer: number,
  len: number,
  side: Side,
  flags: number,
): void {
  const SYN = (flags & TCP_SYN) !== 0;
  const FIN = (flags & TCP_FIN) !== 0;
  const RST = (flags & TCP_RST) !== 0;
  const ACK = (flags & TCP_ACK) !== 0;
  if (SYN) {
    if (side === ORIG) {
      if (ACK && !FIN && !RST && st(s, ep) !== TCP_SYN_ACK_SENT) setWeird(s, slot, W_REPEATED_SYN_WITH_ACK);
    } else if (!ACK && st(s, ep) !== TCP_SYN_SENT) setWeird(s, slot, W_REPEATED_SYN_REPLY_WO_ACK);
  }
  if (FIN) {
    const ps = st(s, peer);
    if (ps === TCP_INACTIVE || ps === TCP_SYN_SENT) setWeird(s, slot, W_INAPPROPRIATE_FIN);
    setState(s, slot, ep, TCP_CLOSED);
    s.doClose = true;
    s.genEvent = true;
  }
  if (RST) {
    setState(s, slot, ep, TCP_RESET);
    connectionReset(s, slot);
    s.doClose = true;
  } else if (len > 0) setWeird(s, slot, W_DATA_BEFORE_ESTABLISHED);
}

/** UpdateEstablishedState (also for PARTIAL). */
function updateEstablishedState(s: TrackState, slot: number, ep: number, peer: number, flags: number): void {
  const SYN = (flags & TCP_SYN) !== 0;
  const FIN = (flags & TCP_FIN) !== 0;
  const RST = (flags & TCP_RST) !== 0;
  const ACK = (flags & TCP_ACK) !== 0;
  if (SYN && st(s, ep) === TCP_PARTIAL && st(s, peer) === TCP_INACTIVE && !ACK) {
    setWeird(s, slot, W_SYN_AFTER_PARTIAL);
    setState(s, slot, ep, TCP_SYN_SENT);
  }
  if (FIN && !RST) {
    setState(s, slot, ep, TCP_CLOSED);
    // "The peer sent a FIN followed by a RST. Turn it back into CLOSED state, because this
    // was actually normal termination."
    if (st(s, peer) === TCP_RESET && prev(s, peer) === TCP_CLOSED) setState(s, slot, peer, TCP_CLOSED);
    s.doClose = true;
    s.genEvent = true;
  }
  if (RST) {
    setState(s, slot, ep, TCP_RESET);
    s.doClose = true;
    if (st(s, peer) !== TCP_RESET || prev(s, peer) !== TCP_ESTABLISHED) connectionReset(s, slot);
  }
}

/** UpdateClosedState. */
function updateClosedState(s: TrackState, slot: number, rec: CaptureRecord, ep: number, deltaLast: number, flags: number): void {
  if ((flags & TCP_SYN) !== 0) setWeird(s, slot, W_SYN_AFTER_CLOSE);
  if ((flags & TCP_FIN) !== 0 && deltaLast > 0) setWeird(s, slot, W_FIN_ADVANCED_LAST_SEQ);
  // "If our peer was also closed, then don't change our state now on a RST, since this
  // connection has already seen a FIN exchange." (Hence a RST after both FINs leaves SF.)
  if ((flags & TCP_RST) !== 0 && st(s, ep ^ 1) !== TCP_CLOSED) {
    setState(s, slot, ep, TCP_RESET);
    if (!didClose(s, ep)) s.doClose = true; // RST after FIN
    // ResetTimer at t + tcp_reset_delay. Zeek < 6.1 added it only when a connection_reset
    // handler existed (btest core/tcp/fin-rst-timeout); current Zeek always does.
    s.resetAt[slot] = Math.min(s.resetAt[slot] ?? Number.POSITIVE_INFINITY, rec.ts + s.resetDelay);
  }
}

/** TCPSessionAdapter's is_active = false (ConnectionReset): the connection's timers stop re-arming. */
export function connectionReset(s: TrackState, slot: number): void {
  s.cFlags[slot] = (s.cFlags[slot] ?? 0) & ~F_ACTIVE;
}

/** Connection::FlipRoles + TCPSessionAdapter::FlipRoles. */
function flipRoles(s: TrackState, slot: number): void {
  const a = s.kA[slot] ?? 0;
  s.kA[slot] = s.kB[slot] ?? 0;
  s.kB[slot] = a;
  const p = s.kPorts[slot] ?? 0;
  s.kPorts[slot] = ((p << 16) | (p >>> 16)) >>> 0;
  // Every per-side column (state.ts) swaps its two entries; the ranges above a hole follow.
  swapSides(s, slot);
  flipAboveHole(s, slot);
  // first_packet_seen swaps; is_partial resets; the SYN sender's side swaps.
  let f = s.cFlags[slot] ?? 0;
  const fo = (f & F_FPS_ORIG) !== 0;
  const fr = (f & F_FPS_RESP) !== 0;
  f &= ~(F_FPS_ORIG | F_FPS_RESP | F_PARTIAL);
  if (fo) f |= F_FPS_RESP;
  if (fr) f |= F_FPS_ORIG;
  if ((f & F_SAW_SYN) !== 0) f ^= F_SYN_BY_RESP;
  f |= F_FLIPPED;
  s.cFlags[slot] = f;
  flipRing(s, slot);
  flipResets(s, slot);
  addHistory(s, slot, H_FLIPPED);
}

/**
 * TCP_Endpoint::CheckHistory (src/analyzer/protocol/tcp/TCP_Endpoint.cc), before the letter 'A'
 * or 'D': a connection that began with a SYN-ACK (history exactly "H") is not flipped when it
 * starts, "because they can arise from stealth scans, and for those the SYN-ACK sender *is* the
 * originator"; productive traffic (a pure ACK or data, from either side) makes a scan unlikely,
 * so Zeek flips it then, replaces the history with "^h" and marks the originator's first packet
 * seen. Zeek's btest core.tcp.flip-without-syn: `^hADadFf`. True when it flipped.
 */
function flipAfterSynAck(s: TrackState, slot: number): boolean {
  const base = slot * (HIST_INLINE + 1);
  if ((s.hist[base + 1] ?? 0) !== H_SYN_ACK || s.histSpill.has(slot)) return false;
  flipRoles(s, slot);
  // Connection::ReplaceHistory("^h"): flipRoles appended '^' to "H".
  s.hist[base] = 2;
  s.hist[base + 1] = H_FLIPPED;
  s.hist[base + 2] = H_SYN_ACK + 32;
  s.cFlags[slot] = (s.cFlags[slot] ?? 0) | F_FPS_ORIG; // SetFirstPacketSeen(true)
  return true;
}

/**
 * An endpoint that started and has not closed (IsReuse's test). A function, not a closure in
 * IsReuse: a closure over `s` made V8 allocate a context on every call, for every SYN-ACK.
 */
function isActiveSide(s: TrackState, e: number): boolean {
  return st(s, e) !== TCP_INACTIVE && !didClose(s, e);
}

/** TCPSessionAdapter::IsReuse, for `pkt` captured at `rec.ts`. */
export function isReuse(s: TrackState, slot: number, rec: CaptureRecord, pkt: DecodedPacket): boolean {
  const flags = pkt.flags;
  // "Reuse only occurs on initial SYN's, except for half connections it can occur on SYN-acks."
  if ((flags & TCP_SYN) === 0) return false;
  const o = slot * 2;
  const r = o + 1;
  let connOrig = o;
  if ((flags & TCP_ACK) !== 0) {
    if (st(s, o) !== TCP_INACTIVE) return false;
    connOrig = r;
  }
  // Both sides asked (no short-circuit): the second call, reached only when the first side had
  // not closed, had no type feedback until then and deoptimised this function (--trace-deopt).
  const origClosed = didClose(s, o);
  const respClosed = didClose(s, r);
  const closed = origClosed || respClosed;
  if (!closed) {
    const base = pkt.seq >>> 0;
    if (base === s.eStart[connOrig]) return false;
    if (
      (flags & TCP_ACK) === 0 &&
      st(s, connOrig) === TCP_SYN_ACK_SENT &&
      st(s, r) === TCP_INACTIVE &&
      base === s.eStart[r]
    )
      // SYN and SYN-ACK reversed (e.g. two interfaces): not a reuse; Process flips.
      return false;
    if (st(s, connOrig) === TCP_SYN_SENT) setWeird(s, slot, W_SYN_SEQ_JUMP);
    else setWeird(s, slot, W_ACTIVE_CONNECTION_REUSE);
  } else {
    if ((isActiveSide(s, o) || isActiveSide(s, r)) && st(s, o) !== TCP_RESET && st(s, r) !== TCP_RESET)
      setWeird(s, slot, W_ACTIVE_CONNECTION_REUSE);
    else if (
      rec.ts - (s.lastTs[slot] ?? 0) < s.linger &&
      st(s, o) !== TCP_RESET &&
      st(s, r) !== TCP_RESET
    )
      setWeird(s, slot, W_PREMATURE_CONNECTION_REUSE);
  }
  return true;
}
