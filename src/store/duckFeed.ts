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

/**
 * The key of rows fed before their capture's sha256 is known (DuckFeed.start(null)): never a
 * sha256 (not hex), and never committed (keyAs sets the real key in the same transaction). It
 * sorts after every hex digest, so the committed row groups' zone maps (min/max of
 * capture_sha256) let the UPDATE skip them.
 */
const PENDING_KEY = "'pending'";

/** A sha256 as a SQL literal (a literal rather than a parameter: several statements go in one call, which takes none). */
function keyLiteral(sha: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`not a sha256: ${sha}`);
  return sqlString(sha);
}

/** Deletes every row of the capture keyed `key` (a literal), children first. */
function deletesOf(key: string): string[] {
  return [...STORE_TABLES].reverse().map((t) => `DELETE FROM ${t} WHERE ${t === 'captures' ? 'sha256' : 'capture_sha256'} = ${key}`);
}

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
   *
   * `sha` null: the key is not known yet (the file is hashed from the analysis's own reads, so
   * its sha256 comes only with the analysis's end); the rows go in under PENDING_KEY meanwhile and
   * keyAs() gives them their key before COMMIT, in the same transaction.
   */
  start(sha: string | null, stored: boolean): void {
    if (sha === null) {
      this.key = PENDING_KEY;
      this.opening = 'BEGIN TRANSACTION';
    } else {
      this.key = keyLiteral(sha);
      this.opening = ['BEGIN TRANSACTION', ...(stored ? deletesOf(this.key) : [])].join(';\n');
    }
    this.pump();
  }

  /** Whether the rows went in under PENDING_KEY (start(null)) and still need keyAs(). */
  get pending(): boolean {
    return this.key === PENDING_KEY;
  }

  /**
   * The statements that give the rows fed under PENDING_KEY their capture's key `sha`, for the
   * caller to run once done() has resolved, before COMMIT: the rows an earlier ingest stored
   * under `sha` out first when `stored`, then the pending rows' key set. An UPDATE of the key
   * column of rows not yet committed: ~0.3 us a row (128 MiB bench prefix, 9,361 rows: 2.8 ms of
   * CPU; an 80,000-connection flood, 160,001 rows: 22 ms, against 300 ms to insert them).
   */
  keyAs(sha: string, stored: boolean): string[] {
    const key = keyLiteral(sha);
    const deletes = stored ? deletesOf(key) : [];
    return [...deletes, ...RESULT_TABLES.map((t) => `UPDATE ${t.name} SET capture_sha256 = ${key} WHERE capture_sha256 = ${PENDING_KEY}`)];
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
