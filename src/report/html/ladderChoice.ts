/**
 * Which connections' ladders the HTML report can draw, decided while the run goes, so that the
 * ladders it cannot draw are never built (a 200k-connection flood built and spooled 200k ladders
 * for the 20 drawn: ~0.5 s of its 8 s). writeHtml.ts draws the first N ladders per cause, a
 * connection's cause being that of the first of its reset lines that ResetsByConnection (the join
 * of the ladders and resets spools) hands it. This replays that join on what has been spooled so
 * far — the start of each run of reset lines of one connection (its connection and cause), and
 * the ladders in order — exactly as ResetsByConnection will take it, look-ahead and all:
 * - a ladder whose join ends within the resets spooled so far has its cause, hence whether it is
 *   among the first N of its cause: the one case it is left out (a stub line in the ladders spool);
 * - a ladder whose join would read resets not spooled yet (orders that differ, a connection whose
 *   resets a filter dropped) is built, and so is every later one until that join ends.
 * A ladder with a forged or suspect reset is always built: the TTL chart reads its packets.
 * writeHtml.ts checks that no stub is ever chosen.
 */
import type { Reset } from '../../model/report.js';
import { JOIN_LOOKAHEAD } from './limits.js';
import { peekField } from './resetsByConnection.js';

/** Ladders whose join waits for later resets, or runs of resets no ladder has read, before the replay gives up (and builds every ladder). */
export const MAX_PENDING = 100_000;

/** The ladders spool's line for a connection whose ladder was left out. */
export function leftOutLadderLine(conn: string): string {
  return `{"conn":${JSON.stringify(conn)},"drawn":false}`;
}

/** The start and end of leftOutLadderLine's lines. */
const LEFT_OUT_START = '{"conn":"';
const LEFT_OUT_END = ',"drawn":false}';

/** The connection of a ladders spool line (peekField's `conn`, read straight from leftOutLadderLine's). */
export function ladderConn(line: string): string {
  if (line.startsWith(LEFT_OUT_START) && isLeftOutLadder(line)) {
    const value = line.slice(LEFT_OUT_START.length - 1, line.length - LEFT_OUT_END.length);
    // Without a backslash the string's text lies between its quotes.
    return value.includes('\\') ? (JSON.parse(value) as string) : value.slice(1, -1);
  }
  return peekField(line, 'conn') ?? '';
}

/** Whether a ladders spool line is one of leftOutLadderLine's. */
export function isLeftOutLadder(line: string): boolean {
  return line.endsWith(LEFT_OUT_END) && !line.includes('"packets":');
}

/** Whether the TTL chart reads a connection's ladder (SpoofTtlChart.addLadder counts only these). */
function ttlChartReads(resets: readonly Reset[]): boolean {
  for (let i = 0; i < resets.length; i++) {
    const v = (resets[i] as Reset).verdict;
    if (v === 'forged' || v === 'suspect') return true;
  }
  return false;
}

/** The join's replay: run starts not yet read, the groups passed over, the ladders not resolved. */
export class LadderChoice {
  /** Connection and cause of each run of reset lines not yet read by the join, from `head`. */
  private runConns: (string | null)[] = [];
  private runCauses: string[] = [];
  private head = 0;
  /** Connection of the last reset line (undefined before the first). */
  private lastConn: string | null | undefined = undefined;
  /** As ResetsByConnection.waiting: connection → cause of its first line passed over. */
  private readonly waiting = new Map<string, string>();
  /** Ladders whose join has not ended, in order from `first`; the first one's is under way. */
  private pending: string[] = [];
  private first = 0;
  /** Set once the replay gave up (giveUp): every later ladder is built, nothing more is replayed. */
  private lost = false;
  private readonly recorded = new Map<string, number>();

  constructor(
    private readonly perCause: number,
    private readonly lookahead = JOIN_LOOKAHEAD,
  ) {}

  /** One reset line spooled (in spool order). */
  reset(conn: string | null, cause: string | null): void {
    if (conn === this.lastConn || this.lost) return;
    this.lastConn = conn;
    this.runConns.push(conn);
    this.runCauses.push(cause ?? 'unexplained');
    if (this.first < this.pending.length) this.resolvePending();
    // Runs no ladder reads (a sink that is never asked): stop replaying rather than keep them all.
    else if (this.runConns.length - this.head > MAX_PENDING) this.giveUp();
  }

  /**
   * A connection's ladder, in ladders spool order (after its resets): true when it cannot be
   * drawn, so it need not be built (the caller spools leftOutLadderLine instead).
   */
  leftOut(conn: string, resets: readonly Reset[]): boolean {
    if (this.lost) return false;
    if (this.first < this.pending.length) {
      this.wait(conn);
      return false;
    }
    const cause = this.waited(conn) ?? this.scan(conn);
    if (cause === undefined) {
      this.wait(conn);
      return false;
    }
    return !this.record(cause) && !ttlChartReads(resets);
  }

  /** Queues a ladder whose join has not ended; past MAX_PENDING of them, stops replaying. */
  private wait(conn: string): void {
    this.pending.push(conn);
    if (this.pending.length - this.first > MAX_PENDING) this.giveUp();
  }

  /** Stops replaying: every later ladder is built. */
  private giveUp(): void {
    this.lost = true;
    this.pending = [];
    this.runConns = [];
    this.runCauses = [];
    this.head = 0;
    this.waiting.clear();
  }

  /** Counts a ladder under its cause: true when it is among the first N of it. */
  private record(cause: string): boolean {
    const n = this.recorded.get(cause) ?? 0;
    this.recorded.set(cause, n + 1);
    return n < this.perCause;
  }

  /** As ResetsByConnection.take's first step: the cause of a group passed over earlier. */
  private waited(conn: string): string | undefined {
    const cause = this.waiting.get(conn);
    if (cause !== undefined) this.waiting.delete(conn);
    return cause;
  }

  /** As ResetsByConnection.take's forward scan, over the runs spooled so far: the cause, or undefined when they ran out. */
  private scan(conn: string): string | undefined {
    const conns = this.runConns;
    while (this.head < conns.length) {
      const i = this.head++;
      const c = conns[i] as string | null;
      const cause = this.runCauses[i] as string;
      if (c === conn) {
        this.compact();
        return cause;
      }
      if (c === null) continue;
      if (this.waiting.has(c)) continue;
      this.waiting.set(c, cause);
      if (this.waiting.size > this.lookahead) this.waiting.delete(this.waiting.keys().next().value as string);
    }
    this.compact();
    return undefined;
  }

  /** Ends the joins that the new runs end, in order (their ladders were built; they are counted). */
  private resolvePending(): void {
    const pending = this.pending;
    while (this.first < pending.length) {
      const cause = this.scan(pending[this.first] as string);
      if (cause === undefined) return;
      this.record(cause);
      this.first++;
      // The next ladder's join starts as take does: with the groups passed over.
      while (this.first < pending.length) {
        const waited = this.waited(pending[this.first] as string);
        if (waited === undefined) break;
        this.record(waited);
        this.first++;
      }
    }
    this.pending.length = 0;
    this.first = 0;
  }

  /** Drops the runs read (all of them, or once many are). */
  private compact(): void {
    if (this.head === this.runConns.length) {
      this.runConns.length = 0;
      this.runCauses.length = 0;
      this.head = 0;
    } else if (this.head >= 4096) {
      this.runConns = this.runConns.slice(this.head);
      this.runCauses = this.runCauses.slice(this.head);
      this.head = 0;
    }
  }
}
