/**
 * Per-layer decoder tests: known frames decode to known fields, and every truncated prefix of
 * every frame returns an issue (truncated when the snaplen explains it, malformed otherwise)
 * without throwing. Frames come from testkit/frames.ts, whose output tshark checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIpv6 } from '../../src/decode/address.js';
import { decodeFrame } from '../../src/decode/frame.js';
import {
  ISSUE_BAD_IPV4_HEADER_LENGTH,
  ISSUE_BAD_TCP_HEADER_LENGTH,
  ISSUE_BAD_TCP_OPTION,
  ISSUE_IP_FRAGMENT,
  ISSUE_NONE,
  ISSUE_UNKNOWN_LINKTYPE,
  isTruncation,
} from '../../src/decode/issues.js';
import { DecodedPacket, LAYER_IP, LAYER_TCP, TCP_ACK, TCP_RST } from '../../src/decode/packet.js';
import {
  ACK,
  AF_INET,
  AF_INET6_DARWIN,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  PSH,
  RST,
  SYN,
  ipv4,
  ipv6,
  nullLoopback,
  sll,
  sll2,
  tcp4Frame,
  tcp6Frame,
  tcpSegment,
} from '../../testkit/frames.js';
import { mulberry32 } from '../helpers/random.js';

function decode(frame: Uint8Array, linkType = LINKTYPE_ETHERNET, origLen = frame.length, pkt = new DecodedPacket()): { pkt: DecodedPacket; issue: number } {
  // Place the frame at an offset inside a larger buffer, as the readers do.
  const buf = new Uint8Array(frame.length + 37);
  buf.set(frame, 13);
  const issue = decodeFrame(new DataView(buf.buffer), 13, frame.length, origLen, linkType, pkt);
  return { pkt, issue };
}

/** A bare RST as Linux sends it without a socket (tcp_v4_send_reset): IP ID 0, window 0, padded to 60 bytes. */
const paddedRst = tcp4Frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, seq: 1000, ack: 0, flags: RST, win: 0, ttl: 64, id: 0, padTo: 60 });

describe('Ethernet + IPv4 + TCP', () => {
  // tcpdump -r f -nv: IP (ttl 64, id 0, flags [DF], proto TCP (6), length 40) 10.0.0.2.80 > 10.0.0.1.40000: Flags [R], seq 1000, win 0, length 0
  it('decodes a padded bare RST without taking the padding as data', () => {
    const { pkt, issue } = decode(paddedRst);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(paddedRst.length, 60);
    assert.equal(pkt.layer, LAYER_TCP);
    assert.equal(pkt.ipVersion, 4);
    assert.equal(pkt.src4, 0x0a000002);
    assert.equal(pkt.dst4, 0x0a000001);
    assert.equal(pkt.ttl, 64);
    assert.equal(pkt.ipId, 0);
    assert.equal(pkt.df, true);
    assert.equal(pkt.sport, 80);
    assert.equal(pkt.dport, 40000);
    assert.equal(pkt.seq, 1000);
    assert.equal(pkt.flags, TCP_RST);
    assert.equal(pkt.win, 0);
    assert.equal(pkt.payloadLength, 0, 'Ethernet padding is not TCP payload');
    assert.equal(pkt.payloadCaptured, 0);
  });

  // tcpdump: Flags [S.], seq 1, ack 2, win 65160, options [mss 1460,sackOK,TS val 7 ecr 8,nop,wscale 7]
  it('decodes TCP options, SACK blocks, MP_TCPRST and keeps unknown kinds', () => {
    const frame = tcp4Frame({
      src: '192.0.2.1',
      dst: '192.0.2.2',
      sport: 1,
      dport: 2,
      seq: 0xfffffff0,
      ack: 2,
      flags: RST | ACK,
      win: 65160,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sackPermitted' },
        { kind: 'timestamp', tsVal: 7, tsEcr: 8 },
        { kind: 'nop' },
        { kind: 'wscale', shift: 7 },
        { kind: 'mptcpRst', reason: 6, flags: 1 },
        { kind: 'raw', code: 253, data: Uint8Array.of(1, 2) },
      ],
    });
    const { pkt, issue } = decode(frame);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(pkt.seq, 0xfffffff0, 'sequence numbers stay unsigned');
    assert.equal(pkt.optMss, 1460);
    assert.equal(pkt.optSackPermitted, true);
    assert.equal(pkt.optTimestamp, true);
    assert.equal(pkt.optTsVal, 7);
    assert.equal(pkt.optTsEcr, 8);
    assert.equal(pkt.optWscale, 7);
    assert.equal(pkt.optMptcpRstReason, 6);
    assert.equal(pkt.optMptcpRstFlags, 1);
    assert.equal(pkt.unknownOptionCount, 1);
    assert.equal(pkt.unknownOptions[0], 253);

    const sack = tcp4Frame({ src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 2, seq: 1, ack: 2, flags: ACK, win: 1, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[10, 20], [30, 40]] }] });
    const s = decode(sack).pkt;
    assert.equal(s.optSackCount, 2);
    assert.deepEqual(Array.from(s.optSack.subarray(0, 4)), [10, 20, 30, 40]);
  });

  it('reads RST payload length from the IP length, not the frame', () => {
    const payload = new TextEncoder().encode('F5RST: No server selected');
    const frame = tcp4Frame({ src: '10.1.1.1', dst: '10.1.1.2', sport: 443, dport: 5555, seq: 9, ack: 10, flags: RST | ACK, win: 0, payload, padTo: 100 });
    const { pkt } = decode(frame);
    assert.equal(pkt.payloadLength, payload.length);
    assert.equal(pkt.payloadCaptured, payload.length);
  });

  it('uses the frame length when the IPv4 total length is 0 (segmentation offload)', () => {
    const payload = new Uint8Array(3000).fill(0x61);
    const seg = tcpSegment({ sport: 1, dport: 2, seq: 1, ack: 1, flags: ACK | PSH, win: 100, payload });
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 5, payload: seg, totalLengthOverride: 0 });
    const { pkt, issue } = decode(ip, LINKTYPE_RAW);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(pkt.payloadLength, 3000);
  });

  it('decodes 802.1Q and QinQ tags', () => {
    const frame = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, ack: 0, flags: RST, win: 0, vlans: [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 200 }] });
    const { pkt, issue } = decode(frame);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(pkt.vlanCount, 2);
    assert.equal(pkt.vlanOuter, 100);
    assert.equal(pkt.vlanInner, 200);
    assert.equal(pkt.isTcp, true);
  });

  it('counts later IPv4 fragments without decoding TCP, and decodes the first fragment', () => {
    const seg = tcpSegment({ sport: 1, dport: 2, seq: 1, ack: 1, flags: ACK, win: 1, payload: new Uint8Array(8) });
    const later = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 9, payload: seg, fragOffset: 1480, moreFragments: false });
    const a = decode(later, LINKTYPE_RAW);
    assert.equal(a.issue, ISSUE_IP_FRAGMENT);
    assert.equal(a.pkt.isTcp, false);
    assert.equal(a.pkt.laterFragment, true);
    const first = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 9, payload: seg, moreFragments: true });
    const b = decode(first, LINKTYPE_RAW);
    assert.equal(b.pkt.isTcp, true);
    assert.equal(b.pkt.firstFragment, true);
  });

  it('skips IPv4 options', () => {
    const frame = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 7, dport: 8, seq: 1, ack: 0, flags: SYN, win: 1, ipOptions: Uint8Array.of(1, 1, 1, 0) });
    const { pkt, issue } = decode(frame);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(pkt.ipOptions, true);
    assert.equal(pkt.sport, 7);
  });
});

describe('IPv6', () => {
  // tcpdump: IP6 (hlim 61, next-header Hop-by-Hop (0) …) 2001:db8::1.443 > 2001:db8::2.50000: Flags [R.]
  it('walks hop-by-hop, destination, routing, fragment and AH headers to TCP', () => {
    const frame = tcp6Frame({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      ttl: 61,
      sport: 443,
      dport: 50000,
      seq: 5,
      ack: 6,
      flags: RST | ACK,
      win: 0,
      extHeaders: [{ type: 'hopByHop' }, { type: 'destination' }, { type: 'routing', routingType: 0, segmentsLeft: 0, addresses: [] }, { type: 'fragment', id: 7, offset: 0, more: false }, { type: 'ah', spi: 1, seq: 1 }],
    });
    const { pkt, issue } = decode(frame);
    assert.equal(issue, ISSUE_NONE);
    assert.equal(pkt.ipVersion, 6);
    assert.equal(pkt.ttl, 61);
    assert.equal(pkt.ipId, -1);
    assert.equal(formatIpv6(pkt.src6), '2001:db8::1');
    assert.equal(pkt.flags, TCP_RST | TCP_ACK);
    assert.equal(pkt.sport, 443);
  });

  it('formats addresses as RFC 5952 does', () => {
    assert.equal(formatIpv6([0x20010db8, 0, 0, 1]), '2001:db8::1');
    assert.equal(formatIpv6([0, 0, 0, 1]), '::1');
    assert.equal(formatIpv6([0, 0, 0, 0]), '::');
    assert.equal(formatIpv6([0x20010db8, 0x00000001, 0, 0x00010000]), '2001:db8:0:1::1:0');
    assert.equal(formatIpv6([0x20010db8, 0, 0x00010000, 0x00000001]), '2001:db8::1:0:0:1');
    assert.equal(formatIpv6([0, 0, 0xffff, 0xc0000201]), '::ffff:192.0.2.1');
    assert.equal(formatIpv6([0x20010db8, 0x00010001, 0x00010001, 0x00010001]), '2001:db8:1:1:1:1:1:1');
  });

  it('formats as the groups-and-join formatter it replaced did, on addresses with every pattern of zero groups', () => {
    // The formatter before session 12 (arrays, slices, map and join), kept here as the reference.
    const reference = (words: number[]): string => {
      const groups: number[] = [];
      for (const w of words) groups.push((w >>> 0) >>> 16, (w >>> 0) & 0xffff);
      if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${words[3]! >>> 24}.${(words[3]! >>> 16) & 255}.${(words[3]! >>> 8) & 255}.${words[3]! & 255}`;
      let bestStart = -1;
      let bestLength = 0;
      for (let i = 0; i < 8; ) {
        if (groups[i] !== 0) {
          i++;
          continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
        i = j;
      }
      const hex = (g: number) => g.toString(16);
      if (bestLength < 2) return groups.map(hex).join(':');
      return `${groups.slice(0, bestStart).map(hex).join(':')}::${groups.slice(bestStart + bestLength).map(hex).join(':')}`;
    };
    const random = mulberry32(5952);
    for (let zeros = 0; zeros < 256; zeros++) {
      for (let k = 0; k < 4; k++) {
        // Bit g of `zeros` makes group g zero; the others are random, small or large.
        const groups = Array.from({ length: 8 }, (_, g) => ((zeros >> g) & 1 ? 0 : Math.floor(random() * (k < 2 ? 16 : 0x10000)) || 1));
        const words = [0, 1, 2, 3].map((w) => ((groups[w * 2]! << 16) | groups[w * 2 + 1]!) >>> 0);
        assert.equal(formatIpv6(words), reference(words), groups.join(','));
      }
    }
    for (const words of [[0, 0, 0xffff, 0x0a000001], [0, 0, 0xffff, 0], [0, 0, 0xfffe, 0x0a000001]]) assert.equal(formatIpv6(words), reference(words));
  });
});

describe('other link types', () => {
  const ip = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', ttl: 64, id: 0, payload: tcpSegment({ sport: 5, dport: 6, seq: 0, ack: 1, flags: RST | ACK, win: 0 }) });
  const ip6 = ipv6({ src: '::1', dst: '::1', hopLimit: 64, payload: tcpSegment({ sport: 5, dport: 6, seq: 0, ack: 1, flags: RST | ACK, win: 0 }) });
  const cases: [string, Uint8Array, number][] = [
    ['Linux cooked SLL', sll({ packetType: 4, protocol: ETHERTYPE_IPV4, payload: ip }), LINKTYPE_LINUX_SLL],
    ['Linux cooked SLL2', sll2({ packetType: 0, protocol: ETHERTYPE_IPV6, ifIndex: 3, payload: ip6 }), LINKTYPE_LINUX_SLL2],
    ['BSD NULL, little-endian AF', nullLoopback({ family: AF_INET, byteOrder: 'le', payload: ip }), LINKTYPE_NULL],
    ['BSD NULL, big-endian AF', nullLoopback({ family: AF_INET6_DARWIN, byteOrder: 'be', payload: ip6 }), LINKTYPE_NULL],
    ['OpenBSD LOOP', nullLoopback({ family: AF_INET, byteOrder: 'be', payload: ip }), LINKTYPE_LOOP],
    ['raw IP', ip, LINKTYPE_RAW],
    ['DLT_RAW 12', ip6, 12],
    ['LINKTYPE_IPV4', ip, 228],
    ['LINKTYPE_IPV6', ip6, 229],
  ];
  for (const [name, frame, linkType] of cases) {
    it(`decodes TCP inside ${name}`, () => {
      const { pkt, issue } = decode(frame, linkType);
      assert.equal(issue, ISSUE_NONE);
      assert.equal(pkt.isTcp, true);
      assert.equal(pkt.sport, 5);
      assert.equal(pkt.flags, TCP_RST | TCP_ACK);
    });
  }
  it('keeps the SLL packet type and interface index', () => {
    const { pkt } = decode(sll2({ packetType: 4, protocol: ETHERTYPE_IPV4, ifIndex: 9, payload: ip }), LINKTYPE_LINUX_SLL2);
    assert.equal(pkt.sllPacketType, 4);
    assert.equal(pkt.sllIfIndex, 9);
  });
  it('reports an unknown link type as an issue', () => {
    assert.equal(decode(ip, 147).issue, ISSUE_UNKNOWN_LINKTYPE);
  });
});

describe('malformed headers', () => {
  it('rejects an IPv4 header length below 20', () => {
    const frame = paddedRst.slice();
    frame[14] = 0x44;
    assert.equal(decode(frame).issue, ISSUE_BAD_IPV4_HEADER_LENGTH);
  });
  it('rejects a TCP data offset below 5 words', () => {
    const seg = tcpSegment({ sport: 1, dport: 2, seq: 1, ack: 1, flags: RST, win: 0, dataOffsetWords: 3 });
    const { pkt, issue } = decode(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 1, id: 1, payload: seg }), LINKTYPE_RAW);
    assert.equal(issue, ISSUE_BAD_TCP_HEADER_LENGTH);
    assert.equal(pkt.isTcp, false);
    assert.equal(pkt.layer, LAYER_IP);
  });
  it('stops at an option with an impossible length but keeps the header', () => {
    const frame = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, ack: 0, flags: RST, win: 0, options: [{ kind: 'bytes', bytes: Uint8Array.of(2, 1, 0, 0) }] });
    const { pkt, issue } = decode(frame);
    assert.equal(issue, ISSUE_BAD_TCP_OPTION);
    assert.equal(pkt.isTcp, true);
  });
});

describe('every truncated prefix', () => {
  const frames: [string, Uint8Array, number][] = [
    ['IPv4 RST with options', tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, ack: 1, flags: RST | ACK, win: 5, options: [{ kind: 'timestamp', tsVal: 1, tsEcr: 2 }], payload: Uint8Array.of(65, 66, 67, 68) }), LINKTYPE_ETHERNET],
    ['IPv6 with extension headers in QinQ', tcp6Frame({ src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2, seq: 1, ack: 1, flags: RST, win: 0, vlans: [{ tpid: 0x88a8, vid: 1 }, { tpid: 0x8100, vid: 2 }], extHeaders: [{ type: 'hopByHop' }, { type: 'fragment', id: 1 }] }), LINKTYPE_ETHERNET],
    ['SLL2 IPv4', sll2({ packetType: 0, protocol: ETHERTYPE_IPV4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 1, id: 1, payload: tcpSegment({ sport: 1, dport: 2, seq: 1, ack: 1, flags: RST, win: 0, options: [{ kind: 'mss', value: 1 }] }) }) }), LINKTYPE_LINUX_SLL2],
  ];
  for (const [name, frame, linkType] of frames) {
    it(`${name}: a snaplen cut is "truncated", a short frame is "malformed", and nothing throws`, () => {
      const pkt = new DecodedPacket();
      for (let len = 0; len < frame.length; len++) {
        const prefix = frame.subarray(0, len);
        const cut = decode(prefix, linkType, frame.length, pkt);
        const isTcpComplete = pkt.isTcp && !pkt.truncated;
        if (!isTcpComplete) {
          assert.notEqual(cut.issue, ISSUE_NONE, `snaplen ${len}: a cut frame must report an issue`);
          assert.ok(isTruncation(cut.issue), `snaplen ${len}: expected a truncation issue, got ${cut.issue}`);
          assert.equal(pkt.truncated, true);
        }
        const short = decode(prefix, linkType, len, pkt);
        if (!(pkt.isTcp && pkt.payloadCaptured === pkt.payloadLength)) {
          assert.notEqual(short.issue, ISSUE_NONE, `length ${len}: a short frame must report an issue`);
          assert.ok(!isTruncation(short.issue), `length ${len}: a frame not cut by the snaplen is malformed, not truncated`);
        }
      }
    });
  }
  it('keeps every layer decoded before the cut', () => {
    const frame = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, ack: 1, flags: RST, win: 0, options: [{ kind: 'timestamp', tsVal: 1, tsEcr: 2 }] });
    const { pkt } = decode(frame.subarray(0, 14 + 20 + 22), LINKTYPE_ETHERNET, frame.length);
    assert.equal(pkt.isTcp, true, 'the fixed TCP header survived the cut');
    assert.equal(pkt.truncated, true);
    assert.equal(pkt.ttl, 64);
    assert.equal(pkt.sport, 1);
  });
});


