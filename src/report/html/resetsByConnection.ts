/**
 * Joins the ladders spool with the resets spool without holding either: a run writes each
 * connection's resets, then its ladder, so both spools list connections in the same order and
 * one forward pass over the resets serves every ladder. Groups passed over (resets of a
 * connection without a ladder) wait in a bounded look-ahead in case the orders ever differ.
 * Lines are grouped unparsed: only the few connections drawn need their resets parsed.
 */

import { JOIN_LOOKAHEAD } from './limits.js';

export { JOIN_LOOKAHEAD } from './limits.js';

/** The reset lines (JSON) of one connection, consecutive in the spool. */
export interface ResetGroup {
  conn: string | null;
  lines: string[];
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

/** Hands out each connection's reset lines as the ladders ask for them, in one forward pass. */
export class ResetsByConnection {
  private readonly waiting = new Map<string, string[]>();
  private readonly groups: Iterator<ResetGroup>;

  constructor(
    groups: Iterable<ResetGroup>,
    private readonly lookahead = JOIN_LOOKAHEAD,
  ) {
    this.groups = groups[Symbol.iterator]();
  }

  /** The reset lines of `conn` (empty when none are found within the look-ahead). */
  take(conn: string): string[] {
    const waited = this.waiting.get(conn);
    if (waited) {
      this.waiting.delete(conn);
      return waited;
    }
    for (;;) {
      const next = this.groups.next();
      if (next.done) return [];
      const g = next.value;
      if (g.conn === conn) return g.lines;
      if (g.conn === null) continue;
      // The same connection can come back later (it never does from runAnalysis): append.
      const before = this.waiting.get(g.conn);
      if (before) before.push(...g.lines);
      else this.waiting.set(g.conn, g.lines);
      if (this.waiting.size > this.lookahead) {
        const oldest = this.waiting.keys().next().value as string;
        this.waiting.delete(oldest);
      }
    }
  }
}
