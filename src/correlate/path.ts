/**
 * The path the capture points lie on: every pair's clocks compared (clock.ts), the order of the
 * points inferred or given (order.ts), every point's clock relative to the first one.
 */
import type { PathReport } from '../model/report.js';
import { type PairClock, clocksFrom, estimateClock } from './clock.js';
import type { PathContext } from './locate.js';
import { inferOrder } from './order.js';
import type { PointCollector } from './pointCollector.js';

/** The path as correlation uses it and as the report shows it. */
export interface Path {
  ctx: PathContext;
  report: PathReport;
  /** The largest one-way delay between two points (seconds), for matching tolerances. */
  maxDelay: number;
}

/** The hash of a directed host pair's opposite direction, from any point that saw the pair. */
function reverseLookup(points: readonly PointCollector[]): (hosts: number) => number | undefined {
  return (hosts) => {
    for (const p of points) {
      const pair = p.hostPairs.get(hosts);
      if (pair !== undefined) return pair.reverse;
    }
    return undefined;
  };
}

/**
 * Compares every pair of points and orders them; `given` is a user's `--order` (every capture
 * once), `names` the points' short names, `spans` each capture's first and last record time.
 */
export function buildPath(
  points: readonly PointCollector[],
  names: readonly string[],
  spans: readonly { first: number | null; last: number | null }[],
  given: readonly number[] | null,
): Path {
  const reverseOf = reverseLookup(points);
  const pairs: PairClock[] = [];
  for (let a = 0; a < points.length; a++) {
    for (let b = a + 1; b < points.length; b++) pairs.push(estimateClock(points[a] as PointCollector, points[b] as PointCollector, reverseOf));
  }
  const inferred = given === null ? inferOrder(points, pairs) : { order: [...given], notes: [] };
  const order = inferred.order;
  const clocks = clocksFrom(order[0] ?? 0, points.length, pairs);
  const notes = [...inferred.notes];
  for (const p of pairs) {
    if (p.method === 'none') notes.push(`${names[p.a]} and ${names[p.b]} saw no packet in common: their clocks cannot be compared`);
    else if (p.method === 'one_direction') notes.push(`${names[p.a]} and ${names[p.b]}: which way their common packets went could not be told both ways, so their offset includes the one-way delay`);
  }
  for (const p of points) {
    if (p.rstsNotKept > 0) notes.push(`${names[p.capture]}: ${p.rstsNotKept} RSTs beyond the correlation limit are listed without correlation`);
    if (p.flowsOverflow || p.hostPairsOverflow) notes.push(`${names[p.capture]}: too many flows to track them all; a point is never called absent for traffic it did not track`);
  }
  const maxDelay = pairs.reduce((m, p) => Math.max(m, p.delay ?? 0), 0);
  const report: PathReport = {
    order: [...order],
    order_source: given === null ? 'inferred' : 'given',
    points: points.map((p) => ({ capture: p.capture, name: names[p.capture] as string, offset: clocks[p.capture] ?? null })),
    offsets: pairs.map(({ firstFor: _, ...offset }) => offset),
    notes,
  };
  return { ctx: { points, names, order, clocks, pairs, spans }, report, maxDelay };
}
