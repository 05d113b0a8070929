/**
 * What a finished connection shares with others instead of building anew (track/history.ts's
 * history text cache, track/baselines.ts's single-TTL baselines): always equal to what building
 * it gives, and the same object for equal values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ttlBaseline } from '../../src/track/baselines.js';
import { addHistory, historyOf } from '../../src/track/history.js';
import { HIST_INLINE, TrackState } from '../../src/track/state.js';
import { xorshift32 } from '../helpers/random.js';
import { run } from './packets.js';

/** A fresh tracker state (no packet seen). */
function state(): TrackState {
  return new TrackState({ captureIndex: 0 }, { onConnectionDone: () => {} });
}

/** Clears slot `slot`'s history (as newConn's row clear does). */
function clearHistory(s: TrackState, slot: number): void {
  s.hist.fill(0, slot * (HIST_INLINE + 1), (slot + 1) * (HIST_INLINE + 1));
  s.histSpill.delete(slot);
}

const LETTERS = 'ShADadFfRrTtWwIiQqCcGg^';

describe('history text', () => {
  it('equals the letters appended, whatever the length, for random histories', () => {
    const rnd = xorshift32(29);
    const s = state();
    for (let round = 0; round < 5000; round++) {
      const slot = Math.floor(rnd() * 8);
      clearHistory(s, slot);
      // Mostly short (cached) histories from a small alphabet, so that keys collide in the cache.
      const len = 1 + Math.floor(rnd() * (rnd() < 0.8 ? 7 : 20));
      let want = '';
      for (let i = 0; i < len; i++) {
        const ch = LETTERS[Math.floor(rnd() * (rnd() < 0.5 ? 4 : LETTERS.length))] as string;
        want += ch;
        addHistory(s, slot, ch.charCodeAt(0));
      }
      assert.equal(historyOf(s, slot), want, `round ${round}`);
    }
  });

  it('is one string for every connection with the same short history', () => {
    const s = state();
    for (const slot of [3, 4]) {
      clearHistory(s, slot);
      for (const ch of 'ShADadFf') addHistory(s, slot, ch.charCodeAt(0));
    }
    for (const slot of [5, 6]) {
      clearHistory(s, slot);
      for (const ch of 'Sr') addHistory(s, slot, ch.charCodeAt(0));
    }
    // Identity is not observable with ===: a flat string that was built twice compares equal too.
    // Equal texts either way; the cache is checked through the slot of a later, longer history.
    assert.equal(historyOf(s, 5), 'Sr');
    assert.equal(historyOf(s, 6), 'Sr');
    assert.equal(historyOf(s, 3), 'ShADadFf');
    assert.equal(historyOf(s, 4), 'ShADadFf');
    addHistory(s, 6, 'T'.charCodeAt(0));
    assert.equal(historyOf(s, 6), 'SrT');
    assert.equal(historyOf(s, 5), 'Sr');
  });
});

describe('TTL baseline', () => {
  /** Sets endpoint `e`'s TTL counts: values and counts (up to four), and the count of others. */
  function setTtls(s: TrackState, e: number, pairs: [number, number][], other = 0): void {
    let packed = 0;
    for (let i = 0; i < 4; i++) {
      const [ttl, count] = pairs[i] ?? [0, 0];
      packed |= (ttl & 255) << (i * 8);
      s.eTtlCnt[e * 4 + i] = count;
    }
    s.eTtlVals[e] = packed >>> 0;
    s.eTtlOther[e] = other;
  }

  it('is shared (frozen) for one TTL seen a few times, and equal to a built one', () => {
    const s = state();
    setTtls(s, 0, [[52, 1]]);
    setTtls(s, 3, [[52, 1]]);
    const a = ttlBaseline(s, 0);
    const b = ttlBaseline(s, 3);
    assert.equal(a, b);
    assert.ok(a !== null && Object.isFrozen(a) && Object.isFrozen(a.values) && Object.isFrozen(a.values[0]));
    assert.deepEqual(a, { values: [{ ttl: 52, count: 1 }], otherCount: 0, mostCommon: 52, initial: 64, hops: 12 });
  });

  it('is built for many packets, several TTLs or others, with the most common TTL first met winning', () => {
    const s = state();
    setTtls(s, 0, [[64, 40]]);
    assert.deepEqual(ttlBaseline(s, 0), { values: [{ ttl: 64, count: 40 }], otherCount: 0, mostCommon: 64, initial: 64, hops: 0 });
    assert.ok(!Object.isFrozen(ttlBaseline(s, 0)));
    setTtls(s, 1, [[52, 1]], 3);
    assert.deepEqual(ttlBaseline(s, 1), { values: [{ ttl: 52, count: 1 }], otherCount: 3, mostCommon: 52, initial: 64, hops: 12 });
    setTtls(s, 2, [
      [0, 0],
      [120, 2],
      [0, 0],
      [250, 2],
    ]);
    assert.deepEqual(ttlBaseline(s, 2), {
      values: [
        { ttl: 120, count: 2 },
        { ttl: 250, count: 2 },
      ],
      otherCount: 0,
      mostCommon: 120,
      initial: 128,
      hops: 8,
    });
    setTtls(s, 4, []);
    assert.equal(ttlBaseline(s, 4), null);
  });
});

describe('RST context windows', () => {
  it('share one frozen pair between RSTs that saw the same windows, and differ where the windows do', () => {
    const refused = (port: number, win: number) => [
      { ts: port, src: '10.0.0.1', sport: port, dst: '10.0.0.2', dport: 443, flags: 'S', seq: 1000 + port, win },
      { ts: port + 0.001, src: '10.0.0.2', sport: 443, dst: '10.0.0.1', dport: port, flags: 'RA', ack: 1001 + port },
    ];
    const conns = run([...refused(1, 64240), ...refused(2, 64240), ...refused(3, 29200)]);
    const windows = conns.map((c) => c.resets[0]?.context.window);
    assert.deepEqual(windows, [
      { orig: 64240, resp: null },
      { orig: 64240, resp: null },
      { orig: 29200, resp: null },
    ]);
    assert.equal(windows[0], windows[1]);
    assert.ok(Object.isFrozen(windows[0]));
  });
});
