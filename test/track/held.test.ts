/**
 * Connections held packed in their close delay (src/track/heldConns.ts) must change nothing: the
 * tracker with every delayed connection packed at once (holdAtLive 0) finishes the same
 * connections, in the same order, as with none packed, on every capture in test/fixtures and on
 * generated traffic full of late packets after RSTs and FINs (data, repeated RSTs, FINs,
 * retransmitted SYNs, a new SYN reusing the tuple). And the codec (heldCodec.ts) gives back
 * every column of a row, every record and snapshot, whatever their values.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../src/capture/open.js';
import { CaptureRecord } from '../../src/capture/record.js';
import { decodeFrame } from '../../src/decode/frame.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { columnsOf } from '../../src/track/columns.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { ROW_ELSEWHERE } from '../../src/track/heldCodec.js';
import { heldRowLayout, heldSnapshotLayout, hold, unhold } from '../../src/track/heldConns.js';
import { allocRecord, fitSnapshots, linkAfter } from '../../src/track/recordPool.js';
import { restoreTracker, saveTracker } from '../../src/track/snapshot.js';
import { F_USED } from '../../src/track/state.js';
import { Tracker, type TrackerOptions } from '../../src/track/tracker.js';
import { mulberry32 } from '../helpers/random.js';
import { type TestPacket, fill } from './packets.js';

const OFF: Partial<TrackerOptions> = { holdAtLive: Number.POSITIVE_INFINITY };
const FORCED: Partial<TrackerOptions> = { holdAtLive: 0, holdQuiet: 0 };
const FORCED_QUIET: Partial<TrackerOptions> = { holdAtLive: 0, holdQuiet: 3 };

interface Run {
  conns: FinishedConnection[];
  held: number;
  early: number;
  /** The arena's bytes in use at the end of the capture. */
  arena: number;
  /** Connections still held when the capture ended, and the store's entry ring and hash table sizes once finish() is done. */
  heldAtEnd: number;
  entriesAfter: number;
  tableAfter: number;
}

function track(packets: TestPacket[], opts: Partial<TrackerOptions>, carryAt = -1): Run {
  const conns: FinishedConnection[] = [];
  const sink = { onConnectionDone: (c: FinishedConnection) => conns.push(c) };
  let t = new Tracker({ captureIndex: 0, ...opts }, sink);
  const rec = new CaptureRecord();
  const pkt = new DecodedPacket();
  let held = 0;
  let early = 0;
  for (let i = 0; i < packets.length; i++) {
    if (i === carryAt) {
      // A carry in the middle: saved (held connections unpacked first) and restored into a fresh tracker.
      const st = t.stats();
      held += st.heldPacked;
      early += st.heldUnpackedEarly;
      const saved = saveTracker(t);
      t = new Tracker({ captureIndex: 0, ...opts }, sink);
      restoreTracker(t, saved);
    }
    fill(rec, pkt, packets[i] as TestPacket);
    rec.frame = i + 1;
    t.trackPacket(rec, pkt);
  }
  const st = t.stats();
  return { conns, held: held + st.heldPacked, early: early + st.heldUnpackedEarly, arena: st.heldArenaBytes, ...finish(t) };
}

/** Ends the capture (Tracker.finish): what was still held, and the held store's entry ring and table after. */
function finish(t: Tracker): Pick<Run, 'heldAtEnd' | 'entriesAfter' | 'tableAfter'> {
  const heldAtEnd = t.state.held.live;
  t.finish();
  const h = t.state.held;
  return { heldAtEnd, entriesAfter: h.eHash.length, tableAfter: h.table.length };
}


/**
 * `conns` connections, most closed or reset early, then late packets at random delays (some
 * inside the 5 s close delay, some after it): data after the RST, repeated RSTs, a FIN after the
 * RST, the SYN retransmitted, a new SYN on the same tuple (port reuse), a RST with payload.
 */
function lateTraffic(seed: number, conns: number): TestPacket[] {
  const r = mulberry32(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const out: TestPacket[] = [];
  for (let c = 0; c < conns; c++) {
    const v6 = r() < 0.15;
    const a = v6 ? `2001:db8::${(c % 7) + 1}` : `10.3.${(c >> 8) & 255}.${c & 255}`;
    const b = v6 ? '2001:db8::ffff' : '10.4.0.1';
    const ap = 20000 + (c % 300); // tuples repeat across connections: reuse of a held tuple
    const bp = r() < 0.5 ? 443 : 8080;
    let t = c * 0.05 + r() * 0.5;
    const isn = pick(0x100000000);
    const sisn = pick(0x100000000);
    const o = { src: a, sport: ap, dst: b, dport: bp };
    const rv = { src: b, sport: bp, dst: a, dport: ap };
    const ttl = 40 + pick(30);
    const put = (dir: typeof o, flags: string, seq: number, ack: number, len = 0, extra: Partial<TestPacket> = {}) => {
      t += r() < 0.05 ? -0.001 : r() * 0.02;
      out.push({ ts: t, ...dir, flags, seq: seq >>> 0, ack: ack >>> 0, len, ttl, ipId: pick(65536), win: pick(3) === 0 ? 0 : 1 + pick(65535), ...extra });
    };
    const shape = pick(6);
    put(o, 'S', isn, 0, 0, { wscale: pick(2) === 0 ? 7 : undefined });
    if (shape === 0) {
      put(rv, 'RA', 0, isn + 1); // a refused SYN
    } else if (shape === 1) {
      put(rv, 'SA', sisn, isn + 1);
      put(o, 'A', isn + 1, sisn + 1);
      put(o, 'PA', isn + 1, sisn + 1, 1 + pick(1000));
      put(rv, 'R', sisn + 1, 0);
    } else if (shape === 2) {
      put(rv, 'SA', sisn, isn + 1);
      put(o, 'A', isn + 1, sisn + 1);
      put(o, 'FA', isn + 1, sisn + 1);
      put(rv, 'FA', sisn + 1, isn + 2);
      put(o, 'A', isn + 2, sisn + 2);
    } else if (shape === 3) {
      put(rv, 'SA', sisn, isn + 1);
      put(o, 'R', isn + 1, 0, 0, { payload: 'reset reason' }); // a RST with payload: stays wide
    } else if (shape === 4) {
      put(rv, 'SA', sisn, isn + 1);
      put(o, 'A', isn + 1, sisn + 1);
      put(o, 'FA', isn + 1, sisn + 1);
      put(rv, 'RA', sisn + 1, isn + 2); // RST after FIN
    } else {
      put(rv, 'RA', 0, isn + 1);
      put(rv, 'RA', 0, isn + 1); // repeated at once
    }
    // Late packets.
    const late = pick(4);
    for (let k = 0; k < late; k++) {
      t += r() < 0.3 ? 5 + r() * 3 : r() * 2;
      const u = pick(8);
      if (u === 0) put(o, 'PA', isn + 1, sisn + 1, 1 + pick(500)); // data after the RST
      else if (u === 1) put(rv, 'RA', 0, isn + 1); // the RST again
      else if (u === 2) put(o, 'FA', isn + 1, sisn + 1); // FIN after the RST
      else if (u === 3) put(o, 'S', isn, 0); // the SYN retransmitted
      else if (u === 4) put(o, 'S', isn + 100000 + pick(1000), 0); // a new SYN on the tuple (port reuse)
      else if (u === 5) put(rv, 'A', sisn + 1, isn + 1);
      else if (u === 6) put(rv, 'SA', sisn, isn + 1);
      else put(o, 'R', isn + 1, 0);
    }
  }
  out.sort((x, y) => x.ts - y.ts);
  return out;
}

describe('held connections: the same connections as without', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`late packets after RSTs and FINs, seed ${seed}`, () => {
      const packets = lateTraffic(seed, 400);
      const off = track(packets, OFF);
      const forced = track(packets, FORCED);
      assert.equal(off.held, 0);
      assert.ok(forced.held > 200, `held ${forced.held}`);
      assert.ok(forced.early > 20, `unpacked early ${forced.early}`);
      assert.deepEqual(forced.conns, off.conns);
      const quiet = track(packets, FORCED_QUIET);
      assert.deepEqual(quiet.conns, off.conns);
      // Carried in the middle of the capture (saveTracker unpacks), the same again.
      const carried = track(packets, FORCED, Math.floor(packets.length / 2));
      assert.deepEqual(carried.conns, off.conns);
    });
  }

  it('a refused-SYN flood held across arena chunks, with late RSTs, and with the default quiet', () => {
    const packets: TestPacket[] = [];
    const n = 36_000;
    for (let i = 0; i < n; i++) {
      const ts = 1000 + i / 20_000;
      const src = `10.7.${(i >> 8) & 255}.${i & 255}`;
      const sport = 1024 + (i % 60_000);
      const isn = (i * 2654435761) >>> 0;
      packets.push({ ts, src, sport, dst: '10.8.0.1', dport: 443, flags: 'S', seq: isn, ipId: i & 0xffff, ttl: 50 });
      packets.push({ ts: ts + 0.0001 + (i % 7) * 0.00001, src: '10.8.0.1', sport: 443, dst: src, dport: sport, flags: 'RA', seq: 0, ack: isn + 1, ttl: 64 });
      if (i % 97 === 0) packets.push({ ts: ts + 1 + (i % 5) * 0.1, src: '10.8.0.1', sport: 443, dst: src, dport: sport, flags: 'RA', seq: 0, ack: isn + 1, ttl: 64 });
    }
    packets.sort((x, y) => x.ts - y.ts);
    const off = track(packets, OFF);
    const forced = track(packets, FORCED_QUIET);
    assert.ok(forced.held > n * 0.9 && forced.early > 300, `held ${forced.held}, unpacked early ${forced.early}`);
    // More than one 1 MiB chunk of the arena in use (the first ones given back as the head passed them).
    assert.ok(forced.arena > 2 ** 20, `arena ${forced.arena}`);
    assert.deepEqual(forced.conns, off.conns);
    // Finished at the end of the capture in number order while still held (the hash table dropped
    // first, the order from the sorted keys), and the entry ring and table given back after.
    assert.ok(forced.heldAtEnd > n * 0.5, `held at the end ${forced.heldAtEnd}`);
    assert.equal(forced.entriesAfter, 0);
    assert.equal(forced.tableAfter, 1024);
    // From 20,000 connections in slots, with the default quiet (4,096 closing after one before it is packed).
    const dflt = track(packets, { holdAtLive: 20_000 });
    assert.ok(dflt.held > 5000, `held ${dflt.held}`);
    assert.deepEqual(dflt.conns, off.conns);
  });

  it('a maxLiveConnections eviction takes a held connection in its timer order', () => {
    const packets = lateTraffic(9, 300);
    const a = track(packets, { ...OFF, maxLiveConnections: 16 });
    const b = track(packets, { holdAtLive: 0, holdQuiet: 0, maxLiveConnections: 16 });
    assert.ok(a.conns.some((c) => c.endReason === 'evicted'));
    // Held connections cost less of the bound: fewer are evicted, and none that was not evicted before.
    const evictedA = new Set(a.conns.filter((c) => c.endReason === 'evicted').map((c) => c.id));
    const evictedB = b.conns.filter((c) => c.endReason === 'evicted');
    assert.ok(evictedB.length < evictedA.size, `${evictedB.length} vs ${evictedA.size}`);
    assert.equal(a.conns.length >= 300, true);
  });
});

/** Every capture under test/fixtures (recursively). */
function fixtureCaptures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...fixtureCaptures(p));
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

async function trackFile(path: string, opts: Partial<TrackerOptions>): Promise<Run> {
  const conns: FinishedConnection[] = [];
  const t = new Tracker({ captureIndex: 0, ...opts }, { onConnectionDone: (c) => conns.push(c) });
  const pkt = new DecodedPacket();
  await readCapture(path, (rec) => {
    decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    t.trackPacket(rec, pkt);
  });
  const st = t.stats();
  return { conns, held: st.heldPacked, early: st.heldUnpackedEarly, arena: st.heldArenaBytes, ...finish(t) };
}

describe('held connections: the fixture captures', () => {
  const root = fileURLToPath(new URL('../../../test/fixtures', import.meta.url));
  it('give the same connections with every delayed connection packed', async () => {
    const files = fixtureCaptures(root);
    assert.ok(files.length > 10);
    let held = 0;
    for (const f of files) {
      const off = await trackFile(f, OFF);
      const forced = await trackFile(f, FORCED);
      assert.deepEqual(forced.conns, off.conns, f);
      held += forced.held;
    }
    assert.ok(held > 50, `held ${held}`);
  });
});

describe('held connections: the codec', () => {
  /** A random value of the column's type, often a "special" one. */
  function randomValue(r: () => number, a: ArrayLike<number>): number {
    const u = r();
    if (a instanceof Float64Array) {
      if (u < 0.1) return Number.NaN;
      if (u < 0.15) return Number.POSITIVE_INFINITY;
      if (u < 0.2) return -0;
      if (u < 0.3) return Math.floor(r() * 1e12);
      if (u < 0.6) return 1.7e9 + r() * 10;
      if (u < 0.7) return -r() * 1e300;
      return (r() - 0.5) * 2 ** Math.floor(r() * 200 - 100);
    }
    if (a instanceof Float32Array) return Math.fround(u < 0.3 ? Math.floor(r() * 1000) : r() * 1e6 - 5e5);
    if (a instanceof Int32Array) return Math.floor(r() * 2 ** 32) - 2 ** 31;
    if (a instanceof Uint32Array) return Math.floor(r() * 2 ** 32);
    if (a instanceof Uint16Array) return Math.floor(r() * 2 ** 16);
    return Math.floor(r() * 256);
  }

  it('every column of a row is in the layout, held elsewhere, or kept with its slot', () => {
    const t = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => {} });
    const names = new Set(heldRowLayout(t.state).names.map((n) => n.replace(/\[\d+\]$/, '')));
    for (const { name, shape } of columnsOf(t.state)) {
      assert.ok(shape.keep || ROW_ELSEWHERE.has(name) || names.has(name), `column ${name} is carried by no part of a held connection`);
    }
    const snapNames = new Set(heldSnapshotLayout(t.state).names.map((n) => n.replace(/\[\d+\]$/, '')));
    for (const { name } of columnsOf(t.state.rstCtx)) assert.ok(snapNames.has(name), `snapshot column ${name}`);
  });

  it('a raw -0 written against a template holding a raw 0 comes back as -0', () => {
    // Times are kept raw (not as a distance) when the row's last time is not finite: the first
    // connection, all of whose columns differ from the empty template, becomes the template with
    // a raw 0 in synTs; the second differs from it only by a raw -0 there, which must be written.
    const r = mulberry32(5);
    const t = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => {} });
    const s = t.state;
    for (const { name, array, shape } of columnsOf(s)) {
      if (shape.keep || ROW_ELSEWHERE.has(name)) continue;
      for (let i = 0; i < shape.per; i++) array[3 * shape.per + i] = Math.floor(r() * 200) + 1;
    }
    s.cFlags[3] = ((s.cFlags[3] ?? 0) | F_USED) >>> 0;
    s.lastTs[3] = Number.NaN;
    s.deleteAt[3] = 1.7e9;
    s.sched[3] = 1.7e9;
    s.ringHead[3] = s.ringTail[3] = s.dirHead[6] = s.dirTail[6] = s.dirHead[7] = s.dirTail[7] = s.rstHead[3] = s.rstTail[3] = -1;
    for (const { name, array, shape } of columnsOf(s)) {
      if (shape.keep || name === 'cNumber') continue;
      for (let i = 0; i < shape.per; i++) array[4 * shape.per + i] = array[3 * shape.per + i] ?? 0;
    }
    s.cNumber[3] = 1;
    s.cNumber[4] = 2;
    s.synTs[3] = 0;
    s.synTs[4] = -0;
    const first = s.held.tail;
    hold(s, 3);
    hold(s, 4);
    unhold(s, first, false);
    const slot = unhold(s, first + 1, false);
    assert.ok(Object.is(s.synTs[slot], -0), `synTs ${s.synTs[slot]}`);
    assert.ok(Number.isNaN(s.lastTs[slot] ?? 0));
  });

  for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
    it(`random rows, records and snapshots come back exactly, seed ${seed}`, () => {
      const r = mulberry32(seed);
      const t = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => {} });
      const s = t.state;
      const slots = [3, 7, 1, 900];
      const expected: Map<string, number[]>[] = [];
      const ids: number[] = [];
      const deadline = 1.7e9 + 5;
      for (const slot of slots) {
        for (const { name, array, shape } of columnsOf(s)) {
          if (shape.keep || ROW_ELSEWHERE.has(name)) continue;
          for (let i = 0; i < shape.per; i++) array[slot * shape.per + i] = randomValue(r, array);
        }
        s.cFlags[slot] = ((s.cFlags[slot] ?? 0) | F_USED) >>> 0;
        s.kHash[slot] = Math.floor(r() * 2 ** 31);
        s.kA[slot] = Math.floor(r() * 2 ** 32);
        s.kB[slot] = Math.floor(r() * 2 ** 32);
        s.kPorts[slot] = Math.floor(r() * 2 ** 32);
        s.cNumber[slot] = 1 + Math.floor(r() * 2 ** 31);
        s.deleteAt[slot] = deadline;
        // Records: chains of random length with random words.
        const chain = (pool: typeof s.ring, n: number, snaps: boolean): [number, number] => {
          let head = -1;
          let tail = -1;
          for (let k = 0; k < n; k++) {
            const rr = allocRecord(pool);
            if (snaps) {
              fitSnapshots(s.rstCtx, pool);
              for (const { array, shape } of columnsOf(s.rstCtx)) for (let i = 0; i < shape.per; i++) array[rr * shape.per + i] = randomValue(r, array);
            }
            pool.ts[rr] = randomValue(r, pool.ts);
            for (let w = 0; w < 7; w++) pool.d[rr * 8 + w] = randomValue(r, pool.d);
            pool.d[rr * 8 + 7] = -1;
            if (tail < 0) head = rr;
            else linkAfter(pool, tail, rr);
            tail = rr;
          }
          return [head, tail];
        };
        [s.ringHead[slot], s.ringTail[slot]] = chain(s.ring, Math.floor(r() * 5), false).map((x) => x) as [number, number];
        const d0 = chain(s.ring, Math.floor(r() * 4), false);
        s.dirHead[slot * 2] = d0[0];
        s.dirTail[slot * 2] = d0[1];
        const d1 = chain(s.ring, Math.floor(r() * 4), false);
        s.dirHead[slot * 2 + 1] = d1[0];
        s.dirTail[slot * 2 + 1] = d1[1];
        const rs = chain(s.rst, Math.floor(r() * 4), true);
        s.rstHead[slot] = rs[0];
        s.rstTail[slot] = rs[1];
        expected.push(snapshotOf(s, slot));
        ids.push(s.held.tail);
        hold(s, slot);
      }
      for (let k = 0; k < ids.length; k++) {
        const slot = unhold(s, ids[k] ?? 0, false);
        assert.deepEqual(snapshotOf(s, slot), expected[k]);
      }
    });
  }
});

/** Everything of a slot's connection a held form must give back: columns (not `keep`), records, snapshots. */
function snapshotOf(s: Tracker['state'], slot: number): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const pointers = new Set(['ringHead', 'ringTail', 'dirHead', 'dirTail', 'rstHead', 'rstTail']);
  for (const { name, array, shape } of columnsOf(s)) {
    if (shape.keep || pointers.has(name)) continue;
    m.set(name, Array.from(array.subarray(slot * shape.per, (slot + 1) * shape.per)).map((v) => (Object.is(v, -0) ? -0 : v)));
  }
  const recs = (pool: typeof s.ring, head: number, snaps: boolean): number[] => {
    const out: number[] = [];
    for (let i = head; i >= 0; i = pool.d[i * 8 + 7] ?? -1) {
      out.push(pool.ts[i] ?? 0, ...Array.from(pool.d.subarray(i * 8, i * 8 + 7)));
      if (snaps) for (const { array, shape } of columnsOf(s.rstCtx)) out.push(...Array.from(array.subarray(i * shape.per, (i + 1) * shape.per)));
    }
    return out;
  };
  m.set('ring', recs(s.ring, s.ringHead[slot] ?? -1, false));
  m.set('dir0', recs(s.ring, s.dirHead[slot * 2] ?? -1, false));
  m.set('dir1', recs(s.ring, s.dirHead[slot * 2 + 1] ?? -1, false));
  m.set('rst', recs(s.rst, s.rstHead[slot] ?? -1, true));
  return m;
}
