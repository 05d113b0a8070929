/**
 * A sliding window over a ByteSource: the readers parse records in place from `buf[pos, end)`
 * and ask for more only when a record straddles the end. Two buffers alternate: while the
 * reader parses one, the next chunk is read into the other (a file read runs in libuv's thread
 * pool, so the read and the parse overlap on two cores). The unparsed tail of the old buffer is
 * copied into headroom in front of the new chunk. Memory stays at two chunks plus the largest
 * record allowed, whatever the size of the file.
 */
import { summableBuffers } from '../net/onesSum.js';
import { raceReadingStop, readingStopped } from './interrupt.js';
import type { ByteSource } from './source.js';

/** What a refill interrupted by stopReading() resolves to. */
const STOPPED = -1;

/** Default chunk: large enough that refills are rare. */
export const DEFAULT_CHUNK_SIZE = 8 << 20;
/** Room in front of each chunk for the tail of the previous one (a record cut by the chunk end). */
export const HEADROOM = 1 << 20;

/**
 * Awaited before each chunk is read, when it returns a promise: a consumer that cannot keep up
 * (ndjson streamed into a slow pipe) holds the reading back rather than queue output in memory.
 */
export type ReadPace = () => Promise<void> | null;

/**
 * Asked before each chunk is read: read at most this many bytes (never more than the window's
 * chunk size, which its buffers are sized for). `ingest` reads 1 MiB at a time while the store
 * is still deciding whether it wants the file analysed at all, then whole chunks.
 */
export type ReadLength = () => number;

/** Bytes buffered from a source, with their position in the (decompressed) stream. */
export class ByteWindow {
  buf: Uint8Array;
  view: DataView;
  /** First unconsumed byte. */
  pos: number;
  /** One past the last valid byte. */
  end: number;
  /** Stream offset of buf[0]. */
  base: number;
  /** The source has no more bytes. */
  eof = false;
  private spare: Uint8Array;
  private pending: Promise<number> | null = null;
  private readonly headroom: number;

  constructor(
    private readonly source: ByteSource,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
    private readonly pace: ReadPace | null = null,
    private readonly readLength: ReadLength | null = null,
  ) {
    // Tests use tiny chunks to make every record straddle: scale the headroom down with them.
    this.headroom = Math.min(HEADROOM, chunkSize);
    // Both buffers inside one WebAssembly memory: checksums are summed there in place (net/onesSum.ts).
    const [buf, spare] = summableBuffers(chunkSize + this.headroom, 2) as [Uint8Array, Uint8Array];
    this.buf = buf;
    this.spare = spare;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = this.headroom;
    this.end = this.headroom;
    this.base = -this.headroom;
  }

  /** Stream offset of `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available from `pos`. */
  get available(): number {
    return this.end - this.pos;
  }

  /** Starts reading the next chunk into the spare buffer, behind its headroom. */
  private prefetch(): void {
    if (this.pending === null && !this.eof) {
      // At most one chunk per read, whatever the spare buffer grew to after a long record: reading
      // "the rest of the spare" would make every straddling record grow the buffers again.
      const length = this.readLength === null ? this.chunkSize : Math.max(1, Math.min(this.chunkSize, this.readLength()));
      const read = () => this.source.readInto(this.spare, this.headroom, length);
      const wait = this.pace?.() ?? null;
      this.pending = wait === null ? read() : wait.then(read);
    }
  }

  /**
   * Makes at least `n` bytes available from `pos`; false when the source ends first. Callers
   * bound `n` beforehand (the readers never ask for more than their hard record cap).
   */
  async ensure(n: number): Promise<boolean> {
    while (this.end - this.pos < n) {
      if (this.eof) return false;
      // After SIGINT/SIGTERM the capture ends here (interrupt.ts), also while a pipe is silent.
      if (readingStopped()) {
        this.eof = true;
        return false;
      }
      this.prefetch();
      const got = await raceReadingStop(this.pending as Promise<number>, STOPPED);
      if (got === STOPPED) {
        this.eof = true;
        return false;
      }
      this.pending = null;
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.adopt(got);
      this.prefetch();
    }
    return true;
  }

  /** Makes the freshly read spare buffer current, carrying the unparsed tail over. */
  private adopt(got: number): void {
    const tail = this.end - this.pos;
    const fresh = this.spare;
    const start = this.headroom;
    if (tail <= start) {
      fresh.set(this.buf.subarray(this.pos, this.end), start - tail);
      this.spare = this.buf;
      this.buf = fresh;
      this.base = this.base + this.end - start;
      this.pos = start - tail;
      this.end = start + got;
    } else {
      // A record longer than the headroom straddles the chunks (rare: jumbo or hostile):
      // merge into a buffer that holds both, and keep the headroom ahead of the next chunk.
      // The old buffer is reused when it is large enough (it is after the first such record), so
      // a run of long records costs no allocation each: memory stays under two chunks, the
      // headroom and HARD_MAX_RECORD, whatever the number of records.
      const reuse = this.buf.length >= tail + got;
      const merged = reuse ? this.buf : new Uint8Array(tail + got + start);
      if (reuse) merged.copyWithin(0, this.pos, this.end);
      else merged.set(this.buf.subarray(this.pos, this.end), 0);
      merged.set(fresh.subarray(start, start + got), tail);
      this.base = this.base + this.pos;
      this.buf = merged;
      this.pos = 0;
      this.end = tail + got;
      if (this.spare.length < merged.length) this.spare = new Uint8Array(merged.length);
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
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

  /** Waits for a read still under way, so the source can be closed safely. */
  async settle(): Promise<void> {
    if (this.pending !== null) {
      try {
        // A pipe that stays silent after an interrupt would never settle: closing the source ends it.
        await (readingStopped() ? Promise.race([this.pending, Promise.resolve(0)]) : this.pending);
      } catch {
        // the error was or will be reported by the reader that asked for the bytes
      }
      this.pending = null;
    }
  }
}
