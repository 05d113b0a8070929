/**
 * The capture writers checked against a peer: tshark must read every file we write with the
 * frame count, nanosecond timestamps, interfaces and link types we meant.
 * (tshark -r f -T fields -e frame.number -e frame.time_epoch -e frame.interface_id -e frame.encap_type)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BT_SHB,
  DSB_TLS_KEYLOG,
  type PcapRecord,
  PcapStreamWriter,
  PcapngWriter,
  numberOption,
  writePcap,
} from '../../testkit/captureWriter.js';
import {
  ETHERTYPE_IPV4,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  SYN,
  ethernet,
  ipv4,
  nullLoopback,
  sll,
  sll2,
  tcpSegment,
} from '../../testkit/frames.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).error === undefined;

/** Wireshark's WTAP_ENCAP_* numbers (what frame.encap_type prints) for the link types used here. */
const WTAP_ENCAP: Record<number, string> = {
  [LINKTYPE_NULL]: '15',
  [LINKTYPE_ETHERNET]: '1',
  [LINKTYPE_RAW]: '7',
  [LINKTYPE_LINUX_SLL]: '25',
  [LINKTYPE_LINUX_SLL2]: '210',
};

const ip = ipv4({
  src: '10.0.0.1',
  dst: '10.0.0.2',
  ttl: 64,
  id: 1,
  payload: tcpSegment({ sport: 1000, dport: 80, seq: 1, ack: 0, flags: SYN, win: 100, payload: new Uint8Array(110) }),
});
const frameFor = (linkType: number): Uint8Array => {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernet({ ethertype: ETHERTYPE_IPV4, payload: ip });
    case LINKTYPE_LINUX_SLL:
      return sll({ packetType: 0, protocol: ETHERTYPE_IPV4, payload: ip });
    case LINKTYPE_LINUX_SLL2:
      return sll2({ packetType: 4, protocol: ETHERTYPE_IPV4, payload: ip });
    case LINKTYPE_NULL:
      return nullLoopback({ family: 2, byteOrder: 'le', payload: ip });
    default:
      return ip;
  }
};

/** Rows of `tshark -T fields` for `file`. */
function tsharkRows(file: string, fields: readonly string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** "sec.nnnnnnnnn" as tshark prints frame.time_epoch. */
const epochText = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

const FIELDS = ['frame.number', 'frame.time_epoch', 'frame.interface_id', 'frame.encap_type', 'frame.cap_len', 'frame.len'];

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-cw-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('classic pcap: both byte orders, µs and ns, snaplen cuts, link types', (t) => {
  if (!hasTshark) {
    console.log('# tshark not installed: capture writers are not checked against a peer');
    t.skip('tshark not installed');
    return;
  }
  const variants = [
    { byteOrder: 'le', nanos: false, linkType: LINKTYPE_ETHERNET },
    { byteOrder: 'be', nanos: false, linkType: LINKTYPE_LINUX_SLL },
    { byteOrder: 'le', nanos: true, linkType: LINKTYPE_LINUX_SLL2 },
    { byteOrder: 'be', nanos: true, linkType: LINKTYPE_RAW },
    { byteOrder: 'le', nanos: true, linkType: LINKTYPE_NULL },
  ] as const;
  withDir((dir) => {
    for (const v of variants) {
      const frame = frameFor(v.linkType);
      const records: PcapRecord[] = [
        { ts: 0, tsNanos: 1_700_000_000_123_456_789n, data: frame },
        { ts: 1_700_000_001.5, data: frame, caplen: 60 },
        { ts: 0, tsNanos: 1_700_000_002_000_000_001n, data: frame },
      ];
      const file = join(dir, `${v.byteOrder}-${v.nanos}-${v.linkType}.pcap`);
      writeFileSync(file, writePcap(records, { byteOrder: v.byteOrder, nanos: v.nanos, linkType: v.linkType, snaplen: 100 }));
      const rows = tsharkRows(file, FIELDS);
      const what = JSON.stringify(v);
      assert.equal(rows.length, 3, what);
      // µs files round to the nearest microsecond.
      const times = v.nanos
        ? ['1700000000.123456789', '1700000001.500000000', '1700000002.000000001']
        : ['1700000000.123457000', '1700000001.500000000', '1700000002.000000000'];
      rows.forEach((r, i) => {
        assert.equal(r[1], times[i], `${what} frame ${i + 1} time`);
        assert.equal(r[3], WTAP_ENCAP[v.linkType], `${what} encap`);
        assert.equal(r[4], i === 1 ? '60' : String(Math.min(100, frame.length)), `${what} frame ${i + 1} caplen`);
        assert.equal(r[5], String(frame.length), `${what} frame ${i + 1} len`);
      });
    }
  });
});

test('PcapStreamWriter writes the same bytes as writePcap, including records larger than a chunk', () => {
  withDir((dir) => {
    const records: PcapRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      records.push({ ts: 1_700_000_000 + i * 0.001, data: new Uint8Array(20 + (i % 97)).fill(i & 0xff), origLen: 1500 });
    }
    records.splice(1500, 0, { ts: 1_700_000_010, data: new Uint8Array(70_000).fill(3) });
    const opts = { nanos: true, byteOrder: 'be', snaplen: 262144, linkType: LINKTYPE_RAW, chunkSize: 64 << 10 } as const;
    const file = join(dir, 's.pcap');
    const w = new PcapStreamWriter(openSync(file, 'w'), opts, true);
    for (const r of records) w.write(r);
    w.close();
    const want = writePcap(records, opts);
    const got = readFileSync(file);
    assert.equal(w.bytesWritten, want.length);
    assert.equal(w.packets, records.length);
    assert.ok(Buffer.from(want).equals(got));
  });
});

/** Walks a pcapng's blocks, checking each leading length equals its trailing one; returns the block types. */
function walkBlocks(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const types: number[] = [];
  let le = true;
  let o = 0;
  while (o < b.length) {
    const type = dv.getUint32(o, le);
    if (type === BT_SHB) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
    const len = dv.getUint32(o + 4, le);
    assert.equal(len % 4, 0, `block at ${o}: length ${len} not a multiple of 4`);
    assert.equal(dv.getUint32(o + len - 4, le), len, `block at ${o}: trailing length`);
    types.push(dv.getUint32(o, le));
    o += len;
  }
  assert.equal(o, b.length);
  return types;
}

test('pcapng: sections in both byte orders, interfaces with their own link types and resolutions, every block type', (t) => {
  const eth = frameFor(LINKTYPE_ETHERNET);
  const w = new PcapngWriter();
  // Section 1, little-endian.
  w.section({ byteOrder: 'le', hardware: 'x86_64', os: 'Linux', userAppl: 'whyreset tests', comment: 'section one' });
  w.iface({ linkType: LINKTYPE_ETHERNET, name: 'eth0' }); // no if_tsresol: 10^-6
  w.iface({ linkType: LINKTYPE_RAW, tsresol: { base: 10, exp: 9 } });
  w.iface({ linkType: LINKTYPE_LINUX_SLL, tsresol: { base: 2, exp: 20 }, tsoffset: 1000n });
  w.nrb([
    { ip: Uint8Array.of(10, 0, 0, 1), names: ['client.example'] },
    { ip: new Uint8Array(16).fill(1), names: ['a.example', 'b.example'] },
  ]);
  w.epb({ interfaceId: 0, tsNanos: 1_700_000_000_123_456_000n, data: eth, flags: 1, comment: 'first' });
  w.epb({ interfaceId: 1, tsNanos: 1_700_000_001_123_456_789n, data: ip });
  w.epb({ interfaceId: 2, tsNanos: 1_700_000_002_500_000_000n, data: frameFor(LINKTYPE_LINUX_SLL) });
  w.epb({ interfaceId: 2, tsNanos: 1_700_000_002_100_000_000n, data: frameFor(LINKTYPE_LINUX_SLL) });
  const base2Units = w.units(2, { tsNanos: 1_700_000_002_100_000_000n });
  w.spb({ data: eth });
  w.pb({ interfaceId: 1, tsNanos: 1_700_000_003_000_000_001n, data: ip, drops: 2, flags: 2 });
  w.isb({ interfaceId: 0, tsNanos: 1_700_000_004_000_000_000n, ifRecv: 5n, ifDrop: 0n, comment: 'stats' });
  w.dsb(DSB_TLS_KEYLOG, new TextEncoder().encode(`CLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}\n`));
  w.custom(true, 32473, Uint8Array.of(1, 2, 3));
  w.custom(false, 32473, Uint8Array.of(1, 2, 3, 4, 5));
  w.rawBlock(0x00012345, Uint8Array.of(9, 9, 9)); // an unknown block type: readers skip it
  // Section 2, big-endian: interface ids restart at 0.
  w.section({ byteOrder: 'be' });
  w.iface({ linkType: LINKTYPE_LINUX_SLL2, tsresol: { base: 10, exp: 3 }, options: [numberOption(8, 1_000_000_000n, 8, 'be')] });
  w.iface({ linkType: LINKTYPE_NULL, snaplen: 50 });
  w.epb({ interfaceId: 0, tsNanos: 1_700_000_005_123_000_000n, data: frameFor(LINKTYPE_LINUX_SLL2) });
  w.epb({ interfaceId: 1, tsNanos: 1_700_000_006_000_001_000n, data: frameFor(LINKTYPE_NULL) });
  // Section 3, little-endian, snaplen 40 on interface 0: the SPB keeps min(snaplen, block space).
  w.section({ byteOrder: 'le' });
  w.iface({ linkType: LINKTYPE_ETHERNET, snaplen: 40 });
  w.spb({ data: eth });
  w.epb({ tsNanos: 1_700_000_007_000_000_000n, data: eth, caplen: 30 });
  const bytes = w.toBytes();

  const types = walkBlocks(bytes);
  assert.deepEqual(types.slice(0, 4), [BT_SHB, 1, 1, 1]);
  assert.ok(types.includes(0x0a) && types.includes(0xbad) && types.includes(0x40000bad) && types.includes(0x12345));

  if (!hasTshark) {
    console.log('# tshark not installed: pcapng writer is not checked against a peer');
    t.skip('tshark not installed');
    return;
  }
  withDir((dir) => {
    const file = join(dir, 't.pcapng');
    writeFileSync(file, bytes);
    const rows = tsharkRows(file, FIELDS);
    // tshark 2^-20 units -> ns conversion truncates: ns = frac_units * 1e9 / 2^20.
    const u = base2Units + 1000n * (1n << 20n);
    const base2Text = epochText((u >> 20n) * 1_000_000_000n + ((u & 0xfffffn) * 1_000_000_000n) / (1n << 20n));
    const eLen = String(eth.length);
    // Note: tshark 4.0 numbers pcapng custom blocks (0xBAD / 0x40000BAD) as frames (encap empty);
    // DSB, ISB, NRB and unknown blocks are not frames.
    const want: (string | undefined)[][] = [
      ['1', '1700000000.123456000', '0', '1', eLen, eLen],
      ['2', '1700000001.123456789', '1', '7', String(ip.length), String(ip.length)],
      ['3', '1700000002.500000000', '2', '25'],
      ['4', base2Text, '2', '25'],
      ['5', '', '0', '1', eLen, eLen],
      ['6', '1700000003.000000001', '1', '7'],
      ['7', '', '', '', '4', '4'],
      ['8', '', '', '', '8', '8'],
      ['9', '1700000005.123000000', '0', '210'],
      ['10', '1700000006.000001000', '1', '15', '50', String(frameFor(LINKTYPE_NULL).length)],
      ['11', '', '0', '1', '40', eLen],
      ['12', '1700000007.000000000', '0', '1', '30', eLen],
    ];
    assert.equal(rows.length, want.length, 'frame count');
    want.forEach((w, i) => {
      w.forEach((v, j) => {
        if (v !== undefined) assert.equal(rows[i]![j], v, `frame ${i + 1} ${FIELDS[j]}`);
      });
    });
  });
});
