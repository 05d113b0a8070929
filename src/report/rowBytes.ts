/**
 * Report rows (csv, Zeek conn.log lines) written straight into a reused byte buffer as UTF-8,
 * rather than built as a string per row (an array of cells mapped, joined, then encoded again by
 * the spool). The row writers (csv.ts CsvRows, zeek.ts writeZeekConnLine/writeZeekJsonLine)
 * give the same bytes as their string forms (csvRow, zeekConnLine, zeekJsonLine); what they cannot
 * write simply (a cell to quote or escape, a character beyond ASCII) they hand to the string form
 * of that one cell, and `text` encodes it as Buffer.write does.
 */
import { ByteRows, charCodeAt } from './byteRows.js';
import { writeJsonNumber } from './jsonBytes.js';

/** Bytes of the buffer's first size (it grows when one row needs more). */
const DEFAULT_SIZE = 16 << 10;

/** The last text written in one column and its bytes (a hint, a signature: the same text again is copied). */
export interface KeptCell {
  text: string | null;
  bytes: Uint8Array;
}

/** A column's empty cache. */
export function keptCell(): KeptCell {
  return { text: null, bytes: new Uint8Array(0) };
}

/** Writes rows as UTF-8 into a buffer handed, whole rows at a time, to `drain` (byteRows.ts). */
export class RowBytes extends ByteRows {
  /**
   * @param drain takes complete rows, bytes [start, end) of `bytes`, and must copy or write them
   * before it returns: the buffer is written over afterwards.
   */
  constructor(drain: (bytes: Uint8Array, start: number, end: number) => void, size = DEFAULT_SIZE) {
    super(drain, size);
  }

  /** Text known to be ASCII (a number's digits from toFixed or String). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = charCodeAt.call(s, i);
    this.at = at;
  }

  /** A finite number as String(x) writes it (ECMAScript Number::toString, as JSON.stringify: jsonBytes.writeJsonNumber). */
  number(x: number): void {
    if (!Number.isFinite(x)) {
      this.ascii(String(x));
      return;
    }
    this.ensure(32);
    this.at = writeJsonNumber(this.buf, this.at, x);
  }

  /**
   * `s` through `render` (a cell's quoting or escaping), copied from `cell` when `s` is the text
   * written there last; else rendered, encoded and kept there.
   */
  kept(cell: KeptCell, s: string, render: (s: string) => string): void {
    if (cell.text !== s) {
      cell.bytes = new Uint8Array(Buffer.from(render(s), 'utf8'));
      cell.text = s;
    }
    this.bytes(cell.bytes);
  }
}
