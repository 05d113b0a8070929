/**
 * The per-packet fast path. Most packets of a capture are in-window segments of an established
 * (or partial: first seen mid-stream) connection: a bare ACK, or in-order data, that moves the sequence and acknowledgement numbers
 * forward and nothing else. For such a packet every arm of TCPSessionAdapter::Process
 * (sessionAdapter.ts) is a no-op except update_last_seq, update_ack_seq, the reassembler's
 * DataSent/AckReceived on the in-order path, and the times: this file recognises the packet with
 * a few column reads and does exactly those writes, in Process's order. Anything else (a flag
 * other than ACK/PSH, a state other than ESTABLISHED on either side, a letter not yet in the
 * history, a zero window, a retransmission, a sequence wrap or underflow, a content gap, data
 * waiting above a hole, a FIN already seen, a side already closed) returns false before any write,
 * and the caller runs the full Process. No allocation, no string, and no Map lookup while no
 * connection has data waiting above a hole.
 */
import type { CaptureRecord } from '../capture/record.js';
import { type DecodedPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { HIST_ACK_PKT, HIST_DATA_PKT } from './history.js';
import { dataSent } from './reassembly.js';
import { seqDelta, wrapsForward } from './seq.js';
import { E_DID_CLOSE, E_DID_EOF, E_SKIP, F_FPS_ORIG, F_FPS_RESP, type Side, type TrackState } from './state.js';
import { TCP_ESTABLISHED, TCP_PARTIAL } from './zeekState.js';

const CONTROL = TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK;
const BOTH_SEEN = F_FPS_ORIG | F_FPS_RESP;
/** The current state in an eState entry (the low nibble; the high one is the previous state). */
const STATE_MASK = 15;
const CLOSING = E_DID_CLOSE | E_DID_EOF | E_SKIP;

/** An eState entry whose current state is ESTABLISHED or PARTIAL (a side first seen without its SYN). */
function establishedOrPartial(entry: number): boolean {
  const state = entry & STATE_MASK;
  return state === TCP_ESTABLISHED || state === TCP_PARTIAL;
}

/**
 * Applies an in-window segment of an established connection sent by `side` (see the file
 * comment); false, with nothing changed, when the packet needs the full state machine. On true
 * the caller still counts the packet (ConnSize) and observes it (baselines.ts).
 */
export function inWindowSegment(s: TrackState, slot: number, side: Side, rec: CaptureRecord, pkt: DecodedPacket): boolean {
  // Only ACK (PSH, URG, ECE, CWR change nothing in Process without SYN).
  if ((pkt.flags & CONTROL) !== TCP_ACK) return false;
  // SetPartialStatus and CheckPIA_FirstPacket are no-ops once both sides were seen.
  if (((s.cFlags[slot] ?? 0) & BOTH_SEEN) !== BOTH_SEEN) return false;
  const ep = slot * 2 + side;
  const peer = ep ^ 1;
  // UpdateEstablishedState (also PARTIAL's) without SYN, FIN or RST changes nothing; init_endpoint neither.
  // (Columns read twice are held in locals: a second read loaded the field and the view again.)
  const eState = s.eState;
  if (!establishedOrPartial(eState[ep] ?? 0) || !establishedOrPartial(eState[peer] ?? 0)) return false;
  // update_window: a zero window adds 'W'.
  if (pkt.win === 0) return false;
  const len = pkt.payloadLength;
  // update_history: 'D' (data) or 'A' (pure ACK) must already be in the history.
  const letter = len > 0 ? HIST_DATA_PKT : HIST_ACK_PKT;
  if (((s.histSeen[slot] ?? 0) & (side === 0 ? letter : letter << 16)) === 0) return false;
  // A side that closed, reached EOF or stopped delivering: the close and EOF paths.
  const eMisc = s.eMisc;
  if ((((eMisc[ep] ?? 0) | (eMisc[peer] ?? 0)) & CLOSING) !== 0) return false;
  // A FIN seen: AckReceived caps the ack at the FIN, CheckEOF may close.
  const eFin = s.eFin;
  if ((eFin[ep] ?? 0) !== 0 || (eFin[peer] ?? 0) !== 0) return false;
  // DataSent only when the snaplen kept the whole payload (else truncated_payload).
  if (len > 0 && pkt.payloadCaptured < len) return false;
  // Ranges of the peer's waiting above a hole: AckReceived trims them (DataSent handles the
  // sender's own). A Map lookup only while some connection has such ranges.
  if (s.blocks.size !== 0 && s.blocks.has(peer)) return false;

  // get_relative_seq for the sequence number, with no wrap counted and no underflow.
  if ((s.eSeqWraps[ep] ?? 0) !== 0) return false;
  const seq = pkt.seq >>> 0;
  const eLast = s.eLast;
  const eStart = s.eStart;
  const last = eLast[ep] ?? 0;
  if (wrapsForward(seq | 0, last | 0)) return false;
  const relSeq = seqDelta(seq, eStart[ep] ?? 0);
  if (relSeq < 0) return false;
  // update_last_seq: forward (new data or a pure ACK ahead), or a pure ACK at or below it;
  // data at or below it is a retransmission ('T').
  const seqOnePast = (seq + len) >>> 0;
  const deltaLast = seqDelta(seqOnePast, last);
  if (deltaLast > 0) {
    if (wrapsForward(seqOnePast | 0, last | 0)) return false; // UpdateLastSeq would count a wrap
  } else if (len > 0) return false;

  // The same for the acknowledgement, against the peer's acked sequence.
  if ((s.eAckWraps[peer] ?? 0) !== 0) return false;
  const ack = pkt.ack >>> 0;
  const eAck = s.eAck;
  const acked = eAck[peer] ?? 0;
  const deltaAck = seqDelta(ack, acked);
  if (wrapsForward(ack | 0, acked | 0)) return false;
  const relAck = seqDelta(ack, eStart[peer] ?? 0);
  if (relAck < 0) return false;
  // AckReceived: an ack beyond what the peer delivered in order reveals a content gap.
  const eTrim = s.eTrim;
  const trimPeer = eTrim[peer] ?? 1;
  if (relAck > trimPeer && (s.eReassem[peer] ?? 1) < relAck) return false;

  // The writes of Process for this packet, in its order.
  const t = rec.ts;
  s.lastTs[slot] = t; // neither side closed
  if (deltaAck > 0) eAck[peer] = ack; // update_ack_seq (deltaAck > 0 rules out ack 0 far ahead)
  if (deltaLast > 0) {
    eLast[ep] = seqOnePast;
    if (len > 0) s.eRxmtConsec[ep] = 0;
  }
  s.eLastTime[ep] = t;
  if (relAck > trimPeer) eTrim[peer] = relAck; // AckReceived: TrimToSeq
  if (len > 0) dataSent(s, slot, ep, relSeq, len);
  return true;
}
