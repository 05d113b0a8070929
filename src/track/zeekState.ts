/**
 * Zeek's passive-observer endpoint states and the pure functions that summarise a connection
 * (`conn_state`). The numbering is Zeek's own (scripts/base/init-bare.zeek: TCP_INACTIVE = 0 …
 * TCP_RESET = 6; src/analyzer/protocol/tcp/TCP_Endpoint.h `EndpointState`).
 */

/** No SYN (or other packets) seen for this side. */
export const TCP_INACTIVE = 0;
/** SYN seen, but no ack. */
export const TCP_SYN_SENT = 1;
/** SYN-ACK seen, no initial SYN. */
export const TCP_SYN_ACK_SENT = 2;
/** Data seen, but no SYN. */
export const TCP_PARTIAL = 3;
/** SYN-ACK seen (implicit for a SYN sent by the responder). */
export const TCP_ESTABLISHED = 4;
/** FIN seen. */
export const TCP_CLOSED = 5;
/** RST seen. */
export const TCP_RESET = 6;

/** Endpoint state names as whyreset reports them (snake_case of Zeek's TCP_* names). */
export type EndpointStateName =
  | 'inactive'
  | 'syn_sent'
  | 'syn_ack_sent'
  | 'partial'
  | 'established'
  | 'closed'
  | 'reset';

const STATE_NAMES: readonly EndpointStateName[] = [
  'inactive',
  'syn_sent',
  'syn_ack_sent',
  'partial',
  'established',
  'closed',
  'reset',
];

/** Name of a numeric endpoint state. */
export function endpointStateName(state: number): EndpointStateName {
  return STATE_NAMES[state] ?? 'inactive';
}

/** Zeek's conn_state values (scripts/base/protocols/conn/main.zeek). */
export type ConnState =
  | 'S0'
  | 'S1'
  | 'SF'
  | 'REJ'
  | 'S2'
  | 'S3'
  | 'RSTO'
  | 'RSTR'
  | 'RSTOS0'
  | 'RSTRH'
  | 'SH'
  | 'SHR'
  | 'OTH';

/** `/\^?S[^HAFGIQ]*R.*​/ == c$history`: a Zeek pattern compared with `==` matches the whole string. */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/s;

/** What the two endpoint states alone decide: a ConnState, or one of the two that also read the sizes or the history. */
type PairState = ConnState | 'REJ_IF_EMPTY' | 'RSTOS0_IF_HISTORY';

/** Zeek's decision order over the endpoint states alone (the rest is connStateOf's). */
function pairState(os: number, rs: number): PairState {
  const oInactive = os === TCP_INACTIVE || os === TCP_PARTIAL;
  const rInactive = rs === TCP_INACTIVE || rs === TCP_PARTIAL;
  if (rs === TCP_RESET) {
    if (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT) return 'REJ';
    if (os === TCP_RESET) return 'REJ_IF_EMPTY';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === TCP_RESET) return rInactive ? 'RSTOS0_IF_HISTORY' : 'RSTO';
  if (rs === TCP_CLOSED && os === TCP_CLOSED) return 'SF';
  if (os === TCP_CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === TCP_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === TCP_SYN_SENT && rs === TCP_INACTIVE) return 'S0';
  if (os === TCP_ESTABLISHED && rs === TCP_ESTABLISHED) return 'S1';
  return 'OTH';
}

/** Endpoint states (TCP_INACTIVE … TCP_RESET). */
const STATES = TCP_RESET + 1;

/**
 * pairState for every pair of states, computed once at load: the decision chain, run per finished
 * connection, deoptimised whenever a comparison first reached after TurboFan compiled it (a rare
 * pair of states) had no type feedback (--trace-deopt on the 128 MiB prefix).
 */
const PAIR_STATES: readonly PairState[] = Array.from({ length: STATES * STATES }, (_, i) =>
  pairState(Math.floor(i / STATES), i % STATES),
);

/**
 * Zeek's `conn_state()` for TCP, in Zeek's decision order (scripts/base/protocols/conn/main.zeek,
 * function conn_state). `origSize`/`respSize` are `TCP_Endpoint::Size()`.
 */
export function connStateOf(
  os: number,
  rs: number,
  origSize: number,
  respSize: number,
  history: string,
): ConnState {
  const pair = PAIR_STATES[os * STATES + rs] ?? pairState(os, rs);
  // Both sizes compared on every call (no short-circuit), for the type feedback as above.
  const empty = (origSize === 0 ? 1 : 0) + (respSize === 0 ? 1 : 0) === 2;
  // Both sides reset: REJ when neither sent anything (`orig_size == 0 && resp_size == 0`), else RSTR.
  if (pair === 'REJ_IF_EMPTY') return empty ? 'REJ' : 'RSTR';
  if (pair === 'RSTOS0_IF_HISTORY') return RSTOS0_HISTORY.test(history) ? 'RSTOS0' : 'OTH';
  return pair;
}

/** Zeek's `is_handshake()` (TCP_Endpoint.cc): states during which the short inactivity timeout applies. */
export function isHandshakeState(state: number): boolean {
  return state === TCP_INACTIVE || state === TCP_SYN_SENT || state === TCP_SYN_ACK_SENT;
}
