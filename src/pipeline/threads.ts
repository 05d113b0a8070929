/**
 * A run on two threads: a worker reads, decodes and tracks (trackWorker.ts running the track
 * stage) while the main thread explains, orders and reports what it posts (explainStage.ts),
 * event by event in the order the worker produced them — so the findings are byte for byte
 * those of one thread. Errors of the worker come back as the same errors; the worker is ended
 * on every way out; a stop (SIGINT) reaches the worker's readers as it reaches ours.
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { raceReadingStop, readingStopped } from '../capture/interrupt.js';
import { ConnUnpacker } from './connPack.js';
import type { ExplainStage } from './explainStage.js';
import type { InputOutcome, TrackOptions } from './trackStage.js';
import { EV, type TrackWorkerData, type WorkerMessage, type WorkerStats, clockNow, newBatchRing, ringSlots, threadCpuMs } from './trackWorkerProtocol.js';

/**
 * Below this many bytes of input a run stays on one thread. Measured on the bench's mix (CPU
 * time per thread, from /proc, on a loaded 2-core machine): starting the worker and loading the
 * track modules into its isolate costs about 100 ms; on 256 MiB one thread spent 1,030–1,100 ms
 * where the worker (the longer of the two threads) spent 790–830 ms, start included. The two
 * meet at about 70 MiB; below it the second thread costs more than it saves.
 */
export const DEFAULT_THREADS_MIN_BYTES = 64 * 1024 * 1024;

/** The worker's module, beside this one in dist/src/pipeline/ (and so in the npm package). */
export const TRACK_WORKER_URL = new URL('./trackWorker.js', import.meta.url);

/**
 * Bytes of the inputs on disk (gzip counted compressed); null when one is standard input or not
 * a regular file (a FIFO, a device): a live input is read as it comes, not at the speed of a
 * second core, and a worker blocked in a read of it could not be ended until the read returns.
 */
export function inputBytes(paths: readonly string[]): number | null {
  let total = 0;
  for (const path of paths) {
    if (path === '-') return null;
    try {
      const st = statSync(path);
      if (!st.isFile() && !st.isDirectory()) return null;
      total += st.size;
    } catch {
      // A missing file is reported by the reader; it adds nothing to read.
    }
  }
  return total;
}

/** Hands one batch's events to the explain stage, in order. */
function replay(batch: ConnUnpacker, stage: ExplainStage): void {
  while (!batch.atEnd) {
    const code = batch.code();
    if (code === EV.done) {
      stage.connectionDone(batch.connection());
      continue;
    }
    const a = batch.value();
    const b = batch.value();
    switch (code) {
      case EV.open:
        stage.openStream(a as number);
        break;
      case EV.first:
        stage.firstRecord(a as number);
        break;
      case EV.piece:
        stage.piece(a as number, b as number);
        break;
      case EV.synAck4:
        stage.synAck4(a as number, b as number);
        break;
      case EV.synAck6:
        stage.synAck6(a as string, b as number);
        break;
      case EV.rst:
        stage.rst(a as number, b as number);
        break;
      case EV.close:
        stage.closeStream(a as string | null);
        break;
      case EV.unreadable:
        stage.unreadable(a as string, b as string);
        break;
      case EV.input:
        stage.inputDone(a as InputOutcome);
        break;
      case EV.end:
        stage.end(a as [number, number][], b as string[]);
        break;
      default:
        throw new Error(`track worker: unknown event ${String(code)}`);
    }
  }
}

/** The error the worker threw, as the same kind of error here (its name, message and stack). */
function workerError(m: { name: string; message: string; stack: string }): Error {
  const err = m.name === 'TypeError' ? new TypeError(m.message) : m.name === 'RangeError' ? new RangeError(m.message) : new Error(m.message);
  if (m.name !== err.name) err.name = m.name;
  if (m.stack !== '') err.stack = m.stack;
  return err;
}

/** What the main thread measured of a threaded run, for threadStatsLine. */
export interface MainThreadStats {
  /** Its event loop's active and idle time over the run (ms). */
  activeMs: number;
  idleMs: number;
  /** When it created the worker, and when it had handled the last batch (clock times, clockNow). */
  createdAt: number;
  doneAt: number;
  /** CPU time (ms) of this thread and of the process's other threads besides the worker (V8's compiler and GC helpers, libuv's readers); NaN when unknown. */
  cpuMs: number;
  othersCpuMs: number;
}

/**
 * The line WHYRESET_THREAD_STATS prints on stderr: the worker's batches and times, and this
 * thread's event loop over the run (idle: waiting for the worker's batches; active: explaining,
 * reporting). Which thread is the bottleneck shows at a glance: a worker that waited for the main
 * thread, or a main thread idle while the worker tracked. The timeline counts from this process's
 * start (ms): when this thread created the worker, when the worker's module ran, posted its first
 * batch and was done, and when this thread had handled its last batch (`doneMs` less the worker's
 * is the end run in series). `cpuMs` is each thread's CPU time (and the other threads' sum), which
 * stays comparable on a busy machine where the times of the event loops do not.
 */
export function threadStatsLine(worker: WorkerStats, main: MainThreadStats): string {
  const ms = (v: number): number => Math.round(v);
  const since = (at: number): number => ms(at - performance.timeOrigin);
  const { startAt, firstBatchAt, doneAt, cpuMs, startCpuMs, tid, ...counts } = worker;
  const w = { ...counts, waitedForMainMs: ms(worker.waitedForMainMs), activeMs: ms(worker.activeMs), idleMs: ms(worker.idleMs) };
  const timeline = {
    workerCreatedMs: since(main.createdAt),
    workerStartMs: since(startAt),
    firstBatchMs: since(firstBatchAt),
    workerDoneMs: since(doneAt),
    mainDoneMs: since(main.doneAt),
  };
  const cpu = { worker: ms(cpuMs), workerStart: ms(startCpuMs), main: ms(main.cpuMs), others: ms(main.othersCpuMs) };
  return `whyreset-thread-stats ${JSON.stringify({ worker: w, main: { activeMs: ms(main.activeMs), idleMs: ms(main.idleMs) }, cpuMs: cpu, timeline })}\n`;
}

/** CPU time (ms) of this process's threads other than the calling one and thread `exceptTid` (/proc/self/task/<id>/schedstat); NaN where there is none. */
function otherThreadsCpuMs(exceptTid: number): number {
  const self = readlinkSync('/proc/thread-self').split('/').at(-1);
  let ns = 0;
  for (const task of readdirSync('/proc/self/task')) {
    if (task === self || task === String(exceptTid)) continue;
    try {
      ns += Number.parseInt(readFileSync(`/proc/self/task/${task}/schedstat`, 'latin1'), 10);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e6;
}

/** The main thread's figures at the end of a threaded run (MainThreadStats). */
function mainThreadStats(loopAtStart: EventLoopUtilization, createdAt: number, workerTid: number): MainThreadStats {
  const loop = performance.eventLoopUtilization(loopAtStart);
  let othersCpuMs = Number.NaN;
  try {
    othersCpuMs = otherThreadsCpuMs(workerTid);
  } catch {
    // No /proc: figures stay NaN.
  }
  return { activeMs: loop.active, idleMs: loop.idle, createdAt, doneAt: clockNow(), cpuMs: threadCpuMs(), othersCpuMs };
}

/** Runs the track stage on a worker thread and the explain stage here; resolves once both are done. */
export async function runOnTwoThreads(paths: readonly string[], options: TrackOptions, stage: ExplainStage): Promise<void> {
  const inFlight = new SharedArrayBuffer(4);
  const flow = new Int32Array(inFlight);
  const ring = newBatchRing();
  const slots = ringSlots(ring);
  const data: TrackWorkerData = { paths: [...paths], options, inFlight, ring, stopped: readingStopped() };
  const loopAtStart = performance.eventLoopUtilization();
  // node:worker_threads is loaded here, by the runs that use it (a one-thread run never does).
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const createdAt = clockNow();
  const worker = new Worker(TRACK_WORKER_URL, { workerData: data });
  let settled = false;
  const finished = new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (settled) return;
      try {
        if (m.type === 'slot' || m.type === 'events') {
          // Read in place; the slot is the worker's again once the count goes down (trackWorkerProtocol.ts RING_SLOTS).
          const batch = m.type === 'events' ? m.batch : { numbers: (slots[m.slot] as Float64Array).subarray(0, m.length), strings: m.strings, objects: m.objects };
          replay(new ConnUnpacker(batch), stage);
          Atomics.sub(flow, 0, 1);
          Atomics.notify(flow, 0);
        } else if (m.type === 'progress') stage.progress(m.progress);
        else if (m.type === 'done') {
          settled = true;
          if (process.env.WHYRESET_THREAD_STATS) {
            process.stderr.write(threadStatsLine(m.stats, mainThreadStats(loopAtStart, createdAt, m.stats.tid)));
          }
          resolve();
        } else fail(workerError(m));
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`the track worker ended (exit code ${code}) before it was done`)));
  });
  try {
    // A stop (SIGINT, capture/interrupt.ts) while the worker reads is passed on to its readers.
    const STOPPED = Symbol('stopped');
    if ((await raceReadingStop(finished, STOPPED)) === STOPPED) {
      worker.postMessage({ type: 'stop' });
      await finished;
    }
  } finally {
    await worker.terminate();
  }
}
