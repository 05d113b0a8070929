/**
 * The PostgreSQL store (15+): the same tables as the embedded store, for when one machine is not
 * enough. `pg` is loaded with a dynamic import (only `query --pg`, `submit` and `worker` pay for it).
 *
 * A file's results are written in ONE transaction together with its job's completion: under an
 * advisory lock on the file's sha256 (two jobs with the same bytes never interleave), the file's
 * old rows are deleted, the spooled rows inserted in batches, the captures row written, and the
 * job marked done only if this worker still holds its claim. If any step fails, or the worker
 * dies (its connection closes), nothing of it remains.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Client, FieldDef } from 'pg';
import type { CarriedStream } from '../pipeline/carry.js';
import type { StoreAnalysis } from './analyzeFile.js';
import { captureDoc } from './captureDoc.js';
import { PARTITIONED, partitionSql, pgInsertCapture, pgInsertDocs, pgInsertStream, pgSchemaSql, schemaObjectNames } from './pgSql.js';
import { type QueryResult, normaliseRows } from './queryResult.js';
import { RESULT_TABLES, STORE_TABLES } from './schema.js';
import { type SensorStream, sensorStreamOf, sensorStreamValues } from './sensorStream.js';
import type { RowSpool } from './spool.js';

/** Row documents per INSERT (one JSON parameter each; a few MB). */
const INSERT_BATCH_ROWS = 5000;

/** Advisory lock keys (any two constants; pg_advisory_xact_lock's bigint space). */
const SCHEMA_LOCK = 0x77687972; // "whyr"
const PARTITION_LOCK = 0x77687973;

/**
 * A sensor's stream as a file's results transaction leaves it: `expected` is the file the stored
 * stream was saved at (null: none), checked so that a stream resumed or finished elsewhere
 * meanwhile is never overwritten; `carried` is the stream this file leaves open (null: none).
 */
export interface StreamUpdate {
  sensor: string;
  expected: string | null;
  carried: CarriedStream | null;
}

/** The claim a result is stored under: the job row and the claim number it was given. */
export interface JobClaim {
  id: number;
  claim: number;
}

/** Type names of the OIDs whose text form normaliseRows turns into numbers. */
const WIDE_OIDS: Record<number, string> = { 20: 'int8', 1700: 'numeric' };

/**
 * The certificate file the user's NODE_EXTRA_CA_CERTS named before bin/whyreset.js's shebang
 * removed it (`env -u`: Node 20 reads that file and builds its root store at start-up, ~0.06 s per
 * run, whether or not a TLS connection is made, and only the PostgreSQL commands make one). The
 * shebang hands the value on as WHYRESET_EXTRA_CA_CERTS; a node started by hand keeps its own.
 */
export function extraCaCertsFile(env: NodeJS.ProcessEnv): string | null {
  if (env.NODE_EXTRA_CA_CERTS) return null; // node has read it itself
  const file = env.WHYRESET_EXTRA_CA_CERTS;
  return file ? file : null;
}

/**
 * Gives a PostgreSQL client's TLS the trust NODE_EXTRA_CA_CERTS gives node: the bundled roots
 * plus the file's certificates (node::crypto::UseExtraCaCerts adds, never replaces). Only where
 * the client will use TLS (sslmode in the URL or PGSSLMODE) and was given no `ca` of its own
 * (sslrootcert in the URL is the user's explicit choice). pg 8's Connection reads `ssl` when the
 * server accepts the SSLRequest (pg/lib/connection.js), so it is set on the client's connection.
 */
export function addExtraCaCerts(client: Client, file: string | null): void {
  if (file === null) return;
  const connection = (client as unknown as { connection: { ssl: unknown } }).connection;
  const ssl = connection.ssl;
  if (ssl === false || ssl === undefined || ssl === null) return;
  const options = ssl === true ? {} : (ssl as Record<string, unknown>);
  if (options.ca !== undefined) return;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    // Node's own reading of NODE_EXTRA_CA_CERTS warns and goes on without the file.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
    return;
  }
  connection.ssl = { ...options, ca: [...rootCertificates, pem] };
}

/** A connection to a PostgreSQL store. */
export class PgStore {
  private constructor(readonly client: Client) {}

  /** Connects to `url` (postgresql://…; a Unix socket as ?host=/dir). Dates and timestamps come back as text. */
  static async connect(url: string): Promise<PgStore> {
    const { default: pg } = await import('pg');
    const text = (v: string) => v;
    const client = new pg.Client({
      connectionString: url,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 1082 || oid === 1114 || oid === 1184 ? text : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    addExtraCaCerts(client, extraCaCertsFile(process.env));
    await client.connect();
    // A dead peer (a killed worker's half-open socket) must not hold locks for long.
    client.on('error', () => {});
    return new PgStore(client);
  }

  /**
   * Creates the tables, types and queue when missing; safe to run from several workers at once.
   * When they exist nothing is run: `CREATE INDEX IF NOT EXISTS` takes a share lock on its table
   * before it finds the index, and held until the end of this transaction it deadlocks with a
   * running worker's results transaction (seen in the suite: a worker starting while another
   * stored a file).
   */
  async ensureSchema(): Promise<void> {
    if (await this.schemaComplete()) return;
    await this.inTransaction(async () => {
      await this.client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      if (await this.schemaComplete()) return;
      for (const sql of pgSchemaSql()) await this.client.query(sql);
    });
  }

  /** Whether every relation and type of the store exists (a catalog lookup, no table locks). */
  private async schemaComplete(): Promise<boolean> {
    const names = schemaObjectNames();
    const r = await this.client.query('SELECT bool_and(to_regclass(n) IS NOT NULL) AS rels FROM unnest($1::text[]) n', [names.relations]);
    const t = await this.client.query('SELECT bool_and(to_regtype(n) IS NOT NULL) AS types FROM unnest($1::text[]) n', [names.types]);
    return r.rows[0]?.rels === true && t.rows[0]?.types === true;
  }

  /** Runs `fn` in a transaction, rolled back if it throws. */
  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const out = await fn();
      await this.client.query('COMMIT');
      return out;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** Runs one SQL statement; rows as plain values (64-bit integers as numbers where exact). */
  async query(sql: string): Promise<QueryResult> {
    const r = await this.client.query({ text: sql, rowMode: 'array' });
    const fields: FieldDef[] = r.fields ?? [];
    const columns = fields.map((f) => f.name);
    const rows = (r.rows as unknown[][]).map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
    return { columns, rows: normaliseRows(rows, columns, fields.map((f) => WIDE_OIDS[f.dataTypeID] ?? '')) };
  }

  /**
   * Creates the day partitions a spool's rows need, each in its own short transaction. Done
   * before the results transaction: creating a partition locks the parent table, which must
   * never wait on a transaction of this same worker.
   */
  async ensurePartitions(spool: RowSpool): Promise<void> {
    for (const table of PARTITIONED) {
      for (const day of [...(spool.days.get(table) ?? [])].sort((a, b) => a - b)) {
        await this.inTransaction(async () => {
          await this.client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
          await this.client.query(partitionSql(table, day));
        });
      }
    }
  }

  /**
   * Stores one analysed file: its old rows out, the spooled rows and its captures row in, and
   * (for a worker) its job marked done, all in one transaction. Returns false, storing nothing,
   * when the job's claim was lost (its lease ran out and another worker took it).
   */
  async storeFile(analysis: StoreAnalysis, spool: RowSpool, path: string, sensor: string, job: JobClaim | null, stream?: StreamUpdate): Promise<boolean> {
    const sha = analysis.sha256;
    return this.inTransaction(async () => {
      // One writer per sha256 at a time: the same bytes under two paths never give rows twice.
      await this.client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [sha]);
      for (const table of [...STORE_TABLES].reverse()) {
        await this.client.query(`DELETE FROM ${table} WHERE ${table === 'captures' ? 'sha256' : 'capture_sha256'} = $1`, [sha]);
      }
      for (const t of RESULT_TABLES) {
        const sql = pgInsertDocs(t);
        for await (const batch of spool.batches(t.name, INSERT_BATCH_ROWS)) await this.client.query(sql, [sha, `[${batch.join(',')}]`]);
      }
      await this.client.query(pgInsertCapture(), [JSON.stringify(captureDoc(analysis, path, sensor))]);
      if (stream !== undefined) await this.replaceStream(stream, sha, path);
      if (job === null) return true;
      const done = await this.client.query(
        "UPDATE jobs SET state = 'done', done_at = now(), lease_until = NULL, sha256 = $3, error = NULL WHERE id = $1 AND claim = $2 AND state = 'running'",
        [job.id, job.claim, sha],
      );
      if (done.rowCount === 1) return true;
      throw new LostClaimError(job.id);
    }).catch((err) => {
      if (err instanceof LostClaimError) return false;
      throw err;
    });
  }

  /** The sensor's stream left open by its previous file, or null. */
  async loadStream(sensor: string): Promise<SensorStream | null> {
    const r = await this.client.query('SELECT * FROM sensor_streams WHERE sensor = $1', [sensor]);
    const row = r.rows[0] as Record<string, unknown> | undefined;
    return row === undefined ? null : sensorStreamOf(row, row.state as Buffer);
  }

  /** Inside a transaction: the sensor's stored stream, checked to be `expected`, replaced by `carried`. */
  private async replaceStream(stream: StreamUpdate, sha: string, path: string): Promise<void> {
    const gone = await this.client.query('DELETE FROM sensor_streams WHERE sensor = $1 RETURNING last_sha256', [stream.sensor]);
    const was = (gone.rows[0] as { last_sha256: string } | undefined)?.last_sha256 ?? null;
    // Another worker resumed or finished the stream meanwhile: this result must not land.
    if (was !== stream.expected) throw new LostClaimError(-1);
    if (stream.carried !== null) {
      await this.client.query(pgInsertStream(), [...sensorStreamValues(stream.sensor, sha, path, stream.carried), Buffer.from(stream.carried.state)]);
    }
  }

  /**
   * Stores the rows of a finished stream (`spool`) under the last file that held it, and removes
   * the stream, in one transaction; false (nothing stored) when the stream is no longer the one
   * finished (another worker resumed or finished it).
   */
  async storeFinishedStream(stored: SensorStream, spool: RowSpool, rows: StoreAnalysis['rows']): Promise<boolean> {
    const sha = stored.last_sha256;
    return this.inTransaction(async () => {
      const gone = await this.client.query('DELETE FROM sensor_streams WHERE sensor = $1 AND last_sha256 = $2', [stored.sensor, sha]);
      if (gone.rowCount !== 1) throw new LostClaimError(-1);
      for (const t of RESULT_TABLES) {
        const sql = pgInsertDocs(t);
        for await (const batch of spool.batches(t.name, INSERT_BATCH_ROWS)) await this.client.query(sql, [sha, `[${batch.join(',')}]`]);
      }
      await this.client.query('UPDATE captures SET connections = connections + $2, resets = resets + $3, patterns = patterns + $4 WHERE sha256 = $1', [
        sha,
        rows.connections,
        rows.resets,
        rows.patterns,
      ]);
      return true;
    }).catch((err) => {
      if (err instanceof LostClaimError) return false;
      throw err;
    });
  }

  /** Sensors with an open stream and no file queued or running: their last file is done. */
  async idleStreams(): Promise<string[]> {
    const r = await this.client.query(
      "SELECT sensor FROM sensor_streams s WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.sensor = s.sensor AND j.state IN ('queued', 'running')) ORDER BY sensor",
    );
    return (r.rows as { sensor: string }[]).map((row) => row.sensor);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** The job was claimed again by another worker after this one's lease ran out. */
class LostClaimError extends Error {
  constructor(id: number) {
    super(`job ${id} was claimed by another worker`);
  }
}
