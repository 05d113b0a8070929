/**
 * An append-only list of serialized findings that stays in memory while small and spills to a
 * temporary file when large, so a capture with millions of resets or connections is reported in
 * bounded memory. Lines are read back in the order they were written.
 *
 * Lines are kept as UTF-8 bytes in fixed-size chunks, not as strings: a JS string with one
 * non-Latin-1 character (the `→` of every signature) takes two bytes per character, and the
 * renderers of the JSON report can copy the bytes to the output without decoding them again.
 */
import { closeSync, mkdtempSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTempDir, registerTemp, removeTemp } from './tempFiles.js';

/** In-memory budget per spool (bytes) before it moves to disk. */
export const SPOOL_MEMORY_LIMIT = 4 << 20;
/** Size of one chunk of lines; a longer line gets a chunk of its own. */
const CHUNK_SIZE = 256 << 10;

/** Lines of text kept in order; memory stays under `memoryLimit` bytes plus one chunk. */
export class Spool {
  /** Full chunks still in memory (each holds whole lines, every line ending with "\n"). */
  private full: Buffer[] = [];
  private fullBytes = 0;
  /**
   * Chunks written to disk, reused for the next lines: a spilling spool (a 200k-connection
   * flood's JSON: 260 MB) would otherwise map a fresh 256 KiB buffer per chunk (malloc mmaps
   * buffers that large) and fault in each of its pages again.
   */
  private spare: Buffer[] = [];
  private current: Buffer;
  private used = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  private path = '';
  private diskBytes = 0;
  count = 0;

  constructor(private readonly memoryLimit = SPOOL_MEMORY_LIMIT) {
    this.current = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1024, memoryLimit)));
  }

  /** Appends one line (without its newline). */
  push(line: string): void {
    this.count++;
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit: check the worst case before writing.
    const worst = line.length * 3 + 1;
    if (this.used + worst > this.current.length) {
      this.seal();
      if (worst > this.current.length) this.current = Buffer.allocUnsafe(worst);
    }
    this.used += this.current.write(line, this.used, 'utf8');
    this.current[this.used++] = 0x0a;
  }

  /** Appends text as it is, with no newline added (rows already rendered, each ending with its own line break). */
  pushText(text: string): void {
    this.count++;
    const worst = text.length * 3;
    if (this.used + worst > this.current.length) {
      this.seal();
      if (worst > this.current.length) this.current = Buffer.allocUnsafe(worst);
    }
    this.used += this.current.write(text, this.used, 'utf8');
  }

  /**
   * Appends bytes [start, end) of `bytes` as they are: whole lines, each ending with "\n", already
   * counted by the caller (report/jsonSpool.ts writes JSON lines straight into a byte buffer and
   * hands them here a buffer at a time). A chunk still holds only whole lines: the bytes are cut
   * at the last newline that fits.
   */
  appendLines(bytes: Uint8Array, start: number, end: number): void {
    let from = start;
    while (from < end) {
      const room = this.current.length - this.used;
      if (end - from <= room) {
        this.current.set(bytes.subarray(from, end), this.used);
        this.used += end - from;
        return;
      }
      // The last newline that fits (its line ends in this chunk); none: a new chunk (as long as the line).
      const cut = room > 0 ? bytes.lastIndexOf(0x0a, from + room - 1) + 1 : 0;
      if (cut > from) {
        this.current.set(bytes.subarray(from, cut), this.used);
        this.used += cut - from;
        from = cut;
      }
      this.seal();
      const line = bytes.indexOf(0x0a, from);
      const need = (line < 0 || line >= end ? end : line + 1) - from;
      if (need > this.current.length - this.used) this.current = Buffer.allocUnsafe(need);
    }
  }

  /** Moves the current chunk to the full list (spilling to disk past the memory budget). */
  private seal(): void {
    if (this.used === 0) return;
    const chunk = this.current.subarray(0, this.used);
    this.full.push(chunk);
    this.fullBytes += chunk.length;
    this.current = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE);
    this.used = 0;
    if (this.fullBytes > this.memoryLimit) this.spill();
  }

  private spill(): void {
    inTempDir('spooling findings', () => this.spillToDisk());
  }

  private spillToDisk(): void {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'whyreset-'));
      registerTemp(this.dir);
      this.path = join(this.dir, 'spool');
      this.fd = openSync(this.path, 'w+');
    }
    for (const chunk of this.full) {
      for (let off = 0; off < chunk.length; ) off += writeSync(this.fd, chunk, off, chunk.length - off, this.diskBytes + off);
      this.diskBytes += chunk.length;
      // A chunk of the usual size (not a long line's own) is whole in its ArrayBuffer: reuse it.
      if (chunk.buffer.byteLength === CHUNK_SIZE && chunk.byteOffset === 0) this.spare.push(Buffer.from(chunk.buffer, 0, CHUNK_SIZE));
    }
    this.full = [];
    this.fullBytes = 0;
  }

  /**
   * Every line in order as raw bytes: each yielded buffer holds whole lines, each ending with
   * "\n". A buffer is valid only until the next one is requested.
   */
  *chunks(): Generator<Uint8Array> {
    if (this.fd !== null) {
      let chunk = Buffer.allocUnsafe(1 << 20);
      let carry = 0;
      let position = 0;
      while (position < this.diskBytes) {
        if (carry === chunk.length) {
          // A line longer than the read buffer (rare): grow until it fits.
          const bigger = Buffer.allocUnsafe(chunk.length * 2);
          chunk.copy(bigger, 0, 0, carry);
          chunk = bigger;
        }
        const n = readSync(this.fd, chunk, carry, chunk.length - carry, position);
        if (n === 0) break;
        position += n;
        const end = carry + n;
        const cut = chunk.lastIndexOf(0x0a, end - 1) + 1;
        if (cut === 0) {
          carry = end;
          continue;
        }
        yield chunk.subarray(0, cut);
        chunk.copy(chunk, 0, cut, end);
        carry = end - cut;
      }
      if (carry > 0) yield chunk.subarray(0, carry);
    }
    for (const c of this.full) yield c;
    if (this.used > 0) yield this.current.subarray(0, this.used);
  }

  /** Every line, in order, as a string without its newline. */
  *lines(): Generator<string> {
    for (const chunk of this.chunks()) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        if (nl < 0) break;
        yield text.slice(from, nl);
        from = nl + 1;
      }
      if (from < text.length) yield text.slice(from);
    }
  }

  /** Removes the temporary file, if any. */
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) removeTemp(this.dir);
    this.fd = null;
    this.dir = null;
    this.full = [];
    this.spare = [];
    this.used = 0;
  }
}
