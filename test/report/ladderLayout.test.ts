/**
 * Correlated ladders are readable: no arrow is drawn across another and no label lies over
 * another arrow's line, whatever the sightings' microsecond differences and clock offsets do to
 * the order of events at each capture point (issue 16). Checked as geometry: on the ladders of
 * real-kernel captures correlated across two points, and on a made-up three-point ladder whose
 * clock offsets are off and whose packets are in flight both ways at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Ladder, LadderPacket } from '../../src/model/report.js';
import { runCorrelation } from '../../src/pipeline/runCorrelation.js';
import { type LadderGeometry, type Point, labelBox, ladderGeometry } from '../../src/report/html/ladderGeometry.js';
import { REPO_ROOT } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');

/** Sign of the turn a → b → c. */
function turn(a: Point, b: Point, c: Point): number {
  return Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
}

/** Whether two segments cross (touching at an end is not crossing). */
function cross(a: Point, b: Point, c: Point, d: Point): boolean {
  return turn(a, b, c) * turn(a, b, d) < 0 && turn(c, d, a) * turn(c, d, b) < 0;
}

/** Whether a segment passes through the inside of a box [left, top, right, bottom] (Liang–Barsky clipping). */
function throughBox(a: Point, b: Point, [l, t, r, btm]: readonly number[]): boolean {
  let lo = 0;
  let hi = 1;
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  for (const [p, q] of [[-dx, a[0] - (l as number)], [dx, (r as number) - a[0]], [-dy, a[1] - (t as number)], [dy, (btm as number) - a[1]]] as const) {
    if (p === 0) {
      if (q <= 0) return false;
    } else if (p < 0) lo = Math.max(lo, q / p);
    else hi = Math.min(hi, q / p);
  }
  return lo < hi;
}

function segments(line: readonly Point[]): [Point, Point][] {
  const out: [Point, Point][] = [];
  for (let i = 1; i < line.length; i++) out.push([line[i - 1] as Point, line[i] as Point]);
  return out;
}

/** Every crossing of two arrows and every label over another arrow's line, as text. */
function clashes(g: LadderGeometry): string[] {
  const found: string[] = [];
  g.arrows.forEach((a, i) => {
    g.arrows.forEach((b, j) => {
      if (j <= i) return;
      for (const [p, q] of segments(a.line)) for (const [r, s] of segments(b.line)) if (cross(p, q, r, s)) found.push(`arrows ${i} and ${j} cross`);
    });
    const box = labelBox(a.label, a.labelAt);
    g.arrows.forEach((b, j) => {
      if (j !== i && segments(b.line).some(([p, q]) => throughBox(p, q, box))) found.push(`label of arrow ${i} lies over arrow ${j}`);
    });
  });
  return found;
}

/** The correlated ladders of two captures of one lab scenario, laid out as the HTML report does. */
async function correlatedLadders(files: string[]): Promise<LadderGeometry[]> {
  const ladders: Ladder[] = [];
  const result = await runCorrelation(
    files.map((f) => join(LAB, f)),
    { ladders: true },
    { reset() {}, connection() {}, pattern() {}, ladder: (l) => ladders.push(l) },
  );
  const clock = new Map<number, number>();
  for (const p of result.path?.points ?? []) if (p.offset !== null) clock.set(p.capture, p.offset);
  return ladders.map((l) => ladderGeometry(l, result.inputs, clock));
}

test('real correlated ladders: no arrow across another, no label over a line', async () => {
  for (const scenario of ['middlebox-injection', 'firewall-reject-iptables']) {
    const geometries = await correlatedLadders([`${scenario}.client.pcap`, `${scenario}.router.pcap`]);
    assert.ok(geometries.some((g) => g.columns.length === 4), `${scenario}: a ladder across both points`);
    for (const g of geometries) assert.deepEqual(clashes(g), [], scenario);
  }
});

function packet(over: Partial<LadderPacket>): LadderPacket {
  return { frame: 1, capture: 0, ts: 1000, from: 'orig', flags: ['ACK'], seq: 1, ack: 1, len: 0, ttl: 64, win: 64240, reset: null, verdict: null, ...over };
}

test('a three-point ladder with a wrong clock offset and packets in flight both ways: still no crossing, no label over a line', () => {
  // Client — capture 2 — capture 0 (router, the ladder's own) — capture 1 — server. Capture 1's
  // offset is off by 300 µs, so its sightings land before or after others' at will.
  const seen = (...at: [number, number][]) => at.map(([capture, ts], i) => ({ capture, frame: 100 + i, ts, ttl: 60 }));
  const packets: LadderPacket[] = [];
  for (let i = 0; i < 12; i++) {
    const t = 1000 + i * 0.0001;
    const fromOrig = i % 3 !== 1;
    packets.push(
      packet({
        frame: i + 1,
        ts: t,
        from: fromOrig ? 'orig' : 'resp',
        flags: i === 11 ? ['RST'] : fromOrig ? ['PSH', 'ACK'] : ['ACK'],
        len: fromOrig ? 1448 : 0,
        seq: i * 1448,
        reset: i === 11 ? 'R1' : null,
        verdict: i === 11 ? 'forged' : null,
        // Each side's packets are in flight while the other's are: both pass every point within 250 µs.
        seen_at: i === 11 ? seen([1, t + 0.00012]) : i === 7 ? seen([2, t - 0.00025]) : seen([2, fromOrig ? t - 0.00025 : t + 0.00025], [1, fromOrig ? t + 0.00025 : t - 0.00025]),
      }),
    );
  }
  const ladder: Ladder = { conn: 'C1', capture: 0, orig: '10.0.0.10:40000', resp: '10.0.1.20:80', isn: { orig: 1, resp: 1 }, packets, gap: null, points: [2, 0, 1] };
  const g = ladderGeometry(ladder, [], new Map([[1, 0.0003]]));
  assert.equal(g.columns.length, 5);
  assert.deepEqual(clashes(g), []);
  // Still a ladder: every arrow goes down along its way, and the packets come in their capture's order.
  for (const a of g.arrows) for (let i = 1; i < a.line.length; i++) assert.ok((a.line[i]?.[1] as number) >= (a.line[i - 1]?.[1] as number));
  for (let i = 1; i < g.arrows.length; i++) assert.ok((g.arrows[i]?.y as number) > (g.arrows[i - 1]?.y as number));
});
