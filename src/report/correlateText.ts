/**
 * The terminal report of `whyreset correlate`: the capture points in path order with their
 * clock offsets, then every reset with where it was seen and where it was born. Renders
 * Findings only (correlation computed everything).
 */
import { endpointText } from '../decode/address.js';
import type { ClockOffset, PathReport, Reset, Sighting } from '../model/report.js';
import type { Findings } from './findings.js';
import { kernelSummaryText } from './kernelText.js';
import type { Output } from './output.js';
import type { Style } from './style.js';
import { escapeControl } from './terminalText.js';
import { isoTime } from './text.js';

/** A count with thousands separators. */
function countText(n: number): string {
  return n.toLocaleString('en-US');
}

/** Time of day with microseconds. */
function clockTime(ts: number): string {
  return isoTime(ts).slice(11, 26);
}

/** A short duration: "3 µs", "1.2 ms", "0.35 s". */
function durationText(s: number): string {
  if (s < 1e-3) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(1)} ms`;
  return `${s.toFixed(2)} s`;
}

/** Signed seconds with microseconds, "+3.500012 s". */
export function offsetText(s: number): string {
  return `${s < 0 ? '−' : '+'}${Math.abs(s).toFixed(6)} s`;
}

/** A point's name with its capture number, "router [1]". */
function pointLabel(path: PathReport, capture: number): string {
  return `${path.points[capture]?.name ?? `capture ${capture}`} [${capture}]`;
}

/** One pair of points: offset, delay, matched packets. */
function pairLine(path: PathReport, p: ClockOffset): string {
  const names = `${pointLabel(path, p.a)} → ${pointLabel(path, p.b)}`;
  if (p.offset === null) return `  ${names}: no packet seen at both\n`;
  const delay = p.delay === null ? 'one-way delay unknown (packets matched one way only)' : `one-way delay ${durationText(p.delay)}`;
  return `  ${names}: clock offset ${offsetText(p.offset)}, ${delay}, ${countText(p.matched)} packets matched (${countText(p.a_to_b)} passed ${path.points[p.a]?.name} first, ${countText(p.b_to_a)} ${path.points[p.b]?.name} first)\n`;
}

/** The path block: order, clocks, notes. */
export function pathBlock(path: PathReport, style: Style): string {
  const how = path.order_source === 'given' ? 'as given by --order' : 'inferred from TTL decrements and timing';
  let text = `${style.bold('Path')} (from the side that opens connections to the side that accepts them, ${how}):\n`;
  text += `  ${path.order.map((c) => pointLabel(path, c)).join(' → ')}\n`;
  const ref = path.order[0];
  if (ref !== undefined) {
    text += `${style.bold('Clocks')} (offset to add to a time of ${pointLabel(path, ref)} to get each point's clock):\n`;
    for (const c of path.order) {
      const o = path.points[c]?.offset;
      text += `  ${pointLabel(path, c)}: ${o === null || o === undefined ? 'unknown' : offsetText(o)}\n`;
    }
  }
  for (const p of path.offsets) text += pairLine(path, p);
  for (const n of path.notes) text += style.yellow(`  note: ${n}\n`);
  return text;
}

/** "router frame 29 (ttl 255, out only)". */
function sightingText(path: PathReport, s: Sighting): string {
  const parts = [`ttl ${s.ttl}`];
  if (s.forwarded) parts.push(`in, then out as frame ${s.forwarded.frame} ttl ${s.forwarded.ttl}`);
  else if (s.pkttype === 'out') parts.push('out only');
  else if (s.pkttype === 'in') parts.push('in');
  return `${path.points[s.capture]?.name ?? s.capture} frame ${s.frame} ${clockTime(s.ts)} (${parts.join(', ')})`;
}

/** One reset: what, where seen, where born, the hint. */
function resetLines(path: PathReport, r: Reset, style: Style): string {
  const verdict = r.verdict === 'forged' ? style.red(r.verdict) : r.verdict === 'suspect' ? style.yellow(r.verdict) : (r.verdict ?? '-');
  let text = `  ${style.bold(r.id)}  ${endpointText(r.src, r.sport)} → ${endpointText(r.dst, r.dport)}  ${r.flags.join(',')}  ${r.stage ?? '-'} · ${style.cyan(r.cause ?? '-')} · ${verdict} (origin ${r.origin ?? '-'})\n`;
  if (r.seen_at && r.seen_at.length > 0) text += `     seen at: ${r.seen_at.map((s) => sightingText(path, s)).join(' → ')}\n`;
  else text += `     seen at: ${path.points[r.capture]?.name ?? r.capture} frame ${r.frame} (not correlated)\n`;
  if (r.born) text += `     ${r.born.conclusive ? style.bold('born:') : 'born:'} ${r.born.text}\n`;
  if (r.hint) text += `     ${style.green('▸')} ${r.hint}\n`;
  return text;
}

/** Writes the correlation report. */
export async function writeCorrelateText(out: Output, findings: Findings, style: Style): Promise<void> {
  const s = findings.summary;
  let head = `${style.bold('whyreset correlate')}: ${findings.inputs.length} captures, ${countText(s.packets)} packets (${countText(s.tcp_packets)} TCP)\n`;
  findings.inputs.forEach((input, i) => {
    const errors = input.errors.length > 0 ? style.red(`, ${input.errors.length} error(s) (see stderr)`) : '';
    head += `  [${i}] ${escapeControl(input.path)}  ${countText(input.packets)} packets${errors}\n`;
  });
  await out.write(head);
  if (findings.path !== null) await out.write(`\n${pathBlock(findings.path, style)}`);
  const sightings = s.rst_sightings ?? s.resets;
  await out.write(`\n${style.bold(`${countText(s.resets)} TCP reset${s.resets === 1 ? '' : 's'}`)} (${countText(sightings)} RST packets at the capture points)\n`);
  if (s.kernel !== undefined) await out.write(`  ${kernelSummaryText(s.kernel)}\n`);
  const path = findings.path;
  if (path === null) return;
  for (const line of findings.resets.lines()) await out.write(resetLines(path, JSON.parse(line) as Reset, style));
}
