/**
 * Byte sources for the capture readers: a file, standard input or anything else that streams,
 * each optionally gzip-compressed (detected by the magic bytes 1f 8b, RFC 1952 §2.3.1, never
 * by the file name). A source fills a caller's buffer, so the reader controls every allocation.
 */
import { closeSync, openSync, read } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ByteSource } from './byteSource.js';
import { GzipSource } from './gzip.js';

export type { ByteSource } from './byteSource.js';

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

/** The opened input: where its bytes come from, and the gzip decompressor when it was compressed. */
export interface OpenedSource {
  source: ByteSource;
  compressed: boolean;
  gzip: GzipSource | null;
}

/**
 * Opens a path (or `-` for standard input) and unwraps gzip when the first two bytes are 1f 8b.
 * Several gzip members back to back (as `cat a.gz b.gz` makes) decompress as one stream.
 */
export async function openSource(path: string, stdin?: Readable, onRawBytes?: (bytes: Uint8Array) => void): Promise<OpenedSource> {
  // process.stdin only for "-": reading it creates the stream and loads Node's stream modules.
  const opened: ByteSource = path === '-' ? new StreamSource(stdin ?? process.stdin) : new FileSource(path);
  const raw = onRawBytes === undefined ? opened : new TappedSource(opened, onRawBytes);
  const head = await readAtMost(raw, 2);
  const replay = new PrefixedSource(head, raw);
  if (head.length === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gzip = new GzipSource(replay);
    return { source: gzip, compressed: true, gzip };
  }
  return { source: replay, compressed: false, gzip: null };
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
