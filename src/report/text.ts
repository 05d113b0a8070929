import { endpointText } from '../decode/address.js';
/**
 * The terminal report, meant to answer "why did my connections reset?" in one screen: the
 * capture facts, a table of resets by cause and verdict with shares, the resets grouped (same
 * cause, same server endpoint → one line with a count) with what the cause means, the evidence
 * most seen and the hint, then the patterns. The resets a detected port scan caused are one line
 * (its probes, ports and answers by cause), not a group per port. `verbose` adds every reset
 * with its evidence.
 * Renders Findings only.
 */
import { linkTypeName as knownLinkTypeName } from '../decode/linktypes.js';
import type { InputSummary, Pattern, Reset, Summary, Verdict } from '../model/report.js';
import type { Findings } from './findings.js';
import { CLIENTS_COUNTED, type ResetGroup, ResetGroups, type ScanFold, clientOf, isProbeReset } from './groups.js';
import { isoDate } from './isoDate.js';
import { kernelFindingText, kernelSummaryText } from './kernelText.js';
import type { Output } from './output.js';
import type { Style } from './style.js';
import { escapeControl } from './terminalText.js';
import { VERDICTS, causeText } from './vocabulary.js';

/** Options of the text report. */
export interface TextOptions {
  /** List every reset with its evidence after the summary. */
  verbose?: boolean;
  /** Groups shown before "… and N more" (default 8). */
  groups?: number;
  /** The resets already digested as they were found (then `findings.resets` is not read, unless verbose). */
  digest?: TextDigest;
}

/**
 * What the text report needs of the resets, gathered one reset at a time: the groups, the
 * cause × verdict counts and the number of connections that reset. Fed straight from the
 * analysis, it spares serialising every reset only to parse it again.
 */
export class TextDigest {
  readonly groups: ResetGroups;
  readonly causeVerdicts = new Map<string, Record<Verdict, number>>();
  listed = 0;
  connectionsWithResets = 0;
  private lastConn: string | null = null;
  /** The last reset's cause and its counts. */
  private lastCause = '';
  private lastVerdicts: Record<Verdict, number> | undefined = undefined;

  constructor(multiCapture: boolean) {
    this.groups = new ResetGroups(multiCapture);
  }

  /** Adds one reset (a connection's resets arrive together, as runAnalysis emits them). */
  add(r: Reset): void {
    this.listed++;
    this.groups.add(r);
    if (r.conn !== null && r.conn !== this.lastConn) this.connectionsWithResets++;
    this.lastConn = r.conn;
    const cause = r.cause ?? 'unexplained';
    // Set once per cause, not once per reset; the last cause's counts at hand (a flood's resets share one).
    let v = cause === this.lastCause ? this.lastVerdicts : this.causeVerdicts.get(cause);
    if (v === undefined) {
      v = { genuine: 0, suspect: 0, forged: 0 };
      this.causeVerdicts.set(cause, v);
    }
    this.lastCause = cause;
    this.lastVerdicts = v;
    if (r.verdict !== null) v[r.verdict]++;
  }
}

/** Formats epoch seconds as an ISO-8601 UTC time with microseconds. */
export function isoTime(ts: number): string {
  // Rounded as a whole number of microseconds, so .9999996 carries into the next second.
  const total = Math.round(ts * 1e6);
  const whole = Math.floor(total / 1e6);
  const base = isoDate(whole * 1000).slice(0, 19);
  return `${base}.${String(total - whole * 1e6).padStart(6, '0')}Z`;
}

/** Time of day with microseconds, "21:30:30.470723". */
export function clockTime(ts: number): string {
  return isoTime(ts).slice(11, 26);
}

/** The UTC day of a time, "2015-01-12" (question marks out of range). */
function dayOf(ts: number): string {
  return isoTime(ts).slice(0, 10);
}

/**
 * A time in a table or listing: the time of day, with the date in front where the day changes,
 * i.e. when it differs from the day of `previous` (the row above, or the capture's first packet,
 * which the header shows with its date): "21:35:33.470723" or "2015-01-12 05:45:28.000000".
 */
export function timeWhereDayChanges(ts: number, previous: number | null): string {
  return previous !== null && dayOf(previous) === dayOf(ts) ? clockTime(ts) : `${dayOf(ts)} ${clockTime(ts)}`;
}

/** A time span in a table row: its start where the day changes, its end with its date when the span crosses a day. */
export function spanWhereDayChanges(first: number, last: number, previous: number | null): string {
  const start = timeWhereDayChanges(first, previous);
  return first === last ? start : `${start} – ${timeWhereDayChanges(last, first)}`;
}

/** A duration that may be negative (a clock stepped back between its ends), with a note saying so. */
export function signedDurationText(s: number): string {
  return s < 0 ? `${durationText(s)}, the clock stepped back` : durationText(s);
}

/** A duration for people: "840 µs", "12.3 ms", "4.2 s", "3 min 12 s", "2 h 05 min", "27 days 05 h", "3 years 27 days"; negative ones (a clock stepped back) with a minus sign. */
export function durationText(s: number): string {
  if (!Number.isFinite(s)) return '? s';
  if (s < 0) return `-${durationText(-s)}`;
  if (s >= 86400) return longDurationText(s);
  if (s < 1e-3) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 0.1 ? 1 : 0)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Days and years, never "26936 h" (a year counted as 365 days). */
function longDurationText(s: number): string {
  const days = Math.floor(s / 86400);
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (days < 365) return `${unit(days, 'day')} ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')} h`;
  return `${unit(Math.floor(days / 365), 'year')} ${unit(days % 365, 'day')}`;
}

/** A count with thousands separators, "1,234,567" (not toLocaleString: its first call loads ICU data, ~15 ms). */
export function countText(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes for people: "586 B", "3.2 MB", "1.07 GB" (powers of 1000, as file managers show). */
export function bytesText(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}


/** A link type's name, or its number. */
export function linkTypeName(linktype: number): string {
  return knownLinkTypeName(linktype) ?? `link type ${linktype}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${countText(n)} ${n === 1 ? one : many}`;
}

/** The end of a time span: the time of day when it ends on the day it started, else the full date. */
export function spanEndText(first: number, last: number): string {
  const end = isoTime(last);
  return end.slice(0, 10) === isoTime(first).slice(0, 10) ? clockTime(last) : end;
}

function describeInput(input: InputSummary, index: number, style: Style): string {
  const span =
    input.first_ts !== null && input.last_ts !== null
      ? `${isoTime(input.first_ts)} → ${spanEndText(input.first_ts, input.last_ts)} (${signedDurationText(input.last_ts - input.first_ts)})`
      : 'no packets';
  const gz = input.compressed ? ' (gzip)' : '';
  const links = input.linktypes.map(linkTypeName).join(', ') || 'no link type';
  const errors = input.errors.length > 0 ? style.red(`, ${plural(input.errors.length, 'error')} (see stderr)`) : '';
  return `  [${index}] ${escapeControl(input.path)}  ${input.format}${gz}, ${links}, ${plural(input.packets, 'packet')}, ${bytesText(input.bytes)}, ${span}${errors}\n`;
}

/** The first packet's time over every input (null when none has packets). */
function firstTsOf(inputs: readonly InputSummary[]): number | null {
  let first: number | null = null;
  for (const i of inputs) if (i.first_ts !== null && (first === null || i.first_ts < first)) first = i.first_ts;
  return first;
}

/** Inputs listed one per line before "… and N more" (all of them with --verbose, and those with errors always). */
const INPUTS_LISTED = 6;

/** The capture facts: one line overall, one per input (the first few, and every one with errors). */
function factsBlock(inputs: readonly InputSummary[], s: Summary, style: Style, all: boolean): string {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const i of inputs) {
    if (i.first_ts !== null) first = Math.min(first, i.first_ts);
    if (i.last_ts !== null) last = Math.max(last, i.last_ts);
  }
  const span = Number.isFinite(first) ? `, ${durationText(last - first)} of traffic` : '';
  let text = `${style.bold('whyreset')}: ${plural(inputs.length, 'capture')}, ${plural(s.packets, 'packet')} (${countText(s.tcp_packets)} TCP), ${plural(s.connections, 'TCP connection')}${span}\n`;
  let hidden = 0;
  inputs.forEach((input, index) => {
    if (all || index < INPUTS_LISTED || input.errors.length > 0) text += describeInput(input, index, style);
    else hidden++;
  });
  if (hidden > 0) text += style.dim(`  … and ${plural(hidden, 'more capture')} (--verbose lists every one)
`);
  return text + decodeNotes(s, style);
}

/** What the summary says was not analysed: undecoded link types, bad checksums, checksum offload. */
function decodeNotes(s: Summary, style: Style): string {
  let text = '';
  for (const [linktype, n] of Object.entries(s.undecoded ?? {})) {
    text += style.red(`  ${plural(n, 'packet')} of link type ${linktype} ${n === 1 ? 'was' : 'were'} not decoded (not a link type whyreset reads)\n`);
  }
  if (s.bad_checksums) text += `  ${plural(s.bad_checksums, 'TCP packet')} with a bad checksum ${s.bad_checksums === 1 ? 'was' : 'were'} not tracked, as Zeek does (-C tracks them)\n`;
  if (s.checksum_offload) text += `  checksum offload on ${s.checksum_offload.join(', ')}: captured on the sender before its NIC filled checksums in; kept\n`;
  return text;
}

function share(n: number, total: number): string {
  return total > 0 ? `${((100 * n) / total).toFixed(1)}%` : '-';
}

/** Pads cells into aligned columns; numbers right-aligned. */
function table(rows: string[][], numeric: (col: number) => boolean): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((row) => row.map((c, i) => (numeric(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Resets by cause (rows) and verdict (columns), with counts and shares; stages underneath. */
function summaryBlock(s: Summary, causeVerdicts: Map<string, Record<Verdict, number>>, listed: number, style: Style): string {
  const rows: string[][] = [['cause', 'resets', 'share', ...VERDICTS]];
  const causes = [...causeVerdicts.entries()].map(([cause, v]) => ({ cause, v, n: v.genuine + v.suspect + v.forged }));
  causes.sort((a, b) => b.n - a.n || a.cause.localeCompare(b.cause));
  const totals: Record<Verdict, number> = { genuine: 0, suspect: 0, forged: 0 };
  for (const { cause, v, n } of causes) {
    rows.push([cause, countText(n), share(n, listed), ...VERDICTS.map((k) => (v[k] > 0 ? countText(v[k]) : '·'))]);
    for (const k of VERDICTS) totals[k] += v[k];
  }
  rows.push(['total', countText(listed), share(listed, listed), ...VERDICTS.map((k) => countText(totals[k]))]);
  const lines = table(rows, (col) => col > 0);
  let text = `  ${style.bold(lines[0] ?? '')}\n`;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (i === lines.length - 1) line = style.dim(line);
    text += `  ${line}\n`;
  }
  const stages = Object.entries(s.by_stage).sort((a, b) => b[1] - a[1]);
  if (stages.length > 0) text += `  stage: ${stages.map(([k, n]) => `${k} ${countText(n)}`).join(' · ')}\n`;
  if (s.resets_not_listed) text += style.yellow(`  ${plural(s.resets_not_listed, 'more RST')} in storms beyond the per-connection limit are counted but not listed\n`);
  return text;
}

function verdictText(g: ResetGroup, style: Style): string {
  const parts: string[] = [];
  if (g.verdicts.forged > 0) parts.push(style.red(`forged ${countText(g.verdicts.forged)}`));
  if (g.verdicts.suspect > 0) parts.push(style.yellow(`suspect ${countText(g.verdicts.suspect)}`));
  if (g.verdicts.genuine > 0) parts.push(`genuine ${countText(g.verdicts.genuine)}`);
  return parts.join(', ') || 'no verdict';
}

/** One group: count, cause, server, verdicts, when (dated where the day differs from `previous`); what the cause means; evidence; the hint. */
function groupLines(g: ResetGroup, style: Style, previous: number | null): string {
  const when = spanWhereDayChanges(g.firstTs, g.lastTs, previous);
  const clients = g.clients.size > 1 ? `, ${g.clientsCapped ? `over ${CLIENTS_COUNTED}` : countText(g.clients.size)} clients` : '';
  const more = g.count > g.frames.length ? ', …' : '';
  let text = `  ${style.bold(`${countText(g.count)}×`)} ${style.cyan(g.cause)} → ${g.server}  (${verdictText(g, style)}${clients})  ${when}\n`;
  text += `     ${causeText(g.cause)}\n`;
  const evidence = [...g.evidence.entries()].sort((a, b) => b[1] - a[1]).map(([code]) => code);
  const ref = `frame${g.frames.length > 1 ? 's' : ''} ${g.frames.join(', ')}${more}; ${g.conns.join(', ')}`;
  text += style.dim(`     evidence: ${evidence.slice(0, 5).join(', ') || 'none'} · ${g.signature ?? ''} · ${ref}\n`);
  if (g.hint) text += `     ${style.green('▸')} ${g.hint}\n`;
  if (g.consequences > 0) text += style.dim(`     + ${plural(g.consequences, 'follow-up reset')} (after_reset): the kernel answering what was still in flight after these\n`);
  return text;
}

/** Addresses that explain found scanning (its `port_scan` patterns). */
export function scanSourcesOf(patterns: readonly Pattern[]): Set<string> {
  const sources = new Set<string>();
  for (const p of patterns) if (p.type === 'port_scan' && typeof p.source === 'string') sources.add(p.source);
  return sources;
}

/** What a cause means inside a scan: how the scanned port answered. */
const SCAN_ANSWERS: Record<string, string> = {
  port_closed: 'closed ports answered RST',
  scan_probe: 'open ports answered SYN-ACK, the scanner reset',
  firewall_reject: 'a firewall refused',
  malformed_syn: 'probes with impossible flags refused',
};

/** Ports of "addr:port" endpoints, in numeric order, as text: "22, 80, 443". */
function portsText(servers: readonly string[], more: boolean): string {
  const ports = [...new Set(servers.map((s) => Number(s.slice(s.lastIndexOf(':') + 1))))].sort((a, b) => a - b);
  return ports.join(', ') + (more ? ', …' : '');
}

/** The scan's own figures from its patterns (one per capture it appears in): probes, ports, hosts, kind. */
function scanFacts(source: string, patterns: readonly Pattern[]): string {
  let probes = 0;
  let ports = 0;
  const targets = new Set<string>();
  const kinds = new Set<string>();
  for (const p of patterns) {
    if (p.type !== 'port_scan' || p.source !== source) continue;
    probes += typeof p.probes === 'number' ? p.probes : 0;
    ports = Math.max(ports, typeof p.ports === 'number' ? p.ports : 0);
    if (Array.isArray(p.targets)) for (const t of p.targets) targets.add(String(t));
    if (typeof p.kind === 'string') kinds.add(p.kind);
  }
  const kind = kinds.size === 1 ? [...kinds][0] : 'mixed';
  return `${plural(probes, 'probe')} to ${plural(ports, 'port')} on ${plural(targets.size, 'host')} (${kind} scan)`;
}

/** One scan folded: the resets it caused, its probes and ports, the answers by cause, examples and a hint. */
function scanLines(scan: ScanFold, patterns: readonly Pattern[], style: Style): string {
  const g = scan.resets;
  const when = g.firstTs === g.lastTs ? clockTime(g.firstTs) : `${clockTime(g.firstTs)} – ${clockTime(g.lastTs)}`;
  const targets = new Set([...scan.serversByCause.values()].flat().map((s) => s.slice(0, s.lastIndexOf(':'))));
  const hosts = targets.size === 1 ? [...targets][0] : `${countText(targets.size)} hosts`;
  let text = `  ${style.bold(`${countText(g.count)}×`)} ${style.cyan('port scan')} from ${scan.source} → ${hosts}  (${verdictText(g, style)})  ${when}
`;
  text += `     ${scanFacts(scan.source, patterns)}; its resets by cause:
`;
  const causes = [...scan.byCause.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [cause, n] of causes) {
    const servers = scan.serversByCause.get(cause) ?? [];
    const answer = SCAN_ANSWERS[cause] ?? causeText(cause);
    text += `       ${countText(n)} ${style.cyan(cause)} (${answer}): port${servers.length > 1 ? 's' : ''} ${portsText(servers, n > servers.length)}
`;
  }
  const evidence = [...g.evidence.entries()].sort((a, b) => b[1] - a[1]).map(([code]) => code);
  const more = g.count > g.frames.length ? ', …' : '';
  text += style.dim(`     evidence: ${evidence.slice(0, 5).join(', ') || 'none'} · frames ${g.frames.join(', ')}${more}; ${g.conns.join(', ')}
`);
  text += `     ${style.green('▸')} ${scan.source} scanned ${hosts}: check whether that scan is expected; its resets are the answers, not faults${scan.byCause.has('scan_probe') ? ' (the ports it reset after a SYN-ACK are open)' : ''}.
`;
  if (g.consequences > 0) text += style.dim(`     + ${plural(g.consequences, 'follow-up reset')} (after_reset)
`);
  return text;
}

function patternLine(p: Pattern, style: Style): string {
  return `  ${style.cyan(String(p.type))}: ${String(p.text ?? '')}\n`;
}

/** Every reset with its evidence (`--verbose`); a scan's resets say so. */
function verboseReset(r: Reset, multi: boolean, style: Style, scanSources: ReadonlySet<string>): string {
  const frame = multi ? `${r.capture}:${r.frame}` : String(r.frame);
  const verdict = r.verdict === 'forged' ? style.red(r.verdict) : r.verdict === 'suspect' ? style.yellow(r.verdict) : (r.verdict ?? '-');
  let text = `${style.bold(r.id)}  frame ${frame}  ${isoTime(r.ts)}  ${endpointText(r.src, r.sport)} → ${endpointText(r.dst, r.dport)}  ${r.flags.join(',')}`;
  text += `  ttl ${r.ttl}${r.ip_id === null ? '' : `  ip_id ${r.ip_id}`}  seq ${r.seq}  ack ${r.ack}  win ${r.win}  len ${r.payload_len}\n`;
  const confidence = r.confidence === null ? '' : `, confidence ${r.confidence}`;
  const rule = r.rule === undefined ? '' : ` · rule ${r.rule}`;
  text += `    ${r.stage ?? '-'} · ${style.cyan(r.cause ?? '-')} · ${verdict} (origin ${r.origin ?? '-'}${confidence}) · ${r.signature ?? ''} · ${r.conn ?? 'no connection'}${rule}\n`;
  if (r.parent !== undefined) text += `    ↳ follows ${r.parent.id} (frame ${multi ? `${r.parent.capture}:` : ''}${r.parent.frame})\n`;
  if (isProbeReset(r) && scanSources.has(clientOf(r))) text += `    ↳ part of the port scan from ${clientOf(r)}\n`;
  if (r.duplicates) text += `    seen ${r.duplicates + 1} times in the capture (duplicates folded)\n`;
  if (r.reason_text !== null) text += `    reason text: "${escapeControl(r.reason_text)}"\n`;
  if (r.kernel !== undefined) text += `    kernel: ${kernelFindingText(r.kernel)}\n`;
  for (const e of r.evidence) text += `    - ${e.code}: ${e.detail}\n`;
  if (r.hint) text += `    ${style.green('▸')} ${r.hint}\n`;
  return text;
}

/** Writes the text report. */
export async function writeText(out: Output, findings: Findings, style: Style, options: TextOptions = {}): Promise<void> {
  const s = findings.summary;
  const multi = findings.inputs.length > 1;
  await out.write(factsBlock(findings.inputs, s, style, options.verbose === true));
  if (s.interrupted === true) await out.write(style.yellow('Interrupted: this report covers what was read before the signal.\n'));
  let digest = options.digest;
  if (digest === undefined) {
    digest = new TextDigest(multi);
    for (const line of findings.resets.lines()) digest.add(JSON.parse(line) as Reset);
  }
  const { groups, causeVerdicts, listed, connectionsWithResets } = digest;
  await out.write(`\n${style.bold(`${plural(s.resets, 'TCP reset')}`)} in ${plural(connectionsWithResets, 'connection')}\n`);
  if (s.filtered_out !== undefined) {
    const f = s.filtered_out;
    await out.write(style.dim(`  filtered out (--host/--net/--port/--since/--until): ${plural(f.resets, 'reset')}, ${plural(f.connections, 'connection')}\n`));
  }
  if (listed === 0) return;
  await out.write(summaryBlock(s, causeVerdicts, listed, style));
  if (s.kernel !== undefined) await out.write(`  ${kernelSummaryText(s.kernel)}\n`);

  const shown = options.groups ?? 8;
  const scanSources = scanSourcesOf(findings.patterns);
  const { groups: sorted, scans } = groups.view(scanSources);
  await out.write(`\n${style.bold('What happened')} (resets grouped by cause and server${scans.length > 0 ? '; a port scan\'s on one line' : ''})\n`);
  for (const scan of scans.slice(0, shown)) await out.write(scanLines(scan, findings.patterns, style));
  // Each row's time carries its date where the day changes from the row above (the first row: from the capture's first day).
  let previous = firstTsOf(findings.inputs);
  for (const g of sorted.slice(0, shown)) {
    await out.write(groupLines(g, style, previous));
    previous = g.lastTs;
  }
  const hidden = [...sorted.slice(shown), ...scans.slice(shown).map((s) => s.resets)];
  const hiddenResets = hidden.reduce((n, g) => n + g.count, 0) + [...groups.overflow.values()].reduce((a, b) => a + b, 0);
  if (hiddenResets > 0) {
    const groupCount = hidden.length + (groups.overflow.size > 0 ? groups.overflow.size : 0);
    await out.write(style.dim(`  … and ${plural(hiddenResets, 'more reset')} in ${plural(groupCount, 'more group')} (--verbose lists every reset)\n`));
  }

  if (findings.patterns.length > 0) {
    await out.write(`\n${style.bold('Patterns')}\n`);
    for (const p of findings.patterns) await out.write(patternLine(p, style));
  }

  if (options.verbose) {
    await out.write(`\n${style.bold('Every reset')}\n`);
    for (const line of findings.resets.lines()) await out.write(verboseReset(JSON.parse(line) as Reset, multi, style, scanSources));
  } else {
    const example = sorted[0]?.conns[0];
    const tip = example ? `; "whyreset explain <capture> --conn ${example}" draws a connection as a ladder` : '';
    await out.write(style.dim(`\n--verbose lists each reset with its evidence${tip}; --format json|csv|zeek for tools\n`));
  }
}
