import { VERSION } from '../version.js';
/** `--format json`: the Report of DESIGN.md as one JSON document, one reset or connection per line. */
import type { Findings } from './findings.js';
import type { Connection, Evidence, Reset } from './model.js';
import type { Output } from './output.js';
import type { Spool } from './spool.js';

/** Writes the whole Report; resets and connections stream from their spools. */
export async function writeJson(out: Output, findings: Findings): Promise<void> {
  await out.write(`{"tool":${JSON.stringify({ name: 'whyreset', version: VERSION })},\n`);
  await out.write(`"inputs":${JSON.stringify(findings.inputs)},\n`);
  await out.write(`"summary":${JSON.stringify(findings.summary)},\n`);
  await writeSpooled(out, 'resets', findings.resets);
  await out.write(',\n');
  await writeSpooled(out, 'connections', findings.connections);
  await out.write(',\n');
  await writeArray(out, 'patterns', findings.patterns.map((p) => JSON.stringify(p)));
  await out.write('}\n');
}

/**
 * A spooled array, copied as bytes: every "\n" that ends a line becomes ",\n" except the last
 * (a raw newline never occurs inside a JSON line: JSON.stringify escapes it).
 */
async function writeSpooled(out: Output, name: string, spool: Spool): Promise<void> {
  await out.write(`"${name}":[`);
  if (spool.count === 0) {
    await out.write(']');
    return;
  }
  await out.write('\n');
  let pendingNewline = false;
  for (const chunk of spool.chunks()) {
    if (chunk.length === 0) continue;
    if (pendingNewline) await out.write(',\n');
    // Lines end with "\n": a comma goes before each newline but the chunk's last (memchr via indexOf).
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const body = buf[buf.length - 1] === 0x0a ? buf.length - 1 : buf.length;
    pendingNewline = body < buf.length;
    let newlines = 0;
    for (let i = buf.indexOf(0x0a); i >= 0 && i < body; i = buf.indexOf(0x0a, i + 1)) newlines++;
    const joined = Buffer.allocUnsafe(body + newlines);
    let o = 0;
    let from = 0;
    for (let i = buf.indexOf(0x0a); i >= 0 && i < body; i = buf.indexOf(0x0a, i + 1)) {
      o += buf.copy(joined, o, from, i);
      joined[o++] = 0x2c; // ","
      joined[o++] = 0x0a;
      from = i + 1;
    }
    buf.copy(joined, o, from, body);
    await out.writeBytes(joined);
  }
  await out.write('\n]');
}

async function writeArray(out: Output, name: string, lines: Iterable<string>): Promise<void> {
  await out.write(`"${name}":[`);
  let first = true;
  for (const line of lines) {
    await out.write(first ? `\n${line}` : `,\n${line}`);
    first = false;
  }
  await out.write(first ? ']' : '\n]');
}

/**
 * `--format ndjson`: one object per line with a "type": every `input`, then every `reset`,
 * `connection` and `pattern`, and the `summary` last (it is complete only at the end).
 */
export async function writeNdjson(out: Output, findings: Findings): Promise<void> {
  const typed = (type: string, json: string) => (json === '{}' ? `{"type":"${type}"}\n` : `{"type":"${type}",${json.slice(1)}\n`);
  for (const input of findings.inputs) await out.write(typed('input', JSON.stringify(input)));
  for (const line of findings.resets.lines()) await out.write(typed('reset', line));
  for (const line of findings.connections.lines()) await out.write(typed('connection', line));
  for (const p of findings.patterns) await out.write(typed('pattern', JSON.stringify(p)));
  await out.write(typed('summary', JSON.stringify({ tool: { name: 'whyreset', version: VERSION }, ...findings.summary })));
}

/** Characters JSON.stringify would escape in a string (quote, backslash, controls, lone surrogate halves). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON.stringify writes it; plain text (the usual case) skips the escaper. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A number as JSON.stringify writes it. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function jsonStringOrNull(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

function jsonNumberOrNull(n: number | null): string {
  return n === null ? 'null' : jsonNumber(n);
}

function jsonStrings(a: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) out += i === 0 ? jsonString(a[i] as string) : `,${jsonString(a[i] as string)}`;
  return `${out}]`;
}

function jsonEvidence(a: readonly Evidence[]): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    const e = a[i] as Evidence;
    out += `${i === 0 ? '' : ','}{"code":${jsonString(e.code)},"detail":${jsonString(e.detail)}}`;
  }
  return `${out}]`;
}

/** Own keys of a Reset as explainReset builds it, in order. */
const RESET_KEYS = 27;

/**
 * `JSON.stringify(reset)`, byte for byte, written for the fixed Reset shape: twice as fast,
 * and a flood writes one per connection. Any other shape (a field added) goes to JSON.stringify.
 */
export function resetJson(r: Reset): string {
  if (Object.keys(r).length !== RESET_KEYS) return JSON.stringify(r);
  return (
    `{"id":${jsonString(r.id)},"ts":${jsonNumber(r.ts)},"capture":${jsonNumber(r.capture)},"frame":${jsonNumber(r.frame)}` +
    `,"conn":${jsonStringOrNull(r.conn)},"src":${jsonString(r.src)},"sport":${jsonNumber(r.sport)},"dst":${jsonString(r.dst)}` +
    `,"dport":${jsonNumber(r.dport)},"from":${jsonStringOrNull(r.from)},"flags":${jsonStrings(r.flags)},"ttl":${jsonNumber(r.ttl)}` +
    `,"ip_id":${jsonNumberOrNull(r.ip_id)},"seq":${jsonNumber(r.seq)},"ack":${jsonNumber(r.ack)},"win":${jsonNumber(r.win)}` +
    `,"payload_len":${jsonNumber(r.payload_len)},"stage":${jsonStringOrNull(r.stage)},"cause":${jsonStringOrNull(r.cause)}` +
    `,"verdict":${jsonStringOrNull(r.verdict)},"origin":${jsonStringOrNull(r.origin)},"confidence":${jsonNumberOrNull(r.confidence)}` +
    `,"evidence":${jsonEvidence(r.evidence)},"signature":${jsonStringOrNull(r.signature)},"hint":${jsonStringOrNull(r.hint)}` +
    `,"reason_text":${jsonStringOrNull(r.reason_text)},"mptcp_reason":${r.mptcp_reason === null ? 'null' : JSON.stringify(r.mptcp_reason)}}`
  );
}

/** Own keys of a Connection as the tracker and explainConnection build it, without radar_category. */
const CONNECTION_KEYS = 19;

/** `JSON.stringify(connection)`, byte for byte, for the fixed Connection shape (see resetJson). */
export function connectionJson(c: Connection): string {
  const n = Object.keys(c).length;
  const radar = c.radar_category;
  if (!(n === CONNECTION_KEYS && radar === undefined) && !(n === CONNECTION_KEYS + 1 && typeof radar === 'string')) return JSON.stringify(c);
  return (
    `{"id":${jsonString(c.id)},"ts":${jsonNumber(c.ts)},"orig_h":${jsonString(c.orig_h)},"orig_p":${jsonNumber(c.orig_p)}` +
    `,"resp_h":${jsonString(c.resp_h)},"resp_p":${jsonNumber(c.resp_p)},"duration":${jsonNumber(c.duration)}` +
    `,"orig_bytes":${jsonNumber(c.orig_bytes)},"resp_bytes":${jsonNumber(c.resp_bytes)},"orig_pkts":${jsonNumber(c.orig_pkts)}` +
    `,"resp_pkts":${jsonNumber(c.resp_pkts)},"conn_state":${jsonString(c.conn_state)},"history":${jsonString(c.history)}` +
    `,"resets":${jsonStrings(c.resets)},"capture":${jsonNumber(c.capture)},"proto":${jsonString(c.proto as string)}` +
    `,"missed_bytes":${jsonNumber(c.missed_bytes as number)},"orig_ip_bytes":${jsonNumber(c.orig_ip_bytes as number)}` +
    `,"resp_ip_bytes":${jsonNumber(c.resp_ip_bytes as number)}${radar === undefined ? '' : `,"radar_category":${jsonString(radar as string)}`}}`
  );
}
