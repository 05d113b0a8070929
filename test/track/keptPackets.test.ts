/**
 * A connection explain has no RST to explain for is finished without its packets built as
 * objects (TrackerOptions.packetsFor `resets`, what `analyze` asks for): the values explain reads
 * of them instead (first/last frame, first flags, forwarded pairs per side) must equal what the
 * built packets say, and a connection with a RST still gets its packets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardingCounts, isForwardedTwin } from '../../src/explain/context.js';
import type { FinishedConnection, PacketRecord } from '../../src/track/finished.js';
import { type TestPacket, c2s, run, s2c } from './packets.js';

/** forwardingCounts as it was computed from the built packets (before the tracker counted it). */
function countsFromPackets(conn: FinishedConnection, side: 'orig' | 'resp'): { pairs: number; singles: number } {
  const packets = conn.packets;
  let singles = 0;
  let pairs = 0;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i] as PacketRecord;
    if (p.direction !== side || (p.flags & 4) !== 0) continue;
    const next = packets[i + 1];
    const prev = packets[i - 1];
    if (next !== undefined && isForwardedTwin(p, next)) pairs++;
    else if (prev !== undefined && isForwardedTwin(prev, p)) continue;
    else singles++;
  }
  return { pairs, singles };
}

/** A client whose every packet a router's `-i any` capture shows twice (one TTL lower), and a server seen once. */
function forwardedConnection(withRst: boolean): TestPacket[] {
  const twice = (p: TestPacket): TestPacket[] => [c2s(p), c2s({ ...p, ts: p.ts + 0.00001, ttl: (p.ttl ?? 64) - 1 })];
  const out: TestPacket[] = [
    ...twice({ ts: 0, flags: 'S', seq: 100, ttl: 64, ipId: 7 }),
    s2c({ ts: 0.01, flags: 'SA', seq: 900, ack: 101, ttl: 60, ipId: 0 }),
    ...twice({ ts: 0.02, flags: 'A', seq: 101, ack: 901, ttl: 64, ipId: 8 }),
  ];
  for (let i = 0; i < 12; i++) {
    out.push(...twice({ ts: 0.1 + i * 0.01, flags: 'PA', seq: 101 + i * 10, ack: 901, len: 10, ttl: 64, ipId: 9 + i }));
    out.push(s2c({ ts: 0.105 + i * 0.01, flags: 'A', seq: 901, ack: 111 + i * 10, ttl: 60, ipId: 0 }));
  }
  out.push(withRst ? s2c({ ts: 1, flags: 'R', seq: 901, ttl: 60 }) : c2s({ ts: 1, flags: 'FA', seq: 221, ack: 901, ttl: 64, ipId: 40 }));
  return out;
}

describe('packetsFor: resets', () => {
  for (const withRst of [false, true]) {
    it(`${withRst ? 'a connection with a RST' : 'a connection without one'}: the kept values equal the built packets'`, () => {
      const all = run(forwardedConnection(withRst), { packetsFor: 'all' })[0] as FinishedConnection;
      const lean = run(forwardedConnection(withRst), { packetsFor: 'resets' })[0] as FinishedConnection;
      assert.ok(all.packets.length > 4 && all.packets.length < 40, 'the ring kept a head and a tail');
      assert.ok(all.packetsNotKept > 0, 'some packets were not kept');
      assert.equal(lean.packets.length, withRst ? all.packets.length : 0);
      // Test frames count on across runs: the second run's are the first's plus its length.
      const shift = forwardedConnection(withRst).length;
      for (const [c, frames] of [
        [all, 0],
        [lean, shift],
      ] as const) {
        assert.equal(c.keptPackets, all.packets.length);
        assert.equal(c.keptFirstFrame, (all.packets[0] as PacketRecord).frame + frames);
        assert.equal(c.keptLastFrame, (all.packets[all.packets.length - 1] as PacketRecord).frame + frames);
        assert.equal(c.keptFirstFlags, (all.packets[0] as PacketRecord).flags);
        assert.equal(c.packetsNotKept, all.packetsNotKept);
        for (const side of ['orig', 'resp'] as const) assert.deepEqual(forwardingCounts(c, side), countsFromPackets(all, side));
      }
      // The client's kept packets came in pairs (but for a pinned head packet whose twin was
      // evicted), the server's once each: what learnForwarding tells apart.
      assert.ok(forwardingCounts(lean, 'orig').pairs >= 2);
      assert.ok(forwardingCounts(lean, 'resp').singles >= 2 && forwardingCounts(lean, 'resp').pairs === 0);
    });
  }

  it('nothing kept: zero frames, no pairs', () => {
    const c = run([c2s({ ts: 0, flags: 'S', seq: 1 })], { packetsFor: 'resets', maxRingRecords: 0 })[0] as FinishedConnection;
    assert.equal(c.keptPackets, 0);
    assert.equal(c.keptFirstFrame, 0);
    assert.deepEqual(forwardingCounts(c, 'orig'), { pairs: 0, singles: 0 });
    assert.equal(c.packetsNotKept, 1);
  });
});
