import type { Reset } from '../model/report.js';
/**
 * `--format csv`: one row per reset with a header, quoted per RFC 4180 (fields containing a
 * comma, a quote or a line break are enclosed in quotes, quotes doubled; lines end in CRLF).
 */
import { charCodeAt } from './byteRows.js';
import type { Output } from './output.js';
import { type KeptCell, type RowBytes, keptCell } from './rowBytes.js';
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

/** Writes every reset as CSV (from the Findings' spooled JSON lines — typed by shape: findings.ts imports this module through rowSpool.ts; analyze renders rows as resets arrive instead, Findings.rows). */
export async function writeCsv(out: Output, findings: { readonly resets: { lines(): Iterable<string> } }): Promise<void> {
  await out.write(csvHeader());
  for (const line of findings.resets.lines()) await out.write(csvRow(JSON.parse(line) as Reset));
}

const COMMA = 0x2c;
const CRLF = new Uint8Array([0x0d, 0x0a]);

/** True when csvField writes string `s` as it is: no comma, quote or line break, and no formula's first character. */
function plainCsv(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  const first = s.charCodeAt(0);
  // neutraliseFormula's = + - @ tab CR.
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x09 || first === 0x0d) return false;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c === 0x2c || c === 0x22 || c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/** One cell as csvField writes it. */
function cell(w: RowBytes, v: unknown): void {
  if (typeof v === 'string') w.text(plainCsv(v) ? v : csvField(v));
  else if (typeof v === 'number') {
    if (Number.isFinite(v)) w.number(v);
  } else if (v !== null && v !== undefined) w.text(csvField(v));
}

/** A list joined by "|" in one cell, the last one kept (flags, evidence codes repeat from row to row). */
interface KeptJoin {
  items: string[];
  cell: KeptCell;
}

function keptJoin(): KeptJoin {
  return { items: [], cell: keptCell() };
}

/** `items` joined by "|" as csvField writes it, copied when the items are those written last. */
function joined(w: RowBytes, kept: KeptJoin, items: readonly string[]): void {
  const last = kept.items;
  let same = last.length === items.length && kept.cell.text !== null;
  for (let i = 0; same && i < items.length; i++) same = last[i] === items[i];
  if (!same) {
    kept.items = items.slice();
    kept.cell.text = '';
    kept.cell.bytes = new Uint8Array(Buffer.from(csvField(items.join('|')), 'utf8'));
  }
  w.bytes(kept.cell.bytes);
}

/**
 * CSV rows written straight into a RowBytes, the bytes of csvRow (the hint, signature, flags and
 * evidence codes of a row mostly repeat the row before: their cells' bytes are kept and copied).
 */
export class CsvRows {
  private readonly flags = keptJoin();
  private readonly codes = keptJoin();
  private readonly signature = keptCell();
  private readonly hint = keptCell();
  /** The evidence codes of the row being written (reused). */
  private readonly codeList: string[] = [];

  constructor(private readonly w: RowBytes) {}

  /** One reset as a CSV row (with CRLF). */
  row(r: Reset): void {
    const w = this.w;
    cell(w, r.id);
    w.byte(COMMA);
    cell(w, r.ts.toFixed(6));
    w.byte(COMMA);
    cell(w, r.capture);
    w.byte(COMMA);
    cell(w, r.frame);
    w.byte(COMMA);
    cell(w, r.conn);
    w.byte(COMMA);
    cell(w, r.src);
    w.byte(COMMA);
    cell(w, r.sport);
    w.byte(COMMA);
    cell(w, r.dst);
    w.byte(COMMA);
    cell(w, r.dport);
    w.byte(COMMA);
    cell(w, r.from);
    w.byte(COMMA);
    joined(w, this.flags, r.flags);
    w.byte(COMMA);
    cell(w, r.ttl);
    w.byte(COMMA);
    cell(w, r.ip_id);
    w.byte(COMMA);
    cell(w, r.seq);
    w.byte(COMMA);
    cell(w, r.ack);
    w.byte(COMMA);
    cell(w, r.win);
    w.byte(COMMA);
    cell(w, r.payload_len);
    w.byte(COMMA);
    cell(w, r.stage);
    w.byte(COMMA);
    cell(w, r.cause);
    w.byte(COMMA);
    cell(w, r.verdict);
    w.byte(COMMA);
    cell(w, r.origin);
    w.byte(COMMA);
    cell(w, r.confidence);
    w.byte(COMMA);
    if (typeof r.signature === 'string') w.kept(this.signature, r.signature, csvField);
    else cell(w, r.signature);
    w.byte(COMMA);
    const codes = this.codeList;
    codes.length = 0;
    for (const e of r.evidence) codes.push(e.code);
    joined(w, this.codes, codes);
    w.byte(COMMA);
    if (typeof r.hint === 'string') w.kept(this.hint, r.hint, csvField);
    else cell(w, r.hint);
    w.byte(COMMA);
    cell(w, r.reason_text);
    w.byte(COMMA);
    cell(w, r.mptcp_reason ? r.mptcp_reason.name : null);
    w.byte(COMMA);
    cell(w, r.kernel?.reason ?? null);
    w.byte(COMMA);
    cell(w, r.kernel?.outcome ?? null);
    w.byte(COMMA);
    cell(w, r.community_id);
    w.bytes(CRLF);
    w.endRow();
  }
}
