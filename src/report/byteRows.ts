/**
 * The byte buffer under the report writers (jsonBytes.ts JsonBytes, rowBytes.ts RowBytes): bytes
 * written into one reused buffer and handed, whole rows (lines) at a time, to `drain`; the buffer
 * grows only when one row needs more than it holds.
 */

/**
 * String.prototype.charCodeAt, for the writers' loops over a string's characters as
 * `charCodeAt.call(s, i)`: `s.charCodeAt(i)` loads the method from the string first, and the
 * strings written come in many representations (flat, cons, sliced, thin: each its own map), so
 * that load goes megamorphic, a stub-cache probe per character (Builtins_LoadIC_Megamorphic, 80 M
 * instructions of a 64 MiB mix's json run, from JsonBytes' string loop; through call, TurboFan
 * calls the builtin it knows).
 */
export const charCodeAt = String.prototype.charCodeAt;

/** Whether this platform stores numbers little-endian (a Float64Array's bytes are in its order). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `src`'s bytes as 8-byte words (the last padded with zeros) for ByteRows#words, or null when a
 * word's bits read as a NaN: a NaN may not keep its bits on its way through a double, any other
 * double does (printable ASCII never makes one: its top byte is below 0x7f).
 */
export function asWords(src: Uint8Array): Float64Array | null {
  const words = new Float64Array(Math.ceil(src.length / 8));
  new Uint8Array(words.buffer).set(src);
  for (let i = 0; i < words.length; i++) if (Number.isNaN(words[i])) return null;
  return words;
}

/** A reused buffer of complete rows and the row being written. */
export class ByteRows {
  /** The buffer and the next byte to write. */
  protected buf: Uint8Array;
  /** Rows are written in bytes [0, limit) of `buf`; the bytes after it are the subclass's (`reserved`). */
  protected limit: number;
  /** `buf` as a Buffer, for Buffer.write's UTF-8 encoding. */
  protected view: Buffer;
  /** `buf` as a DataView, for words' unaligned 8-byte stores. */
  protected data: DataView;
  /** `buf`'s aligned 4-byte words (its whole words), for checks that read four bytes at a time (jsonBytes.ts plainUtf8). */
  protected ints: Int32Array;
  protected at = 0;
  /** Where the current row started (bytes before it are complete rows). */
  protected rowStart = 0;
  /** Complete rows in [0, rowStart). */
  private rows = 0;

  /**
   * @param drain takes complete rows, bytes [start, end) of `bytes` (holding `rows` rows), and
   * must copy or write them before it returns: the buffer is written over afterwards.
   */
  constructor(
    private readonly drain: (bytes: Uint8Array, start: number, end: number, rows: number) => void,
    size: number,
    /** Bytes kept after the rows' part of the buffer for the subclass (jsonBytes.ts: the sites' previous lines, copied by copyWithin). */
    private readonly reserved = 0,
  ) {
    this.limit = size;
    this.buf = new Uint8Array(size + reserved);
    this.view = Buffer.from(this.buf.buffer, 0, size + reserved);
    this.data = new DataView(this.buf.buffer, 0, size + reserved);
    this.ints = new Int32Array(this.buf.buffer, 0, (size + reserved) >> 2);
  }

  /** Ends the current row (its bytes are complete and may be drained). */
  endRow(): void {
    this.rowStart = this.at;
    this.rows++;
  }

  /** Hands every complete row to `drain`. */
  flush(): void {
    const end = this.rowStart;
    if (end === 0) return;
    const rows = this.rows;
    // Anything after the last row (the row being written) moves to the front.
    const partial = this.at - end;
    this.rowStart = 0;
    this.rows = 0;
    this.drain(this.buf, 0, end, rows);
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

  /**
   * Bytes [0, n) of `words` (asWords of them), one unaligned 8-byte store per word where the byte
   * loop of `bytes` stores each byte with two bounds checks (~8 instructions a byte); the zeros
   * padding the last word land past the row's end, where the next bytes overwrite them.
   */
  words(words: Float64Array, n: number): void {
    this.ensure(n + 8);
    const data = this.data;
    const at = this.at;
    for (let k = 0; k < words.length; k++) data.setFloat64(at + 8 * k, words[k] as number, LITTLE_ENDIAN);
    this.at = at + n;
  }

  /** Any text as UTF-8, exactly as Buffer.write encodes it (a lone surrogate as U+FFFD). */
  text(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(s, i);
      if (c >= 0x80) {
        this.at += this.view.write(s, this.at, 'utf8');
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  /**
   * Makes room for `n` more bytes: complete rows go to drain, and the buffer grows if one row needs
   * it. The check alone, small enough for TurboFan to inline at each of the writers' many calls
   * (a call each was ~40 instructions, 15 M a pass of the 128 MiB prefix's JSON lines); the
   * rare work is makeRoom's.
   */
  protected ensure(n: number): void {
    if (this.at + n > this.limit) this.makeRoom(n);
  }

  /** ensure's rare case: the buffer is full. */
  private makeRoom(n: number): void {
    this.flush();
    if (this.at + n <= this.limit) return;
    let size = this.limit * 2;
    while (size < this.at + n) size *= 2;
    const bigger = new Uint8Array(size + this.reserved);
    bigger.set(this.buf.subarray(0, this.at));
    if (this.reserved > 0) bigger.set(this.buf.subarray(this.limit), size);
    this.buf = bigger;
    this.limit = size;
    this.view = Buffer.from(bigger.buffer, 0, size + this.reserved);
    this.data = new DataView(bigger.buffer, 0, size + this.reserved);
    this.ints = new Int32Array(bigger.buffer, 0, (size + this.reserved) >> 2);
  }
}
