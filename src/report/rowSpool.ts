/**
 * The spool of report rows rendered as findings arrive (Findings.rows: csv rows, Zeek conn.log
 * lines), written by the byte writers (csv.ts CsvRows, zeek.ts writeZeekConnLine and
 * writeZeekJsonLine) into a reused buffer whose complete rows are copied into the spool's chunks,
 * rather than a string per row encoded again. Reading hands the pending rows over first.
 */
import type { Connection, Reset } from '../model/report.js';
import { Spool } from '../pipeline/spool.js';
import { CsvRows } from './csv.js';
import { RowBytes } from './rowBytes.js';
import { writeZeekConnLine, writeZeekJsonLine } from './zeek.js';

/** Rows of a report in output form, kept in a Spool. */
export class RowSpool extends Spool {
  private readonly writer = new RowBytes((bytes, start, end) => this.appendLines(bytes, start, end));
  private readonly csv = new CsvRows(this.writer);

  /** One reset as a CSV row. */
  pushCsv(r: Reset): void {
    this.count++;
    this.csv.row(r);
  }

  /** One connection as a line of Zeek's ASCII conn.log. */
  pushZeek(c: Connection): void {
    this.count++;
    writeZeekConnLine(this.writer, c);
  }

  /** One connection as a line of Zeek's JSON conn.log. */
  pushZeekJson(c: Connection): void {
    this.count++;
    writeZeekJsonLine(this.writer, c);
  }

  /** Appends text as it is; rows written before it stay before it. */
  override pushText(text: string): void {
    this.writer.flush();
    super.pushText(text);
  }

  /** Appends one line; rows written before it stay before it. */
  override push(line: string): void {
    this.writer.flush();
    super.push(line);
  }

  /** Every row in order as raw bytes (the pending ones included). */
  override *chunks(): Generator<Uint8Array> {
    this.writer.flush();
    yield* super.chunks();
  }
}
