/**
 * Issue 13, item 3: memory flat in the number of connections. What explain and the text report
 * remember across connections is bounded in entries (CONTEXT_LIMIT, PARENTS_REMEMBERED), and
 * each entry must be small too: a flood of a million SYN → RST/ACK connections fills every bound.
 * These tests count the heap a flood's connections leave behind (after a full GC), per
 * connection: a text key, an object and a hint string kept per connection (the Maps these
 * structures were) cost three times the bound asserted here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ExplainContext } from '../../src/explain/context.js';
import type { Reset } from '../../src/model/report.js';
import { FINAL_IDS_KEPT, FinalIds } from '../../src/pipeline/resetOrder.js';
import { ResetGroups, ResetIdRing } from '../../src/report/groups.js';
import type { FinishedConnection } from '../../src/track/finished.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes still used after `fill` (which must keep what it builds reachable from `keep`). */
function retainedBytes(fill: () => unknown): { bytes: number; keep: unknown } {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = fill();
  gc();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, keep };
}

const SERVER = '198.51.100.10';
/** A flood's clients: a few addresses (the tracker hands out one string per host), many ports. */
const CLIENTS = Array.from({ length: 20 }, (_, i) => `10.0.${i}.1`);

/** The i-th connection of a flood: a SYN from a client answered by a RST/ACK from the server. */
function floodConnection(i: number): FinishedConnection {
  const ts = 1_709_283_600 + i / 8000;
  return {
    capture: 0,
    origAddr: CLIENTS[i % CLIENTS.length],
    origPort: 1024 + (i % 60_000),
    respAddr: SERVER,
    respPort: 443,
    startTs: ts,
    lastPacketTs: ts + 0.0001,
    orig: { ttl: null, finCount: 0, size: 0 },
    resp: { ttl: null, finCount: 0, size: 0 },
    handshake: { synTs: ts, synAckTs: null, ackTs: null },
    packets: [{ flags: 0x02, direction: 'orig', frame: 2 * i + 1, ts }],
    resets: [{ ts: ts + 0.0001, direction: 'resp', frame: 2 * i + 2 }],
  } as unknown as FinishedConnection;
}

/** Its explained reset, with a hint built for it as explain builds one per reset. */
function floodReset(i: number, id: string): Reset {
  const conn = floodConnection(i);
  return {
    id,
    capture: 0,
    frame: 2 * i + 2,
    ts: conn.lastPacketTs,
    conn: `C${i}`,
    src: SERVER,
    sport: 443,
    dst: conn.origAddr,
    dport: conn.origPort,
    from: 'resp',
    cause: 'port_closed',
    verdict: 'genuine',
    evidence: [],
    hint: `Nothing listens on ${SERVER}:${conn.respPort}: check the service and \`ss -ltn\` on ${SERVER}.`,
    signature: null,
  } as unknown as Reset;
}

describe('flood memory (issue 13)', () => {
  it('the explain context keeps under 200 bytes per flood connection it remembers', () => {
    const n = 60_000;
    const { bytes, keep } = retainedBytes(() => {
      const ctx = new ExplainContext();
      for (let i = 0; i < n; i++) ctx.learnFrom(floodConnection(i), [floodReset(i, `P${i + 1}`)]);
      return ctx;
    });
    const ctx = keep as ExplainContext;
    assert.equal(ctx.lastReset.size, n, 'every tuple is remembered (below the bound)');
    const perConnection = bytes / n;
    assert.ok(perConnection < 200, `${perConnection.toFixed(0)} bytes per connection`);
    // What it keeps is still the reset, found from either orientation of the tuple.
    const c = floodConnection(123);
    const last = ctx.lastReset.get({ origAddr: c.respAddr, origPort: c.respPort, respAddr: c.origAddr, respPort: c.origPort });
    assert.deepEqual(last, { id: 'P124', capture: 0, frame: 248, ts: c.lastPacketTs, hint: floodReset(123, 'x').hint });
  });

  it('the text groups keep under 40 bytes per reset of a flood', () => {
    const n = 100_000;
    const { bytes, keep } = retainedBytes(() => {
      const groups = new ResetGroups(false);
      for (let i = 0; i < n; i++) groups.add(floodReset(i, `R${i + 1}`));
      return groups;
    });
    const groups = keep as ResetGroups;
    assert.equal(groups.size, 1);
    assert.equal(groups.sorted()[0]?.count, n);
    const perReset = bytes / n;
    assert.ok(perReset < 40, `${perReset.toFixed(0)} bytes per reset`);
  });

  it('final ids are found for the most recent resets and forgotten past the ring', () => {
    const ids = new FinalIds();
    for (let n = 1; n <= FINAL_IDS_KEPT + 10; n++) ids.set(`P${n}`, n + 7);
    assert.equal(ids.get(`P${FINAL_IDS_KEPT + 10}`), `R${FINAL_IDS_KEPT + 17}`);
    assert.equal(ids.get('P11'), 'R18');
    assert.equal(ids.get('P10'), undefined, 'overwritten by a reset FINAL_IDS_KEPT later');
    assert.equal(ids.get(`P${FINAL_IDS_KEPT + 11}`), undefined, 'never released');
    ids.set('P1.0', 3);
    assert.equal(ids.get('P1.0'), 'R3', 'an id of another form is kept too');
  });

  it('a reset id ring finds recent ids only', () => {
    const ring = new ResetIdRing<string>(8);
    for (let n = 1; n <= 20; n++) ring.set(`R${n}`, `g${n}`);
    assert.equal(ring.get('R20'), 'g20');
    assert.equal(ring.get('R13'), 'g13');
    assert.equal(ring.get('R12'), undefined);
    assert.equal(ring.get('R21'), undefined);
    ring.set('X1', 'other');
    assert.equal(ring.get('X1'), 'other');
    assert.equal(ring.get('R0'), undefined);
  });
});
