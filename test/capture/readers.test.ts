/**
 * One suite run against every container variant: classic pcap (LE/BE, µs/ns) and pcapng
 * (sections in both byte orders, several interfaces with their own link types and time
 * resolutions, EPB/SPB/PB, blocks to skip). Each variant must give the same records; then the
 * things that go wrong: records straddling chunks, gzip, stdin, truncation, hostile lengths.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCapture } from '../../src/capture/open.js';
import { NotACaptureError } from '../../src/capture/reader.js';
import { analyze } from '../../src/index.js';
import { PcapngWriter, writePcap } from '../../testkit/captureWriter.js';
import { ACK, RST, SYN, ethernet, tcp4Frame } from '../../testkit/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'whyreset-readers-'));
let fileCounter = 0;
function tempFile(bytes: Uint8Array, name = 'cap'): string {
  const path = join(dir, `${name}-${fileCounter++}`);
  writeFileSync(path, bytes);
  return path;
}

/** Ten frames of a small conversation: SYN, RST/ACK, ARP, data, a RST with text. */
function frames(): { data: Uint8Array; ts: number }[] {
  const out: { data: Uint8Array; ts: number }[] = [];
  for (let i = 0; i < 10; i++) {
    const ts = 1700000000 + i * 0.25 + 0.000001 * i;
    let data: Uint8Array;
    if (i === 3) data = ethernet({ ethertype: 0x0806, payload: new Uint8Array(28), padTo: 60 });
    else if (i % 2 === 0) data = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + i, dport: 80, seq: 100 + i, ack: 0, flags: SYN, win: 64240, ttl: 64, id: i });
    else data = tcp4Frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000 + i - 1, seq: 0, ack: 101 + i - 1, flags: RST | ACK, win: 0, ttl: 128, id: 0, padTo: 60 });
    out.push({ data, ts });
  }
  return out;
}

interface Seen {
  frame: number;
  ts: number;
  caplen: number;
  origLen: number;
  linkType: number;
  firstBytes: string;
}

async function readAll(path: string, chunkSize?: number): Promise<{ seen: Seen[]; facts: Awaited<ReturnType<typeof readCapture>> }> {
  const seen: Seen[] = [];
  const facts = await readCapture(
    path,
    (rec) => {
      seen.push({
        frame: rec.frame,
        ts: Math.round(rec.ts * 1e6) / 1e6,
        caplen: rec.caplen,
        origLen: rec.origLen,
        linkType: rec.linkType,
        firstBytes: Buffer.from(rec.data.subarray(rec.start, rec.start + rec.caplen)).toString('hex'),
      });
    },
    { chunkSize },
  );
  return { seen, facts };
}

const expected = frames().map((f, i) => ({
  frame: i + 1,
  ts: Math.round(f.ts * 1e6) / 1e6,
  caplen: f.data.length,
  origLen: f.data.length,
  linkType: 1,
  firstBytes: Buffer.from(f.data).toString('hex'),
}));

const variants: [string, () => Uint8Array][] = [
  ['pcap little-endian µs', () => writePcap(frames(), { byteOrder: 'le' })],
  ['pcap big-endian µs', () => writePcap(frames(), { byteOrder: 'be' })],
  ['pcap little-endian ns', () => writePcap(frames(), { byteOrder: 'le', nanos: true })],
  ['pcap big-endian ns', () => writePcap(frames(), { byteOrder: 'be', nanos: true })],
  [
    'pcapng little-endian EPB',
    () => {
      const w = new PcapngWriter().section({ byteOrder: 'le' });
      w.iface({ linkType: 1 });
      for (const f of frames()) w.epb({ ts: f.ts, data: f.data });
      return w.toBytes();
    },
  ],
  [
    'pcapng big-endian, ns resolution, blocks to skip',
    () => {
      const w = new PcapngWriter().section({ byteOrder: 'be' });
      w.iface({ linkType: 1, tsresol: { base: 10, exp: 9 } });
      w.nrb([{ ip: Uint8Array.of(10, 0, 0, 1), names: ['client'] }]);
      for (const [i, f] of frames().entries()) {
        if (i === 6) w.rawBlock(0x0fff0001, new Uint8Array(12));
        w.epb({ ts: f.ts, data: f.data });
      }
      w.isb({ interfaceId: 0, ts: 1700000010 });
      w.dsb(0x544c534b, new TextEncoder().encode('CLIENT_RANDOM 00 11\n'));
      return w.toBytes();
    },
  ],
  [
    'pcapng two sections of opposite byte order, power-of-two resolution, tsoffset, obsolete PB',
    () => {
      const all = frames();
      const w = new PcapngWriter().section({ byteOrder: 'le' });
      w.iface({ linkType: 1, tsresol: { base: 2, exp: 20 } });
      for (const f of all.slice(0, 5)) w.pb({ ts: f.ts, data: f.data });
      w.section({ byteOrder: 'be' });
      w.iface({ linkType: 147 });
      w.iface({ linkType: 1, tsoffset: 1700000000n });
      for (const f of all.slice(5)) w.epb({ interfaceId: 1, ts: f.ts, data: f.data });
      return w.toBytes();
    },
  ],
];

describe('the shared reader suite', () => {
  for (const [name, build] of variants) {
    it(`${name}: gives every record with its time, lengths and bytes`, async () => {
      const path = tempFile(build());
      for (const chunkSize of [undefined, 64, 97]) {
        const { seen, facts } = await readAll(path, chunkSize);
        assert.equal(facts.state.errors.length, 0, JSON.stringify(facts.state.errors));
        // The packet count and time span (pcap's scanRecords writes them back once per run of
        // records, here one run per tiny chunk) agree with the records handed on.
        assert.equal(facts.state.packets, seen.length, `chunk size ${chunkSize}`);
        assert.equal(facts.state.firstTs === null ? null : Math.round(facts.state.firstTs * 1e6) / 1e6, seen[0]?.ts, `chunk size ${chunkSize}`);
        assert.equal(facts.state.lastTs === null ? null : Math.round(facts.state.lastTs * 1e6) / 1e6, seen.at(-1)?.ts, `chunk size ${chunkSize}`);
        if (name.includes('power-of-two')) {
          // 2^-20 s units cannot hold every microsecond exactly: within one unit is right.
          assert.equal(seen.length, expected.length);
          seen.forEach((s, i) => {
            assert.ok(Math.abs(s.ts - (expected[i]?.ts ?? 0)) < 1.5e-6, `frame ${i + 1} time ${s.ts}`);
            assert.equal(s.firstBytes, expected[i]?.firstBytes);
          });
        } else {
          assert.deepEqual(seen, expected, `chunk size ${chunkSize}`);
        }
      }
    });
  }

  it('reads a Simple Packet Block with its caplen implied by the snaplen', async () => {
    const all = frames();
    const w = new PcapngWriter().section();
    w.iface({ linkType: 1, snaplen: 40 });
    w.epb({ ts: 1700000000, data: all[0]?.data ?? new Uint8Array(), caplen: 40 });
    w.spb({ data: all[1]?.data ?? new Uint8Array() });
    const { seen, facts } = await readAll(tempFile(w.toBytes()));
    assert.equal(facts.state.errors.length, 0);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]?.frame, 2);
    assert.equal(seen[1]?.caplen, 40);
    assert.equal(seen[1]?.origLen, all[1]?.data.length);
    assert.equal(seen[1]?.ts, 1700000000, 'an SPB keeps the last known time');
  });

  it('numbers frames as Wireshark does: custom blocks take a frame number, other blocks do not', async () => {
    const w = new PcapngWriter().section();
    w.iface({ linkType: 1 });
    const all = frames();
    w.epb({ ts: 1700000000, data: all[0]?.data ?? new Uint8Array() });
    w.custom(true, 32473, Uint8Array.of(1, 2, 3));
    w.nrb([{ ip: Uint8Array.of(10, 0, 0, 1), names: ['client'] }]);
    w.custom(false, 32473, Uint8Array.of(4));
    w.epb({ ts: 1700000001, data: all[1]?.data ?? new Uint8Array() });
    const { seen } = await readAll(tempFile(w.toBytes()));
    assert.deepEqual(
      seen.map((s) => s.frame),
      [1, 4],
    );
  });

  it('reports link types per interface', async () => {
    const bytes = variants[6]?.[1]() ?? new Uint8Array();
    const { facts } = await readAll(tempFile(bytes));
    assert.deepEqual(facts.state.linktypes, [1, 147]);
  });
});

describe('compressed input and standard input', () => {
  it('detects gzip by its magic bytes, whatever the name', async () => {
    const path = tempFile(gzipSync(writePcap(frames())), 'plain-name.pcap');
    const { seen, facts } = await readAll(path);
    assert.equal(facts.compressed, true);
    assert.deepEqual(seen, expected);
  });
  it('reads concatenated gzip members as one stream', async () => {
    const bytes = writePcap(frames());
    const half = 24 + 16 + (frames()[0]?.data.length ?? 0);
    const joined = Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))]);
    const { seen } = await readAll(tempFile(joined));
    assert.deepEqual(seen, expected);
  });
  it('with a limit reads only the first bytes of the (decompressed) stream, whole records only', async () => {
    const bytes = writePcap(frames());
    // The global header and the first three records, and half of the fourth.
    const sizes = frames().map((f) => 16 + f.data.length);
    const three = 24 + (sizes[0] ?? 0) + (sizes[1] ?? 0) + (sizes[2] ?? 0);
    for (const path of [tempFile(bytes), tempFile(gzipSync(bytes))]) {
      const frameNumbers: number[] = [];
      await readCapture(path, (rec) => frameNumbers.push(rec.frame), { limit: three + 20 });
      assert.deepEqual(frameNumbers, [1, 2, 3], path);
    }
  });
  it('reads "-" from a stream, plain and gzip', async () => {
    for (const bytes of [writePcap(frames()), gzipSync(writePcap(frames()))]) {
      const report = await analyze(['-'], { stdin: Readable.from([Buffer.from(bytes.subarray(0, 7)), Buffer.from(bytes.subarray(7))]) });
      assert.equal(report.inputs[0]?.packets, 10);
      assert.equal(report.resets.length, 4);
      assert.equal(report.inputs[0]?.path, '-');
    }
  });
});

describe('damaged captures', () => {
  const whole = writePcap(frames());
  const recordEnds: number[] = [];
  {
    let at = 24;
    for (const f of frames()) {
      at += 16 + f.data.length;
      recordEnds.push(at);
    }
  }

  it('keeps every record before a cut, at any cut, and reports the offset', async () => {
    for (let cut = 24; cut < whole.length; cut += 7) {
      const { seen, facts } = await readAll(tempFile(whole.subarray(0, cut)));
      const complete = recordEnds.filter((end) => end <= cut).length;
      assert.equal(seen.length, complete, `cut at ${cut}`);
      assert.deepEqual(seen, expected.slice(0, complete));
      if (cut > 24 && !recordEnds.includes(cut)) {
        assert.equal(facts.state.errors.length, 1, `cut at ${cut}`);
        assert.equal(facts.state.errors[0]?.offset, recordEnds[complete - 1] ?? 24);
      }
    }
  });

  it('does not allocate what a hostile caplen claims, and resynchronises after it', async () => {
    const bad = whole.slice();
    const third = recordEnds[1] ?? 0;
    new DataView(bad.buffer).setUint32(third + 8, 0xfffffff0, true);
    const before = process.memoryUsage().rss;
    const { seen, facts } = await readAll(tempFile(bad));
    assert.ok(process.memoryUsage().rss - before < 200 << 20, 'no 4 GB allocation');
    assert.deepEqual(seen.slice(0, 2), expected.slice(0, 2));
    assert.ok(facts.state.errors.some((e) => e.offset === third), JSON.stringify(facts.state.errors));
    // After the damaged record, the reader finds the fourth record again and reads to the end.
    assert.deepEqual(
      seen.slice(2).map((s) => s.firstBytes),
      expected.slice(3).map((e) => e.firstBytes),
    );
  });

  it('resynchronises a pcapng file after a block with lying lengths', async () => {
    const w = new PcapngWriter().section();
    w.iface({ linkType: 1 });
    for (const f of frames()) w.epb({ ts: f.ts, data: f.data });
    const bytes = w.toBytes();
    // Find the third EPB and break its trailing length.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let at = 0;
    let epb = 0;
    let broken = -1;
    while (at < bytes.length) {
      const type = view.getUint32(at, true);
      const len = view.getUint32(at + 4, true);
      if (type === 6 && ++epb === 3) {
        view.setUint32(at + len - 4, len + 4, true);
        broken = at;
        break;
      }
      at += len;
    }
    const { seen, facts } = await readAll(tempFile(bytes));
    assert.ok(facts.state.errors.some((e) => e.offset === broken));
    assert.equal(seen.length, 9, 'every block but the broken one');
    assert.deepEqual(
      seen.map((s) => s.firstBytes),
      expected.filter((_, i) => i !== 2).map((e) => e.firstBytes),
    );
    assert.deepEqual(
      seen.map((s) => s.frame),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('tells "not a capture" apart from a damaged capture', async () => {
    await assert.rejects(readAll(tempFile(new TextEncoder().encode('hello, this is text'))), NotACaptureError);
    await assert.rejects(readAll(tempFile(new Uint8Array(0))), NotACaptureError);
    await assert.rejects(readAll(tempFile(gzipSync(new TextEncoder().encode('just text')))), NotACaptureError);
    const { facts } = await readAll(tempFile(whole.subarray(0, 10)));
    assert.equal(facts.state.errors.length, 1);
  });

  it('reports an unknown link type once, with the offset of its first frame', async () => {
    const report = await analyze([tempFile(writePcap(frames(), { linkType: 147 }))]);
    const errors = report.inputs[0]?.errors ?? [];
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.offset, 24);
    assert.match(errors[0]?.message ?? '', /link type 147/);
    assert.equal(report.inputs[0]?.decode_issues?.unknown_linktype, 10);
  });
});
