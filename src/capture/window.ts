/**
 * A sliding window over a ByteSource: the readers parse records in place from `buf[pos, end)`
 * and ask for more only when a record straddles the end. Memory stays at one chunk plus the
 * largest record allowed, whatever the size of the file.
 */
import type { ByteSource } from './source.js';

/** Default chunk: large enough that refills are rare, small enough to stay in the page cache's stride. */
export const DEFAULT_CHUNK_SIZE = 8 << 20;

/** Bytes buffered from a source, with their position in the (decompressed) stream. */
export class ByteWindow {
  buf: Uint8Array;
  view: DataView;
  /** First unconsumed byte. */
  pos = 0;
  /** One past the last valid byte. */
  end = 0;
  /** Stream offset of buf[0]. */
  base = 0;
  /** The source has no more bytes. */
  eof = false;

  constructor(
    private readonly source: ByteSource,
    chunkSize = DEFAULT_CHUNK_SIZE,
  ) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Stream offset of `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available from `pos`. */
  get available(): number {
    return this.end - this.pos;
  }

  /**
   * Makes at least `n` bytes available from `pos` (compacting, and growing the buffer when one
   * record is larger than it); false when the source ends first. Callers bound `n` beforehand.
   */
  async ensure(n: number): Promise<boolean> {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    if (this.buf.length - this.pos < n || this.pos > this.buf.length >>> 1) this.compact(n);
    while (this.end - this.pos < n) {
      const got = await this.source.readInto(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  /** Moves the unconsumed tail to the front, growing the buffer if `need` bytes would not fit. */
  private compact(need: number): void {
    const tail = this.end - this.pos;
    if (need > this.buf.length) {
      const bigger = new Uint8Array(Math.max(need, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.pos, this.end), 0);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
    } else {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.base += this.pos;
    this.pos = 0;
    this.end = tail;
  }

  /** Skips `n` bytes that may not be buffered yet (reads and discards them); false if the source ends. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.end === this.pos && !(await this.ensure(1))) return false;
      const step = Math.min(n, this.end - this.pos);
      this.pos += step;
      n -= step;
    }
    return true;
  }
}
