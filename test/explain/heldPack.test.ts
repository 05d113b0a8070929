/**
 * A connection waiting for a host's hop distance is held packed (src/explain/heldPack.ts) and built
 * again when released: the connection built again must equal the tracker's, field order included,
 * or the findings of a held connection would differ from those of one explained at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HELD_PACKETS, ROW_NUMS, ROW_REFS, clearRefs, packConnection, packable, unpackConnection } from '../../src/explain/heldPack.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../../src/track/finished.js';
import { keyPaths } from '../helpers/keyPaths.js';
import { labConnections } from '../helpers/labConnections.js';

/** Copies of a lab connection in shapes the lab's captures lack: wider TTL baselines, a second RST, large counts, every packet count. */
function variantsOf(conn: FinishedConnection): FinishedConnection[] {
  const out: FinishedConnection[] = [];
  // TTL baselines of one to four values on one side, four to one on the other.
  for (let n = 1; n <= 4; n++) {
    const wide = structuredClone(conn);
    for (const [side, k] of [
      ['orig', n],
      ['resp', 5 - n],
    ] as const) {
      const values = Array.from({ length: k }, (_, i) => ({ ttl: 60 - i, count: i + 1 }));
      wide[side].ttl = { values, otherCount: k === 4 ? 2 : 0, mostCommon: 60, initial: 64, hops: 4 };
    }
    out.push(wide);
  }
  if (conn.resets.length === 1) {
    const two = structuredClone(conn);
    const first = two.resets[0] as RstRecord;
    const second: RstRecord = structuredClone(first);
    second.frame = first.frame + 1;
    second.ts = first.ts + 0.25;
    second.direction = first.direction === 'orig' ? 'resp' : 'orig';
    second.index = first.index + 1;
    second.context.pktsBefore = { orig: 9, resp: 12 };
    second.context.consecutiveRetransmissions = { orig: 10, resp: 0 };
    second.context.nextSeq = { orig: null, resp: 5 };
    second.context.acked = { orig: 2 ** 31 + 5, resp: null };
    two.resets.push(second);
    out.push(two);
  }
  // An id that is not the tracker's numbered one is kept as it is.
  const named = structuredClone(conn);
  named.id = `${conn.id}x`;
  out.push(named);
  const packets = conn.packets;
  if (packets.length > 0) {
    const four = structuredClone(conn);
    while (four.packets.length < MAX_HELD_PACKETS) four.packets.push({ ...(packets[packets.length - 1] as PacketRecord), frame: 1000 + four.packets.length });
    out.push(four);
    const none = structuredClone(conn);
    none.packets = [];
    out.push(none);
  }
  return out;
}

describe('held connections packed into rows', () => {
  it('every packable connection of the lab captures comes back as the tracker made it, field order included', async () => {
    const conns = await labConnections();
    const held = conns.filter(packable);
    // Not vacuous: refused SYNs (what a flood is made of) and connections with data and RSTs both fit.
    assert.ok(held.some((c) => c.resets.length === 1 && c.packets.length === 2 && c.resp.ttl === null));
    assert.ok(held.some((c) => c.resets.length > 0 && c.orig.ttl !== null && c.resp.ttl !== null));
    const rows = 4;
    const nums = new Float64Array(rows * ROW_NUMS);
    const refs: unknown[] = new Array(rows * ROW_REFS).fill(null);
    held.forEach((conn, i) => {
      const row = i % rows;
      packConnection(conn, nums, refs, row);
      const back = unpackConnection(nums, refs, row);
      assert.deepStrictEqual(back, conn, conn.id);
      assert.deepStrictEqual(keyPaths(back), keyPaths(conn), conn.id);
      clearRefs(refs, row);
    });
    assert.ok(refs.every((r) => r === null), 'a cleared row keeps nothing alive');
  });

  it('written into the spare graph, every packable lab connection reads as the tracker made it, in any order, and nothing is built anew', async () => {
    const lab = (await labConnections()).filter(packable);
    // The lab's connections and variants of them in shapes the lab lacks, one after the other.
    const held = lab.flatMap((c) => [c, ...variantsOf(c)]).filter(packable);
    // Not vacuous: the sequence changes shape from one connection to the next (TTL baselines that
    // come and go and hold one to four values, lists of every length a row holds, pairs shared and not).
    for (const side of ['orig', 'resp'] as const) {
      for (let n = 1; n <= 4; n++) assert.ok(held.some((c) => c[side].ttl?.values.length === n), `${side} TTL of ${n} values`);
      assert.ok(held.some((c) => c[side].ttl === null));
    }
    for (let n = 0; n <= MAX_HELD_PACKETS; n++) assert.ok(held.some((c) => c.packets.length === n), `${n} packets`);
    for (let n = 0; n <= 2; n++) assert.ok(held.some((c) => c.resets.length === n), `${n} resets`);
    assert.ok(held.some((c) => c.resets.some((r) => r.context.nextSeq.orig !== null)) && held.some((c) => c.resets.some((r) => r.context.nextSeq.orig === null)));
    assert.ok(held.some((c) => c.resets.some((r) => r.context.pktsBefore.orig >= 8)), 'a count pair of its own (countPair shares only small ones)');
    const rows = 3;
    const nums = new Float64Array(rows * ROW_NUMS);
    const refs: unknown[] = new Array(rows * ROW_REFS).fill(null);
    let spare: FinishedConnection | null = null;
    // Forwards, then backwards: each connection is written over a different predecessor.
    for (const order of [held, [...held].reverse()]) {
      order.forEach((conn, i) => {
        const row = i % rows;
        packConnection(conn, nums, refs, row);
        const back = unpackConnection(nums, refs, row, true);
        spare ??= back;
        assert.equal(back, spare, 'one graph, rewritten');
        assert.deepStrictEqual(back, conn, conn.id);
        assert.deepStrictEqual(keyPaths(back), keyPaths(conn), conn.id);
        clearRefs(refs, row);
      });
    }
  });

  it("a row keeps no reference to the tracker's numbered id, and writes the same id again", async () => {
    const { connIdOf } = await import('../../src/track/finish.js');
    const { isNumberedId, numberedId } = await import('../../src/explain/heldPack.js');
    for (const capture of [0, 1, 7, 12]) {
      for (const number of [1, 9, 10, 99, 12345, 2 ** 31 + 3]) {
        const id = connIdOf({ captureIndex: capture } as Parameters<typeof connIdOf>[0], number);
        assert.equal(numberedId(capture, number), id);
        assert.ok(isNumberedId(id, capture, number), id);
        // Not the id of another connection or capture, nor a near miss.
        assert.equal(isNumberedId(id, capture, number + 1), false);
        assert.equal(isNumberedId(id, capture + 1, number), false);
        const nearMisses = [`${id}0`, `${id}x`, `c${id.slice(1)}`, id.replace('C', 'C0'), capture > 0 ? id.replace('-', '--') : `C-${number}`];
        for (const near of nearMisses) assert.equal(isNumberedId(near, capture, number), false, near);
      }
    }
    const conn = (await labConnections()).filter(packable)[0] as FinishedConnection;
    const nums = new Float64Array(ROW_NUMS);
    const refs: unknown[] = new Array(ROW_REFS).fill(null);
    packConnection(conn, nums, refs, 0);
    assert.ok(!refs.includes(conn.id), 'the id is not referenced');
    assert.equal(unpackConnection(nums, refs, 0).id, conn.id);
    assert.equal(unpackConnection(nums, refs, 0, true).id, conn.id);
  });

  it('a connection with more packets than a row holds is not packable', async () => {
    const conns = await labConnections();
    const big = conns.find((c) => c.packets.length > MAX_HELD_PACKETS);
    assert.ok(big, 'a lab connection keeps more packets than a row holds');
    assert.equal(packable(big), false);
  });
});
