/**
 * report/byteRows.ts: bytes written as 8-byte words (asWords, ByteRows#words, which JsonBytes
 * uses for its keys) are the same bytes, whatever the length, alignment and content (ASCII,
 * UTF-8, bytes of every value); a word whose bits read as a NaN is refused (it might not keep
 * them through a double), so the caller writes those bytes one by one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteRows, asWords } from '../../src/report/byteRows.js';
import { xorshift32 } from '../helpers/random.js';

/** A ByteRows whose rows are collected, through a small buffer that fills and grows. */
function collected(size: number): { rows: ByteRows; out: () => Buffer } {
  const parts: Buffer[] = [];
  const rows = new ByteRows((bytes, start, end) => parts.push(Buffer.from(bytes.slice(start, end))), size);
  return {
    rows,
    out: () => {
      rows.flush();
      return Buffer.concat(parts);
    },
  };
}

test('asWords: NaN bit patterns refused, printable ASCII and UTF-8 always taken', () => {
  // Little-endian 0x7ff8…: a quiet NaN (and 0xfff0… with a nonzero fraction, a negative one).
  assert.equal(asWords(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x7f])), null);
  assert.equal(asWords(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf0, 0xff, 0x41])), null);
  assert.notEqual(asWords(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf0, 0x7f])), null, 'infinity is a double like any other');
  const next = xorshift32(7);
  for (let i = 0; i < 2000; i++) {
    const key = `,"${Array.from({ length: 1 + Math.floor(next() * 30) }, () => String.fromCharCode(0x20 + Math.floor(next() * 95))).join('')}é→😀":`;
    assert.notEqual(asWords(Buffer.from(key)), null, key);
  }
});

test('ByteRows#words writes exactly the bytes, at any offset, between other writes and across growth', () => {
  const next = xorshift32(8);
  for (const size of [16, 64, 1 << 12]) {
    const { rows, out } = collected(size);
    const want: number[] = [];
    for (let row = 0; row < 400; row++) {
      const parts = 1 + Math.floor(next() * 5);
      for (let p = 0; p < parts; p++) {
        const bytes = new Uint8Array(Math.floor(next() * 40));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
        const words = asWords(bytes);
        if (words !== null && next() < 0.8) rows.words(words, bytes.length);
        else rows.bytes(bytes);
        want.push(...bytes);
        // A byte of its own now and then, so that words start at every alignment.
        if (next() < 0.5) {
          rows.byte(0x2c);
          want.push(0x2c);
        }
      }
      rows.byte(0x0a);
      want.push(0x0a);
      rows.endRow();
    }
    assert.deepEqual(out(), Buffer.from(want), `buffer ${size}`);
  }
});
