/**
 * Row documents: a Reset, Connection or Pattern as the one JSON object the store's SQL turns into
 * a row (DuckDB's `from_json`, PostgreSQL's `json_populate_recordset`). One `JSON.stringify` per
 * row and no per-field calls into the database: that is what keeps storing within a fraction of
 * analysing. Fields without a column go to `extra` so that nothing a report carries is lost.
 */
import type { Connection, Pattern, Reset } from '../model/report.js';
import { CONNECTION_COLUMNS, RESET_COLUMNS } from './schema.js';

/** Fields of the report shape that are columns, or are replaced by the store's own keys. */
function knownFields(columns: readonly { name: string }[], dropped: readonly string[]): ReadonlySet<string> {
  return new Set([...columns.map((c) => c.name), ...dropped]);
}

const RESET_FIELDS = knownFields(RESET_COLUMNS, ['capture']);
const CONNECTION_FIELDS = knownFields(CONNECTION_COLUMNS, ['capture']);

/** The fields of `row` that have no column, or null when there are none (the common case). */
export function extraFields(row: object, known: ReadonlySet<string>): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key in row) {
    if (known.has(key)) continue;
    extra ??= {};
    extra[key] = (row as Record<string, unknown>)[key];
  }
  return extra;
}

/** The `extra` member of a reset's document (its fields without a column, as JSON), or null when it has none. */
export function resetExtra(r: Reset): string | null {
  const extra = extraFields(r, RESET_FIELDS);
  return extra === null ? null : JSON.stringify(extra);
}

/** The `extra` member of a connection's document, or null when it has none. */
export function connectionExtra(c: Connection): string | null {
  const extra = extraFields(c, CONNECTION_FIELDS);
  return extra === null ? null : JSON.stringify(extra);
}

/** One reset as its row document. */
export function resetDoc(r: Reset): string {
  return withExtra(JSON.stringify(r), resetExtra(r));
}

/** One connection as its row document. */
export function connectionDoc(c: Connection): string {
  return withExtra(JSON.stringify(c), connectionExtra(c));
}

/**
 * `json` (one serialised object) with an `extra` member (`extraJson`) added before its closing
 * brace. The store's writer (spool.ts) does the same splice in its byte buffer instead: a string
 * sliced and concatenated here must be flattened again when it is encoded (a reset's document is
 * ~900 characters, two-byte ones: its signature holds "→"), which cost 2.5x the encoding itself.
 * The fields in `extra` stay in the document too; both engines ignore keys without a column.
 */
export function withExtra(json: string, extraJson: string | null): string {
  return extraJson === null ? json : `${json.slice(0, -1)},"extra":${extraJson}}`;
}

/** One pattern as its row document: its type, its start time when it has one, and all of it. */
export function patternDoc(p: Pattern): string {
  const ts = typeof p.first_ts === 'number' ? p.first_ts : null;
  return JSON.stringify({ type: p.type, ts, detail: p });
}
