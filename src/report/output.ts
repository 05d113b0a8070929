/**
 * Where a report goes: a file (`--out`) or standard output. Text is gathered into large writes
 * and handed on with backpressure, so piping a big report into `head` or `jq` neither floods
 * memory nor dies on EPIPE.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

const FLUSH_AT = 1 << 20;

/** Buffered, backpressure-aware text output. */
export class Output {
  private parts: (string | Uint8Array)[] = [];
  private size = 0;
  private closed = false;
  readonly stream: Writable;
  readonly isTerminal: boolean;

  constructor(path: string | null, stdout: Writable = process.stdout) {
    this.stream = path === null || path === '-' ? stdout : createWriteStream(path);
    this.isTerminal = this.stream === stdout && Boolean((stdout as { isTTY?: boolean }).isTTY);
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      // A reader that went away (EPIPE from `| head`) is not an error of ours: stop writing.
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
    });
  }

  /** Queues text; resolves once it is safe to write more. */
  async write(text: string): Promise<void> {
    if (this.closed) return;
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT) await this.flush();
  }

  /** Queues bytes, which the caller hands over (it must not change them); resolves once it is safe to write more. */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    if (this.closed || bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size >= FLUSH_AT) await this.flush();
  }

  /** Hands everything queued to the stream, waiting for it to drain when it asks to. */
  async flush(): Promise<void> {
    if (this.parts.length === 0 || this.closed) return;
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    // One write per flush: strings are joined, and bytes (from the spools) are concatenated with
    // the strings' UTF-8 rather than decoded into a string and encoded again.
    const data = parts.every((p) => typeof p === 'string')
      ? parts.join('')
      : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    if (!this.stream.write(data)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
      });
    }
  }

  /** Flushes and, for a file, closes it. */
  async end(): Promise<void> {
    await this.flush();
    if (this.stream !== process.stdout && !this.closed) {
      await new Promise<void>((resolve, reject) => {
        this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
    }
  }
}
