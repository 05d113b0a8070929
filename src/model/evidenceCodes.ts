/**
 * Evidence codes: stable snake_case names (DESIGN.md; extend, never rename). Each piece of
 * evidence carries a human detail that names the numbers it was decided on (explain/evidence.ts).
 */

export const EV_TTL_MISMATCH = 'ttl_mismatch';
export const EV_IPID_MISMATCH = 'ipid_mismatch';
export const EV_NO_ACK_FLAG = 'no_ack_flag';
export const EV_ACK_MISMATCH = 'ack_mismatch';
export const EV_SEQ_OUT_OF_WINDOW = 'seq_out_of_window';
export const EV_SEQ_EXACT = 'seq_exact';
export const EV_WINDOW_NONZERO = 'window_nonzero';
export const EV_OPTIONS_PRESENT = 'options_present';
export const EV_TOO_FAST = 'too_fast';
export const EV_RST_BURST = 'rst_burst';
export const EV_DATA_AFTER_RST = 'data_after_rst';
export const EV_RETRANSMISSIONS = 'retransmissions';
export const EV_IDLE_GAP = 'idle_gap';
export const EV_FIN_BEFORE = 'fin_before';
export const EV_REPLY_TO_SYN = 'reply_to_syn';
export const EV_EMPTY_HANDSHAKE = 'empty_handshake';
export const EV_MANY_PORTS = 'many_ports';
export const EV_SYN_FLAGS = 'syn_flags';
export const EV_RECENT_CLOSE = 'recent_close';
export const EV_REASON_TEXT = 'reason_text';
/** Extensions. */
/** The RST has the shape of a Linux reset sent without a socket (tcp_v4_send_reset): IP ID 0, window 0, no options, seq/ack derived from the trigger. */
export const EV_NO_SOCKET_RESET = 'no_socket_reset';
/** The RST has the shape of a reset from a live socket (tcp_send_active_reset): real window, options, a running IP ID. */
export const EV_SOCKET_RESET = 'socket_reset';
/** RFC 5961 §3.2: the receiver answered the RST with a challenge ACK: it did not accept it. */
export const EV_CHALLENGE_ACK = 'challenge_ack';
/** The reset came right after the handshake completed, before anything was delivered. */
export const EV_AFTER_HANDSHAKE = 'after_handshake';
/** The responder answered a SYN with a bare ACK (TIME_WAIT's reply to an old-looking SYN). */
export const EV_ACK_TO_SYN = 'ack_to_syn';
/** The RST arrived at the same time as RSTs toward the other end (injection to both ends). */
export const EV_BOTH_DIRECTIONS = 'both_directions';
/** The same server port accepted connections elsewhere in the capture. */
export const EV_PORT_OPEN_ELSEWHERE = 'port_open_elsewhere';
/** The MP_TCPRST option gave a reason (RFC 8684 §3.6). */
export const EV_MPTCP_REASON = 'mptcp_reason';
/** The RST follows unacknowledged data from its own sender's peer, after retransmissions by the peer. */
export const EV_PEER_RETRANSMISSIONS = 'peer_retransmissions';
/** The RST answers data that arrived after its sender had closed (sent a FIN). */
export const EV_DATA_AFTER_FIN = 'data_after_fin';
/** A forged RST with a firewall reject's shape and no race: a policy device refused the traffic. */
export const EV_POLICY_REJECT = 'policy_reject';
/** The connection's start is not in the capture. */
export const EV_MIDSTREAM = 'midstream';
/** Correlation (several capture points): a point nearer the claimed sender carried its traffic then but never saw this RST. */
export const EV_CORRELATED_ABSENT = 'correlated_absent';
/** Correlation: a router's `-i any` capture shows the RST only leaving, never arriving: that host made it. */
export const EV_MADE_AT_POINT = 'made_at_point';
/** Correlation: first seen at a capture point on the claimed sender itself (its own packets leave there with their initial TTL). */
export const EV_SEEN_FIRST_AT = 'seen_first_at';
/** `--kernel-trace`: the sender's kernel recorded this reset and why (tcp:tcp_send_reset's sk_rst_reason): the strongest evidence of cause and origin. */
export const EV_KERNEL_REASON = 'kernel_reason';
/** `--kernel-trace`: the claimed sender was traced then, its kernel sent no such reset and nothing else on it could have: forged, proven. */
export const EV_KERNEL_ABSENT = 'kernel_absent';

/**
 * The RST's IPv4 header or TCP checksum is wrong and the capture point is not its sender (not an
 * outgoing packet of the capturing host, not a host whose NIC fills checksums in): its receiver
 * drops it (RFC 1122 §4.2.2.7), so it reset nothing — corruption on the path or a careless forger.
 */
export const EV_BAD_CHECKSUM = 'bad_checksum';
/** The ACK number is one no real stack would send: not ISN+1 in answer to a SYN, or beyond anything the peer sent (RFC 9293 §3.10.7.3). */
export const EV_ACK_UNACCEPTABLE = 'ack_unacceptable';
/** The RST's IPv4 ID equals the ID of the packet it answers: an injector copied the header. */
export const EV_IPID_COPIED = 'ipid_copied';
/** The RST arrived before the real SYN-ACK of the same handshake: it raced the server. */
export const EV_RACES_SYNACK = 'races_synack';
/** The same RST packet appeared more than once within microseconds (a port mirror, `-i any`): reported once. */
export const EV_CAPTURE_DUPLICATE = 'capture_duplicate';
/** The RST answers a segment that arrived after an earlier reset of the connection. */
export const EV_AFTER_RESET = 'after_reset';
/** The RST answers a SYN-ACK although the capture holds no SYN from its sender on that tuple: a SYN-ACK nobody here asked for. */
export const EV_UNSOLICITED_SYNACK = 'unsolicited_synack';
/** The RST has TCP header bits set that RFC 9293 §3.1 reserves (must be zero when sent): a crafted header. */
export const EV_RESERVED_BITS = 'reserved_bits';

/** Every evidence code whyreset emits. */
export type EvidenceCode =
  | typeof EV_TTL_MISMATCH
  | typeof EV_IPID_MISMATCH
  | typeof EV_NO_ACK_FLAG
  | typeof EV_ACK_MISMATCH
  | typeof EV_SEQ_OUT_OF_WINDOW
  | typeof EV_SEQ_EXACT
  | typeof EV_WINDOW_NONZERO
  | typeof EV_OPTIONS_PRESENT
  | typeof EV_TOO_FAST
  | typeof EV_RST_BURST
  | typeof EV_DATA_AFTER_RST
  | typeof EV_RETRANSMISSIONS
  | typeof EV_IDLE_GAP
  | typeof EV_FIN_BEFORE
  | typeof EV_REPLY_TO_SYN
  | typeof EV_EMPTY_HANDSHAKE
  | typeof EV_MANY_PORTS
  | typeof EV_SYN_FLAGS
  | typeof EV_RECENT_CLOSE
  | typeof EV_REASON_TEXT
  | typeof EV_NO_SOCKET_RESET
  | typeof EV_SOCKET_RESET
  | typeof EV_CHALLENGE_ACK
  | typeof EV_AFTER_HANDSHAKE
  | typeof EV_ACK_TO_SYN
  | typeof EV_BOTH_DIRECTIONS
  | typeof EV_PORT_OPEN_ELSEWHERE
  | typeof EV_MPTCP_REASON
  | typeof EV_PEER_RETRANSMISSIONS
  | typeof EV_DATA_AFTER_FIN
  | typeof EV_POLICY_REJECT
  | typeof EV_MIDSTREAM
  | typeof EV_CORRELATED_ABSENT
  | typeof EV_MADE_AT_POINT
  | typeof EV_SEEN_FIRST_AT
  | typeof EV_KERNEL_REASON
  | typeof EV_KERNEL_ABSENT
  | typeof EV_BAD_CHECKSUM
  | typeof EV_ACK_UNACCEPTABLE
  | typeof EV_IPID_COPIED
  | typeof EV_RACES_SYNACK
  | typeof EV_CAPTURE_DUPLICATE
  | typeof EV_AFTER_RESET
  | typeof EV_UNSOLICITED_SYNACK
  | typeof EV_RESERVED_BITS;
