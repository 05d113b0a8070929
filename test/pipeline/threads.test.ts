/**
 * Issue 13, item 2: `--threads N`. With 2 threads a worker reads, decodes and tracks while the
 * main thread explains and reports (src/pipeline/threads.ts); the output must be byte for byte
 * that of one thread: the golden fixtures in every format, the tunnel fixtures, a stream of
 * rotated files, a damaged capture (errors with byte offsets) and unreadable inputs. The worker
 * is forced on these small captures with WHYRESET_THREADS_MIN_BYTES=0 (the CLI) or
 * `threadsMinBytes: 0` (the library).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readingStopped, resumeReading, stopReading } from '../../src/capture/interrupt.js';
import { defaultThreads, threadOptionsOf } from '../../src/cli/threadsOption.js';
import { type Report, UnreadableInputError, analyze } from '../../src/index.js';
import { runAnalysis, usesWorker } from '../../src/pipeline/run.js';
import { DEFAULT_THREADS_MIN_BYTES } from '../../src/pipeline/threads.js';
import { A, Conversation, F, R, S } from '../helpers/conversation.js';
import { type CliResult, REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const ZEEK = join(REPO_ROOT, 'test', 'fixtures', 'zeek');
const GOLDEN = join(REPO_ROOT, 'test', 'golden');
const labCaptures = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort();
const zeekCaptures = readdirSync(ZEEK)
  .filter((f) => f.endsWith('.pcap'))
  .sort();
const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;

/** The worker even for captures of a few KB. */
const FORCE_WORKER = { WHYRESET_THREADS_MIN_BYTES: '0' };

/** The golden files' formats (test/golden.test.ts): suffix and analyze arguments. */
const FORMATS: readonly { suffix: string; args: readonly string[] }[] = [
  { suffix: 'txt', args: [] },
  { suffix: 'verbose.txt', args: ['--verbose'] },
  { suffix: 'csv', args: ['--format', 'csv'] },
  { suffix: 'conn.log', args: ['--format', 'zeek'] },
  { suffix: 'json', args: ['--format', 'json'] },
];

/** What changes from run to run whatever the threads (the Zeek log's open/close times, the version). */
function normalise(text: string): string {
  return text.replace(/^#(open|close)\t\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/gm, '#$1\t<time>').replace(/"version":"[^"]*"/g, '"version":"<version>"');
}

/** Exit code, stdout (normalised) and stderr of a run, to compare whole. */
function outcome(r: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: normalise(r.stdout), stderr: r.stderr };
}

/** Runs `args` with --threads 1 and with --threads 2 (worker forced) and asserts the same outcome. */
async function assertSameOnTwoThreads(args: readonly string[], cwd: string): Promise<CliResult> {
  const one = await runCli([...args, '--threads', '1'], { cwd, env: FORCE_WORKER });
  const two = await runCli([...args, '--threads', '2'], { cwd, env: FORCE_WORKER });
  assert.deepEqual(outcome(two), outcome(one), `${args.join(' ')}: --threads 2 differs from --threads 1`);
  return one;
}

/** Runs check on every item, four at a time. */
async function eachFourAtATime<T>(items: readonly T[], check: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await check(items[i] as T);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

describe('--threads 2 gives the output of one thread', () => {
  // Each fixture on its own in the most complete format (every format is compared below, the fixtures together).
  for (const format of FORMATS.filter((f) => f.suffix === 'json')) {
    it(`golden fixtures, ${format.suffix}: --threads 2 writes the golden file of each`, async () => {
      await eachFourAtATime(labCaptures, async (capture) => {
        const r = await runCli(['analyze', ...format.args, '--threads', '2', capture], { cwd: LAB, env: FORCE_WORKER });
        assert.equal(r.code, 0, r.stderr);
        const golden = readFileSync(join(GOLDEN, `${capture.replace(/\.pcap$/, '')}.${format.suffix}`), 'utf8');
        assert.equal(normalise(r.stdout), golden, `${capture} --threads 2 --format ${format.suffix}`);
      });
    });
  }

  it('every golden fixture at once, every format, and the tunnel fixtures', async () => {
    const runs = [...FORMATS.map((f) => ['analyze', ...f.args, ...labCaptures]), ['analyze', '--format', 'json', ...zeekCaptures.map((c) => join(ZEEK, c))]];
    await eachFourAtATime(runs, async (args) => {
      const r = await assertSameOnTwoThreads(args, LAB);
      assert.equal(r.code, 0, r.stderr);
    });
  });

  it('explain and correlate', async () => {
    const explained = await assertSameOnTwoThreads(['explain', 'middlebox-injection.client.pcap', '--conn', 'C1'], LAB);
    assert.equal(explained.stdout, readFileSync(join(GOLDEN, 'explain-middlebox-injection.txt'), 'utf8'));
    const correlated = await assertSameOnTwoThreads(['correlate', '--format', 'json', 'middlebox-injection.client.pcap', 'middlebox-injection.router.pcap'], LAB);
    assert.equal(correlated.code, 0, correlated.stderr);
  });

  it('a damaged capture: the same findings and the same errors at the same byte offsets', async () => {
    const tmp = tempDir('whyreset-threads-');
    try {
      const bytes = readFileSync(join(LAB, 'data-after-close.client.pcap'));
      // A record header in the middle claims 1 GB (the reader resynchronises past it), and the last record is cut short.
      const damaged = Buffer.from(bytes.subarray(0, bytes.length - 7));
      const second = 24 + 16 + damaged.readUInt32LE(24 + 8);
      damaged.writeUInt32LE(0x40000000, second + 8);
      writeFileSync(join(tmp.dir, 'damaged.pcap'), damaged);
      writeFileSync(join(tmp.dir, 'notes.txt'), 'not a capture\n');
      copyFileSync(join(LAB, 'closed-port.client.pcap'), join(tmp.dir, 'ok.pcap'));
      const r = await assertSameOnTwoThreads(['analyze', '--format', 'json', 'damaged.pcap', 'missing.pcap', 'notes.txt', 'ok.pcap'], tmp.dir);
      assert.equal(r.code, 2, 'unreadable inputs make exit 2');
      assert.match(r.stderr, /damaged\.pcap: .*offset|byte/i, 'the damage is reported with its offset');
      assert.match(r.stderr, /missing\.pcap: no such file/);
      const report = JSON.parse(r.stdout) as Report;
      assert.ok((report.inputs[0]?.errors.length ?? 0) >= 1, 'the damaged input has errors');
    } finally {
      tmp.remove();
    }
  });

  it('a stream of rotated files (editcap -c): the same connections, resets and frames per file', { skip: !hasEditcap && 'editcap is not installed' }, async () => {
    const tmp = tempDir('whyreset-threads-');
    try {
      const t0 = 1_700_000_000;
      const a = new Conversation({ start: t0, client: { port: 41000 } }).handshake().exchange(100, 2000).wait(0.05).send('s', R | A);
      const b = new Conversation({ start: t0 + 0.001, client: { port: 41001 } }).handshake().exchange(50, 50).send('c', F | A).send('s', F | A).send('c', A);
      const c = new Conversation({ start: t0 + 0.002, client: { port: 41002 } }).send('c', S).send('s', R | A);
      writeFileSync(join(tmp.dir, 'whole.pcap'), a.toPcap(b, c));
      execFileSync('editcap', ['-c', '4', join(tmp.dir, 'whole.pcap'), join(tmp.dir, 'piece.pcap')]);
      const pieces = readdirSync(tmp.dir)
        .filter((f) => f.startsWith('piece'))
        .sort();
      assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
      for (const args of [['--stream'], ['--format', 'json'], ['--format', 'json', '--stream'], ['--verbose']]) {
        const r = await assertSameOnTwoThreads(['analyze', ...args, ...pieces], tmp.dir);
        assert.equal(r.code, 0, r.stderr);
      }
    } finally {
      tmp.remove();
    }
  });
});

describe('when a run takes a second thread', () => {
  const tmp = tempDir('whyreset-threads-');
  after(() => tmp.remove());
  const capture = join(LAB, 'closed-port.client.pcap');

  it('only with 2 or more threads, never for standard input, and not below the size threshold', () => {
    assert.equal(usesWorker([capture], { threads: 2, threadsMinBytes: 0 }), true);
    assert.equal(usesWorker([capture], { threads: 8, threadsMinBytes: 0 }), true);
    assert.equal(usesWorker([capture], { threads: 1, threadsMinBytes: 0 }), false);
    assert.equal(usesWorker([capture], { threadsMinBytes: 0 }), false, 'the library stays on one thread unless asked');
    assert.equal(usesWorker(['-'], { threads: 2, threadsMinBytes: 0 }), false, 'standard input');
    assert.equal(usesWorker([capture, '-'], { threads: 2, threadsMinBytes: 0 }), false, 'standard input among files');
    assert.equal(usesWorker([capture], { threads: 2 }), false, `a capture under ${DEFAULT_THREADS_MIN_BYTES} bytes`);
  });

  it('--threads takes a whole number from 1; the default is 2 threads with 3 or more cores, 1 on one, chosen by the capture on 2', async () => {
    const cores = availableParallelism();
    assert.deepEqual(threadOptionsOf(undefined, {}), { threads: cores === 2 ? 2 : defaultThreads(cores), threadsMinBytes: undefined, threadsByCapture: cores === 2, threadsIgnoreLoad: false });
    // On 2 cores V8's own compile and GC threads already take the second core of a one-thread run.
    assert.deepEqual([1, 2, 3, 4, 64].map(defaultThreads), [1, 1, 2, 2, 2]);
    assert.deepEqual(threadOptionsOf('3', { WHYRESET_THREADS_MIN_BYTES: '0' }), { threads: 3, threadsMinBytes: 0, threadsByCapture: false, threadsIgnoreLoad: false });
    for (const bad of ['0', '-1', '1.5', 'two']) {
      const r = await runCli(['analyze', `--threads=${bad}`, capture]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--threads needs a whole number from 1/);
    }
  });

  it('a run stopped (SIGINT) before it reads ends its worker and reports what the single thread reports', async () => {
    assert.equal(readingStopped(), false);
    stopReading();
    try {
      // Nothing is read: the input is unreadable ("the file is empty"), the same error from the worker.
      const one = await analyze([capture], { threads: 1 }).catch((err: Error) => err);
      const two = await analyze([capture], { threads: 2, threadsMinBytes: 0 }).catch((err: Error) => err);
      assert.ok(one instanceof UnreadableInputError, String(one));
      assert.ok(two instanceof UnreadableInputError, String(two));
      assert.equal(two.message, one.message);
    } finally {
      resumeReading();
    }
    // And a run that is not stopped reads everything, on two threads as on one.
    const one = await analyze([capture], { threads: 1 });
    const two = await analyze([capture], { threads: 2, threadsMinBytes: 0 });
    assert.ok(one.summary.packets > 0);
    assert.deepEqual(two, one);
  });
});

describe('the worker ends on every way out', () => {
  it('a stop (SIGINT) while the worker reads: it stops at its next read, the run ends with what was read', async () => {
    const tmp = tempDir('whyreset-threads-');
    try {
      // One fixture's records 10,000 times over: 20,000 connections (each copy reuses the tuples).
      const fixture = readFileSync(join(LAB, 'closed-port.client.pcap'));
      const path = join(tmp.dir, 'long.pcap');
      writeFileSync(path, Buffer.concat([fixture, ...Array.from({ length: 9999 }, () => fixture.subarray(24))]));
      const whole = await analyze([path], { threads: 2, threadsMinBytes: 0, chunkSize: 4096 });
      let stops = 0;
      const noop = (): void => {};
      // The first connection explained on the main thread stops the reading, as the SIGINT handler does (cli/interrupt.ts).
      const stop = (): void => {
        if (stops++ === 0) stopReading();
      };
      try {
        const r = await runAnalysis([path], { threads: 2, threadsMinBytes: 0, chunkSize: 4096 }, { reset: noop, connection: stop, pattern: noop });
        const packets = r.inputs[0]?.packets ?? 0;
        assert.ok(packets > 0 && packets < whole.summary.packets / 2, `${packets} of ${whole.summary.packets} packets read before the stop`);
        assert.equal(r.summary.packets, packets);
      } finally {
        resumeReading();
      }
    } finally {
      tmp.remove();
    }
  });

  it('WHYRESET_THREAD_STATS prints the worker\'s batches and both threads\' times once the run is done', async () => {
    const capture = labCaptures[0] as string;
    const r = await runCli(['analyze', '--format', 'json', '--threads', '2', capture], { cwd: LAB, env: { ...FORCE_WORKER, WHYRESET_THREAD_STATS: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.startsWith('whyreset-thread-stats '));
    assert.ok(line, r.stderr);
    const stats = JSON.parse(line.slice('whyreset-thread-stats '.length));
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(stats.worker.connections, report.summary.connections);
    assert.ok(stats.worker.batches >= 1 && stats.worker.numbers > 0, line);
    for (const v of [stats.worker.waitedForMainMs, stats.worker.activeMs, stats.worker.idleMs, stats.main.activeMs, stats.main.idleMs]) assert.ok(Number.isInteger(v) && v >= 0, line);
    // The timeline, from the process's start: the worker starts, posts, is done; the main thread is done last.
    const t = stats.timeline;
    assert.ok(0 < t.workerCreatedMs && t.workerCreatedMs <= t.workerStartMs && t.workerStartMs <= t.firstBatchMs, line);
    assert.ok(t.firstBatchMs <= t.workerDoneMs && t.workerDoneMs <= t.mainDoneMs, line);
    // CPU per thread (Linux's /proc): the worker's start is part of the worker's whole; every figure counted.
    const cpu = stats.cpuMs;
    for (const v of [cpu.worker, cpu.workerStart, cpu.main, cpu.others]) assert.ok(Number.isInteger(v) && v >= 0, line);
    assert.ok(cpu.workerStart > 0 && cpu.workerStart <= cpu.worker && cpu.main > 0, line);
    // The lab capture's batches all fit their slots of the shared ring; the batch after which the worker gave way, if any.
    assert.equal(stats.worker.copiedBatches, 0, line);
    assert.ok(Number.isInteger(stats.worker.mainBehindAtBatch) && stats.worker.mainBehindAtBatch <= stats.worker.batches, line);
    // One thread prints no such line.
    const one = await runCli(['analyze', '--threads', '1', capture], { cwd: LAB, env: { WHYRESET_THREAD_STATS: '1' } });
    assert.ok(!one.stderr.includes('whyreset-thread-stats'), one.stderr);
  });

  it('a FIFO (a live input) is read on one thread', () => {
    const tmp = tempDir('whyreset-threads-');
    try {
      const fifo = join(tmp.dir, 'live.pcap');
      execFileSync('mkfifo', [fifo]);
      assert.equal(usesWorker([fifo], { threads: 2, threadsMinBytes: 0 }), false);
    } finally {
      tmp.remove();
    }
  });
});

