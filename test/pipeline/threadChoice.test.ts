/**
 * Issue 13, "Both cores": the default of `analyze` on 2 cores takes a second thread only where
 * it gains — a capture whose start is mostly connections opened and reset (a SYN flood), on a
 * machine with a core free — and the output is the same whatever it chooses
 * (src/pipeline/threadChoice.ts, run.ts runsOnTwoThreads, cli/threadsOption.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generateFlood } from '../../bench/flood.js';
import { generate } from '../../bench/gen.js';
import { THREADS_IGNORE_LOAD_ENV, threadOptionsOf } from '../../src/cli/threadsOption.js';
import { analyze } from '../../src/index.js';
import { runsOnTwoThreads } from '../../src/pipeline/run.js';
import {
  type CaptureSample,
  OPEN_OR_RESET_SHARE,
  SAMPLE_BYTES,
  SAMPLE_PACKETS,
  chooseWorker,
  gainsFromWorker,
  openOrResetShare,
  runnableElsewhere,
  sampleCapture,
  secondCoreFree,
  threadChoiceLine,
} from '../../src/pipeline/threadChoice.js';
import { runCli, tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-choice-');
after(() => tmp.remove());
/** The bench's mix (bench/gen.ts, seed 1), its first 2 MiB: the start of mix-512MiB-s1.pcap. */
const mix = join(tmp.dir, 'mix.pcap');
generate(mix, { sizeMiB: 2, seed: 1 });
/** The bench's SYN→RST/ACK flood (bench/flood.ts), 3,000 connections. */
const flood = join(tmp.dir, 'flood.pcap');
generateFlood(flood, { conns: 3000 });
/** The worker whatever the size, and the choice from the capture alone (the test machine may be busy). */
const BY_CAPTURE = { threads: 2, threadsByCapture: true, threadsIgnoreLoad: true, threadsMinBytes: 0 } as const;

/** A sample with these counts. */
function sampleOf(tcpPackets: number, opens: number, resets: number): CaptureSample {
  return { packets: tcpPackets, tcpPackets, opens, resets };
}

describe('the start of a capture', () => {
  it('of the mix: a few packets in a hundred open or reset a connection, so one thread', async () => {
    const s = await sampleCapture(mix);
    assert.ok(s !== null && s.packets > 200 && s.packets < SAMPLE_PACKETS, JSON.stringify(s));
    assert.equal(s.tcpPackets, s.packets);
    assert.ok(s.opens > 0 && s.resets > 0, JSON.stringify(s));
    assert.ok(openOrResetShare(s) < 0.15, JSON.stringify(s));
    assert.equal(gainsFromWorker(s), false);
  });

  it('of a SYN flood: every packet opens or resets one, so two threads', async () => {
    const s = await sampleCapture(flood);
    // Each connection a SYN and its RST/ACK (a few answers come after the next SYN).
    assert.ok(s !== null && s.packets === SAMPLE_PACKETS && s.tcpPackets === s.packets, JSON.stringify(s));
    assert.ok(s.opens + s.resets === s.packets && Math.abs(s.opens - s.resets) < 50, JSON.stringify(s));
    assert.equal(openOrResetShare(s), 1);
    assert.equal(gainsFromWorker(s), true);
  });

  it('is read only so far: SAMPLE_BYTES, and SAMPLE_PACKETS at most', async () => {
    const small = await sampleCapture(mix, 16 << 10);
    const whole = await sampleCapture(mix, SAMPLE_BYTES);
    assert.ok(small !== null && whole !== null && small.packets > 0 && small.packets < whole.packets / 4, `${small?.packets} vs ${whole?.packets}`);
    assert.equal((await sampleCapture(flood, SAMPLE_BYTES, 10))?.packets, 10);
  });

  it('of a gzip-compressed capture is that of the capture; of something else, nothing (one thread)', async () => {
    const gz = join(tmp.dir, 'flood.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(flood)));
    assert.deepEqual(await sampleCapture(gz), await sampleCapture(flood));
    const text = join(tmp.dir, 'notes.txt');
    writeFileSync(text, 'not a capture at all\n');
    assert.equal(await sampleCapture(text), null);
    assert.equal(await sampleCapture(join(tmp.dir, 'missing.pcap')), null);
    assert.equal(gainsFromWorker(null), false);
  });
});

describe('the choice', () => {
  it('two threads from OPEN_OR_RESET_SHARE of the TCP packets on', () => {
    assert.equal(OPEN_OR_RESET_SHARE, 0.55);
    assert.equal(gainsFromWorker(sampleOf(100, 28, 27)), true);
    assert.equal(gainsFromWorker(sampleOf(100, 27, 27)), false);
    assert.equal(gainsFromWorker(sampleOf(100, 0, 100)), true, 'resets alone (a reset storm into open connections)');
    assert.equal(gainsFromWorker(sampleOf(0, 0, 0)), false, 'no TCP at all');
  });

  it('needs a core free: no other runnable thread on 2 cores, one on 3', () => {
    assert.equal(secondCoreFree(0, 2), true);
    assert.equal(secondCoreFree(1, 2), false);
    assert.equal(secondCoreFree(1, 3), true);
    assert.equal(secondCoreFree(2, 3), false);
    assert.equal(secondCoreFree(null, 2), true, 'unknown (no /proc): the capture decides');
    const others = runnableElsewhere();
    if (process.platform === 'linux') assert.ok(Number.isInteger(others) && (others as number) >= 0, String(others));
  });

  it('a busy process beside the run counts as runnable, and the flood then stays on one thread', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
    const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A spinning thread is always runnable (state R: running or waiting for a core).
      assert.ok((runnableElsewhere() ?? 0) >= 1);
      const choice = await chooseWorker(flood, 2);
      assert.ok(choice.runnableElsewhere !== null && choice.runnableElsewhere >= 1, JSON.stringify(choice));
      assert.equal(choice.worker, false);
      assert.equal((await chooseWorker(flood, 2, true)).worker, true, 'the capture alone would take two');
    } finally {
      spinner.kill('SIGKILL');
    }
  });

  it('chooseWorker: the flood on two threads, the mix on one; the load not looked at when told so', async () => {
    const f = await chooseWorker(flood, 2, true);
    assert.equal(f.worker, true);
    assert.equal(f.runnableElsewhere, null);
    assert.equal((await chooseWorker(mix, 2, true)).worker, false);
    // The line WHYRESET_THREAD_STATS prints.
    const line = threadChoiceLine(f);
    assert.match(line, /^whyreset-thread-choice \{.*"openOrResetShare":1,"threshold":0.55,"runnableElsewhere":null,"threads":2\}\n$/);
  });

  it('runsOnTwoThreads: by the capture only when asked; --threads given keeps its meaning', async () => {
    assert.equal(await runsOnTwoThreads([flood], BY_CAPTURE), true);
    assert.equal(await runsOnTwoThreads([mix], BY_CAPTURE), false);
    assert.equal(await runsOnTwoThreads([mix], { threads: 2, threadsMinBytes: 0 }), true, '--threads 2: the worker, whatever the capture');
    assert.equal(await runsOnTwoThreads([flood], { threads: 1, threadsMinBytes: 0 }), false);
    assert.equal(await runsOnTwoThreads([flood], { ...BY_CAPTURE, threadsMinBytes: undefined }), false, 'under 64 MiB: one thread, nothing sampled');
  });

  it('the report is the one of a single thread whichever it chooses', async () => {
    for (const path of [flood, mix]) {
      assert.deepEqual(await analyze([path], BY_CAPTURE), await analyze([path], { threads: 1 }), path);
    }
  });
});

describe('the CLI default', () => {
  it('on 2 cores decides by the capture; on 1 core one thread, from 3 cores two; --threads N as given', () => {
    const base = { threadsMinBytes: undefined, threadsIgnoreLoad: false };
    assert.deepEqual(threadOptionsOf(undefined, {}, 2), { ...base, threads: 2, threadsByCapture: true });
    assert.deepEqual(threadOptionsOf(undefined, {}, 1), { ...base, threads: 1, threadsByCapture: false });
    assert.deepEqual(threadOptionsOf(undefined, {}, 4), { ...base, threads: 2, threadsByCapture: false });
    assert.deepEqual(threadOptionsOf('2', {}, 2), { ...base, threads: 2, threadsByCapture: false });
    assert.deepEqual(threadOptionsOf('1', {}, 2), { ...base, threads: 1, threadsByCapture: false });
    assert.deepEqual(threadOptionsOf(undefined, { [THREADS_IGNORE_LOAD_ENV]: '1' }, 2), { ...base, threads: 2, threadsByCapture: true, threadsIgnoreLoad: true });
  });

  it('analyze without --threads: the same bytes as --threads 1 in every format, the flood on two threads (streamed ndjson on one)', async () => {
    const env = { WHYRESET_THREADS_MIN_BYTES: '0', [THREADS_IGNORE_LOAD_ENV]: '1', WHYRESET_THREAD_STATS: '1' };
    const runs = [...['text', 'json', 'ndjson', 'csv'].map((format) => ({ format, path: flood })), { format: 'json', path: mix }];
    for (const { format, path } of runs) {
      const one = await runCli(['analyze', '--format', format, '--threads', '1', path], { env });
      const chosen = await runCli(['analyze', '--format', format, path], { env });
      assert.equal(one.code, 0, one.stderr);
      assert.equal(chosen.code, 0, chosen.stderr);
      assert.equal(chosen.stdout, one.stdout, `${format} ${path}`);
      if (availableParallelism() !== 2) continue;
      // Streamed ndjson is paced by its writer and stays on one thread, with nothing to choose.
      const choice = chosen.stderr.split('\n').find((l) => l.startsWith('whyreset-thread-choice '));
      assert.equal(choice === undefined, format === 'ndjson', chosen.stderr);
      const twoThreads = path === flood && format !== 'ndjson';
      if (choice !== undefined) assert.equal(JSON.parse(choice.slice('whyreset-thread-choice '.length)).threads, twoThreads ? 2 : 1);
      assert.equal(chosen.stderr.includes('whyreset-thread-stats '), twoThreads, chosen.stderr);
    }
  });
});
