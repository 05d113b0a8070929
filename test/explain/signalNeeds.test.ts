/**
 * explain/forgery.ts: assessForgery calls a signal's test only when the RST's facts (factsOf)
 * hold everything the signal `needs`. Skipping must never hide a hit: on every RST of the lab's
 * captures, with and without a known hop range for its sender and with and without a host known
 * as forwarded, each test whose needs are not met returns null when called anyway.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExplainContext, type HopRange } from '../../src/explain/context.js';
import { FORGERY_SIGNALS, type SignalFacts, factsOf } from '../../src/explain/forgery.js';
import { rstShapeOf } from '../../src/explain/senderPackets.js';
import { peerOf, timelineOf } from '../../src/explain/timeline.js';
import { labConnections } from '../helpers/labConnections.js';

describe('forgery signals skipped by their needs', () => {
  it('never skip a test that would have found something', async () => {
    const conns = await labConnections();
    const plain = new ExplainContext();
    const forwarding = new ExplainContext();
    forwarding.forwardedHere.set('192.0.2.99', true);
    let skipped = 0;
    let called = 0;
    let hits = 0;
    for (const conn of conns) {
      for (const rst of conn.resets) {
        const timeline = timelineOf(conn, rst);
        const shape = rstShapeOf(rst, timeline.trigger);
        const ranges: (HopRange | null)[] = [null, { min: 3, max: 3, initials: [64], packets: 5 }];
        for (const hops of ranges) {
          for (const ctx of [plain, forwarding]) {
            const have = factsOf(conn, rst, timeline, ctx, hops, shape);
            for (const signal of FORGERY_SIGNALS) {
              const f: SignalFacts = { conn, rst, timeline, ctx, sender: rst.direction, peer: peerOf(rst.direction), shape, hops, hopsHere: false, burst: null };
              const hit = signal.test(f);
              if ((signal.needs & ~have) !== 0) {
                skipped++;
                assert.equal(hit, null, `${signal.code} needs ${signal.needs}, facts ${have}, yet found: ${JSON.stringify(hit)} (${conn.id} frame ${rst.frame})`);
              } else {
                called++;
                if (hit !== null) hits++;
              }
            }
          }
        }
      }
    }
    // The lab holds RSTs of many shapes: most tests are skipped somewhere, and called tests find things.
    assert.ok(skipped > 1000 && called > 1000 && hits > 100, `skipped ${skipped}, called ${called}, hits ${hits}`);
  });
});
