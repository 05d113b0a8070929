/**
 * A ByteSource (capture/source.ts) over bytes in memory for tests of the read window: each read
 * hands out at most what is asked, in order; `asked`, when given, records the length of every
 * read asked of it.
 */
import type { ByteSource } from '../../src/capture/source.js';

export function memorySource(bytes: Uint8Array, asked?: number[]): ByteSource {
  let at = 0;
  return {
    readInto(buf, offset, length) {
      asked?.push(length);
      const n = Math.min(length, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), offset);
      at += n;
      return Promise.resolve(n);
    },
    close() {},
  };
}
