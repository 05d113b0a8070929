/**
 * Drives the pipeline over every input: capture → decode → track (trackStage.ts) → explain
 * (explainStage.ts), and hands each finding to a sink as soon as it is final, so that the CLI can
 * stream a 10 GB capture and the library can collect a Report. With `threads` ≥ 2 the track
 * stage runs on a worker thread (threads.ts) and the findings are the same. Nothing here
 * formats output.
 */
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { ReadLength, ReadPace } from '../capture/window.js';
import type { Summary } from '../model/report.js';
import type { Tracker } from '../track/tracker.js';
import { type CarriedStream, restoreStream, saveStream } from './carry.js';
import type { ChecksumGate } from './checksumGate.js';
import { type AnalysisSink, type ExplainOptions, ExplainStage, type RunResult } from './explainStage.js';
import { planInputs } from './inputOrder.js';
import type { StreamPieces } from './stream.js';
import { chooseWorker, threadChoiceLine } from './threadChoice.js';
import { DEFAULT_THREADS_MIN_BYTES, inputBytes, runOnTwoThreads } from './threads.js';
import { type LocalTrackHooks, type TrackOptions, runTrackStage } from './trackStage.js';

export { frameSpanOf, spanOf } from './explainStage.js';
export type { AnalysisSink, ConnectionSpan, RunResult, UnreadableInput } from './explainStage.js';
export { AnalysisStopped, MAX_RESETS_PER_CONNECTION } from './trackStage.js';
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
  /**
   * With `threads` ≥ 2: use the worker only where the start of the first input says a second
   * thread gains (threadChoice.ts: a SYN flood, not a mix of ordinary traffic). The CLI's default
   * on 2 cores; `--threads N` given leaves it unset.
   */
  threadsByCapture?: boolean;
  /** With `threadsByCapture`: decide from the capture alone, not from the other work runnable on the machine (a benchmark that gives the run its CPU by other means, a high-share cgroup). */
  threadsIgnoreLoad?: boolean;
  /**
   * A stream an earlier run carried (`RunResult.carried`): restored before the first input, which
   * continues it when `stream` is true or continuesStream says so (else it is finished first);
   * with no input it is simply finished (a sensor's last file). Carrying runs single-threaded.
   */
  resume?: CarriedStream;
  /**
   * End without finishing the last stream: its open connections and held findings are returned
   * in `RunResult.carried` for a later run to `resume` (a sensor's next file). Single-threaded.
   */
  carry?: boolean;
  /** Sees every byte of each input as it is read (compressed bytes for gzip), once, in order: the store's sha256. Single-threaded. */
  onRawBytes?: (bytes: Uint8Array, index: number) => void;
  /**
   * Awaited before each chunk of input is read (capture/window.ts ReadPace): a slow consumer of
   * streamed findings holds reading back. Single-threaded (the live ndjson stream's mode).
   */
  pace?: ReadPace;
  /** Asked before each chunk of input is read: at most this many bytes (capture/window.ts ReadLength). Single-threaded. */
  readLength?: ReadLength;
  /**
   * Called when an input has been read to its end and its records tracked, before its stream is
   * finished (the connections still open ended and explained): the store hands the rows written
   * so far to DuckDB then, to go in while this thread finishes the stream. Single-threaded.
   */
  onInputRead?: (index: number) => void;
  /**
   * Asked as each chunk of input is read (before its records are tracked): true stops the run
   * at once, the rest unread and nothing more handed to the sink (connections still open are not
   * finished nor explained, as an unreadable input's would be); runAnalysis then rejects with
   * AnalysisStopped. For a caller that no longer wants the findings: `ingest` stopping its early
   * analysis of a file the store already holds (src/store/duckdb.ts). Single-threaded.
   */
  stopRequested?: () => boolean;
  /** Selects the findings reported (`--host/--net/--port/--since/--until`, pipeline/filter.ts); the tracker still sees every packet. */
  filter?: ReportFilter;
}

/** What runAnalysis needs of a filter (pipeline/filter.ts FindingFilter). */
export interface ReportFilter {
  noteFirstPacket(ts: number): void;
  wrap(sink: AnalysisSink): AnalysisSink;
  adjust(summary: Summary): void;
}

/** True when the run should put its track stage on a worker thread (see RunOptions.threads). */
export function usesWorker(paths: readonly string[], options: RunOptions): boolean {
  if ((options.threads ?? 1) < 2) return false;
  // A carried stream and the raw-bytes tap need the tracker and the reader on this thread.
  if (options.resume !== undefined || options.carry === true || options.onRawBytes !== undefined || options.pace !== undefined || options.readLength !== undefined || options.onInputRead !== undefined || options.stopRequested !== undefined) return false;
  // Standard input is read here: a worker cannot take the stream.
  const bytes = inputBytes(paths);
  return bytes !== null && bytes >= (options.threadsMinBytes ?? DEFAULT_THREADS_MIN_BYTES);
}

/** True when the run puts its track stage on a worker thread: usesWorker, and with `threadsByCapture` the start of the first input and the machine's load say it gains. */
export async function runsOnTwoThreads(paths: readonly string[], options: RunOptions): Promise<boolean> {
  if (!usesWorker(paths, options)) return false;
  return options.threadsByCapture !== true || (await captureGainsFromWorker(paths[0] as string, options.threadsIgnoreLoad === true));
}

/** Samples the start of `path` and the machine's load (threadChoice.ts) and says whether a worker gains; WHYRESET_THREAD_STATS prints what it saw. */
async function captureGainsFromWorker(path: string, ignoreLoad: boolean): Promise<boolean> {
  const choice = await chooseWorker(path, availableParallelism(), ignoreLoad);
  if (process.env.WHYRESET_THREAD_STATS) process.stderr.write(threadChoiceLine(choice));
  return choice.worker;
}

/** Analyses every input (in the time order of their first packets, inputOrder.ts), streaming resets, connections and patterns to `sink`. */
export async function runAnalysis(paths: readonly string[], options: RunOptions, allFindings: AnalysisSink): Promise<RunResult> {
  const { filter } = options;
  const sink = filter === undefined ? allFindings : filter.wrap(allFindings);
  const stage = new ExplainStage(filter === undefined ? options : { ...options, onFirstPacket: (ts) => filter.noteFirstPacket(ts) }, sink);
  const trackOptions: TrackOptions = {
    chunkSize: options.chunkSize,
    inactivityTimeout: options.inactivityTimeout,
    ignoreChecksums: options.ignoreChecksums,
    stream: options.stream,
    progress: options.onProgress !== undefined,
    // Explain reads the packets of a connection with resets only; `onFinished` (the explain
    // command's ladder of any connection) is handed every connection's.
    packetsFor: options.onFinished === undefined ? 'resets' : 'all',
  };
  // Several inputs are read in time order, each keeping its capture index (inputOrder.ts).
  if (paths.length > 1) trackOptions.plan = await planInputs(paths);
  if (await runsOnTwoThreads(paths, options)) {
    await runOnTwoThreads(paths, trackOptions, stage);
    return filtered(stage.result(), filter);
  }
  let carried: CarriedStream | undefined;
  const local: LocalTrackHooks = { stdin: options.stdin, onRawBytes: options.onRawBytes, pace: options.pace, readLength: options.readLength, stopRequested: options.stopRequested, onInputRead: options.onInputRead };
  const { resume } = options;
  if (resume !== undefined) local.resume = (tracker, pieces, gate) => resumeStream(stage, resume, tracker, pieces, gate);
  if (options.carry === true) {
    local.keep = (tracker, pieces, gate) => {
      carried = keepStream(stage, tracker, pieces, gate);
    };
  }
  await runTrackStage(paths, trackOptions, stage, local);
  const result = filtered(stage.result(), filter);
  return carried === undefined ? result : { ...result, carried };
}

/** The run's result with the summary saying what the filter left out. */
function filtered(result: RunResult, filter: ReportFilter | undefined): RunResult {
  filter?.adjust(result.summary);
  return result;
}

/** Restores a carried stream into the fresh stream the track stage opened (tracker, pieces, gate) and the explain stage's parts. */
function resumeStream(stage: ExplainStage, carried: CarriedStream, tracker: Tracker, pieces: StreamPieces, gate: ChecksumGate | null): void {
  const parts = stage.carryParts();
  if (parts === null) throw new Error('carry: the explain stage opened no stream to resume into');
  const restored = restoreStream(carried, { tracker, gate, ...parts, pieces });
  // Both stages number frames by the same pieces: the explain stage's copy maps them back to files.
  parts.pieces.pieces.splice(0, parts.pieces.pieces.length, ...pieces.pieces.map((p) => ({ ...p })));
  stage.resumed(restored.provisionalIds, restored.files);
}

/** Saves the unfinished last stream (carry.ts) instead of finishing it. */
function keepStream(stage: ExplainStage, tracker: Tracker, pieces: StreamPieces, gate: ChecksumGate | null): CarriedStream {
  const parts = stage.carryParts();
  if (parts === null) throw new Error('carry: the explain stage has no open stream to save');
  return saveStream({ tracker, gate, ...parts, pieces }, stage.filesBefore);
}
