/**
 * Issue 16, item 6: memory and time bounded on hostile input. Records over 1 MiB do not grow the
 * read window per record; ten thousand pcapng interface descriptions keep at most
 * MAX_INTERFACES_PER_SECTION; 1 MB of zeros after a pcapng header is skipped without an await
 * per byte; a gzip bomb's queued output stays bounded.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { GZIP_OUTPUT_QUEUE, GzipSource } from '../../src/capture/gzip.js';
import { readCapture } from '../../src/capture/open.js';
import { MAX_INTERFACES_PER_SECTION } from '../../src/capture/pcapng.js';
import { ByteWindow } from '../../src/capture/window.js';
import { memorySource } from '../helpers/memorySource.js';
import { tempDir } from '../helpers/run.js';

let dir = '';
let remove = () => {};
before(() => {
  ({ dir, remove } = tempDir('whyreset-bounds-'));
});
after(() => remove());

test('a run of records over the headroom does not grow the read window per record', async () => {
  const RECORD = 3 << 20;
  const COUNT = 12;
  const bytes = new Uint8Array(RECORD * COUNT);
  const chunk = 1 << 20;
  const win = new ByteWindow(memorySource(bytes), chunk);
  let largest = 0;
  for (let i = 0; i < COUNT; i++) {
    assert.ok(await win.ensure(RECORD));
    win.pos += RECORD;
    largest = Math.max(largest, win.buf.length);
  }
  // One record, a chunk and the headroom: not COUNT records.
  assert.ok(largest <= RECORD + 2 * chunk + (1 << 20), `window grew to ${largest} bytes`);
});

/** A little-endian pcapng section header and `n` Ethernet interface descriptions. */
function pcapngWithInterfaces(n: number): Uint8Array {
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeInt32LE(-1, 16);
  shb.writeInt32LE(-1, 20);
  shb.writeUInt32LE(28, 24);
  const idb = Buffer.alloc(20);
  idb.writeUInt32LE(1, 0);
  idb.writeUInt32LE(20, 4);
  idb.writeUInt16LE(1, 8);
  idb.writeUInt32LE(65535, 12);
  idb.writeUInt32LE(20, 16);
  return Buffer.concat([shb, ...Array.from({ length: n }, () => idb)]);
}

test('interface descriptions kept per pcapng section are bounded, and the overflow is reported once', async () => {
  const path = join(dir, 'many-idb.pcapng');
  writeFileSync(path, pcapngWithInterfaces(MAX_INTERFACES_PER_SECTION + 5000));
  const facts = await readCapture(path, () => {});
  const overflow = facts.state.errors.filter((e) => /interface descriptions in one section/.test(e.message));
  assert.equal(overflow.length, 1, JSON.stringify(facts.state.errors));
  assert.deepEqual(facts.state.linktypes, [1]);
});

test('1 MB of zeros after a pcapng header is skipped quickly (no await per byte)', async () => {
  const path = join(dir, 'zeros.pcapng.gz');
  const bytes = Buffer.concat([pcapngWithInterfaces(1), Buffer.alloc(1 << 20)]);
  writeFileSync(path, gzipSync(bytes));
  const started = performance.now();
  const facts = await readCapture(path, () => {}, { chunkSize: 4096 });
  const ms = performance.now() - started;
  assert.ok(ms < 5000, `${Math.round(ms)} ms`);
  assert.match(facts.state.errors.map((e) => e.message).join('\n'), /the rest of the file \(1048576 bytes\) was skipped|impossible length/);
});

test("a gzip bomb's decompressed output waiting in the queue stays under GZIP_OUTPUT_QUEUE plus one slice", async () => {
  const bomb = gzipSync(Buffer.alloc(64 << 20));
  const source = new GzipSource(memorySource(bomb));
  let total = 0;
  let most = 0;
  const buf = new Uint8Array(64 << 10);
  for (;;) {
    const n = await source.readInto(buf, 0, buf.length);
    if (n === 0) break;
    total += n;
    most = Math.max(most, (source as unknown as { queued: number }).queued);
  }
  source.close();
  assert.equal(total, 64 << 20);
  assert.ok(most <= GZIP_OUTPUT_QUEUE + (16 << 10) * 1100, `queued up to ${most} bytes`);
});
