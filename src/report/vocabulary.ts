/**
 * Plain-language lines for the contract's vocabulary (DESIGN.md "stage", "cause", "verdict"),
 * shared by the text and HTML reports. Rendering only: the analysis never reads these.
 */
import type { Cause, Stage, Verdict } from '../model/report.js';

/** One line per cause: what it means, as DESIGN.md's table says. */
export const CAUSE_TEXT: Record<Cause, string> = {
  port_closed: 'the responder answered a SYN with RST: nothing listens there',
  accept_queue_overflow: 'handshake completed, then the server reset at once (full accept queue, tcp_abort_on_overflow)',
  port_reuse: 'a SYN reused a 4-tuple still held by an old connection (TIME_WAIT, stale state)',
  malformed_syn: 'a SYN with flags that make no sense (FIN, RST, URG…) was refused',
  firewall_reject: 'a device in the path, not the endpoint, refused the connection attempt',
  scan_probe: "the originator reset right after the SYN-ACK or an empty handshake: a scanner's probe",
  handshake_abort: 'the originator abandoned the handshake',
  retransmission_timeout: 'a sender gave up after repeated retransmissions of the same data',
  idle_timeout: 'the reset followed a long silence on the connection',
  application_abort: 'an endpoint aborted a live connection (SO_LINGER 0, closing with unread data, a crash)',
  data_after_close: 'data reached a side that had already closed; it answered with RST',
  fast_close: 'RST ended the connection after the FIN exchange instead of TIME_WAIT (load balancers, proxies)',
  middlebox_injected: 'a device in the path forged the reset (policy, censorship, IPS, a bypass device)',
  stale_connection: 'a reset for a connection one side no longer knows (its state was lost)',
  unexplained: 'none of the known causes fits; the evidence says what was seen',
  backscatter: 'a SYN-ACK arrived for a SYN this host never sent (backscatter of a spoofed SYN flood, or a probe); its kernel refused it',
  after_reset: 'a consequence: it answers a segment that arrived after an earlier reset of the connection (the socket was already gone)',
};

/** One line per stage. */
export const STAGE_TEXT: Record<Stage, string> = {
  handshake: 'before the handshake completed',
  established: 'handshake done, no payload yet',
  data: 'after payload had flowed',
  teardown: 'after a FIN from either side',
  midstream: "the connection's start is not in the capture",
};

/** One line per verdict. */
export const VERDICT_TEXT: Record<Verdict, string> = {
  genuine: 'consistent with the endpoint it claims to come from',
  suspect: 'some evidence that a third party sent it, not enough to be sure',
  forged: 'strong evidence that a third party sent it',
};

/** The verdicts in the order reports show them. */
export const VERDICTS: readonly Verdict[] = ['genuine', 'suspect', 'forged'];

/** The explanation of a cause name (unknown names, from a newer version, fall back to the name). */
export function causeText(cause: string | null): string {
  return cause !== null && cause in CAUSE_TEXT ? CAUSE_TEXT[cause as Cause] : (cause ?? 'not explained');
}
