/**
 * Joins the ladders spool with the resets spool without holding either: a run writes each
 * connection's resets, then its ladder, so both spools list connections in the same order and
 * one forward pass over the resets serves every ladder. Groups passed over (resets of a
 * connection without a ladder) wait in a bounded look-ahead in case the orders ever differ.
 * Lines are grouped unparsed: only the few connections drawn need their resets parsed.
 */

import type { Spool } from '../../pipeline/spool.js';
import { JOIN_LOOKAHEAD } from './limits.js';
import { fieldOfLine } from './resetBytes.js';

export { JOIN_LOOKAHEAD } from './limits.js';

/** The reset lines (JSON) of one connection, consecutive in the spool. */
export interface ResetGroup {
  conn: string | null;
  lines: string[];
  /** peekField of its first line's cause, when the group knows it without its lines (spoolGroups). */
  readonly cause?: string | null;
}

/**
 * The value of a top-level string field of a JSON object line, without parsing the whole line.
 * Safe for Reset and Ladder lines: inside a JSON string a quote is escaped, so an unescaped
 * `"name":` is a key, and no nested object of theirs has keys named like their top-level ones.
 */
export function peekField(line: string, name: string): string | null {
  const at = line.indexOf(`"${name}":`);
  if (at < 0) return (JSON.parse(line) as Record<string, string | null>)[name] ?? null;
  const from = at + name.length + 3;
  if (line.startsWith('null', from)) return null;
  const m = /^"(?:[^"\\]|\\.)*"/.exec(line.slice(from, from + 4096));
  return m ? (JSON.parse(m[0]) as string) : ((JSON.parse(line) as Record<string, string | null>)[name] ?? null);
}

/** Consecutive reset lines of the same connection, grouped. */
export function* resetGroups(lines: Iterable<string>): Generator<ResetGroup> {
  let group: ResetGroup | null = null;
  for (const line of lines) {
    const conn = peekField(line, 'conn');
    if (group !== null && group.conn === conn) {
      group.lines.push(line);
      continue;
    }
    if (group !== null) yield group;
    group = { conn, lines: [line] };
  }
  if (group !== null) yield group;
}

/**
 * What spoolGroups hands each line to first (valid only during the call): `read` returns true when
 * it found the line's `conn` and `cause` (as peekField gives them), false to leave them to spoolGroups.
 */
export interface LineReader {
  read(bytes: Buffer, start: number, end: number): boolean;
  conn: string | null;
  cause: string | null;
}

const CONN_KEY = Buffer.from('"conn":', 'latin1');
const CAUSE_KEY = Buffer.from('"cause":', 'latin1');

/**
 * A group read from a spool's bytes: its lines are decoded only when asked for (most groups are
 * passed over), from where they lie in the spool's current chunk — or, once that chunk is to be
 * left (`settle`), from their decoded text.
 */
class SpoolGroup implements ResetGroup {
  conn: string | null = null;
  cause: string | null = null;
  private bytes: Buffer | null = null;
  /** [start, end) of its lines not yet decoded, in `bytes`. */
  private readonly ranges: number[] = [];
  private decoded: string[] = [];

  /** Starts the group afresh (spoolGroups uses two in turn: the one handed out, the one being read). */
  start(conn: string | null, cause: string | null): this {
    this.conn = conn;
    this.cause = cause;
    this.bytes = null;
    this.ranges.length = 0;
    if (this.decoded.length > 0) this.decoded = [];
    return this;
  }

  add(bytes: Buffer, start: number, end: number): void {
    if (this.bytes !== bytes) this.settle();
    this.bytes = bytes;
    this.ranges.push(start, end);
  }

  /** Decodes the lines still in the chunk (before the chunk is reused). */
  settle(): void {
    const b = this.bytes;
    if (b === null) return;
    const ranges = this.ranges;
    for (let i = 0; i < ranges.length; i += 2) this.decoded.push(b.toString('utf8', ranges[i], ranges[i + 1]));
    ranges.length = 0;
    this.bytes = null;
  }

  get lines(): string[] {
    this.settle();
    return this.decoded;
  }
}

/**
 * resetGroups over a spool of reset lines (each ending with ",\n"), read as bytes: a line's
 * connection is found without decoding it, and a group's lines are decoded only if its lines are
 * read while the spool is still on their chunk (or kept: ResetsByConnection's look-ahead). A
 * group handed out is valid until the next is asked for. `reader`, if given, reads every line first.
 */
export function* spoolGroups(spool: Spool, reader?: LineReader): Generator<ResetGroup> {
  const pair = [new SpoolGroup(), new SpoolGroup()];
  let turn = 0;
  let group: SpoolGroup | null = null;
  for (const chunk of spool.chunks()) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    while (from < bytes.length) {
      let nl = bytes.indexOf(0x0a, from);
      if (nl < 0) nl = bytes.length;
      let end = nl;
      if (end > from && bytes[end - 1] === 0x2c) end--;
      const start = from;
      from = nl + 1;
      if (end <= start) continue;
      const known = reader?.read(bytes, start, end) === true;
      const conn = known ? (reader as LineReader).conn : fieldOfLine(bytes, start, end, 'conn', CONN_KEY);
      if (group !== null && group.conn === conn) {
        group.add(bytes, start, end);
        continue;
      }
      const cause = known ? (reader as LineReader).cause : fieldOfLine(bytes, start, end, 'cause', CAUSE_KEY);
      const next = (pair[turn] as SpoolGroup).start(conn, cause);
      turn ^= 1;
      next.add(bytes, start, end);
      if (group !== null) yield group;
      group = next;
    }
    // The chunk is reused once the next one is read: the open group keeps its text.
    group?.settle();
  }
  if (group !== null) yield group;
}

/** The cause a group's connection is filed under (that of its first reset); null: none found. */
export function causeOfGroup(group: ResetGroup | null): string {
  if (group === null) return 'unexplained';
  if (group.cause !== undefined) return group.cause ?? 'unexplained';
  const first = group.lines[0];
  return first === undefined ? 'unexplained' : (peekField(first, 'cause') ?? 'unexplained');
}

/** Hands out each connection's reset lines as the ladders ask for them, in one forward pass. */
export class ResetsByConnection {
  private readonly waiting = new Map<string, ResetGroup>();
  private readonly groups: Iterator<ResetGroup>;

  constructor(
    groups: Iterable<ResetGroup>,
    private readonly lookahead = JOIN_LOOKAHEAD,
  ) {
    this.groups = groups[Symbol.iterator]();
  }

  /** The reset lines of `conn` (empty when none are found within the look-ahead). */
  take(conn: string): string[] {
    return this.takeGroup(conn)?.lines ?? [];
  }

  /**
   * The group of `conn` (null when none is found within the look-ahead): its lines are valid
   * until the next call.
   */
  takeGroup(conn: string): ResetGroup | null {
    const waited = this.waiting.get(conn);
    if (waited) {
      this.waiting.delete(conn);
      return waited;
    }
    for (;;) {
      const next = this.groups.next();
      if (next.done) return null;
      const g = next.value;
      if (g.conn === conn) return g;
      if (g.conn === null) continue;
      // The same connection can come back later (it never does from runAnalysis): append.
      const before = this.waiting.get(g.conn);
      if (before) before.lines.push(...g.lines);
      else this.waiting.set(g.conn, { conn: g.conn, cause: causeOfGroup(g), lines: [...g.lines] });
      if (this.waiting.size > this.lookahead) {
        const oldest = this.waiting.keys().next().value as string;
        this.waiting.delete(oldest);
      }
    }
  }
}
