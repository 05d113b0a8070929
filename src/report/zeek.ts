/**
 * Zeek conn.log writers: the ASCII (TSV) form with Zeek's header block, and the JSON form
 * (one object per line, Zeek's dotted field names), so that Zeek users can diff and load
 * whyreset's connections with their own tools. Streaming-friendly: a header, one line per
 * connection, a footer. Field rules follow scripts/base/protocols/conn/main.zeek (set_conn):
 * duration, orig_bytes and resp_bytes are set only when duration > 0; history only when
 * non-empty; missed_bytes defaults to 0; local_orig/local_resp only with Site::local_nets.
 */
import type { Connection } from '../model/report.js';
import { charCodeAt } from './byteRows.js';
import type { RowBytes } from './rowBytes.js';

/** Options shared by both forms. */
export interface ZeekLogOptions {
  /** Time written in `#open` (default: now). */
  open?: Date;
  /** Time written in `#close` (default: now). */
  close?: Date;
  /** Predicate for Site::local_nets; when absent local_orig/local_resp are unset, as in Zeek without local_nets. */
  isLocal?: (addr: string) => boolean;
}

/** The conn.log columns in Zeek's order. */
export const ZEEK_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
] as const;

/** Their Zeek types, for `#types`. */
export const ZEEK_CONN_TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
] as const;

const SEP = '\t';
const UNSET = '-';
const EMPTY = '(empty)';

/** Zeek's log timestamp format for #open/#close: %Y-%m-%d-%H-%M-%S (UTC here). */
function zeekDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** The header block of an ASCII conn.log. */
export function zeekConnHeader(opts: ZeekLogOptions = {}): string {
  return (
    '#separator \\x09\n' +
    '#set_separator\t,\n' +
    `#empty_field\t${EMPTY}\n` +
    `#unset_field\t${UNSET}\n` +
    '#path\tconn\n' +
    `#open\t${zeekDate(opts.open ?? new Date())}\n` +
    `#fields\t${ZEEK_CONN_FIELDS.join(SEP)}\n` +
    `#types\t${ZEEK_CONN_TYPES.join(SEP)}\n`
  );
}

/** The footer of an ASCII conn.log. */
export function zeekConnFooter(opts: ZeekLogOptions = {}): string {
  return `#close\t${zeekDate(opts.close ?? new Date())}\n`;
}

/** Zeek's ASCII escaping of a string value: separators and non-printables as \xHH. */
function escapeString(s: string): string {
  if (s === '') return EMPTY;
  if (s === UNSET) return '\\x2d';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x5c) {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
    } else out += s[i];
  }
  return out;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The values of one conn.log record, null meaning unset. */
interface ConnValues {
  ts: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  proto: string;
  service: string | null;
  duration: number | null;
  origBytes: number | null;
  respBytes: number | null;
  connState: string | null;
  localOrig: boolean | null;
  localResp: boolean | null;
  missedBytes: number;
  history: string | null;
  origPkts: number | null;
  origIpBytes: number | null;
  respPkts: number | null;
  respIpBytes: number | null;
}

function valuesOf(c: Connection, opts: ZeekLogOptions): ConnValues {
  const duration = num(c.duration);
  // set_conn: `if ( c$duration > 0secs )` sets duration and both byte counts.
  const hasDuration = duration !== null && duration > 0;
  const history = str(c.history);
  return {
    ts: c.ts,
    uid: str(c.uid) ?? c.id,
    origH: c.orig_h,
    origP: c.orig_p,
    respH: c.resp_h,
    respP: c.resp_p,
    proto: str(c.proto) ?? 'tcp',
    service: str(c.service),
    duration: hasDuration ? duration : null,
    origBytes: hasDuration ? num(c.orig_bytes) : null,
    respBytes: hasDuration ? num(c.resp_bytes) : null,
    connState: str(c.conn_state),
    localOrig: opts.isLocal ? opts.isLocal(c.orig_h) : null,
    localResp: opts.isLocal ? opts.isLocal(c.resp_h) : null,
    missedBytes: num(c.missed_bytes) ?? 0,
    history: history !== null && history !== '' ? history : null,
    origPkts: num(c.orig_pkts),
    origIpBytes: num(c.orig_ip_bytes),
    respPkts: num(c.resp_pkts),
    respIpBytes: num(c.resp_ip_bytes),
  };
}

const t6 = (x: number) => x.toFixed(6);
const cnt = (x: number | null) => (x === null ? UNSET : String(Math.trunc(x)));
const bool = (x: boolean | null) => (x === null ? UNSET : x ? 'T' : 'F');
const s = (x: string | null) => (x === null ? UNSET : escapeString(x));

/** One ASCII conn.log line (with its newline). */
export function zeekConnLine(c: Connection, opts: ZeekLogOptions = {}): string {
  const v = valuesOf(c, opts);
  return `${[
    t6(v.ts),
    s(v.uid),
    v.origH,
    String(v.origP),
    v.respH,
    String(v.respP),
    v.proto,
    s(v.service),
    v.duration === null ? UNSET : t6(v.duration),
    cnt(v.origBytes),
    cnt(v.respBytes),
    s(v.connState),
    bool(v.localOrig),
    bool(v.localResp),
    cnt(v.missedBytes),
    s(v.history),
    cnt(v.origPkts),
    cnt(v.origIpBytes),
    cnt(v.respPkts),
    cnt(v.respIpBytes),
    UNSET,
  ].join(SEP)}\n`;
}

/** A whole ASCII conn.log. */
export function zeekConnLog(connections: Iterable<Connection>, opts: ZeekLogOptions = {}): string {
  let out = zeekConnHeader(opts);
  for (const c of connections) out += zeekConnLine(c, opts);
  return out + zeekConnFooter(opts);
}

/** One line of Zeek's JSON log form (LogAscii::use_json=T): unset fields are left out. */
export function zeekJsonLine(c: Connection, opts: ZeekLogOptions = {}): string {
  const v = valuesOf(c, opts);
  const parts: string[] = [
    `"ts":${t6(v.ts)}`,
    `"uid":${JSON.stringify(v.uid)}`,
    `"id.orig_h":${JSON.stringify(v.origH)}`,
    `"id.orig_p":${v.origP}`,
    `"id.resp_h":${JSON.stringify(v.respH)}`,
    `"id.resp_p":${v.respP}`,
    `"proto":${JSON.stringify(v.proto)}`,
  ];
  if (v.service !== null) parts.push(`"service":${JSON.stringify(v.service)}`);
  if (v.duration !== null) parts.push(`"duration":${t6(v.duration)}`);
  if (v.origBytes !== null) parts.push(`"orig_bytes":${Math.trunc(v.origBytes)}`);
  if (v.respBytes !== null) parts.push(`"resp_bytes":${Math.trunc(v.respBytes)}`);
  if (v.connState !== null) parts.push(`"conn_state":${JSON.stringify(v.connState)}`);
  if (v.localOrig !== null) parts.push(`"local_orig":${v.localOrig}`);
  if (v.localResp !== null) parts.push(`"local_resp":${v.localResp}`);
  parts.push(`"missed_bytes":${Math.trunc(v.missedBytes)}`);
  if (v.history !== null) parts.push(`"history":${JSON.stringify(v.history)}`);
  if (v.origPkts !== null) parts.push(`"orig_pkts":${Math.trunc(v.origPkts)}`);
  if (v.origIpBytes !== null) parts.push(`"orig_ip_bytes":${Math.trunc(v.origIpBytes)}`);
  if (v.respPkts !== null) parts.push(`"resp_pkts":${Math.trunc(v.respPkts)}`);
  if (v.respIpBytes !== null) parts.push(`"resp_ip_bytes":${Math.trunc(v.respIpBytes)}`);
  return `{${parts.join(',')}}\n`;
}

/** A whole JSON conn.log (no header or footer in Zeek's JSON form). */
export function zeekJsonLog(connections: Iterable<Connection>, opts: ZeekLogOptions = {}): string {
  let out = '';
  for (const c of connections) out += zeekJsonLine(c, opts);
  return out;
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const DASH = 0x2d;
const QUOTE = 0x22;

/** True when escapeString gives `s` back as it is: printable ASCII without a backslash, not '' or '-'. */
function plainZeek(s: string): boolean {
  const n = s.length;
  if (n === 0 || (n === 1 && s.charCodeAt(0) === DASH)) return false;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x20 || c >= 0x7f || c === 0x5c) return false;
  }
  return true;
}

/** A string field of the ASCII log (`s`): unset as "-", else escaped. */
function zeekString(w: RowBytes, x: string | null): void {
  if (x === null) w.byte(DASH);
  else if (plainZeek(x)) w.ascii(x);
  else w.text(escapeString(x));
}

/** A value written as the ASCII log's join writes it (String of it; null and undefined as nothing). */
function joinedValue(w: RowBytes, v: unknown): void {
  if (typeof v === 'string') w.text(v);
  else if (typeof v === 'number') w.number(v);
  else if (v !== null && v !== undefined) w.text(String(v));
}

/** A count field (`cnt`). */
function zeekCount(w: RowBytes, x: number | null): void {
  if (x === null) w.byte(DASH);
  else w.number(Math.trunc(x));
}

/** A bool field (`bool`). */
function zeekBool(w: RowBytes, x: boolean | null): void {
  w.byte(x === null ? DASH : x ? 0x54 : 0x46);
}

/** One ASCII conn.log line written into `w`: the bytes of zeekConnLine. */
export function writeZeekConnLine(w: RowBytes, c: Connection, opts: ZeekLogOptions = {}): void {
  const v = valuesOf(c, opts);
  w.ascii(t6(v.ts));
  w.byte(TAB);
  zeekString(w, v.uid);
  w.byte(TAB);
  joinedValue(w, v.origH);
  w.byte(TAB);
  joinedValue(w, v.origP);
  w.byte(TAB);
  joinedValue(w, v.respH);
  w.byte(TAB);
  joinedValue(w, v.respP);
  w.byte(TAB);
  joinedValue(w, v.proto);
  w.byte(TAB);
  zeekString(w, v.service);
  w.byte(TAB);
  if (v.duration === null) w.byte(DASH);
  else w.ascii(t6(v.duration));
  w.byte(TAB);
  zeekCount(w, v.origBytes);
  w.byte(TAB);
  zeekCount(w, v.respBytes);
  w.byte(TAB);
  zeekString(w, v.connState);
  w.byte(TAB);
  zeekBool(w, v.localOrig);
  w.byte(TAB);
  zeekBool(w, v.localResp);
  w.byte(TAB);
  zeekCount(w, v.missedBytes);
  w.byte(TAB);
  zeekString(w, v.history);
  w.byte(TAB);
  zeekCount(w, v.origPkts);
  w.byte(TAB);
  zeekCount(w, v.origIpBytes);
  w.byte(TAB);
  zeekCount(w, v.respPkts);
  w.byte(TAB);
  zeekCount(w, v.respIpBytes);
  w.byte(TAB);
  w.byte(DASH);
  w.byte(NEWLINE);
  w.endRow();
}

/** True when JSON.stringify(s) is `s` in quotes: printable ASCII without a quote or backslash. */
function plainJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x20 || c >= 0x7f || c === QUOTE || c === 0x5c) return false;
  }
  return true;
}

/** `${JSON.stringify(v)}` as a template writes it. */
function jsonValue(w: RowBytes, v: unknown): void {
  if (typeof v === 'string' && plainJson(v)) {
    w.byte(QUOTE);
    w.ascii(v);
    w.byte(QUOTE);
  } else w.text(String(JSON.stringify(v)));
}

/** `${x}` of a number as a template writes it. */
function numberValue(w: RowBytes, x: unknown): void {
  if (typeof x === 'number') w.number(x);
  else w.text(String(x));
}

/** `,"key":` of a field of Zeek's JSON form (`{"key":` for the first). */
function jsonKey(key: string, first = false): Uint8Array {
  return new Uint8Array(Buffer.from(first ? `{"${key}":` : `,"${key}":`));
}

/** The keys of Zeek's JSON form, encoded once. */
const K = {
  ts: jsonKey('ts', true),
  uid: jsonKey('uid'),
  origH: jsonKey('id.orig_h'),
  origP: jsonKey('id.orig_p'),
  respH: jsonKey('id.resp_h'),
  respP: jsonKey('id.resp_p'),
  proto: jsonKey('proto'),
  service: jsonKey('service'),
  duration: jsonKey('duration'),
  origBytes: jsonKey('orig_bytes'),
  respBytes: jsonKey('resp_bytes'),
  connState: jsonKey('conn_state'),
  localOrig: jsonKey('local_orig'),
  localResp: jsonKey('local_resp'),
  missedBytes: jsonKey('missed_bytes'),
  history: jsonKey('history'),
  origPkts: jsonKey('orig_pkts'),
  origIpBytes: jsonKey('orig_ip_bytes'),
  respPkts: jsonKey('resp_pkts'),
  respIpBytes: jsonKey('resp_ip_bytes'),
} as const;
const TRUE = new Uint8Array(Buffer.from('true'));
const FALSE = new Uint8Array(Buffer.from('false'));
const LINE_END = new Uint8Array([0x7d, NEWLINE]);

/** A count of the JSON form (`Math.trunc`), when set. */
function jsonCount(w: RowBytes, key: Uint8Array, x: number | null): void {
  if (x === null) return;
  w.bytes(key);
  w.number(Math.trunc(x));
}

/** One line of Zeek's JSON log form written into `w`: the bytes of zeekJsonLine. */
export function writeZeekJsonLine(w: RowBytes, c: Connection, opts: ZeekLogOptions = {}): void {
  const v = valuesOf(c, opts);
  w.bytes(K.ts);
  w.ascii(t6(v.ts));
  w.bytes(K.uid);
  jsonValue(w, v.uid);
  w.bytes(K.origH);
  jsonValue(w, v.origH);
  w.bytes(K.origP);
  numberValue(w, v.origP);
  w.bytes(K.respH);
  jsonValue(w, v.respH);
  w.bytes(K.respP);
  numberValue(w, v.respP);
  w.bytes(K.proto);
  jsonValue(w, v.proto);
  if (v.service !== null) {
    w.bytes(K.service);
    jsonValue(w, v.service);
  }
  if (v.duration !== null) {
    w.bytes(K.duration);
    w.ascii(t6(v.duration));
  }
  jsonCount(w, K.origBytes, v.origBytes);
  jsonCount(w, K.respBytes, v.respBytes);
  if (v.connState !== null) {
    w.bytes(K.connState);
    jsonValue(w, v.connState);
  }
  if (v.localOrig !== null) {
    w.bytes(K.localOrig);
    w.bytes(v.localOrig ? TRUE : FALSE);
  }
  if (v.localResp !== null) {
    w.bytes(K.localResp);
    w.bytes(v.localResp ? TRUE : FALSE);
  }
  jsonCount(w, K.missedBytes, v.missedBytes);
  if (v.history !== null) {
    w.bytes(K.history);
    jsonValue(w, v.history);
  }
  jsonCount(w, K.origPkts, v.origPkts);
  jsonCount(w, K.origIpBytes, v.origIpBytes);
  jsonCount(w, K.respPkts, v.respPkts);
  jsonCount(w, K.respIpBytes, v.respIpBytes);
  w.bytes(LINE_END);
  w.endRow();
}
