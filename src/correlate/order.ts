/**
 * The order of the capture points along the path, from the side that opens connections (sends
 * the SYNs) to the side that accepts them. Each pair of points votes with the packets both saw:
 * for a host pair whose opener is known (it sent the pure SYNs, RFC 9293 §3.5), the point its
 * packets pass first (clock.ts: by TTL, else by timing) lies nearer the opener. Points are then
 * ranked by pairwise wins (a Copeland ranking), which is exact when the votes are consistent
 * and degrades gracefully when a pair of points saw nothing in common.
 */
import { basename } from 'node:path';
import type { PairClock } from './clock.js';
import type { PointCollector } from './pointCollector.js';

/** An inferred order with what could not be settled. */
export interface InferredOrder {
  order: number[];
  notes: string[];
}

/** +1 when a host pair's packets go from opener to acceptor, −1 the other way, 0 unknown (SYNs summed over every point). */
export function openerDirection(points: readonly PointCollector[], hosts: number): number {
  let mine = 0;
  let theirs = 0;
  for (const p of points) {
    const pair = p.hostPairs.get(hosts);
    if (pair === undefined) continue;
    mine += pair.syns;
    theirs += p.hostPairs.get(pair.reverse)?.syns ?? 0;
  }
  return Math.sign(mine - theirs);
}

/** Infers the order of `points` from the pairwise clocks (see the file comment). */
export function inferOrder(points: readonly PointCollector[], pairs: readonly PairClock[]): InferredOrder {
  const n = points.length;
  const votes: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const notes: string[] = [];
  for (const pair of pairs) {
    if (pair.matched === 0) continue;
    for (const [hosts, f] of pair.firstFor) {
      const dir = openerDirection(points, hosts);
      if (dir === 0) continue;
      const aFirst = (f.first === 'a') === dir > 0;
      const [x, y] = aFirst ? [pair.a, pair.b] : [pair.b, pair.a];
      (votes[x] as number[])[y] = ((votes[x] as number[])[y] as number) + f.packets;
    }
  }
  const wins = new Array<number>(n).fill(0);
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      if (x === y) continue;
      const d = ((votes[x] as number[])[y] as number) - ((votes[y] as number[])[x] as number);
      if (d > 0) wins[x] = (wins[x] as number) + 1;
    }
  }
  for (let x = 0; x < n; x++) {
    for (let y = x + 1; y < n; y++) {
      const forward = (votes[x] as number[])[y] as number;
      const back = (votes[y] as number[])[x] as number;
      if (forward === 0 && back === 0) notes.push(`the order of captures ${x} and ${y} could not be told (no packet of a known opener seen at both)`);
      else if (forward > 0 && back > 0) notes.push(`captures ${x} and ${y} disagree on their order (${forward} packets say ${x} first, ${back} say ${y} first): routes differ, or NAT`);
    }
  }
  const order = [...Array(n).keys()].sort((x, y) => (wins[y] as number) - (wins[x] as number) || x - y);
  return { order, notes };
}

/** A capture's short name: its file name without directory and capture extensions. */
export function pointName(path: string): string {
  return basename(path).replace(/(\.gz)?$/, '').replace(/\.(pcapng|pcap|cap|dmp)$/, '') || path;
}

/**
 * Parses `--order`: capture indices ("2,1,0") or names ("client,router,server", matched against
 * the file names or their short names). Every capture exactly once. Throws a usage message.
 */
export function parseOrder(spec: string, paths: readonly string[]): number[] {
  const parts = spec.split(',').map((p) => p.trim());
  const order = parts.map((part) => {
    if (/^\d+$/.test(part)) {
      const i = Number(part);
      if (i >= paths.length) throw new Error(`--order: there is no capture ${i} (captures are numbered 0 to ${paths.length - 1})`);
      return i;
    }
    const i = paths.findIndex((p) => p === part || basename(p) === part || pointName(p) === part);
    if (i < 0) throw new Error(`--order: "${part}" names none of the captures`);
    return i;
  });
  if (order.length !== paths.length || new Set(order).size !== order.length) {
    throw new Error(`--order must list each of the ${paths.length} captures exactly once`);
  }
  return order;
}
