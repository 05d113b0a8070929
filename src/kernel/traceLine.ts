/**
 * Parses the lines of a tracefs `trace_pipe`: the default text output of the tcp tracepoints
 * (include/trace/events/tcp.h), of trace markers, and of whyreset's kprobe events on
 * nf_send_reset / nf_send_reset6. A line is
 *   `<comm>-<pid> [<cpu>] <flags> <seconds>.<micro>: <event>: <fields>`
 * where `<comm>` may hold spaces and dashes; anything else gives null (never an exception).
 */
import type { KernelEventKind } from './traceRecord.js';

/** An event line, its fields still as the kernel printed them. */
export interface ParsedEventLine {
  kind: 'event';
  event: KernelEventKind;
  /** Trace clock, seconds. */
  traceTs: number;
  comm: string;
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
  state: string | null;
  reason: string | null;
}

/** A `trace_marker` line (whyreset writes these to sample the trace clock). */
export interface ParsedMarkerLine {
  kind: 'marker';
  traceTs: number;
  text: string;
}

/**
 * A raw or packet socket being created (syscalls:sys_enter_socket, filtered in the kernel to
 * AF_PACKET and SOCK_RAW): something that can send a RST without the TCP stack.
 */
export interface ParsedSocketLine {
  kind: 'socket';
  traceTs: number;
  comm: string;
  pid: number;
  family: number;
  type: number;
}

/** What a trace_pipe line was. */
export type ParsedTraceLine = ParsedEventLine | ParsedMarkerLine | ParsedSocketLine;

/** `sys_socket(family: 0x11, type: 0x80003, protocol: 0)`: syscall events print their arguments in hex or decimal. */
const SOCKET_CALL = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+):\s+sys_socket\(family: (0x[0-9a-f]+|\d+), type: (0x[0-9a-f]+|\d+)/;

const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(\S+\s+)?(\d+\.\d+):\s+([\w.]+):\s?(.*)$/;

/** The kprobe event names whyreset defines (group `whyreset_<pid>`, see tracefs.ts). */
const NF_EVENTS = new Set(['nf_send_reset', 'nf_send_reset6']);

/** Parses one trace_pipe line; null for lines of other events or that do not parse. */
export function parseTraceLine(line: string): ParsedTraceLine | null {
  const call = SOCKET_CALL.exec(line);
  if (call !== null) {
    return { kind: 'socket', traceTs: Number(call[4]), comm: call[1] ?? '', pid: Number(call[2]), family: Number(call[5]), type: Number(call[6]) };
  }
  const m = LINE.exec(line);
  if (m === null) return null;
  const comm = m[1] ?? '';
  const traceTs = Number(m[5]);
  const name = m[6] ?? '';
  const rest = m[7] ?? '';
  if (!Number.isFinite(traceTs)) return null;
  if (name === 'tracing_mark_write') return { kind: 'marker', traceTs, text: rest.trim() };
  const fields = keyValues(rest);
  if (name === 'tcp_send_reset' || name === 'tcp_bad_csum') {
    const src = endpointOf(fields.get('src'));
    const dst = endpointOf(fields.get('dest'));
    if (src === null || dst === null) return null;
    const state = fields.get('state');
    return {
      kind: 'event',
      event: name === 'tcp_send_reset' ? 'send_reset' : 'bad_csum',
      traceTs,
      comm,
      src: src.addr,
      sport: src.port,
      dst: dst.addr,
      dport: dst.port,
      state: state === undefined || state === 'UNKNOWN' ? null : state,
      reason: fields.get('reason') ?? null,
    };
  }
  if (name === 'tcp_receive_reset') return receiveReset(fields, traceTs, comm);
  if (NF_EVENTS.has(name)) {
    return { kind: 'event', event: 'nf_send_reset', traceTs, comm, src: null, sport: null, dst: null, dport: null, state: null, reason: null };
  }
  return null;
}

/**
 * tcp_receive_reset prints the socket's own side as `saddr:sport` (TP_STORE_ADDR_PORTS of the
 * socket): the RST came from `daddr:dport`. `saddr`/`daddr` are 0.0.0.0 for an IPv6 socket; the
 * v6 fields hold v4-mapped addresses for IPv4 ones.
 */
function receiveReset(fields: Map<string, string>, traceTs: number, comm: string): ParsedEventLine | null {
  const family = fields.get('family');
  const v6 = family === 'AF_INET6';
  const local = v6 ? fields.get('saddrv6') : fields.get('saddr');
  const remote = v6 ? fields.get('daddrv6') : fields.get('daddr');
  const sport = Number(fields.get('sport'));
  const dport = Number(fields.get('dport'));
  if (local === undefined || remote === undefined || !Number.isInteger(sport) || !Number.isInteger(dport)) return null;
  return {
    kind: 'event',
    event: 'receive_reset',
    traceTs,
    comm,
    src: normalAddress(remote),
    sport: dport,
    dst: normalAddress(local),
    dport: sport,
    state: null,
    reason: null,
  };
}

/** `key=value` pairs separated by spaces (the tcp tracepoints' values never hold spaces). */
function keyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** `%pISpc` output: `1.2.3.4:80` or `[2001:db8::1]:80`; null when it does not parse. */
export function endpointOf(text: string | undefined): { addr: string; port: number } | null {
  if (text === undefined) return null;
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  if (m === null) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { addr: normalAddress(m[1] ?? ''), port };
}

/** An address as captures show it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4, IPv6 lower-case. */
export function normalAddress(addr: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped) return mapped[1] ?? addr;
  return addr.toLowerCase();
}
