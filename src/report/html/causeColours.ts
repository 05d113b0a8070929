/**
 * One colour per cause (DESIGN.md order), chosen to stay apart for common colour-vision
 * deficiencies and in greyscale print (charts also label every series in text).
 */

/** Fill colour of each cause in charts and badges; unknown causes use UNKNOWN_CAUSE_COLOUR. */
export const CAUSE_COLOURS: Readonly<Record<string, string>> = {
  port_closed: '#4e79a7',
  accept_queue_overflow: '#a0cbe8',
  port_reuse: '#f28e2b',
  malformed_syn: '#ffbe7d',
  firewall_reject: '#59a14f',
  scan_probe: '#8cd17d',
  handshake_abort: '#b6992d',
  retransmission_timeout: '#f1ce63',
  idle_timeout: '#499894',
  application_abort: '#86bcb6',
  data_after_close: '#e15759',
  fast_close: '#ff9d9a',
  middlebox_injected: '#b07aa1',
  stale_connection: '#d4a6c8',
  unexplained: '#9d7660',
  backscatter: '#79706e',
};

/** Colour of a cause this version does not know (an extended vocabulary). */
export const UNKNOWN_CAUSE_COLOUR = '#bab0ac';

/** The colour of `cause`. */
export function causeColour(cause: string): string {
  return CAUSE_COLOURS[cause] ?? UNKNOWN_CAUSE_COLOUR;
}
