/**
 * `whyreset ingest`: analyses captures into the embedded DuckDB store (src/store/duckdb.ts).
 */
import { hostname } from 'node:os';
import * as duck from '../store/duckdb.js';
import type { DuckStore, IngestOptions, IngestResult } from '../store/duckdb.js';
import { INGEST_ROW_GROUP_SIZE, bindingsFile, dbPathOf, openStoreFile } from '../store/duckdbRaw.js';
import type { EarlyHashThread } from '../store/hasher.js';
import { expandInputs } from '../store/inputFiles.js';
import { processThreadsCpuMs } from '../store/threadCpu.js';
import { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, inactivityTimeoutOf, reportInputErrors, warn } from './common.js';
import { Progress } from './progress.js';
import { parseStoreArgs } from './storeArgs.js';

const INGEST_HELP = `Usage: whyreset ingest <capture|dir|glob...> [options]
       whyreset ingest --finish [--sensor NAME]

Analyses captures as "whyreset analyze" does and keeps the results in an embedded DuckDB
database (no server): tables captures, connections, resets (evidence as a list of structs) and
patterns; every row carries capture_sha256, the key of its capture. Query it with
"whyreset query". A directory means every file under it; a quoted glob ("/data/*.pcap") is
expanded here ("**" spans directories).

A capture is keyed by the sha256 of its bytes, computed while it is read. Ingesting the same
bytes again does nothing unless the analyzer version changed or --force is given; then its old
rows are replaced in one transaction. A killed ingest leaves the store as it was before the
file or with the file complete, never half written.

Rotated captures (tcpdump -C/-G, dumpcap ring buffers) ingested one file at a time, in time
order, form one stream per sensor with --carry: connections still open at the end of a file
are not stored yet; they are saved with the file (same transaction) and carried into the
sensor's next file when it continues the stream (a name differing only in digits, the same link
type, a start within the inactivity timeout), so a connection crossing files is stored once,
complete. A file that does not continue the stream finishes it first; --finish finishes it
after the sensor's last file.

Options:
      --db FILE      the store (default: $WHYRESET_DB, else ./whyreset.duckdb; created if missing)
      --sensor NAME  the capture point these files come from (default: this host's name)
      --force        store again even when the same bytes are already stored
      --carry        keep the sensor's connections open at the end of each file for its next file
      --finish       after the files (if any), finish the sensor's carried connections and store them
      --inactivity-timeout S   as for analyze (default 300)
  -v, --verbose      say what happens to each file, step by step
  -h, --help         this help

Prints one line per file: stored, replaced, unchanged or unreadable, its sha256 and row counts.
A large capture's sha256 is taken by \`openssl dgst -sha256\` when openssl is on PATH, else
(or with WHYRESET_HASH_PROCESS=0) by a worker thread; both read the file beside the analysis.
WHYRESET_INGEST_STATS=1 adds one line on stderr: CPU per thread (this one, V8's compiler,
libuv's pool where DuckDB runs, the hashing thread or process on two cores or more) and what
storing took after each analysis.
Exit codes: 0 stored, 1 stored with input errors, 2 usage error or an unreadable input.
`;

/**
 * WHYRESET_HASH_THREAD_MIN_BYTES: files from this size up are hashed by a thread reading them
 * beside the analysis (default 64 MiB, src/store/hasher.ts). For tests, which need that path
 * (the rows fed into DuckDB during the analysis) on small captures.
 */
function threadHashMinBytesOf(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.WHYRESET_HASH_THREAD_MIN_BYTES);
  return env.WHYRESET_HASH_THREAD_MIN_BYTES !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * WHYRESET_SEGMENT_BYTES: bytes of row documents per segment handed to DuckDB during the analysis
 * (default 2 MiB, src/store/duckdb.ts SEGMENT_BYTES). For tests, which need segments cut during
 * the analysis of small captures.
 */
function segmentBytesOf(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.WHYRESET_SEGMENT_BYTES);
  return env.WHYRESET_SEGMENT_BYTES !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The line WHYRESET_INGEST_STATS prints on stderr at the end: where the process's CPU went, by
 * thread (Linux's /proc schedstat; src/store/threadCpu.ts), and what storing added after each
 * file's analysis. `mainCpuMs` is this thread (reading's dispatch, decoding, tracking, explaining,
 * the row documents); `threads` every other thread still alive at the end (V8's compiler and
 * garbage collection helper, libuv's pool: the analysis's reads and DuckDB's statements, which
 * run there with threads=1); `hashThreads` what each file's hashing thread spent before its
 * program ran, loading DuckDB's library and hashing (the thread has ended by then); `files[].tail`
 * from the analysis's end to its COMMIT done, in series after the analysis. All in ms.
 */
function ingestStatsLine(results: IngestResult[]): string {
  const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
  const u = process.cpuUsage();
  const threads = processThreadsCpuMs();
  const main = threads.find((t) => t.tid === process.pid);
  const stats = {
    processCpuMs: ms((u.user + u.system) / 1000),
    mainCpuMs: ms(main?.cpuMs ?? null),
    threads: threads.filter((t) => t !== main).map((t) => ({ tid: t.tid, cpuMs: ms(t.cpuMs) })),
    hashThreads: results.flatMap((r) => {
      const cpu = r.analysis?.hashThread;
      return cpu ? [{ path: r.path, early: cpu.early, process: cpu.process === true, startMs: ms(cpu.startMs), libraryMs: ms(cpu.libraryMs), hashMs: ms(cpu.hashMs) }] : [];
    }),
    files: results.map((r) => ({
      path: r.path,
      outcome: r.outcome,
      analysedAtMs: r.tail ? ms(r.tail.analysedAtMs) : null,
      tail: r.tail ? { wallMs: ms(r.tail.wallMs), cpuMs: ms(r.tail.cpuMs), rowsInMs: ms(r.tail.rowsInMs ?? null) } : null,
    })),
    endMs: ms(performance.now()),
  };
  return `whyreset-ingest-stats ${JSON.stringify(stats)}\n`;
}

/**
 * Bytes per read of the analysis begun before DuckDB is open (the reader's default is 8 MiB).
 * Each statement that opens the store and decides how to analyse the file (some ten round trips
 * to DuckDB's thread) waits for the main thread to finish a chunk; with 8 MiB chunks an unchanged
 * file's early analysis ran ~10 chunks before the store could say to stop it. 1 MiB chunks answer
 * them 8x sooner at the same speed (main-thread CPU of a fresh ingest of the 128 MiB prefix
 * unchanged). Stopping the early analysis of an unchanged file ends the run without explaining
 * what it tracked (RunOptions.stopRequested); session 9 ended it as an unreadable input, whose
 * tracked connections were then explained: a re-ingest of the prefix cost ~0.55 s of CPU, now
 * ~0.44 s on a loaded machine (the partial analysis while DuckDB opens, the hash thread's start
 * and the sha256 that proves the file unchanged). Only until the store has said it wants the
 * analysis (RunningAnalysis.wholeChunks): then the reader's 8 MiB chunks, as analyze reads them.
 * Read 1 MiB at a time to its end, the 512 MiB bench mix cost the main thread ~40 ms more CPU
 * (1,401-1,471 against 1,348-1,426 ms, 3 alternating runs, session 12): 8x the refills.
 */
const EARLY_CHUNK_BYTES = 1 << 20;

/** `whyreset ingest`; `early`: a hashing thread started before this script loaded (bin/hashThreadEarly.cjs), ended here if no file takes it. */
export async function ingestCommand(argv: string[], early?: EarlyHashThread): Promise<number> {
  try {
    return await ingestFiles(argv, early);
  } finally {
    early?.release();
  }
}

async function ingestFiles(argv: string[], earlyThread: EarlyHashThread | undefined): Promise<number> {
  const parsed = parseStoreArgs(
    argv,
    {
      db: { type: 'string' },
      sensor: { type: 'string' },
      force: { type: 'boolean' },
      carry: { type: 'boolean' },
      finish: { type: 'boolean' },
      'inactivity-timeout': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    INGEST_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const inactivity = inactivityTimeoutOf(values['inactivity-timeout']);
  if (typeof inactivity === 'string') {
    warn(inactivity);
    return EXIT_USAGE;
  }
  if (positionals.length === 0 && !values.finish) {
    warn(`ingest needs at least one capture, directory or glob\n${INGEST_HELP}`);
    return EXIT_USAGE;
  }
  const { files, missing } = expandInputs(positionals);
  for (const m of missing) warn(`${m}: no such file, or nothing matches`);
  if (files.length === 0 && !values.finish) return EXIT_USAGE;
  const sensor = values.sensor ?? hostname();

  const dbPath = dbPathOf(values.db);
  const progress = new Progress();
  const fileOptions = (i: number): IngestOptions => ({
    sensor,
    threadHashMinBytes: threadHashMinBytesOf(process.env),
    segmentBytes: segmentBytesOf(process.env),
    last: i === files.length - 1 && !values.finish,
    force: values.force,
    carry: values.carry,
    inactivityTimeout: inactivity,
    onProgress: progress.enabled ? (p) => progress.report(p) : undefined,
    onPhase: values.verbose ? (phase, path) => warn(`${path}: ${phase}`) : undefined,
  });
  // The first file's analysis starts before DuckDB opens (DuckStore.ingest keeps it if the store
  // says it is analysed afresh, else stops it): its first read is in flight while this thread
  // loads DuckDB's library, and DuckDB opens the file on its own thread while this one analyses.
  // A large file's hashing thread loads DuckDB's library first, so that this thread does not.
  const first = files[0];
  // The thread started before this script (if any) loads the library and hashes the first file
  // it is given; else the first file's own hashing thread loads it.
  let libraryLoaded: Promise<void> | undefined = earlyThread?.libraryLoaded;
  const libraryFile = earlyThread === undefined ? bindingsFile() : null;
  const onLoading = (loaded: Promise<void>) => {
    libraryLoaded = loaded;
  };
  const library = libraryFile === null ? undefined : { file: libraryFile, onLoading };
  const early = first === undefined ? undefined : duck.beginAnalysis(first, { ...fileOptions(0), library, earlyThread }, segmentBytesOf(process.env), EARLY_CHUNK_BYTES);
  const opening = openStoreFile(dbPath, { create: true, singleThreaded: true, libraryLoaded, rowGroupSize: INGEST_ROW_GROUP_SIZE });
  opening.catch(() => {});
  let store: DuckStore;
  try {
    store = await duck.DuckStore.over(dbPath, opening);
  } catch (err) {
    await early?.stop();
    progress.done();
    warn(`${dbPath}: ${(err as Error).message}`);
    return EXIT_USAGE;
  }
  let unreadable = missing.length > 0;
  let inputErrors = false;
  const results: IngestResult[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const r = await store.ingest(file, { ...fileOptions(i), early: i === 0 ? early : undefined });
      results.push(r);
      progress.done();
      const a = r.analysis;
      if (r.outcome === 'unreadable') {
        unreadable = true;
        warn(`${file}: ${a?.unreadable ?? 'unreadable'}`);
      } else if (a?.input) reportInputErrors(a.input);
      if (a?.input && a.input.errors.length > 0) inputErrors = true;
      const counts = a && r.outcome !== 'unreadable' ? ` ${a.rows.connections} connections, ${a.rows.resets} resets, ${a.rows.patterns} patterns` : '';
      const open = a?.carried && r.outcome !== 'unchanged' ? `, ${a.carried.open} open connections carried` : '';
      process.stdout.write(`${r.outcome.padEnd(10)} ${file}${r.sha256 ? ` ${r.sha256.slice(0, 16)}` : ''}${counts}${open}\n`);
    }
    if (values.finish) {
      const rows = await store.finishStream(sensor, { inactivityTimeout: inactivity });
      const counts = rows === null ? ' nothing carried' : ` ${rows.connections} connections, ${rows.resets} resets, ${rows.patterns} patterns`;
      process.stdout.write(`${'finished'.padEnd(10)} sensor ${sensor}${counts}\n`);
    }
  } catch (err) {
    progress.done();
    warn(`${dbPath}: ${(err as Error).message}`);
    return EXIT_USAGE;
  } finally {
    store.close();
  }
  if (process.env.WHYRESET_INGEST_STATS) process.stderr.write(ingestStatsLine(results));
  if (unreadable) return EXIT_USAGE;
  return inputErrors ? EXIT_INPUT_ERRORS : EXIT_OK;
}
