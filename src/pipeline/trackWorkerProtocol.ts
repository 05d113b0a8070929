/**
 * What the main thread and the track worker (trackWorker.ts, threads.ts) say to each other.
 */
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

/** The worker's start data. */
export interface TrackWorkerData {
  paths: string[];
  options: TrackOptions;
  /** SharedArrayBuffer of one Int32: batches in flight. */
  inFlight: SharedArrayBuffer;
  /** Reading was stopped (SIGINT) before the worker started. */
  stopped: boolean;
}

/** What the worker did, for WHYRESET_THREAD_STATS (threads.ts): its batches and how its time went. */
export interface WorkerStats {
  batches: number;
  connections: number;
  /** Float64 numbers posted (8 bytes each). */
  numbers: number;
  /** Time blocked because the main thread was MAX_BATCHES_IN_FLIGHT batches behind (ms). */
  waitedForMainMs: number;
  /** Its event loop's active and idle time (ms, performance.eventLoopUtilization): idle is waiting for reads; active includes waitedForMainMs. */
  activeMs: number;
  idleMs: number;
  /**
   * When its module started running, posted its first batch and was done, as clock times (ms,
   * performance.timeOrigin + performance.now(): comparable across threads). The main thread prints
   * them from its own start: what the start of the worker and the end of the run cost in series.
   */
  startAt: number;
  firstBatchAt: number;
  doneAt: number;
}

/** A clock time (ms) comparable across threads (WorkerStats). */
export function clockNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A message from the worker. */
export type WorkerMessage =
  | { type: 'events'; batch: PackedBatch }
  | { type: 'progress'; progress: ReadProgress }
  | { type: 'done'; stats: WorkerStats }
  | { type: 'error'; name: string; message: string; stack: string };
