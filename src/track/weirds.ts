/**
 * The TCP "weirds" Zeek raises (weird.log names, kept verbatim), as bit numbers so that a
 * connection can carry the set of weirds it produced in two 32-bit words. Each name is cited
 * from the Zeek function that raises it (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 * unless noted). These are stable codes: add at the end, never renumber or rename.
 */

export const WEIRD_NAMES = [
  'spontaneous_FIN', // UpdateInactiveState: FIN from a side whose peer is not partial, without SYN
  'spontaneous_RST', // UpdateInactiveState: RST on a connection whose peer is inactive
  'SYN_seq_jump', // init_endpoint / IsReuse: a SYN with a different ISN
  'SYN_inside_connection', // init_endpoint: SYN after data from an established/partial side
  'active_connection_reuse', // IsReuse: a new SYN while the old connection is still active
  'premature_connection_reuse', // IsReuse: a new SYN sooner than tcp_connection_linger after close
  'connection_originator_SYN_ack', // UpdateInactiveState: the originator's first packet is a SYN-ACK
  'bad_SYN_ack', // UpdateInactiveState: SYN-ACK whose ack is not within the SYN's sequence range
  'simultaneous_open', // UpdateInactiveState: SYN from the responder, not a SYN/SYN-ACK reversal
  'unsolicited_SYN_response', // UpdateInactiveState: SYN-ACK with no SYN seen
  'repeated_SYN_with_ack', // UpdateSYN_SentState
  'repeated_SYN_reply_wo_ack', // UpdateSYN_SentState
  'inappropriate_FIN', // UpdateSYN_SentState: FIN before the peer answered
  'data_before_established', // UpdateSYN_SentState: payload before the handshake completed
  'SYN_after_partial', // UpdateEstablishedState
  'SYN_after_close', // UpdateClosedState
  'FIN_advanced_last_seq', // UpdateClosedState
  'SYN_after_reset', // UpdateResetState
  'FIN_after_reset', // UpdateResetState
  'data_after_reset', // UpdateResetState: payload from a side that already sent RST
  'TCP_christmas', // SynWeirds: SYN with RST
  'baroque_SYN', // SynWeirds: SYN with URG
  'SYN_with_data', // SynWeirds
  'FIN_storm', // Process: >= tcp_storm_thresh FINs, < 1 s apart
  'RST_storm', // Process: >= tcp_storm_thresh RSTs, < 1 s apart
  'possible_split_routing', // init_peer
  'TCP_seq_underflow_or_misorder', // Process
  'TCP_ack_underflow_or_misorder', // Process
  'TCP_scale_range', // init_window: window scale > 14 (RFC 7323 §2.3)
  'above_hole_data_without_any_acks', // TCP_Reassembler::DataSent
  'excessive_data_without_further_acks', // TCP_Reassembler::DataSent
  'truncated_tcp_payload', // TCP_Endpoint::DataSent: payload cut by the snaplen
  'bad_TCP_checksum', // TCPAnalyzer::ValidateChecksum (only with checksum verification on)
  'pending_data_when_closed', // TCPSessionAdapter::EndpointEOF
] as const;

/** One Zeek weird name. */
export type WeirdName = (typeof WEIRD_NAMES)[number];

function bit(name: WeirdName): number {
  return WEIRD_NAMES.indexOf(name);
}

export const W_SPONTANEOUS_FIN = bit('spontaneous_FIN');
export const W_SPONTANEOUS_RST = bit('spontaneous_RST');
export const W_SYN_SEQ_JUMP = bit('SYN_seq_jump');
export const W_SYN_INSIDE_CONNECTION = bit('SYN_inside_connection');
export const W_ACTIVE_CONNECTION_REUSE = bit('active_connection_reuse');
export const W_PREMATURE_CONNECTION_REUSE = bit('premature_connection_reuse');
export const W_ORIGINATOR_SYN_ACK = bit('connection_originator_SYN_ack');
export const W_BAD_SYN_ACK = bit('bad_SYN_ack');
export const W_SIMULTANEOUS_OPEN = bit('simultaneous_open');
export const W_UNSOLICITED_SYN_RESPONSE = bit('unsolicited_SYN_response');
export const W_REPEATED_SYN_WITH_ACK = bit('repeated_SYN_with_ack');
export const W_REPEATED_SYN_REPLY_WO_ACK = bit('repeated_SYN_reply_wo_ack');
export const W_INAPPROPRIATE_FIN = bit('inappropriate_FIN');
export const W_DATA_BEFORE_ESTABLISHED = bit('data_before_established');
export const W_SYN_AFTER_PARTIAL = bit('SYN_after_partial');
export const W_SYN_AFTER_CLOSE = bit('SYN_after_close');
export const W_FIN_ADVANCED_LAST_SEQ = bit('FIN_advanced_last_seq');
export const W_SYN_AFTER_RESET = bit('SYN_after_reset');
export const W_FIN_AFTER_RESET = bit('FIN_after_reset');
export const W_DATA_AFTER_RESET = bit('data_after_reset');
export const W_TCP_CHRISTMAS = bit('TCP_christmas');
export const W_BAROQUE_SYN = bit('baroque_SYN');
export const W_SYN_WITH_DATA = bit('SYN_with_data');
export const W_FIN_STORM = bit('FIN_storm');
export const W_RST_STORM = bit('RST_storm');
export const W_POSSIBLE_SPLIT_ROUTING = bit('possible_split_routing');
export const W_SEQ_UNDERFLOW = bit('TCP_seq_underflow_or_misorder');
export const W_ACK_UNDERFLOW = bit('TCP_ack_underflow_or_misorder');
export const W_SCALE_RANGE = bit('TCP_scale_range');
export const W_ABOVE_HOLE = bit('above_hole_data_without_any_acks');
export const W_EXCESSIVE_DATA = bit('excessive_data_without_further_acks');
export const W_TRUNCATED_PAYLOAD = bit('truncated_tcp_payload');
export const W_BAD_CHECKSUM = bit('bad_TCP_checksum');
export const W_PENDING_DATA_WHEN_CLOSED = bit('pending_data_when_closed');

/** Names of the bits set in a pair of 32-bit weird words, in WEIRD_NAMES order. */
export function weirdNames(lo: number, hi: number): WeirdName[] {
  const out: WeirdName[] = [];
  if (lo === 0 && hi === 0) return out;
  for (let i = 0; i < WEIRD_NAMES.length; i++) {
    const set = i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1;
    if (set) out.push(WEIRD_NAMES[i] as WeirdName);
  }
  return out;
}

/** The weird-set column of the tracker's state (track/state.ts); typed structurally so names stay a leaf. */
interface WeirdColumn {
  readonly weird: Uint32Array;
}

/** Marks weird `bit` (a W_* number) on the slot's connection. */
export function setWeird(s: WeirdColumn, slot: number, bit: number): void {
  const i = slot * 2 + (bit >= 32 ? 1 : 0);
  s.weird[i] = ((s.weird[i] ?? 0) | (1 << (bit & 31))) >>> 0;
}

/** The slot's connection raised some weird already (Zeek's `did_weird`-style guards). */
export function didWeird(s: WeirdColumn, slot: number): boolean {
  return (s.weird[slot * 2] ?? 0) !== 0 || (s.weird[slot * 2 + 1] ?? 0) !== 0;
}
