/**
 * The bench's same-run comparison of two builds (bench/compare.ts, `npm run bench -- --baseline`):
 * its options, the spread and ratio it prints, and end to end on a small generated capture with
 * this tree as its own baseline (timed, and counted by callgrind, whose ratio must be near 1: within 10%).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Comparison, comparisonLines, hasValgrind, parseCompareOptions, peakRss, ratioText, resolveBaseline, spreadOf } from '../../bench/compare.js';
import { generate } from '../../bench/gen.js';
import { REPO_ROOT, tempDir } from '../helpers/run.js';

test('without --baseline the usual bench runs; with it, the defaults of a timed and a callgrind comparison', () => {
  assert.equal(parseCompareOptions(['--size', '20']), undefined);
  const timed = parseCompareOptions(['--baseline', '6d385d6']);
  assert.ok(typeof timed === 'object');
  assert.equal(timed.baseline, '6d385d6');
  assert.equal(timed.runs, 5);
  assert.equal(timed.warmup, 1);
  assert.equal(timed.callgrind, false);
  assert.equal(timed.format, 'text');
  assert.deepEqual(timed.args, []);
  const cg = parseCompareOptions(['--baseline', '../other', '--callgrind', '--slice', '8', '--this-args', '-C  --threads 1', '--args', '--format-ignored']);
  assert.ok(typeof cg === 'object');
  assert.equal(cg.runs, 1, 'callgrind counts are repeatable: one run per side unless --runs says');
  assert.equal(cg.sliceMiB, 8);
  assert.deepEqual(cg.thisArgs, ['-C', '--threads', '1']);
  assert.deepEqual(cg.baselineArgs, []);
  assert.deepEqual(cg.args, ['--format-ignored']);
});

test('wrong comparison options are messages, not runs', () => {
  assert.match(String(parseCompareOptions(['--baseline'])), /needs a directory or a git commit/);
  assert.match(String(parseCompareOptions(['--baseline', '--callgrind'])), /needs a directory or a git commit/);
  assert.match(String(parseCompareOptions(['--baseline', 'x', '--runs', '0'])), /--runs/);
  assert.match(String(parseCompareOptions(['--baseline', 'x', '--runs', '2.5'])), /--runs/);
  assert.match(String(parseCompareOptions(['--baseline', 'x', '--warmup', '-1'])), /--warmup/);
  assert.match(String(parseCompareOptions(['--baseline', 'x', '--slice', 'big'])), /--slice/);
  assert.match(String(parseCompareOptions(['--baseline', 'x', '--formats', 'text,json'])), /one format/);
});

test('spread: min, median (middle pair averaged) and max, in any order', () => {
  assert.deepEqual(spreadOf([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.deepEqual(spreadOf([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  assert.deepEqual(spreadOf([7]), { min: 7, median: 7, max: 7 });
  assert.throws(() => spreadOf([]));
  assert.equal(ratioText(1.0234), '1.023× (+2.3%)');
  assert.equal(ratioText(0.9), '0.900× (-10.0%)');
  assert.equal(ratioText(null), 'n/a');
});

test('the printed comparison: each side, the ratios this/baseline, peak RSS and the ±3% verdict', () => {
  const c: Comparison = {
    file: 'x.pcap',
    unit: 'seconds',
    baseline: { label: 'baseline abc1234', values: [2, 1, 3], rss: [100 * 1048576, null, 120 * 1048576] },
    current: { label: 'this tree', values: [1.02, 1.1, 2.04], rss: [90 * 1048576, 96 * 1048576, null] },
  };
  assert.equal(peakRss(c.baseline), 120 * 1048576);
  const text = comparisonLines(c).join('\n');
  assert.match(text, /baseline abc1234\s+min\s+1\.000 s\s+median\s+2\.000 s\s+max\s+3\.000 s\s+peak RSS 120\.0 MiB/);
  assert.match(text, /this tree\s+min\s+1\.020 s\s+median\s+1\.100 s\s+max\s+2\.040 s\s+peak RSS 96\.0 MiB/);
  assert.match(text, /ratio this\/baseline\s+min 1\.020× \(\+2\.0%\)\s+median 0\.550× \(-45\.0%\)/);
  assert.match(text, /peak RSS this\/baseline 0\.800× \(-20\.0%\)/);
  assert.match(text, /within ±3% on the median: no/);
  const counted: Comparison = { file: 'x.pcap', unit: 'instructions', baseline: { label: 'b', values: [2_000_000_000], rss: [null] }, current: { label: 't', values: [2_050_000_000], rss: [null] } };
  const cg = comparisonLines(counted).join('\n');
  assert.match(cg, /min\s+2,000\.0M/);
  assert.match(cg, /median 1\.025× \(\+2\.5%\)/);
  assert.match(cg, /within ±3% on the median: yes/);
  assert.doesNotMatch(cg, /peak RSS/, 'callgrind runs have no meaningful RSS');
});

test('a baseline that is neither a built checkout nor a commit is refused before anything runs', () => {
  const dir = tempDir();
  try {
    assert.throws(() => resolveBaseline(join(dir.dir, 'none'), REPO_ROOT, join(dir.dir, 'builds'), () => {}), /neither a built whyreset checkout nor a commit/);
    mkdirSync(join(dir.dir, 'half', 'bin'), { recursive: true });
    spawnSync('touch', [join(dir.dir, 'half', 'bin', 'whyreset.js')]);
    assert.throws(() => resolveBaseline(join(dir.dir, 'half'), REPO_ROOT, join(dir.dir, 'builds'), () => {}), /not built/);
    assert.deepEqual(resolveBaseline(REPO_ROOT, REPO_ROOT, join(dir.dir, 'builds'), () => {}).label, 'baseline');
  } finally {
    dir.remove();
  }
});

/** Runs the bench's comparison of this tree with itself on `file`; returns its JSON results and its text. */
function compareWithItself(file: string, extra: readonly string[], json: string): { results: Comparison[]; stdout: string } {
  const r = spawnSync(process.execPath, ['dist/bench/run.js', '--baseline', '.', '--file', file, '--json', json, ...extra], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 900_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return { results: (JSON.parse(readFileSync(json, 'utf8')) as { results: Comparison[] }).results, stdout: r.stdout };
}

test('end to end, timed: this tree against itself on a small capture, interleaved, both sides measured', () => {
  const dir = tempDir();
  try {
    const pcap = join(dir.dir, 'small.pcap');
    generate(pcap, { sizeMiB: 0.25, seed: 3 });
    const { results, stdout } = compareWithItself(pcap, ['--runs', '2', '--warmup', '1'], join(dir.dir, 'r.json'));
    assert.equal(results.length, 1);
    const [c] = results;
    assert.ok(c);
    assert.equal(c.unit, 'seconds');
    assert.equal(c.baseline.values.length, 2, 'the warm-up pair is not counted');
    assert.equal(c.current.values.length, 2);
    for (const v of [...c.baseline.values, ...c.current.values]) assert.ok(v > 0 && Number.isFinite(v));
    assert.ok((peakRss(c.baseline) ?? 0) > 1048576 && (peakRss(c.current) ?? 0) > 1048576, 'peak RSS measured on both sides');
    assert.match(stdout, /ratio this\/baseline\s+min \d+\.\d{3}× .*median \d+\.\d{3}×/);
    assert.match(stdout, /peak RSS this\/baseline \d+\.\d{3}×/);
  } finally {
    dir.remove();
  }
});

test('end to end, callgrind: this tree against itself counts nearly the same instructions (ratio within 1 ± 10%)', (t) => {
  if (!hasValgrind()) {
    t.skip('valgrind is not installed (apt-get install -y valgrind; .ci/run installs it)');
    return;
  }
  const dir = tempDir();
  try {
    const pcap = join(dir.dir, 'small.pcap');
    generate(pcap, { sizeMiB: 0.1, seed: 3 });
    const { results, stdout } = compareWithItself(pcap, ['--callgrind'], join(dir.dir, 'r.json'));
    const [c] = results;
    assert.ok(c);
    assert.equal(c.unit, 'instructions');
    const [base] = c.baseline.values;
    const [mine] = c.current.values;
    assert.ok(base !== undefined && mine !== undefined && base > 1e8, `node and whyreset's start alone run over 10^8 instructions: ${base}`);
    const ratio = mine / base;
    // Counts of one build repeat only to a few percent (JIT and GC timing: 911M vs 944M seen at
    // start-up under load), so the tolerance here is wide; a comparison that counted the wrong
    // process or one side twice would be far outside it.
    assert.ok(Math.abs(ratio - 1) < 0.1, `same build, same input: ratio ${ratio}`);
    assert.match(stdout, /within ±3% on the median: (yes|no)/);
  } finally {
    dir.remove();
  }
});

test('--help names both modes and every comparison option', () => {
  const r = spawnSync(process.execPath, ['dist/bench/run.js', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const opt of ['--baseline DIR', '--baseline COMMIT', '--runs', '--warmup', '--file', '--callgrind', '--slice', '--this-args', '--baseline-args', '--own-shebang', '--json', '--sweep', '--tshark-prefix']) {
    assert.ok(r.stdout.includes(opt), `--help names ${opt}`);
  }
});
