/**
 * Report rows (csv, Zeek conn.log lines) written straight into a reused byte buffer as UTF-8,
 * rather than built as a string per row (an array of cells mapped, joined, then encoded again by
 * the spool). The row writers (csv.ts CsvRows, zeek.ts writeZeekConnLine/writeZeekJsonLine)
 * give the same bytes as their string forms (csvRow, zeekConnLine, zeekJsonLine); what they cannot
 * write simply (a cell to quote or escape, a character beyond ASCII) they hand to the string form
 * of that one cell, and `text` encodes it as Buffer.write does.
 */
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

/** Writes rows as UTF-8 into a buffer handed, whole rows at a time, to `drain`. */
export class RowBytes {
  private buf: Uint8Array;
  private view: Buffer;
  private at = 0;
  /** Where the current row started (bytes before it are complete rows). */
  private rowStart = 0;

  /**
   * @param drain takes complete rows, bytes [start, end) of `bytes`, and must copy or write them
   * before it returns: the buffer is written over afterwards.
   */
  constructor(
    private readonly drain: (bytes: Uint8Array, start: number, end: number) => void,
    size = DEFAULT_SIZE,
  ) {
    this.buf = new Uint8Array(size);
    this.view = Buffer.from(this.buf.buffer, 0, size);
  }

  /** Ends the current row (its bytes are complete and may be drained). */
  endRow(): void {
    this.rowStart = this.at;
  }

  /** Hands every complete row to `drain`. */
  flush(): void {
    const end = this.rowStart;
    if (end === 0) return;
    const partial = this.at - end;
    this.rowStart = 0;
    this.drain(this.buf, 0, end);
    if (partial > 0) this.buf.copyWithin(0, end, end + partial);
    this.at = partial;
  }

  /** One byte (an ASCII character). */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.at++] = b;
  }

  /** Bytes as they are (copied byte by byte up to 16: TypedArray#set costs ~100 instructions a call). */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.ensure(n);
    const buf = this.buf;
    const at = this.at;
    if (n > 16) buf.set(src, at);
    else for (let i = 0; i < n; i++) buf[at + i] = src[i] as number;
    this.at = at + n;
  }

  /** Text known to be ASCII (a number's digits from toFixed or String). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Any text as UTF-8, exactly as Buffer.write encodes it (a lone surrogate as U+FFFD). */
  text(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.at += this.view.write(s, this.at, 'utf8');
        return;
      }
      buf[at++] = c;
    }
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

  /** Makes room for `n` more bytes: complete rows go to drain, and the buffer grows if one row needs it. */
  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.flush();
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = Buffer.from(bigger.buffer, 0, size);
  }
}
