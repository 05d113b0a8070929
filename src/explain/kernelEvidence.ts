/**
 * The kernel's word on a reset (`--kernel-trace`): a small hook run on each explained reset,
 * after the wire-only rules (cause.ts, forgery.ts) and apart from them. A traced host's kernel
 * is the strongest evidence there is: when its TCP stack sent the RST, the reset is genuine and
 * its cause is read from the kernel's `sk_rst_reason` (src/kernel/reasonCauses.ts); when the
 * host was traced and nothing on it could have sent the RST, it is forged, proven.
 */
import type { KernelMatch, KernelMatcher } from '../kernel/match.js';
import { reasonMeaning } from '../kernel/reasonCauses.js';
import type { Cause, KernelFinding, KernelOutcome, KernelSummary, Reset } from '../model/report.js';
import { EV_KERNEL_ABSENT, EV_KERNEL_REASON, evidence } from './evidence.js';
import { hintFor } from './hints.js';

/** Confidence of a reading the kernel settled. */
const KERNEL_CONFIDENCE = 0.99;

/**
 * Applies what the traces say to one reset, in place (call in capture order: events are
 * consumed as they are matched). Returns the outcome, null when the claimed sender was not traced.
 */
export function applyKernelTrace(r: Reset, matcher: KernelMatcher): KernelOutcome | null {
  const m = matcher.match(r);
  if (m.kind === 'untraced') return null;
  const before = { cause: r.cause, verdict: r.verdict };
  const finding = findingOf(m, r);
  r.kernel = finding;
  if (m.kind === 'unprovable') return finding.outcome;
  r.evidence = [evidenceOf(m, r), ...r.evidence];
  r.confidence = KERNEL_CONFIDENCE;
  if (r.cause !== before.cause || r.verdict !== before.verdict) r.hint = hintOf(r);
  return finding.outcome;
}

/** The Reset's `kernel` field, changing cause, verdict and origin as the kernel settles them. */
function findingOf(m: Exclude<KernelMatch, { kind: 'untraced' }>, r: Reset): KernelFinding {
  switch (m.kind) {
    case 'sent': {
      const reason = m.event.reason;
      const causes = reason === null ? [] : (reasonMeaning(reason)?.causes ?? []);
      const wasGenuine = r.verdict === 'genuine';
      const causeFits = causes.length === 0 || (r.cause !== null && causes.includes(r.cause));
      if (!causeFits) r.cause = causes[0] as Cause;
      r.verdict = 'genuine';
      r.origin = r.from ?? r.origin;
      const outcome = causeFits && wasGenuine ? 'confirmed' : 'corrected';
      return { reason, state: m.event.state, host: m.host, event: 'send_reset', outcome };
    }
    case 'netfilter': {
      // nf_send_reset (net/ipv4/netfilter/nf_reject_ipv4.c) answers for the host: a REJECT rule of its own.
      // A host's own reject of a SYN looks like a closed port on the wire; both readings stand.
      if (r.cause !== 'firewall_reject' && r.cause !== 'port_closed') r.cause = 'firewall_reject';
      r.verdict = 'genuine';
      r.origin = r.from ?? r.origin;
      return { reason: null, state: null, host: m.host, event: 'nf_send_reset', outcome: 'netfilter' };
    }
    case 'absent': {
      r.cause = forgedCause(r);
      r.verdict = 'forged';
      r.origin = 'middlebox';
      return { reason: null, state: null, host: m.host, event: 'none', outcome: 'proven_forged' };
    }
    case 'unprovable':
      return { reason: null, state: null, host: m.host, event: 'none', outcome: 'unprovable', note: m.why };
  }
}

/**
 * The cause of a reset proven forged: a refused connection attempt stays a firewall reject (a
 * policy device answering for the server), a stateful device's expiry stays an idle timeout;
 * anything else a third party sent is an injection.
 */
function forgedCause(r: Reset): Cause {
  if (r.cause === 'firewall_reject' || r.cause === 'middlebox_injected') return r.cause;
  if (r.cause === 'idle_timeout' && r.origin === 'middlebox') return r.cause;
  if (r.stage === 'handshake' && (r.cause === 'port_closed' || r.cause === 'malformed_syn')) return 'firewall_reject';
  return 'middlebox_injected';
}

/** The evidence entry, naming the event, the reason and the kernel function behind it. */
function evidenceOf(m: Exclude<KernelMatch, { kind: 'untraced' | 'unprovable' }>, r: Reset) {
  if (m.kind === 'absent') {
    return evidence(
      EV_KERNEL_ABSENT,
      `${m.host} was traced and its kernel sent no RST ${r.src}:${r.sport} > ${r.dst}:${r.dport} then; it has no REJECT rule that could send one and no raw socket`,
    );
  }
  if (m.kind === 'netfilter') return evidence(EV_KERNEL_REASON, `${m.host}'s netfilter sent this RST (nf_send_reset: a REJECT rule of its own)`);
  const reason = m.event.reason;
  const meaning = reason === null ? null : reasonMeaning(reason);
  const state = m.event.state === null ? 'no socket' : `socket ${m.event.state}`;
  const why = reason === null ? 'no reason recorded (a kernel before 6.10)' : `${reason}${meaning ? `: ${meaning.meaning} (${meaning.raisedBy})` : ''}`;
  return evidence(EV_KERNEL_REASON, `${m.host}'s kernel sent this RST, ${state}, reason ${why}`);
}

/** The hint again, for the cause and verdict the kernel settled. */
function hintOf(r: Reset): string {
  const fromOrig = r.from !== 'resp';
  return hintFor({
    cause: r.cause ?? 'unexplained',
    verdict: r.verdict ?? 'genuine',
    origin: r.origin ?? 'unknown',
    client: fromOrig ? r.src : r.dst,
    server: fromOrig ? r.dst : r.src,
    serverPort: fromOrig ? r.dport : r.sport,
    claimedSender: r.src,
    hopsCloser: null,
    reasonText: r.reason_text,
  });
}

/**
 * After correlation moved a reset's verdict from the capture points, the kernel's word is put
 * back: it outranks where a RST was first seen.
 */
export function reassertKernel(r: Reset): Reset {
  const k = r.kernel;
  if (k === undefined) return r;
  if (k.event === 'send_reset' || k.event === 'nf_send_reset') {
    r.verdict = 'genuine';
    r.origin = r.from ?? r.origin;
  } else if (k.outcome === 'proven_forged') {
    r.verdict = 'forged';
    r.origin = 'middlebox';
  }
  return r;
}

/** An empty kernel summary. */
export function emptyKernelSummary(): KernelSummary {
  return { traced: 0, confirmed: 0, corrected: 0, netfilter: 0, proven_forged: 0, unprovable: 0 };
}

/** Counts one reset's kernel outcome. */
export function countKernel(summary: KernelSummary, r: Reset): void {
  const outcome = r.kernel?.outcome;
  if (outcome === undefined) return;
  summary.traced++;
  summary[outcome]++;
}
