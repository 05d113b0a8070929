/**
 * gzip decompression that knows where each member ends (RFC 1952 §2.2: a gzip file is a series
 * of members). Node's multi-member gunzip reads on past a member's trailer and fails the whole
 * zlib call when the next bytes are not another member; that call's output (the end of the
 * last member, all of a small file) is dropped. `gzip -t` accepts such a file ("trailing garbage
 * ignored"). So the member framing is parsed here: the header (RFC 1952 §2.3.1) by hand, the
 * deflate data by a raw inflater that stops at the deflate stream's end and says how many bytes
 * it consumed (zlib `bytesWritten`), the trailer's CRC32 and ISIZE checked here. Bytes after the
 * last member that are not a member are a counted, reported issue, never a loss of data.
 */
import type { InflateRaw } from 'node:zlib';
import type { ByteSource } from './byteSource.js';

/** A damaged or cut gzip stream; the message says how many bytes came out before the damage. */
export class GzipError extends Error {}

/** Something the decompressor skipped without losing data (bytes after the last member). */
export interface GzipIssue {
  /** Offset in the decompressed stream where the skipped bytes were met (its end). */
  offset: number;
  message: string;
}

/**
 * Compressed bytes fed to zlib per write: zlib drops the output of a call that fails, so small
 * calls lose little. Small at the start, where a small capture lives entirely, larger later so
 * that a big file costs few calls.
 */
export const GZIP_SLICE_FIRST = 1 << 10;
const GZIP_SLICE = 16 << 10;

/** node:zlib, loaded by the first gzip input: plain captures never need it (~34 M instructions at start). */
function zlib(): typeof import('node:zlib') {
  return process.getBuiltinModule('node:zlib');
}
/** Compressed bytes read with the small slice. */
export const GZIP_SMALL_SLICES_UP_TO = 256 << 10;
/** Compressed bytes read from the underlying source per read. */
const GZIP_READ = 256 << 10;
/**
 * The longest member header accepted (RFC 1952 §2.3.1 bounds FEXTRA at 65535 bytes but not the
 * zero-terminated FNAME and FCOMMENT): a longer one is damage, not a header to buffer.
 */
export const GZIP_MAX_HEADER = 256 << 10;
/** The member trailer: CRC32 and ISIZE, 4 bytes each, little-endian (RFC 1952 §2.3.1). */
const GZIP_TRAILER = 8;
/**
 * Decompressed bytes queued before zlib is fed more: a gzip bomb (deflate reaches ~1000:1) would
 * otherwise queue the output of a whole 256 KiB input read (330-420 MB seen). The queue stays
 * under this plus one slice's output (16 KiB × 1032 at worst).
 */
export const GZIP_OUTPUT_QUEUE = 4 << 20;

/** FLG bits (RFC 1952 §2.3.1); bits 5-7 are reserved and must be zero. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
/** CM 8 is deflate, the only method RFC 1952 defines. */
const CM_DEFLATE = 8;

/** A member header's length, `need` (more bytes are needed to tell), or why it is not a header. */
export type GzipHeader = { length: number } | 'need' | { bad: string };

/** Parses a gzip member header at `buf[at, end)` (RFC 1952 §2.3.1), without reading past `end`. */
export function parseGzipHeader(buf: Uint8Array, at: number, end: number): GzipHeader {
  const avail = end - at;
  if (avail >= 1 && buf[at] !== 0x1f) return { bad: 'no gzip magic' };
  if (avail >= 2 && buf[at + 1] !== 0x8b) return { bad: 'no gzip magic' };
  if (avail >= 3 && buf[at + 2] !== CM_DEFLATE) return { bad: `compression method ${buf[at + 2]}` };
  if (avail >= 4 && ((buf[at + 3] as number) & FRESERVED) !== 0) return { bad: 'reserved header flags set' };
  if (avail < 10) return 'need';
  const flags = buf[at + 3] as number;
  let p = at + 10;
  if (flags & FEXTRA) {
    if (end - p < 2) return 'need';
    p += 2 + ((buf[p] as number) | ((buf[p + 1] as number) << 8));
    if (p > end) return 'need';
  }
  for (const field of [FNAME, FCOMMENT]) {
    if ((flags & field) === 0) continue;
    const zero = buf.subarray(p, end).indexOf(0);
    if (zero < 0) return 'need';
    p += zero + 1;
  }
  if (flags & FHCRC) {
    if (end - p < 2) return 'need';
    // The CRC16 is the low 16 bits of the CRC32 of the header bytes before it.
    const want = (buf[p] as number) | ((buf[p + 1] as number) << 8);
    if ((zlib().crc32(buf.subarray(at, p)) & 0xffff) !== want) return { bad: 'header CRC mismatch' };
    p += 2;
  }
  return { length: p - at };
}

type Phase = 'header' | 'deflate' | 'trailer' | 'tail' | 'done';

/**
 * Decompresses a gzip ByteSource; several members back to back decompress as one stream.
 * Everything decoded before damage is delivered before the error: input goes to zlib in small
 * slices, and queued output is handed on before the error is raised. Bytes after the last
 * member that do not start another one are counted and reported (`issues`), and end the stream.
 */
export class GzipSource implements ByteSource {
  /** Problems that lost no decompressed data (read after the stream ended). */
  readonly issues: GzipIssue[] = [];
  private readonly output: Uint8Array[] = [];
  private outputOffset = 0;
  /** Decompressed bytes waiting in `output`. */
  private queued = 0;
  /** Decompressed bytes handed to the reader. */
  private produced = 0;
  /** Decompressed bytes of all members so far (handed on or queued). */
  private decompressed = 0;
  private error: Error | null = null;
  private phase: Phase = 'header';
  private members = 0;

  /** Compressed bytes read: `input[inputAt, inputEnd)` is not yet consumed; input[0] is at `inputBase`. */
  private input = new Uint8Array(2 * GZIP_READ);
  private inputAt = 0;
  private inputEnd = 0;
  private inputBase = 0;
  private rawDone = false;

  /** The current member's inflater, its compressed start offset, and what went in and came out. */
  private inflater: InflateRaw | null = null;
  private deflateStart = 0;
  private deflateFed = 0;
  private deflateEnded = false;
  private memberCrc = 0;
  private memberSize = 0;
  /** Bytes after the last member that are not a member: where they start, how many, and why. */
  private tailStart = 0;
  private tailBytes = 0;
  private tailReason = '';
  private tailAllZero = true;

  constructor(private readonly raw: ByteSource) {}

  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.output.length === 0 && this.error === null && this.phase !== 'done') await this.step();
    if (this.output.length > 0) {
      let written = 0;
      while (written < length && this.output.length > 0) {
        const head = this.output[0] as Uint8Array;
        const n = Math.min(length - written, head.length - this.outputOffset);
        buf.set(head.subarray(this.outputOffset, this.outputOffset + n), offset + written);
        written += n;
        this.outputOffset += n;
        if (this.outputOffset >= head.length) {
          this.output.shift();
          this.outputOffset = 0;
        }
      }
      this.produced += written;
      this.queued -= written;
      return written;
    }
    if (this.error !== null) throw new GzipError(`gzip data is damaged after ${this.produced} decompressed bytes: ${this.error.message}`);
    return 0;
  }

  /** Advances by one phase or one piece of input. */
  private async step(): Promise<void> {
    if (this.phase === 'header') await this.readHeader();
    else if (this.phase === 'deflate') await this.inflate();
    else if (this.phase === 'trailer') await this.readTrailer();
    else if (this.phase === 'tail') await this.countTail();
  }

  private async readHeader(): Promise<void> {
    for (;;) {
      if (this.inputAt === this.inputEnd && this.rawDone) {
        this.phase = 'done';
        return;
      }
      const header = parseGzipHeader(this.input, this.inputAt, this.inputEnd);
      const unread = this.inputEnd - this.inputAt;
      if (header === 'need' && unread < GZIP_MAX_HEADER && !this.rawDone) {
        await this.readMore();
        continue;
      }
      if (header !== 'need' && 'length' in header) {
        this.inputAt += header.length;
        this.startMember();
        return;
      }
      const why = header !== 'need' && 'bad' in header ? header.bad : this.rawDone ? 'a member header cut short' : 'a member header too long';
      if (this.members === 0) {
        this.error = new Error(why);
        return;
      }
      // Not another member: what follows the last one is counted, reported and ignored, as
      // `gzip -t` does ("trailing garbage ignored"); nothing decompressed before it is lost.
      this.tailStart = this.inputBase + this.inputAt;
      this.tailReason = why;
      this.phase = 'tail';
      return;
    }
  }

  private startMember(): void {
    const inflater = zlib().createInflateRaw({ chunkSize: 64 << 10 });
    inflater.on('data', (chunk: Buffer) => {
      this.output.push(chunk);
      this.queued += chunk.length;
      this.decompressed += chunk.length;
      this.memberSize += chunk.length;
      this.memberCrc = zlib().crc32(chunk, this.memberCrc);
    });
    inflater.on('error', (err: Error) => {
      this.error ??= err;
    });
    inflater.on('end', () => {
      this.deflateEnded = true;
    });
    this.inflater = inflater;
    this.deflateStart = this.inputBase + this.inputAt;
    this.deflateFed = 0;
    this.deflateEnded = false;
    this.memberCrc = 0;
    this.memberSize = 0;
    this.members++;
    this.phase = 'deflate';
  }

  /** Feeds the member's deflate data slice by slice, while fewer than GZIP_OUTPUT_QUEUE bytes wait. */
  private async inflate(): Promise<void> {
    const inflater = this.inflater as InflateRaw;
    if (this.inputAt === this.inputEnd) {
      if (!this.rawDone) {
        await this.readMore();
        return;
      }
      // The input ends inside the deflate data: flush out what it holds, then let it fail or end.
      await this.settled(inflater, (done) => inflater.end(done));
      // A deflate stream that ended exactly here still ends (its 'end' follows 'finish').
      if (this.error === null && !this.deflateEnded) await this.settled(inflater, (done) => inflater.once('end', done));
      if (this.error === null && !this.deflateEnded) this.error = new Error('unexpected end of file');
      if (this.error === null) this.finishDeflate();
      return;
    }
    while (this.inputAt < this.inputEnd && this.error === null && this.queued < GZIP_OUTPUT_QUEUE) {
      const step = this.inputBase + this.inputAt < GZIP_SMALL_SLICES_UP_TO ? GZIP_SLICE_FIRST : GZIP_SLICE;
      const slice = this.input.subarray(this.inputAt, Math.min(this.inputEnd, this.inputAt + step));
      await this.settled(inflater, (done) => inflater.write(slice, () => done()));
      this.deflateFed += slice.length;
      this.inputAt += slice.length;
      // The raw inflater stops at the end of the deflate stream and leaves the rest unconsumed
      // (Node zlib's processCallback pushes the end when input is left over).
      if (this.error === null && (this.deflateEnded || inflater.bytesWritten < this.deflateFed)) {
        await this.settled(inflater, (done) => (this.deflateEnded ? done() : inflater.once('end', done)));
        this.finishDeflate();
        return;
      }
    }
  }

  /** The deflate data ended: the trailer starts where the inflater stopped consuming. */
  private finishDeflate(): void {
    const inflater = this.inflater as InflateRaw;
    this.inputAt = this.deflateStart + inflater.bytesWritten - this.inputBase;
    inflater.destroy();
    this.inflater = null;
    this.phase = 'trailer';
  }

  private async readTrailer(): Promise<void> {
    while (this.inputEnd - this.inputAt < GZIP_TRAILER && !this.rawDone) await this.readMore();
    const have = this.inputEnd - this.inputAt;
    if (have < GZIP_TRAILER) {
      this.error = new Error(`the gzip trailer is cut (${have} of ${GZIP_TRAILER} bytes)`);
      return;
    }
    const view = new DataView(this.input.buffer, this.input.byteOffset + this.inputAt, GZIP_TRAILER);
    const crc = view.getUint32(0, true);
    const size = view.getUint32(4, true);
    this.inputAt += GZIP_TRAILER;
    if (crc !== this.memberCrc >>> 0) this.error = new Error('incorrect data check (CRC32 of the decompressed data)');
    else if (size !== this.memberSize % 2 ** 32) this.error = new Error('incorrect length check (ISIZE)');
    else this.phase = 'header';
  }

  /** Reads to the end, counting the bytes after the last member, then reports them once. */
  private async countTail(): Promise<void> {
    this.tailAllZero &&= isAllZero(this.input, this.inputAt, this.inputEnd);
    this.tailBytes += this.inputEnd - this.inputAt;
    this.inputAt = this.inputEnd;
    if (!this.rawDone) {
      await this.readMore();
      return;
    }
    const plural = this.tailBytes === 1 ? 'byte' : 'bytes';
    this.issues.push({
      offset: this.decompressed,
      message: `${this.tailBytes} ${plural} after the gzip data (from byte ${this.tailStart} of the compressed input) are not a gzip member (${this.tailAllZero ? 'zero padding' : this.tailReason}) and were ignored`,
    });
    this.phase = 'done';
  }

  /** Moves the unconsumed input to the front and reads more behind it; sets rawDone at the end. */
  private async readMore(): Promise<void> {
    if (this.inputAt > 0) {
      this.input.copyWithin(0, this.inputAt, this.inputEnd);
      this.inputBase += this.inputAt;
      this.inputEnd -= this.inputAt;
      this.inputAt = 0;
    }
    const n = await this.raw.readInto(this.input, this.inputEnd, Math.min(GZIP_READ, this.input.length - this.inputEnd));
    if (n === 0) this.rawDone = true;
    this.inputEnd += n;
  }

  /** Resolves when zlib calls back, or when it fails or closes instead (a callback it may never call). */
  private settled(inflater: InflateRaw, start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        inflater.off('error', done);
        inflater.off('close', done);
        resolve();
      };
      inflater.once('error', done);
      inflater.once('close', done);
      start(done);
    });
  }

  close(): void {
    this.inflater?.destroy();
    this.raw.close();
  }
}

function isAllZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}
