/**
 * A file's rows into DuckDB while it is still being analysed. The spool (spool.ts) cuts each
 * table's documents into segments; once the file's sha256 is known (a thread reading the file
 * itself gives it long before the analysis ends, hasher.ts) and the store has said it will store
 * the file, the transaction opens, the file's old rows are deleted and the segments are read in
 * (`read_ndjson`) as they are complete, on DuckDB's own thread, so on two cores the inserts
 * overlap the analysis instead of following it. A statement can only be sent when the main
 * thread is between two chunks of its analysis, so whatever is waiting then goes in ONE call
 * (several statements, every table's segments in one `read_ndjson` each), never one round trip
 * per segment. Nothing is committed here: the caller adds the captures row and commits, or rolls
 * back, so a killed ingest leaves the store as before (DuckDB writes a transaction to its WAL
 * only at COMMIT).
 */
import type { RawDuck } from './duckdbRaw.js';
import { duckInsertFromSpoolFiles, sqlString } from './duckdbSql.js';
import { RESULT_TABLES, type ResultTable, STORE_TABLES } from './schema.js';

/** Segments held until the transaction opens, then inserted as they come. */
export class DuckFeed {
  /** Complete segments not sent yet, per table, in order. */
  private waiting = new Map<ResultTable['name'], string[]>();
  /** SQL to send before the segments (BEGIN and the deletes), once. */
  private opening: string | null = null;
  private key: string | null = null;
  private dropped = false;
  /** The call in flight, if any. */
  private inFlight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly conn: RawDuck) {}

  /** Whether the transaction is opened (start() was called). */
  get started(): boolean {
    return this.key !== null;
  }

  /** A complete segment of `table`: inserted as soon as the connection is free once started, held until then, ignored once dropped. */
  add(table: ResultTable['name'], file: string): void {
    if (this.dropped) return;
    const files = this.waiting.get(table);
    if (files === undefined) this.waiting.set(table, [file]);
    else files.push(file);
    this.pump();
  }

  /**
   * Opens the transaction for capture `sha` (hex), then the segments held so far go in. `stored`:
   * the store has a captures row for `sha`, whose rows are deleted first. Without one it holds no
   * row of `sha` (every row is written in the transaction that writes its capture's row), so
   * nothing is deleted: four statements less to parse and plan, and no scan of the key columns
   * (zone maps skip most of it: ~1-2 ms of CPU with 440k rows stored, ~0.5 ms in a new store).
   */
  start(sha: string, stored: boolean): void {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`not a sha256: ${sha}`);
    // A literal rather than a parameter: several statements go in one call, which takes none.
    this.key = sqlString(sha);
    const deletes = stored ? [...STORE_TABLES].reverse().map((t) => `DELETE FROM ${t} WHERE ${t === 'captures' ? 'sha256' : 'capture_sha256'} = ${this.key}`) : [];
    this.opening = ['BEGIN TRANSACTION', ...deletes].join(';\n');
    this.pump();
  }

  /** The rows are not wanted (the same bytes are stored already): nothing is inserted. */
  drop(): void {
    this.dropped = true;
    this.waiting.clear();
  }

  /** Waits until every segment added so far is in; throws the first failure. */
  async done(): Promise<void> {
    await this.settled();
    if (this.failure !== null) throw this.failure.error;
  }

  /** Waits until nothing is in flight and nothing waits to be sent (before COMMIT or ROLLBACK on the same connection). */
  async settled(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
  }

  /** Sends everything waiting in one call, unless a call is in flight (its end sends the rest). */
  private pump(): void {
    if (this.key === null || this.inFlight !== null || this.failure !== null) return;
    const statements: string[] = [];
    if (this.opening !== null) statements.push(this.opening);
    this.opening = null;
    for (const t of RESULT_TABLES) {
      const files = this.waiting.get(t.name);
      if (files !== undefined && files.length > 0) statements.push(duckInsertFromSpoolFiles(t, files, this.key));
    }
    this.waiting.clear();
    if (statements.length === 0) return;
    this.inFlight = this.conn.run(statements.join(';\n')).then(
      () => {
        this.inFlight = null;
        this.pump();
      },
      (error: unknown) => {
        this.failure = { error };
        this.inFlight = null;
      },
    );
  }
}
