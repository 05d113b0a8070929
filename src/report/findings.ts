/**
 * Findings of a run held for rendering: resets and connections as serialized JSON lines in
 * spools (bounded memory), patterns and the summary in memory. Renderers read only this.
 */
import type { InputSummary, PathReport, Pattern, Summary } from '../model/report.js';
import { Spool } from '../pipeline/spool.js';
import { JsonSpool } from './jsonSpool.js';
import type { Output } from './output.js';
import { RowSpool } from './rowSpool.js';

/** Everything a renderer needs, gathered by the CLI's sink. */
export class Findings {
  /** Resets and connections are written by JsonBytes (pushJson): their JSON straight as UTF-8. */
  readonly resets = new JsonSpool('reset');
  readonly connections = new JsonSpool('connection');
  /** Ladders of the connections that reset, one JSON line each (only when a renderer asked for them). */
  readonly ladders = new Spool();
  /**
   * Report rows rendered as the findings arrive (csv rows, Zeek conn.log lines), in output form:
   * written as they are, without a JSON line per finding to parse back (analyze fills it only
   * when nothing else needs the JSON).
   */
  readonly rows = new RowSpool();
  readonly patterns: Pattern[] = [];
  inputs: InputSummary[] = [];
  summary: Summary = { packets: 0, tcp_packets: 0, connections: 0, resets: 0, by_stage: {}, by_cause: {}, by_verdict: {} };
  /** The capture points' order and clocks (correlation only). */
  path: PathReport | null = null;

  /** Frees the spools' temporary files. */
  dispose(): void {
    this.resets.dispose();
    this.connections.dispose();
    this.ladders.dispose();
    this.rows.dispose();
  }
}

/** Writes a spool of rendered rows (Findings.rows) as its bytes, between `head` and `tail`. */
export async function writeRows(out: Output, head: string, rows: Spool, tail: string): Promise<void> {
  if (head !== '') await out.write(head);
  // A chunk is valid only until the next is read: writeNow writes it (or copies it) at once.
  for (const chunk of rows.chunks()) if (!out.writeNow(chunk)) await out.drained();
  if (tail !== '') await out.write(tail);
}
