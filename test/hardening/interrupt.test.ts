/**
 * Issue 16, items 3 and 4: SIGINT/SIGTERM during `analyze` stop the reading and still print the
 * report of what was read, marked `summary.interrupted`; a second signal quits at once; on every
 * way out the temporary files (spools, the copy of standard input) are gone.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, finish, spawnCli, tempDir } from '../helpers/run.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'closed-port.client.pcap');

/** Resolves once `predicate` holds, polling (bounded: fails after 20 s). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * The CPU time (clock ticks, user + system) the process has used so far, or -1 while its main
 * thread is not asleep (running, or runnable but waiting for a core), from /proc/PID/stat.
 */
function cpuTicksWhenAsleep(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis:
  // state is field 3, utime and stime are fields 14 and 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'S') return -1;
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Resolves once the child has gone idle: asleep, its CPU time unmoved for 400 ms, i.e. it has
 * started, read what the pipe held and waits for more (a fixed sleep instead was too short on a
 * loaded machine, where the signal then arrived before the capture was read). Bounded: 20 s.
 */
async function untilIdle(pid: number): Promise<void> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 400 && still < 8; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = cpuTicksWhenAsleep(pid);
    still = now !== -1 && now === last ? still + 1 : 0;
    last = now;
  }
  assert.ok(still >= 8, 'the child went idle waiting for more of the capture');
}

test('a live capture interrupted by SIGINT or SIGTERM still gets its report, marked interrupted', async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const child = spawnCli(['analyze', '-', '--format', 'json']);
    const done = finish(child);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    // The capture arrives, and the pipe stays open as tcpdump's would.
    child.stdin?.write(readFileSync(FIXTURE));
    await untilIdle(child.pid ?? 0);
    child.kill(signal);
    await until(() => stderr.includes('reading stopped'), 'the interrupt notice');
    const r = await done;
    child.stdin?.destroy();
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.summary.interrupted, true);
    assert.equal(report.summary.resets, 2, 'the resets read before the signal are explained');
  }
});

test('the report of a run that ends normally has no interrupted mark', async () => {
  const child = spawnCli(['analyze', FIXTURE, '--format', 'json']);
  child.stdin?.end();
  const r = await finish(child);
  assert.equal(r.code, 0);
  assert.equal('interrupted' in JSON.parse(r.stdout).summary, false);
});

test('temporary files (the copy of standard input) are removed when a signal ends the run, also a second one', async () => {
  const tmp = tempDir('whyreset-tmpdir-');
  const out = tempDir('whyreset-out-');
  try {
    const child = spawnCli(['analyze', '-', '--write-pcap', join(out.dir, 'r.pcap'), '--out', join(out.dir, 'r.txt')], { env: { TMPDIR: tmp.dir } });
    const done = finish(child);
    child.stdin?.write(readFileSync(FIXTURE));
    await until(() => readdirSync(tmp.dir).some((d) => d.startsWith('whyreset-stdin-')), 'the copy of standard input');
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const r = await done;
    child.stdin?.destroy();
    assert.ok(r.code === 0 || r.code === 130, `exit ${r.code}: ${r.stderr}`);
    assert.deepEqual(readdirSync(tmp.dir), [], 'nothing left in the temporary directory');
    assert.ok(!readdirSync(out.dir).some((f) => f.includes('.tmp')), 'no half-written output left');
  } finally {
    tmp.remove();
    out.remove();
  }
});

test('a full temporary directory is reported as a temporary-directory problem, exit 2', async () => {
  const copy = tempDir('whyreset-cap-');
  try {
    const capture = join(copy.dir, 'a.pcap');
    copyFileSync(FIXTURE, capture);
    const child = spawnCli(['analyze', '-', '--write-pcap', join(copy.dir, 'r.pcap'), '--out', join(copy.dir, 'r.txt')], {
      env: { TMPDIR: '/nonexistent-whyreset-tmp' },
    });
    child.stdin?.end(readFileSync(capture));
    const r = await finish(child);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^whyreset: temporary directory \/nonexistent-whyreset-tmp/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  } finally {
    copy.remove();
  }
});
