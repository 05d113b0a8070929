/**
 * The clocks of two capture points compared on the packets both saw.
 *
 * A packet going from point a to point b shows Δ = ts_b − ts_a = θ + d + q (θ: b's clock minus
 * a's, d: the one-way delay, q ≥ 0: queueing); one going from b to a shows Δ = θ − d − q. The
 * smallest Δ of the first kind and the largest of the second are the least-queued packets, and
 * with the same delay both ways (NTP's assumption, RFC 5905 §8) θ is their midpoint and d half
 * their distance: Paxson's minimum filter ("On calibrating measurements of packet transit
 * times", SIGMETRICS 1998). Which way a packet went between a and b is first read from TTLs (a
 * router decrements it, RFC 1812 §5.3.1, so the point that sees the higher TTL is nearer the
 * sender), and otherwise from timing: the direction whose Δ run higher passed a first.
 */
import type { ClockOffset } from '../model/report.js';
import type { PointCollector } from './pointCollector.js';

/** Which of the two points a directed host pair's packets pass first. */
export type FirstPoint = 'a' | 'b';

/** A ClockOffset with what the order inference needs. */
export interface PairClock extends ClockOffset {
  /** Per directed host pair (its hash): which point its packets pass first, and how many were matched. */
  firstFor: Map<number, { first: FirstPoint; packets: number; byTtl: boolean }>;
}

/** Matched packets of one directed host pair between two points. */
interface Bucket {
  deltas: number[];
  ttlAHigher: number;
  ttlBHigher: number;
}

/**
 * Δ values below the median by more than this many median absolute deviations (and more than
 * OUTLIER_FLOOR_S) are dropped before the minimum is taken: a false match, not a fast packet.
 */
const OUTLIER_MADS = 20;
const OUTLIER_FLOOR_S = 0.05;
/** Share of TTL votes one way needed to trust TTLs for a host pair's direction. */
const TTL_AGREEMENT = 0.9;

/** Median of a non-empty array (sorted in place). */
function median(values: number[]): number {
  values.sort((x, y) => x - y);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/** The least Δ that is not a lone outlier below the others (see OUTLIER_MADS). */
function robustMin(values: number[]): number {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  const floor = m - Math.max(OUTLIER_MADS * mad, OUTLIER_FLOOR_S);
  let best = Number.POSITIVE_INFINITY;
  for (const v of values) if (v >= floor && v < best) best = v;
  return best;
}

/** The greatest Δ that is not a lone outlier above the others. */
function robustMax(values: number[]): number {
  return -robustMin(values.map((v) => -v));
}

/** Packets seen at both points, once each, bucketed by directed host pair. */
function matchSamples(a: PointCollector, b: PointCollector): Map<number, Bucket> {
  const buckets = new Map<number, Bucket>();
  const [small, large, swapped] = a.sample.size <= b.sample.size ? [a, b, false] : [b, a, true];
  for (const [key, s] of small.sample) {
    const l = large.sample.get(key);
    if (l === undefined || s.count !== 1 || l.count !== 1) continue;
    const pa = swapped ? l : s;
    const pb = swapped ? s : l;
    let bucket = buckets.get(pa.hosts);
    if (bucket === undefined) {
      bucket = { deltas: [], ttlAHigher: 0, ttlBHigher: 0 };
      buckets.set(pa.hosts, bucket);
    }
    bucket.deltas.push(pb.ts - pa.ts);
    if (pa.ttl > pb.ttl) bucket.ttlAHigher++;
    else if (pb.ttl > pa.ttl) bucket.ttlBHigher++;
  }
  return buckets;
}

/** The direction TTLs give for a bucket, or null when they do not settle it. */
function firstByTtl(bucket: Bucket): FirstPoint | null {
  const votes = bucket.ttlAHigher + bucket.ttlBHigher;
  if (votes === 0) return null;
  if (bucket.ttlAHigher >= TTL_AGREEMENT * votes) return 'a';
  if (bucket.ttlBHigher >= TTL_AGREEMENT * votes) return 'b';
  return null;
}

/**
 * Estimates b's clock offset to a and the one-way delay from packets both saw; `reverseOf`
 * gives the hash of a directed host pair's opposite direction.
 */
export function estimateClock(a: PointCollector, b: PointCollector, reverseOf: (hosts: number) => number | undefined): PairClock {
  const buckets = matchSamples(a, b);
  const firstFor = new Map<number, { first: FirstPoint; packets: number; byTtl: boolean }>();
  const medians = new Map<number, number>();
  for (const [hosts, bucket] of buckets) medians.set(hosts, median([...bucket.deltas]));
  // 1. TTLs; 2. the two directions of one host pair against each other.
  for (const [hosts, bucket] of buckets) {
    const byTtl = firstByTtl(bucket);
    if (byTtl !== null) {
      firstFor.set(hosts, { first: byTtl, packets: bucket.deltas.length, byTtl: true });
      continue;
    }
    const reverse = reverseOf(hosts);
    const mine = medians.get(hosts) as number;
    const theirs = reverse === undefined ? undefined : medians.get(reverse);
    if (theirs !== undefined && theirs !== mine) firstFor.set(hosts, { first: mine > theirs ? 'a' : 'b', packets: bucket.deltas.length, byTtl: false });
  }
  // A reverse direction settled by TTL settles its partner the other way.
  for (const [hosts, bucket] of buckets) {
    if (firstFor.has(hosts)) continue;
    const reverse = reverseOf(hosts);
    const partner = reverse === undefined ? undefined : firstFor.get(reverse);
    if (partner !== undefined) firstFor.set(hosts, { first: partner.first === 'a' ? 'b' : 'a', packets: bucket.deltas.length, byTtl: partner.byTtl });
  }
  const aFirst: number[] = [];
  const bFirst: number[] = [];
  for (const [hosts, bucket] of buckets) {
    const f = firstFor.get(hosts);
    if (f === undefined) continue;
    const into = f.first === 'a' ? aFirst : bFirst;
    for (const d of bucket.deltas) into.push(d);
  }
  let offset: number | null = null;
  let delay: number | null = null;
  let method: ClockOffset['method'] = 'none';
  if (aFirst.length > 0 && bFirst.length > 0) {
    const up = robustMin(aFirst); // θ + d
    const down = robustMax(bFirst); // θ − d
    offset = (up + down) / 2;
    // Jitter of the capture clocks larger than the delay can invert them: the delay is then ~0.
    delay = Math.max(0, (up - down) / 2);
    method = 'both_directions';
  } else if (aFirst.length > 0) {
    offset = robustMin(aFirst);
    method = 'one_direction';
  } else if (bFirst.length > 0) {
    offset = robustMax(bFirst);
    method = 'one_direction';
  } else if (buckets.size > 0) {
    // Nothing settles the direction: the median Δ is the offset, give or take the delay.
    const all = [...buckets.values()].flatMap((x) => x.deltas);
    offset = median(all);
    method = 'one_direction';
  }
  // Host pairs still unsettled: the side of the offset their Δ fall on.
  if (offset !== null) {
    for (const [hosts, bucket] of buckets) {
      if (firstFor.has(hosts)) continue;
      const m = medians.get(hosts) as number;
      if (m !== offset) firstFor.set(hosts, { first: m > offset ? 'a' : 'b', packets: bucket.deltas.length, byTtl: false });
    }
  }
  const matched = [...buckets.values()].reduce((n, x) => n + x.deltas.length, 0);
  return {
    a: a.capture,
    b: b.capture,
    offset: offset === null ? null : roundNanos(offset),
    delay: delay === null ? null : roundNanos(delay),
    matched,
    a_to_b: aFirst.length,
    b_to_a: bFirst.length,
    method,
    firstFor,
  };
}

/** Rounds seconds to nanoseconds (what pcapng can carry), dropping float noise. */
function roundNanos(s: number): number {
  return Math.round(s * 1e9) / 1e9;
}

/**
 * Each point's clock relative to `reference` (seconds to add to a reference time), chaining pair
 * offsets along the pairs with the most matched packets (a maximum spanning tree, Prim's
 * algorithm); null for a point no matched pair reaches.
 */
export function clocksFrom(reference: number, count: number, pairs: readonly ClockOffset[]): (number | null)[] {
  const clocks: (number | null)[] = new Array<number | null>(count).fill(null);
  clocks[reference] = 0;
  for (;;) {
    let best: ClockOffset | null = null;
    for (const p of pairs) {
      if (p.offset === null) continue;
      const known = (clocks[p.a] !== null) !== (clocks[p.b] !== null);
      if (known && (best === null || p.matched > best.matched)) best = p;
    }
    if (best === null || best.offset === null) return clocks;
    if (clocks[best.a] !== null) clocks[best.b] = roundNanos((clocks[best.a] as number) + best.offset);
    else clocks[best.a] = roundNanos((clocks[best.b] as number) - best.offset);
  }
}
