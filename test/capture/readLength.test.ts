/**
 * ByteWindow's readLength (capture/window.ts ReadLength): asked before each read, it bounds that
 * read's length below the chunk size, and the window reads whole chunks again once it allows
 * them (`ingest` reads 1 MiB at a time only until the store wants the file, then 8 MiB).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ByteWindow } from '../../src/capture/window.js';
import { memorySource } from '../helpers/memorySource.js';

it('reads at most readLength() bytes while it says so, then whole chunks, and the bytes stay in order', async () => {
  const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
  const asked: number[] = [];
  let limit = 64;
  const win = new ByteWindow(memorySource(bytes, asked), 1024, null, () => limit);
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
  const plain = new ByteWindow(memorySource(bytes, asked), 1024);
  assert.ok(await plain.ensure(1));
  assert.equal(asked[0], 1024);
  const capped: number[] = [];
  const big = new ByteWindow(memorySource(bytes, capped), 1024, null, () => 1 << 30);
  assert.ok(await big.ensure(1));
  assert.equal(capped[0], 1024);
});
