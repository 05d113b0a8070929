/**
 * Golden tests: the reports of real-kernel captures (test/fixtures/lab, made by `whyreset lab`)
 * compared byte for byte with test/golden/. Regenerated only with UPDATE_GOLDEN=1, so that any
 * change of output shows up as a diff to review. The Zeek log's #open/#close lines carry the
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

/** Compares one command's output with its golden file (or writes it with UPDATE_GOLDEN=1). */
async function checkGolden(name: string, args: string[]): Promise<void> {
  const r = await runCli(args, { cwd: FIXTURES });
  assert.equal(r.code, 0, r.stderr);
  const actual = normalise(r.stdout);
  const file = join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`${file} is missing: run UPDATE_GOLDEN=1 npm test and review it`);
    writeFileSync(file, actual);
    return;
  }
  const expected = readFileSync(file, 'utf8');
  if (actual !== expected) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    const first = a.findIndex((line, i) => line !== e[i]);
    assert.fail(`${name} differs from the golden file at line ${first + 1}:\n  golden: ${e[first]}\n  now:    ${a[first]}\n(UPDATE_GOLDEN=1 npm test regenerates it after an intended change)`);
  }
}

test('the lab fixtures are there', () => {
  assert.ok(captures.length >= 10, `${captures.length} captures in ${FIXTURES}`);
});

test('golden: text report', async () => {
  await checkGolden('lab.txt', ['analyze', ...captures]);
});

test('golden: text report, --verbose', async () => {
  await checkGolden('lab.verbose.txt', ['analyze', '--verbose', ...captures]);
});

test('golden: CSV', async () => {
  await checkGolden('lab.csv', ['analyze', '--format', 'csv', ...captures]);
});

test('golden: Zeek conn.log', async () => {
  await checkGolden('lab.conn.log', ['analyze', '--format', 'zeek', ...captures]);
});

test('golden: JSON', async () => {
  await checkGolden('lab.json', ['analyze', '--format', 'json', ...captures]);
});

test('golden: explain ladder of the injected resets', async () => {
  await checkGolden('explain-middlebox-injection.txt', ['explain', 'middlebox-injection.client.pcap', '--conn', 'C1']);
});
