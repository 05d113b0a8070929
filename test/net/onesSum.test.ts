import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteWindow } from '../../src/capture/window.js';
import { sumBytes } from '../../src/decode/checksum.js';
import { ONES_SUM_WASM, kernelFor, summableBuffers } from '../../src/net/onesSum.js';

/** RFC 1071 by the book: big-endian 16-bit words from `at`, a last odd byte padded with zero, end-around carry. */
function reference(bytes: Uint8Array, at: number, end: number): number {
  let sum = 0;
  for (let i = at; i < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (i + 1 < end ? (bytes[i + 1] ?? 0) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

describe('the WebAssembly one\'s-complement sum kernel', () => {
  it('is a valid module with SIMD on this Node', () => {
    assert.equal((globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(ONES_SUM_WASM), true);
  });

  it('sums every alignment and length as RFC 1071 and the JavaScript sum do, bit for bit', () => {
    const [bytes, other] = summableBuffers(140_000, 2) as [Uint8Array, Uint8Array];
    const kernel = kernelFor(bytes.buffer);
    assert.notEqual(kernel, null);
    assert.equal(kernelFor(other.buffer), kernel, 'both buffers share one memory and one kernel');
    assert.equal(other.byteOffset, 140_000);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    bytes.fill(0xff, 70_000, 136_000); // 64 KiB of ones: every lane and the fold carry at their most
    const plain = new DataView(Uint8Array.from(bytes).buffer); // the same bytes, outside the kernel's memory
    const inMemory = new DataView(bytes.buffer, 0, bytes.length);
    const lengths = [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 127, 128, 129, 200, 1500, 4000];
    for (let at = 0; at < 40; at++) {
      for (const length of lengths) {
        const wasm = sumBytes(inMemory, at, at + length);
        assert.equal(wasm, sumBytes(plain, at, at + length), `at ${at}, length ${length}`);
        assert.equal(wasm % 0xffff, reference(bytes, at, at + length) % 0xffff, `at ${at}, length ${length}`);
      }
    }
    // Past one 32 KiB block (the lanes are widened between blocks), ones included.
    for (const [at, length] of [
      [69_999, 66_001],
      [1, 139_999],
      [70_000, 65_536],
    ] as const) {
      assert.equal(sumBytes(inMemory, at, at + length), sumBytes(plain, at, at + length), `at ${at}, length ${length}`);
      assert.equal(sumBytes(inMemory, at, at + length) % 0xffff, reference(bytes, at, at + length) % 0xffff);
    }
    assert.equal(sumBytes(inMemory, 70_000, 70_000 + 65_536), 0xffff);
    assert.equal(sumBytes(inMemory, 5, 5), 0);
  });

  it('widens its 32-bit lanes between 32 KiB blocks: a 1 MiB range sums right, ones and random bytes', () => {
    // A lane gains up to 2^16 per 16 bytes: without the 64-byte blocks and their widening (the
    // 16-byte loop alone, as before session 10: its i32.const 64 was encoded as -64) the lanes
    // wrap past 512 KiB and the sum of 1 MiB of 0xff bytes is wrong.
    const [bytes] = summableBuffers(1 << 20, 1) as [Uint8Array];
    bytes.fill(0xff);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(sumBytes(view, 0, bytes.length), 0xffff);
    let seed = 11;
    for (let i = 0; i < bytes.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    const plain = new DataView(Uint8Array.from(bytes).buffer);
    for (const [at, end] of [[0, bytes.length], [3, bytes.length - 5], [64, 64 + 65_535]] as const) {
      assert.equal(sumBytes(view, at, end), sumBytes(plain, at, end), `at ${at}, end ${end}`);
      assert.equal(sumBytes(view, at, end), reference(bytes, at, end), `at ${at}, end ${end}`);
    }
  });

  it('sums ranges that end at the last byte of the memory (its last 16-byte load reads past them, masked)', () => {
    // Two buffers of 32 KiB fill one 64 KiB WebAssembly page exactly: only the room summableBuffers adds lies past them.
    const [, last] = summableBuffers(32_768, 2) as [Uint8Array, Uint8Array];
    for (let i = 0; i < last.length; i++) last[i] = (i * 151 + 89) & 0xff;
    const view = new DataView(last.buffer, last.byteOffset, last.byteLength);
    const plain = new DataView(Uint8Array.from(last).buffer);
    for (const length of [1, 2, 3, 7, 14, 15, 16, 17, 31, 63, 64, 65, 79, 1500, 32_768]) {
      const at = last.length - length;
      assert.equal(sumBytes(view, at, last.length), sumBytes(plain, at, last.length), `the last ${length} bytes`);
      assert.equal(sumBytes(view, at, last.length), reference(last, at, last.length), `the last ${length} bytes`);
    }
  });

  it('the capture window reads into the kernel\'s memory, so packets are summed in place', async () => {
    const source = { readInto: async () => 0, close: async () => {} };
    const win = new ByteWindow(source as never, 4096);
    assert.notEqual(kernelFor(win.buf.buffer), null);
    assert.equal(win.view.buffer, win.buf.buffer);
    assert.equal(await win.ensure(1), false);
  });

  it('sumBytes keeps each view\'s own offset when views of one memory and plain buffers alternate', () => {
    // sumBytes caches the kernel and byte offset of the last DataView it met (decode/checksum.ts):
    // a view of the same memory at another offset, or a plain buffer, must not reuse them.
    const [first, second] = summableBuffers(4096, 2) as [Uint8Array, Uint8Array];
    const plain = new Uint8Array(4096);
    for (let i = 0; i < 4096; i++) {
      first[i] = (i * 31 + 7) & 0xff;
      second[i] = (i * 17 + 3) & 0xff;
      plain[i] = (i * 13 + 5) & 0xff;
    }
    const views: [Uint8Array, DataView][] = [first, second, plain, second, first, plain].map((b) => [b, new DataView(b.buffer, b.byteOffset, b.byteLength)]);
    for (let round = 0; round < 3; round++) {
      for (const [bytes, view] of views) {
        for (const [at, end] of [[0, 20], [34, 1514], [1, 33], [100, 101]] as const) {
          assert.equal(sumBytes(view, at, end), reference(bytes, at, end), `[${at}, ${end}) at byte offset ${bytes.byteOffset}`);
        }
      }
    }
  });

  it('a buffer outside any kernel\'s memory has no kernel', () => {
    assert.equal(kernelFor(new ArrayBuffer(64)), null);
  });
});
