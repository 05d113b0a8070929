/**
 * A file's row documents spooled to local disk while it is analysed, one file per table (one JSON
 * document per line), so that the transaction that stores them opens only when the analysis is
 * done (short, and for PostgreSQL after the day partitions it needs exist) and this process never
 * holds the rows in memory. PostgreSQL reads them back in batches; DuckDB reads each file itself
 * (`read_ndjson`).
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
  fd: number;
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
  private closed = false;
  /** UTC days (days since the epoch) of every row, per table. */
  readonly days = new Map<ResultTable['name'], Set<number>>();

  /**
   * Encodes the document into the table's buffer at once, so that no row string outlives this
   * call: strings held until a batched write survived V8's young-generation collections (the bin
   * caps a semi-space at 2 MiB) and were promoted, which cost a reset flood's ingest ~0.5 s of
   * CPU in old-generation collections (80k resets of ~900 bytes and 80k connections).
   */
  row(table: ResultTable['name'], doc: string, ts: number | null, extra: string | null = null): void {
    let f = this.files.get(table);
    if (f === undefined) {
      f = { fd: openSync(join(this.dir, table), 'w'), buffer: Buffer.allocUnsafe(WRITE_BUFFER_BYTES), used: 0, rows: 0, days: new Set() };
      this.files.set(table, f);
      this.days.set(table, f.days);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; the `extra` member adds its 9-byte name; one more for the newline.
    const worst = (doc.length + (extra === null ? 0 : extra.length)) * 3 + EXTRA_NAME.length + 1;
    if (f.used + worst > WRITE_BUFFER_BYTES) this.flush(f);
    if (worst > WRITE_BUFFER_BYTES) writeSync(f.fd, `${withExtra(doc, extra)}\n`);
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
  }

  private flush(f: SpoolFile): void {
    let done = 0;
    while (done < f.used) done += writeSync(f.fd, f.buffer, done, f.used - done);
    f.used = 0;
  }

  /** Writes what is buffered and closes the files (before reading them back); once. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files.values()) {
      this.flush(f);
      closeSync(f.fd);
    }
  }

  /** The file holding `table`'s documents (after finish()), or null when the analysis gave it no row. */
  pathOf(table: ResultTable['name']): string | null {
    return this.files.has(table) ? join(this.dir, table) : null;
  }

  /** The documents of `table` in batches of up to `size`, in the order they were written. */
  async *batches(table: ResultTable['name'], size: number): AsyncGenerator<string[]> {
    if (!this.files.has(table)) return;
    // Loaded here: only PostgreSQL reads the documents back (DuckDB reads the files itself).
    const { createInterface } = process.getBuiltinModule('node:readline');
    let batch: string[] = [];
    for await (const line of createInterface({ input: createReadStream(join(this.dir, table)), crlfDelay: Number.POSITIVE_INFINITY })) {
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
    for (const table of this.files.keys()) unlinkSync(join(this.dir, table));
    rmdirSync(this.dir);
  }
}
