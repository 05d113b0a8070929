/**
 * The explain context's packed tables (RecentKeys, HostHops, the open ports) answer as the bounded
 * Maps in insertion order they replace, and every table of the context stays within its bound
 * however many connections it learns from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ExplainContext, type HopRange } from '../../src/explain/context.js';
import { HostHops } from '../../src/explain/hostHops.js';
import { NONE, RecentKeys } from '../../src/explain/recentKeys.js';
import type { FinishedConnection, TtlBaseline } from '../../src/track/finished.js';
import { initialTtlOf } from '../../src/track/tracker.js';
import { rememberInMap } from '../helpers/boundedMap.js';
import { xorshift32 } from '../helpers/random.js';

/** A baseline of one side: the given TTLs, `count` packets each. */
function baseline(ttls: number[], count = 1): TtlBaseline {
  return { values: ttls.map((ttl) => ({ ttl, count })), otherCount: 0, mostCommon: ttls[0] ?? 0, initial: 0, hops: 0 };
}

/** context.ts's learnHops as it was, over a bounded Map of HopRange objects: the reference for HostHops. */
function learnInMap(map: Map<string, HopRange>, limit: number, addr: string, b: TtlBaseline): void {
  let range = map.get(addr);
  for (const v of b.values) {
    const initial = initialTtlOf(v.ttl);
    const hops = initial - v.ttl;
    if (range === undefined) {
      range = { min: hops, max: hops, initials: [initial], packets: 0 };
      rememberInMap(map, limit, addr, range);
    }
    if (hops < range.min) range.min = hops;
    if (hops > range.max) range.max = hops;
    if (!range.initials.includes(initial)) range.initials.push(initial);
    range.packets += v.count;
  }
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap and array-buffer bytes in use after full collections (typed arrays keep their data outside the heap). */
function usedBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('explain context tables', () => {
  it('RecentKeys keeps the newest keys of a bounded Map in insertion order, word and text keys in one order', () => {
    const limit = 61;
    const keys = new RecentKeys(limit);
    const map = new Map<string, number>();
    const random = xorshift32(5);
    const all: [number, number, number, string | null][] = [];
    for (let i = 0; i < 4000; i++) {
      // Few distinct keys, so keys recur (renewed: newest again) and the bound evicts often.
      const text = random() < 0.25 ? `2001:db8::${Math.floor(random() * 40)}` : null;
      const k: [number, number, number, string | null] = [(Math.floor(random() * 8) * 0x24924925) >>> 0, Math.floor(random() * 12), random() < 0.5 ? 0 : 0xffffffff, text];
      all.push(k);
      const name = text ?? `${k[0]}|${k[1]}|${k[2]}`;
      const found = text === null ? keys.find(k[0], k[1], k[2]) : keys.findText(text);
      assert.equal(found !== NONE, map.has(name), `${name} held in both or neither, step ${i}`);
      if (found === NONE) {
        if (text === null) keys.add(k[0], k[1], k[2]);
        else keys.addText(text);
      } else keys.renew(found);
      rememberInMap(map, limit, name, i);
      assert.ok(keys.size <= limit);
      assert.equal(keys.size, map.size);
    }
    for (const [a, b, c, text] of all) {
      const name = text ?? `${a}|${b}|${c}`;
      assert.equal((text === null ? keys.find(a, b, c) : keys.findText(text)) !== NONE, map.has(name), name);
    }
  });

  it('HostHops answers as the bounded Map of HopRange objects, initials in the order first seen', () => {
    const limit = 37;
    const hops = new HostHops(limit);
    const map = new Map<string, HopRange>();
    const random = xorshift32(11);
    const hosts = Array.from({ length: 90 }, (_, i) => (i % 9 === 0 ? `fe80::${i}` : `10.${i}.${255 - i}.${i * 2}`));
    const ttlsSeen = [1, 30, 32, 33, 60, 64, 100, 128, 129, 200, 255];
    for (let i = 0; i < 3000; i++) {
      const host = hosts[Math.floor(random() * hosts.length)] as string;
      const ttls = Array.from({ length: Math.floor(random() * 4) }, () => ttlsSeen[Math.floor(random() * ttlsSeen.length)] as number);
      const b = baseline(ttls, 1 + Math.floor(random() * 3));
      hops.learn(host, b);
      learnInMap(map, limit, host, b);
      assert.equal(hops.size, map.size);
      if (i % 100 === 0) for (const h of hosts) assert.deepEqual(hops.get(h), map.get(h), `${h} after ${i + 1} baselines`);
    }
    assert.equal(hops.size, limit);
    const mixed = new HostHops(4);
    mixed.learn('192.0.2.1', baseline([250, 60, 120, 20, 61]));
    assert.deepEqual(mixed.get('192.0.2.1'), { min: 3, max: 12, initials: [255, 64, 128, 32], packets: 5 });
  });

  it('every table of the context stays within its bound, keeping the newest entries', () => {
    const limit = 50;
    const ctx = new ExplainContext(limit);
    const n = 400;
    for (let i = 0; i < n; i++) ctx.learnFrom(connection(i), []);
    for (const size of [ctx.hostHops.size, ctx.openPorts.size, ctx.lastClose.size, ctx.lastReset.size, ctx.sources.size, ctx.forwardedHere.size]) assert.ok(size <= limit, `${size} <= ${limit}`);
    assert.equal(ctx.hostHops.size, limit);
    assert.equal(ctx.openPorts.size, limit);
    assert.equal(ctx.sources.size, limit);
    assert.equal(ctx.forwardedHere.size, limit);
    assert.equal(ctx.openSince(serverOf(0), 8000), null, 'the oldest server port was evicted');
    assert.equal(ctx.openSince(serverOf(n - 1), 8000 + n - 1), 1000 + n - 1);
    assert.equal(ctx.hopsOf(serverOf(0)), null);
    assert.deepEqual(ctx.hopsOf(serverOf(n - 1)), { min: 3, max: 3, initials: [64], packets: 2 });
    assert.equal(ctx.forwardedHere.get(clientOf(0)), undefined);
    assert.equal(ctx.forwardedHere.get(clientOf(n - 1)), true);
    // A later connection that shows the host's packets once each overrides its forwarded verdict.
    ctx.learnFrom({ ...connection(n - 1), origPairs: 0, origSingles: 3 }, []);
    assert.equal(ctx.forwardedHere.get(clientOf(n - 1)) ?? false, false);
  });

  it("a mixed capture's connections (two new hosts, an open port, a close each) leave under 300 bytes each in the context", () => {
    // The Maps these tables were kept a text key, a HopRange object and an initials array per
    // new host and a heap-number key per open port: 444 bytes per such connection; packed, 210.
    const n = 60_000;
    const conns = Array.from({ length: n }, (_, i) => ({
      ...connection(i),
      origAddr: `10.${(i >> 15) & 255}.${(i >> 7) & 255}.${(i & 127) * 2}`,
      respAddr: `10.${(i >> 15) & 255}.${(i >> 7) & 255}.${(i & 127) * 2 + 1}`,
      respPort: 443,
      origSingles: 2,
      origPairs: 0,
      // Data flowed: not a probe (a scanning source's entry is another table's cost).
      orig: { ttl: baseline([60], 3), finCount: 1, size: 100 },
      resp: { ttl: baseline([61], 3), finCount: 1, size: 100 },
    })) as unknown as FinishedConnection[];
    const before = usedBytes();
    const ctx = new ExplainContext();
    for (const c of conns) ctx.learnFrom(c, []);
    const perConnection = (usedBytes() - before) / n;
    assert.equal(ctx.hostHops.size, 2 * n);
    assert.equal(ctx.openPorts.size, n);
    assert.equal(ctx.lastClose.size, n);
    assert.ok(perConnection < 300, `${perConnection.toFixed(0)} bytes per connection`);
    assert.equal(conns.length, n, 'the connections stay reachable until the end');
  });

  it('an open port seen accepting again becomes the newest: evicted after the ports seen since, not before', () => {
    const ctx = new ExplainContext(3);
    for (const i of [0, 1, 2, 0, 3, 4]) ctx.learnFrom(connection(i), []);
    // The bound is 3: 0 renewed makes the order 1, 2, 0; then 3 evicts 1 and 4 evicts 2; 0 survives.
    assert.equal(ctx.openSince(serverOf(2), 8002), null);
    assert.equal(ctx.openSince(serverOf(0), 8000), 1000);
    assert.equal(ctx.openSince(serverOf(1), 8001), null);
    assert.equal(ctx.openSince(serverOf(4), 8004), 1004);
  });
});

function clientOf(i: number): string {
  return `10.1.${i >> 8}.${i & 255}`;
}

function serverOf(i: number): string {
  return i % 10 === 5 ? `2001:db8::${i.toString(16)}` : `192.168.${i >> 8}.${i & 255}`;
}

/** Connection i: a client (its packets all forwarded twice here) talking to a server port that accepted; no data. */
function connection(i: number): FinishedConnection {
  return {
    capture: 0,
    origAddr: clientOf(i),
    origPort: 40000 + i,
    respAddr: serverOf(i),
    respPort: 8000 + i,
    startTs: 1000 + i,
    lastPacketTs: 1000 + i + 0.5,
    orig: { ttl: baseline([60], 2), finCount: 1, size: 0 },
    resp: { ttl: baseline([61], 2), finCount: 1, size: 0 },
    handshake: { synTs: 1000 + i, synAckTs: 1000 + i, ackTs: 1000 + i },
    keptFirstFlags: 0x02,
    origPairs: 2,
    origSingles: 0,
    respPairs: 0,
    respSingles: 2,
    resets: [],
    packets: [],
  } as unknown as FinishedConnection;
}

describe('LastResets keeps ids as small integers', () => {
  it('idWord turns "<letter><n>" into a number and back, and leaves every other id as it is', async () => {
    const { idOfWord, idWord } = await import('../../src/explain/lastResets.js');
    for (const id of ['P1', 'P9', 'P10', 'R123456', 'Z16777215', 'A7']) {
      const word = idWord(id);
      assert.equal(typeof word, 'number', id);
      assert.equal(idOfWord(word), id);
    }
    // Kept as text: a leading zero, a lower-case or second letter, anything past 2^24 or not a decimal.
    for (const id of ['P0', 'P01', 'p5', 'PP5', 'P', 'P16777216', 'P1.5', 'P-1', '7', '', 'P12a', 'C1-5']) assert.equal(idWord(id), id, id);
  });

  it('a reset remembered by provisional id is found again under the same id (and the same hint)', async () => {
    const { LastResets } = await import('../../src/explain/lastResets.js');
    const last = new LastResets(100);
    const tuple = (port: number) => ({ origAddr: '10.0.0.1', origPort: port, respAddr: '10.0.0.2', respPort: 80 });
    last.remember(tuple(1), 'P42', 0, 7, 1.5, 'hint a');
    last.remember(tuple(2), 'odd-id', 1, 8, 2.5, null);
    assert.deepEqual(last.get(tuple(1)), { id: 'P42', capture: 0, frame: 7, ts: 1.5, hint: 'hint a' });
    assert.deepEqual(last.get({ origAddr: '10.0.0.2', origPort: 80, respAddr: '10.0.0.1', respPort: 2 }), { id: 'odd-id', capture: 1, frame: 8, ts: 2.5, hint: null });
  });
});
