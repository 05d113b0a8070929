/**
 * The contract's vocabulary (../shared/DESIGN.md "Vocabulary"): stages, causes, verdicts,
 * origins and directions. A leaf: every stage imports it, it imports nothing.
 * Extend, never rename or drop.
 */

/** Where in the connection's life a reset came (DESIGN.md "stage"). */
export type Stage = 'handshake' | 'established' | 'data' | 'teardown' | 'midstream';

/** The most likely reason for a reset (DESIGN.md "cause"). */
export type Cause =
  | 'port_closed'
  | 'accept_queue_overflow'
  | 'port_reuse'
  | 'malformed_syn'
  | 'firewall_reject'
  | 'scan_probe'
  | 'handshake_abort'
  | 'retransmission_timeout'
  | 'idle_timeout'
  | 'application_abort'
  | 'data_after_close'
  | 'fast_close'
  | 'middlebox_injected'
  | 'stale_connection'
  | 'unexplained'
  /** A consequence: the reset answers a segment that arrived after an earlier reset of the same connection (the socket was already gone). */
  | 'after_reset'
  /** The reset answers a SYN-ACK for a SYN its sender never sent (backscatter of a spoofed SYN flood, or a SYN-ACK probe). */
  | 'backscatter';

/** Whether a reset is consistent with the endpoint it claims to come from. */
export type Verdict = 'genuine' | 'forged' | 'suspect';

/** Who really sent a reset. */
export type Origin = 'orig' | 'resp' | 'middlebox' | 'unknown';

/** Direction relative to the side that sent the first SYN. */
export type Direction = 'orig' | 'resp';
