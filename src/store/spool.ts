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
import type { Connection, Reset } from '../model/report.js';
import { JsonBytes } from '../report/jsonBytes.js';
import type { RowWriter } from './analyzeFile.js';
import { connectionExtra, resetExtra } from './rows.js';
import type { ResultTable } from './schema.js';

/** What goes over a document's closing brace when it has an `extra` member. */
const EXTRA_NAME = ',"extra":';

/** What ends each document. */
const NEWLINE = new Uint8Array([0x0a]);

/** Bytes buffered per table before a write (a few writes per MB of rows). */
const WRITE_BUFFER_BYTES = 1 << 18;

/**
 * A table's documents as UTF-8 in a reused buffer (report/jsonBytes.ts JsonBytes: byte for byte
 * JSON.stringify's), handed to the table's file by `drain` a buffer at a time.
 */
class SpoolBytes extends JsonBytes {
  /** Bytes in the buffer not yet written to the file (complete documents: each ends its row). */
  get pending(): number {
    return this.at;
  }

  /** A document given as text, with `extra` (JSON) spliced in over its closing brace as rows.ts withExtra does, then its newline. */
  doc(doc: string, extra: string | null): void {
    this.text(doc);
    if (extra !== null) {
      this.at--;
      this.text(EXTRA_NAME);
      this.text(extra);
      this.byte(0x7d);
    }
    this.byte(0x0a);
    this.endRow();
  }
}

/** One table's spool file and its write buffer. */
interface SpoolFile {
  /** The file being written (the table's current segment). */
  path: string;
  fd: number;
  /** Bytes written to `path` so far. */
  written: number;
  bytes: SpoolBytes;
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

  /** The table's spool file, opened at its first row. */
  private fileOf(table: ResultTable['name']): SpoolFile {
    let f = this.files.get(table);
    if (f === undefined) {
      const path = join(this.dir, table);
      const file: SpoolFile = {
        path,
        fd: this.open(path),
        written: 0,
        bytes: new SpoolBytes((bytes, start, end) => {
          for (let done = start; done < end; ) done += writeSync(file.fd, bytes, done, end - done);
          file.written += end - start;
        }, WRITE_BUFFER_BYTES),
        rows: 0,
        days: new Set(),
      };
      f = file;
      this.files.set(table, f);
      this.days.set(table, f.days);
    }
    return f;
  }

  /**
   * Encodes the document into the table's buffer at once, so that no row string outlives this
   * call: strings held until a batched write survived V8's young-generation collections (the bin
   * caps a semi-space at 2 MiB) and were promoted, which cost a reset flood's ingest ~0.5 s of
   * CPU in old-generation collections (80k resets of ~900 bytes and 80k connections).
   */
  row(table: ResultTable['name'], doc: string, ts: number | null, extra: string | null = null): void {
    const f = this.fileOf(table);
    f.bytes.doc(doc, extra);
    this.written(table, f, ts);
  }

  /**
   * A reset's document written from the object (JsonBytes#line, the bytes of JSON.stringify),
   * not from a string: JSON.stringify built each reset as a two-byte string (its signature's
   * "→") that was then encoded to UTF-8 again.
   */
  resetRow(r: Reset): void {
    const f = this.fileOf('resets');
    const extra = resetExtra(r);
    if (extra === null) {
      f.bytes.line('resets', r, NEWLINE);
    } else f.bytes.doc(JSON.stringify(r), extra);
    this.written('resets', f, r.ts);
  }

  /** A connection's document written from the record (JsonBytes#connectionLine, the bytes of JSON.stringify). */
  connectionRow(c: Connection): void {
    const f = this.fileOf('connections');
    const extra = connectionExtra(c);
    if (extra === null) f.bytes.connectionLine('connections', c, NEWLINE);
    else f.bytes.doc(JSON.stringify(c), extra);
    this.written('connections', f, c.ts);
  }

  /** Counts the row just written, its day, and cuts the table's segment once it is large enough. */
  private written(table: ResultTable['name'], f: SpoolFile, ts: number | null): void {
    f.rows++;
    if (ts !== null) f.days.add(Math.floor(ts / 86400));
    if (f.written + f.bytes.pending >= this.segmentBytes) this.cut(table, f);
  }

  private flush(f: SpoolFile): void {
    f.bytes.flush();
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
    for (const [table, f] of this.files) if (f.written + f.bytes.pending > 0) this.cut(table, f);
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
