/**
 * The embedded store: one DuckDB file (default ./whyreset.duckdb). DuckDB is loaded on first use,
 * so only the store commands pay for it: `@duckdb/node-bindings` to open and write
 * (src/store/duckdbRaw.ts), `@duckdb/node-api` on top only for `query`. Extension auto-install and
 * auto-load are off (nothing downloads at run time; JSON and Parquet are built into the binary).
 *
 * Ingesting a file: its rows are spooled as JSON documents to temporary files while it is
 * analysed (src/store/spool.ts, so nothing accumulates in this process), its sha256 is taken from
 * the same read; then one transaction deletes whatever the store held for that sha256 and reads
 * the spooled rows in (`read_ndjson`). A process killed at any point leaves the store as it was
 * before or with the file complete: DuckDB writes a transaction to its WAL only at COMMIT.
 */
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { VERSION } from '../version.js';
import { type StoreAnalysis, type StoreAnalysisOptions, analyzeForStore, finishCarried, sha256OfFile } from './analyzeFile.js';
import { captureDoc } from './captureDoc.js';
import { DuckFeed } from './duckFeed.js';
import { duckdbModule } from './duckdbModule.js';
import { type RawDuck, type StoreOpenOptions, openStoreFile } from './duckdbRaw.js';
import { duckInsertCapture, duckInsertFromSpool, duckInsertStream, duckSchemaSql, sqlString } from './duckdbSql.js';
import { type QueryResult, normaliseRows } from './queryResult.js';
import { RESULT_TABLES, STORE_TABLES, quoted } from './schema.js';
import { SENSOR_STREAM_COLUMNS, type SensorStream, decideStream, sensorStreamOf, sensorStreamValues } from './sensorStream.js';
import { RowSpool } from './spool.js';

export { DEFAULT_DB, dbPathOf } from './duckdbRaw.js';

/** What happened to one file. */
export type IngestOutcome = 'stored' | 'replaced' | 'unchanged' | 'unreadable';

/** Options of one ingest. */
export interface IngestOptions extends StoreAnalysisOptions {
  sensor: string;
  /** Store again even when the same bytes were stored by the same analyzer version. */
  force?: boolean;
  /** Keep the sensor's connections still open at the end of the file for its next file (`--carry`). */
  carry?: boolean;
  /**
   * The store is closed right after this file: its COMMIT writes the tables into the file at once
   * (a checkpoint) rather than into the WAL that closing would then checkpoint (see LAST_COMMIT).
   */
  last?: boolean;
  /** Called at each step (`checking`, `analysing`, `feeding` when rows go in during the analysis, `transaction`, `committed`), for --verbose. */
  onPhase?: (phase: string, path: string) => void;
  /**
   * This file's analysis begun before the store was open (beginAnalysis, with these options and
   * no stream resumed): used when the store says the file is new to it and its sensor has no
   * open stream, else stopped. Ingest takes this over; it is stopped on every other path.
   */
  early?: RunningAnalysis;
  /** Bytes per segment of row documents handed to DuckDB during the analysis (default SEGMENT_BYTES; tests shrink it). */
  segmentBytes?: number;
}

/** An analysis under way, its rows going to its own spool. */
export interface RunningAnalysis {
  spool: RowSpool;
  /** The analysis; its spool is finished (flushed, closed, its last segments handed on) when it settles. */
  result: Promise<StoreAnalysis>;
  /** The file's sha256 before the analysis ends (ByteHasher.early), or null when only the end gives it. */
  earlySha: Promise<string | null>;
  /** Ends it (at its next chunk) unwanted, waits for it, removes its spool. */
  stop(): Promise<void>;
  /** It is wanted: from its next chunk on it reads whole chunks (beginAnalysis's `firstReadBytes` no longer applies). */
  wholeChunks(): void;
  /**
   * The same, but the file's sha256 is still wanted: it resolves with it (from the analysis if it
   * ended first, else from its hash, which goes on past the stop), or null if that failed.
   */
  stopForSha(): Promise<string | null>;
}

/**
 * Bytes of a table's row documents per segment handed to DuckDB while the analysis runs
 * (duckFeed.ts): each segment is one `read_ndjson` statement (or shares one with the segments
 * waiting beside it), and a `read_ndjson` statement costs ~1.2 ms of CPU whatever it reads (its
 * bind: the 30 columns' types, the reader's buffers; measured here on a one-line file, against
 * 0.08 ms for `SELECT 1`). With 256 KiB segments the 512 MiB bench mix's 25 MB of documents went
 * in as ~99 statements: 235 ms of DuckDB's CPU against 95 ms for three (session 12, the rows of
 * that file inserted alone); in `ingest` libuv's pool (the reads and DuckDB) 340 -> 260 ms. The
 * rows of a table's last segment go in after the analysis: at most 2 MiB (~10 ms) per table.
 */
const SEGMENT_BYTES = 2 << 20;

/**
 * Starts analysing `path` into a new spool cut into segments. `ingest` starts its first file so
 * before DuckDB is open: opening the store (loading DuckDB's library, its catalog, the schema)
 * and the checks that decide how to analyse a file took ~50 ms of the main thread's wall-clock
 * time doing nothing else (the 128 MiB bench prefix, session 9).
 */
export function beginAnalysis(path: string, options: StoreAnalysisOptions, segmentBytes = SEGMENT_BYTES, firstReadBytes?: number): RunningAnalysis {
  const spool = new RowSpool(segmentBytes);
  let stopped = false;
  // Reads of at most firstReadBytes until the store wants the analysis (wholeChunks).
  let readBytes = firstReadBytes ?? Number.POSITIVE_INFINITY;
  const readLength = firstReadBytes === undefined ? options.readLength : () => readBytes;
  let giveSha: (sha: string | null) => void = () => {};
  const earlySha = new Promise<string | null>((resolve) => {
    giveSha = resolve;
  });
  const onEarlyDigest = (digest: Promise<string> | null) => {
    if (digest === null) giveSha(null);
    else digest.then(giveSha, () => giveSha(null));
  };
  // The hash of a stopped analysis, kept for stopForSha (dropped by stop).
  let stoppedHash: { digest(): Promise<string>; abandon(): void } | null = null;
  const onStopped = (hash: { digest(): Promise<string>; abandon(): void }) => {
    stoppedHash = hash;
  };
  const result = analyzeForStore(path, { ...options, shouldStop: () => stopped, onEarlyDigest, onStopped, readLength }, spool).finally(() => {
    spool.finish();
    giveSha(null);
  });
  // Settled while nobody awaits it yet (the store still opening): not an unhandled rejection.
  result.catch(() => {});
  const stopForSha = async (): Promise<string | null> => {
    stopped = true;
    try {
      return (await result).sha256;
    } catch {
      const hash = stoppedHash as { digest(): Promise<string>; abandon(): void } | null;
      return hash === null ? null : await hash.digest().catch(() => null);
    } finally {
      spool.remove();
    }
  };
  return {
    spool,
    result,
    earlySha,
    async stop() {
      stopped = true;
      await result.catch(() => {});
      (stoppedHash as { abandon(): void } | null)?.abandon();
      spool.remove();
    },
    stopForSha,
    wholeChunks() {
      readBytes = Number.POSITIVE_INFINITY;
    },
  };
}

/** One file's result. */
export interface IngestResult {
  outcome: IngestOutcome;
  path: string;
  sha256: string | null;
  analysis: StoreAnalysis | null;
  /**
   * From the analysis's end to the file's COMMIT done (what storing adds after analysing, in
   * series): wall-clock and process CPU ms, and when the analysis ended (ms since the process
   * started). Null when nothing was stored.
   */
  tail?: { analysedAtMs: number; wallMs: number; cpuMs: number; rowsInMs?: number } | null;
}

/** Process CPU ms so far (every thread: user + system). */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * COMMIT of the last write before close: with the checkpoint threshold at zero DuckDB checkpoints
 * at the commit and, the WAL then being skipped (auto_checkpoint_skip_wal_threshold), writes
 * the rows once instead of into the WAL and again at close. An interrupted checkpoint leaves the
 * file as before (DuckDB writes its header last), as an interrupted WAL write does. 128 MiB
 * prefix of the bench mix (9,361 rows), CPU, median of 5: commit 9.6 + close 35.4 ms -> 31.5 +
 * 2.8 ms. Only for the last write: a checkpoint per file of a many-file ingest would rewrite the
 * tables' last row groups each time.
 */
const LAST_COMMIT = ["SET checkpoint_threshold = '0KiB'", 'SET auto_checkpoint_skip_wal_threshold = 0', 'COMMIT'];

/** An open DuckDB store. */
export class DuckStore {
  /** node-api's connection over the same handle, made by the first `query` (ingest never loads node-api). */
  private api: DuckDBConnection | null = null;

  private constructor(
    private readonly conn: RawDuck,
    readonly path: string,
  ) {}

  /**
   * Opens (creating when `create`) the store file and its tables. `singleThreaded` (ingest) runs
   * DuckDB on one thread: its inserts and commits of a file's rows cost about twice the CPU on
   * its default of one thread per core (a reset flood of 160,001 rows: 1.38 s against 0.69 s of
   * CPU, for a wall-clock gain only on an idle machine), and the analysis already keeps a core busy.
   */
  static async open(path: string, options: StoreOpenOptions): Promise<DuckStore> {
    return DuckStore.over(path, openStoreFile(path, options));
  }

  /** The store over a connection being opened (openStoreFile), once its tables exist. */
  static async over(path: string, opening: Promise<RawDuck>): Promise<DuckStore> {
    const conn = await opening;
    try {
      // One call for every CREATE TABLE IF NOT EXISTS (a round trip to DuckDB's thread each cost
      // more), in one transaction: a new store's tables are one commit, one WAL write and fsync
      // instead of five.
      await conn.run(['BEGIN TRANSACTION', ...duckSchemaSql(), 'COMMIT'].join(';\n'));
    } catch (err) {
      conn.close();
      throw err;
    }
    return new DuckStore(conn, path);
  }

  /** Runs one SQL statement and returns its rows as plain values. */
  async query(sql: string): Promise<QueryResult> {
    this.api ??= new (duckdbModule().DuckDBConnection)(this.conn.conn);
    const reader = await this.api.runAndReadAll(sql);
    const columns = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    return { columns, rows: normaliseRows(reader.getRowObjectsJson() as Record<string, unknown>[], columns, types) };
  }

  /** Writes every table to `dir/<table>.parquet` (DuckDB's COPY). */
  async exportParquet(dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const table of STORE_TABLES) {
      const file = resolve(dir, `${table}.parquet`);
      await this.conn.run(`COPY (SELECT * FROM ${table}) TO ${sqlString(file)} (FORMAT parquet)`);
      written.push(file);
    }
    return written;
  }

  /** Analyses one file and stores it (or nothing, when the same bytes are already stored by this version). */
  async ingest(path: string, options: IngestOptions): Promise<IngestResult> {
    let early = options.early;
    try {
      const absolute = resolve(path);
      options.onPhase?.('checking', path);
      const storedSha = options.force ? null : await this.storedShaAtPath(absolute);
      if (storedSha !== null) {
        // Most likely unchanged: the early analysis stops (on a re-ingest it would otherwise run
        // all along), and its hash goes on to prove the file unchanged: a thread's (already
        // hashing the whole file on the other core), or inline the bytes not analysed yet.
        // Session 9 hashed the whole file again on this thread (~80 ms of CPU per 128 MiB).
        const sha = early === undefined ? null : await early.stopForSha();
        early = undefined;
        // Only here is a file read without analysing it: to prove it unchanged instead of analysing it again.
        if ((sha ?? (await sha256OfFile(absolute))) === storedSha) return { outcome: 'unchanged', path, sha256: null, analysis: null };
      }
      // The sensor's stream left open by its previous file: resumed when this file continues it, else finished first.
      const decision = await decideStream(await this.loadStream(options.sensor), absolute, options.inactivityTimeout);
      let run = 'fresh' in decision ? early : undefined;
      if (run === undefined) {
        await early?.stop();
        if ('finishFirst' in decision) await this.finishStream(options.sensor, options);
        run = beginAnalysis(path, { ...options, resume: 'resume' in decision ? decision.resume : undefined }, options.segmentBytes);
      }
      early = undefined;
      run.wholeChunks();
      options.onPhase?.('analysing', path);
      return await this.store(path, absolute, options, run);
    } finally {
      await early?.stop();
    }
  }

  /**
   * Waits for the file's analysis and stores its rows (or nothing: unreadable, or the same bytes
   * already stored). The transaction opens as soon as the store knows it wants the rows, and the
   * rows go in while the analysis runs (duckFeed.ts): when a thread gives the sha256 before the
   * analysis ends, once it does (no row of an unchanged file goes in); when the file is hashed
   * from the analysis's own reads, with the first segment cut during the analysis, under a
   * pending key set at the end (DuckFeed.keyAs), rolled back if the bytes turn out to be stored
   * already; else (no segment before the end) after the analysis.
   */
  private async store(path: string, absolute: string, options: IngestOptions, run: RunningAnalysis): Promise<IngestResult> {
    const spool = run.spool;
    const feed = new DuckFeed(this.conn);
    // Hashed inline, the transaction opens under the pending key with the first segment cut
    // during the analysis. A file whose rows all come at its end (a small one: no segment before
    // then) goes in after the analysis under its key, without the UPDATEs.
    let inline = false;
    const feedPending = () => {
      if (!inline || feed.started || spool.finished || spool.segments.length === 0) return;
      feed.start(null, false);
      options.onPhase?.('feeding', path);
    };
    for (const [table, file] of spool.segments) feed.add(table, file);
    spool.onSegment = (table, file) => {
      feed.add(table, file);
      feedPending();
    };
    let stored: string | undefined;
    try {
      const early = await run.earlySha;
      if (early !== null) {
        stored = await this.storedVersion(early);
        if (!options.force && stored === VERSION) feed.drop();
        else {
          feed.start(early, stored !== undefined);
          options.onPhase?.('feeding', path);
        }
      } else {
        inline = true;
        feedPending();
      }
      const analysis = await run.result;
      const analysedAt = performance.now();
      const analysedCpu = processCpuMs();
      if (analysis.input === null) {
        await this.rollBack(feed);
        return { outcome: 'unreadable', path, sha256: analysis.sha256, analysis };
      }
      let keying: string[] = [];
      if (feed.pending) {
        // The rows went in under the pending key; the query waits for the feed (one connection).
        await feed.settled();
        stored = await this.storedVersion(analysis.sha256);
        if (!options.force && stored === VERSION) {
          // The same bytes are stored already (under another path): the rows fed are not wanted.
          await this.rollBack(feed);
          return { outcome: 'unchanged', path, sha256: analysis.sha256, analysis };
        }
        keying = feed.keyAs(analysis.sha256, stored !== undefined);
      } else if (early === null) {
        stored = await this.storedVersion(analysis.sha256);
        if (!options.force && stored === VERSION) feed.drop();
        else feed.start(analysis.sha256, stored !== undefined);
      } else if (analysis.sha256 !== early) throw new Error(`${path}: the sha256 changed during the analysis`);
      if (!feed.started) return { outcome: 'unchanged', path, sha256: analysis.sha256, analysis };
      const rowsIn = await this.finishReplace(analysis, absolute, options, feed, keying);
      const tail = { analysedAtMs: analysedAt, wallMs: performance.now() - analysedAt, cpuMs: processCpuMs() - analysedCpu, rowsInMs: rowsIn - analysedAt };
      return { outcome: stored === undefined ? 'stored' : 'replaced', path, sha256: analysis.sha256, analysis, tail };
    } catch (err) {
      await this.rollBack(feed);
      throw err;
    } finally {
      spool.remove();
    }
  }

  /** Ends the feed's transaction, if it opened one, without its rows. */
  private async rollBack(feed: DuckFeed): Promise<void> {
    if (!feed.started) return;
    // Statements still queued on DuckDB's thread end before the rollback on the same connection;
    // after a failed COMMIT DuckDB has rolled back already (nothing to end, the first error is the one that matters).
    await feed.settled();
    await this.conn.run('ROLLBACK').catch(() => {});
  }

  /** The analyzer version that stored capture `sha`, or undefined when it is not stored. */
  private async storedVersion(sha: string): Promise<string | undefined> {
    const known = await this.conn.texts('SELECT analyzer_version FROM captures WHERE sha256 = $1', [sha]);
    return known[0]?.[0] ?? undefined;
  }

  /** The sha256 stored for `path` at its present size by this analyzer version, or null (a file that may be unchanged: its bytes still to be hashed). */
  private async storedShaAtPath(absolute: string): Promise<string | null> {
    const { statSync } = process.getBuiltinModule('node:fs');
    let size: number;
    try {
      size = statSync(absolute).size;
    } catch {
      return null;
    }
    const r = await this.conn.texts('SELECT sha256 FROM captures WHERE path = $1 AND size = $2 AND analyzer_version = $3', [absolute, size, VERSION]);
    const sha = r[0]?.[0];
    return typeof sha === 'string' ? sha : null;
  }

  /** Inserts the spooled rows of every result table as rows of capture `sha` (inside the caller's transaction). */
  private async insertSpooled(spool: RowSpool, sha: string): Promise<void> {
    for (const t of RESULT_TABLES) {
      const file = spool.pathOf(t.name);
      if (file !== null) await this.conn.run(duckInsertFromSpool(t, file), [sha]);
    }
  }

  /** The sensor's stream left open by its previous file, or null. */
  async loadStream(sensor: string): Promise<SensorStream | null> {
    // Every column as text (RawDuck reads VARCHAR only): a double with 17 significant digits,
    // which gives back the same double; the state bytes as base64.
    const names = SENSOR_STREAM_COLUMNS.map(([n, k]) => (k === 'double' ? `printf('%.17g', ${quoted(n)})` : `CAST(${quoted(n)} AS VARCHAR)`));
    const rows = await this.conn.texts(`SELECT ${names.join(', ')}, base64(state) FROM sensor_streams WHERE sensor = $1`, [sensor]);
    const row = rows[0];
    if (row === undefined) return null;
    const fields = Object.fromEntries(SENSOR_STREAM_COLUMNS.map(([n], i) => [n, row[i]]));
    return sensorStreamOf(fields, Buffer.from(row[SENSOR_STREAM_COLUMNS.length] ?? '', 'base64'));
  }

  /**
   * Finishes the sensor's open stream (its last file was ingested): its connections end as at the
   * end of a capture and are stored, with every finding still held, under the last file that
   * held them, in one transaction that also removes the stream. Returns the rows stored, or null
   * when the sensor had no open stream.
   */
  async finishStream(sensor: string, options: { inactivityTimeout?: number; onPhase?: (phase: string, path: string) => void }): Promise<StoreAnalysis['rows'] | null> {
    const stored = await this.loadStream(sensor);
    if (stored === null) return null;
    const spool = new RowSpool();
    try {
      const rows = stored.analyzer_version === VERSION ? await finishCarried(stored.carried, options, spool) : { connections: 0, resets: 0, patterns: 0 };
      spool.finish();
      await this.storeFinished(sensor, stored, rows, spool);
      options.onPhase?.('finished stream', stored.last_path);
      return rows;
    } finally {
      spool.remove();
    }
  }

  /** One transaction: a finished stream's rows in under its last file, and the stream out. */
  private async storeFinished(sensor: string, stored: SensorStream, rows: StoreAnalysis['rows'], spool: RowSpool): Promise<void> {
    const sha = stored.last_sha256;
    await this.conn.run('BEGIN TRANSACTION');
    try {
      if (stored.analyzer_version === VERSION) {
        await this.insertSpooled(spool, sha);
        await this.conn.run('UPDATE captures SET connections = connections + $2, resets = resets + $3, patterns = patterns + $4 WHERE sha256 = $1', [
          sha,
          rows.connections,
          rows.resets,
          rows.patterns,
        ]);
      }
      await this.conn.run('DELETE FROM sensor_streams WHERE sensor = $1', [sensor]);
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK');
      throw err;
    }
  }

  /**
   * The end of the file's transaction (opened by the feed, its old rows deleted): the last
   * segments in, its captures row and its sensor's stream, COMMIT. The caller rolls back on error.
   */
  private async finishReplace(analysis: StoreAnalysis, absolute: string, options: IngestOptions, feed: DuckFeed, keying: readonly string[]): Promise<number> {
    const sha = analysis.sha256;
    options.onPhase?.('transaction', analysis.path);
    await feed.done();
    const rowsIn = performance.now();
    // The rows fed under the pending key given theirs (DuckFeed.keyAs), the captures row and the
    // sensor's stream (resumed or finished by this file) out, in one call (literals, not
    // parameters: a call of several statements takes none); a stream that stays open is saved
    // again (its state as a BLOB parameter), then COMMIT.
    const captureRow = duckInsertCapture(sqlString(JSON.stringify(captureDoc(analysis, absolute, options.sensor))));
    const closing = [...keying, captureRow, `DELETE FROM sensor_streams WHERE sensor = ${sqlString(options.sensor)}`];
    if (analysis.carried !== null) {
      await this.conn.run(closing.join(';\n'));
      await this.conn.run(duckInsertStream(), [...sensorStreamValues(options.sensor, sha, absolute, analysis.carried), analysis.carried.state]);
      closing.length = 0;
    }
    await this.conn.run([...closing, ...(options.last ? LAST_COMMIT : ['COMMIT'])].join(';\n'));
    options.onPhase?.('committed', analysis.path);
    return rowsIn;
  }


  /** Closes the connection and the database. */
  close(): void {
    this.conn.close();
  }
}
