/**
 * Correlation on synthetic three-point captures (test/helpers/pathCapture.ts): clocks, path
 * order, tcpdump -i any duplicates, loss, asymmetric routes, forged RSTs, snaplen, bounded
 * memory, and the command line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CaptureRecord } from '../../src/capture/record.js';
import { estimateClock } from '../../src/correlate/clock.js';
import { parseOrder, pointName } from '../../src/correlate/order.js';
import { MAX_SAMPLE, PointCollector } from '../../src/correlate/pointCollector.js';
import { DecodedPacket, TCP_ACK } from '../../src/decode/packet.js';
import { analyze } from '../../src/index.js';
import type { Connection, Ladder, PathReport, Report, Reset } from '../../src/model/report.js';
import { runCorrelation } from '../../src/pipeline/runCorrelation.js';
import { type PathCaptures, type PathOptions, type PathPacket, type PathPoint, conversation, pathCaptures } from '../helpers/pathCapture.js';
import { runCli, tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-correlate-');
after(() => tmp.remove());
let written = 0;

/** Writes the captures and returns their paths in the order asked for. */
function files(caps: PathCaptures, order: readonly PathPoint[] = ['client', 'router', 'server']): string[] {
  const dir = join(tmp.dir, String(written++));
  mkdirSync(dir, { recursive: true });
  return order.map((p) => {
    const path = join(dir, `${p}.pcap`);
    writeFileSync(path, caps[p]);
    return path;
  });
}

/** Correlates `paths` and returns the report. */
async function correlate(paths: string[], order?: number[]): Promise<Report & { path: PathReport }> {
  const resets: Reset[] = [];
  const connections: Connection[] = [];
  const result = await runCorrelation(paths, { order }, { reset: (r) => resets.push(r), connection: (c) => connections.push(c), pattern: () => {} });
  assert.ok(result.path, 'a path');
  return { tool: { name: 'whyreset', version: '' }, inputs: result.inputs, summary: result.summary, resets, connections, patterns: [], path: result.path };
}

/** The conversation ended by a RST from `by` toward `to`, claiming the `to` end's peer as source. */
function withReset(by: PathPoint, to: 'client' | 'server', extra: Partial<PathPacket> = {}): PathPacket[] {
  const conv = conversation();
  const last = conv[conv.length - 1] as PathPacket;
  const rst: PathPacket =
    to === 'client'
      ? { t: last.t + 0.005, by, to, flags: 0x04, seq: 6001, ack: 0, id: 703, ...extra }
      : { t: last.t + 0.005, by, to, flags: 0x04, seq: 1151, ack: 0, id: 6, ...extra };
  return [...conv, rst];
}

const near = (actual: number | null, expected: number, tolerance: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
};

describe('clocks and path order', () => {
  test('a clock offset of +3.5 s (and −0.25 s) is recovered with the one-way delay, from packets both ways', async () => {
    const caps = pathCaptures(withReset('server', 'client'), { offsets: { server: 3.5, router: -0.25 }, hop: 0.0015 });
    const report = await correlate(files(caps));
    const pair = (a: number, b: number) => report.path.offsets.find((o) => o.a === a && o.b === b);
    near(pair(0, 2)?.offset ?? null, 3.5, 2e-6, 'client→server offset');
    near(pair(0, 2)?.delay ?? null, 0.003, 2e-6, 'client→server delay');
    near(pair(0, 1)?.offset ?? null, -0.25, 2e-6, 'client→router offset');
    near(pair(1, 2)?.offset ?? null, 3.75, 2e-6, 'router→server offset');
    near(pair(1, 2)?.delay ?? null, 0.0015, 2e-6, 'router→server delay');
    assert.equal(pair(0, 2)?.method, 'both_directions');
    assert.ok((pair(0, 2)?.a_to_b ?? 0) > 0 && (pair(0, 2)?.b_to_a ?? 0) > 0);
    assert.equal(pair(0, 2)?.matched, 10, 'every packet of the conversation seen at both ends');
    near(report.path.points[2]?.offset ?? null, 3.5, 2e-6, 'server clock relative to the client');
    assert.deepEqual(report.path.order, [0, 1, 2]);
  });

  test('the path order is inferred whatever order the captures are given in', async () => {
    const caps = pathCaptures(withReset('server', 'client'), { offsets: { client: 12.25 } });
    const report = await correlate(files(caps, ['server', 'client', 'router']));
    assert.deepEqual(report.path.order, [1, 2, 0], 'client [1] → router [2] → server [0]');
    assert.equal(report.path.order_source, 'inferred');
    const reversed = await correlate(files(caps, ['router', 'server', 'client']));
    assert.deepEqual(reversed.path.order, [2, 0, 1]);
  });

  test('--order overrides the inference', async () => {
    const caps = pathCaptures(withReset('server', 'client'));
    const report = await correlate(files(caps), [2, 1, 0]);
    assert.deepEqual(report.path.order, [2, 1, 0]);
    assert.equal(report.path.order_source, 'given');
    assert.equal(report.path.points[2]?.offset, 0, 'the first point given is the clock reference');
  });

  test('parseOrder takes numbers or names, each capture once', () => {
    const paths = ['/x/client.pcap', '/x/router.pcapng.gz', '/x/server.pcap'];
    assert.deepEqual(parseOrder('2,1,0', paths), [2, 1, 0]);
    assert.deepEqual(parseOrder('client, router ,server', paths), [0, 1, 2]);
    assert.deepEqual(parseOrder('server.pcap,router.pcapng.gz,0', paths), [2, 1, 0]);
    assert.throws(() => parseOrder('0,1', paths), /exactly once/);
    assert.throws(() => parseOrder('0,0,1', paths), /exactly once/);
    assert.throws(() => parseOrder('0,1,3', paths), /no capture 3/);
    assert.throws(() => parseOrder('client,router,nat', paths), /"nat" names none/);
    assert.equal(pointName('/x/router.pcapng.gz'), 'router');
  });
});

describe('sightings', () => {
  test('a forwarded packet in a tcpdump -i any capture is one sighting: first copy kept, the one TTL lower noted', async () => {
    const caps = pathCaptures(withReset('server', 'client'));
    const report = await correlate(files(caps));
    assert.equal(report.resets.length, 1, 'one physical RST');
    assert.equal(report.summary.rst_sightings, 4, 'server 1, router 2 (in and out), client 1');
    const r = report.resets[0] as Reset;
    assert.deepEqual(
      r.seen_at?.map((s) => [s.capture, s.ttl, s.pkttype ?? null, s.forwarded?.ttl ?? null]),
      [
        [2, 128, null, null],
        [1, 128, 'in', 127],
        [0, 127, null, null],
      ],
    );
    assert.equal(r.capture, 2, 'explained from the server, where it was first seen');
    assert.equal(r.born?.first_seen, 2);
    assert.deepEqual(r.born?.absent_from, []);
    assert.equal(r.verdict, 'genuine');
    assert.equal(r.origin, 'resp');
    assert.ok(r.evidence.some((e) => e.code === 'seen_first_at'));
    // Every connection lists the one reset id.
    for (const c of report.connections) assert.deepEqual(c.resets, [r.id]);
  });

  test('a RST missing at one point on its way is noted, not taken for a forgery', async () => {
    const packets = withReset('server', 'client');
    const rstIndex = packets.length - 1;
    const caps = pathCaptures(packets, { drop: (point, i) => point === 'router' && (i === rstIndex || i === 3) });
    const report = await correlate(files(caps));
    assert.equal(report.resets.length, 1);
    const r = report.resets[0] as Reset;
    assert.deepEqual(
      r.seen_at?.map((s) => s.capture),
      [2, 0],
    );
    assert.equal(r.born?.first_seen, 2);
    assert.deepEqual(r.born?.absent_from, [1], 'the router should have seen it');
    assert.match(r.born?.text ?? '', /router missed it on the way/);
    assert.equal(r.verdict, 'genuine');
    near(report.path.offsets.find((o) => o.a === 0 && o.b === 1)?.offset ?? null, 0, 2e-6, 'clocks still estimated with a packet lost');
  });

  test('snaplen cutting the payload at one point does not stop matching', async () => {
    const caps = pathCaptures(withReset('server', 'client'), { snaplen: { client: 60 } });
    const report = await correlate(files(caps));
    assert.equal(report.path.offsets.find((o) => o.a === 0 && o.b === 2)?.matched, 10);
    assert.equal(report.resets.length, 1);
    assert.equal(report.resets[0]?.seen_at?.length, 3);
  });
});

describe('where a reset was born', () => {
  test('a RST forged at the router in the server’s name, with the server’s TTL: born between server and router', async () => {
    // The router sends it with TTL 127: at the client it looks exactly like the server's packets.
    const caps = pathCaptures(withReset('router', 'client', { ttl: 127, id: 703 }), { router: 'client-side' });
    const paths = files(caps);
    const single = await analyze([paths[0] as string]);
    assert.equal(single.resets[0]?.verdict, 'genuine', 'one capture alone cannot tell');
    const report = await correlate(paths);
    assert.equal(report.resets.length, 1);
    const r = report.resets[0] as Reset;
    assert.equal(r.born?.first_seen, 1);
    assert.deepEqual(r.born?.absent_from, [2]);
    assert.deepEqual(r.born?.between, [2, 1]);
    assert.equal(r.born?.conclusive, true);
    assert.match(r.born?.text ?? '', /^born between server and router: server carried this connection's packets from 10\.0\.2\.2 to 10\.0\.1\.2/);
    assert.equal(r.verdict, 'forged');
    assert.equal(r.origin, 'middlebox');
    assert.equal(r.cause, 'middlebox_injected', 'an endpoint cause no longer fits');
    assert.ok(r.evidence.some((e) => e.code === 'correlated_absent'));
    assert.ok(r.confidence !== null && r.confidence >= 0.95);
  });

  test('a RST made on a router that only goes out in its -i any capture is born there', async () => {
    const caps = pathCaptures(withReset('router', 'server', { ttl: 64 }), { drop: (point) => point === 'client' });
    const report = await correlate(files(caps).slice(1));
    const r = report.resets[0] as Reset;
    assert.equal(r.born?.first_seen, 0, 'the router (capture 0 of two)');
    assert.deepEqual(r.born?.absent_from, []);
    assert.match(r.born?.text ?? '', /^born at router: it left that host without having arrived there/);
    assert.equal(r.verdict, 'forged');
    assert.ok(r.evidence.some((e) => e.code === 'made_at_point'));
  });

  test('asymmetric routing: a point that never carried that direction is not counted as absent', async () => {
    // The server's packets to the client take another route: the router never sees them.
    const caps = pathCaptures(withReset('server', 'client'), { drop: (point, _i, p) => point === 'router' && p.to === 'client' });
    const report = await correlate(files(caps));
    const r = report.resets[0] as Reset;
    assert.deepEqual(r.born?.absent_from, []);
    assert.equal(r.born?.first_seen, 2);
    assert.equal(r.verdict, 'genuine');
  });

  test('an upstream point that also lost other packets of the connection does not make a forgery', async () => {
    const packets = withReset('router', 'client', { ttl: 127 });
    // The server-side capture lost the server's data segment: its silence on the RST proves nothing.
    const caps = pathCaptures(packets, { router: 'client-side', drop: (point, i) => point === 'server' && i === 5 });
    const report = await correlate(files(caps));
    const r = report.resets[0] as Reset;
    assert.equal(r.born?.first_seen, 1);
    assert.equal(r.born?.conclusive, false);
    assert.match(r.born?.text ?? '', /also missed 1 other packet/);
    assert.ok(!r.evidence.some((e) => e.code === 'correlated_absent'));
  });

  test('a client reset is first seen at the client and genuine', async () => {
    const caps = pathCaptures(withReset('client', 'server'), { offsets: { server: -1.5 } });
    const report = await correlate(files(caps));
    const r = report.resets[0] as Reset;
    assert.equal(r.born?.first_seen, 0);
    assert.equal(r.from, 'orig');
    assert.equal(r.origin, 'orig');
    assert.equal(r.verdict, 'genuine');
    assert.deepEqual(
      r.seen_at?.map((s) => s.capture),
      [0, 1, 2],
    );
  });
});

describe('ladders across points', () => {
  test('one ladder per connection, points in path order, every packet with where else it was seen', async () => {
    const caps = pathCaptures(withReset('server', 'client'), { offsets: { server: 3.5 } });
    const ladders: Ladder[] = [];
    const resets: Reset[] = [];
    await runCorrelation(files(caps), { ladders: true }, { reset: (r) => resets.push(r), connection: () => {}, pattern: () => {}, ladder: (l) => ladders.push(l) });
    assert.equal(ladders.length, 1, 'the server, router and client ladders of one connection become one');
    const l = ladders[0] as Ladder;
    assert.equal(l.capture, 2, 'drawn from the point its reset is explained from');
    assert.deepEqual(l.points, [0, 1, 2], 'originator (client) side first');
    assert.equal(l.packets.length, 10, 'the router capture’s second copies are not extra rows');
    for (const p of l.packets) {
      assert.deepEqual(
        p.seen_at?.map((s) => s.capture),
        [0, 1],
        `frame ${p.frame}`,
      );
      const atRouter = p.seen_at?.[1];
      assert.equal(atRouter?.ttl, p.from === 'orig' ? 64 : 128, 'the router’s first (incoming) copy');
    }
    const rst = l.packets[l.packets.length - 1];
    assert.equal(rst?.reset, resets[0]?.id);
  });

  test('a ladder drawn from a tcpdump -i any capture keeps one row per forwarded packet', async () => {
    const caps = pathCaptures(withReset('router', 'client', { ttl: 127 }));
    const ladders: Ladder[] = [];
    await runCorrelation(files(caps), { ladders: true }, { reset: () => {}, connection: () => {}, pattern: () => {}, ladder: (l) => ladders.push(l) });
    assert.equal(ladders.length, 1);
    const l = ladders[0] as Ladder;
    assert.equal(l.capture, 1, 'the router, where the forged RST was born');
    assert.equal(l.packets.length, 10, '9 forwarded packets (18 frames) and the RST');
    assert.deepEqual(
      l.packets[l.packets.length - 1]?.seen_at?.map((s) => s.capture),
      [0],
      'the RST reached the client only',
    );
    assert.equal(l.packets[l.packets.length - 1]?.verdict, 'forged');
  });
});

describe('bounded memory', () => {
  test('hash-based sampling keeps the same packets at two points and stays under MAX_SAMPLE', () => {
    const a = new PointCollector(0);
    const b = new PointCollector(1);
    const pkt = new DecodedPacket();
    const rec = { ts: 0, frame: 0, data: new Uint8Array(64) } as unknown as CaptureRecord;
    const n = MAX_SAMPLE * 3;
    const feed = (point: PointCollector, i: number, ts: number, fromClient: boolean) => {
      pkt.reset(1);
      pkt.isTcp = true;
      pkt.ipVersion = 4;
      pkt.src4 = fromClient ? 0x0a000102 : 0x0a000202;
      pkt.dst4 = fromClient ? 0x0a000202 : 0x0a000102;
      pkt.sport = fromClient ? 40000 + (i % 1000) : 80;
      pkt.dport = fromClient ? 80 : 40000 + (i % 1000);
      pkt.seq = i;
      pkt.ack = i * 7;
      pkt.flags = TCP_ACK;
      pkt.ttl = fromClient ? 64 : 127;
      pkt.ipId = i & 0xffff;
      rec.ts = ts;
      rec.frame = i + 1;
      point.add(rec, pkt);
    };
    for (let i = 0; i < n; i++) {
      const fromClient = i % 2 === 0;
      const t = 1000 + i * 1e-4;
      feed(a, i, fromClient ? t : t + 0.002, fromClient);
      feed(b, i, (fromClient ? t + 0.002 : t) + 7, fromClient);
    }
    assert.ok(a.sample.size <= MAX_SAMPLE && b.sample.size <= MAX_SAMPLE, `${a.sample.size}, ${b.sample.size}`);
    assert.ok(a.sampleThreshold < 0x100000000, 'the threshold halved');
    const clock = estimateClock(a, b, (h) => [...a.hostPairs.entries()].find(([k]) => k === h)?.[1].reverse);
    assert.ok(clock.matched > MAX_SAMPLE / 4, `${clock.matched} sampled packets matched`);
    near(clock.offset, 7, 1e-9, 'offset from the sample');
    near(clock.delay, 0.002, 1e-9, 'delay from the sample');
  });
});

describe('command line', () => {
  test('correlate: text with path and clocks, json with path/seen_at/born, analyze --correlate the same', async () => {
    const caps = pathCaptures(withReset('router', 'client', { ttl: 127 }), { offsets: { server: 3.5 }, router: 'client-side' });
    const paths = files(caps);
    const text = await runCli(['correlate', ...paths]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Path \(from the side that opens connections/);
    assert.match(text.stdout, /client \[0\] → router \[1\] → server \[2\]/);
    assert.match(text.stdout, /server \[2\]: \+3\.50000\d s/);
    assert.match(text.stdout, /born: born between server and router/);
    const json = await runCli(['correlate', '--format', 'json', ...paths]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    assert.deepEqual(report.path?.order, [0, 1, 2]);
    assert.equal(report.resets[0]?.born?.first_seen, 1);
    const viaAnalyze = await runCli(['analyze', '--correlate', '--format', 'json', ...paths]);
    assert.equal(viaAnalyze.stdout, json.stdout);
    const nd = await runCli(['correlate', '--format', 'ndjson', '--order', 'server,router,client', ...paths]);
    const path = nd.stdout.split('\n').find((l) => l.startsWith('{"type":"path"'));
    assert.ok(path);
    assert.deepEqual(JSON.parse(path).order, [2, 1, 0]);
  });

  test('correlate: usage errors exit 2 with a reason', async () => {
    const paths = files(pathCaptures(withReset('server', 'client')));
    const one = await runCli(['correlate', paths[0] as string]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /at least two captures/);
    const stdin = await runCli(['correlate', paths[0] as string, '-']);
    assert.equal(stdin.code, 2);
    assert.match(stdin.stderr, /standard input/);
    const badOrder = await runCli(['correlate', '--order', '0,1', ...paths]);
    assert.equal(badOrder.code, 2);
    assert.match(badOrder.stderr, /exactly once/);
    const csv = await runCli(['correlate', '--format', 'csv', ...paths]);
    assert.equal(csv.code, 2);
    const help = await runCli(['correlate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--order LIST/);
  });
});
