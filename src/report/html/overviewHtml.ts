/**
 * The top of the report: the answer in one line, what was read (per capture: path, format, link
 * types, packets, bytes, time span, errors), counts by stage, cause and verdict with shares, and
 * the patterns no single reset shows (scans, storms). Static HTML: readable without JavaScript.
 */
import { linkTypeName } from '../../decode/linktypes.js';
import type { InputSummary, PathReport, Pattern, Summary } from '../../model/report.js';
import { kernelSummaryText } from '../kernelText.js';
import { causeColour } from './causeColours.js';
import { escapeHtml } from './escape.js';
import { durationText, utcText } from './timeText.js';


/** Stages in the order of a connection's life (DESIGN.md). */
const STAGE_ORDER = ['handshake', 'established', 'data', 'teardown', 'midstream'];
const VERDICT_ORDER = ['genuine', 'suspect', 'forged'];
/** Errors listed per input (all are in the JSON report). */
const ERRORS_LISTED = 20;

/** "1 (Ethernet), 113 (Linux cooked)". */
export function linktypesText(linktypes: readonly number[]): string {
  return linktypes.map((l) => (linkTypeName(l) ? `${l} (${linkTypeName(l)})` : String(l))).join(', ') || '-';
}

/** A share in percent with one decimal, "0.0%" for an empty total. */
export function shareText(n: number, total: number): string {
  return `${total > 0 ? ((100 * n) / total).toFixed(1) : '0.0'}%`;
}

/** The inputs table. */
export function inputsHtml(inputs: readonly InputSummary[]): string {
  const e = escapeHtml;
  const rows = inputs.map((input, i) => {
    const span = input.first_ts !== null && input.last_ts !== null ? `${e(utcText(input.first_ts))} → ${e(utcText(input.last_ts))} (${durationText(input.last_ts - input.first_ts)}${input.last_ts < input.first_ts ? ', the clock stepped back' : ''})` : 'no packets';
    const issues = Object.entries(input.decode_issues ?? {}).map(([k, n]) => `${e(k)} ${n}`);
    const errors = input.errors.length === 0 ? '0' : `<details class="errors"><summary>${input.errors.length}</summary><ul>${input.errors
      .slice(0, ERRORS_LISTED)
      .map((err) => `<li>offset ${err.offset}: ${e(err.message)}</li>`)
      .join('')}${input.errors.length > ERRORS_LISTED ? `<li>${input.errors.length - ERRORS_LISTED} more in the JSON report</li>` : ''}</ul></details>`;
    return `<tr><td class="n">${i}</td><td class="mono">${e(input.path)}</td><td>${input.format}${input.compressed ? ', gzip' : ''}</td><td class="nowrap">${e(linktypesText(input.linktypes))}</td><td class="n">${input.packets}</td><td class="n">${input.bytes}</td><td class="nowrap">${span}</td><td>${errors}${issues.length > 0 ? `<div class="muted">${issues.join(', ')}</div>` : ''}</td></tr>`;
  });
  return `<div class="wrap"><table><caption class="muted">Captures read</caption><thead><tr><th class="n" scope="col">#</th><th scope="col">path</th><th scope="col">format</th><th scope="col">link types</th><th class="n" scope="col">packets</th><th class="n" scope="col">bytes</th><th scope="col">time span (UTC)</th><th scope="col">errors</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** One breakdown (by stage, cause or verdict) with counts, shares and bars. */
export function breakdownHtml(title: string, counts: Record<string, number>, order: readonly string[] | null, total: number, swatches: boolean): string {
  const e = escapeHtml;
  const keys = Object.keys(counts);
  const sorted = order ? [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k)).sort()] : keys.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || (a < b ? -1 : 1));
  const rows = sorted.map((k) => {
    const n = counts[k] ?? 0;
    const sw = swatches ? `<span class="sw" style="background:${causeColour(k)}"></span>` : '';
    const cls = title === 'verdict' ? ` class="v-${e(k)}"` : '';
    return `<tr><td${cls}>${sw}${e(k)}</td><td class="n">${n}</td><td class="n">${shareText(n, total)}</td><td aria-hidden="true"><span class="bar" style="width:${total > 0 ? Math.round((120 * n) / total) : 0}px"></span></td></tr>`;
  });
  if (rows.length === 0) rows.push('<tr><td colspan="4" class="muted">none</td></tr>');
  return `<table><caption><strong>by ${e(title)}</strong></caption><thead><tr><th scope="col">${e(title)}</th><th class="n" scope="col">resets</th><th class="n" scope="col">share</th><th scope="col"><span class="visually-hidden">bar</span></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The patterns list (scans, storms). */
export function patternsHtml(patterns: readonly Pattern[]): string {
  if (patterns.length === 0) return '<p>No scans or reset storms.</p>';
  const e = escapeHtml;
  return patterns
    .map((p) => {
      const text = typeof p.text === 'string' ? p.text : JSON.stringify(p);
      const capture = typeof p.capture === 'number' ? ` <span class="muted">capture [${p.capture}]</span>` : '';
      return `<div class="pattern"><strong>${e(String(p.type))}</strong>${capture}: ${e(text)}</div>`;
    })
    .join('');
}

/** The capture points in path order with their clock offsets (correlation). */
export function pathHtml(path: PathReport): string {
  const e = escapeHtml;
  const points = path.order.map((capture) => {
    const p = path.points.find((x) => x.capture === capture);
    const offset = p?.offset === null || p?.offset === undefined ? 'clock unknown' : `clock ${p.offset >= 0 ? '+' : '−'}${durationText(Math.abs(p.offset))}`;
    return `<li>[${capture}] <strong>${e(p?.name ?? String(capture))}</strong> <span class="muted">(${offset})</span></li>`;
  });
  const notes = path.notes.map((n) => `<li>${e(n)}</li>`).join('');
  return `<h3>Capture points along the path (${e(path.order_source)})</h3><ol class="path">${points.join('')}</ol>${notes ? `<ul class="muted">${notes}</ul>` : ''}`;
}

/**
 * The overview section. `resetConnections` counts the connections that reset; `path` is set
 * when several capture points were correlated.
 */
export function overviewHtml(inputs: readonly InputSummary[], summary: Summary, patterns: readonly Pattern[], resetConnections: number, path: PathReport | null = null): string {
  const listed = Object.values(summary.by_verdict).reduce((a, b) => a + b, 0);
  const forged = summary.by_verdict.forged ?? 0;
  const suspect = summary.by_verdict.suspect ?? 0;
  const topCause = Object.entries(summary.by_cause).sort((a, b) => b[1] - a[1])[0];
  const answer =
    summary.resets === 0
      ? 'No TCP resets in these captures.'
      : `${summary.resets} TCP reset(s); ${resetConnections} of ${summary.connections} connection(s) reset` +
        (topCause ? `; most often ${escapeHtml(topCause[0])} (${shareText(topCause[1], listed)})` : '') +
        (forged + suspect > 0
          ? `; ${[forged > 0 ? `<span class="v-forged">${forged} forged</span>` : '', suspect > 0 ? `<span class="v-suspect">${suspect} suspect</span>` : ''].filter(Boolean).join(' and ')}`
          : '; none looks forged') +
        '.';
  const sightings = summary.rst_sightings ? `<p class="muted">${summary.rst_sightings} RST sighting(s) at all capture points; a RST seen at several points counts once.</p>` : '';
  const notListed = summary.resets_not_listed ? `<p class="muted">${summary.resets_not_listed} RST packet(s) of reset storms are counted but not listed one by one.</p>` : '';
  const kernel = summary.kernel ? `<p>${escapeHtml(kernelSummaryText(summary.kernel))}.</p>` : '';
  return [
    '<section id="overview" aria-labelledby="h-overview"><h2 id="h-overview">Overview</h2>',
    `<p class="lead">${answer}</p>`,
    kernel,
    `<p class="muted">${summary.packets} packets read, ${summary.tcp_packets} of them TCP, ${summary.connections} TCP connection(s).</p>`,
    notListed,
    sightings,
    inputsHtml(inputs),
    path === null ? '' : pathHtml(path),
    '<div class="grid">',
    breakdownHtml('stage', summary.by_stage, STAGE_ORDER, listed, false),
    breakdownHtml('cause', summary.by_cause, null, listed, true),
    breakdownHtml('verdict', summary.by_verdict, VERDICT_ORDER, listed, false),
    '</div>',
    '<h3 id="patterns">Patterns</h3>',
    patternsHtml(patterns),
    '</section>',
  ].join('\n');
}
