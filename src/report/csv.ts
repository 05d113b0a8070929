import type { Reset } from '../model/report.js';
/**
 * `--format csv`: one row per reset with a header, quoted per RFC 4180 (fields containing a
 * comma, a quote or a line break are enclosed in quotes, quotes doubled; lines end in CRLF).
 */
import type { Findings } from './findings.js';
import type { Output } from './output.js';
import { neutraliseFormula } from './terminalText.js';

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  'id', 'ts', 'capture', 'frame', 'conn', 'src', 'sport', 'dst', 'dport', 'from', 'flags', 'ttl', 'ip_id', 'seq', 'ack', 'win',
  'payload_len', 'stage', 'cause', 'verdict', 'origin', 'confidence', 'signature', 'evidence', 'hint', 'reason_text', 'mptcp_reason',
  'kernel_reason', 'kernel_outcome',
  'community_id',
] as const;

/** Quotes one field per RFC 4180 §2. */
export function csvField(value: unknown): string {
  // Not-a-number and infinities as JSON carries them (null): a row rendered from the live reset
  // reads the same as one rendered from its JSON line.
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  // Strings (reason texts are written by whatever device sent the RST) never start a formula.
  const text = typeof value === 'string' ? neutraliseFormula(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One reset as a CSV row (with CRLF). */
export function csvRow(r: Reset): string {
  const cells: unknown[] = [
    r.id, r.ts.toFixed(6), r.capture, r.frame, r.conn, r.src, r.sport, r.dst, r.dport, r.from, r.flags.join('|'), r.ttl, r.ip_id, r.seq, r.ack, r.win,
    r.payload_len, r.stage, r.cause, r.verdict, r.origin, r.confidence, r.signature, r.evidence.map((e) => e.code).join('|'), r.hint, r.reason_text,
    r.mptcp_reason ? r.mptcp_reason.name : null, r.kernel?.reason ?? null, r.kernel?.outcome ?? null, r.community_id,
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** The header row (with CRLF). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** Writes every reset as CSV (from the spooled JSON lines; analyze renders rows as resets arrive instead, Findings.rows). */
export async function writeCsv(out: Output, findings: Findings): Promise<void> {
  await out.write(csvHeader());
  for (const line of findings.resets.lines()) await out.write(csvRow(JSON.parse(line) as Reset));
}
