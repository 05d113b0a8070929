/**
 * The HTML report: one self-contained file (style and script inlined, nothing fetched — a
 * Content-Security-Policy forbids the page any request) with the overview, the charts, the
 * resets table and a ladder diagram per connection that reset. Streams from the Findings'
 * spools in a few passes, so memory stays bounded however many resets there are:
 *   1. resets → time chart, TTL chart (forged/suspect resets), connections per cause;
 *   2. ladders (joined with resets) → which ladders to draw, ordinary TTLs for the TTL chart;
 *   3. resets → the table's embedded columns and its first page as HTML;
 *   4. ladders (joined with resets) → the ladder sections.
 */
import { createHash } from 'node:crypto';
import { VERSION } from '../../version.js';
import type { Findings } from '../findings.js';
import type { Ladder, Reset } from '../model.js';
import type { Output } from '../output.js';
import { connectionAnchor, connectionSectionHtml } from './connectionSection.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { overviewHtml } from './overviewHtml.js';
import { PAGE_SCRIPT } from './pageScript.js';
import { PAGE_CSS } from './pageStyle.js';
import { ResetTableEncoder, TABLE_CHUNK_ROWS } from './resetTableEncoder.js';
import { STATIC_ROWS, resetRowHtml, resetTableEnd, resetTableStart } from './resetTableHtml.js';
import { ResetTimeChart } from './resetTimeChart.js';
import { ResetsByConnection, connOfLadderLine, resetGroups } from './resetsByConnection.js';
import { SpoofTtlChart } from './spoofTtlChart.js';

/** Ladders drawn per cause by default. */
export const DEFAULT_LADDERS_PER_CAUSE = 20;

/** Options of the HTML report. */
export interface HtmlOptions {
  /** Connections drawn as ladders per cause (the cause of a connection's first reset); default 20. */
  laddersPerCause?: number;
  /** The page title; default "whyreset report". */
  title?: string;
}

/** What was written, for messages and tests. */
export interface HtmlStats {
  /** Resets in the table. */
  rows: number;
  /** Ladders drawn, and ladders recorded but left out by the per-cause limit. */
  ladders: number;
  laddersLeftOut: number;
}

/** The cause a connection is filed under: that of its first reset. */
function causeOfConnection(resets: readonly Reset[]): string {
  return resets[0]?.cause ?? 'unexplained';
}

/** Pass 1: the charts and the number of connections per cause. */
function scanResets(findings: Findings): { time: ResetTimeChart; ttl: SpoofTtlChart; connsPerCause: Map<string, number> } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const input of findings.inputs) {
    if (input.first_ts !== null) first = Math.min(first, input.first_ts);
    if (input.last_ts !== null) last = Math.max(last, input.last_ts);
  }
  if (!Number.isFinite(first)) {
    // Findings without capture times (built by hand): one more pass finds the span.
    for (const line of findings.resets.lines()) {
      const r = JSON.parse(line) as Reset;
      first = Math.min(first, r.ts);
      last = Math.max(last, r.ts);
    }
  }
  const time = new ResetTimeChart(Number.isFinite(first) ? first : 0, Number.isFinite(last) ? last : 0);
  const ttl = new SpoofTtlChart();
  const connsPerCause = new Map<string, number>();
  for (const group of resetGroups(findings.resets.lines())) {
    for (const r of group.resets) {
      time.add(r.ts, r.cause);
      ttl.addReset(r);
    }
    if (group.conn !== null) {
      const cause = causeOfConnection(group.resets);
      connsPerCause.set(cause, (connsPerCause.get(cause) ?? 0) + 1);
    }
  }
  return { time, ttl, connsPerCause };
}

/** Pass 2: the connections whose ladders are drawn (first N per cause), and the TTL chart's ordinary TTLs. */
function chooseLadders(findings: Findings, perCause: number, ttl: SpoofTtlChart): { chosen: Map<string, string>; recorded: Map<string, number> } {
  const chosen = new Map<string, string>();
  const recorded = new Map<string, number>();
  const join = new ResetsByConnection(resetGroups(findings.resets.lines()));
  for (const line of findings.ladders.lines()) {
    const conn = connOfLadderLine(line);
    const cause = causeOfConnection(join.take(conn));
    const n = recorded.get(cause) ?? 0;
    recorded.set(cause, n + 1);
    if (n < perCause) chosen.set(conn, cause);
    if (SpoofTtlChart.mayConcern(line)) ttl.addLadder(JSON.parse(line) as Ladder);
  }
  return { chosen, recorded };
}

/** The list of drawn ladders by cause, and what was left out. */
function ladderIndexHtml(chosen: Map<string, string>, recorded: Map<string, number>, connsPerCause: Map<string, number>, perCause: number, ladderCount: number): string {
  const e = escapeHtml;
  if (ladderCount === 0) {
    const conns = [...connsPerCause.values()].reduce((a, b) => a + b, 0);
    return conns === 0 ? '<p>No connection reset.</p>' : `<p>Ladders were not recorded for this run (${conns} connection(s) reset).</p>`;
  }
  const byCause = new Map<string, string[]>();
  for (const [conn, cause] of chosen) {
    const list = byCause.get(cause);
    if (list) list.push(conn);
    else byCause.set(cause, [conn]);
  }
  const causes = [...recorded.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const items = causes.map(([cause, n]) => {
    const drawn = byCause.get(cause) ?? [];
    const links = drawn.map((c) => `<a href="#${e(connectionAnchor(c))}">${e(c)}</a>`).join(' ');
    const left = n - drawn.length;
    return `<li><strong>${e(cause)}</strong>: ${drawn.length} of ${n} connection(s) drawn${left > 0 ? ` (${left} left out: the first ${perCause} per cause are drawn)` : ''} — ${links}</li>`;
  });
  const leftOut = causes.reduce((a, [, n]) => a + n, 0) - chosen.size;
  const note = leftOut > 0 ? `<p><strong>${leftOut} connection(s) that reset are not drawn</strong> (limit: ${perCause} per cause; \`--html-ladders N\` changes it). Their resets are all in the table.</p>` : '';
  return `${note}<ul class="ladder-index">${items.join('')}</ul>`;
}

/** A key to the ladder drawings. */
const LADDER_KEY = `<details class="noprint" open><summary>How to read a ladder</summary><p>Time runs down; each column is an endpoint (or a capture point, when several captures of the same traffic were correlated). Each arrow is one packet, labelled with its TCP flags, sequence and acknowledgement numbers relative to each side's first one (as Wireshark shows them), payload length and TTL as captured. Grey: control packets; <span style="color:#1f5fa8">blue</span>: data; <strong style="color:#c41d1d">red</strong>: a reset; <strong class="v-suspect">orange, dashed</strong>: a suspect reset; <strong class="v-forged">purple, dotted, labelled FORGED</strong>: a reset a device in the path forged. Dashed bands are long silences drawn shorter than scale, or packets the tracker did not keep. Hover over an arrow for its frame, time and window.</p></details>`;

/** Writes the HTML report of `findings` to `out`. */
export async function writeHtml(out: Output, findings: Findings, options: HtmlOptions = {}): Promise<HtmlStats> {
  const perCause = Math.max(0, Math.floor(options.laddersPerCause ?? DEFAULT_LADDERS_PER_CAUSE));
  const title = options.title ?? 'whyreset report';
  const { time, ttl, connsPerCause } = scanResets(findings);
  const { chosen, recorded } = chooseLadders(findings, perCause, ttl);
  const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const e = escapeHtml;

  await out.write(
    [
      '<!DOCTYPE html>',
      '<html lang="en"><head><meta charset="utf-8">',
      `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<meta name="generator" content="whyreset ${e(VERSION)}">`,
      '<link rel="icon" href="data:,">',
      `<title>${e(title)}</title>`,
      `<style>${PAGE_CSS}</style>`,
      '</head><body>',
      '<a class="skip" href="#table-section">Skip to the resets table</a>',
      `<header><h1>${e(title)}</h1><p class="muted">whyreset ${e(VERSION)} · ${findings.inputs.map((i) => e(i.path)).join(', ')}</p>`,
      '<nav class="toc" aria-label="Sections"><a href="#overview">Overview</a><a href="#charts">Charts</a><a href="#table-section">Resets</a><a href="#ladders">Ladders</a></nav></header>',
      '<main>',
      overviewHtml(findings.inputs, findings.summary, findings.patterns),
      '<section id="charts" aria-labelledby="h-charts"><h2 id="h-charts">Charts</h2>',
      '<h3>Resets over time, by cause</h3>',
      time.html(),
      '<h3>TTL per source of forged and suspect resets</h3>',
      ttl.html(),
      '</section>',
    ].join('\n'),
  );

  // Pass 3: the table.
  await out.write(resetTableStart(findings.summary, findings.resets.count, perCause));
  const encoder = new ResetTableEncoder();
  const writeChunk = async () => {
    const chunk = encoder.takeChunk();
    if (chunk !== null) await out.write(`<script type="application/json" class="wr-rows">${jsonForScript(chunk)}</script>\n`);
  };
  // The first page is HTML in the table; the data chunks follow the table, written as they fill.
  let n = 0;
  for (const line of findings.resets.lines()) {
    const r = JSON.parse(line) as Reset;
    if (n < STATIC_ROWS) await out.write(resetRowHtml(r, r.conn !== null && chosen.has(r.conn)));
    encoder.add(r);
    n++;
    if (n === STATIC_ROWS) await out.write(resetTableEnd());
    if (n >= STATIC_ROWS && encoder.pending >= TABLE_CHUNK_ROWS) await writeChunk();
  }
  if (n < STATIC_ROWS) await out.write(resetTableEnd());
  await writeChunk();
  await out.write('</section>\n');

  // Pass 4: the ladders.
  const leftOut = [...recorded.values()].reduce((a, b) => a + b, 0) - chosen.size;
  await out.write(
    `<section id="ladders" aria-labelledby="h-ladders"><h2 id="h-ladders">Connections that reset, as ladder diagrams</h2>\n${ladderIndexHtml(chosen, recorded, connsPerCause, perCause, findings.ladders.count)}\n${chosen.size > 0 ? LADDER_KEY : ''}\n`,
  );
  let drawn = 0;
  if (chosen.size > 0) {
    const join = new ResetsByConnection(resetGroups(findings.resets.lines()));
    for (const line of findings.ladders.lines()) {
      const conn = connOfLadderLine(line);
      const resets = join.take(conn);
      if (!chosen.has(conn)) continue;
      await out.write(connectionSectionHtml(JSON.parse(line) as Ladder, resets, findings.inputs));
      await out.write('\n');
      drawn++;
    }
  }
  await out.write(`</section>\n</main>\n<script>${PAGE_SCRIPT}</script>\n</body></html>\n`);
  return { rows: n, ladders: drawn, laddersLeftOut: leftOut };
}
