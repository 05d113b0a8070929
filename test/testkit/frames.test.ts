/**
 * The frame builders checked against a peer: every frame is written to a pcap and tshark must
 * decode the fields we meant and call every IPv4 header checksum and TCP checksum good.
 * (tshark -r f -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields -e …)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ACK,
  AF_INET,
  AF_INET6_BSD,
  CWR,
  ECE,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  FIN,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  MPTCP_RST_MIDDLEBOX,
  PSH,
  RST,
  SLL_HOST,
  SLL_OUTGOING,
  SYN,
  URG,
  ethernet,
  internetChecksum,
  ipv4,
  ipv6,
  ipv6Bytes,
  nullLoopback,
  sll,
  sll2,
  tcp4Frame,
  tcp6Frame,
  tcpSegment,
  withTcpChecksum,
} from '../../testkit/frames.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).error === undefined;

/** A minimal classic pcap (little-endian, µs) so this test does not lean on captureWriter.ts. */
function tinyPcap(linkType: number, frames: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linkType, 20);
  parts.push(h);
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    parts.push(r, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

interface Case {
  readonly name: string;
  readonly linkType: number;
  readonly frame: Uint8Array;
  /** tshark field -> expected text ("a,b" when the field occurs several times). */
  readonly expect: Readonly<Record<string, string>>;
  /** Checks that every IPv4 header / TCP checksum in the frame is good (default true). */
  readonly checksums?: boolean;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const fragSegment = withTcpChecksum(
  tcpSegment({ sport: 40000, dport: 443, seq: 1000, ack: 2000, flags: PSH | ACK, win: 501, payload: new Uint8Array(64).fill(7) }),
  '198.51.100.1',
  '198.51.100.2',
);
const frag6Segment = withTcpChecksum(
  tcpSegment({ sport: 40001, dport: 443, seq: 3000, ack: 4000, flags: PSH | ACK, win: 501, payload: new Uint8Array(64).fill(9) }),
  '2001:db8::a',
  '2001:db8::b',
);

const cases: Case[] = [
  {
    name: 'IPv4 SYN with MSS, SACK-permitted, timestamps, window scale',
    linkType: LINKTYPE_ETHERNET,
    frame: tcp4Frame({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 51000,
      dport: 80,
      seq: 0xfffffff0,
      ack: 0,
      flags: SYN,
      win: 64240,
      ttl: 64,
      id: 0x1234,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sackPermitted' },
        { kind: 'timestamp', tsVal: 123456789, tsEcr: 0 },
        { kind: 'nop' },
        { kind: 'wscale', shift: 7 },
      ],
    }),
    expect: {
      'ip.src': '10.0.0.1',
      'ip.dst': '10.0.0.2',
      'ip.ttl': '64',
      'ip.id': '0x1234',
      'ip.flags.df': '1',
      'tcp.srcport': '51000',
      'tcp.dstport': '80',
      'tcp.seq': '4294967280',
      'tcp.flags': '0x0002',
      'tcp.window_size_value': '64240',
      'tcp.option_kind': '2,4,8,1,3',
      'tcp.options.mss_val': '1460',
      'tcp.options.timestamp.tsval': '123456789',
      'tcp.options.wscale.shift': '7',
      'frame.len': '74',
    },
  },
  {
    name: '802.1Q RST/ACK padded to 60 bytes (padding is not TCP data)',
    linkType: LINKTYPE_ETHERNET,
    frame: tcp4Frame({
      src: '10.0.0.2',
      dst: '10.0.0.1',
      sport: 80,
      dport: 51000,
      seq: 0,
      ack: 0xfffffff1,
      flags: RST | ACK,
      win: 0,
      ttl: 63,
      df: false,
      vlans: [{ tpid: 0x8100, vid: 42, pcp: 3 }],
      padTo: 60,
    }),
    expect: {
      'vlan.id': '42',
      'vlan.priority': '3',
      'tcp.flags': '0x0014',
      'tcp.len': '0',
      'ip.len': '40',
      'eth.padding': '0000',
      'frame.len': '60',
    },
  },
  {
    name: 'QinQ (802.1ad + 802.1Q), IPv4 options, data with PSH and URG',
    linkType: LINKTYPE_ETHERNET,
    frame: tcp4Frame({
      src: '192.0.2.10',
      dst: '192.0.2.20',
      sport: 2000,
      dport: 3000,
      seq: 100,
      ack: 200,
      flags: PSH | ACK | URG | ECE | CWR,
      urg: 5,
      win: 1000,
      ttl: 3,
      tos: 0x10,
      ipOptions: Uint8Array.of(0x94, 0x04, 0x00, 0x00), // Router Alert
      vlans: [
        { tpid: 0x88a8, vid: 100 },
        { tpid: 0x8100, vid: 200 },
      ],
      payload: new Uint8Array(100).fill(0x41),
    }),
    expect: {
      'ieee8021ad.id': '100',
      'vlan.id': '200',
      'ip.hdr_len': '24',
      'ip.opt.type': '148',
      'ip.dsfield': '0x10',
      'tcp.flags': '0x00f8',
      'tcp.urgent_pointer': '5',
      'tcp.len': '100',
    },
  },
  {
    name: 'IPv4 SACK blocks and an unknown option kind',
    linkType: LINKTYPE_ETHERNET,
    frame: tcp4Frame({
      src: '10.1.1.1',
      dst: '10.1.1.2',
      sport: 5555,
      dport: 6666,
      seq: 7,
      ack: 1000,
      flags: ACK,
      win: 300,
      options: [
        { kind: 'nop' },
        { kind: 'nop' },
        { kind: 'sack', blocks: [[2000, 3000], [4000, 5000]] },
        { kind: 'raw', code: 253, data: Uint8Array.of(0xde, 0xad) },
      ],
    }),
    expect: {
      'tcp.option_kind': '1,1,5,253',
      'tcp.options.sack_le': '2000,4000',
      'tcp.options.sack_re': '3000,5000',
      'tcp.hdr_len': '44',
    },
  },
  {
    name: 'IPv6 with hop-by-hop, destination options, routing type 2, AH; MP_TCPRST and reason text',
    linkType: LINKTYPE_ETHERNET,
    frame: tcp6Frame({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      sport: 443,
      dport: 50000,
      seq: 10,
      ack: 20,
      flags: RST | ACK,
      win: 0,
      ttl: 57,
      flowLabel: 0x12345,
      extHeaders: [
        { type: 'hopByHop', options: Uint8Array.of(5, 2, 0, 0) }, // Router Alert
        { type: 'destination' },
        { type: 'routing', routingType: 2, segmentsLeft: 1, addresses: ['2001:db8::99'] },
        { type: 'ah', spi: 0x1000, seq: 7 },
      ],
      options: [{ kind: 'mptcpRst', reason: MPTCP_RST_MIDDLEBOX, transient: true }],
      payload: text('BIG-IP: [0x2edb:123] policy'),
    }),
    expect: {
      'ipv6.src': '2001:db8::1',
      'ipv6.dst': '2001:db8::2',
      'ipv6.hlim': '57',
      'ipv6.flow': '0x012345',
      'ipv6.nxt': '0',
      'ipv6.routing.type': '2',
      'ipv6.routing.segleft': '1',
      'ah.spi': '0x00001000',
      'tcp.flags': '0x0014',
      'tcp.options.mptcp.rst_reason': '0x06',
      'tcp.options.mptcp.flags': '0x81',
      'tcp.len': '27',
    },
  },
  {
    name: 'IPv4 fragments of one TCP segment (checksum over the reassembled segment)',
    linkType: LINKTYPE_ETHERNET,
    frame: ethernet({
      ethertype: ETHERTYPE_IPV4,
      payload: ipv4({
        src: '198.51.100.1',
        dst: '198.51.100.2',
        ttl: 60,
        id: 777,
        moreFragments: true,
        payload: fragSegment.subarray(0, 48),
      }),
    }),
    expect: { 'ip.flags.mf': '1', 'ip.frag_offset': '0', 'ip.len': '68' },
  },
  {
    name: 'IPv4 last fragment',
    linkType: LINKTYPE_ETHERNET,
    frame: ethernet({
      ethertype: ETHERTYPE_IPV4,
      payload: ipv4({
        src: '198.51.100.1',
        dst: '198.51.100.2',
        ttl: 60,
        id: 777,
        fragOffset: 48,
        payload: fragSegment.subarray(48),
      }),
    }),
    expect: { 'ip.flags.mf': '0', 'ip.frag_offset': '6' /* tshark 4.0 shows 8-byte units */, 'tcp.len': '64', 'tcp.srcport': '40000' },
  },
  {
    name: 'IPv6 first fragment',
    linkType: LINKTYPE_ETHERNET,
    frame: ethernet({
      ethertype: ETHERTYPE_IPV6,
      payload: ipv6({
        src: '2001:db8::a',
        dst: '2001:db8::b',
        hopLimit: 64,
        extHeaders: [{ type: 'fragment', id: 0xabcdef01, offset: 0, more: true }],
        payload: frag6Segment.subarray(0, 40),
      }),
    }),
    expect: { 'ipv6.fraghdr.more': '1', 'ipv6.fraghdr.ident': '0xabcdef01' },
  },
  {
    name: 'IPv6 last fragment',
    linkType: LINKTYPE_ETHERNET,
    frame: ethernet({
      ethertype: ETHERTYPE_IPV6,
      payload: ipv6({
        src: '2001:db8::a',
        dst: '2001:db8::b',
        hopLimit: 64,
        extHeaders: [{ type: 'fragment', id: 0xabcdef01, offset: 40, more: false }],
        payload: frag6Segment.subarray(40),
      }),
    }),
    expect: { 'ipv6.fraghdr.offset': '5', 'tcp.len': '64', 'tcp.srcport': '40001' },
  },
  {
    name: 'SLL v1, outgoing IPv4 FIN',
    linkType: LINKTYPE_LINUX_SLL,
    frame: sll({
      packetType: SLL_OUTGOING,
      addr: '02:00:00:00:00:09',
      protocol: ETHERTYPE_IPV4,
      payload: ipv4({
        src: '10.9.9.9',
        dst: '10.8.8.8',
        ttl: 64,
        id: 1,
        payload: tcpSegment({ sport: 22, dport: 60000, seq: 5, ack: 6, flags: FIN | ACK, win: 100 }),
      }),
    }),
    expect: { 'sll.pkttype': '4', 'sll.halen': '6', 'sll.etype': '0x0800', 'tcp.flags': '0x0011', 'ip.src': '10.9.9.9' },
  },
  {
    name: 'SLL2, incoming IPv6 RST',
    linkType: LINKTYPE_LINUX_SLL2,
    frame: sll2({
      packetType: SLL_HOST,
      ifIndex: 3,
      protocol: ETHERTYPE_IPV6,
      payload: ipv6({
        src: '::ffff:10.0.0.1',
        dst: 'fe80::1',
        hopLimit: 255,
        payload: tcpSegment({ sport: 1, dport: 2, seq: 3, ack: 0, flags: RST, win: 0 }),
      }),
    }),
    expect: { 'sll.pkttype': '0', 'sll.ifindex': '3', 'ipv6.src': '::ffff:10.0.0.1', 'tcp.flags': '0x0004' },
  },
  {
    name: 'LINKTYPE_NULL little-endian AF_INET',
    linkType: LINKTYPE_NULL,
    frame: nullLoopback({
      family: AF_INET,
      byteOrder: 'le',
      payload: ipv4({ src: '127.0.0.1', dst: '127.0.0.1', ttl: 64, id: 9, payload: tcpSegment({ sport: 5, dport: 6, seq: 1, ack: 2, flags: ACK, win: 9 }) }),
    }),
    expect: { 'null.family': '2', 'tcp.srcport': '5' },
  },
  {
    name: 'LINKTYPE_NULL little-endian AF_INET6 (24)',
    linkType: LINKTYPE_NULL,
    frame: nullLoopback({
      family: AF_INET6_BSD,
      byteOrder: 'le',
      payload: ipv6({ src: '::1', dst: '::1', hopLimit: 64, payload: tcpSegment({ sport: 7, dport: 8, seq: 1, ack: 2, flags: SYN | ACK, win: 9 }) }),
    }),
    expect: { 'null.family': '24', 'tcp.flags': '0x0012' },
  },
  {
    name: 'LINKTYPE_LOOP network-order AF_INET',
    linkType: LINKTYPE_LOOP,
    frame: nullLoopback({
      family: AF_INET,
      byteOrder: 'be',
      payload: ipv4({ src: '127.0.0.2', dst: '127.0.0.3', ttl: 64, id: 9, payload: tcpSegment({ sport: 9, dport: 10, seq: 1, ack: 2, flags: ACK, win: 9 }) }),
    }),
    expect: { 'null.family': '2', 'ip.dst': '127.0.0.3', 'tcp.dstport': '10' },
  },
  {
    name: 'LINKTYPE_RAW IPv4',
    linkType: LINKTYPE_RAW,
    frame: ipv4({ src: '10.2.2.2', dst: '10.3.3.3', ttl: 1, id: 65535, df: true, payload: tcpSegment({ sport: 11, dport: 12, seq: 1, ack: 2, flags: RST | ACK, win: 0 }) }),
    expect: { 'ip.ttl': '1', 'tcp.flags': '0x0014' },
  },
];

const baseFields = ['frame.number', 'ip.checksum.status', 'tcp.checksum.status', '_ws.malformed', '_ws.expert.severity'];

test('frame builders decode in tshark as intended, with good checksums', (t) => {
  if (!hasTshark) {
    console.log('# tshark not installed: frame builders are not checked against a peer');
    t.skip('tshark not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-frames-'));
  try {
    const byLink = new Map<number, Case[]>();
    for (const c of cases) byLink.set(c.linkType, [...(byLink.get(c.linkType) ?? []), c]);
    for (const [linkType, group] of byLink) {
      const file = join(dir, `l${linkType}.pcap`);
      writeFileSync(file, tinyPcap(linkType, group.map((c) => c.frame)));
      const fields = [...new Set([...baseFields, ...group.flatMap((c) => Object.keys(c.expect))])];
      const out = execFileSync(
        'tshark',
        [
          '-r',
          file,
          '-o',
          'tcp.check_checksum:TRUE',
          '-o',
          'ip.check_checksum:TRUE',
          '-o',
          'tcp.relative_sequence_numbers:FALSE',
          '-T',
          'fields',
          '-E',
          'occurrence=a',
          '-E',
          'aggregator=,',
          ...fields.flatMap((f) => ['-e', f]),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const rows = out.split('\n').filter((l) => l !== '');
      assert.equal(rows.length, group.length, `link type ${linkType}: frame count`);
      group.forEach((c, i) => {
        const cols = rows[i]!.split('\t');
        const got = (f: string): string => cols[fields.indexOf(f)] ?? '';
        for (const [f, v] of Object.entries(c.expect)) assert.equal(got(f), v, `${c.name}: ${f}`);
        assert.equal(got('_ws.malformed'), '', `${c.name}: tshark calls it malformed`);
        if (c.checksums !== false) {
          // checksum.status: 1 = Good (0 Bad, 2 Unverified); every IPv4 header in the frame is checked.
          for (const s of got('ip.checksum.status').split(',')) if (s !== '') assert.equal(s, '1', `${c.name}: IP checksum`);
          const tcpStatus = got('tcp.checksum.status');
          if (tcpStatus !== '' || got('tcp.srcport') !== '') assert.equal(tcpStatus, '1', `${c.name}: TCP checksum`);
        }
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('internetChecksum matches the RFC 1071 example', () => {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2, so the checksum is ~0xddf2.
  assert.equal(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7)), ~0xddf2 & 0xffff);
  // A header that includes its own correct checksum sums to zero.
  const ip = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', ttl: 9, id: 10, payload: new Uint8Array(0), protocol: 17 });
  assert.equal(internetChecksum(ip, 0, 20), 0);
});

test('ipv6Bytes parses compressed forms and a dotted tail', () => {
  assert.deepEqual([...ipv6Bytes('::')], new Array(16).fill(0));
  assert.deepEqual([...ipv6Bytes('::1')], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...ipv6Bytes('::ffff:1.2.3.4')].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...ipv6Bytes('2001:db8::')].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  assert.throws(() => ipv6Bytes('1::2::3'));
});

test('overrides write what they are told', () => {
  const ip = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ttl: 1, id: 2, totalLengthOverride: 1000, headerChecksum: 0xbeef, payload: new Uint8Array(4) });
  assert.equal((ip[2]! << 8) | ip[3]!, 1000);
  assert.equal((ip[10]! << 8) | ip[11]!, 0xbeef);
  const seg = tcpSegment({ sport: 1, dport: 2, seq: 3, ack: 4, flags: SYN, win: 5, dataOffsetWords: 15 });
  assert.equal(seg.length, 20);
  assert.equal(seg[12]! >> 4, 15);
  const forced = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ttl: 1, id: 2, tcpChecksum: 0x1234, payload: seg });
  assert.equal((forced[36]! << 8) | forced[37]!, 0x1234);
});
