/**
 * Query results as plain values, the same from both engines: 64-bit integers as numbers when they
 * fit (as strings beyond 2^53), dates as YYYY-MM-DD, JSON as it came; and their renderings for
 * `whyreset query --format table|csv|json`.
 */
import { csvField } from '../report/csv.js';

/** Column names in order, and one object per row keyed by them. */
export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Integer column types whose values drivers hand over as strings (64-bit and wider). */
const WIDE_INTEGER = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|INT8|int8|bigint|numeric)$/;

/** A wide integer given as a string, as a number when it is exact. */
function wideInteger(v: unknown): unknown {
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** Rows with wide integers turned into numbers where exact (column types as the engine names them). */
export function normaliseRows(rows: Record<string, unknown>[], columns: readonly string[], types: readonly string[]): Record<string, unknown>[] {
  const wide = columns.filter((_, i) => WIDE_INTEGER.test(types[i] ?? ''));
  if (wide.length === 0) return rows;
  for (const row of rows) for (const c of wide) row[c] = wideInteger(row[c]);
  return rows;
}

/** A value as one cell of text (lists and objects as JSON). */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `--format json`: an array of objects, one per row, keyed by column name. */
export function renderJson(r: QueryResult): string {
  return `${JSON.stringify(r.rows)}\n`;
}

/** `--format csv`: a header and one line per row (RFC 4180, CRLF). */
export function renderCsv(r: QueryResult): string {
  const lines = [r.columns.map(csvField).join(',')];
  for (const row of r.rows) lines.push(r.columns.map((c) => csvField(cellText(row[c]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Longest cell shown in a table before it is cut with "…". */
const MAX_CELL = 60;

/** `--format table`: aligned columns for a terminal, numbers right-aligned, and a row count. */
export function renderTable(r: QueryResult): string {
  const cells = r.rows.map((row) =>
    r.columns.map((c) => {
      const t = cellText(row[c]).replace(/[\r\n\t]/g, ' ');
      return t.length > MAX_CELL ? `${t.slice(0, MAX_CELL - 1)}…` : t;
    }),
  );
  const numeric = r.columns.map((c) => r.rows.length > 0 && r.rows.every((row) => row[c] === null || typeof row[c] === 'number'));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(r.columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}
