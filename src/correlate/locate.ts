/**
 * Where on the path one RST was born. Walk the capture points in the order the RST travels
 * (from its claimed sender's side): it was born after the last point that should have seen it
 * and did not, and at or before the first point that saw it.
 *
 * "Should have seen it" is the careful part. A point counts only when, at that moment (its
 * capture running, clocks corrected), it carried traffic from the RST's source to its
 * destination: this very connection (strong), or other connections between the same hosts
 * within ROUTE_STABLE_S (routes persist for hours: Paxson, "End-to-end routing behavior in the
 * Internet", SIGCOMM 1996). A point that never saw that direction is left out, never called
 * absent: routing can be asymmetric. And when that point also missed other packets of the
 * connection that the first point saw, its silence may be capture loss: not conclusive.
 *
 * Two more facts settle a RST on their own. A router's `tcpdump -i any` capture shows each
 * forwarded packet coming in and going out; a RST that only goes out, on a host that forwards
 * this traffic, was made on that host (netfilter's REJECT, an injector). And a RST first seen at
 * a point where its source's own packets carry their initial TTL and are never forwarded was seen
 * leaving the sender itself.
 */
import { EV_CORRELATED_ABSENT, EV_MADE_AT_POINT, EV_SEEN_FIRST_AT } from '../explain/evidence.js';
import { roundMicros } from '../explain/resetFields.js';
import type { Born, Direction, Sighting } from '../model/report.js';
import { initialTtlOf } from '../net/ttl.js';
import type { PairClock } from './clock.js';
import type { PhysicalRst } from './match.js';
import { openerDirection } from './order.js';
import type { PointCollector, RstSighting } from './pointCollector.js';

/** How long a route between two hosts is taken to stay the same (seconds). */
export const ROUTE_STABLE_S = 300;
/**
 * A classic pcap does not record when its capture stopped, only its last packet. Captures of one
 * incident are started before it and stopped after it; a point whose last record is at most this
 * long before the RST's passage is taken to have still been capturing (the lab's server-side
 * captures end with the server's last packet, 40–80 ms before a forged RST).
 */
export const END_GRACE_S = 1;

/** What correlation knows about the capture points. */
export interface PathContext {
  points: readonly PointCollector[];
  names: readonly string[];
  /** Points from the openers' side to the acceptors' side. */
  order: readonly number[];
  /** Each point's clock relative to `order[0]` (null: unknown). */
  clocks: readonly (number | null)[];
  pairs: readonly PairClock[];
  /** Each capture's first and last record time (its own clock). */
  spans: readonly { first: number | null; last: number | null }[];
}

/** Why a point should have seen a RST. */
interface Carried {
  point: number;
  level: 'flow' | 'hosts';
  /** Packets of this connection in this direction the first point saw and this one did not. */
  missed: number;
}

/** The answer for one physical RST. */
export interface Location {
  /** The sighting the reset is explained from (first seen, nearest its claimed sender). */
  first: RstSighting;
  /** Every sighting, in the order the RST travelled. */
  seenAt: Sighting[];
  born: Born;
  /** What the capture points settle: `forged` (not sent by its claimed source), `genuine`, or nothing. */
  settles: 'forged' | 'genuine' | null;
  /** The evidence code and detail for the settling fact. */
  evidence: { code: string; detail: string } | null;
  /** When the points prove a device made it: where (for the hint), else null. */
  proof: Proof | null;
}

/**
 * Where the capture points prove a RST was made: `made` on the host of capture point `at` (its
 * `-i any` capture shows it leaving without arriving), which lies between `after` and `before`
 * (neighbouring points' names, or the hosts' addresses at the ends of the path); or `between`
 * the points `after` and `at` (the first carried the traffic but never saw it, the second did).
 */
export interface Proof {
  kind: 'made' | 'between';
  at: string;
  after: string;
  before: string;
}

/** The capture points in the order a packet from the RST's source to its destination passes them. */
export function travelOrder(ctx: PathContext, rst: RstSighting, from: Direction | null): number[] {
  const position = new Map(ctx.order.map((p, i) => [p, i]));
  let agree = 0;
  let disagree = 0;
  for (const pair of ctx.pairs) {
    const direct = pair.firstFor.get(rst.hosts);
    const reverse = pair.firstFor.get(rst.reverseHosts);
    const first = direct?.first ?? (reverse === undefined ? undefined : reverse.first === 'a' ? 'b' : 'a');
    if (first === undefined) continue;
    const [x, y] = first === 'a' ? [pair.a, pair.b] : [pair.b, pair.a];
    if ((position.get(x) as number) < (position.get(y) as number)) agree++;
    else disagree++;
  }
  let forward = agree !== disagree ? agree > disagree : true;
  if (agree === disagree) {
    const opener = openerDirection(ctx.points, rst.hosts);
    forward = opener !== 0 ? opener > 0 : from !== 'resp';
  }
  return forward ? [...ctx.order] : [...ctx.order].reverse();
}

/** Converts a time of point `from`'s clock to point `to`'s; null when a clock is unknown. */
function convert(ctx: PathContext, ts: number, from: number, to: number): number | null {
  const a = ctx.clocks[from];
  const b = ctx.clocks[to];
  if (a === null || a === undefined || b === null || b === undefined) return null;
  return ts - a + b;
}

/** Whether point `y` carried the RST's direction of traffic when the RST would have passed it (see the file comment). */
function carried(ctx: PathContext, y: number, rst: RstSighting): Carried | null {
  const t = convert(ctx, rst.ts, rst.capture, y);
  const span = ctx.spans[y];
  if (t === null || span === undefined || span.first === null || span.last === null) return null;
  if (t < span.first || t > span.last + END_GRACE_S) return null;
  const point = ctx.points[y] as PointCollector;
  const flow = point.flow(rst.flow);
  if (flow !== null && flow.first <= t + MATCH_SLACK_S) {
    const seenFirst = (ctx.points[rst.capture] as PointCollector).flow(rst.flow);
    return { point: y, level: 'flow', missed: Math.max(0, (seenFirst?.packets ?? 0) - flow.packets) };
  }
  const pair = point.hostPairs.get(rst.hosts);
  if (pair !== undefined && t >= pair.first - ROUTE_STABLE_S && t <= pair.last + ROUTE_STABLE_S) return { point: y, level: 'hosts', missed: 0 };
  return null;
}
/** Clock error allowed when comparing a connection's first packet with the RST's time. */
const MATCH_SLACK_S = 0.01;

/** Whether point `p`'s capture is on the RST's source host itself (see the file comment). */
function atSource(ctx: PathContext, p: number, rst: RstSighting): number | null {
  const pair = (ctx.points[p] as PointCollector).hostPairs.get(rst.hosts);
  if (pair === undefined || pair.forwarded > 0 || pair.minTtl !== pair.maxTtl) return null;
  return initialTtlOf(pair.maxTtl) === pair.maxTtl ? pair.maxTtl : null;
}

/** Whether point `p` made the RST: it only went out there, on a host that forwards this traffic. */
function madeAt(ctx: PathContext, p: number, sighting: RstSighting): boolean {
  if (sighting.pkttype !== 'out' || sighting.forwarded !== null) return false;
  const pair = (ctx.points[p] as PointCollector).hostPairs.get(sighting.hosts);
  const reverse = (ctx.points[p] as PointCollector).hostPairs.get(sighting.reverseHosts);
  return (pair?.forwarded ?? 0) > 0 || (reverse?.forwarded ?? 0) > 0;
}

/** "router" or "router and server" or "a, b and c". */
function names(ctx: PathContext, points: readonly number[]): string {
  const n = points.map((p) => ctx.names[p] as string);
  return n.length <= 1 ? (n[0] ?? '') : `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}`;
}

/** Locates one physical RST; `fromOf` gives the direction a sighting's own analysis found (orig/resp). */
export function locateReset(ctx: PathContext, rst: PhysicalRst, fromOf: (s: RstSighting) => Direction | null): Location {
  const any = rst.sightings[0] as RstSighting;
  const travel = travelOrder(ctx, any, fromOf(any));
  const byPoint = new Map<number, RstSighting[]>();
  for (const s of rst.sightings) {
    const list = byPoint.get(s.capture);
    if (list === undefined) byPoint.set(s.capture, [s]);
    else list.push(s);
  }
  for (const list of byPoint.values()) list.sort((a, b) => a.ts - b.ts);
  const seenPositions = travel.map((p, i) => (byPoint.has(p) ? i : -1)).filter((i) => i >= 0);
  const firstPos = seenPositions[0] as number;
  const lastPos = seenPositions[seenPositions.length - 1] as number;
  const firstPoint = travel[firstPos] as number;
  const first = (byPoint.get(firstPoint) as RstSighting[])[0] as RstSighting;
  const seenAt: Sighting[] = [];
  for (const p of travel) for (const s of byPoint.get(p) ?? []) seenAt.push(sightingOf(s));

  const upstream = travel.slice(0, firstPos).map((p) => carried(ctx, p, first)).filter((c): c is Carried => c !== null);
  const between = travel.slice(firstPos + 1, lastPos).filter((p) => !byPoint.has(p));
  const gaps = between.map((p) => carried(ctx, p, first)).filter((c): c is Carried => c !== null);
  const downstream = travel.slice(lastPos + 1).map((p) => carried(ctx, p, first)).filter((c): c is Carried => c !== null);
  const absent = [...upstream, ...gaps, ...downstream].map((c) => c.point);

  const src = first.src;
  const dst = first.dst;
  const fName = ctx.names[firstPoint] as string;
  const nearest = upstream[upstream.length - 1];
  const made = madeAt(ctx, firstPoint, first);
  const madeText = made ? `; it left ${fName}'s host without having arrived there: that machine made it` : '';
  let text: string;
  let settles: Location['settles'] = null;
  let evidence: Location['evidence'] = null;
  let segmentFrom: number | null = null;
  let proof: Proof | null = null;
  if (nearest !== undefined) {
    const yName = ctx.names[nearest.point] as string;
    segmentFrom = nearest.point;
    const what = nearest.level === 'flow' ? "this connection's packets" : 'packets of other connections';
    if (nearest.missed > 0 && !made) {
      text = `first seen at ${fName}; ${yName} should have seen it first but it also missed ${nearest.missed} other packet(s) of this connection from ${src}, so it may have lost this one: not conclusive`;
    } else {
      text = `born between ${yName} and ${fName}: ${yName} carried ${what} from ${src} to ${dst} then but never saw this RST, so ${src} did not send it${madeText}`;
      settles = 'forged';
      proof = made ? madeProof(ctx, travel, firstPos, src, dst) : { kind: 'between', at: fName, after: yName, before: fName };
      evidence = {
        code: EV_CORRELATED_ABSENT,
        detail: `${yName} (capture ${nearest.point}) carried ${what} from ${src} to ${dst} but never saw this RST, first seen at ${fName} (capture ${firstPoint}, frame ${first.frame})`,
      };
    }
  } else if (made) {
    text = `born at ${fName}: it left that host without having arrived there, and that host forwards the traffic between ${src} and ${dst}, so ${src} did not send it`;
    settles = 'forged';
    proof = madeProof(ctx, travel, firstPos, src, dst);
    evidence = { code: EV_MADE_AT_POINT, detail: `${fName} (capture ${firstPoint}) shows the RST only going out (frame ${first.frame}), never coming in, on a host that forwards this traffic` };
  } else {
    const ttl = atSource(ctx, firstPoint, first);
    const before = travel.slice(0, firstPos);
    if (ttl !== null) {
      text = `sent by ${src}: seen leaving it at ${fName}, where its packets carry their initial TTL ${ttl}`;
      settles = 'genuine';
      evidence = { code: EV_SEEN_FIRST_AT, detail: `first seen at ${fName} (capture ${firstPoint}, frame ${first.frame}), on ${src} itself: its packets leave there with TTL ${ttl}, never forwarded` };
    } else if (before.length === 0) {
      text = `first seen at ${fName}, the capture point nearest ${src}: born on ${src}'s side of ${fName}`;
    } else {
      text = `first seen at ${fName}; ${names(ctx, before)} carried no traffic from ${src} to ${dst} then, so where before ${fName} it was born cannot be told`;
    }
  }
  if (gaps.length > 0) text += `; ${names(ctx, gaps.map((c) => c.point))} missed it on the way (capture loss or another route)`;
  if (downstream.length > 0) text += `; it never reached ${names(ctx, downstream.map((c) => c.point))}: dropped after ${ctx.names[travel[lastPos] as number]}`;
  return {
    first,
    seenAt,
    born: { first_seen: firstPoint, absent_from: absent, text, between: [segmentFrom, firstPoint], conclusive: settles !== null },
    settles,
    evidence,
    proof,
  };
}

/** The host of the point at `travel[pos]` made the RST: it lies between its neighbours on the way (or the end hosts). */
function madeProof(ctx: PathContext, travel: readonly number[], pos: number, src: string, dst: string): Proof {
  const name = (i: number) => (i >= 0 && i < travel.length ? (ctx.names[travel[i] as number] as string) : null);
  return { kind: 'made', at: name(pos) as string, after: name(pos - 1) ?? src, before: name(pos + 1) ?? dst };
}

/** The report's view of a sighting. */
function sightingOf(s: RstSighting): Sighting {
  const out: Sighting = { capture: s.capture, frame: s.frame, ts: roundMicros(s.ts), ttl: s.ttl };
  if (s.pkttype !== null) out.pkttype = s.pkttype;
  if (s.forwarded !== null) out.forwarded = { ...s.forwarded, ts: roundMicros(s.forwarded.ts) };
  return out;
}
