/**
 * The resets table's static HTML: controls (shown by the script), the header with sort buttons,
 * and the first page of rows rendered on the server, so the page shows resets without JavaScript.
 */
import { endpointText } from '../../decode/address.js';
import type { Reset, Summary } from '../../model/report.js';
import { isoDate } from '../isoDate.js';
import { connectionAnchor } from './connectionSection.js';
import { escapeHtml } from './escape.js';
import { TABLE_COLUMNS } from './pageScript.js';
import { REASON_TABLE_CHARS } from './resetTableEncoder.js';

/** Rows rendered as HTML (the script renders the rest from the embedded data). */
export const STATIC_ROWS = 50;
/** Page sizes offered; the first is the default. */
const PAGE_SIZES = [50, 100, 250, 1000];

function options(label: string, id: string, values: readonly string[]): string {
  const opts = values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('');
  return `<label for="${id}">${label}<select id="${id}"><option value="">all</option>${opts}</select></label>`;
}

/** Everything of the table section before its rows. */
export function resetTableStart(summary: Summary, rows: number, laddersPerCause: number, notInTable = 0): string {
  const th = TABLE_COLUMNS.map(([key, title]) => `<th scope="col" data-key="${key}"><button type="button">${escapeHtml(title)}</button></th>`).join('');
  const missing = summary.resets_not_listed ? ` (${summary.resets_not_listed} RST packet(s) of storms are counted but not listed)` : '';
  return [
    '<section id="table-section" aria-labelledby="h-table"><h2 id="h-table">Resets</h2>',
    `<p class="muted">${rows} reset(s)${missing}. Click a row to see its connection's ladder.</p>`,
    notInTable > 0
      ? `<p><strong>${notInTable} more reset(s) are not in this table</strong> (the limit keeps the page small; \`--html-rows N\` changes it); the charts and counts include them, and \`--format csv\` or \`json\` lists every one.</p>`
      : '',
    '<div id="t-controls" hidden>',
    '<label for="t-q">search<input id="t-q" type="search" placeholder="address, port, id, signature, text…" size="34"></label>',
    options('cause', 't-cause', Object.keys(summary.by_cause).sort()),
    options('verdict', 't-verdict', Object.keys(summary.by_verdict).sort()),
    options('stage', 't-stage', Object.keys(summary.by_stage).sort()),
    `<label for="t-size">rows per page<select id="t-size">${PAGE_SIZES.map((n) => `<option>${n}</option>`).join('')}</select></label>`,
    '<button type="button" id="t-prev">◀ previous</button><span id="t-page"></span><button type="button" id="t-next">next ▶</button>',
    '</div>',
    `<p id="t-status" role="status" aria-live="polite">${rows > STATIC_ROWS ? `The first ${STATIC_ROWS} of ${rows} resets; sorting, filtering and the other pages need JavaScript.` : ''}</p>`,
    `<div class="wrap"><table id="resets" data-ladders-per-cause="${laddersPerCause}"><thead><tr>${th}</tr></thead><tbody>`,
  ].join('\n');
}

/** One static row, with the same cells the script renders. */
export function resetRowHtml(r: Reset, hasLadder: boolean): string {
  const e = escapeHtml;
  const whole = Math.floor(r.ts);
  const iso = isoDate(whole * 1000);
  const micros = String(Math.min(999999, Math.round((r.ts - whole) * 1e6))).padStart(6, '0');
  const conn = r.conn === null ? '-' : hasLadder ? `<a href="#${e(connectionAnchor(r.conn))}">${e(r.conn)}</a>` : e(r.conn);
  const cells = [
    e(r.id),
    `${iso.slice(11, 19)}.${micros}`,
    `${r.capture}:${r.frame}`,
    conn,
    e(endpointText(r.src, r.sport)),
    e(endpointText(r.dst, r.dport)),
    e(r.flags.join(',')),
    String(r.ttl),
    e(r.stage ?? '-'),
    e(r.cause ?? '-'),
    e(r.verdict ?? '-'),
    r.confidence === null ? '-' : r.confidence.toFixed(2),
    e(r.signature ?? '-'),
    e(r.reason_text === null ? '' : r.reason_text.length > REASON_TABLE_CHARS ? `${r.reason_text.slice(0, REASON_TABLE_CHARS)}…` : r.reason_text),
  ];
  return `<tr title="evidence: ${e(r.evidence.map((x) => x.code).join(' ') || 'none')}">${cells.map((c, i) => (i === 1 ? `<td title="${iso.slice(0, 10)} UTC">${c}</td>` : i === 9 || i === 10 ? `<td class="${i === 9 ? 'c' : 'v'}-${e(i === 9 ? (r.cause ?? '-') : (r.verdict ?? '-'))}">${c}</td>` : `<td>${c}</td>`)).join('')}</tr>`;
}

/** Closes the table; the data chunks follow it. */
export function resetTableEnd(): string {
  return '</tbody></table></div>';
}
