/**
 * The terminal report: what was read, then one compact row per reset (frame, time, endpoints,
 * flags, TTL, IP ID, seq/ack, window, payload), then the counts. Renders Findings only.
 */
import type { Findings } from './findings.js';
import type { InputSummary, Reset } from './model.js';
import type { Output } from './output.js';
import type { Style } from './style.js';

/** Formats epoch seconds as an ISO-8601 UTC time with microseconds. */
export function isoTime(ts: number): string {
  const whole = Math.floor(ts);
  const micros = Math.round((ts - whole) * 1e6);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function describeInput(input: InputSummary, index: number, style: Style): string {
  const span = input.first_ts !== null && input.last_ts !== null ? `${isoTime(input.first_ts)} → ${isoTime(input.last_ts)}` : 'no packets';
  const gz = input.compressed ? ', gzip' : '';
  const errors = input.errors.length > 0 ? style.red(`, ${input.errors.length} error(s)`) : '';
  return `[${index}] ${input.path}  ${input.format}${gz}, link ${input.linktypes.join('/') || '-'}, ${input.packets} packets, ${input.bytes} bytes, ${span}${errors}\n`;
}

/** One table row for a reset. */
function resetRow(r: Reset, multi: boolean): string[] {
  return [
    multi ? `${r.capture}:${r.frame}` : String(r.frame),
    isoTime(r.ts).slice(11),
    endpoint(r.src, r.sport),
    endpoint(r.dst, r.dport),
    r.stage ?? '-',
    r.cause ?? '-',
    r.verdict ?? '-',
    r.flags.join(','),
    String(r.ttl),
    r.ip_id === null ? '-' : String(r.ip_id),
    String(r.seq),
    String(r.ack),
    String(r.win),
    String(r.payload_len),
  ];
}

const HEADER = ['frame', 'time (UTC)', 'source', 'destination', 'stage', 'cause', 'verdict', 'flags', 'ttl', 'ip_id', 'seq', 'ack', 'win', 'len'];
/** Rows measured for column widths before the first is printed; later rows are padded to these or overflow. */
const WIDTH_SAMPLE = 2000;

/** Writes the text report. */
export async function writeText(out: Output, findings: Findings, style: Style): Promise<void> {
  for (let i = 0; i < findings.inputs.length; i++) {
    await out.write(describeInput(findings.inputs[i] as InputSummary, i, style));
  }
  const s = findings.summary;
  await out.write(`${style.bold(`${s.resets} TCP reset(s)`)} in ${s.connections} connections, ${s.tcp_packets} TCP packets of ${s.packets} packets\n`);
  if (s.resets === 0) return;
  const byCause = Object.entries(s.by_cause).sort((a, b) => b[1] - a[1]);
  if (byCause.length > 0) {
    await out.write(`by cause:   ${byCause.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    const verdicts = Object.entries(s.by_verdict).map(([k, n]) => (k === 'forged' ? style.red(`${k} ${n}`) : k === 'suspect' ? style.yellow(`${k} ${n}`) : `${k} ${n}`));
    await out.write(`by verdict: ${verdicts.join(', ')}\n`);
  }
  for (const p of findings.patterns) await out.write(`${style.cyan(String(p.type))}: ${String(p.text ?? '')}\n`);
  const multi = findings.inputs.length > 1;
  const widths = HEADER.map((h) => h.length);
  const sample: string[][] = [];
  for (const line of findings.resets.lines()) {
    const row = resetRow(JSON.parse(line) as Reset, multi);
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
    sample.push(row);
    if (sample.length >= WIDTH_SAMPLE) break;
  }
  const format = (row: string[]) => `${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`;
  await out.write(`\n${style.bold(format(HEADER).trimEnd())}\n`);
  let n = 0;
  for (const line of findings.resets.lines()) {
    const row = n < sample.length ? (sample[n] as string[]) : resetRow(JSON.parse(line) as Reset, multi);
    n++;
    await out.write(format(row));
  }
}
