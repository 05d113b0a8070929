/**
 * Issue 15, item 2: a stream carried across runs. A capture cut into pieces with `editcap -c N`
 * and analysed one piece per run, each run resuming the state the previous one carried (the
 * tracker's open connections, the explain context, held resets), gives exactly what one run over
 * the whole file gives: the same connections (ids included), the same resets in the same order
 * with the same ids, and each reset's (capture, frame) names its own piece — a negative capture
 * for a piece of an earlier run (-1 the stream's first file).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Connection, Pattern, Reset } from '../../src/model/report.js';
import type { CarriedStream } from '../../src/pipeline/carry.js';
import { type RunOptions, runAnalysis } from '../../src/pipeline/run.js';
import { tempDir } from '../helpers/run.js';

const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;
const hasMergecap = spawnSync('mergecap', ['-V'], { stdio: 'ignore' }).error === undefined;

interface Found {
  resets: Reset[];
  connections: Connection[];
  patterns: Pattern[];
  carried?: CarriedStream;
}

async function run(paths: string[], options: RunOptions): Promise<Found> {
  const found: Found = { resets: [], connections: [], patterns: [] };
  const result = await runAnalysis(paths, options, {
    reset: (r) => found.resets.push(r),
    connection: (c) => found.connections.push(c),
    pattern: (p) => found.patterns.push(p),
  });
  if (result.carried) found.carried = result.carried;
  return found;
}

/** Frame in the whole file of a reset found while piece `run` (0-based) was analysed, pieces of `n` frames. */
function wholeFrame(capture: number, frame: number, run: number, n: number): number {
  const piece = capture < 0 ? -capture - 1 : run;
  return piece * n + frame;
}

describe('a stream carried from run to run', () => {
  const tmp = tempDir('whyreset-carry-');
  after(() => tmp.remove());
  const lab = join(import.meta.dirname, '../../../test/fixtures/lab');
  const wholePath = join(tmp.dir, 'whole.pcap');

  for (const n of [3, 10, 40]) {
    it(`editcap -c ${n}, one piece per run: the whole file's connections and resets`, { skip: (!hasEditcap || !hasMergecap) && 'editcap/mergecap missing' }, async () => {
      // Every client-side lab capture, one after the other (-a: concatenated, each keeps its times).
      const inputs = readdirSync(lab).filter((f) => f.endsWith('.client.pcap')).sort().map((f) => join(lab, f));
      execFileSync('mergecap', ['-a', '-F', 'pcap', '-w', wholePath, ...inputs]);
      const dir = join(tmp.dir, `c${n}`);
      mkdirSync(dir);
      execFileSync('editcap', ['-c', String(n), wholePath, join(dir, 'piece.pcap')]);
      const pieces = readdirSync(dir).sort().map((f) => join(dir, f));
      assert.ok(pieces.length >= 3, 'several pieces');

      const whole = await run([wholePath], {});
      assert.ok(whole.resets.length >= 20, 'the capture has resets to compare');
      const got: Found = { resets: [], connections: [], patterns: [] };
      let carried: CarriedStream | undefined;
      let crossed = 0;
      for (let i = 0; i < pieces.length; i++) {
        const last = i === pieces.length - 1;
        const part = await run([pieces[i] as string], { stream: true, carry: !last, resume: carried });
        for (const r of part.resets) got.resets.push({ ...r, frame: wholeFrame(r.capture, r.frame, i, n), capture: 0 });
        got.connections.push(...part.connections);
        got.patterns.push(...part.patterns);
        if (!last) {
          assert.ok(part.carried, `piece ${i} carried its stream`);
          carried = part.carried;
          crossed += carried.open;
        }
      }
      assert.ok(crossed > 0, 'some connections crossed a boundary');
      const sansCapture = (c: Connection) => ({ ...c, capture: 0 });
      assert.deepEqual(got.connections.map(sansCapture), whole.connections.map(sansCapture), 'connections');
      assert.deepEqual(got.resets, whole.resets, 'resets, with ids, order and whole-file frames');
      assert.deepEqual(got.patterns, whole.patterns, 'patterns');
      assert.equal(new Set(got.connections.map((c) => c.id)).size, got.connections.length, 'each connection once');

      // Without carrying, pieces start afresh: a connection crossing a boundary is cut in two.
      const apart: string[] = [];
      for (const p of pieces) for (const c of (await run([p], {})).connections) apart.push(`${c.community_id} ${c.history}`);
      assert.notDeepEqual(apart, whole.connections.map((c) => `${c.community_id} ${c.history}`), 'fresh trackers tell another story');
    });
  }

  it('a carried stream with no input is finished: its open connections come out', { skip: !hasEditcap && 'editcap missing' }, async () => {
    const inputs = readdirSync(lab).filter((f) => f.endsWith('.client.pcap')).sort().map((f) => join(lab, f));
    const one = inputs[0] as string;
    const whole = await run([one], {});
    const carrying = await run([one], { carry: true });
    assert.ok(carrying.carried && carrying.carried.open > 0, 'connections left open');
    const flushed = await run([], { resume: carrying.carried });
    assert.equal(carrying.connections.length + flushed.connections.length, whole.connections.length);
    assert.deepEqual([...carrying.resets, ...flushed.resets].map((r) => r.id), whole.resets.map((r) => r.id));
  });
});
