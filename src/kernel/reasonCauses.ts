/**
 * What each Linux `sk_rst_reason` (include/net/rstreason.h) means in whyreset's vocabulary: the
 * causes a reset sent for that reason can have, the first being the one to report when the wire
 * analysis chose a cause outside the list, and the kernel function that raises it. The one table
 * the rest of whyreset reads; the README's table is written from it.
 *
 * Names, not numbers: the values are read from the running kernel's tracepoint format
 * (eventFormat.ts), because the enum's numbering changed between releases.
 */
import type { Cause } from '../model/vocabulary.js';

/** One reason: causes (first = the kernel's preferred reading), where Linux raises it, what it means. */
export interface ReasonMeaning {
  causes: readonly Cause[];
  /** `file: function` that passes this reason to tcp_v4_send_reset/tcp_v6_send_reset or tcp_send_active_reset. */
  raisedBy: string;
  /** What it tells a user, one sentence. */
  meaning: string;
}

/**
 * Every sk_rst_reason Linux 6.18 defines. NOT_SPECIFIED and ERROR say nothing about the cause
 * (empty list: the wire's cause stands, but the reset is still the host's own).
 */
export const REASON_CAUSES: Readonly<Record<string, ReasonMeaning>> = {
  NOT_SPECIFIED: {
    causes: [],
    raisedBy: 'net/ipv4/tcp_ipv4.c: tcp_v4_do_rcv (reset: tcp_rcv_state_process returned a reason without its own name)',
    meaning: 'the host sent it, the kernel named no reason',
  },
  NO_SOCKET: {
    // Also the answer to a malformed probe sent to a closed port, and to the ACK a peer's
    // TIME_WAIT sent for a reused 4-tuple when this host had no socket left (lab: time-wait-reuse).
    // after_reset: once a reset tore the socket down, the kernel answers what was still in flight
    // from no socket at all (tcp_v4_rcv → no_tcp_socket).
    // backscatter: a SYN-ACK for a SYN this host never sent finds no socket (lab: backscatter-synack).
    causes: ['port_closed', 'stale_connection', 'scan_probe', 'data_after_close', 'malformed_syn', 'port_reuse', 'after_reset', 'backscatter'],
    raisedBy: 'net/ipv4/tcp_ipv4.c: tcp_v4_rcv, label no_tcp_socket (net/ipv6/tcp_ipv6.c: tcp_v6_rcv)',
    meaning: 'no socket matched the segment: nothing listens on the port, or the connection is already gone on this host',
  },
  TCP_INVALID_ACK_SEQUENCE: {
    causes: ['stale_connection', 'port_reuse', 'handshake_abort'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_rcv_synsent_state_process / tcp_rcv_state_process (an ACK outside snd_una..snd_nxt)',
    meaning: 'the segment acknowledged data this socket never sent: the peer remembers another connection on these ports',
  },
  TCP_RFC7323_PAWS: {
    causes: ['stale_connection', 'port_reuse'],
    raisedBy: 'net/ipv4/tcp_minisocks.c: tcp_check_req (PAWS check, RFC 7323 §5)',
    meaning: 'the segment carried an old timestamp: an old duplicate or a reused 4-tuple',
  },
  TCP_TOO_OLD_ACK: {
    causes: ['stale_connection'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_ack (through tcp_rcv_state_process)',
    meaning: 'the ACK is older than anything still unacknowledged',
  },
  TCP_ACK_UNSENT_DATA: {
    causes: ['stale_connection', 'port_reuse'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_ack (through tcp_rcv_state_process)',
    meaning: 'the ACK is for data this socket has not sent yet',
  },
  TCP_FLAGS: {
    // Also sent by the listener for the request socket a full accept queue left behind, when the
    // client's next segment reaches it (Linux 6.18, lab: accept-overflow, after INVALID_SYN).
    // And by a listener to any segment with ACK (tcp_rcv_state_process, TCP_LISTEN: `if (th->ack)`):
    // the ACK of a connection the host lost (lab: listener-unknown-ack), a SYN-ACK it never asked
    // for (lab: backscatter-synack).
    causes: ['malformed_syn', 'stale_connection', 'accept_queue_overflow', 'backscatter'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_rcv_state_process; net/ipv4/tcp_minisocks.c: tcp_check_req (flags that make no sense in the state)',
    meaning: 'the segment had flags the socket could not accept in its state',
  },
  TCP_OLD_ACK: {
    causes: ['stale_connection'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_ack (through tcp_rcv_state_process)',
    meaning: 'an old but in-window ACK the state machine refused',
  },
  TCP_ABORT_ON_DATA: {
    causes: ['data_after_close', 'fast_close'],
    raisedBy: 'net/ipv4/tcp_input.c: tcp_rcv_state_process, FIN_WAIT1/FIN_WAIT2 after the application closed (LINUX_MIB_TCPABORTONDATA)',
    meaning: 'data arrived after the application had closed the socket: nobody will read it',
  },
  TCP_TIMEWAIT_SOCKET: {
    // after_reset: a side that had closed (FIN_WAIT2 or TIME_WAIT mini-socket) answers the peer's
    // segments still in flight after a reset (lab: after-reset, Linux 6.18).
    causes: ['port_reuse', 'stale_connection', 'data_after_close', 'after_reset'],
    raisedBy: 'net/ipv4/tcp_ipv4.c: tcp_v4_rcv, case TCP_TW_RST (tcp_timewait_state_process in tcp_minisocks.c)',
    meaning: 'a TIME_WAIT (or FIN_WAIT2 timewait) socket refused the segment',
  },
  INVALID_SYN: {
    causes: ['accept_queue_overflow', 'malformed_syn', 'port_reuse'],
    raisedBy: 'net/ipv4/tcp_minisocks.c: tcp_check_req, label embryonic_reset (also reached from listen_overflow with tcp_abort_on_overflow)',
    meaning: 'the handshake in progress could not continue: a bad segment, or the accept queue was full and tcp_abort_on_overflow is set',
  },
  TCP_ABORT_ON_CLOSE: {
    causes: ['application_abort', 'fast_close'],
    raisedBy: 'net/ipv4/tcp.c: __tcp_close (data_was_unread: the application closed with unread data)',
    meaning: 'the application closed the socket while received data was still unread',
  },
  TCP_ABORT_ON_LINGER: {
    causes: ['fast_close', 'application_abort'],
    raisedBy: 'net/ipv4/tcp.c: __tcp_close (FIN_WAIT2 with TCP_LINGER2 < 0)',
    meaning: 'the socket was closed in FIN_WAIT2 with a negative TCP_LINGER2: reset instead of waiting',
  },
  TCP_ABORT_ON_MEMORY: {
    causes: ['application_abort', 'retransmission_timeout'],
    raisedBy: 'net/ipv4/tcp_timer.c: tcp_out_of_resources (too many orphaned sockets or out of socket memory)',
    meaning: 'the host ran short of memory for orphaned sockets and reset one',
  },
  TCP_STATE: {
    causes: ['application_abort', 'fast_close', 'scan_probe', 'idle_timeout', 'handshake_abort'],
    raisedBy: 'net/ipv4/tcp.c: tcp_disconnect (tcp_need_reset: SO_LINGER 0 close, shutdown+disconnect, connect(AF_UNSPEC))',
    meaning: 'the application aborted the connection (SO_LINGER with 0 seconds, or a disconnect)',
  },
  TCP_KEEPALIVE_TIMEOUT: {
    causes: ['idle_timeout'],
    raisedBy: 'net/ipv4/tcp_timer.c: tcp_keepalive_timer (keepalive probes unanswered)',
    meaning: 'keepalive probes went unanswered: the host gave up on a silent peer',
  },
  TCP_DISCONNECT_WITH_DATA: {
    causes: ['application_abort'],
    raisedBy: 'net/ipv4/tcp.c: tcp_disconnect (data still in the write queue)',
    meaning: 'the application disconnected while data it wrote was still unsent',
  },
  MPTCP_RST_EUNSPEC: { causes: ['application_abort'], raisedBy: 'net/mptcp/subflow.c: mptcp_subflow_reset', meaning: 'MPTCP closed a subflow (unspecified)' },
  MPTCP_RST_EMPTCP: { causes: ['unexplained'], raisedBy: 'net/mptcp/subflow.c: subflow_check_data_avail', meaning: 'MPTCP options were invalid on this subflow' },
  MPTCP_RST_ERESOURCE: { causes: ['application_abort'], raisedBy: 'net/mptcp/subflow.c: subflow_finish_connect / subflow_syn_recv_sock', meaning: 'MPTCP lacked resources for the subflow' },
  MPTCP_RST_EPROHIBIT: { causes: ['firewall_reject'], raisedBy: 'net/mptcp/pm_netlink.c (path manager policy)', meaning: 'MPTCP policy prohibited the subflow' },
  MPTCP_RST_EWQ2BIG: { causes: ['application_abort'], raisedBy: 'include/uapi/linux/mptcp.h (an RFC 8684 §3.6 code a peer may send; Linux itself does not raise it)', meaning: 'too much outstanding data on the subflow' },
  MPTCP_RST_EBADPERF: { causes: ['application_abort'], raisedBy: 'include/uapi/linux/mptcp.h (an RFC 8684 §3.6 code a peer may send; Linux itself does not raise it)', meaning: 'the subflow performed too poorly' },
  MPTCP_RST_EMIDDLEBOX: { causes: ['middlebox_injected'], raisedBy: 'net/mptcp/subflow.c: subflow_check_data_avail (checksum failure)', meaning: 'MPTCP detected middlebox interference' },
  ERROR: { causes: [], raisedBy: 'include/net/rstreason.h (unexpected error)', meaning: 'an unexpected error in the stack' },
};

/** The meaning of a reason, or null for a name this table does not know (a newer kernel). */
export function reasonMeaning(reason: string): ReasonMeaning | null {
  return Object.hasOwn(REASON_CAUSES, reason) ? (REASON_CAUSES[reason] ?? null) : null;
}

/**
 * Whether the wire-only cause agrees with the kernel's reason: it is one of the reason's causes,
 * or the reason names none (NOT_SPECIFIED, ERROR, unknown names). null when there is no cause.
 */
export function causeAgrees(reason: string, cause: Cause | null): boolean {
  const m = reasonMeaning(reason);
  if (m === null || m.causes.length === 0) return true;
  return cause !== null && m.causes.includes(cause);
}
