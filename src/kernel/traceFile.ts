/**
 * Reads a trace file written by `whyreset trace` (NDJSON: header, events, maybe an end record)
 * into a LoadedTrace: the header with the final clock mapping and hosts, and the events with
 * wall-clock times recomputed from that mapping.
 */
import { readFileSync } from 'node:fs';
import { wallTime } from './clock.js';
import type { KernelEventRecord, TraceEnd, TraceHeader, TraceRecord } from './traceRecord.js';

/** A trace file, ready for matching. */
export interface LoadedTrace {
  path: string;
  header: TraceHeader;
  /** Events in trace-clock order, `ts` mapped with the header's (or end record's) clock. */
  events: KernelEventRecord[];
  /** Wall-clock interval the trace covered. */
  started: number;
  ended: number;
}

/** A trace file that could not be read, with the reason. */
export class TraceFileError extends Error {}

/** Parses the text of a trace file. */
export function parseTraceText(path: string, text: string): LoadedTrace {
  const records: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as TraceRecord);
    } catch {
      throw new TraceFileError(`${path}: line ${i + 1} is not JSON`);
    }
  }
  const first = records[0];
  if (first === undefined || first.type !== 'header' || first.tool?.name !== 'whyreset') {
    throw new TraceFileError(`${path}: not a whyreset trace (the first line must be its header record; see "whyreset trace --help")`);
  }
  let header: TraceHeader = first;
  const end = records.find((r): r is TraceEnd => r.type === 'end');
  if (end !== undefined) header = { ...header, ended: end.ended, clock: end.clock, hosts: end.hosts, command_status: end.command_status };
  const events = records
    .filter((r): r is KernelEventRecord => r.type === 'event')
    .map((e) => ({ ...e, ts: wallTime(header.clock, e.trace_ts) }))
    .sort((a, b) => a.trace_ts - b.trace_ts);
  const lastEvent = events.length > 0 ? (events[events.length - 1]?.ts ?? header.started) : header.started;
  // A stream cut off before its end record: the trace is known to have run until its last event.
  const ended = header.ended ?? lastEvent;
  return { path, header, events, started: header.started, ended };
}

/** Reads and parses one trace file. */
export function loadTraceFile(path: string): LoadedTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TraceFileError(`${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseTraceText(path, text);
}

/** `--kernel-trace FILE[,FILE…]` (repeatable) as a list of paths. */
export function traceFileList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
}
