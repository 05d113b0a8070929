/**
 * A file's rows into DuckDB while it is still being analysed. The spool (spool.ts) cuts each
 * table's documents into segments; once the file's sha256 is known (a thread reading the file
 * itself gives it long before the analysis ends, hasher.ts) and the store has said it will store
 * the file, the transaction opens, the file's old rows are deleted and each segment is read in
 * (`read_ndjson`) as it is complete. Every statement runs in order on DuckDB's own thread, so on
 * two cores the inserts overlap the analysis instead of following it. Nothing is committed here:
 * the caller adds the captures row and commits, or rolls back, so a killed ingest leaves the
 * store as before (DuckDB writes a transaction to its WAL only at COMMIT).
 */
import type { RawDuck } from './duckdbRaw.js';
import { duckInsertFromSpool } from './duckdbSql.js';
import { RESULT_TABLES, type ResultTable, STORE_TABLES } from './schema.js';

/** Segments held until the transaction opens, then inserted as they come. */
export class DuckFeed {
  private waiting: [ResultTable['name'], string][] = [];
  private sha: string | null = null;
  private dropped = false;
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(private readonly conn: RawDuck) {}

  /** Whether the transaction is open (start() was called). */
  get started(): boolean {
    return this.sha !== null;
  }

  /** A complete segment of `table`: inserted in its turn once started, held until then, ignored once dropped. */
  add(table: ResultTable['name'], file: string): void {
    if (this.dropped) return;
    if (this.sha === null) this.waiting.push([table, file]);
    else this.insert(table, file, this.sha);
  }

  /** Opens the transaction for capture `sha`: its old rows out, then the segments held so far in. */
  start(sha: string): void {
    this.sha = sha;
    this.then('BEGIN TRANSACTION');
    for (const table of [...STORE_TABLES].reverse()) {
      this.then(`DELETE FROM ${table} WHERE ${table === 'captures' ? 'sha256' : 'capture_sha256'} = $1`, [sha]);
    }
    for (const [table, file] of this.waiting) this.insert(table, file, sha);
    this.waiting = [];
  }

  /** The rows are not wanted (the same bytes are stored already): nothing is inserted. */
  drop(): void {
    this.dropped = true;
    this.waiting = [];
  }

  /** Waits for every statement queued so far; throws the first that failed. */
  async done(): Promise<void> {
    await this.chain;
    if (this.failure !== null) throw this.failure.error;
  }

  /** Waits for the statements queued so far whatever they gave (before a ROLLBACK on the same connection). */
  async settled(): Promise<void> {
    await this.chain;
  }

  private insert(table: ResultTable['name'], file: string, sha: string): void {
    const t = RESULT_TABLES.find((r) => r.name === table);
    if (t === undefined) throw new Error(`no result table ${table}`);
    this.then(duckInsertFromSpool(t, file), [sha]);
  }

  /** Queues one statement after the others; after a failure the rest are skipped. */
  private then(sql: string, params: readonly (string | number)[] = []): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== null) return;
      try {
        await this.conn.run(sql, params);
      } catch (error) {
        this.failure = { error };
      }
    });
  }
}
