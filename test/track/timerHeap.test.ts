/**
 * The timer heap (track/timerHeap.ts): one entry per slot, updated in place, popped in order of
 * (time, connection number); and the tracker keeps only live connections' entries in it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureRecord } from '../../src/capture/record.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { TimerHeap, heapClear, heapPop, heapRemove, heapSet } from '../../src/track/timerHeap.js';
import { Tracker } from '../../src/track/tracker.js';
import { xorshift32 } from '../helpers/random.js';
import { fill, run } from './packets.js';

const SLOTS = 64;

/** The reference: the slots with an entry, earliest (time, number) first. */
function expectedOrder(times: Float64Array, nums: Uint32Array, present: Set<number>): number[] {
  return [...present].sort((a, b) => (times[a] ?? 0) - (times[b] ?? 0) || (nums[a] ?? 0) - (nums[b] ?? 0));
}

describe('timer heap', () => {
  it('pops by time, then connection number, after random sets, moves and removals', () => {
    const rnd = xorshift32(13);
    for (let round = 0; round < 200; round++) {
      const h = new TimerHeap();
      const pos = new Int32Array(SLOTS).fill(-1);
      const times = new Float64Array(SLOTS);
      const nums = new Uint32Array(SLOTS);
      const present = new Set<number>();
      for (let op = 0; op < 300; op++) {
        const slot = Math.floor(rnd() * SLOTS);
        if (rnd() < 0.2) {
          heapRemove(h, pos, slot);
          present.delete(slot);
        } else {
          // Few distinct times, so that ties (broken by the number) are common.
          times[slot] = Math.floor(rnd() * 8);
          nums[slot] = present.has(slot) ? (nums[slot] ?? 0) : Math.floor(rnd() * 5);
          heapSet(h, pos, times, slot, nums[slot] ?? 0);
          present.add(slot);
        }
        assert.equal(h.size, present.size);
        for (const s of present) assert.equal(h.slot[pos[s] ?? -1], s, `slot ${s} where its position says`);
      }
      const want = expectedOrder(times, nums, present);
      const got: number[] = [];
      while (h.size > 0) {
        const s = h.slot[0] ?? -1;
        got.push(s);
        heapPop(h, pos);
        assert.equal(pos[s], -1);
      }
      // Equal (time, number) pairs may come in either order: compare the keys.
      assert.deepEqual(
        got.map((s) => [times[s], nums[s]]),
        want.map((s) => [times[s], nums[s]]),
      );
    }
  });

  it('empties with every position back to -1', () => {
    const h = new TimerHeap();
    const pos = new Int32Array(8).fill(-1);
    const times = Float64Array.of(5, 3, 9, 1, 7, 2, 8, 4);
    for (let s = 0; s < 8; s++) heapSet(h, pos, times, s, s);
    heapClear(h, pos);
    assert.equal(h.size, 0);
    assert.deepEqual([...pos], [-1, -1, -1, -1, -1, -1, -1, -1]);
  });

  it('holds one entry per live connection of a SYN -> RST/ACK flood, each popped once', () => {
    const t = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => {} });
    const s = t.state;
    const rec = new CaptureRecord();
    const pkt = new DecodedPacket();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      // 1,000 connections a second, each closed 5 s (tcp_close_delay) after its RST: ~5,000 live at most.
      const ts = i / 1000;
      const src = `10.0.${(i >>> 8) & 255}.${i & 255}`;
      fill(rec, pkt, { ts, src, sport: 1024 + (i % 60000), dst: '192.0.2.1', dport: 443, flags: 'S', seq: i });
      t.trackPacket(rec, pkt);
      fill(rec, pkt, { ts: ts + 0.0001, src: '192.0.2.1', sport: 443, dst: src, dport: 1024 + (i % 60000), flags: 'RA', ack: i + 1 });
      t.trackPacket(rec, pkt);
      assert.equal(s.heap.size, s.liveCount, `entries after connection ${i}`);
      assert.ok(s.heap.size <= s.liveCount);
    }
    // The close deadlines of the first connections: each pops its one entry and finishes.
    fill(rec, pkt, { ts: 5.5, src: '10.9.9.9', sport: 1, dst: '192.0.2.1', dport: 443, flags: 'S', seq: 1 });
    t.trackPacket(rec, pkt);
    assert.equal(s.heap.size, s.liveCount);
    assert.equal(s.finishedCount, 500);
    let closing = 0;
    for (let i = 0; i < s.heap.size; i++) {
      const slot = s.heap.slot[i] ?? 0;
      assert.equal(s.heapPos[slot], i);
      assert.equal(s.sched[slot], s.heap.time[i]);
      // The RST/ACK moved the entry to the close deadline (the SYN's attempt deadline is gone, not
      // left to come due); the last SYN alone waits for its attempt deadline.
      if (s.deleteAt[slot] === Number.POSITIVE_INFINITY) assert.equal(s.heap.time[i], s.attemptAt[slot]);
      else {
        assert.equal(s.heap.time[i], s.deleteAt[slot]);
        closing++;
      }
    }
    assert.equal(closing, s.liveCount - 1);
  });

  it('finishes connections due at one packet in the order of their deadlines, as Zeek fires its timers', () => {
    // C1's SYN comes first but its RST last: its close deadline (5.9) is after C2's (5.6). Zeek
    // cancels the attempt timer at the RST (TCPSessionAdapter CancelTimers) and fires the two
    // ConnDeleteTimers in time order (PQ_TimerMgr::DoAdvance); the lazily invalidated heap ran
    // C1's close when its stale attempt entry (5.0) came up, ahead of C2's.
    const conns = run([
      { ts: 0, src: '10.0.0.1', sport: 1001, dst: '10.0.0.2', dport: 443, flags: 'S', seq: 1 },
      { ts: 0.5, src: '10.0.0.1', sport: 1002, dst: '10.0.0.2', dport: 443, flags: 'S', seq: 1 },
      { ts: 0.6, src: '10.0.0.2', sport: 443, dst: '10.0.0.1', dport: 1002, flags: 'RA', ack: 2 },
      { ts: 0.9, src: '10.0.0.2', sport: 443, dst: '10.0.0.1', dport: 1001, flags: 'RA', ack: 2 },
      { ts: 6, src: '10.0.0.3', sport: 1, dst: '10.0.0.2', dport: 443, flags: 'S', seq: 1 },
    ]);
    assert.deepEqual(
      conns.map((c) => [c.origPort, c.endReason]),
      [
        [1002, 'closed'],
        [1001, 'closed'],
        [1, 'end_of_capture'],
      ],
    );
  });
});

describe('timer heap arity', () => {
  it("is a 4-ary heap: every entry comes no earlier than the one at (i - 1) >> 2, after sets, moves, removals and pops", () => {
    const rnd = xorshift32(29);
    const h = new TimerHeap();
    const n = 500;
    const pos = new Int32Array(n).fill(-1);
    const times = new Float64Array(n);
    const check = (): void => {
      for (let i = 1; i < h.size; i++) {
        const p = (i - 1) >> 2;
        const [tp, np, ti, ni] = [h.time[p] ?? 0, h.num[p] ?? 0, h.time[i] ?? 0, h.num[i] ?? 0];
        assert.ok(tp < ti || (tp === ti && np <= ni), `entry ${i} before its parent ${p}`);
      }
    };
    for (let slot = 0; slot < n; slot++) {
      times[slot] = Math.floor(rnd() * 1000);
      heapSet(h, pos, times, slot, slot);
    }
    check();
    for (let k = 0; k < 200; k++) {
      const slot = Math.floor(rnd() * n);
      if (rnd() < 0.3) heapRemove(h, pos, slot);
      else {
        times[slot] = Math.floor(rnd() * 1000);
        heapSet(h, pos, times, slot, slot);
      }
      if (k % 3 === 0) heapPop(h, pos);
      check();
    }
  });
});
