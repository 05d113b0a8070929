/**
 * The per-packet fast path (src/track/fastPath.ts) must change nothing: every capture gives the
 * same finished connections with it as with every packet sent through the full state machine
 * (`fastPath: false`). Compared on seeded random traffic built to hit the path's exits
 * (sequence wraps, retransmissions, holes, zero windows, cut payloads, time going back, FINs,
 * RSTs, mid-stream starts) and on every capture in test/fixtures.
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
import type { FinishedConnection } from '../../src/track/finished.js';
import { Tracker } from '../../src/track/tracker.js';
import { mulberry32 } from '../helpers/random.js';
import { type TestPacket, fill } from './packets.js';

/** Finished connections and the number of fast-path and last-tuple-hint packets, for a list of test packets. */
function track(packets: TestPacket[], fastPath: boolean): { conns: FinishedConnection[]; fast: number; hint: number } {
  const conns: FinishedConnection[] = [];
  const t = new Tracker({ captureIndex: 0, fastPath }, { onConnectionDone: (c) => conns.push(c) });
  const rec = new CaptureRecord();
  const pkt = new DecodedPacket();
  for (let i = 0; i < packets.length; i++) {
    fill(rec, pkt, packets[i] as TestPacket);
    rec.frame = i + 1; // fill numbers frames across runs; both runs must number them alike
    t.trackPacket(rec, pkt);
  }
  const { fastPackets: fast, hintPackets: hint } = t.stats();
  t.finish();
  return { conns, fast, hint };
}


/** One endpoint of a generated connection. */
interface Side {
  addr: string;
  port: number;
  /** Next sequence number to send. */
  next: number;
  /** Highest sequence number of the other side received so far. */
  got: number;
}

/**
 * Random traffic over `conns` interleaved connections: mostly in-order data and ACKs (the fast
 * path's packets), with every event that must leave it.
 */
function randomTraffic(seed: number, conns: number): TestPacket[] {
  const r = mulberry32(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const isn = () => (r() < 0.3 ? (0xffffffff - pick(20000)) >>> 0 : pick(0x100000000)) >>> 0;
  const out: TestPacket[] = [];
  for (let c = 0; c < conns; c++) {
    const v6 = r() < 0.2;
    const a: Side = { addr: v6 ? `2001:db8::${c + 1}` : `10.1.${c >> 8}.${c & 255}`, port: 30000 + c, next: isn(), got: 0 };
    const b: Side = { addr: v6 ? '2001:db8::ffff' : '10.2.0.1', port: r() < 0.5 ? 80 : 8443, next: isn(), got: 0 };
    let ts = c * 0.001 + r() * 0.01;
    const send = (from: Side, to: Side, flags: string, len: number, extra: Partial<TestPacket> = {}) => {
      ts += r() < 0.02 ? -0.0005 : r() * 0.002; // now and then the capture's time goes back
      const withAck = flags.includes('A');
      out.push({ ts, src: from.addr, sport: from.port, dst: to.addr, dport: to.port, flags, seq: from.next, ack: withAck ? to.got : 0, len, ...extra });
    };
    const midstream = r() < 0.2;
    if (!midstream) {
      send(a, b, 'S', 0);
      a.next = (a.next + 1) >>> 0;
      b.got = a.next;
      a.got = 0;
      if (r() < 0.1) continue; // unanswered SYN
      a.got = b.next;
      send(b, a, 'SA', 0, { ack: a.next });
      b.next = (b.next + 1) >>> 0;
      a.got = b.next;
      send(a, b, 'A', 0);
    } else {
      a.got = b.next;
      b.got = a.next;
    }
    const rounds = 5 + pick(60);
    for (let i = 0; i < rounds; i++) {
      const [from, to] = r() < 0.6 ? [a, b] : [b, a];
      const u = r();
      if (u < 0.55) {
        const len = 1 + pick(1460);
        send(from, to, 'PA', len);
        from.next = (from.next + len) >>> 0;
        to.got = from.next;
        if (r() < 0.7) send(to, from, 'A', 0);
      } else if (u < 0.7) {
        send(from, to, 'A', 0); // a pure ACK, nothing new
      } else if (u < 0.76) {
        const len = 1 + pick(500);
        send(from, to, 'PA', len, { seq: (from.next - len) >>> 0 }); // a retransmission
      } else if (u < 0.81) {
        // A lost segment: the next one arrives above the hole, then the lost one.
        const len = 1 + pick(800);
        const lost = from.next;
        from.next = (from.next + len) >>> 0;
        send(from, to, 'PA', 100, { seq: from.next });
        send(from, to, 'PA', len, { seq: lost });
        from.next = (from.next + 100) >>> 0;
        to.got = from.next;
      } else if (u < 0.84) {
        send(from, to, 'A', 0, { win: 0 }); // zero window
      } else if (u < 0.86) {
        const len = 200 + pick(1000);
        send(from, to, 'PA', len, { captured: pick(len) }); // cut by the snaplen
        from.next = (from.next + len) >>> 0;
        to.got = from.next;
      } else if (u < 0.88) {
        send(to, from, 'A', 0, { ack: (from.next + 5000) >>> 0 }); // acks data never seen: a gap
      } else if (u < 0.9) {
        send(from, to, 'UA', 0);
      } else {
        const len = pick(3) === 0 ? 0 : 1 + pick(1000);
        send(from, to, 'PA', len);
        from.next = (from.next + len) >>> 0;
        to.got = from.next;
      }
    }
    const end = r();
    if (end < 0.4) {
      send(a, b, 'FA', 0);
      a.next = (a.next + 1) >>> 0;
      b.got = a.next;
      send(b, a, 'A', 0);
      send(b, a, 'PA', 10); // data after the peer's FIN
      b.next = (b.next + 10) >>> 0;
      a.got = b.next;
      send(a, b, 'A', 0);
      send(b, a, 'FA', 0);
      b.next = (b.next + 1) >>> 0;
      a.got = b.next;
      send(a, b, 'A', 0);
    } else if (end < 0.7) {
      send(r() < 0.5 ? a : b, r() < 0.5 ? b : a, 'RA', 0);
      send(a, b, 'PA', 20); // data after the reset
    }
  }
  out.sort((x, y) => x.ts - y.ts);
  return out;
}

describe('fast path: the same connections as the full state machine', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random traffic, seed ${seed}`, () => {
      const packets = randomTraffic(seed, 60);
      const fast = track(packets, true);
      const slow = track(packets, false);
      assert.deepEqual(fast.conns, slow.conns);
      assert.equal(slow.fast, 0);
      // The path is taken (the comparison says something) but not by everything.
      assert.ok(fast.fast > packets.length / 20, `fast path took ${fast.fast} of ${packets.length}`);
      assert.ok(fast.fast < packets.length);
    });
  }

  it('a long in-order transfer across the 2^32 sequence wrap', () => {
    const packets: TestPacket[] = [];
    const C = { addr: '10.0.0.1', port: 40000 };
    const S = { addr: '10.0.0.2', port: 80 };
    let cs = 0xffff0000;
    let ss = 7;
    let ts = 0;
    const c2s = (flags: string, len: number) => {
      ts += 0.001;
      packets.push({ ts, src: C.addr, sport: C.port, dst: S.addr, dport: S.port, flags, seq: cs, ack: ss, len });
      cs = (cs + len + (flags.includes('S') || flags.includes('F') ? 1 : 0)) >>> 0;
    };
    const s2c = (flags: string) => {
      ts += 0.001;
      packets.push({ ts, src: S.addr, sport: S.port, dst: C.addr, dport: C.port, flags, seq: ss, ack: cs, len: 0 });
      if (flags.includes('S') || flags.includes('F')) ss = (ss + 1) >>> 0;
    };
    c2s('S', 0);
    s2c('SA');
    c2s('A', 0);
    for (let i = 0; i < 200; i++) {
      c2s('PA', 1400);
      s2c('A');
    }
    c2s('FA', 0);
    s2c('FA');
    c2s('A', 0);
    const fast = track(packets, true);
    const slow = track(packets, false);
    // The segments before the wrap take the fast path; once a wrap is counted the connection's
    // packets go through Process (the path needs a zero wrap count), still with the same result.
    assert.ok(fast.fast > 80, `fast path took ${fast.fast}`);
    assert.deepEqual(fast.conns, slow.conns);
    assert.equal(fast.conns[0]?.orig.size, 200 * 1400);
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

/** A capture file through decode and a tracker. */
async function trackFile(path: string, fastPath: boolean): Promise<{ conns: FinishedConnection[]; fast: number }> {
  const conns: FinishedConnection[] = [];
  const t = new Tracker({ captureIndex: 0, fastPath }, { onConnectionDone: (c) => conns.push(c) });
  const pkt = new DecodedPacket();
  await readCapture(path, (rec) => {
    decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    t.trackPacket(rec, pkt);
  });
  const fast = t.stats().fastPackets;
  t.finish();
  return { conns, fast };
}

describe('fast path: the fixture captures', () => {
  const root = fileURLToPath(new URL('../../../test/fixtures', import.meta.url));
  it('give the same connections with and without it', async () => {
    let fastTotal = 0;
    const files = fixtureCaptures(root);
    assert.ok(files.length > 10);
    for (const f of files) {
      const fast = await trackFile(f, true);
      const slow = await trackFile(f, false);
      assert.deepEqual(fast.conns, slow.conns, f);
      fastTotal += fast.fast;
    }
    assert.ok(fastTotal > 0);
  });
});

describe('the last-tuple hint (trackPacket): the same connections as a table lookup per packet', () => {
  const server = { addr: '10.9.0.2', port: 443 };
  const client = { addr: '10.9.0.1', port: 51000 };
  const v6 = { src: '2001:db8::1', sport: 52000, dst: '2001:db8::2', dport: 80 };
  const fromServer = { src: server.addr, sport: server.port, dst: client.addr, dport: client.port };
  const fromClient = { src: client.addr, sport: client.port, dst: server.addr, dport: server.port };

  it('follows a role flip, a finished and restarted tuple, and IPv6 packets between', () => {
    const packets: TestPacket[] = [
      // Begins with the SYN-ACK (history "H"): the server is the originator until the client's
      // first pure ACK flips the roles (flipAfterSynAck); the hint then must give the other side.
      { ts: 1, ...fromServer, flags: 'SA', seq: 5000, ack: 1001 },
      { ts: 1.01, ...fromClient, flags: 'A', seq: 1001, ack: 5001 },
      { ts: 1.02, ...fromClient, flags: 'PA', seq: 1001, ack: 5001, len: 100 },
      { ts: 1.03, ...fromClient, flags: 'PA', seq: 1101, ack: 5001, len: 100 },
      { ts: 1.04, ...v6, flags: 'S', seq: 7 },
      { ts: 1.05, ...fromServer, flags: 'A', seq: 5001, ack: 1201 },
      { ts: 1.06, ...fromServer, flags: 'PA', seq: 5001, ack: 1201, len: 50 },
      { ts: 1.07, ...fromServer, flags: 'R', seq: 5051 },
      // Long after: the RST's connection was finished by its timers, and the same tuple starts a
      // new (partial) connection without a SYN, twice in a row from the same side.
      { ts: 400, ...fromServer, flags: 'PA', seq: 9000, ack: 3000, len: 10 },
      { ts: 400.01, ...fromServer, flags: 'PA', seq: 9010, ack: 3000, len: 10 },
      { ts: 400.02, ...v6, flags: 'A', seq: 8, ack: 1 },
      { ts: 400.03, ...fromClient, flags: 'A', seq: 3000, ack: 9020 },
      { ts: 400.04, ...fromClient, flags: 'A', seq: 3000, ack: 9020 },
    ];
    const hinted = track(packets, true);
    const looked = track(packets, false);
    assert.equal(looked.hint, 0);
    assert.ok(hinted.hint >= 5, `hint found ${hinted.hint} packets`);
    assert.deepEqual(hinted.conns, looked.conns);
    assert.equal(hinted.conns.length, 4); // the IPv6 SYN timed out before its ACK: two connections of each tuple
    const first = hinted.conns.find((c) => c.startTs === 1);
    assert.equal(first?.flipped, true);
    assert.equal(first?.origAddr, client.addr);
  });

  it('finds IPv6 connections too: a role flip, a tuple that differs in one address word, IPv4 packets between', () => {
    const a = { src: '2001:db8::a', sport: 443, dst: '2001:db8::1:b', dport: 53000 };
    const b = { src: a.dst, sport: a.dport, dst: a.src, dport: a.sport };
    // The same ports and the same addresses but the last word of one: another connection.
    const near = { ...b, src: '2001:db8::1:c' };
    const packets: TestPacket[] = [
      // Begins with the SYN-ACK: the first pure ACK flips the roles, and the hint must follow.
      { ts: 1, ...a, flags: 'SA', seq: 5000, ack: 1001 },
      { ts: 1.01, ...b, flags: 'A', seq: 1001, ack: 5001 },
      { ts: 1.02, ...b, flags: 'PA', seq: 1001, ack: 5001, len: 100 },
      { ts: 1.03, ...b, flags: 'PA', seq: 1101, ack: 5001, len: 100 },
      { ts: 1.04, ...near, flags: 'PA', seq: 77, ack: 88, len: 10 },
      { ts: 1.05, ...near, flags: 'PA', seq: 87, ack: 88, len: 10 },
      { ts: 1.06, ...b, flags: 'PA', seq: 1201, ack: 5001, len: 100 },
      { ts: 1.07, src: '10.9.0.1', sport: 53000, dst: '10.9.0.2', dport: 443, flags: 'PA', seq: 1, ack: 1, len: 5 },
      { ts: 1.08, ...b, flags: 'PA', seq: 1301, ack: 5001, len: 100 },
      { ts: 1.09, ...b, flags: 'PA', seq: 1401, ack: 5001, len: 100 },
      { ts: 1.1, ...a, flags: 'A', seq: 5001, ack: 1501 },
      { ts: 1.11, ...a, flags: 'PA', seq: 5001, ack: 1501, len: 40 },
      { ts: 1.12, ...a, flags: 'PA', seq: 5041, ack: 1501, len: 40 },
      { ts: 1.13, src: '10.9.0.1', sport: 53000, dst: '10.9.0.2', dport: 443, flags: 'PA', seq: 6, ack: 1, len: 5 },
      { ts: 1.14, src: '10.9.0.1', sport: 53000, dst: '10.9.0.2', dport: 443, flags: 'PA', seq: 11, ack: 1, len: 5 },
      { ts: 1.15, ...a, flags: 'R', seq: 5081 },
      { ts: 1.16, ...near, flags: 'PA', seq: 97, ack: 88, len: 10 },
    ];
    const hinted = track(packets, true);
    const looked = track(packets, false);
    // Hits: b at 1.02, 1.03, 1.09; near at 1.05; a at 1.12, 1.15; IPv4 at 1.14.
    assert.ok(hinted.hint >= 7, `hint found ${hinted.hint} packets`);
    assert.deepEqual(hinted.conns, looked.conns);
    assert.equal(hinted.conns.length, 3);
    const flipped = hinted.conns.find((c) => c.startTs === 1);
    assert.equal(flipped?.flipped, true);
    assert.equal(flipped?.origAddr, b.src);
    assert.equal(hinted.conns.find((c) => c.origAddr === near.src)?.startTs, 1.04);
  });

  it('takes most packets of interleaved random traffic', () => {
    const packets = randomTraffic(7, 40);
    const hinted = track(packets, true);
    assert.ok(hinted.hint > 0, `hint found ${hinted.hint} of ${packets.length}`);
    assert.deepEqual(hinted.conns, track(packets, false).conns);
  });
});
