/**
 * Drives the pipeline over every input: capture → decode → track (trackStage.ts) → explain
 * (explainStage.ts), and hands each finding to a sink as soon as it is final, so that the CLI can
 * stream a 10 GB capture and the library can collect a Report. With `threads` ≥ 2 the track
 * stage runs on a worker thread (threads.ts) and the findings are the same. Nothing here
 * formats output.
 */
import type { Readable } from 'node:stream';
import { type AnalysisSink, type ExplainOptions, ExplainStage, type RunResult } from './explainStage.js';
import { DEFAULT_THREADS_MIN_BYTES, inputBytes, runOnTwoThreads } from './threads.js';
import { type TrackOptions, runTrackStage } from './trackStage.js';

export { frameSpanOf, spanOf } from './explainStage.js';
export type { AnalysisSink, ConnectionSpan, RunResult, UnreadableInput } from './explainStage.js';
export { MAX_RESETS_PER_CONNECTION } from './trackStage.js';
export type { ReadProgress } from './trackStage.js';

/** Options of one analysis run. */
export interface RunOptions extends ExplainOptions {
  /** Stream read for the path `-`. */
  stdin?: Readable;
  /** Bytes per read (tests shrink it). */
  chunkSize?: number;
  /** Zeek's tcp_inactivity_timeout in seconds of capture time (default 300). */
  inactivityTimeout?: number;
  /** Track packets whatever their checksums say (Zeek's `-C`); by default bad ones are not tracked. */
  ignoreChecksums?: boolean;
  /**
   * Inputs as pieces of one capture: true tracks them all as one stream (`--stream`), false
   * gives each its own tracker, undefined (default) joins an input to the one before when it
   * continues it (stream.ts continuesStream).
   */
  stream?: boolean;
  /**
   * Threads to use (`--threads`); 1 or undefined (the default of the library) runs everything
   * on the calling thread; 2 or more reads, decodes and tracks on a worker thread while this
   * one explains (two stages: more threads gain nothing more). A caller that needs the
   * tracker's state on this thread leaves it unset.
   */
  threads?: number;
  /** Inputs smaller than this (bytes on disk) stay on one thread whatever `threads` says (default DEFAULT_THREADS_MIN_BYTES). */
  threadsMinBytes?: number;
}

/** True when the run should put its track stage on a worker thread (see RunOptions.threads). */
export function usesWorker(paths: readonly string[], options: RunOptions): boolean {
  if ((options.threads ?? 1) < 2) return false;
  // Standard input is read here: a worker cannot take the stream.
  const bytes = inputBytes(paths);
  return bytes !== null && bytes >= (options.threadsMinBytes ?? DEFAULT_THREADS_MIN_BYTES);
}

/** Analyses every input in order, streaming resets, connections and patterns to `sink`. */
export async function runAnalysis(paths: readonly string[], options: RunOptions, sink: AnalysisSink): Promise<RunResult> {
  const stage = new ExplainStage(options, sink);
  const trackOptions: TrackOptions = {
    chunkSize: options.chunkSize,
    inactivityTimeout: options.inactivityTimeout,
    ignoreChecksums: options.ignoreChecksums,
    stream: options.stream,
    progress: options.onProgress !== undefined,
  };
  if (usesWorker(paths, options)) await runOnTwoThreads(paths, trackOptions, stage);
  else await runTrackStage(paths, trackOptions, stage, options.stdin);
  return stage.result();
}
