import { CAPTURE_COLUMNS, type Column, type ColumnKind, KEY_COLUMNS, RESULT_TABLES, type ResultTable, dayOf, quoted } from './schema.js';
/**
 * The DuckDB forms of the store's tables: DDL, and the INSERT … SELECT that turns spooled row
 * documents into typed rows with `read_ndjson` (DuckDB's JSON extension, built into the npm
 * package's binary). Pure string building; src/store/duckdb.ts runs them.
 */
import { SENSOR_STREAM_COLUMNS } from './sensorStream.js';

/** DuckDB column types. */
const DUCK_TYPES: Record<ColumnKind, string> = {
  text: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  bool: 'BOOLEAN',
  'text[]': 'VARCHAR[]',
  'int[]': 'INTEGER[]',
  json: 'JSON',
  // DESIGN.md: evidence as a list of structs, so `unnest(evidence)` and `list_contains` work in SQL.
  evidence: 'STRUCT(code VARCHAR, detail VARCHAR)[]',
  errors: 'STRUCT("offset" BIGINT, message VARCHAR)[]',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
};

/** `from_json`'s structure description of each kind. */
const JSON_SHAPES: Record<ColumnKind, unknown> = {
  text: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  bool: 'BOOLEAN',
  'text[]': ['VARCHAR'],
  'int[]': ['INTEGER'],
  json: 'JSON',
  evidence: [{ code: 'VARCHAR', detail: 'VARCHAR' }],
  errors: [{ offset: 'BIGINT', message: 'VARCHAR' }],
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
};

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `CREATE TABLE IF NOT EXISTS` for a table of these columns. */
function createTable(name: string, columns: readonly Column[], primaryKey?: string): string {
  const cols = columns.map((c) => `${quoted(c.name)} ${DUCK_TYPES[c.kind]}${c.name === primaryKey ? ' PRIMARY KEY' : ''}`);
  return `CREATE TABLE IF NOT EXISTS ${name} (${cols.join(', ')})`;
}

/** Every statement that creates the store's tables (idempotent). */
export function duckSchemaSql(): string[] {
  return [
    createTable('captures', CAPTURE_COLUMNS, 'sha256'),
    ...RESULT_TABLES.map((t) => createTable(t.name, [...KEY_COLUMNS, ...t.columns])),
    `CREATE TABLE IF NOT EXISTS sensor_streams (${SENSOR_STREAM_COLUMNS.map(([n, k]) => `${quoted(n)} ${DUCK_TYPES[k]}${n === 'sensor' ? ' PRIMARY KEY' : ''}`).join(', ')}, state BLOB, saved_at TIMESTAMPTZ)`,
  ];
}

/**
 * The longest row document `read_ndjson` accepts (its default is 16 MiB). A pattern row holds the
 * whole pattern, which for a large scan lists many addresses; the reader's buffers grow to the
 * largest document actually met, not to this bound (duckdb: extension/json/json_scan.cpp).
 */
const MAX_ROW_DOCUMENT_BYTES = 1 << 30;

/**
 * Inserts a spooled file of row documents (one JSON object per line, src/store/spool.ts) into the
 * result table as rows of capture `$1`. DuckDB's own NDJSON reader parses them straight into
 * typed columns: the documents never cross the Node-API boundary one by one (an appender call per
 * row plus `from_json` over a staging table cost 2.4 µs more per row on a reset flood); keys
 * without a column are ignored, as `from_json` ignored them.
 */
export function duckInsertFromSpool(table: ResultTable, file: string): string {
  return duckInsertFromSpoolFiles(table, [file], '$1');
}

/**
 * The same for several spooled files read in order (one statement: `read_ndjson` takes a list),
 * under the key given as SQL (`key`: a parameter, or a literal for a statement of several).
 */
export function duckInsertFromSpoolFiles(table: ResultTable, files: readonly string[], key: string): string {
  const names = [...KEY_COLUMNS, ...table.columns].map((c) => quoted(c.name)).join(', ');
  const values = table.columns.map((c) => quoted(c.name)).join(', ');
  const columns = table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(DUCK_TYPES[c.kind])}`).join(', ');
  const list = files.length === 1 ? sqlString(files[0] as string) : `[${files.map(sqlString).join(', ')}]`;
  const reader = `read_ndjson(${list}, columns = {${columns}}, maximum_object_size = ${MAX_ROW_DOCUMENT_BYTES})`;
  return `INSERT INTO ${table.name} (${names}) SELECT ${key}, ${dayOf(quoted('ts'))}, ${values} FROM ${reader}`;
}

/** `from_json(doc, '…')` for these columns. */
function fromJson(docExpr: string, columns: readonly Column[]): string {
  const shape: Record<string, unknown> = {};
  for (const c of columns) shape[c.name] = JSON_SHAPES[c.kind];
  return `from_json(${docExpr}, ${sqlString(JSON.stringify(shape))})`;
}

/** Inserts the `captures` row from one JSON document, `doc` as SQL (a parameter or a literal; ingested_at is now). */
export function duckInsertCapture(doc = '$1'): string {
  const columns = CAPTURE_COLUMNS.filter((c) => c.name !== 'ingested_at');
  const names = CAPTURE_COLUMNS.map((c) => quoted(c.name)).join(', ');
  const values = columns.map((c) => `s.${quoted(c.name)}`).join(', ');
  return `INSERT INTO captures (${names}) SELECT ${values}, now() FROM (SELECT ${fromJson(doc, columns)} AS s)`;
}

/** Inserts a sensor's open stream: SENSOR_STREAM_COLUMNS as $1…, then the state bytes. */
export function duckInsertStream(): string {
  const names = SENSOR_STREAM_COLUMNS.map(([n]) => quoted(n));
  const params = names.map((_, i) => `$${i + 1}`);
  return `INSERT INTO sensor_streams (${names.join(', ')}, state, saved_at) VALUES (${params.join(', ')}, $${names.length + 1}, now())`;
}
