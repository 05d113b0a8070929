/**
 * IPv6 keys of explain's bounded tables as words (RecentKeys' wide keys): an address the tracker
 * wrote (RFC 5952) is held as four words, no text key built per look-up, and every answer stays
 * that of the bounded Map keyed by text that the tables replace: texts a Map told apart (upper
 * case, leading zeros, an unshortened zero run, a dotted tail) stay apart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseTimes, type Tuple } from '../../src/explain/closeTimes.js';
import { ExplainContext, tupleKey } from '../../src/explain/context.js';
import { HostHops } from '../../src/explain/hostHops.js';
import { ipv6WordsInto } from '../../src/explain/ipv6Words.js';
import { LastResets } from '../../src/explain/lastResets.js';
import { NONE, type RecentKeys } from '../../src/explain/recentKeys.js';
import type { FinishedConnection, TtlBaseline } from '../../src/track/finished.js';
import { rememberInMap } from '../helpers/boundedMap.js';
import { xorshift32 } from '../helpers/random.js';

/** The words ipv6WordsInto reads from `text`, or null when it refuses it. */
function wordsOf(text: string): number[] | null {
  const out = new Uint32Array(6).fill(7);
  if (!ipv6WordsInto(text, out, 1)) {
    assert.deepEqual([...out], [7, 7, 7, 7, 7, 7], `${text}: refused, out left as it was`);
    return null;
  }
  assert.equal(out[0], 7);
  assert.equal(out[5], 7);
  return [...out.subarray(1, 5)];
}

/** A host's text key count inside a RecentKeys (its Map of text keys). */
function textKeys(keys: RecentKeys): number {
  return (keys as unknown as { byText: Map<string, number> }).byText.size;
}

/** The RecentKeys behind a CloseTimes or a HostHops. */
function keysOf(table: CloseTimes | HostHops): RecentKeys {
  return (table as unknown as { keys: RecentKeys }).keys;
}

function baseline(ttl: number): TtlBaseline {
  return { values: [{ ttl, count: 1 }], otherCount: 0, mostCommon: ttl, initial: 0, hops: 0 };
}

describe('IPv6 word keys in explain context tables', () => {
  it('ipv6WordsInto reads the text the tracker writes (RFC 5952) and refuses every other text', () => {
    assert.deepEqual(wordsOf('2001:db8::1'), [0x20010db8, 0, 0, 1]);
    assert.deepEqual(wordsOf('fe80::1:2'), [0xfe800000, 0, 0, 0x10002]);
    assert.deepEqual(wordsOf('::'), [0, 0, 0, 0]);
    assert.deepEqual(wordsOf('::1'), [0, 0, 0, 1]);
    assert.deepEqual(wordsOf('1:2:3:4:5:6:7:8'), [0x10002, 0x30004, 0x50006, 0x70008]);
    assert.deepEqual(wordsOf('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    // The longest zero run is shortened, the first of two equal ones; a single zero group is not.
    assert.deepEqual(wordsOf('1:0:0:2::3'), [0x10000, 0x2, 0, 0x3]);
    assert.deepEqual(wordsOf('1::2:0:0:3:4'), [0x10000, 0x2, 0, 0x30004]);
    assert.deepEqual(wordsOf('1:0:2:3:4:5:6:7'), [0x10000, 0x20003, 0x40005, 0x60007]);
    for (const odd of [
      '2001:DB8::1',
      '2001:0db8::1',
      '2001:db8:0:0:0:0:0:1',
      '2001:db8::0:1',
      '1:0:0:2:0:0:0:3',
      '1:0:0:2::3:4',
      '1::2:3:4:5:6:7',
      '::ffff:192.0.2.1',
      '::192.0.2.1',
      'fe80::1%eth0',
      '10.0.0.1',
      '',
      'x',
      ':::',
      '1:2:3:4:5:6:7:8:9',
    ]) {
      assert.equal(wordsOf(odd), null, odd);
      assert.equal(wordsOf(odd), null, `${odd}, asked again (kept)`);
    }
    // Alternating texts (the kept answers are two) still answer each for itself.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(wordsOf('2001:db8::1'), [0x20010db8, 0, 0, 1]);
      assert.equal(wordsOf('2001:DB8::1'), null);
      assert.deepEqual(wordsOf('2001:db8::2'), [0x20010db8, 0, 0, 2]);
    }
  });

  it('CloseTimes, swapped or not, answers as the bounded Map (set, slotOf and get)', () => {
    const limit = 500;
    const times = new CloseTimes(limit);
    const map = new Map<string, number>();
    const random = xorshift32(31);
    const hosts: string[] = [];
    for (let i = 0; i < 260; i++) hosts.push(`2001:db8:${(i % 5).toString(16)}::${(i + 1).toString(16)}`);
    const odd = ['2001:DB8::1', '2001:db8::1', '2001:db8:0:0:0:0:0:1', '::ffff:10.0.0.1', 'fe80::1%eth0', '10.0.0.1', '192.0.2.77', '2001:db8::'];
    const pick = () => (random() < 0.15 ? odd[Math.floor(random() * odd.length)] : hosts[Math.floor(random() * hosts.length)]) as string;
    const seen: Tuple[] = [];
    for (let i = 0; i < 15_000; i++) {
      const t = { origAddr: pick(), origPort: Math.floor(random() * 5) * 9001, respAddr: pick(), respPort: [443, 0, 65535][Math.floor(random() * 3)] as number };
      const swapped = random() < 0.3;
      const ts = 1_700_000_000 + i / 7;
      times.set(t, ts, swapped);
      rememberInMap(map, limit, tupleKey(swapped ? turned(t) : t), ts);
      if (seen.length < 3000) seen.push(t);
      if (i % 1000 === 999) {
        assert.equal(times.size, map.size);
        for (const u of seen) {
          assert.equal(times.get(tupleKey(u)), map.get(tupleKey(u)), `${tupleKey(u)} after ${i + 1}`);
          const slot = times.slotOf(u, true);
          const expected = map.get(tupleKey(turned(u)));
          assert.equal(slot === NONE ? undefined : times.timeAt(slot), expected, `${tupleKey(turned(u))} by slotOf after ${i + 1}`);
        }
      }
    }
    assert.equal(times.size, limit);
    // Ports in text other than tupleKey writes them never match.
    const t = seen.find((u) => wordsOf(u.origAddr) !== null && wordsOf(u.respAddr) !== null && map.has(tupleKey(u)) && u.origPort !== 0) as Tuple;
    assert.notEqual(times.get(tupleKey(t)), undefined);
    assert.equal(times.get(`${t.origAddr}|0${t.origPort}|${t.respAddr}|${t.respPort}`), undefined);
    assert.equal(times.get(`${t.origAddr}|${t.origPort}.0|${t.respAddr}|${t.respPort}`), undefined);
    assert.equal(times.get(`${t.origAddr}|${t.origPort}`), undefined);
  });

  it('canonical IPv6 keys take no text key in any table (the tuple tables, the hosts, the open ports)', () => {
    const ctx = new ExplainContext(1000);
    for (let i = 0; i < 400; i++) {
      const conn = {
        capture: 0,
        origAddr: `2001:db8::${(i + 1).toString(16)}`,
        origPort: 40000 + i,
        respAddr: `2001:db8:1::${((i % 50) + 1).toString(16)}`,
        respPort: 443,
        startTs: 1000 + i,
        lastPacketTs: 1000.5 + i,
        orig: { ttl: baseline(60), finCount: 1, size: 10 },
        resp: { ttl: baseline(61), finCount: 1, size: 10 },
        handshake: { synTs: 1000 + i, synAckTs: 1000 + i, ackTs: 1000 + i },
        keptFirstFlags: 0x02,
        origPairs: 0,
        origSingles: 2,
        respPairs: 0,
        respSingles: 2,
        resets: [{ ts: 1000.5 + i, direction: 'resp' }],
        packets: [],
      } as unknown as FinishedConnection;
      ctx.learnFrom(conn, [{ id: `P${i + 1}`, capture: 0, frame: i, ts: 1000.5 + i, hint: null, parent: undefined }] as never);
    }
    assert.equal(ctx.lastClose.size, 400);
    assert.equal(ctx.lastReset.size, 400);
    assert.equal(ctx.hostHops.size, 450);
    assert.equal(ctx.openPorts.size, 50);
    assert.equal(textKeys(keysOf(ctx.lastClose)), 0);
    assert.equal(textKeys(keysOf((ctx.lastReset as unknown as { slots: CloseTimes }).slots)), 0);
    assert.equal(textKeys(keysOf(ctx.hostHops)), 0);
    assert.equal(textKeys(ctx.openPorts), 0);
    // And every answer is there.
    assert.equal(ctx.lastClose.get('2001:db8::1|40000|2001:db8:1::1|443'), 1000.5);
    assert.equal(ctx.lastReset.get({ origAddr: '2001:db8:1::32', origPort: 443, respAddr: '2001:db8::190', respPort: 40399 })?.id, 'P400');
    assert.deepEqual(ctx.hopsOf('2001:db8:1::32'), { min: 3, max: 3, initials: [64], packets: 8 });
    assert.equal(ctx.openSince('2001:db8:1::32', 443), 1399);
    assert.equal(ctx.openSince('2001:db8:1::32', 444), null);
    // Other text of the same address is another key, as it was in a Map.
    assert.equal(ctx.lastClose.get('2001:db8:0:0:0:0:0:1|40000|2001:db8:1::1|443'), undefined);
    assert.equal(ctx.hopsOf('2001:DB8:1::32'), null);
    assert.equal(ctx.openSince('2001:db8:1:0:0:0:0:32', 443), null);
  });

  it('HostHops and the open ports answer as bounded Maps over IPv6 hosts in canonical and other texts', () => {
    const limit = 300;
    const hops = new HostHops(limit);
    const ports = new ExplainContext(limit);
    const hopMap = new Map<string, number>();
    const portMap = new Map<string, number>();
    const random = xorshift32(37);
    const hosts: string[] = [];
    for (let i = 0; i < 500; i++) hosts.push(`fd00:${(i % 7).toString(16)}::${(i + 1).toString(16)}`);
    hosts.push('FD00::1', 'fd00:0::1', 'fd00::1', '::ffff:10.1.1.1', '10.1.1.1', 'fe80::1%lo');
    for (let i = 0; i < 10_000; i++) {
      const host = hosts[random() < 0.1 ? hosts.length - 1 - Math.floor(random() * 6) : Math.floor(random() * 500)] as string;
      hops.learn(host, baseline(64 - (i % 5)));
      const before = hopMap.get(host);
      if (before === undefined) rememberInMap(hopMap, limit, host, 1);
      else hopMap.set(host, before + 1);
      const port = [22, 443][i % 2] as number;
      (ports as unknown as { learnOpenPort(a: string, p: number, ts: number): void }).learnOpenPort(host, port, i);
      rememberInMap(portMap, limit, `${host}|${port}`, i);
      if (i % 997 === 0) {
        assert.equal(hops.size, hopMap.size);
        for (const h of hosts) {
          assert.equal(hops.packetsOf(h), hopMap.get(h) ?? -1, `${h} after ${i + 1}`);
          for (const p of [22, 443]) assert.equal(ports.openSince(h, p), portMap.get(`${h}|${p}`) ?? null, `${h}|${p} after ${i + 1}`);
        }
      }
    }
    assert.equal(ports.openPorts.size, portMap.size);
  });

  it('LastResets finds an IPv6 tuple from either orientation', () => {
    const last = new LastResets(10);
    const t = { origAddr: '2001:db8::2', origPort: 5000, respAddr: '2001:db8::1', respPort: 80 };
    last.remember(t, 'P7', 0, 12, 3.5, 'a hint');
    assert.deepEqual(last.get({ origAddr: '2001:db8::1', origPort: 80, respAddr: '2001:db8::2', respPort: 5000 }), { id: 'P7', capture: 0, frame: 12, ts: 3.5, hint: 'a hint' });
    assert.deepEqual(last.get(t)?.id, 'P7');
    assert.equal(last.get({ ...t, origAddr: '2001:DB8::2' }), undefined);
  });
});

function turned(t: Tuple): Tuple {
  return { origAddr: t.respAddr, origPort: t.respPort, respAddr: t.origAddr, respPort: t.origPort };
}
