/**
 * Issue 16, item 2 (gzip): everything of a valid gzip stream is analysed, whatever follows it.
 * `gzip -t` accepts a file with trailing data ("trailing garbage ignored"); zlib's multi-member
 * gunzip instead fails the call that read the end of the last member, and drops that call's output:
 * the last records (all of them, for a small file) were lost. The bytes after the stream are
 * reported with their offset in the compressed file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { analyze } from '../../src/index.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, RST, SYN, tcp4Frame } from '../../testkit/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'whyreset-gzip-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 42 connections refused with SYN → RST/ACK: 42 resets, the last one in the capture's last record. */
function refusedConnections(n = 42): Uint8Array {
  const records = [];
  for (let i = 0; i < n; i++) {
    const ts = 1700000000 + i;
    const sport = 40000 + i;
    records.push({ ts, data: tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport, dport: 80, seq: 1000, ack: 0, flags: SYN, win: 64240, ttl: 64, id: i }) });
    records.push({ ts: ts + 0.0002, data: tcp4Frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: sport, seq: 0, ack: 1001, flags: RST | ACK, win: 0, ttl: 64, id: 0 }) });
  }
  return writePcap(records);
}

const pcap = refusedConnections();
const gz = gzipSync(pcap);
const tails: [string, Uint8Array][] = [
  ['text', new TextEncoder().encode('this is not gzip data\n')],
  ['random-looking bytes', Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff)],
  ['something that starts like a gzip header', Uint8Array.from([0x1f, 0x8b, 0x07, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
  ['zero padding', new Uint8Array(1000)],
  ['a second member cut in its header', gzipSync(pcap).subarray(0, 6)],
];

for (const [what, tail] of tails) {
  test(`every record of a valid gzip stream is analysed when ${what} follows it, and the tail is reported at its compressed offset`, async () => {
    const bytes = Buffer.concat([gz, tail]);
    const path = join(dir, `tail-${tails.findIndex(([w]) => w === what)}.pcap.gz`);
    writeFileSync(path, bytes);
    for (const [how, run] of [
      ['file', () => analyze([path])],
      ['stdin', () => analyze(['-'], { stdin: Readable.from([bytes]) })],
    ] as const) {
      const report = await run();
      assert.equal(report.summary.resets, 42, `${how}: resets kept`);
      assert.equal(report.summary.packets, 84, `${how}: packets kept`);
      const errors = report.inputs[0]?.errors ?? [];
      assert.equal(errors.length, 1, `${how}: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]?.offset, pcap.length, `${how}: the error is where the decompressed stream ends`);
      assert.match(errors[0]?.message ?? '', new RegExp(`${tail.length} bytes? after the gzip data \\(from byte ${gz.length} of the compressed input\\)`), how);
    }
  });
}

test('two gzip members back to back are read as one stream, with nothing reported', async () => {
  const half = 24 + 16 * 40 + 40 * (54 + 16);
  const bytes = Buffer.concat([gzipSync(pcap.subarray(0, half)), gzipSync(pcap.subarray(half))]);
  const path = join(dir, 'members.pcap.gz');
  writeFileSync(path, bytes);
  const report = await analyze([path]);
  assert.equal(report.summary.resets, 42);
  assert.deepEqual(report.inputs[0]?.errors, []);
});
