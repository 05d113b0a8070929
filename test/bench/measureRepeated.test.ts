/**
 * The bench's mix figures are the median of several runs (bench/measure.ts measureRepeated): one
 * run on a 2-core machine is easily 5-10 % off either way. The median is taken from the runs it
 * reports, the peak RSS is the highest of them, and a failed run ends the series as a failure.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { measureRepeated } from '../../bench/measure.js';

const FACTS = { bytes: 1_000_000, packets: 1000 };

test('measureRepeated reports the median of its runs and keeps every run', async () => {
  const m = await measureRepeated(3, 'sh', 'sh', ['-c', 'echo a; echo b'], FACTS);
  assert.equal(m.ok, true);
  assert.equal(m.stdoutLines, 2);
  assert.equal(m.wallRuns?.length, 3);
  const sorted = [...(m.wallRuns ?? [])].sort((a, b) => a - b);
  assert.equal(m.wallS, sorted[1]);
  assert.ok(m.wallS > 0);
});

test('measureRepeated with an even count averages the two middle runs; one run has no series', async () => {
  const m = await measureRepeated(4, 'true', 'true', [], FACTS);
  const s = [...(m.wallRuns ?? [])].sort((a, b) => a - b);
  assert.equal(s.length, 4);
  assert.equal(m.wallS, ((s[1] as number) + (s[2] as number)) / 2);
  const one = await measureRepeated(1, 'true', 'true', [], FACTS);
  assert.equal(one.wallRuns, undefined);
  assert.equal(one.ok, true);
});

test('measureRepeated stops at the first failed run and reports it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-repeat-'));
  try {
    const count = join(dir, 'count');
    writeFileSync(count, '');
    // The second run fails: the series ends there, as a failure, and no third run is made.
    const script = `echo x >> ${count}; [ $(wc -l < ${count}) -lt 2 ]`;
    const m = await measureRepeated(3, 'sh', 'sh', ['-c', script], FACTS);
    assert.equal(m.ok, false);
    assert.equal(m.exitCode, 1);
    assert.equal(readFileSync(count, 'utf8').split('\n').filter(Boolean).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
