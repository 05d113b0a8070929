/**
 * Scaled-down flood: many distinct connections of a SYN and a RST/ACK each, all live at once.
 * Checks the table stays bounded per connection and that every connection is REJ "Sr".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureRecord } from '../../src/capture/record.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Tracker } from '../../src/track/tracker.js';
import { fill } from './packets.js';

const N = Number(process.env.WHYRESET_FLOOD ?? 200_000);

describe('flood of SYN + RST/ACK connections', () => {
  it(`tracks ${N} connections in bounded memory`, () => {
    let rej = 0;
    let other = 0;
    const t = new Tracker(
      { captureIndex: 0 },
      {
        onConnectionDone: (c) => {
          if (c.connState === 'REJ' && c.history === 'Sr') rej++;
          else other++;
        },
      },
    );
    const rec = new CaptureRecord();
    const pkt = new DecodedPacket();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    let peakLive = 0;
    let bytesPer = 0;
    for (let i = 0; i < N; i++) {
      const src = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      const ts = i * 1e-6; // all within the close delay: every connection is live at the end
      fill(rec, pkt, { ts, src, sport: 1024 + (i % 60000), dst: '192.0.2.1', dport: 443, flags: 'S', seq: i * 7 });
      t.trackPacket(rec, pkt);
      fill(rec, pkt, { ts: ts + 5e-7, src: '192.0.2.1', sport: 443, dst: src, dport: 1024 + (i % 60000), flags: 'RA', ack: i * 7 + 1 });
      t.trackPacket(rec, pkt);
    }
    const s = t.stats();
    peakLive = s.live;
    bytesPer = s.bytesPerConnection;
    const ms = performance.now() - t0;
    const heapDelta = process.memoryUsage().heapUsed - heap0;
    t.finish();
    assert.equal(peakLive, N);
    assert.equal(rej, N);
    assert.equal(other, 0);
    // Typed-array state per slot (capacity rounds up to a power of two).
    assert.ok(bytesPer < 500, `bytes per connection slot ${bytesPer}`);
    const perLive = s.totalBytes / N;
    console.log(
      `flood: ${N} conns, ${(ms / 1000).toFixed(2)} s, ${((2 * N) / (ms / 1000) / 1e6).toFixed(2)} Mpkt/s, ` +
        `${bytesPer.toFixed(0)} B/slot, ${perLive.toFixed(0)} B/live conn incl. pools, heap delta ${(heapDelta / N).toFixed(0)} B/conn`,
    );
    assert.ok(perLive < 1000, `total bytes per live connection ${perLive}`);
  });
});
