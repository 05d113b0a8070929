/**
 * The store's tables, defined once for both engines (DuckDB embedded, PostgreSQL scale-out) so
 * that they keep the same shape: `captures` (one row per capture file, keyed by the sha256 of
 * its bytes), and `connections`, `resets`, `patterns` (every row carries `capture_sha256`).
 * Column names are the JSON field names of DESIGN.md; fields a later version adds that have no
 * column yet are kept in `extra` (JSON), never dropped.
 */

/** A column's kind; each engine maps it to its own type. */
export type ColumnKind = 'text' | 'int' | 'bigint' | 'double' | 'bool' | 'text[]' | 'int[]' | 'json' | 'evidence' | 'errors' | 'date' | 'timestamp';

/** One column of a row document (a Reset, Connection or Pattern serialised as JSON). */
export interface Column {
  name: string;
  kind: ColumnKind;
}

/** Columns every row of the result tables starts with, filled by the store (not from the document). */
export const KEY_COLUMNS: readonly Column[] = [
  { name: 'capture_sha256', kind: 'text' },
  // UTC day of `ts`: PostgreSQL partitions by it; both engines group `--by-day` on it.
  { name: 'day', kind: 'date' },
];

/** Reset fields (DESIGN.md "Reset" plus the extensions of docs/contract.md). `capture` is dropped: capture_sha256 replaces it. */
export const RESET_COLUMNS: readonly Column[] = [
  { name: 'id', kind: 'text' },
  { name: 'community_id', kind: 'text' },
  { name: 'ts', kind: 'double' },
  { name: 'frame', kind: 'bigint' },
  { name: 'conn', kind: 'text' },
  { name: 'src', kind: 'text' },
  { name: 'sport', kind: 'int' },
  { name: 'dst', kind: 'text' },
  { name: 'dport', kind: 'int' },
  { name: 'from', kind: 'text' },
  { name: 'flags', kind: 'text[]' },
  { name: 'ttl', kind: 'int' },
  { name: 'ip_id', kind: 'int' },
  { name: 'seq', kind: 'bigint' },
  { name: 'ack', kind: 'bigint' },
  { name: 'win', kind: 'int' },
  { name: 'payload_len', kind: 'int' },
  { name: 'stage', kind: 'text' },
  { name: 'cause', kind: 'text' },
  { name: 'verdict', kind: 'text' },
  { name: 'origin', kind: 'text' },
  { name: 'confidence', kind: 'double' },
  { name: 'evidence', kind: 'evidence' },
  { name: 'signature', kind: 'text' },
  { name: 'hint', kind: 'text' },
  { name: 'reason_text', kind: 'text' },
  { name: 'mptcp_reason', kind: 'json' },
  { name: 'seen_at', kind: 'json' },
  { name: 'born', kind: 'json' },
  { name: 'extra', kind: 'json' },
];

/** Connection fields (DESIGN.md "Connection", Zeek's extra conn.log fields, the extensions). */
export const CONNECTION_COLUMNS: readonly Column[] = [
  { name: 'id', kind: 'text' },
  { name: 'community_id', kind: 'text' },
  { name: 'ts', kind: 'double' },
  { name: 'orig_h', kind: 'text' },
  { name: 'orig_p', kind: 'int' },
  { name: 'resp_h', kind: 'text' },
  { name: 'resp_p', kind: 'int' },
  { name: 'proto', kind: 'text' },
  { name: 'duration', kind: 'double' },
  { name: 'orig_bytes', kind: 'bigint' },
  { name: 'resp_bytes', kind: 'bigint' },
  { name: 'orig_pkts', kind: 'bigint' },
  { name: 'resp_pkts', kind: 'bigint' },
  { name: 'orig_ip_bytes', kind: 'bigint' },
  { name: 'resp_ip_bytes', kind: 'bigint' },
  { name: 'missed_bytes', kind: 'bigint' },
  { name: 'conn_state', kind: 'text' },
  { name: 'history', kind: 'text' },
  { name: 'resets', kind: 'text[]' },
  { name: 'radar_category', kind: 'text' },
  { name: 'extra', kind: 'json' },
];

/** Pattern rows: the type, the time it starts (when the pattern says), and the whole pattern as JSON. */
export const PATTERN_COLUMNS: readonly Column[] = [
  { name: 'type', kind: 'text' },
  { name: 'ts', kind: 'double' },
  { name: 'detail', kind: 'json' },
];

/** One row per capture file. */
export const CAPTURE_COLUMNS: readonly Column[] = [
  { name: 'sha256', kind: 'text' },
  { name: 'path', kind: 'text' },
  { name: 'size', kind: 'bigint' },
  { name: 'sensor', kind: 'text' },
  { name: 'format', kind: 'text' },
  { name: 'compressed', kind: 'bool' },
  { name: 'packets', kind: 'bigint' },
  { name: 'first_ts', kind: 'double' },
  { name: 'last_ts', kind: 'double' },
  { name: 'linktypes', kind: 'int[]' },
  { name: 'analyzer_version', kind: 'text' },
  { name: 'errors', kind: 'errors' },
  { name: 'connections', kind: 'bigint' },
  { name: 'resets', kind: 'bigint' },
  { name: 'patterns', kind: 'bigint' },
  { name: 'ingested_at', kind: 'timestamp' },
];

/** A result table: its name and the columns of its documents. */
export interface ResultTable {
  name: 'resets' | 'connections' | 'patterns';
  columns: readonly Column[];
}

/** The three result tables, in the order rows are written. */
export const RESULT_TABLES: readonly ResultTable[] = [
  { name: 'connections', columns: CONNECTION_COLUMNS },
  { name: 'resets', columns: RESET_COLUMNS },
  { name: 'patterns', columns: PATTERN_COLUMNS },
];

/** Every table the store holds, for `export`. */
export const STORE_TABLES = ['captures', 'connections', 'resets', 'patterns'] as const;

/** A column name quoted for SQL (`from` is a keyword in both engines). */
export function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL for the UTC day of an epoch-seconds expression, valid in DuckDB and PostgreSQL alike. */
export function dayOf(tsExpr: string): string {
  return `(DATE '1970-01-01' + CAST(floor(${tsExpr} / 86400) AS INTEGER))`;
}
