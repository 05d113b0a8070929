/**
 * Folds a reset's location on the path into its single-point explanation. Capture points beat
 * single-point inference (the article's advice, and issue 7): a reset "from the server" that the
 * server-side capture never saw was forged in between whatever its TTL or IP ID looked like, and
 * a reset seen leaving its sender is genuine whatever a baseline suggested. When the points do
 * not settle it, the single-point verdict stands and only `seen_at` and `born` are added.
 */
import { hintFor } from '../explain/hints.js';
import type { Cause, Reset } from '../model/report.js';
import type { Location, Proof } from './locate.js';

/** Causes that name an endpoint as the actor: wrong once the capture points show a device made the RST. */
const ENDPOINT_CAUSES: ReadonlySet<Cause> = new Set<Cause>([
  'port_closed',
  'accept_queue_overflow',
  'port_reuse',
  'malformed_syn',
  'scan_probe',
  'handshake_abort',
  'retransmission_timeout',
  'application_abort',
  'data_after_close',
  'fast_close',
  'stale_connection',
  'unexplained',
  'backscatter',
]);
/** Causes that name a device as the actor: wrong once the capture points show the endpoint sent it. */
const DEVICE_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['firewall_reject', 'middlebox_injected']);

/** The cause once the capture points showed who sent it. */
function correlatedCause(reset: Reset, settles: 'forged' | 'genuine'): Cause | null {
  const cause = reset.cause;
  if (cause === null) return null;
  if (settles === 'forged' && ENDPOINT_CAUSES.has(cause)) return reset.stage === 'handshake' ? 'firewall_reject' : 'middlebox_injected';
  if (settles === 'genuine' && DEVICE_CAUSES.has(cause)) return 'unexplained';
  return cause;
}

/**
 * The hint once the capture points proved a device made the RST: it names where (the router
 * between two points, or the stretch between two points) instead of "somewhere between the hosts".
 */
export function provenHint(proof: Proof, cause: Cause | null, claimedSender: string, serverPort: number, reasonText: string | null): string {
  const look =
    cause === 'firewall_reject'
      ? `a reject rule for port ${serverPort} (\`iptables -S\`, \`nft list ruleset\`, an ACL)`
      : 'a firewall rule, an IPS or another process that sends packets of its own (an injector)';
  const said = reasonText ? ` The RST itself says "${reasonText}".` : '';
  return proof.kind === 'made'
    ? `Made by the router where ${proof.at} was captured, between ${proof.after} and ${proof.before}, in ${claimedSender}'s name (its capture shows the RST leaving without arriving): look there for ${look}.${said}`
    : `Made between ${proof.after} and ${proof.at}, in ${claimedSender}'s name (${proof.after} carried this traffic but never saw it; ${proof.at} did): look on that stretch of the path for ${look}.${said}`;
}

/** The reset with `seen_at`, `born` and, when the capture points settle it, verdict, origin, cause, confidence and hint updated. */
export function applyLocation(reset: Reset, location: Location): Reset {
  const out: Reset = { ...reset, seen_at: location.seenAt, born: location.born };
  if (location.settles === null || location.evidence === null) return out;
  out.evidence = [...reset.evidence, location.evidence];
  const verdict = location.settles;
  const origin = verdict === 'forged' ? 'middlebox' : (reset.from ?? 'unknown');
  const cause = correlatedCause(reset, verdict);
  // Several capture points agreeing is stronger than any single-point inference.
  out.confidence = Math.max(reset.confidence ?? 0, 0.95);
  if (location.proof !== null && reset.from !== null) {
    out.hint = provenHint(location.proof, cause, reset.src, reset.from === 'orig' ? reset.dport : reset.sport, reset.reason_text);
  }
  if (verdict === reset.verdict && origin === reset.origin && cause === reset.cause) return out;
  out.verdict = verdict;
  out.origin = origin;
  out.cause = cause;
  if (cause !== null && reset.from !== null && location.proof === null) {
    const fromOrig = reset.from === 'orig';
    out.hint = hintFor({
      cause,
      verdict,
      origin,
      client: fromOrig ? reset.src : reset.dst,
      server: fromOrig ? reset.dst : reset.src,
      serverPort: fromOrig ? reset.dport : reset.sport,
      claimedSender: reset.src,
      hopsCloser: null,
      reasonText: reset.reason_text,
    });
  }
  return out;
}
