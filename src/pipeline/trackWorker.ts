/**
 * The worker thread of a threaded run (threads.ts): runs the track stage (trackStage.ts) over the
 * inputs and posts its events to the main thread in batches — never one message per packet. A
 * batch is one float64 stream of event codes and their arguments, finished connections whole
 * (connPack.ts), written straight into a slot of a ring of shared memory that the main thread
 * reads in place; the message says which slot and carries the batch's string table. The main thread says
 * how many batches it has not handled yet in a shared counter: past MAX_BATCHES_IN_FLIGHT the
 * worker waits, so a fast reader cannot pile the whole capture up in memory (and a slot is never
 * rewritten before it was read: trackWorkerProtocol.ts RING_SLOTS).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { stopReading } from '../capture/interrupt.js';
import type { FinishedConnection } from '../track/finished.js';
import { ConnPacker } from './connPack.js';
import { type InputOutcome, type ReadProgress, type TrackEvents, type TrackOptions, runTrackStage } from './trackStage.js';
import { EV, MAX_BATCHES_IN_FLIGHT, RING_SLOTS, type TrackWorkerData, type WorkerMessage, type WorkerStats, clockNow, ringSlots, threadCpuMs } from './trackWorkerProtocol.js';

/** When this module started running (WorkerStats.startAt), and the thread's CPU time by then (its start: WorkerStats.startCpuMs). */
const STARTED_AT = clockNow();
const START_CPU_MS = process.env.WHYRESET_THREAD_STATS ? threadCpuMs() : Number.NaN;

/** Finished connections per batch: big enough that messages are few, small enough that the main thread starts early. */
const CONNECTIONS_PER_BATCH = 256;
/** Numbers of a batch at most (SYN-ACK and RST events carry no connection): 1 MiB of float64 (RING_SLOT_NUMBERS leaves room past it). */
const NUMBERS_PER_BATCH = 131_072;
/** Longest single wait for the main thread to catch up (ms) before looking again. */
const WAIT_SLICE_MS = 50;

/**
 * The nice value this thread takes the first time it has to wait for the main thread (BatchingEvents
 * flush): the main thread is then the run's bottleneck (a SYN flood, where it explains every
 * connection), and on 2 cores three threads want them (the two stages and V8's compiler thread), so
 * the scheduler's equal shares took the main thread's core from it while this thread, which only has
 * to keep it fed, ran ahead. Linux's CFS weighs nice 5 at 335 against nice 0's 1024
 * (kernel/sched/core.c sched_prio_to_weight). One way only: an unprivileged thread cannot take a
 * higher priority back (setpriority(2), RLIMIT_NICE). Measured (high-share cgroup on a busy
 * machine, 3 runs each, wall): 200k flood with 2 threads 1.53-1.67 s at nice 0, 1.43-1.47 s at
 * nice 5 (1 thread: 1.58-1.59 s); the 512 MiB mix, where the worker is the bottleneck and seldom
 * waits, 0.92-0.98 s either way.
 */
export const NICE_WHEN_MAIN_BEHIND = 5;

/** Lowers the calling thread's priority to `nice` (os.setPriority of pid 0: on Linux the calling thread only). */
function lowerOwnPriority(nice: number): void {
  try {
    setPriority(0, nice);
  } catch {
    // A system that refuses leaves the thread as it was: the run is the same, only its pace differs.
  }
}

/** Where the worker posts its batches (its parentPort; a test's stand-in). */
export type BatchPort = Pick<NonNullable<typeof parentPort>, 'postMessage'>;

/** The track stage's events, collected into batches and posted to the main thread. */
export class BatchingEvents implements TrackEvents {
  private connections = 0;
  private events = 0;
  /** The shared ring's slots (trackWorkerProtocol.ts ringSlots) and the one being written. */
  private readonly slots: Float64Array[];
  private slot = 0;
  /** The batch being written (connPack.ts), into slots[slot]. */
  private readonly packer: ConnPacker;
  /** Batches and waits so far (WorkerStats; the event loop's times are added at the end). */
  readonly stats: WorkerStats = { batches: 0, connections: 0, numbers: 0, copiedBatches: 0, waitedForMainMs: 0, mainBehindAtBatch: 0, activeMs: 0, idleMs: 0, cpuMs: Number.NaN, startCpuMs: START_CPU_MS, tid: 0, startAt: STARTED_AT, firstBatchAt: 0, doneAt: 0 };

  constructor(
    private readonly port: BatchPort,
    private readonly inFlight: Int32Array,
    ring: SharedArrayBuffer,
    /** Called once, the first time the main thread is MAX_BATCHES_IN_FLIGHT batches behind (a test's stand-in for lowering the priority). */
    private readonly onMainBehind: () => void = () => lowerOwnPriority(NICE_WHEN_MAIN_BEHIND),
  ) {
    this.slots = ringSlots(ring);
    this.packer = new ConnPacker(this.slots[0]);
  }

  /**
   * Posts the batch so far (if any), then waits while the main thread is too far behind. The
   * numbers stay where they were written, in the shared ring (the main thread reads them there),
   * and only the slot's number, the strings and the rare clones cross in the message. Neither a
   * copy nor a transfer: a transfer detaches the buffer here, and the first ArrayBuffer detached in
   * an isolate invalidates V8's ArrayBufferDetaching protector (v8 src/execution/protectors.h),
   * which deoptimises every optimised function that reads a typed array — the whole decode and
   * track path of this thread — and recompiles it with a detached-buffer check on every access
   * (session 9, --trace-deopt: 54 functions marked at the first batch). Session 9 therefore posted
   * copies: a slice here, serialised, and copied again into a fresh buffer on the main thread, three
   * copies and two new buffers' page faults per batch (the 200k flood posts 237 MB of numbers).
   * Measured against those copies (CPU per thread from /proc, 3 pairs, busy machine): 200k flood
   * worker 813 → 781 ms, main 1,077 → 1,044 ms; the 512 MiB mix (30 MB posted) unchanged within
   * noise. A batch that outgrew its slot (one connection with thousands of resets) is still posted
   * as a copy.
   */
  flush(): void {
    if (this.events === 0) return;
    const written = this.packer.takeInPlace(this.slots[(this.slot + 1) % RING_SLOTS] as Float64Array);
    const inSlot = written.data === this.slots[this.slot];
    const message: WorkerMessage = inSlot
      ? { type: 'slot', slot: this.slot, length: written.length, strings: written.strings, objects: written.objects }
      : { type: 'events', batch: { numbers: written.data.slice(0, written.length), strings: written.strings, objects: written.objects } };
    this.slot = (this.slot + 1) % RING_SLOTS;
    const { stats } = this;
    if (stats.batches++ === 0) stats.firstBatchAt = clockNow();
    if (!inSlot) stats.copiedBatches++;
    stats.connections += this.connections;
    stats.numbers += written.length;
    this.events = 0;
    this.connections = 0;
    Atomics.add(this.inFlight, 0, 1);
    this.port.postMessage(message);
    let waitStart = -1;
    for (;;) {
      const pending = Atomics.load(this.inFlight, 0);
      if (pending < MAX_BATCHES_IN_FLIGHT) break;
      if (waitStart < 0) {
        waitStart = performance.now();
        // The main thread is the bottleneck: from now on it goes first (NICE_WHEN_MAIN_BEHIND).
        if (stats.mainBehindAtBatch === 0) {
          stats.mainBehindAtBatch = stats.batches;
          this.onMainBehind();
        }
      }
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

/** This thread's id in /proc/self/task (the link /proc/thread-self names it), 0 where there is none. */
function ownThreadId(): number {
  try {
    return Number.parseInt(readlinkSync('/proc/thread-self').split('/').at(-1) ?? '', 10) || 0;
  } catch {
    return 0;
  }
}

/** Runs the track stage for the main thread and says when it is done, or what it threw. */
async function main(port: NonNullable<typeof parentPort>, data: TrackWorkerData): Promise<void> {
  if (data.stopped) stopReading();
  port.on('message', (m: { type: string }) => {
    if (m.type === 'stop') stopReading();
  });
  const events = new BatchingEvents(port, new Int32Array(data.inFlight), data.ring);
  const loopAtStart = performance.eventLoopUtilization();
  try {
    await runTrackStage(data.paths, data.options as TrackOptions, events);
    events.flush();
    const loop = performance.eventLoopUtilization(loopAtStart);
    hooks.beforeDone?.();
    const measured = process.env.WHYRESET_THREAD_STATS ? { cpuMs: threadCpuMs(), tid: ownThreadId() } : {};
    const done: WorkerMessage = { type: 'done', stats: { ...events.stats, activeMs: loop.active, idleMs: loop.idle, ...measured, doneAt: clockNow() } };
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
