/**
 * The capture generators refuse a command line they do not understand before writing anything:
 * `gen.js --help` once regenerated the benchmark's 512 MiB capture over the one in use (its
 * default --out), because unknown options were ignored.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkGenArgs } from '../../bench/gen.js';

const BENCH_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));

test('checkGenArgs: help, unknown options, missing values and bad numbers stop the run', () => {
  const nums = ['--size', '--seed'];
  const other = ['--out'];
  assert.deepEqual(checkGenArgs(['--help'], nums, other), { kind: 'help' });
  assert.deepEqual(checkGenArgs(['--size', '8', '-h'], nums, other), { kind: 'help' });
  assert.deepEqual(checkGenArgs(['--size', '8', '--seed', '3', '--out', 'x.pcap'], nums, other), { kind: 'run' });
  assert.deepEqual(checkGenArgs([], nums, other), { kind: 'run' });
  assert.equal(checkGenArgs(['--sise', '8'], nums, other).kind, 'error');
  assert.equal(checkGenArgs(['--size'], nums, other).kind, 'error');
  assert.equal(checkGenArgs(['--size', '--out', 'x'], nums, other).kind, 'error');
  assert.equal(checkGenArgs(['--size', 'big'], nums, other).kind, 'error');
  assert.equal(checkGenArgs(['--size', '0'], nums, other).kind, 'error');
});

for (const script of ['gen.js', 'flood.js']) {
  test(`${script} --help and a mistyped option write no capture`, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'whyreset-genargs-'));
    try {
      const help = spawnSync(process.execPath, [join(BENCH_DIR, script), '--help'], { cwd, encoding: 'utf8', timeout: 30_000 });
      assert.equal(help.status, 0);
      assert.match(help.stdout, /^usage: node dist\/bench\//);
      const wrong = spawnSync(process.execPath, [join(BENCH_DIR, script), '--nope', '1'], { cwd, encoding: 'utf8', timeout: 30_000 });
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /unknown option "--nope"/);
      // Nothing written where the default --out would have gone (bench/data under cwd).
      assert.deepEqual(readdirSync(cwd), []);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}
