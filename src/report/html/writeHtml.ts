/**
 * The HTML report: one self-contained file (style and script inlined, nothing fetched — a
 * Content-Security-Policy forbids the page any request) with the overview, the charts, the
 * resets table and a ladder diagram per connection that reset. Streams from the Findings'
 * spools, so memory stays bounded however many resets there are:
 *   1. one pass over the resets, led by the join with the ladders spool (resetsByConnection.ts):
 *      which ladders to draw (the first N per cause), and, from every reset line read as bytes
 *      (resetBytes.ts), the charts, connections per cause and the table's data (spooled);
 *   2. the ladders again, for the TTL chart's ordinary TTLs (only those that may hold a forged or
 *      suspect reset are parsed);
 *   3. the page, the ladder sections from the drawn ladders and resets kept from pass 1 (or,
 *      past DRAWN_KEPT_CHARS of them, from a second join).
 */
import { createHash } from 'node:crypto';
import type { Ladder, Reset } from '../../model/report.js';
import { Spool } from '../../pipeline/spool.js';
import { VERSION } from '../../version.js';
import type { Findings } from '../findings.js';
import type { Output } from '../output.js';
import { connectionAnchor, connectionSectionHtml } from './connectionSection.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { isLeftOutLadder, ladderConn } from './ladderChoice.js';
import { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from './limits.js';
import { overviewHtml } from './overviewHtml.js';
import { pageScript } from './pageScript.js';
import { PAGE_CSS } from './pageStyle.js';
import { LastString, ResetRowBytes } from './resetBytes.js';
import { type Kind, ResetTableEncoder, TABLE_CHUNK_ROWS, kindOf, reasonInTable } from './resetTableEncoder.js';
import { STATIC_ROWS, resetRowHtml, resetTableEnd, resetTableStart } from './resetTableHtml.js';
import { ResetTimeChart } from './resetTimeChart.js';
import { type LineReader, ResetsByConnection, causeOfGroup, peekField, spoolGroups } from './resetsByConnection.js';
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

/** What the pass over the resets gathers. */
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

/** What a kind's bytes stand for (ResetRowBytes): the kind, its cause and verdict, its table code once known. */
interface KnownKind {
  bytes: Buffer;
  kind: Kind;
  cause: string | null;
  verdict: string | null;
  /** The kind dictionary's code, -1 until a row of the table had this kind. */
  code: number;
}

/** Kinds remembered by their bytes' hash before the memory starts afresh (a kind is cheap to find again). */
const KNOWN_KINDS = 1 << 16;

/**
 * What the one pass over the resets (led by chooseLadders) does with each: charts, connections
 * per cause, the table's data.
 * Each line is read as bytes (resetBytes.ts): its kind (stage, cause, verdict, origin, flags,
 * signature, evidence codes, confidence) found again by its bytes, the rest taken as numbers and
 * short strings; the first rows, the first line of each kind and any line laid out otherwise are
 * parsed whole.
 */
function resetScanner(findings: Findings, tableRows: number): { scan: ResetScan; reader: LineReader; end: () => void } {
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
  const row = new ResetRowBytes();
  const kinds = new Map<number, KnownKind>();
  const conns = new LastString();
  let prevConn: string | null = null;
  /** A connection's resets are consecutive: its first one files it under a cause. */
  const countConnection = (conn: string | null, cause: string | null): void => {
    if (conn !== null && conn !== prevConn) {
      const key = cause ?? 'unexplained';
      scan.connsPerCause.set(key, (scan.connsPerCause.get(key) ?? 0) + 1);
    }
    prevConn = conn;
  };
  const parsed = (r: Reset): void => {
    scan.time.add(r.ts, r.cause);
    scan.ttl.addReset(r);
    countConnection(r.conn, r.cause);
    if (scan.rows >= tableRows) {
      scan.notInTable++;
      return;
    }
    if (scan.firstRows.length < STATIC_ROWS) scan.firstRows.push(r);
    encoder.add(r);
    scan.rows++;
    if (encoder.pending >= TABLE_CHUNK_ROWS) spoolChunk();
  };
  let lastKind: KnownKind | null = null;
  const reader: LineReader = {
    conn: null,
    cause: null,
    read(bytes: Buffer, start: number, end: number): boolean {
      if ((scan.firstRows.length < STATIC_ROWS && scan.rows < tableRows) || !row.parse(bytes, start, end)) {
        parsed(JSON.parse(bytes.toString('utf8', start, end)) as Reset);
        return false;
      }
      // Most resets share their kind with the one before.
      let known = lastKind;
      if (known === null || !row.kindIs(known.bytes)) {
        const hash = row.kindHash();
        known = kinds.get(hash) ?? null;
        if (known === null || !row.kindIs(known.bytes)) {
          const r = JSON.parse(bytes.toString('utf8', start, end)) as Reset;
          if (kinds.size >= KNOWN_KINDS) kinds.clear();
          known = { bytes: row.kindBytes(), kind: kindOf(r), cause: r.cause, verdict: r.verdict, code: -1 };
          kinds.set(hash, known);
        }
        lastKind = known;
      }
      // The line is laid out as resetBytes.ts expects: its first "conn": and "cause": are its own (peekField's values).
      const conn = row.connStart < 0 ? null : conns.of(bytes, row.connStart, row.connEnd);
      reader.conn = conn;
      reader.cause = known.cause;
      fromBytes(bytes, known, conn);
      return true;
    },
  };
  const fromBytes = (bytes: Buffer, known: KnownKind, conn: string | null): void => {
    const ts = row.ts();
    scan.time.add(ts, known.cause);
    const src = row.src();
    scan.ttl.addResetFields(known.verdict, src, row.ttl);
    countConnection(conn, known.cause);
    if (scan.rows >= tableRows) {
      scan.notInTable++;
      return;
    }
    if (known.code < 0) known.code = encoder.kindCode(known.kind);
    const reason = row.reasonText();
    encoder.addRow(
      row.idPrefix(),
      row.idNumber(),
      ts,
      row.capture,
      row.frame,
      row.connPrefix(),
      row.connNumber(),
      src,
      row.sport,
      row.dst(),
      row.dport,
      row.ttl,
      known.code,
      reason === null ? null : reasonInTable(reason),
    );
    scan.rows++;
    if (encoder.pending >= TABLE_CHUNK_ROWS) spoolChunk();
  };
  return { scan, reader, end: spoolChunk };
}

/** A drawn ladder's line and its connection's reset lines, kept from the one pass over the resets. */
interface DrawnLadder {
  ladder: string;
  resets: string[];
}

/** Characters of drawn ladders and their resets kept from the pass; past it, the resets are read again to draw them. */
const DRAWN_KEPT_CHARS = 32 << 20;

/** What chooseLadders found. */
interface LadderChoiceMade {
  /** Connection → cause of the ladders drawn. */
  chosen: Map<string, string>;
  /** Ladders recorded per cause. */
  recorded: Map<string, number>;
  /** The drawn ladders in order, or null when they were too many to keep (then read again). */
  drawn: DrawnLadder[] | null;
}

/**
 * The one pass over the resets, led by the join with the ladders: which ladders to draw (the
 * first N per cause), each reset line also handed to `reader` (resetScanner's) as it is read.
 */
function chooseLadders(findings: Findings, perCause: number, reader: LineReader): LadderChoiceMade {
  const chosen = new Map<string, string>();
  const recorded = new Map<string, number>();
  let drawn: DrawnLadder[] | null = [];
  let kept = 0;
  const groups = spoolGroups(findings.resets, reader);
  const join = new ResetsByConnection(groups);
  for (const ladder of findings.ladders.lines()) {
    const conn = ladderConn(ladder);
    const group = join.takeGroup(conn);
    const cause = causeOfGroup(group);
    const n = recorded.get(cause) ?? 0;
    recorded.set(cause, n + 1);
    if (n >= perCause) continue;
    // ladderChoice.ts leaves out at run time only ladders that cannot be chosen here.
    if (isLeftOutLadder(ladder)) throw new Error(`the ladder of ${conn} was left out, yet it is among the first ${perCause} of ${cause}`);
    chosen.set(conn, cause);
    if (drawn === null) continue;
    const resets = group === null ? [] : [...group.lines];
    kept += ladder.length;
    for (const r of resets) kept += r.length;
    if (kept > DRAWN_KEPT_CHARS) drawn = null;
    else drawn.push({ ladder, resets });
  }
  // The resets after the last ladder's.
  let rest = groups.next();
  while (rest.done !== true) rest = groups.next();
  return { chosen, recorded, drawn };
}

/** The TTL chart's ordinary TTLs, from the ladders that may hold a forged or suspect reset (after every reset was counted). */
function addLadderTtls(findings: Findings, ttl: SpoofTtlChart): void {
  for (const line of findings.ladders.lines()) if (SpoofTtlChart.mayConcern(line)) ttl.addLadder(JSON.parse(line) as Ladder);
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
  const scanner = resetScanner(findings, Math.max(0, Math.floor(options.tableRows ?? DEFAULT_TABLE_ROWS)));
  try {
    const choice = chooseLadders(findings, perCause, scanner.reader);
    scanner.end();
    addLadderTtls(findings, scanner.scan.ttl);
    return await writePage(out, findings, scanner.scan, choice, perCause, title);
  } finally {
    scanner.scan.tableChunks.dispose();
  }
}

/** Writes the page from what the passes found. */
async function writePage(out: Output, findings: Findings, scan: ResetScan, choice: LadderChoiceMade, perCause: number, title: string): Promise<HtmlStats> {
  const { time, ttl, connsPerCause } = scan;
  const { chosen, recorded } = choice;
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

  // The table: its first page as HTML, then the data spooled by the pass over the resets.
  await out.write(resetTableStart(findings.summary, scan.rows, perCause, scan.notInTable));
  for (const r of scan.firstRows) await out.write(resetRowHtml(r, r.conn !== null && chosen.has(r.conn)));
  await out.write(resetTableEnd());
  for (const chunk of scan.tableChunks.lines()) await out.write(`<script type="application/json" class="wr-rows">${chunk}</script>\n`);
  await out.write('</section>\n');

  // The ladders.
  const leftOut = [...recorded.values()].reduce((a, b) => a + b, 0) - chosen.size;
  await out.write(
    `<section id="ladders" aria-labelledby="h-ladders"><h2 id="h-ladders">Connections that reset, as ladder diagrams</h2>\n${ladderIndexHtml(chosen, recorded, connsPerCause, perCause, findings.ladders.count)}\n${chosen.size > 0 ? LADDER_KEY : ''}\n`,
  );
  let drawn = 0;
  const clock = new Map<number, number>();
  for (const point of findings.path?.points ?? []) if (point.offset !== null) clock.set(point.capture, point.offset);
  if (choice.drawn !== null) {
    for (const { ladder, resets } of choice.drawn) {
      await out.write(connectionSectionHtml(JSON.parse(ladder) as Ladder, resets.map((l) => JSON.parse(l) as Reset), findings.inputs, clock));
      await out.write('\n');
      drawn++;
    }
  } else if (chosen.size > 0) {
    const join = new ResetsByConnection(spoolGroups(findings.resets));
    for (const line of findings.ladders.lines()) {
      const conn = peekField(line, 'conn') ?? '';
      const group = join.takeGroup(conn);
      if (!chosen.has(conn)) continue;
      const resets = (group?.lines ?? []).map((l) => JSON.parse(l) as Reset);
      await out.write(connectionSectionHtml(JSON.parse(line) as Ladder, resets, findings.inputs, clock));
      await out.write('\n');
      drawn++;
    }
  }
  await out.write(`</section>\n</main>\n<script>${pageScript()}</script>\n</body></html>\n`);
  return { rows: scan.rows, ladders: drawn, laddersLeftOut: leftOut };
}
