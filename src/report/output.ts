/**
 * Where a report goes: a file (`--out`) or standard output. Text is gathered into large writes
 * and handed on with backpressure, so piping a big report into `head` or `jq` neither floods
 * memory nor dies on EPIPE. A file is written beside its target and renamed into place by end();
 * a write error (a full disk) is kept and thrown by end() as an OutputError, never from an event.
 *
 * A file (or a device such as /dev/null) is written synchronously, one write(2) per flush, as
 * Node writes standard output to files and pipes on Linux: nothing waits in memory behind the
 * disk, so a burst of findings produced without a turn of the event loop (the end of a stream,
 * where the tracker finishes every open connection at once) costs one write buffer, not the
 * whole burst (a 200k-connection SYN flood's ndjson peaked at 545 MB with an fs.WriteStream).
 * A FIFO keeps an fs.WriteStream: opening it waits for a reader, which must not block the run.
 *
 * Standard output that is a pipe, a socket or a file is written the same way, with write(2) on
 * fd 1, without creating process.stdout: creating it loads Node's stream modules (net, stream,
 * tty), compiled from source under the bin's V8 flags (~45 M instructions, more than a small
 * analysis). A terminal keeps process.stdout (its isTTY decides the colours). If the descriptor
 * turns out non-blocking (EAGAIN: a parent shared a non-blocking pipe), the rest goes through
 * process.stdout, which waits for the reader; a reader that went away (EPIPE) ends the output
 * quietly either way.
 */
import { closeSync, createWriteStream, fstatSync, openSync, statSync, writeSync } from 'node:fs';
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
  /** The file descriptor written synchronously, or -1 (a stream instead, or not open). */
  private fd = -1;
  /** The fd is standard output's (1): never closed here. */
  private fdIsStdout = false;
  private stream: Writable | null;
  readonly isTerminal: boolean;

  constructor(
    private readonly path: string | null,
    stdout?: Writable,
  ) {
    this.target = path === null || path === '-' ? null : atomicOutput(path);
    if (this.target !== null && !isFifo(this.target.writePath)) {
      this.stream = null;
      try {
        this.fd = openSync(this.target.writePath, 'w');
      } catch (err) {
        this.fail(err as NodeJS.ErrnoException);
      }
    } else if (this.target === null && stdout === undefined && stdoutWritableByFd()) {
      this.stream = null;
      this.fd = STDOUT_FD;
      this.fdIsStdout = true;
    } else {
      // process.stdout only when written to: reading it creates the stream (Node's stream modules).
      this.stream = this.target === null ? (stdout ?? process.stdout) : createWriteStream(this.target.writePath);
      this.stream.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    }
    this.isTerminal = this.target === null && this.stream !== null && Boolean((this.stream as { isTTY?: boolean }).isTTY);
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

  /**
   * Writes `bytes` now, after whatever is queued; the caller may reuse them as soon as this
   * returns. False when the output asks the caller to wait for `drained()` before writing more.
   */
  writeNow(bytes: Uint8Array): boolean {
    if (this.closed || bytes.length === 0) return true;
    const queued = this.takeQueued();
    if (this.stream === null) {
      if (queued !== null) this.writeFd(queued);
      this.writeFd(bytes);
      return true;
    }
    if (queued !== null) this.stream.write(queued);
    // A stream may keep what it is given until it is written: it gets a copy.
    return this.stream.write(Buffer.from(bytes));
  }

  /** Hands everything queued to the output, waiting for a stream to drain when it asks to. */
  async flush(): Promise<void> {
    const data = this.takeQueued();
    if (data === null) return;
    if (this.stream === null) this.writeFd(data);
    else if (!this.stream.write(data)) await this.drained();
  }

  /** Resolves once the stream took what it holds (at once for a file, which is written synchronously). */
  drained(): Promise<void> {
    const stream = this.stream;
    if (stream === null || this.closed || !stream.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  /** Flushes and, for a file, closes it and renames it into place; throws OutputError when writing failed. */
  async end(): Promise<void> {
    await this.flush();
    if (this.fd >= 0 && !this.fdIsStdout) {
      try {
        closeSync(this.fd);
      } catch (err) {
        this.fail(err as NodeJS.ErrnoException);
      }
      this.fd = -1;
    } else if (this.stream !== null && this.target !== null && this.failure === null) {
      const stream = this.stream;
      await new Promise<void>((resolve) => {
        stream.end((err?: Error | null) => {
          if (err) this.failure ??= err as NodeJS.ErrnoException;
          resolve();
        });
        stream.once('error', () => resolve());
      });
    } else if (this.stream !== null && this.failure === null && !this.closed && this.stream === process.stdout) {
      // Wait until standard output took everything (a write error shows up here).
      const stream = this.stream;
      await new Promise<void>((resolve) => stream.write('', () => resolve()));
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
      if (this.fd >= 0) {
        try {
          closeSync(this.fd);
        } catch {
          // Removed next whatever happened.
        }
        this.fd = -1;
      }
      this.stream?.destroy();
      this.target.abort();
    }
  }

  /** Everything queued as one piece (strings joined; bytes concatenated with the strings' UTF-8), or null. */
  private takeQueued(): string | Buffer | null {
    if (this.parts.length === 0 || this.closed) return null;
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    // One write per flush: strings are joined, and bytes (from the spools) are concatenated with
    // the strings' UTF-8 rather than decoded into a string and encoded again.
    return parts.every((p) => typeof p === 'string')
      ? parts.join('')
      : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  }

  /** write(2) until all of `data` is written; a failure is kept for end() and stops the output. */
  private writeFd(data: string | Uint8Array): void {
    if (this.closed) return;
    if (this.fd < 0) {
      // Standard output fell back to its stream (toStdoutStream) during this flush: the rest follows it there.
      if (this.stream !== null) this.stream.write(typeof data === 'string' ? data : Buffer.from(data));
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    try {
      while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && this.fdIsStdout) this.toStdoutStream(bytes.subarray(at));
      else this.fail(err as NodeJS.ErrnoException);
    }
  }

  /**
   * Standard output is non-blocking (write(2) said EAGAIN): from here on through process.stdout,
   * which queues and waits for the reader; `rest` (what write(2) did not take) goes first.
   */
  private toStdoutStream(rest: Uint8Array): void {
    this.fd = -1;
    const stream = process.stdout;
    this.stream = stream;
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    stream.write(Buffer.from(rest));
  }

  /** Stops writing; keeps the error for end() unless it is a reader that went away. */
  private fail(err: NodeJS.ErrnoException): void {
    // A reader that went away (EPIPE from `| head`) is not an error of ours: stop writing.
    // Anything else (ENOSPC, EIO) is kept for end() to report.
    this.closed = true;
    if (err.code !== 'EPIPE') this.failure ??= err;
  }
}

const STDOUT_FD = 1;

/**
 * True when standard output is a pipe, a socket or a file, written with write(2) on fd 1; false
 * for a terminal or another character device (process.stdout then), or when fd 1 is not open.
 */
function stdoutWritableByFd(): boolean {
  try {
    const st = fstatSync(STDOUT_FD);
    return st.isFIFO() || st.isSocket() || st.isFile();
  } catch {
    return false;
  }
}

/** True when `path` is an existing FIFO (written through a stream: opening it waits for a reader). */
function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}
