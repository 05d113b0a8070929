/**
 * pipeline/connPack.ts: a batch of the track worker's events crosses to the main thread as one
 * float64 stream, finished connections written and read field by field by hand. Every field of
 * FinishedConnection (track/finished.ts) must come back, in the tracker's order, in each of its
 * variants (null and present, an optional tunnel key or VNI absent and present, both directions);
 * a field the packer forgot fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConnPacker, ConnUnpacker, connectionNumbers } from '../../src/pipeline/connPack.js';
import type { EndpointSummary, FinishedConnection, PacketRecord, RstRecord } from '../../src/track/finished.js';
import { keyPaths } from '../helpers/keyPaths.js';
import { labConnections } from '../helpers/labConnections.js';
import { REPO_ROOT } from '../helpers/run.js';


/** The connections, packed into one batch and read back. */
function roundTrip(conns: readonly FinishedConnection[]): FinishedConnection[] {
  const packer = new ConnPacker();
  for (const c of conns) {
    packer.code(1);
    packer.connection(c);
  }
  const batch = new ConnUnpacker(packer.take());
  const back: FinishedConnection[] = [];
  while (!batch.atEnd) {
    assert.equal(batch.code(), 1);
    back.push(batch.connection());
  }
  return back;
}

/** A packet record with every field set apart from its neighbours' (so a swap of two shows). */
function packet(frame: number, direction: 'orig' | 'resp'): PacketRecord {
  return { frame, ts: frame + 0.25, direction, flags: 0x18, seq: 4e9, ack: 17, win: 65535, ttl: 63, ipId: 999, df: true, payloadLen: 1460, options: 9 };
}

/** An endpoint with every field set; `ttl` null or a baseline of two values. */
function endpoint(withTtl: boolean, base: number): EndpointSummary {
  return {
    state: 'established',
    prevState: 'syn_sent',
    size: base + 1,
    pkts: base + 2,
    ipBytes: base + 3,
    ttl: withTtl
      ? {
          values: [
            { ttl: 64, count: 3 },
            { ttl: 63, count: 1 },
          ],
          otherCount: 2,
          mostCommon: 64,
          initial: 64,
          hops: 0,
        }
      : null,
    ipId: 'incrementing',
    retransmissions: base + 4,
    zeroWindows: base + 5,
    gaps: base + 6,
    badChecksums: base + 7,
    finCount: base + 8,
    rstCount: base + 9,
    payloadSeen: withTtl,
    lastWindow: withTtl ? 512 : null,
    windowScale: 7,
    startSeq: withTtl ? 1000 : null,
  };
}

/** A RST with every field set; `full` picks the payload, the nullable context fields present or null, and the direction. */
function rst(index: number, full: boolean): RstRecord {
  return Object.assign(packet(40 + index, full ? 'resp' : 'orig'), {
    index,
    payload: full ? new Uint8Array([0x62, 0x79, 0x65]) : null,
    mptcpReason: full ? 3 : -1,
    mptcpFlags: full ? 1 : -1,
    reserved: full ? 5 : 0,
    badChecksum: full ? 2 : 0,
    checksum: 0xbeef,
    sentByCapturePoint: full,
    context: {
      pktsBefore: { orig: 3, resp: 4 },
      states: { orig: 'established' as const, resp: 'closed' as const },
      handshake: 'complete' as const,
      payload: { orig: full, resp: !full },
      fin: { orig: !full, resp: full },
      lastFromSenderTs: full ? 1.5 : null,
      lastFromOtherTs: full ? 2.5 : null,
      sinceOther: full ? 0.5 : null,
      sincePrevious: full ? 0.25 : null,
      largestIdleGap: 9.75,
      nextSeq: { orig: full ? 100 : null, resp: full ? 200 : null },
      acked: { orig: full ? 300 : null, resp: null },
      window: { orig: null, resp: full ? 4096 : null },
      consecutiveRetransmissions: { orig: 1, resp: 2 },
      senderPrevIpId: full ? 77 : -1,
    },
  });
}

/** A connection with every field set: `full` picks each nullable field present (else null/empty) and a tunnel with key and VNI (else none). */
function connection(number: number, full: boolean): FinishedConnection {
  return {
    id: `C${number}`,
    number,
    capture: full ? 2 : 0,
    ipVersion: full ? 6 : 4,
    origAddr: full ? '2001:db8::1' : '10.0.0.1',
    origPort: 40000 + number,
    respAddr: full ? '2001:db8::2' : '10.0.0.2',
    respPort: 443,
    startTs: 1.125,
    lastTs: 2.25,
    lastPacketTs: 3.5,
    connState: full ? 'RSTO' : 'S0',
    history: full ? 'ShADadR' : 'S',
    orig: endpoint(full, 10),
    resp: endpoint(!full, 20),
    flipped: full,
    reusedTuple: !full,
    handshake: full
      ? { stage: 'complete', synTs: 1, synAckTs: 1.5, ackTs: 1.75, synToSynAck: 0.5, synAckToAck: 0.25 }
      : { stage: 'none', synTs: null, synAckTs: null, ackTs: null, synToSynAck: null, synAckToAck: null },
    largestIdleGap: 0.75,
    missedBytes: full ? 1448 : 0,
    weirds: full ? ['spontaneous_RST', 'SYN_seq_jump'] : [],
    resets: full ? [rst(0, true), rst(1, false)] : [],
    resetsNotRecorded: full ? 3 : 0,
    packets: full ? [packet(1, 'orig'), packet(2, 'resp')] : [],
    keptPackets: 31,
    keptFirstFrame: 32,
    keptLastFrame: 33,
    keptFirstFlags: 34,
    origPairs: 35,
    origSingles: 36,
    respPairs: 37,
    respSingles: 38,
    packetsNotKept: 39,
    endReason: full ? 'reused' : 'end_of_capture',
    tunnel: full
      ? [
          { type: 'gre', src: '192.0.2.1', dst: '192.0.2.2', key: 42 },
          { type: 'vxlan', src: '2001:db8::a', dst: '2001:db8::b', vni: 0 },
          { type: 'ip', src: '198.51.100.1', dst: '198.51.100.2' },
          { type: 'geneve', src: '203.0.113.1', dst: '203.0.113.2', key: 0, vni: 16777215 },
        ]
      : null,
  };
}

describe('connPack: finished connections across the thread boundary', () => {
  it('every field of a FinishedConnection comes back, in the tracker order, in each variant', () => {
    const conns = [connection(1, true), connection(2, false), connection(3, true)];
    const back = roundTrip(conns);
    assert.deepStrictEqual(back, conns);
    // Key order too (the JSON output keeps it), nested fields and optional tunnel fields included.
    assert.deepStrictEqual(back.map((c) => keyPaths(c)), conns.map((c) => keyPaths(c)));
    const full = keyPaths(conns[0]);
    for (const path of ['.tunnel.0.key', '.tunnel.1.vni', '.resets.0.payload', '.resets.1.context.nextSeq.orig', '.orig.ttl.values.1.count', '.handshake.synAckToAck', '.endReason']) {
      assert.ok(full.includes(path), path);
    }
    // Absent stays absent: no `key` on a VXLAN layer, no `vni` on a GRE one.
    assert.deepStrictEqual(Object.keys(back[0]?.tunnel?.[1] ?? {}), ['type', 'src', 'dst', 'vni']);
    assert.deepStrictEqual(Object.keys(back[0]?.tunnel?.[0] ?? {}), ['type', 'src', 'dst', 'key']);
  });

  it('small integers come back as V8 small integers (Smis), as the tracker holds them, not boxed doubles', () => {
    // %IsSmi needs --allow-natives-syntax: checked in a child node on a connection given as JSON.
    const conn = { ...connection(1, true), resets: connection(1, true).resets.map((r) => ({ ...r, payload: null })) };
    const script = `import { ConnPacker, ConnUnpacker } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'pipeline', 'connPack.js')).href)};
const packer = new ConnPacker();
packer.code(1);
packer.connection(JSON.parse(process.env.CONN));
const batch = new ConnUnpacker(packer.take());
batch.code();
const boxed = [];
let small = 0;
const walk = (v, path) => {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 30) {
    small++;
    if (!%IsSmi(v)) boxed.push(path);
  } else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, path + '.' + k);
};
walk(batch.connection(), '');
process.stdout.write(JSON.stringify({ small, boxed }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, CONN: JSON.stringify(conn) } });
    const { small, boxed } = JSON.parse(out) as { small: number; boxed: string[] };
    assert.ok(small > 50, `${small} small integers`);
    assert.deepEqual(boxed, []);
  });

  it('a field the packer leaves out fails the round trip', () => {
    // The same check as above on a connection with one more field than the packer writes: a
    // field added to FinishedConnection but not to connPack.ts is caught the same way.
    const grown = { ...connection(4, true), notCarried: 1 } as FinishedConnection;
    const back = roundTrip([grown]);
    assert.throws(() => assert.deepStrictEqual(back.map((c) => keyPaths(c)), [keyPaths(grown)]));
    assert.ok(!Object.keys(back[0] ?? {}).includes('notCarried'));
  });

  it('the connections the tracker makes from the lab captures come back as it made them, field order included', async () => {
    const conns = await labConnections();
    assert.ok(conns.some((c) => c.resets.length > 0 && c.packets.length > 0 && c.orig.ttl !== null));
    assert.ok(conns.some((c) => c.weirds.length > 0));
    const back = roundTrip(conns);
    assert.deepStrictEqual(back, conns);
    assert.deepStrictEqual(back.map((c) => keyPaths(c)), conns.map((c) => keyPaths(c)));
    // Each connection takes exactly the numbers counted for it before it is written (the one check for room).
    const packer = new ConnPacker();
    for (const c of conns) {
      const before = packer.size;
      packer.connection(c);
      assert.equal(packer.size - before, connectionNumbers(c), c.id);
    }
  });

  it('strings repeated across connections and batches come back from each batch\'s own table', () => {
    // The per-field cache of the last string must not carry an index into the next batch, whose table starts empty.
    const a = connection(1, true);
    const b = { ...connection(2, false), history: 'ShR', origAddr: a.respAddr, respAddr: a.origAddr };
    const packer = new ConnPacker(new Float64Array(8));
    const batches = [];
    for (const conns of [[a, b, a], [a], [b, b]]) {
      for (const c of conns) {
        packer.code(1);
        packer.connection(c);
      }
      const written = packer.takeInPlace(new Float64Array(8));
      batches.push({ batch: { numbers: written.data.subarray(0, written.length), strings: written.strings, objects: written.objects }, conns });
    }
    for (const { batch, conns } of batches) {
      const reader = new ConnUnpacker(batch);
      const back: FinishedConnection[] = [];
      while (!reader.atEnd) {
        assert.equal(reader.code(), 1);
        back.push(reader.connection());
      }
      assert.deepStrictEqual(back, conns);
      // Each distinct string once per batch (ids aside: unique in a real batch, written without a look-up).
      const ids = new Set(conns.map((c) => c.id));
      const others = batch.strings.filter((v) => !ids.has(v));
      assert.equal(new Set(others).size, others.length);
    }
  });

  it('event arguments of every kind come back in order, and a batch ends where its writing did', () => {
    const packer = new ConnPacker();
    const values: unknown[] = [0, -1.5, Number.NaN, 'a', '', true, false, null, undefined, ['x', 'y'], [], [[1, 2]], { a: 1 }];
    for (const v of values) {
      packer.code(7);
      packer.value(v);
    }
    const batch = new ConnUnpacker(packer.take());
    const back: unknown[] = [];
    while (!batch.atEnd) {
      assert.equal(batch.code(), 7);
      back.push(batch.value());
    }
    assert.deepEqual(back, values);
    // The packer starts afresh after a take.
    assert.equal(packer.size, 0);
    assert.equal(packer.take().numbers.length, 0);
  });
});
