/**
 * The HTML report: one self-contained file (style and script inlined, nothing fetched — a
 * Content-Security-Policy forbids the page any request) with the overview, the charts, the
 * resets table and a ladder diagram per connection that reset. Streams from the Findings'
 * spools in a few passes, so memory stays bounded however many resets there are:
 *   1. resets (each parsed once) → the charts, connections per cause, the table's data (spooled);
 *   2. ladders, joined with the resets' unparsed lines → which ladders to draw (the first N per
 *      cause), ordinary TTLs for the TTL chart;
 *   3. ladders again → the ladder sections (only the drawn connections' resets are parsed).
 */
import { createHash } from 'node:crypto';
import type { Ladder, Reset } from '../../model/report.js';
import { Spool } from '../../pipeline/spool.js';
import { VERSION } from '../../version.js';
import type { Findings } from '../findings.js';
import type { Output } from '../output.js';
import { connectionAnchor, connectionSectionHtml } from './connectionSection.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { isLeftOutLadder } from './ladderChoice.js';
import { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from './limits.js';
import { overviewHtml } from './overviewHtml.js';
import { pageScript } from './pageScript.js';
import { PAGE_CSS } from './pageStyle.js';
import { ResetTableEncoder, TABLE_CHUNK_ROWS } from './resetTableEncoder.js';
import { STATIC_ROWS, resetRowHtml, resetTableEnd, resetTableStart } from './resetTableHtml.js';
import { ResetTimeChart } from './resetTimeChart.js';
import { ResetsByConnection, peekField, resetGroups } from './resetsByConnection.js';
import { SpoofTtlChart } from './spoofTtlChart.js';

export { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from './limits.js';

/** Options of the HTML report. */
export interface HtmlOptions {
  /** Connections drawn as ladders per cause (the cause of a connection's first reset); default 20. */
  laddersPerCause?: number;
  /** Most resets embedded in the table (the charts count every one); default DEFAULT_TABLE_ROWS. */
  tableRows?: number;
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
function causeOfGroup(lines: readonly string[]): string {
  return lines.length === 0 ? 'unexplained' : (peekField(lines[0] as string, 'cause') ?? 'unexplained');
}

/** What the one full pass over the resets gathers. */
interface ResetScan {
  time: ResetTimeChart;
  ttl: SpoofTtlChart;
  connsPerCause: Map<string, number>;
  /** The table's data chunks (JSON), spooled until the table is written. */
  tableChunks: Spool;
  /** The first resets, rendered as the table's static first page. */
  firstRows: Reset[];
  rows: number;
  /** Resets beyond the table's limit: in the charts and counts, not in the table. */
  notInTable: number;
}

/** The span of the capture times, from the inputs (or from the resets for hand-made findings). */
function timeSpan(findings: Findings): [number, number] {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const input of findings.inputs) {
    if (input.first_ts !== null) first = Math.min(first, input.first_ts);
    if (input.last_ts !== null) last = Math.max(last, input.last_ts);
  }
  if (!Number.isFinite(first)) {
    for (const line of findings.resets.lines()) {
      const r = JSON.parse(line) as Reset;
      first = Math.min(first, r.ts);
      last = Math.max(last, r.ts);
    }
  }
  return Number.isFinite(first) ? [first, last] : [0, 0];
}

/** Pass 1, the only one that parses every reset: charts, connections per cause, the table's data. */
function scanResets(findings: Findings, tableRows: number): ResetScan {
  const [first, last] = timeSpan(findings);
  const scan: ResetScan = {
    time: new ResetTimeChart(first, last),
    ttl: new SpoofTtlChart(),
    connsPerCause: new Map(),
    tableChunks: new Spool(),
    firstRows: [],
    rows: 0,
    notInTable: 0,
  };
  const encoder = new ResetTableEncoder();
  const spoolChunk = () => {
    const chunk = encoder.takeChunk();
    if (chunk !== null) scan.tableChunks.push(jsonForScript(chunk));
  };
  let prevConn: string | null = null;
  for (const line of findings.resets.lines()) {
    const r = JSON.parse(line) as Reset;
    scan.time.add(r.ts, r.cause);
    scan.ttl.addReset(r);
    // A connection's resets are consecutive: its first one files it under a cause.
    if (r.conn !== null && r.conn !== prevConn) {
      const cause = r.cause ?? 'unexplained';
      scan.connsPerCause.set(cause, (scan.connsPerCause.get(cause) ?? 0) + 1);
    }
    prevConn = r.conn;
    if (scan.rows >= tableRows) {
      scan.notInTable++;
      continue;
    }
    if (scan.firstRows.length < STATIC_ROWS) scan.firstRows.push(r);
    encoder.add(r);
    scan.rows++;
    if (encoder.pending >= TABLE_CHUNK_ROWS) spoolChunk();
  }
  spoolChunk();
  return scan;
}

/** Pass 2: the connections whose ladders are drawn (first N per cause), and the TTL chart's ordinary TTLs. */
function chooseLadders(findings: Findings, perCause: number, ttl: SpoofTtlChart): { chosen: Map<string, string>; recorded: Map<string, number> } {
  const chosen = new Map<string, string>();
  const recorded = new Map<string, number>();
  const join = new ResetsByConnection(resetGroups(findings.resets.lines()));
  for (const line of findings.ladders.lines()) {
    const conn = peekField(line, 'conn') ?? '';
    const cause = causeOfGroup(join.take(conn));
    const n = recorded.get(cause) ?? 0;
    recorded.set(cause, n + 1);
    if (n < perCause) {
      // ladderChoice.ts leaves out at run time only ladders that cannot be chosen here.
      if (isLeftOutLadder(line)) throw new Error(`the ladder of ${conn} was left out, yet it is among the first ${perCause} of ${cause}`);
      chosen.set(conn, cause);
    }
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
  const scan = scanResets(findings, Math.max(0, Math.floor(options.tableRows ?? DEFAULT_TABLE_ROWS)));
  try {
    return await writePage(out, findings, scan, perCause, title);
  } finally {
    scan.tableChunks.dispose();
  }
}

/** Writes the page from pass 1's results and passes 2 and 3 over the ladders. */
async function writePage(out: Output, findings: Findings, scan: ResetScan, perCause: number, title: string): Promise<HtmlStats> {
  const { time, ttl, connsPerCause } = scan;
  const { chosen, recorded } = chooseLadders(findings, perCause, ttl);
  const scriptHash = createHash('sha256').update(pageScript()).digest('base64');
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
      `<header><h1>${e(title)}</h1><p class="muted">whyreset ${e(VERSION)} · ${findings.inputs.length === 1 ? e(findings.inputs[0]?.path ?? '') : `${findings.inputs.length} captures`}</p>`,
      '<nav class="toc" aria-label="Sections"><a href="#overview">Overview</a><a href="#charts">Charts</a><a href="#table-section">Resets</a><a href="#ladders">Ladders</a></nav></header>',
      '<main>',
      overviewHtml(
        findings.inputs,
        findings.summary,
        findings.patterns,
        [...connsPerCause.values()].reduce((a, b) => a + b, 0),
        findings.path,
      ),
      '<section id="charts" aria-labelledby="h-charts"><h2 id="h-charts">Charts</h2>',
      '<h3>Resets over time, by cause</h3>',
      time.html(),
      '<h3>TTL per source of forged and suspect resets</h3>',
      ttl.html(),
      '</section>',
    ].join('\n'),
  );

  // The table: its first page as HTML, then the data spooled in pass 1.
  await out.write(resetTableStart(findings.summary, scan.rows, perCause, scan.notInTable));
  for (const r of scan.firstRows) await out.write(resetRowHtml(r, r.conn !== null && chosen.has(r.conn)));
  await out.write(resetTableEnd());
  for (const chunk of scan.tableChunks.lines()) await out.write(`<script type="application/json" class="wr-rows">${chunk}</script>\n`);
  await out.write('</section>\n');

  // Pass 3: the ladders.
  const leftOut = [...recorded.values()].reduce((a, b) => a + b, 0) - chosen.size;
  await out.write(
    `<section id="ladders" aria-labelledby="h-ladders"><h2 id="h-ladders">Connections that reset, as ladder diagrams</h2>\n${ladderIndexHtml(chosen, recorded, connsPerCause, perCause, findings.ladders.count)}\n${chosen.size > 0 ? LADDER_KEY : ''}\n`,
  );
  let drawn = 0;
  const clock = new Map<number, number>();
  for (const point of findings.path?.points ?? []) if (point.offset !== null) clock.set(point.capture, point.offset);
  if (chosen.size > 0) {
    const join = new ResetsByConnection(resetGroups(findings.resets.lines()));
    for (const line of findings.ladders.lines()) {
      const conn = peekField(line, 'conn') ?? '';
      const lines = join.take(conn);
      if (!chosen.has(conn)) continue;
      const resets = lines.map((l) => JSON.parse(l) as Reset);
      await out.write(connectionSectionHtml(JSON.parse(line) as Ladder, resets, findings.inputs, clock));
      await out.write('\n');
      drawn++;
    }
  }
  await out.write(`</section>\n</main>\n<script>${pageScript()}</script>\n</body></html>\n`);
  return { rows: scan.rows, ladders: drawn, laddersLeftOut: leftOut };
}
