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
import { withExtra } from './rows.js';
import type { ResultTable } from './schema.js';

/** Bytes buffered per table before a write (a few writes per MB of rows). */
const WRITE_BUFFER_BYTES = 1 << 18;

/** The bytes of `{"extra":` that open a document with an `extra` member (see SpoolFile.extraHead). */
const EXTRA_HEAD = '{"extra":';

/** Heads kept per table (the `extra` members of a capture's resets are a few `rule`s: see extraHead). */
const MAX_HEADS = 256;

const NEWLINE = new Uint8Array([0x0a]);

/** JsonBytes telling how many bytes it holds that are not drained yet (its rows are cut into segments by size). */
class SpoolBytes extends JsonBytes {
  get pending(): number {
    return this.at;
  }
}

/** One table's spool file and its writer. */
interface SpoolFile {
  /** The file being written (the table's current segment). */
  path: string;
  fd: number;
  /** Bytes written to `path` so far. */
  written: number;
  /** Encodes the table's documents (drained into `fd`). */
  json: SpoolBytes;
  /** `{"extra":<extra>` as UTF-8, by `extra` (extraHead). */
  heads: Map<string, Uint8Array>;
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

  private fileOf(table: ResultTable['name']): SpoolFile {
    let f = this.files.get(table);
    if (f === undefined) {
      const path = join(this.dir, table);
      const file: SpoolFile = {
        path,
        fd: this.open(path),
        written: 0,
        json: new SpoolBytes((bytes, start, end) => {
          let done = start;
          while (done < end) done += writeSync(file.fd, bytes, done, end - done);
          file.written += end - start;
        }, WRITE_BUFFER_BYTES),
        heads: new Map(),
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
   * One document given as a string (a pattern's; tests), with `extra` (JSON) spliced in as its
   * `extra` member (rows.ts withExtra). The string is encoded into the table's buffer at once, so
   * that no row string outlives this call.
   */
  row(table: ResultTable['name'], doc: string, ts: number | null, extra: string | null = null): void {
    const f = this.fileOf(table);
    f.json.text(withExtra(doc, extra));
    f.json.bytes(NEWLINE);
    f.json.endRow();
    this.counted(table, f, ts);
  }

  /**
   * One reset as its document: the members of JSON.stringify(r), preceded by its `extra` member
   * when it has one (`extra`, JSON), written as UTF-8 straight into the table's buffer by the
   * JSON report's own writer (report/jsonBytes.ts resetLine) rather than through JSON.stringify:
   * a string per row, built in parts and flattened again to be encoded, allocated ~3x the
   * document's bytes in V8's young generation (the 512 MiB bench mix: ~54 more scavenges than
   * `analyze --format json`, whose writer this is).
   */
  reset(r: Reset, extra: string | null): void {
    const f = this.fileOf('resets');
    f.json.resetLine('resets', r, NEWLINE, extra === null ? null : extraHead(f, extra));
    this.counted('resets', f, r.ts);
  }

  /** One connection as its document, as reset() writes a reset (report/jsonBytes.ts connectionLine). */
  connection(c: Connection, extra: string | null): void {
    const f = this.fileOf('connections');
    f.json.connectionLine('connections', c, NEWLINE, extra === null ? null : extraHead(f, extra));
    this.counted('connections', f, c.ts);
  }

  private counted(table: ResultTable['name'], f: SpoolFile, ts: number | null): void {
    f.rows++;
    if (ts !== null) f.days.add(Math.floor(ts / 86400));
    if (f.written + f.json.pending >= this.segmentBytes) this.cut(table, f);
  }

  private handOn(table: ResultTable['name'], file: string): void {
    this.segments.push([table, file]);
    this.onSegment?.(table, file);
  }

  /** Hands the table's segment on (flushed, closed) and starts its next one in a new file. */
  private cut(table: ResultTable['name'], f: SpoolFile): void {
    f.json.flush();
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
    for (const [table, f] of this.files) if (f.written + f.json.pending > 0) this.cut(table, f);
  }

  /** Writes what is buffered and closes the files (before reading them back); once. Hands each table's last segment on when it holds rows. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [table, f] of this.files) {
      f.json.flush();
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

/**
 * `{"extra":<extra>` as UTF-8: the head of a document with an `extra` member (JsonBytes writes the
 * row's members after it). The documents' members are the row's own in any order: both engines
 * read them by name (DuckDB's read_ndjson, PostgreSQL's json_populate_recordset).
 */
function extraHead(f: SpoolFile, extra: string): Uint8Array {
  let head = f.heads.get(extra);
  if (head === undefined) {
    if (f.heads.size >= MAX_HEADS) f.heads.clear();
    head = Buffer.from(`${EXTRA_HEAD}${extra}`);
    f.heads.set(extra, head);
  }
  return head;
}
