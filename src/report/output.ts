/**
 * Where a report goes: a file (`--out`) or standard output. Text is gathered into large writes
 * and handed on with backpressure, so piping a big report into `head` or `jq` neither floods
 * memory nor dies on EPIPE. A file is written beside its target and renamed into place by end();
 * a write error (a full disk) is kept and thrown by end() as an OutputError, never from an event.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { type AtomicOutput, atomicOutput } from '../pipeline/tempFiles.js';

const FLUSH_AT = 1 << 20;

/** A report that could not be written (the message names the file and the system's reason). */
export class OutputError extends Error {}

/** Buffered, backpressure-aware text output. */
export class Output {
  private parts: (string | Uint8Array)[] = [];
  private size = 0;
  private closed = false;
  private failure: NodeJS.ErrnoException | null = null;
  private readonly target: AtomicOutput | null;
  readonly stream: Writable;
  readonly isTerminal: boolean;

  constructor(
    private readonly path: string | null,
    stdout: Writable = process.stdout,
  ) {
    this.target = path === null || path === '-' ? null : atomicOutput(path);
    this.stream = this.target === null ? stdout : createWriteStream(this.target.writePath);
    this.isTerminal = this.stream === stdout && Boolean((stdout as { isTTY?: boolean }).isTTY);
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      // A reader that went away (EPIPE from `| head`) is not an error of ours: stop writing.
      // Anything else (ENOSPC, EIO) is kept for end() to report.
      this.closed = true;
      if (err.code !== 'EPIPE') this.failure ??= err;
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
        if (this.closed) done();
      });
    }
  }

  /** Flushes and, for a file, closes it and renames it into place; throws OutputError when writing failed. */
  async end(): Promise<void> {
    await this.flush();
    if (this.target !== null && this.failure === null) {
      await new Promise<void>((resolve) => {
        this.stream.end((err?: Error | null) => {
          if (err) this.failure ??= err as NodeJS.ErrnoException;
          resolve();
        });
        this.stream.once('error', () => resolve());
      });
    } else if (this.failure === null && !this.closed && this.stream === process.stdout) {
      // Wait until standard output took everything (a write error shows up here).
      await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
    }
    if (this.failure !== null) {
      this.target?.abort();
      const where = this.path === null || this.path === '-' ? 'standard output' : this.path;
      throw new OutputError(`${where}: ${this.failure.message}`);
    }
    this.target?.commit();
  }

  /** Gives up: removes the unfinished file (the target stays as it was). */
  abort(): void {
    this.closed = true;
    if (this.target !== null) {
      this.stream.destroy();
      this.target.abort();
    }
  }
}
