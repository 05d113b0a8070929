/**
 * The worker thread of a threaded run (threads.ts): runs the track stage (trackStage.ts) over the
 * inputs and posts its events to the main thread in batches — never one message per packet. A
 * batch is one float64 stream of event codes and their arguments, finished connections whole
 * (connPack.ts), posted (copied, never transferred: see flush) with its string table. The main thread says
 * how many batches it has not handled yet in a shared counter: past MAX_BATCHES_IN_FLIGHT the
 * worker waits, so a fast reader cannot pile the whole capture up in memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stopReading } from '../capture/interrupt.js';
import type { FinishedConnection } from '../track/finished.js';
import { ConnPacker } from './connPack.js';
import { type InputOutcome, type ReadProgress, type TrackEvents, type TrackOptions, runTrackStage } from './trackStage.js';
import { EV, MAX_BATCHES_IN_FLIGHT, type TrackWorkerData, type WorkerMessage, type WorkerStats, clockNow } from './trackWorkerProtocol.js';

/** When this module started running (WorkerStats.startAt). */
const STARTED_AT = clockNow();

/** Finished connections per batch: big enough that messages are few, small enough that the main thread starts early. */
const CONNECTIONS_PER_BATCH = 256;
/** Numbers of a batch at most (SYN-ACK and RST events carry no connection): 1 MiB of float64. */
const NUMBERS_PER_BATCH = 131_072;
/** Longest single wait for the main thread to catch up (ms) before looking again. */
const WAIT_SLICE_MS = 50;

/** Where the worker posts its batches (its parentPort; a test's stand-in). */
export type BatchPort = Pick<NonNullable<typeof parentPort>, 'postMessage'>;

/** The track stage's events, collected into batches and posted to the main thread. */
export class BatchingEvents implements TrackEvents {
  private connections = 0;
  private events = 0;
  /** The batch being written (connPack.ts). */
  private readonly packer = new ConnPacker();
  /** Batches and waits so far (WorkerStats; the event loop's times are added at the end). */
  readonly stats: WorkerStats = { batches: 0, connections: 0, numbers: 0, waitedForMainMs: 0, activeMs: 0, idleMs: 0, startAt: STARTED_AT, firstBatchAt: 0, doneAt: 0 };

  constructor(
    private readonly port: BatchPort,
    private readonly inFlight: Int32Array,
  ) {}

  /**
   * Posts the batch so far (if any), then waits while the main thread is too far behind. The
   * numbers are copied by the structured clone, not transferred: a transfer detaches the buffer
   * here, and the first ArrayBuffer detached in an isolate invalidates V8's ArrayBufferDetaching
   * protector (v8 src/execution/protectors.h), which deoptimises every optimised function that
   * reads a typed array — the whole decode and track path of this thread — and recompiles it with a
   * detached-buffer check on every access. Measured (512 MiB mix, --trace-opt --trace-deopt): with
   * the transfer 54 functions marked for deoptimisation at the first batch and 370 TurboFan
   * compiles in the run; copied 4 and 311 (one thread: 272). Copying ~30 MB over the run costs a
   * few ms; the worker's CPU fell from 510-530 ms to 470-490 ms, the run's from 1.45-1.5 s to
   * 1.34-1.37 s (per-thread CPU from /proc).
   */
  flush(): void {
    if (this.events === 0) return;
    const batch = this.packer.take();
    const message: WorkerMessage = { type: 'events', batch };
    const { stats } = this;
    if (stats.batches++ === 0) stats.firstBatchAt = clockNow();
    stats.connections += this.connections;
    stats.numbers += batch.numbers.length;
    this.events = 0;
    this.connections = 0;
    Atomics.add(this.inFlight, 0, 1);
    this.port.postMessage(message);
    let waitStart = -1;
    for (;;) {
      const pending = Atomics.load(this.inFlight, 0);
      if (pending < MAX_BATCHES_IN_FLIGHT) break;
      if (waitStart < 0) waitStart = performance.now();
      Atomics.wait(this.inFlight, 0, pending, WAIT_SLICE_MS);
    }
    if (waitStart >= 0) stats.waitedForMainMs += performance.now() - waitStart;
  }

  private push2(code: number, a: unknown, b: unknown): void {
    this.packer.code(code);
    this.packer.value(a);
    this.packer.value(b);
    this.events++;
    if (this.packer.size >= NUMBERS_PER_BATCH) this.flush();
  }

  openStream(captureIndex: number): void {
    this.push2(EV.open, captureIndex, null);
  }
  firstRecord(ts: number): void {
    this.push2(EV.first, ts, null);
  }
  piece(captureIndex: number, offset: number): void {
    this.push2(EV.piece, captureIndex, offset);
  }
  synAck4(addr: number, ttl: number): void {
    this.push2(EV.synAck4, addr, ttl);
  }
  synAck6(addr: string, ttl: number): void {
    this.push2(EV.synAck6, addr, ttl);
  }
  rst(frame: number, connNumber: number): void {
    this.push2(EV.rst, frame, connNumber);
  }
  connectionDone(conn: FinishedConnection): void {
    this.packer.code(EV.done);
    this.packer.connection(conn);
    this.events++;
    if (++this.connections >= CONNECTIONS_PER_BATCH || this.packer.size >= NUMBERS_PER_BATCH) this.flush();
  }
  closeStream(stats: string | null): void {
    this.push2(EV.close, stats, null);
  }
  unreadable(path: string, message: string): void {
    this.push2(EV.unreadable, path, message);
    this.flush();
  }
  inputDone(outcome: InputOutcome): void {
    this.push2(EV.input, outcome, null);
    this.flush();
  }
  progress(progress: ReadProgress): void {
    this.flush();
    const message: WorkerMessage = { type: 'progress', progress };
    this.port.postMessage(message);
  }
  end(undecoded: [number, number][], checksumOffload: string[]): void {
    this.push2(EV.end, undecoded, checksumOffload);
    this.flush();
  }
}

/**
 * Called once the work is done, before the main thread is told (which then ends this thread):
 * bin/trackWorkerBundle.cjs sets it at build time to write the worker's code cache.
 */
export const hooks: { beforeDone?: () => void } = {};

/** Runs the track stage for the main thread and says when it is done, or what it threw. */
async function main(port: NonNullable<typeof parentPort>, data: TrackWorkerData): Promise<void> {
  if (data.stopped) stopReading();
  port.on('message', (m: { type: string }) => {
    if (m.type === 'stop') stopReading();
  });
  const events = new BatchingEvents(port, new Int32Array(data.inFlight));
  const loopAtStart = performance.eventLoopUtilization();
  try {
    await runTrackStage(data.paths, data.options as TrackOptions, events);
    events.flush();
    const loop = performance.eventLoopUtilization(loopAtStart);
    hooks.beforeDone?.();
    const done: WorkerMessage = { type: 'done', stats: { ...events.stats, activeMs: loop.active, idleMs: loop.idle, doneAt: clockNow() } };
    port.postMessage(done);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const failed: WorkerMessage = { type: 'error', name: e.name, message: e.message, stack: e.stack ?? '' };
    port.postMessage(failed);
  } finally {
    port.close();
  }
}

// No top-level await: the analyze bundle runs this module as a CommonJS script (scripts/bundle.mjs,
// bin/trackWorkerBundle.cjs).
if (parentPort !== null) void main(parentPort, workerData as TrackWorkerData);
