/**
 * correlate/flowInterest: the flows of a report's 4-tuples (address text, as the reports write
 * it) are the flows fingerprintPacket computes from the decoded packets, in both directions, for
 * IPv4, IPv6 (compressed, mapped, full) and nothing for text that is no address.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fingerprint, fingerprintPacket } from '../../src/correlate/fingerprint.js';
import { flowInterest } from '../../src/correlate/flowInterest.js';
import { formatIpv4, formatIpv6 } from '../../src/decode/address.js';
import { DecodedPacket } from '../../src/decode/packet.js';

function flowOf(version: 4 | 6, src: number | number[], sport: number, dst: number | number[], dport: number): number {
  const pkt = new DecodedPacket();
  pkt.reset(0);
  pkt.ipVersion = version;
  if (version === 4) {
    pkt.src4 = src as number;
    pkt.dst4 = dst as number;
  } else {
    pkt.src6.set(src as number[]);
    pkt.dst6.set(dst as number[]);
  }
  pkt.sport = sport;
  pkt.dport = dport;
  const fp = new Fingerprint();
  fingerprintPacket(pkt, new Uint8Array(0), fp);
  return fp.flow;
}

test('flowInterest: both directions of IPv4 tuples, as fingerprintPacket computes them', () => {
  const a = 0x0a000001;
  const b = 0xc0a80a63;
  const flows = flowInterest([{ src: formatIpv4(a), sport: 40000, dst: formatIpv4(b), dport: 443 }]);
  assert.deepEqual([...flows].sort(), [flowOf(4, a, 40000, b, 443), flowOf(4, b, 443, a, 40000)].sort());
});

test('flowInterest: IPv6 tuples in every text form formatIpv6 writes (compressed, mapped, full)', () => {
  const addresses = [
    [0x20010db8, 0, 0, 1],
    [0, 0, 0xffff, 0x0a000002],
    [0xfe800000, 0, 0x02005eff, 0xfe001234],
    [0x20010db8, 0x11112222, 0x33334444, 0x55556666],
    [0, 0, 0, 0],
  ];
  for (const s of addresses) {
    for (const d of addresses) {
      const flows = flowInterest([{ src: formatIpv6(s), sport: 1, dst: formatIpv6(d), dport: 2 }]);
      assert.ok(flows.has(flowOf(6, s, 1, d, 2)), `${formatIpv6(s)} -> ${formatIpv6(d)}`);
      assert.ok(flows.has(flowOf(6, d, 2, s, 1)), `${formatIpv6(d)} -> ${formatIpv6(s)}`);
      assert.equal(flows.size, 2);
    }
  }
});

test('flowInterest: text that is no address adds no flow; mixed families add none', () => {
  const bad = ['10.0.0.256', '10.0.0', 'fe80::1::2', 'host', '', '2001:db8::g'];
  for (const text of bad) {
    assert.equal(flowInterest([{ src: text, sport: 1, dst: '10.0.0.1', dport: 2 }]).size, 0, text);
    assert.equal(flowInterest([{ src: '2001:db8::1', sport: 1, dst: text, dport: 2 }]).size, 0, text);
  }
  assert.equal(flowInterest([{ src: '10.0.0.1', sport: 1, dst: '2001:db8::1', dport: 2 }]).size, 0);
});
