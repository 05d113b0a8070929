/**
 * Joins the ladders spool with the resets spool without holding either: a run writes each
 * connection's resets, then its ladder, so both spools list connections in the same order and
 * one forward pass over the resets serves every ladder. Groups passed over (resets of a
 * connection without a ladder) wait in a bounded look-ahead in case the orders ever differ.
 */
import type { Reset } from '../model.js';

/** Groups kept while looking ahead for a ladder's resets. */
export const JOIN_LOOKAHEAD = 4096;

/** The resets of one connection, consecutive in the spool. */
export interface ResetGroup {
  conn: string | null;
  resets: Reset[];
}

/** Consecutive resets of the same connection, grouped, from the spool's JSON lines. */
export function* resetGroups(lines: Iterable<string>): Generator<ResetGroup> {
  let group: ResetGroup | null = null;
  for (const line of lines) {
    const r = JSON.parse(line) as Reset;
    if (group !== null && group.conn === r.conn) {
      group.resets.push(r);
      continue;
    }
    if (group !== null) yield group;
    group = { conn: r.conn, resets: [r] };
  }
  if (group !== null) yield group;
}

/** The connection id of a ladder's JSON line, read from its start when it is written as runAnalysis writes it. */
export function connOfLadderLine(line: string): string {
  const m = /^\{"conn":("(?:[^"\\]|\\.)*")/.exec(line);
  return m ? (JSON.parse(m[1] as string) as string) : (JSON.parse(line) as { conn: string }).conn;
}

/** Hands out each connection's resets as the ladders ask for them, in one forward pass. */
export class ResetsByConnection {
  private readonly waiting = new Map<string, Reset[]>();
  private readonly groups: Iterator<ResetGroup>;

  constructor(
    groups: Iterable<ResetGroup>,
    private readonly lookahead = JOIN_LOOKAHEAD,
  ) {
    this.groups = groups[Symbol.iterator]();
  }

  /** The resets of `conn` (empty when none are found within the look-ahead). */
  take(conn: string): Reset[] {
    const waited = this.waiting.get(conn);
    if (waited) {
      this.waiting.delete(conn);
      return waited;
    }
    for (;;) {
      const next = this.groups.next();
      if (next.done) return [];
      const g = next.value;
      if (g.conn === conn) return g.resets;
      if (g.conn === null) continue;
      // The same connection can come back later (it never does from runAnalysis): append.
      const before = this.waiting.get(g.conn);
      if (before) before.push(...g.resets);
      else this.waiting.set(g.conn, g.resets);
      if (this.waiting.size > this.lookahead) {
        const oldest = this.waiting.keys().next().value as string;
        this.waiting.delete(oldest);
      }
    }
  }
}
