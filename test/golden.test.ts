/**
 * Golden tests: the reports of real-kernel captures (test/fixtures/lab, made by `whyreset lab`)
 * compared byte for byte with test/golden/, one file per fixture and format
 * (`<fixture>.{txt,verbose.txt,csv,conn.log,json}`, so that one behaviour change rewrites only the
 * files of the fixtures it touches). Regenerated only with UPDATE_GOLDEN=1, so that any change of
 * output shows up as a diff to review. The Zeek log's #open/#close lines carry the
 * wall-clock time of the run and are compared as a shape only.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli } from './helpers/run.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const GOLDEN = join(REPO_ROOT, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The fixtures, in name order, as relative paths (the reports name their inputs). */
const captures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.pcap'))
  .sort();

/** Output with what legitimately changes from run to run (the Zeek log's open/close times, the version) made fixed. */
function normalise(text: string): string {
  return text
    .replace(/^#(open|close)\t\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/gm, '#$1\t<time>')
    .replace(/"version":"[^"]*"/g, '"version":"<version>"');
}

/** The reports kept per fixture: golden file suffix and the analyze arguments before the capture. */
const FORMATS: readonly { suffix: string; args: readonly string[] }[] = [
  { suffix: 'txt', args: [] },
  { suffix: 'verbose.txt', args: ['--verbose'] },
  { suffix: 'csv', args: ['--format', 'csv'] },
  { suffix: 'conn.log', args: ['--format', 'zeek'] },
  { suffix: 'json', args: ['--format', 'json'] },
];

/** Golden files that are not per fixture. */
const EXPLAIN_GOLDEN = 'explain-middlebox-injection.txt';

/** CLI runs at once (the machine may be small; each run is a whole process). */
const PARALLEL_RUNS = 4;

/** `<fixture without .pcap>.<suffix>`: one golden file per fixture and format. */
function goldenName(capture: string, suffix: string): string {
  return `${capture.replace(/\.pcap$/, '')}.${suffix}`;
}

/**
 * Compares one command's output with its golden file (or writes it with UPDATE_GOLDEN=1): null
 * when equal, else what differs.
 */
async function goldenDifference(name: string, args: string[]): Promise<string | null> {
  const r = await runCli(args, { cwd: FIXTURES });
  if (r.code !== 0) return `${name}: exit ${r.code}: ${r.stderr}`;
  const actual = normalise(r.stdout);
  const file = join(GOLDEN, name);
  if (UPDATE) {
    writeFileSync(file, actual);
    return null;
  }
  if (!existsSync(file)) return `${file} is missing: run UPDATE_GOLDEN=1 npm test and review it`;
  const expected = readFileSync(file, 'utf8');
  if (actual === expected) return null;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const first = a.findIndex((line, i) => line !== e[i]);
  return `${name} differs from the golden file at line ${first + 1}:\n  golden: ${e[first]}\n  now:    ${a[first]}`;
}

/** Runs check on every item, PARALLEL_RUNS at a time; the non-null results, in item order. */
async function allDifferences<T>(items: readonly T[], check: (item: T) => Promise<string | null>): Promise<string[]> {
  const results: (string | null)[] = new Array(items.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await check(items[i] as T);
  };
  await Promise.all(Array.from({ length: PARALLEL_RUNS }, worker));
  return results.filter((r): r is string => r !== null);
}

test('the lab fixtures are there', () => {
  assert.ok(captures.length >= 10, `${captures.length} captures in ${FIXTURES}`);
});

for (const format of FORMATS) {
  test(`golden: analyze ${['<fixture>', ...format.args].join(' ')}, per fixture (test/golden/<fixture>.${format.suffix})`, async () => {
    const differences = await allDifferences(captures, (capture) => goldenDifference(goldenName(capture, format.suffix), ['analyze', ...format.args, capture]));
    assert.deepEqual(differences, [], `${differences.join('\n')}\n(UPDATE_GOLDEN=1 npm test regenerates them after an intended change)`);
  });
}

test('golden: explain ladder of the injected resets', async () => {
  const difference = await goldenDifference(EXPLAIN_GOLDEN, ['explain', 'middlebox-injection.client.pcap', '--conn', 'C1']);
  assert.equal(difference, null, difference ?? '');
});

test('every golden file belongs to a fixture and a format (none left over from a removed fixture)', () => {
  const expected = new Set([EXPLAIN_GOLDEN, ...captures.flatMap((c) => FORMATS.map((f) => goldenName(c, f.suffix)))]);
  const present = readdirSync(GOLDEN);
  assert.deepEqual(
    present.filter((f) => !expected.has(f)),
    [],
  );
  if (!UPDATE) assert.deepEqual([...expected].filter((f) => !present.includes(f)), []);
});
