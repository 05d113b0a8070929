/**
 * net/sha1.ts, the one-block SHA-1 under the Community ID, against FIPS 180-4's examples and
 * node:crypto's SHA-1 for every message length it takes; and tcpCommunityId (its four-word path
 * and its memo of the last address texts, its ten-word IPv6 path and ipv6Groups) against the
 * generic Community ID over random tuples.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { PROTO_TCP, addressBytes, communityId, tcpCommunityId } from '../../src/net/communityId.js';
import { ipv6Groups } from '../../src/net/ipv6Text.js';
import { SHA1_ONE_BLOCK_BYTES, sha1Of16, sha1Of40, sha1Short } from '../../src/net/sha1.js';
import { xorshift32 } from '../helpers/random.js';

/** The digest words as hex, as FIPS 180-4's examples print them. */
function hex(words: Int32Array): string {
  return [...words].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
}

test('sha1Short: FIPS 180-4 example "abc" and the empty message', () => {
  assert.equal(hex(sha1Short(Buffer.from('abc'), 3)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(hex(sha1Short(new Uint8Array(0), 0)), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
});

test('sha1Short: the same digest as node:crypto for every length 0-55, random bytes (high bits set too)', () => {
  const next = xorshift32(0x5a1);
  const message = new Uint8Array(64);
  for (let round = 0; round < 40; round++) {
    for (let length = 0; length <= SHA1_ONE_BLOCK_BYTES; length++) {
      for (let i = 0; i < length; i++) message[i] = Math.floor(next() * 256);
      // Bytes past the length must not count.
      for (let i = length; i < message.length; i++) message[i] = 0xff;
      const want = createHash('sha1').update(message.subarray(0, length)).digest('hex');
      assert.equal(hex(sha1Short(message, length)), want, `length ${length}`);
    }
  }
});

test('sha1Short refuses a message that needs a second block', () => {
  assert.throws(() => sha1Short(new Uint8Array(56), 56), RangeError);
});

test('sha1Of16: four big-endian words hash as their 16 bytes', () => {
  const next = xorshift32(16);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) bytes[j] = Math.floor(next() * 256);
    const words = [0, 4, 8, 12].map((o) => bytes.readInt32BE(o)) as [number, number, number, number];
    assert.equal(hex(sha1Of16(...words)), createHash('sha1').update(bytes).digest('hex'));
  }
});

test('sha1Of40: ten big-endian words hash as their 40 bytes', () => {
  const next = xorshift32(40);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(40);
    for (let j = 0; j < 40; j++) bytes[j] = Math.floor(next() * 256);
    const words = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36].map((o) => bytes.readInt32BE(o)) as [number, number, number, number, number, number, number, number, number, number];
    assert.equal(hex(sha1Of40(...words)), createHash('sha1').update(bytes).digest('hex'));
  }
});

/** The Community ID by the spec's steps with node:crypto (the implementation before net/sha1.ts). */
function referenceId(src: string, sport: number, dst: string, dport: number): string {
  const a = src.split('.').map(Number);
  const b = dst.split('.').map(Number);
  const aFirst = a.join('.') === b.join('.') ? sport < dport : Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  const buf = Buffer.alloc(16);
  buf.set(aFirst ? a : b, 2);
  buf.set(aFirst ? b : a, 6);
  buf[10] = PROTO_TCP;
  buf.writeUInt16BE(aFirst ? sport : dport, 12);
  buf.writeUInt16BE(aFirst ? dport : sport, 14);
  return `1:${createHash('sha1').update(buf).digest('base64')}`;
}

test('tcpCommunityId: the node:crypto Community ID over random IPv4 tuples, addresses repeating (its memo) and not', () => {
  const next = xorshift32(0xc1d);
  const address = (): string => [0, 0, 0, 0].map(() => Math.floor(next() * 256)).join('.');
  // A few hosts used again and again, in changing pairs and orders, and new ones.
  const hosts = [address(), address(), address(), '255.255.255.255', '0.0.0.0', '128.0.0.1'];
  for (let i = 0; i < 5000; i++) {
    const src = next() < 0.8 ? (hosts[Math.floor(next() * hosts.length)] as string) : address();
    const dst = next() < 0.8 ? (hosts[Math.floor(next() * hosts.length)] as string) : address();
    const sport = next() < 0.05 ? 0 : Math.floor(next() * 65536);
    const dport = next() < 0.05 ? sport : Math.floor(next() * 65536);
    const want = referenceId(src, sport, dst, dport);
    assert.equal(tcpCommunityId(src, sport, dst, dport), want, `${src}:${sport} ${dst}:${dport}`);
    assert.equal(communityId({ proto: PROTO_TCP, src, dst, sport, dport }), want, 'generic path');
  }
});

test('tcpCommunityId: a text that is no dotted quad right after one that is (the memo keeps its -1)', () => {
  assert.equal(tcpCommunityId('10.0.0.1', 1, '10.0.0.2', 2), referenceId('10.0.0.1', 1, '10.0.0.2', 2));
  assert.equal(tcpCommunityId('10.0.0.1', 1, '10.0.0.256', 2), null);
  assert.equal(tcpCommunityId('10.0.0.256', 1, '10.0.0.1', 2), null);
  assert.equal(tcpCommunityId('10.0.0.1', 1, '::1', 2), null, 'mixed families');
  assert.equal(tcpCommunityId('10.0.0.2', 2, '10.0.0.1', 1), referenceId('10.0.0.1', 1, '10.0.0.2', 2));
});

/** An IPv6 address of random groups in RFC 5952's form (the tracker's), some with a run of zeros. */
function randomIpv6(next: () => number): string {
  const groups = Array.from({ length: 8 }, () => (next() < 0.3 ? 0 : Math.floor(next() * 65536)));
  if (next() < 0.1) groups.fill(0);
  // The longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hexOf = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  return best < 0 ? hexOf(groups) : `${hexOf(groups.slice(0, best))}::${hexOf(groups.slice(best + bestLength))}`;
}

test('ipv6Groups: the groups addressBytes reads, for every text it reads; false where addressBytes reads none', () => {
  const next = xorshift32(0x6e);
  const texts = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', 'FFFF::a', '0:0:0:0:0:0:0:0', '2001:db8::1:0:0:1', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', 'fe80::1%eth0', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4'];
  for (let i = 0; i < 3000; i++) texts.push(randomIpv6(next));
  const out = new Int32Array(8);
  for (const text of texts) {
    assert.ok(ipv6Groups(text, out), text);
    const bytes = addressBytes(text) as Uint8Array;
    assert.deepEqual([...out], [0, 2, 4, 6, 8, 10, 12, 14].map((o) => ((bytes[o] as number) << 8) | (bytes[o + 1] as number)), text);
  }
  // Not IPv6: a second "::", a lone colon at either end, a group of five digits, nine groups,
  // seven without a gap, "::" with eight groups, a bad dotted quad, no text.
  for (const text of ['1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4::5:6:7:8', '::ffff:1.2.3.256', '', ':', ':::', 'g::1']) {
    assert.equal(ipv6Groups(text, out), false, text);
    assert.equal(addressBytes(text), null, text);
  }
});

test('tcpCommunityId: the generic Community ID over random IPv6 tuples (its ten-word path)', () => {
  const next = xorshift32(0x1d6);
  const hosts = [randomIpv6(next), randomIpv6(next), '::1', '::'];
  for (let i = 0; i < 3000; i++) {
    const src = next() < 0.5 ? (hosts[Math.floor(next() * hosts.length)] as string) : randomIpv6(next);
    const dst = next() < 0.5 ? (hosts[Math.floor(next() * hosts.length)] as string) : randomIpv6(next);
    const sport = Math.floor(next() * 65536);
    const dport = next() < 0.05 ? sport : Math.floor(next() * 65536);
    const generic = communityId({ proto: PROTO_TCP, src, dst, sport, dport });
    assert.equal(tcpCommunityId(src, sport, dst, dport), generic, `${src}.${sport} ${dst}.${dport}`);
  }
  // A dotted quad, a zone, and mixed families.
  assert.equal(tcpCommunityId('::ffff:10.0.0.1', 1, '::1', 2), communityId({ proto: PROTO_TCP, src: '::ffff:10.0.0.1', dst: '::1', sport: 1, dport: 2 }));
  assert.equal(tcpCommunityId('fe80::1%eth0', 1, 'fe80::2', 2), communityId({ proto: PROTO_TCP, src: 'fe80::1%eth0', dst: 'fe80::2', sport: 1, dport: 2 }));
  assert.equal(tcpCommunityId('::1', 1, '10.0.0.1', 2), null);
});
