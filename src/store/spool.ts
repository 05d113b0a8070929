/**
 * A file's row documents spooled to local disk while it is analysed, one file per table (one JSON
 * document per line), so that this process never holds the rows in memory. PostgreSQL reads them
 * back in batches once the analysis is done (its transaction opens only then, after the day
 * partitions it needs exist). DuckDB takes them in segments (`segmentBytes`): each table's file is
 * cut every so many bytes and handed on, and DuckDB reads each segment itself (`read_ndjson`) on
 * its own thread while this one goes on analysing (src/store/duckFeed.ts).
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowWriter } from './analyzeFile.js';
import { withExtra } from './rows.js';
import type { ResultTable } from './schema.js';

/** What goes over a document's closing brace when it has an `extra` member. */
const EXTRA_NAME = ',"extra":';

/** Bytes buffered per table before a write (a few writes per MB of rows). */
const WRITE_BUFFER_BYTES = 1 << 18;

/** One table's spool file and its write buffer. */
interface SpoolFile {
  /** The file being written (the table's current segment). */
  path: string;
  fd: number;
  /** Bytes written to `path` so far. */
  written: number;
  buffer: Buffer;
  /** Bytes of `buffer` filled. */
  used: number;
  rows: number;
  days: Set<number>;
}

/** Row documents of one analysis on disk, and the UTC days their rows fall on. */
export class RowSpool implements RowWriter {
  private readonly dir = mkdtempSync(join(tmpdir(), 'whyreset-spool-'));
  private readonly files = new Map<ResultTable['name'], SpoolFile>();
  /** Every file made, segments handed on included (removed by remove()). */
  private readonly made: string[] = [];
  private closed = false;
  /** UTC days (days since the epoch) of every row, per table. */
  readonly days = new Map<ResultTable['name'], Set<number>>();
  /** Every complete segment so far (closed, never written again), in order per table; the last ones by finish(). */
  readonly segments: [ResultTable['name'], string][] = [];
  /** Called with each segment as it is complete (those before it was set are in `segments`). */
  onSegment: ((table: ResultTable['name'], file: string) => void) | null = null;

  /** Whether finish() was called: the analysis has ended, segments handed on from now are its last. */
  get finished(): boolean {
    return this.closed;
  }

  /** Without `segmentBytes`, one file per table, read back after finish() (pathOf, batches). */
  constructor(private readonly segmentBytes = Number.POSITIVE_INFINITY) {}

  private open(path: string): number {
    this.made.push(path);
    return openSync(path, 'w');
  }

  /**
   * Encodes the document into the table's buffer at once, so that no row string outlives this
   * call: strings held until a batched write survived V8's young-generation collections (the bin
   * caps a semi-space at 2 MiB) and were promoted, which cost a reset flood's ingest ~0.5 s of
   * CPU in old-generation collections (80k resets of ~900 bytes and 80k connections).
   */
  row(table: ResultTable['name'], doc: string, ts: number | null, extra: string | null = null): void {
    let f = this.files.get(table);
    if (f === undefined) {
      const path = join(this.dir, table);
      f = { path, fd: this.open(path), written: 0, buffer: Buffer.allocUnsafe(WRITE_BUFFER_BYTES), used: 0, rows: 0, days: new Set() };
      this.files.set(table, f);
      this.days.set(table, f.days);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; the `extra` member adds its 9-byte name; one more for the newline.
    const worst = (doc.length + (extra === null ? 0 : extra.length)) * 3 + EXTRA_NAME.length + 1;
    if (f.used + worst > WRITE_BUFFER_BYTES) this.flush(f);
    if (worst > WRITE_BUFFER_BYTES) f.written += writeSync(f.fd, `${withExtra(doc, extra)}\n`);
    else {
      f.used += f.buffer.write(doc, f.used);
      // `extra` spliced in over the closing brace, as rows.ts withExtra does to a string.
      if (extra !== null) {
        f.used += f.buffer.write(EXTRA_NAME, f.used - 1, 'latin1') - 1;
        f.used += f.buffer.write(extra, f.used);
        f.buffer[f.used++] = 0x7d;
      }
      f.buffer[f.used++] = 0x0a;
    }
    f.rows++;
    if (ts !== null) f.days.add(Math.floor(ts / 86400));
    if (f.written + f.used >= this.segmentBytes) this.cut(table, f);
  }

  private flush(f: SpoolFile): void {
    let done = 0;
    while (done < f.used) done += writeSync(f.fd, f.buffer, done, f.used - done);
    f.written += f.used;
    f.used = 0;
  }

  private handOn(table: ResultTable['name'], file: string): void {
    this.segments.push([table, file]);
    this.onSegment?.(table, file);
  }

  /** Hands the table's segment on (flushed, closed) and starts its next one in a new file. */
  private cut(table: ResultTable['name'], f: SpoolFile): void {
    this.flush(f);
    closeSync(f.fd);
    this.handOn(table, f.path);
    f.path = join(this.dir, `${table}.${this.made.length}`);
    f.fd = this.open(f.path);
    f.written = 0;
  }

  /**
   * The file has been read: every table's rows so far are handed on as a segment now, not when
   * 2 MiB more have come, so that DuckDB inserts them while this thread ends the connections
   * still open (at the end of a capture: ~half of the 128 MiB bench prefix's connections come
   * in its last 13 %, session 9) instead of after the analysis, in series.
   */
  inputRead(): void {
    if (this.closed || this.segmentBytes === Number.POSITIVE_INFINITY) return;
    for (const [table, f] of this.files) if (f.written + f.used > 0) this.cut(table, f);
  }

  /** Writes what is buffered and closes the files (before reading them back); once. Hands each table's last segment on when it holds rows. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [table, f] of this.files) {
      this.flush(f);
      closeSync(f.fd);
      if (f.written > 0 && this.segmentBytes !== Number.POSITIVE_INFINITY) this.handOn(table, f.path);
    }
  }

  /** The file holding `table`'s documents (after finish(); one file per table, without segments), or null when the analysis gave it no row. */
  pathOf(table: ResultTable['name']): string | null {
    return this.files.get(table)?.path ?? null;
  }

  /** The documents of `table` in batches of up to `size`, in the order they were written. */
  async *batches(table: ResultTable['name'], size: number): AsyncGenerator<string[]> {
    const path = this.pathOf(table);
    if (path === null) return;
    // Loaded here: only PostgreSQL reads the documents back (DuckDB reads the files itself).
    const { createInterface } = process.getBuiltinModule('node:readline');
    let batch: string[] = [];
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })) {
      batch.push(line);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * Closes the files if finish() did not, and removes them. Never closes a descriptor twice: its
   * number may already belong to another open file of this process.
   */
  remove(): void {
    if (!this.closed) {
      this.closed = true;
      for (const f of this.files.values()) closeSync(f.fd);
    }
    // File by file: the directory holds only the tables' files, and a recursive rmSync loads
    // Node's rimraf, fs/promises and readline (~3 ms of start-up with the bin's V8 flags).
    for (const file of this.made) unlinkSync(file);
    rmdirSync(this.dir);
  }
}
