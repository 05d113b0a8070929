/**
 * An append-only list of serialized findings that stays in memory while small and spills to a
 * temporary file when large, so a capture with millions of resets or connections is reported in
 * bounded memory. Lines are read back in the order they were written.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** In-memory budget per spool before it moves to disk. */
export const SPOOL_MEMORY_LIMIT = 32 << 20;

/** Lines of text kept in order; memory stays under `memoryLimit` characters. */
export class Spool {
  private buffered: string[] = [];
  private bufferedChars = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  private path = '';
  count = 0;

  constructor(private readonly memoryLimit = SPOOL_MEMORY_LIMIT) {}

  /** Appends one line (without its newline). */
  push(line: string): void {
    this.buffered.push(line);
    this.bufferedChars += line.length + 1;
    this.count++;
    if (this.bufferedChars > this.memoryLimit) this.spill();
  }

  private spill(): void {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'whyreset-'));
      this.path = join(this.dir, 'spool');
      this.fd = openSync(this.path, 'w+');
    }
    writeSync(this.fd, `${this.buffered.join('\n')}\n`);
    this.buffered = [];
    this.bufferedChars = 0;
  }

  /** Every line, in order (disk part first, then what is still in memory). */
  *lines(): Generator<string> {
    if (this.fd !== null) {
      const chunk = Buffer.alloc(4 << 20);
      let position = 0;
      let carry = '';
      for (;;) {
        const n = readSync(this.fd, chunk, 0, chunk.length, position);
        if (n === 0) break;
        position += n;
        const text = carry + chunk.toString('utf8', 0, n);
        const parts = text.split('\n');
        carry = parts.pop() ?? '';
        for (const part of parts) yield part;
      }
      if (carry.length > 0) yield carry;
    }
    for (const line of this.buffered) yield line;
  }

  /** Removes the temporary file, if any. */
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
    this.buffered = [];
  }
}
