/**
 * What the main thread and the track worker (trackWorker.ts, threads.ts) say to each other.
 */
import { readFileSync } from 'node:fs';
import type { PackedBatch } from './connPack.js';
import type { ReadProgress, TrackOptions } from './trackStage.js';

/** Event codes of a batch: each code is followed by two arguments (null where unused), `done` by a connection (connPack.ts). */
export const EV = {
  open: 1,
  piece: 2,
  synAck4: 3,
  synAck6: 4,
  rst: 6,
  done: 7,
  close: 8,
  unreadable: 9,
  input: 10,
  end: 11,
  first: 12,
} as const;

/** Batches posted and not yet handled by the main thread, at most (the worker waits beyond). */
export const MAX_BATCHES_IN_FLIGHT = 8;

/**
 * Float64 numbers a slot of the shared ring holds: a batch ends at 131,072 numbers
 * (trackWorker.ts NUMBERS_PER_BATCH) after the connection that crossed it, so this leaves a
 * quarter of room for that last one; a batch that still outgrows its slot is copied.
 */
export const RING_SLOT_NUMBERS = 163_840;

/**
 * Slots of the shared ring. The worker writes batch b into slot b % RING_SLOTS and, after
 * posting it, waits until fewer than MAX_BATCHES_IN_FLIGHT batches are unhandled; the main thread
 * handles batches in order and counts one handled only once it has read it whole. So when the
 * worker starts batch b + 1, the batches still unread are among b − MAX_BATCHES_IN_FLIGHT + 2 … b,
 * and slot (b + 1) % RING_SLOTS last held batch b + 1 − RING_SLOTS, which is older: already read.
 * (MAX_BATCHES_IN_FLIGHT slots would do; one more is a margin.)
 */
export const RING_SLOTS = MAX_BATCHES_IN_FLIGHT + 1;

/** The shared ring's memory: RING_SLOTS slots of RING_SLOT_NUMBERS float64 (pages are touched only as batches fill them). */
export function newBatchRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(RING_SLOTS * RING_SLOT_NUMBERS * Float64Array.BYTES_PER_ELEMENT);
}

/** The ring's slots, each a Float64Array over its own part of `ring`. */
export function ringSlots(ring: SharedArrayBuffer): Float64Array[] {
  const slots: Float64Array[] = [];
  for (let i = 0; i < RING_SLOTS; i++) slots.push(new Float64Array(ring, i * RING_SLOT_NUMBERS * Float64Array.BYTES_PER_ELEMENT, RING_SLOT_NUMBERS));
  return slots;
}

/** The worker's start data. */
export interface TrackWorkerData {
  paths: string[];
  options: TrackOptions;
  /** SharedArrayBuffer of one Int32: batches in flight. */
  inFlight: SharedArrayBuffer;
  /** The batches' numbers, written by the worker and read by the main thread in place (newBatchRing). */
  ring: SharedArrayBuffer;
  /** Reading was stopped (SIGINT) before the worker started. */
  stopped: boolean;
}

/** What the worker did, for WHYRESET_THREAD_STATS (threads.ts): its batches and how its time went. */
export interface WorkerStats {
  batches: number;
  connections: number;
  /** Float64 numbers posted (8 bytes each). */
  numbers: number;
  /** Batches that outgrew their slot of the shared ring and were posted as copies. */
  copiedBatches: number;
  /** Time blocked because the main thread was MAX_BATCHES_IN_FLIGHT batches behind (ms). */
  waitedForMainMs: number;
  /** The batch after which the worker first waited for the main thread and lowered its own priority (trackWorker.ts NICE_WHEN_MAIN_BEHIND); 0 when it never did. */
  mainBehindAtBatch: number;
  /** Its event loop's active and idle time (ms, performance.eventLoopUtilization): idle is waiting for reads; active includes waitedForMainMs. */
  activeMs: number;
  idleMs: number;
  /** CPU time of the worker's thread at its end (threadCpuMs; NaN unless WHYRESET_THREAD_STATS is set). */
  cpuMs: number;
  /** CPU time of the worker's thread when its module started running: Node's start of the thread (threadCpuMs; NaN unless WHYRESET_THREAD_STATS). */
  startCpuMs: number;
  /** The worker thread's id (/proc/self/task/<id>), for the main thread's account of the other threads; 0 when unknown. */
  tid: number;
  /**
   * When its module started running, posted its first batch and was done, as clock times (ms,
   * performance.timeOrigin + performance.now(): comparable across threads). The main thread prints
   * them from its own start: what the start of the worker and the end of the run cost in series.
   */
  startAt: number;
  firstBatchAt: number;
  doneAt: number;
}

/**
 * CPU time this thread has run so far (ms), from Linux's /proc/thread-self/schedstat (its first
 * field: nanoseconds on a CPU); NaN where there is none. Only WHYRESET_THREAD_STATS reads it: CPU
 * per thread stays meaningful on a busy machine, where wall time and event-loop time do not.
 */
export function threadCpuMs(): number {
  try {
    return Number.parseInt(readFileSync('/proc/thread-self/schedstat', 'latin1'), 10) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** A clock time (ms) comparable across threads (WorkerStats). */
export function clockNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A message from the worker. */
export type WorkerMessage =
  /** A batch in slot `slot` of the shared ring: its first `length` numbers, and its strings and clones. */
  | { type: 'slot'; slot: number; length: number; strings: string[]; objects: unknown[] }
  /** A batch that outgrew its slot, copied whole. */
  | { type: 'events'; batch: PackedBatch }
  | { type: 'progress'; progress: ReadProgress }
  | { type: 'done'; stats: WorkerStats }
  | { type: 'error'; name: string; message: string; stack: string };
