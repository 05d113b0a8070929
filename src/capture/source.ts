/**
 * Byte sources for the capture readers: a file, standard input or anything else that streams,
 * each optionally gzip-compressed (detected by the magic bytes 1f 8b, RFC 1952 §2.3.1, never
 * by the file name). A source fills a caller's buffer, so the reader controls every allocation.
 */
import { closeSync, openSync, read } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Anything that can fill `buf[offset, offset + length)`; resolves to the bytes written, 0 at the end. */
export interface ByteSource {
  readInto(buf: Uint8Array, offset: number, length: number): Promise<number>;
  close(): void;
}

/**
 * Reads a file sequentially. Reads run in libuv's thread pool, so the window's read-ahead of
 * the next chunk overlaps with parsing the current one. Closing waits for a read still in
 * flight: closing under it would make it fail (EBADF), or worse, read from whatever file the
 * next open() is given the same descriptor number.
 */
export class FileSource implements ByteSource {
  private fd: number | null;
  private inflight: Promise<number> | null = null;
  private closing = false;
  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }
  readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    const fd = this.fd;
    if (fd === null || this.closing) return Promise.resolve(0);
    const p = new Promise<number>((resolve, reject) => {
      read(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n)));
    });
    this.inflight = p;
    const clear = () => {
      if (this.inflight === p) this.inflight = null;
    };
    p.then(clear, clear);
    return p;
  }
  close(): void {
    if (this.fd === null || this.closing) return;
    this.closing = true;
    const fd = this.fd;
    const done = () => {
      this.fd = null;
      closeSync(fd);
    };
    if (this.inflight) this.inflight.then(done, done);
    else done();
  }
}

/** Adapts a Node stream (stdin, a gunzip stream, a socket) to `readInto`, copying from its chunks. */
export class StreamSource implements ByteSource {
  private readonly chunks: AsyncIterator<Buffer | Uint8Array | string>;
  private pending: Uint8Array | null = null;
  private pendingOffset = 0;
  private done = false;
  constructor(
    private readonly stream: Readable,
    first: Uint8Array | null = null,
  ) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | Uint8Array | string>;
    if (first && first.length > 0) this.pending = first;
  }
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    let written = 0;
    while (written < length) {
      if (this.pending === null) {
        if (this.done) break;
        // Return what we have rather than wait for more: the reader asks again when it needs to.
        if (written > 0) break;
        const next = await this.chunks.next();
        if (next.done) {
          this.done = true;
          break;
        }
        const value = next.value;
        this.pending = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
        this.pendingOffset = 0;
      }
      const avail = this.pending.length - this.pendingOffset;
      const n = Math.min(avail, length - written);
      buf.set(this.pending.subarray(this.pendingOffset, this.pendingOffset + n), offset + written);
      written += n;
      this.pendingOffset += n;
      if (this.pendingOffset >= this.pending.length) this.pending = null;
    }
    return written;
  }
  close(): void {
    this.stream.destroy();
  }
}

/** A source that first replays bytes already read (the sniffed magic), then continues with `inner`. */
class PrefixedSource implements ByteSource {
  private prefixOffset = 0;
  constructor(
    private readonly prefix: Uint8Array,
    private readonly inner: ByteSource,
  ) {}
  readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.prefixOffset < this.prefix.length) {
      const n = Math.min(length, this.prefix.length - this.prefixOffset);
      buf.set(this.prefix.subarray(this.prefixOffset, this.prefixOffset + n), offset);
      this.prefixOffset += n;
      return Promise.resolve(n);
    }
    return this.inner.readInto(buf, offset, length);
  }
  close(): void {
    this.inner.close();
  }
}

/** Reads up to `want` bytes (fewer only at the end of the source). */
async function readAtMost(source: ByteSource, want: number): Promise<Uint8Array> {
  const out = new Uint8Array(want);
  let got = 0;
  while (got < want) {
    const n = await source.readInto(out, got, want - got);
    if (n === 0) break;
    got += n;
  }
  return out.subarray(0, got);
}

/** The opened input: where its bytes come from and whether they were gzip-compressed. */
export interface OpenedSource {
  source: ByteSource;
  compressed: boolean;
}

/**
 * Opens a path (or `-` for standard input) and unwraps gzip when the first two bytes are 1f 8b.
 * Several gzip members back to back (as `cat a.gz b.gz` makes) decompress as one stream.
 */
export async function openSource(path: string, stdin: Readable = process.stdin, onRawBytes?: (bytes: Uint8Array) => void): Promise<OpenedSource> {
  const opened: ByteSource = path === '-' ? new StreamSource(stdin) : new FileSource(path);
  const raw = onRawBytes === undefined ? opened : new TappedSource(opened, onRawBytes);
  const head = await readAtMost(raw, 2);
  const replay = new PrefixedSource(head, raw);
  if (head.length === 2 && head[0] === 0x1f && head[1] === 0x8b) return { source: new GzipSource(replay), compressed: true };
  return { source: replay, compressed: false };
}

/**
 * Shows every byte read from a source, once, in order, before anything else sees it (the store
 * hashes a file's bytes, compressed or not, from the read that analyses it).
 */
class TappedSource implements ByteSource {
  constructor(
    private readonly inner: ByteSource,
    private readonly tap: (bytes: Uint8Array) => void,
  ) {}
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    const n = await this.inner.readInto(buf, offset, length);
    if (n > 0) this.tap(buf.subarray(offset, offset + n));
    return n;
  }
  close(): void {
    this.inner.close();
  }
}

/** A damaged or cut gzip stream; the message says how many bytes came out before the damage. */
export class GzipError extends Error {}

/**
 * Compressed bytes fed to zlib per write: zlib drops the output of a call that fails, so small
 * calls lose little. Small at the start, where a small capture lives entirely, larger later so
 * that a big file costs few calls.
 */
const GZIP_SLICE_FIRST = 1 << 10;
const GZIP_SLICE = 16 << 10;
/** Compressed bytes read with the small slice. */
const GZIP_SMALL_SLICES_UP_TO = 256 << 10;
/** The gzip trailer (CRC32, ISIZE; RFC 1952 §2.3.1): checked last, so held back until the input ends. */
const GZIP_TRAILER = 8;
/**
 * Decompressed bytes queued before zlib is fed more: a gzip bomb (deflate reaches ~1000:1) would
 * otherwise queue the output of a whole 256 KiB input read (330-420 MB seen). The queue stays
 * under this plus one slice's output (16 KiB × 1032 at worst).
 */
export const GZIP_OUTPUT_QUEUE = 4 << 20;

/**
 * Decompresses a gzip ByteSource (several members back to back decompress as one stream).
 * Everything decoded before damage is delivered before the error: input goes to zlib in small
 * slices, the last 8 bytes (the trailer, whose CRC check would fail the call that also carries
 * the last data) wait until everything before them has been flushed out, and queued output is
 * handed on before the error is raised.
 */
export class GzipSource implements ByteSource {
  private readonly gunzip = createGunzip({ chunkSize: 64 << 10 });
  private readonly output: Uint8Array[] = [];
  private outputOffset = 0;
  private error: Error | null = null;
  private finished = false;
  private inputDone = false;
  private held = new Uint8Array(0);
  private produced = 0;
  private fed = 0;
  /** Decompressed bytes waiting in `output`. */
  private queued = 0;
  /** Compressed bytes read but not yet given to zlib (held back while the output queue is full). */
  private feed: Uint8Array = new Uint8Array(0);
  private feedAt = 0;
  private readonly inputBuf = new Uint8Array(256 << 10);

  constructor(private readonly raw: ByteSource) {
    this.gunzip.on('data', (chunk: Buffer) => {
      this.output.push(chunk);
      this.queued += chunk.length;
    });
    this.gunzip.on('error', (err: Error) => {
      this.error ??= err;
    });
    this.gunzip.on('end', () => {
      this.finished = true;
    });
  }

  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.output.length === 0 && this.error === null && !this.finished) await this.pump();
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

  /** Feeds zlib the next slice of input (or, at the end, the flush and the trailer). */
  private async pump(): Promise<void> {
    if (this.feedAt < this.feed.length) {
      await this.feedSlices();
      return;
    }
    if (this.inputDone) {
      // zlib has everything; wait for it to finish or fail.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const n = await this.raw.readInto(this.inputBuf, 0, this.inputBuf.length);
    if (n === 0) {
      this.inputDone = true;
      // Flush all data out before the trailer is checked, then hand over the trailer and end.
      await this.settled((done) => this.gunzip.flush(() => done()));
      if (this.error === null) this.gunzip.end(this.held);
      return;
    }
    const data = concat(this.held, this.inputBuf.subarray(0, n));
    const keep = Math.min(GZIP_TRAILER, data.length);
    // A copy: inputBuf is read into again while part of this may still wait for the queue.
    this.feed = data.slice(0, data.length - keep);
    this.feedAt = 0;
    this.held = data.slice(data.length - keep);
    await this.feedSlices();
  }

  /** Gives zlib the read input slice by slice, stopping while GZIP_OUTPUT_QUEUE bytes wait to be read. */
  private async feedSlices(): Promise<void> {
    const feed = this.feed;
    while (this.feedAt < feed.length && this.error === null && this.queued < GZIP_OUTPUT_QUEUE) {
      const step = this.fed < GZIP_SMALL_SLICES_UP_TO ? GZIP_SLICE_FIRST : GZIP_SLICE;
      const slice = feed.subarray(this.feedAt, Math.min(feed.length, this.feedAt + step));
      await this.settled((done) => this.gunzip.write(slice, () => done()));
      this.feedAt += slice.length;
      this.fed += slice.length;
    }
  }

  /** Resolves when zlib calls back, or when it fails or closes instead (a callback it may never call). */
  private settled(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.gunzip.off('error', done);
        this.gunzip.off('close', done);
        resolve();
      };
      this.gunzip.once('error', done);
      this.gunzip.once('close', done);
      start(done);
    });
  }

  close(): void {
    this.gunzip.destroy();
    this.raw.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return Buffer.from(b);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
