/**
 * A file's row documents spooled to local disk while it is analysed, one file per table, so that
 * the PostgreSQL transaction that stores them opens only when the analysis is done (short, and
 * after the day partitions it needs exist) and this process never holds the rows in memory.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RowWriter } from './analyzeFile.js';
import type { ResultTable } from './schema.js';

/** Characters buffered per table before a write (a few writes per MB of rows). */
const WRITE_BUFFER_CHARS = 1 << 20;

/** Row documents of one analysis on disk, and the UTC days their rows fall on. */
export class RowSpool implements RowWriter {
  private readonly dir = mkdtempSync(join(tmpdir(), 'whyreset-spool-'));
  private readonly files = new Map<ResultTable['name'], { fd: number; pending: string[]; chars: number; rows: number }>();
  private closed = false;
  /** UTC days (days since the epoch) of every row, per table. */
  readonly days = new Map<ResultTable['name'], Set<number>>();

  row(table: ResultTable['name'], doc: string, ts: number | null): void {
    let f = this.files.get(table);
    if (f === undefined) {
      f = { fd: openSync(join(this.dir, table), 'w'), pending: [], chars: 0, rows: 0 };
      this.files.set(table, f);
      this.days.set(table, new Set());
    }
    f.pending.push(doc);
    f.chars += doc.length + 1;
    f.rows++;
    if (ts !== null) this.days.get(table)?.add(Math.floor(ts / 86400));
    if (f.chars >= WRITE_BUFFER_CHARS) this.flush(f);
  }

  private flush(f: { fd: number; pending: string[]; chars: number }): void {
    if (f.pending.length === 0) return;
    writeSync(f.fd, `${f.pending.join('\n')}\n`);
    f.pending = [];
    f.chars = 0;
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

  /** The documents of `table` in batches of up to `size`, in the order they were written. */
  async *batches(table: ResultTable['name'], size: number): AsyncGenerator<string[]> {
    if (!this.files.has(table)) return;
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
    rmSync(this.dir, { recursive: true, force: true });
  }
}
