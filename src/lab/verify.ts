/**
 * Matching what a scenario expected against the RSTs really captured. Pure: expectations and
 * packets in, labels and problems out. A scenario is verified when every RST frame at every
 * capture point matches exactly one expectation (no unlabelled reset), and every expectation is
 * seen as many times as it said, at every point its path crosses, with the TTL the path implies
 * (no label without its packet).
 */
import type { CapturePoint } from './capture.js';
import { type Appearances, type ResetExpectation, appearancesOf, senderHost } from './expect.js';
import type { PointCount, ResetLabel } from './labels.js';
import { type CapturedReset, flagNames } from './resets.js';
import { HOSTS, hostOfAddress } from './topology.js';

/** The outcome of matching one scenario's captures. */
export interface Verification {
  labels: ResetLabel[];
  problems: string[];
  counts: Record<CapturePoint, PointCount>;
}

/** Whether a captured RST has the shape of an expectation (TTL checked separately). */
export function shapeMatches(e: ResetExpectation, r: CapturedReset): boolean {
  if (e.src !== r.src || e.dst !== r.dst) return false;
  if (e.sport !== undefined && e.sport !== r.sport) return false;
  if (e.dport !== undefined && e.dport !== r.dport) return false;
  if (e.flags !== r.flags) return false;
  if (e.seq !== undefined && !e.seq.includes(r.seq)) return false;
  return true;
}

/** A one-line description of a captured RST for problem messages. */
export function describeReset(point: CapturePoint, r: CapturedReset): string {
  return `${point} frame ${r.frame}: ${r.src}:${r.sport} > ${r.dst}:${r.dport} [${flagNames(r.flags).join(',')}] ttl ${r.ttl} seq ${r.seq} ack ${r.ack}`;
}

/** Matches the RSTs of all capture points against the expectations. */
export function verifyResets(
  expectations: readonly ResetExpectation[],
  found: Record<CapturePoint, readonly CapturedReset[]>,
): Verification {
  const problems: string[] = [];
  const labels: ResetLabel[] = [];
  const seen = expectations.map((e) => ({ e, where: appearancesOf(e), hits: new Map<string, number>() }));
  const counts = {} as Record<CapturePoint, PointCount>;
  for (const point of HOSTS) {
    const resets = found[point];
    let labelled = 0;
    for (const r of resets) {
      // Identical RSTs (a socketless kernel answering several segments: the same seq each time)
      // are told apart by order: an expectation that reached its maximum here yields the next
      // one to the following expectation of the same shape (a root, then its consequences).
      const fits = ({ e, where }: (typeof seen)[number]): boolean => (where[point] ?? []).includes(r.ttl) && shapeMatches(e, r);
      const match = seen.find((x) => fits(x) && (x.hits.get(`${point}/${r.ttl}`) ?? 0) < x.e.count[1]) ?? seen.find(fits);
      if (!match) {
        problems.push(`unlabelled RST at ${describeReset(point, r)}`);
        continue;
      }
      const key = `${point}/${r.ttl}`;
      match.hits.set(key, (match.hits.get(key) ?? 0) + 1);
      labels.push(labelOf(match.e, point, r, directionAt(match.e, match.where, point, r.ttl)));
      labelled++;
    }
    counts[point] = { labelled, found: resets.length };
  }
  for (const { e, where, hits } of seen) problems.push(...countProblems(e, where, hits));
  return { labels, problems, counts };
}

/** Problems with how often an expectation was seen: out of its range, or different between points. */
export function countProblems(e: ResetExpectation, where: Appearances, hits: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  const [min, max] = e.count;
  const perPoint: string[] = [];
  let first: number | undefined;
  let differs = false;
  for (const point of HOSTS) {
    const ttls = where[point];
    if (!ttls) continue;
    const n = ttls.map((t) => hits.get(`${point}/${t}`) ?? 0);
    perPoint.push(`${point} ${n.join('/')}`);
    for (const k of n) {
      if (first === undefined) first = k;
      else if (k !== first) differs = true;
      if (k < min || k > max) {
        problems.push(`${e.id}: expected ${min === max ? min : `${min}-${max}`} at ${point} (ttl ${ttls.join('/')}), saw ${k}`);
      }
    }
  }
  if (differs) problems.push(`${e.id}: not the same packets at every point (${perPoint.join(', ')})`);
  return problems;
}

/**
 * Whether a matched frame was leaving or arriving at `point`: out at the sender's own host, and
 * at the router for the second (one TTL lower) copy of a forwarded packet; in everywhere else.
 */
export function directionAt(e: ResetExpectation, where: Appearances, point: CapturePoint, ttl: number): 'in' | 'out' {
  if (senderHost(e.sentBy) === point) return 'out';
  const ttls = where[point] ?? [];
  return ttls.length === 2 && ttl === ttls[1] ? 'out' : 'in';
}

function labelOf(e: ResetExpectation, point: CapturePoint, r: CapturedReset, direction: 'in' | 'out'): ResetLabel {
  return {
    capture: point,
    frame: r.frame,
    src: r.src,
    sport: r.sport,
    dst: r.dst,
    dport: r.dport,
    seq: r.seq,
    ack: r.ack,
    flags: flagNames(r.flags),
    ttl: r.ttl,
    direction,
    expectation: e.id,
    sent_by: e.sentBy,
    component: e.component,
    claimed_by: hostOfAddress(r.src),
    stage: e.stage,
    cause: e.cause,
    verdict: e.verdict,
    origin: e.origin,
    why: e.why,
  };
}
