import { CAPTURE_COLUMNS, type Column, type ColumnKind, KEY_COLUMNS, RESULT_TABLES, type ResultTable, dayOf, quoted } from './schema.js';
/**
 * The PostgreSQL forms of the store's tables (the same columns as DuckDB's, src/store/schema.ts):
 * `resets` and `connections` partitioned by `day` (one partition per UTC day, so retention is
 * `DROP TABLE resets_pYYYYMMDD`), row documents turned into rows by `json_populate_recordset`
 * over a composite type per table, and the job queue of `submit`/`worker` (src/store/queue.ts).
 */
import { SENSOR_STREAM_COLUMNS } from './sensorStream.js';

/** PostgreSQL column types. Evidence and the other nested values are jsonb (a list of objects). */
const PG_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  bool: 'boolean',
  'text[]': 'text[]',
  'int[]': 'integer[]',
  json: 'jsonb',
  evidence: 'jsonb',
  errors: 'jsonb',
  date: 'date',
  timestamp: 'timestamptz',
};

/** The tables partitioned by day: the two that grow with traffic. */
export const PARTITIONED: readonly ResultTable['name'][] = ['connections', 'resets'];

function columnList(columns: readonly Column[]): string {
  return columns.map((c) => `${quoted(c.name)} ${PG_TYPES[c.kind]}`).join(', ');
}

/** The composite type a table's row documents are read into. */
export function docType(table: ResultTable['name'] | 'captures'): string {
  return `whyreset_${table}_doc`;
}

/** Every statement creating the store (run under one advisory lock, so that workers starting together do not race). */
export function pgSchemaSql(): string[] {
  const out = [`CREATE TABLE IF NOT EXISTS captures (${columnList(CAPTURE_COLUMNS)}, PRIMARY KEY (sha256))`];
  for (const t of RESULT_TABLES) {
    const partition = PARTITIONED.includes(t.name) ? ' PARTITION BY RANGE (day)' : '';
    out.push(`CREATE TABLE IF NOT EXISTS ${t.name} (${columnList([...KEY_COLUMNS, ...t.columns])})${partition}`);
    out.push(`CREATE INDEX IF NOT EXISTS ${t.name}_capture ON ${t.name} (capture_sha256)`);
    out.push(`DO $$ BEGIN IF to_regtype('${docType(t.name)}') IS NULL THEN CREATE TYPE ${docType(t.name)} AS (${columnList(t.columns)}); END IF; END $$`);
  }
  const captureDocColumns = CAPTURE_COLUMNS.filter((c) => c.name !== 'ingested_at');
  out.push(`DO $$ BEGIN IF to_regtype('${docType('captures')}') IS NULL THEN CREATE TYPE ${docType('captures')} AS (${columnList(captureDocColumns)}); END IF; END $$`);
  out.push(...queueSchemaSql());
  out.push(
    `CREATE TABLE IF NOT EXISTS sensor_streams (${SENSOR_STREAM_COLUMNS.map(([n, k]) => `${quoted(n)} ${PG_TYPES[k]}${n === 'sensor' ? ' PRIMARY KEY' : ''}`).join(', ')}, state bytea NOT NULL, saved_at timestamptz NOT NULL DEFAULT now())`,
  );
  return out;
}

/** The relations and types pgSchemaSql creates, to check that they all exist without locking anything. */
export function schemaObjectNames(): { relations: string[]; types: string[] } {
  const relations = ['captures', 'jobs', 'jobs_open', 'whyreset_claims', 'sensor_streams'];
  const types = [docType('captures')];
  for (const t of RESULT_TABLES) {
    relations.push(t.name, `${t.name}_capture`);
    types.push(docType(t.name));
  }
  return { relations, types };
}

/** The job queue: one row per submitted file; see src/store/queue.ts for its semantics. */
function queueSchemaSql(): string[] {
  return [
    'CREATE SEQUENCE IF NOT EXISTS whyreset_claims',
    `CREATE TABLE IF NOT EXISTS jobs (
      id bigserial PRIMARY KEY,
      sensor text NOT NULL,
      path text NOT NULL,
      size bigint,
      first_ts double precision,
      state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      claim bigint,
      worker text,
      lease_until timestamptz,
      submitted_at timestamptz NOT NULL DEFAULT now(),
      done_at timestamptz,
      sha256 text,
      error text,
      UNIQUE (sensor, path))`,
    `CREATE INDEX IF NOT EXISTS jobs_open ON jobs (sensor, first_ts, path) WHERE state IN ('queued', 'running')`,
  ];
}

/** The partition of `table` holding UTC day `day` (days since 1970-01-01). */
export function partitionSql(table: ResultTable['name'], day: number): string {
  const from = new Date(day * 86400_000).toISOString().slice(0, 10);
  const to = new Date((day + 1) * 86400_000).toISOString().slice(0, 10);
  return `CREATE TABLE IF NOT EXISTS ${table}_p${from.replace(/-/g, '')} PARTITION OF ${table} FOR VALUES FROM ('${from}') TO ('${to}')`;
}

/** Inserts a batch of row documents `$2` (a JSON array) of capture `$1`. */
export function pgInsertDocs(table: ResultTable): string {
  const names = [...KEY_COLUMNS, ...table.columns].map((c) => quoted(c.name)).join(', ');
  const values = table.columns.map((c) => `d.${quoted(c.name)}`).join(', ');
  return `INSERT INTO ${table.name} (${names}) SELECT $1, ${dayOf('d.ts')}, ${values} FROM json_populate_recordset(NULL::${docType(table.name)}, $2::json) d`;
}

/** Inserts the captures row from document `$1`. */
export function pgInsertCapture(): string {
  const columns = CAPTURE_COLUMNS.filter((c) => c.name !== 'ingested_at');
  const names = CAPTURE_COLUMNS.map((c) => quoted(c.name)).join(', ');
  const values = columns.map((c) => `d.${quoted(c.name)}`).join(', ');
  return `INSERT INTO captures (${names}) SELECT ${values}, now() FROM json_populate_record(NULL::${docType('captures')}, $1::json) d`;
}

/** Inserts a sensor's open stream: SENSOR_STREAM_COLUMNS as $1…, then the state bytes. */
export function pgInsertStream(): string {
  const names = SENSOR_STREAM_COLUMNS.map(([n]) => quoted(n));
  return `INSERT INTO sensor_streams (${names.join(', ')}, state) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}, $${names.length + 1})`;
}
