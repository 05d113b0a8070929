/**
 * `--format ndjson` as the analysis runs: each reset and connection is written when the
 * pipeline releases it (when its connection ends, in capture time), each input's line when that
 * input is read, and the summary last, so a pipeline can follow a live capture
 * (`tcpdump -w - | whyreset analyze - --format ndjson | jq …`). Lines gathered while a chunk of
 * input is parsed go out together once the event loop turns, or when a megabyte of them is
 * gathered (one write each, not one per line); while the output is backed up, `pace` holds the
 * reading back, so memory stays bounded whatever the number of connections.
 */
import type { Connection, InputSummary, Pattern, Reset, Summary } from '../model/report.js';
import { VERSION } from '../version.js';
import { JsonBytes } from './jsonBytes.js';
import type { Output } from './output.js';

/** The counts of a `summary` line written while the analysis runs (`"partial": true`). */
export interface PartialSummary {
  partial: true;
  /** Wall-clock time of the line, epoch seconds. */
  written_at: number;
  /** Latest capture time among the findings written so far (null before the first). */
  last_ts: number | null;
  connections: number;
  resets: number;
  by_stage: Record<string, number>;
  by_cause: Record<string, number>;
  by_verdict: Record<string, number>;
}

/** The kinds of ndjson line. */
type LineType = 'input' | 'reset' | 'connection' | 'pattern' | 'summary';

/** `{"type":"<type>"` as UTF-8 per kind of line (the head of each line; see pushTyped). */
const LINE_HEADS: Record<LineType, Uint8Array> = {
  input: Buffer.from('{"type":"input"'),
  reset: Buffer.from('{"type":"reset"'),
  connection: Buffer.from('{"type":"connection"'),
  pattern: Buffer.from('{"type":"pattern"'),
  summary: Buffer.from('{"type":"summary"'),
};

/** Bytes of lines gathered before they are written (one write each; the buffer is reused). */
const BATCH_BYTES = 1 << 20;
const NEWLINE = new Uint8Array([0x0a]);

/** Streams ndjson lines to an Output as findings arrive. */
export class NdjsonStream {
  /**
   * Lines not yet written, already UTF-8: each object is encoded by JsonBytes straight into its
   * reused buffer after its line's head (the same bytes as json.ts ndjsonLine over
   * JSON.stringify, without a string per line: a line's parts die young, and what repeats from
   * the line before is copied, not encoded). The buffer's lines are written when it fills, and
   * when the event loop turns.
   */
  private readonly writer = new JsonBytes((bytes, start, end) => this.hand(bytes.subarray(start, end)), BATCH_BYTES);
  private scheduled = false;
  /** Set while the output asks for a pause (a backed-up standard output). */
  private backedUp: Promise<void> | null = null;
  private readonly counts: PartialSummary = { partial: true, written_at: 0, last_ts: null, connections: 0, resets: 0, by_stage: {}, by_cause: {}, by_verdict: {} };

  constructor(private readonly out: Output) {}

  /** One reset, as released (final id). */
  reset(r: Reset): void {
    const c = this.counts;
    c.resets++;
    if (r.stage) c.by_stage[r.stage] = (c.by_stage[r.stage] ?? 0) + 1;
    if (r.cause) c.by_cause[r.cause] = (c.by_cause[r.cause] ?? 0) + 1;
    if (r.verdict) c.by_verdict[r.verdict] = (c.by_verdict[r.verdict] ?? 0) + 1;
    this.advance(r.ts);
    this.pushTyped('reset', r);
  }

  /** One connection, once all of its resets are out. */
  connection(conn: Connection): void {
    this.counts.connections++;
    this.advance(conn.ts + (conn.duration ?? 0));
    this.writer.connectionLine('connection', conn, NEWLINE, LINE_HEADS.connection);
    this.schedule();
  }

  /** One input, when it has been read. */
  input(input: InputSummary): void {
    this.pushTyped('input', input);
  }

  /** One pattern (patterns are found when a stream of captures ends). */
  pattern(p: Pattern): void {
    this.pushTyped('pattern', p);
  }

  /** A `summary` line with `"partial": true` and the counts of what was written so far (`--summary-every`). */
  partialSummary(nowMs = Date.now()): void {
    this.counts.written_at = Math.round(nowMs) / 1000;
    this.pushTyped('summary', this.counts);
  }

  /**
   * What reading waits for before its next chunk: the output draining, while it asks for a pause
   * (a file is written synchronously and never asks); null when nothing is to be waited for.
   */
  readonly pace = (): Promise<void> | null => this.backedUp;

  /** Writes the final summary (complete only now) and waits until every line is handed on. */
  async end(summary: Summary): Promise<void> {
    this.pushTyped('summary', { tool: { name: 'whyreset', version: VERSION }, ...summary });
    this.flushNow();
    await this.out.drained();
  }

  private advance(ts: number): void {
    if (Number.isFinite(ts) && (this.counts.last_ts === null || ts > this.counts.last_ts)) this.counts.last_ts = ts;
  }

  /** One line, `{"type":"<type>"` and the members of `value` (json.ts ndjsonLine's bytes); written once the event loop turns. */
  private pushTyped(type: LineType, value: object): void {
    this.writer.line(type, value, NEWLINE, LINE_HEADS[type]);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current chunk's records, what they released goes out (a live capture's reader
    // hears of each connection within a turn of the event loop, not when the buffer fills).
    setImmediate(() => this.flushNow());
  }

  private flushNow(): void {
    this.scheduled = false;
    this.writer.flush();
  }

  /** Writes bytes now (the output copies them if it must keep them); notes a backed-up output. */
  private hand(bytes: Uint8Array): void {
    if (this.out.writeNow(bytes) || this.backedUp !== null) return;
    this.backedUp = this.out.drained().then(() => {
      this.backedUp = null;
    });
  }
}
