/**
 * For the tests of report/jsonBytes.ts (JsonBytes#line, #connectionLine, #resetLine): a writer
 * whose drained lines are collected as text, and the lines JSON.stringify gives for the same
 * values (with an ndjson head as the writers put it), which every such test compares against.
 */
import { JsonBytes } from '../../src/report/jsonBytes.js';

/** The end of every line. */
export const NEWLINE = new Uint8Array([0x0a]);

/** A JsonBytes with a small buffer (lines cross its edge, it grows); `text()` is what it drained, `lines` how many lines. */
export function collectingWriter(size = 64): { w: JsonBytes; text: () => string; lines: () => number } {
  const parts: Buffer[] = [];
  let lines = 0;
  const w = new JsonBytes((bytes, start, end, n) => {
    parts.push(Buffer.from(bytes.slice(start, end)));
    lines += n;
  }, size);
  return { w, text: () => Buffer.concat(parts).toString('utf8'), lines: () => lines };
}

/** What JSON.stringify writes for each value, one line each, after `head` where given (`{"type":…` then the value's members). */
export function expectedLines(values: object[], head?: string): string {
  return values
    .map((v) => {
      const json = JSON.stringify(v);
      if (head === undefined) return `${json}\n`;
      return json === '{}' ? `${head}}\n` : `${head},${json.slice(1)}\n`;
    })
    .join('');
}
