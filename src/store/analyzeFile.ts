/**
 * Analyses one capture file for the store: the pipeline of `analyze` (pipeline/run.ts) reading
 * the file as analyze does, with every byte read also fed to sha256 (RunOptions.onRawBytes), so
 * the key costs no second pass (a large file is hashed by a worker thread reading it beside the
 * analysis, checked to be the same bytes, hasher.ts); each finding is handed on at once as a row
 * document (never collected here).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { ReadLength } from '../capture/window.js';
import type { InputSummary } from '../model/report.js';
import type { CarriedStream } from '../pipeline/carry.js';
import { type AnalysisSink, AnalysisStopped, type ReadProgress, type RunResult, runAnalysis } from '../pipeline/run.js';
import type { HashThreadCpu } from './hashWorker.js';
import { type EarlyHashThread, type LibraryToLoad, hashFileFrom, hasherFor } from './hasher.js';
import { connectionExtra, patternDoc, resetExtra } from './rows.js';

/** Where row documents go, one call per row, in the order the analysis finishes them. */
export interface RowWriter {
  /**
   * `ts` is the row's time (null for a pattern without one), for partitioning; `extra`, when not
   * null, is JSON to add to the document as its `extra` member (rows.ts withExtra).
   */
  row(table: 'connections' | 'resets' | 'patterns', doc: string, ts: number | null, extra?: string | null): void;
  /** The file has been read to its end: what follows are the rows of the connections still open, ended at the end of the capture. */
  inputRead?(): void;
}

/** Options of `analyzeForStore`. */
export interface StoreAnalysisOptions {
  inactivityTimeout?: number;
  onProgress?: (p: ReadProgress) => void;
  /** Bytes per read of the file (tests shrink it). */
  chunkSize?: number;
  /** The sensor's stream carried from its previous file, which this file continues. */
  resume?: CarriedStream;
  /** Keep the stream open at the end of the file (its open connections are returned in `carried`, not stored). */
  carry?: boolean;
  /** Files at least this large are hashed on a worker thread (default hasher.ts threadHashMinBytesFor the machine's cores; tests lower it). */
  threadHashMinBytes?: number;
  /** Asked as each chunk is read: true ends the analysis there with AnalysisStopped, writing no more rows (they are not wanted any more). */
  shouldStop?: () => boolean;
  /** Asked before each chunk is read: at most this many bytes (capture/window.ts ReadLength). */
  readLength?: ReadLength;
  /**
   * Called when the analysis is stopped (shouldStop) with the file's hash still going: `digest`
   * gives the whole file's sha256 all the same (a thread hashes the file itself; inline, the
   * bytes not read yet are read and hashed), `abandon` drops it. Without it the hash is dropped.
   */
  onStopped?: (hash: { digest(): Promise<string>; abandon(): void }) => void;
  /** Given the sha256 before the analysis ends when a thread takes it (ByteHasher.early), else null. */
  onEarlyDigest?: (digest: Promise<string> | null) => void;
  /** A native library for the hashing thread, if there is one, to load first (hasher.ts LibraryToLoad). */
  library?: LibraryToLoad;
  /** A hashing thread started before the file was known (hasher.ts EarlyHashThread), taken if this file is hashed by a thread. */
  earlyThread?: EarlyHashThread;
}

/** What one file gave. */
export interface StoreAnalysis {
  path: string;
  /** Hex sha256 of the file's bytes as stored (compressed bytes for a gzip file). */
  sha256: string;
  size: number;
  /** The file's summary, or null when it could not be read as a capture at all. */
  input: InputSummary | null;
  /** Why it could not be read, when `input` is null. */
  unreadable: string | null;
  rows: { connections: number; resets: number; patterns: number };
  /** The stream left open at the end of the file (with `carry`), for the sensor's next file. */
  carried: CarriedStream | null;
  /** What the thread that hashed the file spent its CPU on, or null when it was hashed inline (WHYRESET_INGEST_STATS). */
  hashThread: HashThreadCpu | null;
}

/** Analyses `path`, writing every finding to `writer` as a row document, and returns its sha256 and summary. */
export async function analyzeForStore(path: string, options: StoreAnalysisOptions, writer: RowWriter): Promise<StoreAnalysis> {
  const size = statSync(path).size;
  const hash = await hasherFor(path, options.threadHashMinBytes, options.library, options.earlyThread);
  options.onEarlyDigest?.(hash.early);
  const rows = { connections: 0, resets: 0, patterns: 0 };
  let result: RunResult;
  try {
    result = await runAnalysis(
      [path],
      {
        chunkSize: options.chunkSize,
        onRawBytes(bytes) {
          hash.update(bytes);
        },
        // Stopped, the run ends without finishing or explaining what it tracked (no row written after the stop).
        stopRequested: options.shouldStop,
        readLength: options.readLength,
        onInputRead: () => writer.inputRead?.(),
        inactivityTimeout: options.inactivityTimeout,
        onProgress: options.onProgress,
        // The store has checked that the file continues the carried stream (continuesStream).
        resume: options.resume,
        stream: options.resume === undefined ? undefined : true,
        carry: options.carry,
      },
      rowSink(writer, rows),
    );
    // Stopped after the last chunk was read: the analysis has ended normally, but no digest is wanted.
    if (options.shouldStop?.()) throw new AnalysisStopped(path);
  } catch (err) {
    if (err instanceof AnalysisStopped && options.onStopped !== undefined) options.onStopped(hash);
    else hash.abandon();
    throw err;
  }
  const input = result.inputs[0] ?? null;
  if (input !== null) input.path = path;
  const carried = result.carried ?? null;
  // With the bytes the analysis did not read (a reader stopped by damage it could not read past).
  const sha256 = await hash.digest();
  return { path, sha256, size, input, unreadable: result.unreadable[0]?.message ?? null, rows, carried, hashThread: hash.threadCpu };
}

/** A sink writing each finding to `writer` as a row document, counted in `rows`. */
function rowSink(writer: RowWriter, rows: StoreAnalysis['rows']): AnalysisSink {
  return {
    reset(r) {
      rows.resets++;
      writer.row('resets', JSON.stringify(r), r.ts, resetExtra(r));
    },
    connection(c) {
      rows.connections++;
      writer.row('connections', JSON.stringify(c), c.ts, connectionExtra(c));
    },
    pattern(p) {
      rows.patterns++;
      writer.row('patterns', patternDoc(p), typeof p.first_ts === 'number' ? p.first_ts : null);
    },
  };
}

/**
 * Finishes a carried stream with no more file (a sensor's last file): its open connections end
 * as at the end of a capture, and every finding still held is written to `writer`.
 */
export async function finishCarried(carried: CarriedStream, options: { inactivityTimeout?: number }, writer: RowWriter): Promise<StoreAnalysis['rows']> {
  const rows = { connections: 0, resets: 0, patterns: 0 };
  await runAnalysis([], { resume: carried, inactivityTimeout: options.inactivityTimeout }, rowSink(writer, rows));
  return rows;
}

/** The sha256 of a file read on its own (used only to confirm that a file already stored is unchanged, in place of analysing it). */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  hashFileFrom(hash, path);
  return hash.digest('hex');
}
