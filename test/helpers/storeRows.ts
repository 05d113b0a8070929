/**
 * Rows of a store compared with what `analyze` reports for the same capture: each reset and
 * connection as canonical JSON (keys sorted, absent and null alike, JSON columns parsed, `extra`
 * merged back), so that "the store holds exactly what analyze found" is one deepEqual.
 */
import type { Report } from '../../src/model/report.js';

/** Columns the store adds (keys) and the report field it drops (`capture`). */
const STORE_ONLY = new Set(['capture_sha256', 'day']);
/** Columns holding JSON text in DuckDB (jsonb objects in PostgreSQL). */
const JSON_COLUMNS = new Set(['mptcp_reason', 'seen_at', 'born', 'extra', 'detail']);

/** Sorted-key JSON of a value with nulls dropped from objects. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** One stored row as the report object it came from. */
export function rowAsReported(row: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (STORE_ONLY.has(k)) continue;
    out[k] = JSON_COLUMNS.has(k) && typeof v === 'string' ? JSON.parse(v) : v;
  }
  const extra = out.extra as Record<string, unknown> | null | undefined;
  delete out.extra;
  return JSON.stringify(canonical({ ...out, ...(extra ?? {}) }));
}

/** A report object as the store keeps it (without `capture`). */
export function reportedAsRow(obj: object): string {
  const { capture: _capture, ...rest } = obj as Record<string, unknown>;
  return JSON.stringify(canonical(rest));
}

/** The resets and connections of a one-capture report, canonical and sorted. */
export function expectedRows(report: Report): { resets: string[]; connections: string[] } {
  return {
    resets: report.resets.map(reportedAsRow).sort(),
    connections: report.connections.map(reportedAsRow).sort(),
  };
}
