/**
 * The port-reuse memory: CloseTimes answers exactly as the bounded Map keyed by tuple text that it
 * replaces (insertion order, setting again makes an entry the newest, the oldest goes first past
 * the limit), for IPv4 tuples in its typed arrays and IPv6 ones by text, in one shared order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseTimes, type Tuple } from '../../src/explain/closeTimes.js';
import { ipv4Number, tupleKey } from '../../src/explain/context.js';
import { ipv4Strict } from '../../src/net/ipv4Text.js';
import { rememberInMap } from '../helpers/boundedMap.js';
import { xorshift32 } from '../helpers/random.js';

test('CloseTimes answers as a bounded Map over mixed IPv4 and IPv6 tuples, with evictions, reuse and re-setting', () => {
  const limit = 97;
  const times = new CloseTimes(limit);
  const map = new Map<string, number>();
  const random = xorshift32(13);
  // Few hosts and ports, so tuples recur (re-set: newest again) and the limit evicts often.
  const hosts = ['10.0.0.1', '10.0.0.2', '192.168.255.254', '0.0.0.0', '255.255.255.255', '2001:db8::1', '2001:db8::2', 'fe80::1'];
  const tuples: Tuple[] = [];
  for (let i = 0; i < 5000; i++) {
    const pick = () => hosts[Math.floor(random() * hosts.length)] as string;
    const v6 = random() < 0.2;
    const origAddr = v6 ? (hosts[5 + Math.floor(random() * 3)] as string) : pick().includes(':') ? '10.9.9.9' : pick().replace(/:.*/, '');
    const respAddr = v6 ? (hosts[5 + Math.floor(random() * 3)] as string) : (hosts[Math.floor(random() * 5)] as string);
    const t = { origAddr, origPort: Math.floor(random() * 40) * 1637, respAddr, respPort: [80, 443, 65535, 0][Math.floor(random() * 4)] as number };
    tuples.push(t);
    const ts = 1_700_000_000 + i / 7;
    times.set(t, ts);
    rememberInMap(map, limit, tupleKey(t), ts);
    if (i % 50 === 0) {
      assert.equal(times.size, map.size);
      for (const u of tuples) assert.equal(times.get(tupleKey(u)), map.get(tupleKey(u)), `${tupleKey(u)} after ${i + 1} closes`);
    }
  }
  assert.equal(times.size, limit);
  assert.equal(times.get('10.0.0.1|1|10.0.0.3|80'), undefined);
});

test('CloseTimes grows past its first allocation and keeps every entry up to the limit', () => {
  const times = new CloseTimes(5000);
  for (let i = 0; i < 6000; i++) times.set({ origAddr: `10.0.${i >> 8}.${i & 255}`, origPort: i, respAddr: '10.1.0.1', respPort: 443 }, i);
  assert.equal(times.size, 5000);
  assert.equal(times.get('10.0.3.231|999|10.1.0.1|443'), undefined, 'evicted: among the 1000 oldest');
  assert.equal(times.get('10.0.3.232|1000|10.1.0.1|443'), 1000);
  assert.equal(times.get('10.0.23.111|5999|10.1.0.1|443'), 5999);
});

test('ipv4Strict reads plain dotted quads only; ipv4Number keeps its rule for odd text', () => {
  assert.equal(ipv4Strict('10.0.0.1'), 0x0a000001);
  assert.equal(ipv4Strict('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4Strict('010.000.000.001'), 0x0a000001);
  for (const odd of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4a', '2001:db8::1', '1234.1.1.1']) {
    assert.equal(ipv4Strict(odd), -1, odd);
  }
  assert.equal(ipv4Number('192.168.1.20'), 0xc0a80114);
  // Odd text: each dot-separated part as a Number, low byte, as before (NaN-free).
  assert.equal(ipv4Number('256.1.1.1'), 0x00010101);
  assert.equal(ipv4Number('x.1'), 1);
  assert.equal(ipv4Number('2001:db8::1'), 0);
});

test("RecentKeys keeps a slot's key words and hash side by side, and its two links side by side (one cache line per slot)", async () => {
  const { RecentKeys } = await import('../../src/explain/recentKeys.js');
  const keys = new RecentKeys(3000);
  const random = xorshift32(5);
  const added: [number, number, number, number][] = [];
  for (let i = 0; i < 2000; i++) {
    const a = Math.floor(random() * 2 ** 32) >>> 0;
    const c = i * 7919;
    added.push([keys.add(a, i, c), a, i, c]);
  }
  const inner = keys as unknown as { keys: Uint32Array; links: Int32Array };
  assert.equal(inner.keys.length, keys.capacity * 4);
  assert.equal(inner.links.length, keys.capacity * 2);
  for (const [slot, a, b, c] of added) {
    assert.deepEqual([...inner.keys.subarray(slot * 4, slot * 4 + 3)], [a, b, c]);
    assert.equal(keys.find(a, b, c), slot);
  }
  // The order list: each slot's next (link 1) is the slot added after it.
  for (let i = 0; i + 1 < added.length; i++) assert.equal(inner.links[(added[i]?.[0] ?? 0) * 2 + 1], added[i + 1]?.[0]);
});
