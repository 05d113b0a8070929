/**
 * The embedded store: one DuckDB file (default ./whyreset.duckdb). `@duckdb/node-api` is loaded
 * here with a dynamic import, so only the store commands pay for it; extension auto-install and
 * auto-load are off (nothing downloads at run time; JSON and Parquet are built into the binary).
 *
 * Ingesting a file: its rows are staged as JSON documents in temporary tables while it is
 * analysed (an appender, flushed every STAGE_FLUSH_ROWS rows, so nothing accumulates in this
 * process), its sha256 is taken from the same read; then one transaction deletes whatever the
 * store held for that sha256 and moves the staged rows in. A process killed at any point leaves
 * the store as it was before or with the file complete: the staging tables die with the
 * connection, and DuckDB writes a transaction to its WAL only at COMMIT.
 */
import { resolve } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { VERSION } from '../version.js';
import { type StoreAnalysis, type StoreAnalysisOptions, analyzeForStore, sha256OfFile } from './analyzeFile.js';
import { captureDoc } from './captureDoc.js';
import { duckInsertCapture, duckInsertFromStage, duckSchemaSql, sqlString, stageName } from './duckdbSql.js';
import { type QueryResult, normaliseRows } from './queryResult.js';
import { RESULT_TABLES, type ResultTable, STORE_TABLES } from './schema.js';

/** Default store file, in the current directory; `WHYRESET_DB` overrides it, `--db` both. */
export const DEFAULT_DB = 'whyreset.duckdb';

/** The store file to use: `--db`, else WHYRESET_DB, else ./whyreset.duckdb. */
export function dbPathOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.WHYRESET_DB || DEFAULT_DB);
}

/** Staged rows between two appender flushes (bounds this process's memory per table). */
const STAGE_FLUSH_ROWS = 8192;

/** What happened to one file. */
export type IngestOutcome = 'stored' | 'replaced' | 'unchanged' | 'unreadable';

/** Options of one ingest. */
export interface IngestOptions extends StoreAnalysisOptions {
  sensor: string;
  /** Store again even when the same bytes were stored by the same analyzer version. */
  force?: boolean;
  /** Called at each step (`checking`, `analysing`, `transaction`, `committed`), for --verbose. */
  onPhase?: (phase: string, path: string) => void;
}

/** One file's result. */
export interface IngestResult {
  outcome: IngestOutcome;
  path: string;
  sha256: string | null;
  analysis: StoreAnalysis | null;
}

/** An open DuckDB store. */
export class DuckStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly path: string,
  ) {}

  /** Opens (creating when `create`) the store file and its tables. */
  static async open(path: string, options: { create: boolean }): Promise<DuckStore> {
    const { existsSync } = await import('node:fs');
    if (!options.create && !existsSync(path)) throw new Error(`no store at ${path} (create one with "whyreset ingest")`);
    const duckdb = await import('@duckdb/node-api');
    const instance = await duckdb.DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    const store = new DuckStore(instance, conn, path);
    for (const sql of duckSchemaSql()) await conn.run(sql);
    return store;
  }

  /** Runs one SQL statement and returns its rows as plain values. */
  async query(sql: string): Promise<QueryResult> {
    const reader = await this.conn.runAndReadAll(sql);
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
    const absolute = resolve(path);
    options.onPhase?.('checking', path);
    if (!options.force && (await this.unchangedAtPath(absolute))) return { outcome: 'unchanged', path, sha256: null, analysis: null };
    options.onPhase?.('analysing', path);
    const appenders = await this.openStage();
    let analysis: StoreAnalysis;
    try {
      let staged = 0;
      analysis = await analyzeForStore(path, options, {
        row(table, doc) {
          const app = appenders.get(table) as DuckDBAppender;
          app.appendVarchar(doc);
          app.endRow();
          // A flush per STAGE_FLUSH_ROWS rows keeps the appenders' buffers small.
          if (++staged % STAGE_FLUSH_ROWS === 0) for (const a of appenders.values()) a.flushSync();
        },
      });
    } finally {
      for (const a of appenders.values()) a.closeSync();
    }
    if (analysis.input === null) return { outcome: 'unreadable', path, sha256: analysis.sha256, analysis };
    const known = await this.query(`SELECT analyzer_version FROM captures WHERE sha256 = ${sqlString(analysis.sha256)}`);
    const stored = known.rows[0]?.analyzer_version;
    if (!options.force && stored === VERSION) return { outcome: 'unchanged', path, sha256: analysis.sha256, analysis };
    await this.replace(analysis, absolute, options);
    return { outcome: stored === undefined ? 'stored' : 'replaced', path, sha256: analysis.sha256, analysis };
  }

  /** Whether `path` is stored with the same size by this analyzer version and its bytes still hash the same. */
  private async unchangedAtPath(absolute: string): Promise<boolean> {
    const { statSync } = await import('node:fs');
    let size: number;
    try {
      size = statSync(absolute).size;
    } catch {
      return false;
    }
    const r = await this.query(
      `SELECT sha256 FROM captures WHERE path = ${sqlString(absolute)} AND size = ${size} AND analyzer_version = ${sqlString(VERSION)}`,
    );
    const sha = r.rows[0]?.sha256;
    // Only here is a file read without analysing it: to prove it unchanged instead of analysing it again.
    return typeof sha === 'string' && (await sha256OfFile(absolute)) === sha;
  }

  /** Fresh staging tables and an appender on each. */
  private async openStage(): Promise<Map<ResultTable['name'], DuckDBAppender>> {
    const appenders = new Map<ResultTable['name'], DuckDBAppender>();
    for (const t of RESULT_TABLES) {
      await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${stageName(t.name)} (doc VARCHAR)`);
      appenders.set(t.name, await this.conn.createAppender(stageName(t.name), 'main', 'temp'));
    }
    return appenders;
  }

  /** One transaction: the file's old rows out, the staged rows and its captures row in. */
  private async replace(analysis: StoreAnalysis, absolute: string, options: IngestOptions): Promise<void> {
    const sha = analysis.sha256;
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const table of [...STORE_TABLES].reverse()) {
        await this.conn.run(`DELETE FROM ${table} WHERE ${table === 'captures' ? 'sha256' : 'capture_sha256'} = $1`, [sha]);
      }
      options.onPhase?.('transaction', analysis.path);
      for (const t of RESULT_TABLES) await this.conn.run(duckInsertFromStage(t), [sha]);
      await this.conn.run(duckInsertCapture(), [JSON.stringify(captureDoc(analysis, absolute, options.sensor))]);
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK');
      throw err;
    }
    for (const t of RESULT_TABLES) await this.conn.run(`DROP TABLE IF EXISTS temp.main.${stageName(t.name)}`);
    options.onPhase?.('committed', analysis.path);
  }

  /** Closes the connection and the database. */
  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
