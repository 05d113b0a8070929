/**
 * One actionable sentence per cause: what to check next, naming the host and port.
 */
import { endpointText } from '../decode/address.js';
import type { Cause, Origin, ResetRef, Verdict } from '../model/report.js';

/** What a hint may name. */
export interface HintFacts {
  cause: Cause;
  verdict: Verdict;
  origin: Origin;
  client: string;
  server: string;
  serverPort: number;
  /** Host the RST claims to come from. */
  claimedSender: string;
  /** Hops between the capture point and the RST's real sender, when the TTL says so. */
  hopsCloser: number | null;
  reasonText: string | null;
  /** For `after_reset`: the reset it follows, and that reset's hint. */
  parent?: ResetRef | null;
  parentHint?: string | null;
}

/**
 * The facts and text of the last hint built: consecutive resets of one cause against one server
 * (a refused-SYN flood, a scan, a storm) read the same sentence, so it is built once and shared
 * instead of concatenated again per reset. Compared field by field (no key string is built); the
 * facts are copied, so a caller may hand in one object it rewrites for each reset. A hint that
 * names a parent reset is never shared: it names that reset's id, which the report renumbers.
 */
const LAST: Omit<Required<HintFacts>, 'parent'> = {
  cause: 'unexplained',
  verdict: 'genuine',
  origin: 'unknown',
  client: '',
  server: '',
  serverPort: -1,
  claimedSender: '',
  hopsCloser: null,
  reasonText: null,
  parentHint: null,
};
let lastHint: string | null = null;

/** True when the hint of `f` is the last one built: every fact a hint may name is the same. */
function sameAsLast(f: HintFacts): boolean {
  return (
    lastHint !== null &&
    (f.parent ?? null) === null &&
    f.cause === LAST.cause &&
    f.server === LAST.server &&
    f.serverPort === LAST.serverPort &&
    f.reasonText === LAST.reasonText &&
    (f.parentHint ?? null) === LAST.parentHint &&
    (serverOnly(f.cause) ||
      (f.verdict === LAST.verdict && f.origin === LAST.origin && f.client === LAST.client && f.claimedSender === LAST.claimedSender && f.hopsCloser === LAST.hopsCloser))
  );
}

/**
 * Causes whose hint (hintText) reads only the server, its port and the RST's text: the last hint
 * serves every reset of the same server endpoint whatever its client (a flood's or a scan's refused
 * SYNs, each from another client: one string, built once, not one per reset).
 */
function serverOnly(cause: Cause): boolean {
  return cause === 'port_closed' || cause === 'accept_queue_overflow';
}

/** The hint for one reset. */
export function hintFor(f: HintFacts): string {
  if (sameAsLast(f)) return lastHint as string;
  const hint = hintText(f);
  if ((f.parent ?? null) !== null) return hint;
  LAST.cause = f.cause;
  LAST.verdict = f.verdict;
  LAST.origin = f.origin;
  LAST.client = f.client;
  LAST.server = f.server;
  LAST.serverPort = f.serverPort;
  LAST.claimedSender = f.claimedSender;
  LAST.hopsCloser = f.hopsCloser;
  LAST.reasonText = f.reasonText;
  LAST.parentHint = f.parentHint ?? null;
  lastHint = hint;
  return hint;
}

/** The hint's sentence, built from the facts. */
function hintText(f: HintFacts): string {
  const server = endpointText(f.server, f.serverPort);
  const reason = f.reasonText ? ` The RST itself says "${f.reasonText}".` : '';
  switch (f.cause) {
    case 'port_closed':
      return `Nothing listens on ${server}: check the service and \`ss -ltn\` on ${f.server}.${reason}`;
    case 'accept_queue_overflow':
      return `The accept queue of ${server} overflowed: compare \`ss -ltn\` Recv-Q with the backlog on ${f.server}, raise net.core.somaxconn or the listen() backlog, and check net.ipv4.tcp_abort_on_overflow.${reason}`;
    case 'port_reuse':
      return `${f.client} reused a source port that ${f.server} still held (TIME_WAIT): widen net.ipv4.ip_local_port_range, enable TCP timestamps on both ends, or reuse connections instead of opening new ones.`;
    case 'malformed_syn':
      return `${f.client} sent a probe with impossible TCP flags to ${server}: a scanner or a broken stack; check who runs it.${reason}`;
    case 'firewall_reject':
      return f.verdict === 'forged'
        ? `A device in the path refused the connection to ${server} in the server's name${f.hopsCloser !== null && f.hopsCloser > 0 ? ` (${f.hopsCloser} hop${f.hopsCloser === 1 ? '' : 's'} from the server)` : ''}: look for a firewall or ACL with a reject rule for this port between ${f.client} and ${f.server}.${reason}`
        : `${server} has a listener but refused this connection: check the host firewall (\`iptables -S\`, \`nft list ruleset\`) and the service's own access rules on ${f.server}.${reason}`;
    case 'scan_probe':
      return `${f.client} probed ${server} without using the connection (a port scan): check whether that scan is expected.`;
    case 'handshake_abort':
      return `${f.client} gave up on the handshake with ${server}: check the client's connect timeout and the path's delay and loss.`;
    case 'retransmission_timeout':
      return `${f.claimedSender} gave up after retransmitting the same data: look for packet loss or a black hole between ${f.client} and ${f.server} (MTU, a firewall dropping mid-flow).`;
    case 'idle_timeout':
      return f.origin === 'middlebox'
        ? `A stateful device in the path forgot the idle connection to ${server} and rejected its next packet: raise its idle timeout or enable TCP keepalives shorter than it.${reason}`
        : `${f.claimedSender} closed the connection to ${server} after it sat idle: compare the application's idle timeout with the client's, or enable keepalives.${reason}`;
    case 'application_abort':
      return `The application on ${f.claimedSender} aborted the connection (SO_LINGER 0, close with unread data, or a crash): check its logs at this time.${reason}`;
    case 'data_after_close':
      return `${f.claimedSender} had already closed when more data arrived: the two applications disagree on when the conversation ends; check the protocol's close handling.`;
    case 'fast_close':
      return `${f.claimedSender} ended the connection with a RST after the FINs instead of a normal close: usual for load balancers and proxies; harmless unless the last data went missing.${reason}`;
    case 'middlebox_injected':
      return `This reset was forged by a device in the path${f.hopsCloser !== null && f.hopsCloser > 0 ? `, about ${f.hopsCloser} hop${f.hopsCloser === 1 ? '' : 's'} nearer than ${f.claimedSender}` : ''}: look for an IPS, DPI or policy device between ${f.client} and ${f.server}.${reason}`;
    case 'after_reset': {
      const p = f.parent;
      const root = p ? `${p.id} (frame ${p.frame})` : 'an earlier reset';
      const inherited = f.parentHint ? ` Look at ${p ? p.id : 'that reset'} instead: ${f.parentHint}` : ` Look at ${root} instead.`;
      return `A consequence of ${root}: the socket of ${f.claimedSender} was already gone, so its kernel answered what was still in flight.${inherited}`;
    }
    case 'backscatter':
      return `${f.client} got a SYN-ACK from ${server} for a SYN it never sent, and its kernel refused it: backscatter of a SYN flood against ${f.server} that spoofed ${f.client}'s address, or a SYN-ACK probe. Nothing is wrong on ${f.client}; look at who is flooding ${f.server}.`;
    case 'stale_connection':
      return `${f.claimedSender} no longer knew this connection (it gave up, restarted, or a NAT or load balancer lost the mapping): check for restarts and state timeouts on that side.`;
    default:
      return `No known pattern fits: read the evidence and the packets around the RST to ${server}.${reason}`;
  }
}
