/**
 * Zeek conn.log writers: the ASCII (TSV) form with Zeek's header block, and the JSON form
 * (one object per line, Zeek's dotted field names), so that Zeek users can diff and load
 * whyreset's connections with their own tools. Streaming-friendly: a header, one line per
 * connection, a footer. Field rules follow scripts/base/protocols/conn/main.zeek (set_conn):
 * duration, orig_bytes and resp_bytes are set only when duration > 0; history only when
 * non-empty; missed_bytes defaults to 0; local_orig/local_resp only with Site::local_nets.
 */
import type { Connection } from '../model/report.js';

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
