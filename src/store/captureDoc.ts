/** The `captures` row of an analysed file, as a document of CAPTURE_COLUMNS (ingested_at is set by the database). */
import { VERSION } from '../version.js';
import type { StoreAnalysis } from './analyzeFile.js';

/** The captures row of `analysis` (its `input` must be set). */
export function captureDoc(analysis: StoreAnalysis, path: string, sensor: string): Record<string, unknown> {
  const input = analysis.input;
  return {
    sha256: analysis.sha256,
    path,
    size: analysis.size,
    sensor,
    format: input?.format ?? null,
    compressed: input?.compressed ?? false,
    packets: input?.packets ?? 0,
    first_ts: input?.first_ts ?? null,
    last_ts: input?.last_ts ?? null,
    linktypes: input?.linktypes ?? [],
    analyzer_version: VERSION,
    errors: input?.errors ?? [],
    connections: analysis.rows.connections,
    resets: analysis.rows.resets,
    patterns: analysis.rows.patterns,
  };
}
