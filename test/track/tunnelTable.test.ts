/**
 * The tunnel kept per tracker slot (track/tunnelTable.ts): connections through the same outer
 * layers share one description, which is freed when the last of them finishes; the layers reach
 * the FinishedConnection; and they survive the carry snapshot (track/snapshot.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureRecord } from '../../src/capture/record.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { TUNNEL_GRE, TUNNEL_IP, TUNNEL_VXLAN } from '../../src/decode/tunnel.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { restoreTracker, saveTracker } from '../../src/track/snapshot.js';
import { Tracker } from '../../src/track/tracker.js';
import { MAX_TUNNEL_DESCRIPTIONS, TunnelTable } from '../../src/track/tunnelTable.js';
import { type TestPacket, c2s, fill, s2c } from './packets.js';

/** Gives `pkt` outer layers: [type, outer src (IPv4 number), outer dst, key, vni] each. */
function wrap(pkt: DecodedPacket, layers: [number, number, number, number, number][]): void {
  pkt.tunnelCount = layers.length;
  layers.forEach(([type, src, dst, key, vni], i) => {
    pkt.tunnelType[i] = type;
    pkt.tunnelIpVersion[i] = 4;
    pkt.tunnelSrc4[i] = src;
    pkt.tunnelDst4[i] = dst;
    pkt.tunnelKey[i] = key;
    pkt.tunnelVni[i] = vni;
  });
}

const A = 0x0a000001; // 10.0.0.1
const B = 0xc0a80102; // 192.168.1.2

/** Runs packets through `tracker`, each wrapped in the layers given beside it (none for null). */
function feed(tracker: Tracker, packets: [TestPacket, [number, number, number, number, number][] | null][]): void {
  const rec = new CaptureRecord();
  const pkt = new DecodedPacket();
  for (const [p, layers] of packets) {
    fill(rec, pkt, p);
    if (layers !== null) wrap(pkt, layers);
    tracker.trackPacket(rec, pkt);
  }
}

describe('tunnel per tracker slot', () => {
  it('shares one description between connections through the same layers, frees it after the last', () => {
    const table = new TunnelTable();
    const pkt = new DecodedPacket();
    wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, 42]]);
    const r1 = table.acquire(pkt);
    const r2 = table.acquire(pkt);
    assert.equal(r1, r2);
    assert.equal(table.live, 1);
    wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, 43]]);
    const r3 = table.acquire(pkt);
    assert.notEqual(r3, r1, 'another VNI is another description');
    wrap(pkt, [
      [TUNNEL_IP, A, B, -1, -1],
      [TUNNEL_GRE, B, A, 0xfffffffe, -1],
    ]);
    const r4 = table.acquire(pkt);
    assert.deepEqual(table.layersOf(r4), [
      { type: 'ip', src: '10.0.0.1', dst: '192.168.1.2' },
      { type: 'gre', src: '192.168.1.2', dst: '10.0.0.1', key: 0xfffffffe },
    ]);
    assert.deepEqual(table.layersOf(r1), [{ type: 'vxlan', src: '10.0.0.1', dst: '192.168.1.2', vni: 42 }]);
    table.release(r1);
    assert.equal(table.live, 3, 'still used by one connection');
    table.release(r2);
    assert.equal(table.live, 2);
    // The freed entry is reused, and the others are still found.
    wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, 44]]);
    assert.equal(table.acquire(pkt), r1);
    wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, 43]]);
    assert.equal(table.acquire(pkt), r3);
  });

  it('grows, keeps every description findable, and stops at its bound', () => {
    const table = new TunnelTable();
    const pkt = new DecodedPacket();
    const refs: number[] = [];
    for (let vni = 0; vni < 1000; vni++) {
      wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, vni]]);
      refs.push(table.acquire(pkt));
    }
    for (let vni = 0; vni < 1000; vni++) {
      wrap(pkt, [[TUNNEL_VXLAN, A, B, -1, vni]]);
      assert.equal(table.acquire(pkt), refs[vni]);
    }
    assert.equal(table.live, 1000);
    for (let vni = 1000; table.live < MAX_TUNNEL_DESCRIPTIONS; vni++) {
      wrap(pkt, [[TUNNEL_GRE, A, B, vni, -1]]);
      table.acquire(pkt);
    }
    wrap(pkt, [[TUNNEL_GRE, B, A, 1, -1]]);
    assert.equal(table.acquire(pkt), 0, 'full: no description');
    assert.equal(table.notKept, 1);
  });

  it("a connection's first tunnelled packet gives its tunnel; a plain one has none; the description is released", () => {
    const out: FinishedConnection[] = [];
    const tracker = new Tracker({ captureIndex: 0 }, { onConnectionDone: (c) => out.push(c) });
    const vxlan: [number, number, number, number, number][] = [[TUNNEL_VXLAN, A, B, -1, 7]];
    feed(tracker, [
      [c2s({ ts: 1, flags: 'S', seq: 100 }), null],
      [s2c({ ts: 1.1, flags: 'SA', seq: 500, ack: 101 }), vxlan],
      [c2s({ ts: 1.2, flags: 'A', seq: 101, ack: 501 }), [[TUNNEL_VXLAN, A, B, -1, 8]]],
      [{ ts: 2, src: '10.9.9.8', sport: 1234, dst: '10.0.0.2', dport: 80, flags: 'S' }, vxlan],
      [{ ts: 3, src: '10.9.9.9', sport: 1234, dst: '10.0.0.2', dport: 80, flags: 'S' }, null],
    ]);
    assert.equal(tracker.state.tunnels.live, 1, 'the two tunnelled connections share the first layers seen');
    tracker.finish();
    assert.deepEqual(out[0]?.tunnel, [{ type: 'vxlan', src: '10.0.0.1', dst: '192.168.1.2', vni: 7 }]);
    assert.deepEqual(out[1]?.tunnel, out[0]?.tunnel);
    assert.equal(out[2]?.tunnel, null);
    assert.equal(tracker.state.tunnels.live, 0);
  });

  it('is carried by the snapshot of an open connection', () => {
    const first = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => assert.fail('nothing finishes before the snapshot') });
    const gre: [number, number, number, number, number][] = [[TUNNEL_GRE, A, B, 99, -1]];
    feed(first, [
      [c2s({ ts: 1, flags: 'S', seq: 100 }), gre],
      [s2c({ ts: 1.1, flags: 'SA', seq: 500, ack: 101 }), gre],
    ]);
    const saved = structuredClone(saveTracker(first));
    const out: FinishedConnection[] = [];
    const second = new Tracker({ captureIndex: 0 }, { onConnectionDone: (c) => out.push(c) });
    restoreTracker(second, saved);
    feed(second, [[c2s({ ts: 1.2, flags: 'R', seq: 101 }), gre]]);
    second.finish();
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]?.tunnel, [{ type: 'gre', src: '10.0.0.1', dst: '192.168.1.2', key: 99 }]);
    assert.equal(second.state.tunnels.live, 0);
  });
});
