/**
 * Issue 16, items 1 and 3: an output never names an input (device + inode, through links), never
 * replaces an existing capture with a report, is written whole or not at all (temporary file
 * renamed into place), and a target that cannot be written is one line and exit 2, found before
 * the analysis. `-` means standard output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'closed-port.client.pcap');
let dir = '';
let remove = () => {};
let capture = '';
let original: Buffer;

before(() => {
  ({ dir, remove } = tempDir('whyreset-outputs-'));
  capture = join(dir, 'a.pcap');
  copyFileSync(FIXTURE, capture);
  original = readFileSync(capture);
});
after(() => remove());

/** The run was refused before anything was written: exit 2, one line naming the option, the capture untouched. */
function assertRefused(r: { code: number | null; stderr: string; stdout: string }, option: string): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^whyreset: ${option} `));
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.deepEqual(readFileSync(capture), original, 'the capture is unchanged');
}

test('an output that is the same file as an input is refused, for every output option', async () => {
  for (const option of ['--out', '--html', '--write-pcap']) {
    assertRefused(await runCli(['analyze', capture, option, capture]), option);
  }
});

test('an output that reaches an input through a hard or symbolic link or another spelling is refused', async () => {
  const hard = join(dir, 'hard.pcap');
  const soft = join(dir, 'soft.pcap');
  if (!existsSync(hard)) linkSync(capture, hard);
  if (!existsSync(soft)) symlinkSync(capture, soft);
  assertRefused(await runCli(['analyze', capture, '--out', hard]), '--out');
  assertRefused(await runCli(['analyze', soft, '--write-pcap', capture]), '--write-pcap');
  assertRefused(await runCli(['analyze', capture, '--html', join(dir, '.', 'sub', '..', 'a.pcap')], { cwd: dir }), '--html');
});

test('a report option never overwrites an existing capture taken as its file name (analyze --html a.pcap b.pcap)', async () => {
  const other = join(dir, 'b.pcap');
  copyFileSync(FIXTURE, other);
  assertRefused(await runCli(['analyze', '--html', capture, other]), '--html');
});

test('an output that cannot be written is found before the analysis: one line, exit 2', async () => {
  for (const [target, why] of [
    [dir, /is a directory/],
    [join(dir, 'missing', 'r.txt'), /does not exist/],
  ] as const) {
    const r = await runCli(['analyze', capture, '--out', target]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('a write error (a full device) is one line naming the target and exit 2, never a stack trace', async () => {
  for (const args of [
    ['--out', '/dev/full'],
    ['--format', 'json', '--out', '/dev/full'],
  ]) {
    const r = await runCli(['analyze', capture, ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^whyreset: \/dev\/full: ENOSPC/);
    assert.doesNotMatch(r.stderr, /^\s+at |internal error/m);
  }
});

test('outputs appear only complete: no temporary file is left beside the targets, and the targets are whole', async () => {
  const out = join(dir, 'outs');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), 'previous report');
  const r = await runCli(['analyze', capture, '--format', 'json', '--out', join(out, 'report.json'), '--html', join(out, 'r.html'), '--write-pcap', join(out, 'r.pcap')]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['r.html', 'r.pcap', 'report.json']);
  assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).summary.resets, 2);
  assert.ok(statSync(join(out, 'r.pcap')).size > 24);
  assert.match(readFileSync(join(out, 'r.html'), 'utf8'), /<\/html>\s*$/);
});

test('--write-pcap - writes the capture to standard output (the report then needs --out)', async () => {
  const report = join(dir, 'report.txt');
  // Binary on stdout: collected as bytes, not as runCli's UTF-8 text.
  const r = spawnSync(process.execPath, [BIN, 'analyze', capture, '--write-pcap', '-', '--out', report]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.readUInt32LE(0), 0xa1b2c3d4);
  assert.ok(r.stdout.length > 24 + 16, 'packets follow the header');
  const both = await runCli(['analyze', capture, '--write-pcap', '-']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /standard output/);
});

test('--out - writes the report to standard output', async () => {
  const r = await runCli(['analyze', capture, '--format', 'json', '--out', '-']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).summary.resets, 2);
});
