/**
 * A connection's ladder drawn across the capture points: `points` in the order its originator's
 * packets pass them, every packet with `seen_at` (where else the same packet was seen), the
 * second copies of forwarded packets in a `tcpdump -i any` capture left out (their first copy
 * stands for both), and reset ids and verdicts those of the correlated resets.
 */
import type { Ladder, LadderPacket, Sighting, Verdict } from '../model/report.js';
import type { PathContext } from './locate.js';
import { MATCH_TOLERANCE_S } from './match.js';
import type { FollowedPacket, PointCollector } from './pointCollector.js';

/** The correlated resets: id → verdict, and the ids that now stand for another. */
export interface CorrelatedIds {
  verdictOf: ReadonlyMap<string, Verdict | null>;
  alias: ReadonlyMap<string, string>;
}

/** The sighting of `key` at point `q` nearest the corrected time `ts` (a time of `from`'s clock), if any. */
function nearest(ctx: PathContext, q: number, from: number, key: number, ts: number, tolerance: number): FollowedPacket | null {
  const list = (ctx.points[q] as PointCollector).followed.get(key);
  if (list === undefined || list.length === 0) return null;
  const a = ctx.clocks[from];
  const b = ctx.clocks[q];
  if (a === null || a === undefined || b === null || b === undefined) return list.length === 1 ? (list[0] as FollowedPacket) : null;
  const expected = ts - a + b;
  let best: FollowedPacket | null = null;
  for (const e of list) if (Math.abs(e.ts - expected) <= tolerance && (best === null || Math.abs(e.ts - expected) < Math.abs(best.ts - expected))) best = e;
  return best;
}

/** The fingerprint key of a ladder packet at its own point, if followed. */
export function ladderPacketKey(ctx: PathContext, p: LadderPacket): number | undefined {
  return (ctx.points[p.capture] as PointCollector | undefined)?.followedKeyOf.get(p.frame);
}

/** The ladder with `points` and per-packet `seen_at`; `maxDelay` widens the matching tolerance. */
export function ladderAcrossPoints(ladder: Ladder, ctx: PathContext, ids: CorrelatedIds, maxDelay: number): Ladder {
  const own = ctx.points[ladder.capture] as PointCollector;
  const tolerance = MATCH_TOLERANCE_S + maxDelay;
  const packets: LadderPacket[] = [];
  let gapAfter = -1;
  ladder.packets.forEach((p, i) => {
    if (!own.secondCopies.has(p.frame)) {
      const key = own.followedKeyOf.get(p.frame);
      const seen: Sighting[] = [];
      if (key !== undefined) {
        for (const q of ctx.order) {
          if (q === ladder.capture) continue;
          const e = nearest(ctx, q, ladder.capture, key, p.ts, tolerance);
          if (e !== null) seen.push({ capture: q, frame: e.frame, ts: Math.round(e.ts * 1e6) / 1e6, ttl: e.ttl });
        }
      }
      const reset = p.reset === null ? null : (ids.alias.get(p.reset) ?? p.reset);
      packets.push({ ...p, reset, verdict: reset === null ? null : (ids.verdictOf.get(reset) ?? p.verdict), seen_at: seen });
    }
    if (ladder.gap !== null && i === ladder.gap.after) gapAfter = packets.length - 1;
  });
  return {
    ...ladder,
    packets,
    gap: ladder.gap === null ? null : { after: gapAfter, packets: ladder.gap.packets },
    points: pointsFor(ctx, ladder.capture, packets),
  };
}

/**
 * The points in the order the originator's packets pass them: by the corrected times of its
 * first packet seen at every point it reached (they grow along the way), else the path's order.
 */
function pointsFor(ctx: PathContext, capture: number, packets: readonly LadderPacket[]): number[] {
  const order = [...ctx.order];
  const first = packets.find((p) => p.from === 'orig' && (p.seen_at?.length ?? 0) > 0);
  if (first === undefined) return order;
  const clock = (c: number) => ctx.clocks[c];
  const times = new Map<number, number>();
  for (const s of [{ capture, ts: first.ts }, ...(first.seen_at ?? [])]) {
    const c = clock(s.capture);
    if (c !== null && c !== undefined) times.set(s.capture, s.ts - c);
  }
  const head = order.find((c) => times.has(c));
  const tail = [...order].reverse().find((c) => times.has(c));
  if (head === undefined || tail === undefined || head === tail) return order;
  return (times.get(head) as number) <= (times.get(tail) as number) ? order : order.reverse();
}
