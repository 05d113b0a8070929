/**
 * A report on standard output that is a pipe, a socket or a file is written with write(2) on fd 1
 * (report/output.ts), without creating process.stdout and loading Node's stream modules. The
 * bytes are those `--out` writes; a descriptor a parent left non-blocking (EAGAIN once its reader
 * lags) hands the rest to process.stdout, which waits for the reader; a reader that goes away
 * (EPIPE, `| head`) ends the run quietly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { constants, closeSync, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateFlood } from '../../bench/flood.js';
import { BIN, REPO_ROOT, finish, runCli, spawnCli, tempDir } from '../helpers/run.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'nmap-syn-scan-20ports.client.pcap');
const dir = tempDir('whyreset-stdout-');
/** A flood whose ndjson report (~1 MB) is far larger than a pipe's 64 KiB buffer. */
const FLOOD = join(dir.dir, 'flood.pcap');

before(() => {
  generateFlood(FLOOD, { conns: 2_000, rate: 10_000 });
});
after(() => dir.remove());

/** Python: sets O_NONBLOCK on fd 1, then execs argv[1:]. */
const NONBLOCKING_EXEC = 'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])';

/** What `analyze …args --out <file>` writes. */
async function writtenByOut(args: readonly string[]): Promise<string> {
  const out = join(dir.dir, `out-${args.join('-').replace(/\W/g, '_').slice(-40)}`);
  const r = await runCli(['analyze', ...args, '--out', out]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return readFileSync(out, 'utf8');
}

test('a report written to a socket (a parent’s pipe) is byte for byte what --out writes', async () => {
  for (const format of ['text', 'json']) {
    const args = [FIXTURE, '--format', format, '--threads', '1'];
    const piped = await runCli(['analyze', ...args]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout, await writtenByOut(args), format);
  }
});

test('a report written to a file by redirection is what --out writes', async () => {
  const args = [FIXTURE, '--format', 'json', '--threads', '1'];
  const target = join(dir.dir, 'redirected.json');
  const fd = openSync(target, 'w');
  const r = spawnSync(process.execPath, [BIN, 'analyze', ...args], { stdio: ['ignore', fd, 'pipe'], cwd: REPO_ROOT });
  closeSync(fd);
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal(readFileSync(target, 'utf8'), await writtenByOut(args));
});

test('a non-blocking pipe whose reader lags gets the whole report (EAGAIN hands the rest to process.stdout)', async () => {
  const fifo = join(dir.dir, 'slow.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // Both ends non-blocking, as a parent that shares its own non-blocking pipe leaves fd 1.
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const args = [FLOOD, '--format', 'ndjson', '--threads', '1'];
  // Node's spawn makes a child's fd 0-2 blocking (libuv's child set-up): Python sets O_NONBLOCK
  // on fd 1 again and then becomes whyreset (exec), as a parent sharing its own pipe would leave it.
  const child = spawn('python3', ['-c', NONBLOCKING_EXEC, process.execPath, BIN, 'analyze', ...args], { stdio: ['ignore', writeFd, 'pipe'], cwd: REPO_ROOT });
  closeSync(writeFd);
  const done = finish(child, 60_000);
  // Nothing is read for a while: the child fills the pipe and meets EAGAIN.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  reader.on('data', (b: Buffer) => chunks.push(b));
  await new Promise((resolve) => reader.on('end', resolve));
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const got = Buffer.concat(chunks).toString('utf8');
  assert.ok(got.length > 256 * 1024, `${got.length} bytes`);
  assert.equal(got, await writtenByOut(args));
});

test('a reader that goes away after the first bytes (EPIPE) ends the run quietly', async () => {
  const child = spawnCli(['analyze', FLOOD, '--format', 'ndjson', '--threads', '1']);
  child.stdin?.end();
  const stdout = child.stdout;
  assert.ok(stdout);
  let first = 0;
  stdout.once('data', (b: Buffer) => {
    first = b.length;
    stdout.destroy();
  });
  const r = await finish(child, 60_000);
  assert.ok(first > 0);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
});
