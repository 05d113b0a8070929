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
import { JsonBytes } from '../report/jsonBytes.js';
import type { RowWriter } from './analyzeFile.js';
import { withExtra } from './rows.js';
import type { ResultTable } from './schema.js';

/** What goes over a document's closing brace when it has an `extra` member. */
const EXTRA_NAME = ',"extra":';

/** Bytes buffered per table before a write (a few writes per MB of rows). */
const WRITE_BUFFER_BYTES = 1 << 18;

/** The JSON writer's buffer (one document at a time: it grows for a larger one). */
const JSON_WRITER_BYTES = 1 << 16;
/** Each document's end. */
const NEWLINE = new Uint8Array([0x0a]);
/** `{"extra":`: the start of a document with an `extra` member, which JsonBytes writes before the row's own members. */
const EXTRA_HEAD = Buffer.from('{"extra":');
/** Distinct `extra` heads kept encoded (a reset's is its `rule`: a few dozen names). */
const MAX_EXTRA_HEADS = 256;

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
  /** Row objects as JSON bytes (object()); its lines go to `target`'s buffer. */
  private readonly json = new JsonBytes((bytes, start, end) => this.append(bytes, start, end), JSON_WRITER_BYTES);
  private target: SpoolFile | null = null;
  /** `{"extra":<extra>` encoded, per `extra` JSON. */
  private readonly extraHeads = new Map<string, Uint8Array>();

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
    const f = this.fileOf(table);
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
    this.counted(table, f, ts);
  }

  /**
   * `value` (a plain object: a Reset or Connection) as its row document, written as JSON bytes
   * straight into the table's buffer by report/jsonBytes.ts (byte for byte JSON.stringify's, and
   * what analyze's JSON report uses), with `extra` (JSON, or null) as its first member. A
   * document made as a string first (row()) cost the main thread the string, its flattening
   * when encoded (JSON.stringify builds a long result as a rope) and the UTF-8 transcoding:
   * ~21 MB more allocated than `analyze --format json` on the 128 MiB bench prefix, 49 against
   * 30 young-generation collections.
   */
  object(table: ResultTable['name'], value: object, ts: number | null, extra: string | null = null): void {
    const f = this.fileOf(table);
    this.target = f;
    this.json.line(table, value, NEWLINE, extra === null ? null : this.extraHead(extra));
    this.json.flush();
    this.counted(table, f, ts);
  }

  /** The table's spool file, opened at its first row. */
  private fileOf(table: ResultTable['name']): SpoolFile {
    let f = this.files.get(table);
    if (f === undefined) {
      const path = join(this.dir, table);
      f = { path, fd: this.open(path), written: 0, buffer: Buffer.allocUnsafe(WRITE_BUFFER_BYTES), used: 0, rows: 0, days: new Set() };
      this.files.set(table, f);
      this.days.set(table, f.days);
    }
    return f;
  }

  /** One more row of `table` written (at time `ts`): counted, its day noted, the segment cut when full. */
  private counted(table: ResultTable['name'], f: SpoolFile, ts: number | null): void {
    f.rows++;
    if (ts !== null) f.days.add(Math.floor(ts / 86400));
    if (f.written + f.used >= this.segmentBytes) this.cut(table, f);
  }

  /** Complete documents from the JSON writer, into the target table's buffer (or its file, when larger than the buffer). */
  private append(bytes: Uint8Array, start: number, end: number): void {
    const f = this.target as SpoolFile;
    const n = end - start;
    if (f.used + n > WRITE_BUFFER_BYTES) this.flush(f);
    if (n > WRITE_BUFFER_BYTES) {
      let done = 0;
      while (done < n) done += writeSync(f.fd, bytes, start + done, n - done);
      f.written += n;
    } else {
      f.buffer.set(bytes.subarray(start, end), f.used);
      f.used += n;
    }
  }

  /** `{"extra":` and `extra`'s bytes, kept for the next row with the same `extra`. */
  private extraHead(extra: string): Uint8Array {
    let head = this.extraHeads.get(extra);
    if (head === undefined) {
      const text = Buffer.from(extra);
      head = new Uint8Array(EXTRA_HEAD.length + text.length);
      head.set(EXTRA_HEAD);
      head.set(text, EXTRA_HEAD.length);
      if (this.extraHeads.size < MAX_EXTRA_HEADS) this.extraHeads.set(extra, head);
    }
    return head;
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
