/**
 * `--format ndjson` as the analysis runs: each reset and connection is written when the
 * pipeline releases it (when its connection ends, in capture time), each input's line when that
 * input is read, and the summary last, so a pipeline can follow a live capture
 * (`tcpdump -w - | whyreset analyze - --format ndjson | jq …`). Lines gathered while a chunk of
 * input is parsed go out together once the event loop turns (one write per chunk, not per line);
 * while the output is backed up, `pace` holds the reading back, so memory stays bounded.
 */
import type { Connection, InputSummary, Pattern, Reset, Summary } from '../model/report.js';
import { VERSION } from '../version.js';
import { ndjsonLine } from './json.js';
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

/** Streams ndjson lines to an Output as findings arrive. */
export class NdjsonStream {
  private lines: string[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private outstanding = 0;
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
    this.push(ndjsonLine('reset', JSON.stringify(r)));
  }

  /** One connection, once all of its resets are out. */
  connection(conn: Connection): void {
    this.counts.connections++;
    this.advance(conn.ts + (conn.duration ?? 0));
    this.push(ndjsonLine('connection', JSON.stringify(conn)));
  }

  /** One input, when it has been read. */
  input(input: InputSummary): void {
    this.push(ndjsonLine('input', JSON.stringify(input)));
  }

  /** One pattern (patterns are found when a stream of captures ends). */
  pattern(p: Pattern): void {
    this.push(ndjsonLine('pattern', JSON.stringify(p)));
  }

  /** A `summary` line with `"partial": true` and the counts of what was written so far (`--summary-every`). */
  partialSummary(nowMs = Date.now()): void {
    this.counts.written_at = Math.round(nowMs) / 1000;
    this.push(ndjsonLine('summary', JSON.stringify(this.counts)));
  }

  /**
   * What reading waits for before its next chunk: the writes under way, while there are any
   * (they wait in turn for a backed-up output to drain); null when nothing is outstanding.
   */
  readonly pace = (): Promise<void> | null => (this.outstanding > 0 || this.lines.length > 0 ? this.writing : null);

  /** Writes the final summary (complete only now) and waits until every line is handed on. */
  async end(summary: Summary): Promise<void> {
    this.push(ndjsonLine('summary', JSON.stringify({ tool: { name: 'whyreset', version: VERSION }, ...summary })));
    this.flushNow();
    await this.writing;
  }

  private advance(ts: number): void {
    if (Number.isFinite(ts) && (this.counts.last_ts === null || ts > this.counts.last_ts)) this.counts.last_ts = ts;
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current chunk's records: one write for all the lines they released.
    setImmediate(() => this.flushNow());
  }

  private flushNow(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.outstanding++;
    this.writing = this.writing.then(async () => {
      await this.out.write(text);
      await this.out.flush();
      this.outstanding--;
    });
  }
}
