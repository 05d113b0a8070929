/**
 * Groups RST sightings from every capture point into physical RSTs: the same fingerprint
 * (fingerprint.ts), compatible payload hashes, and times that agree once the clock offset is
 * taken off. A fingerprint can repeat: Linux answers every retransmitted SYN to a closed port
 * with an identical RST|ACK (tcp_v4_send_reset: IP ID 0, seq 0, the same ack), so sightings are
 * paired nearest-first within MATCH_TOLERANCE_S, and with no clock estimate only when the
 * fingerprint occurs once at each point.
 */
import { payloadsAgree } from './fingerprint.js';
import type { PointCollector, RstSighting } from './pointCollector.js';

/**
 * Largest disagreement (seconds) between two sightings' corrected times. Identical RSTs come at
 * least the initial retransmission timeout apart (1 s, RFC 6298 §2.1), so half of it cannot
 * join two of them; a path's queues rarely hold a packet that long.
 */
export const MATCH_TOLERANCE_S = 0.5;

/** One RST as it crossed the capture points: its sightings, at most one per point unless it repeated. */
export interface PhysicalRst {
  sightings: RstSighting[];
}

/** Union-find over sighting numbers. */
class Groups {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r] as number;
    let y = x;
    while (this.parent[y] !== r) {
      const next = this.parent[y] as number;
      this.parent[y] = r;
      y = next;
    }
    return r;
  }
  join(x: number, y: number): void {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx !== ry) this.parent[Math.max(rx, ry)] = Math.min(rx, ry);
  }
}

/** The RSTs of one point by fingerprint. */
function byKey(point: PointCollector): Map<number, number[]> {
  const index = new Map<number, number[]>();
  point.rsts.forEach((r, i) => {
    const list = index.get(r.key);
    if (list === undefined) index.set(r.key, [i]);
    else list.push(i);
  });
  return index;
}

/**
 * Pairs the sightings of one fingerprint at two points: nearest corrected times first. `shift`
 * is y's clock minus x's (null: unknown).
 */
function pairUp(xs: readonly RstSighting[], ys: readonly RstSighting[], shift: number | null, tolerance: number): [number, number][] {
  if (shift === null) return xs.length === 1 && ys.length === 1 ? [[0, 0]] : [];
  const candidates: { i: number; j: number; cost: number }[] = [];
  xs.forEach((x, i) => {
    ys.forEach((y, j) => {
      const cost = Math.abs(y.ts - x.ts - shift);
      if (cost <= tolerance && payloadsAgree(x.payloadKnown, x.payload, y.payloadKnown, y.payload)) candidates.push({ i, j, cost });
    });
  });
  candidates.sort((p, q) => p.cost - q.cost);
  const usedX = new Set<number>();
  const usedY = new Set<number>();
  const pairs: [number, number][] = [];
  for (const c of candidates) {
    if (usedX.has(c.i) || usedY.has(c.j)) continue;
    usedX.add(c.i);
    usedY.add(c.j);
    pairs.push([c.i, c.j]);
  }
  return pairs;
}

/**
 * Every physical RST across `points`; `clocks[p]` is point p's clock relative to a common
 * reference (null: unknown) and `delays` the largest one-way delay estimated between points.
 */
export function matchResets(points: readonly PointCollector[], clocks: readonly (number | null)[], maxDelay: number): PhysicalRst[] {
  const base: number[] = [];
  let total = 0;
  for (const p of points) {
    base.push(total);
    total += p.rsts.length;
  }
  const groups = new Groups(total);
  const indexes = points.map(byKey);
  const tolerance = MATCH_TOLERANCE_S + maxDelay;
  for (let x = 0; x < points.length; x++) {
    for (let y = x + 1; y < points.length; y++) {
      const cx = clocks[x] ?? null;
      const cy = clocks[y] ?? null;
      const shift = cx === null || cy === null ? null : cy - cx;
      const px = points[x] as PointCollector;
      const py = points[y] as PointCollector;
      for (const [key, xi] of indexes[x] as Map<number, number[]>) {
        const yi = (indexes[y] as Map<number, number[]>).get(key);
        if (yi === undefined) continue;
        const xs = xi.map((i) => px.rsts[i] as RstSighting);
        const ys = yi.map((i) => py.rsts[i] as RstSighting);
        for (const [i, j] of pairUp(xs, ys, shift, tolerance)) groups.join((base[x] as number) + (xi[i] as number), (base[y] as number) + (yi[j] as number));
      }
    }
  }
  const byRoot = new Map<number, PhysicalRst>();
  const out: PhysicalRst[] = [];
  points.forEach((p, pi) => {
    p.rsts.forEach((r, i) => {
      const root = groups.find((base[pi] as number) + i);
      let g = byRoot.get(root);
      if (g === undefined) {
        g = { sightings: [] };
        byRoot.set(root, g);
        out.push(g);
      }
      g.sightings.push(r);
    });
  });
  return out;
}
