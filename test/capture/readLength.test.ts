/**
 * ByteWindow's readLength (capture/window.ts ReadLength): asked before each read, it bounds that
 * read's length below the chunk size, and the window reads whole chunks again once it allows
 * them (`ingest` reads 1 MiB at a time only until the store wants the file, then 8 MiB). And its
 * shared reads (SharedReads): the buffers in shared memory, each read awaiting beforeWrite.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ByteSource } from '../../src/capture/source.js';
import { ByteWindow } from '../../src/capture/window.js';

/** A source over `bytes` that records the length of every read asked of it. */
function recordingSource(bytes: Uint8Array, asked: number[]): ByteSource {
  let at = 0;
  return {
    readInto(buf, offset, length) {
      asked.push(length);
      const n = Math.min(length, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), offset);
      at += n;
      return Promise.resolve(n);
    },
    close() {},
  };
}

it('reads at most readLength() bytes while it says so, then whole chunks, and the bytes stay in order', async () => {
  const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
  const asked: number[] = [];
  let limit = 64;
  const win = new ByteWindow(recordingSource(bytes, asked), 1024, null, () => limit);
  const seen: number[] = [];
  const take = async (n: number) => {
    assert.ok(await win.ensure(n));
    for (let i = 0; i < n; i++) seen.push(win.buf[win.pos + i] as number);
    win.pos += n;
  };
  for (let i = 0; i < 4; i++) await take(64);
  assert.ok(asked.length >= 4 && !asked.some((n) => n !== 64), `reads while limited: ${asked.join(',')}`);
  limit = Number.POSITIVE_INFINITY;
  const before = asked.length;
  while (seen.length < bytes.length) await take(Math.min(256, bytes.length - seen.length));
  // The read already under way when the limit was lifted was asked with the old limit; every one after it is a whole chunk.
  assert.ok(!asked.slice(before + 1).some((n) => n !== 1024), `reads after: ${asked.slice(before).join(',')}`);
  assert.ok(asked.slice(before + 1).length >= 3);
  assert.deepEqual(seen, [...bytes]);
});

it('reads whole chunks without readLength, and never more than a chunk whatever it says', async () => {
  const bytes = new Uint8Array(3000);
  const asked: number[] = [];
  const plain = new ByteWindow(recordingSource(bytes, asked), 1024);
  assert.ok(await plain.ensure(1));
  assert.equal(asked[0], 1024);
  const capped: number[] = [];
  const big = new ByteWindow(recordingSource(bytes, capped), 1024, null, () => 1 << 30);
  assert.ok(await big.ensure(1));
  assert.equal(capped[0], 1024);
});

it('shared reads: both buffers in shared memory, and no read into a buffer (nor a long record merged into it) before beforeWrite has let it go', async () => {
  const bytes = Uint8Array.from({ length: 8192 }, (_, i) => (i * 13) & 0xff);
  const asked: number[] = [];
  // Each buffer is held (as a hashing thread would hold it) until the window asks for it back; the read must wait.
  const held = new Map<ArrayBufferLike | number, boolean>();
  const freed: number[] = [];
  const source = recordingSource(bytes, asked);
  const reads: number[] = [];
  const checking: ByteSource = {
    readInto(buf, offset, length) {
      assert.equal(held.get(buf.byteOffset), false, `a read into the buffer at ${buf.byteOffset} while it was held`);
      reads.push(buf.byteOffset);
      return source.readInto(buf, offset, length).then((n) => {
        held.set(buf.byteOffset, true);
        return n;
      });
    },
    close() {},
  };
  const shared = {
    beforeWrite(buf: Uint8Array): Promise<void> | null {
      if (held.get(buf.byteOffset) !== true) {
        held.set(buf.byteOffset, false);
        return null;
      }
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          held.set(buf.byteOffset, false);
          freed.push(buf.byteOffset);
          resolve();
        }, 1),
      );
    },
  };
  const win = new ByteWindow(checking, 1024, null, null, shared);
  assert.ok(win.buf.buffer instanceof SharedArrayBuffer, 'the window reads into shared memory');
  const seen: number[] = [];
  while (seen.length < bytes.length) {
    // Now and then a record longer than the headroom (1,024 bytes here) straddles two chunks.
    const n = Math.min(seen.length % 3 === 0 ? 1500 : 200, bytes.length - seen.length);
    assert.ok(await win.ensure(n));
    for (let i = 0; i < n; i++) seen.push(win.buf[win.pos + i] as number);
    win.pos += n;
  }
  assert.deepEqual(seen, [...bytes]);
  assert.ok(freed.length >= 4, `buffers given back before their reads: ${freed.length}`);
});
