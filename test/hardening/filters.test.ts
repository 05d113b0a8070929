/**
 * Issue 16, item 11: --host, --net, --port (BPF-like: either endpoint, repeatable = OR, kinds
 * combine) and --since/--until (absolute, or a duration after the first packet) on analyze,
 * explain and correlate. The tracker still sees every packet; the filters select what is
 * reported, and the summary says how much was left out.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { filterOf, parseNet, parseTimeBound } from '../../src/pipeline/filter.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, RST, SYN, tcp4Frame, tcp6Frame } from '../../testkit/frames.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const T0 = 1700000000;
const tmp = tempDir('whyreset-filter-');
after(() => tmp.remove());

/** Four refused connections: A 10.0.0.2:80 at T0, B 192.168.1.5:443 at +10 min, C [2001:db8:1::5]:443 at +1 h, D 10.0.0.2:22 at +2 h. */
function capture(): string {
  const v4 = (ts: number, server: string, sport: number, dport: number) => [
    { ts, data: tcp4Frame({ src: '10.0.0.1', dst: server, sport, dport, seq: 1000, ack: 0, flags: SYN, win: 64240, ttl: 64, id: 1 }) },
    { ts: ts + 0.0002, data: tcp4Frame({ src: server, dst: '10.0.0.1', sport: dport, dport: sport, seq: 0, ack: 1001, flags: RST | ACK, win: 0, ttl: 64, id: 0 }) },
  ];
  const v6 = (ts: number, sport: number, dport: number) => [
    { ts, data: tcp6Frame({ src: '2001:db8::1', dst: '2001:db8:1::5', sport, dport, seq: 1000, ack: 0, flags: SYN, win: 64240, ttl: 64 }) },
    { ts: ts + 0.0002, data: tcp6Frame({ src: '2001:db8:1::5', dst: '2001:db8::1', sport: dport, dport: sport, seq: 0, ack: 1001, flags: RST | ACK, win: 0, ttl: 64 }) },
  ];
  const path = join(tmp.dir, 'four.pcap');
  writeFileSync(path, writePcap([...v4(T0, '10.0.0.2', 40000, 80), ...v4(T0 + 600, '192.168.1.5', 40001, 443), ...v6(T0 + 3600, 40002, 443), ...v4(T0 + 7200, '10.0.0.2', 40003, 22)]));
  return path;
}
const CAPTURE = capture();

interface Json {
  summary: { connections: number; resets: number; by_cause: Record<string, number>; filtered_out?: { connections: number; resets: number } };
  resets: { dst: string; dport: number; src: string }[];
  connections: { resp_h: string; resp_p: number }[];
}

async function analyzeJson(...args: string[]): Promise<Json> {
  const r = await runCli(['analyze', CAPTURE, '--format', 'json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

/** The servers of the reported connections, "addr:port", sorted. */
function servers(report: Json): string[] {
  return report.connections.map((c) => `${c.resp_h}:${c.resp_p}`).sort();
}

test('parsing: addresses and prefixes of both families, times absolute and relative', () => {
  assert.deepEqual(parseNet('10.0.0.0/8'), ['10.0.0.0', 8, 'ipv4']);
  assert.deepEqual(parseNet('2001:db8::/32'), ['2001:db8::', 32, 'ipv6']);
  assert.equal(parseNet('10.0.0.0/33'), null);
  assert.equal(parseNet('10.0.0/8'), null);
  assert.deepEqual(parseTimeBound('2h'), { afterFirstPacket: 7200 });
  assert.deepEqual(parseTimeBound('30m'), { afterFirstPacket: 1800 });
  assert.deepEqual(parseTimeBound('1700000000.5'), { absolute: 1700000000.5 });
  assert.deepEqual(parseTimeBound('2023-11-14T22:13:20'), { absolute: 1700000000 }, 'no zone: UTC');
  assert.deepEqual(parseTimeBound('2023-11-14T23:13:20+01:00'), { absolute: 1700000000 });
  assert.equal(parseTimeBound('yesterday'), null);
  assert.equal(typeof filterOf({ port: ['70000'] }), 'string');
  assert.equal(filterOf({}), null);
});

test('with no filter nothing is left out and the summary has no filtered_out', async () => {
  const all = await analyzeJson();
  assert.deepEqual(servers(all), ['10.0.0.2:22', '10.0.0.2:80', '192.168.1.5:443', '2001:db8:1::5:443']);
  assert.equal('filtered_out' in all.summary, false);
});

test('--host matches either endpoint; the summary counts what is reported and what was left out', async () => {
  const r = await analyzeJson('--host', '10.0.0.2');
  assert.deepEqual(servers(r), ['10.0.0.2:22', '10.0.0.2:80']);
  assert.equal(r.resets.length, 2);
  assert.equal(r.summary.resets, 2);
  assert.equal(r.summary.connections, 2);
  assert.deepEqual(r.summary.by_cause, { port_closed: 2 });
  assert.deepEqual(r.summary.filtered_out, { connections: 2, resets: 2 });
  // The client is at one end of every connection.
  assert.equal((await analyzeJson('--host', '10.0.0.1')).resets.length, 3);
});

test('--net takes IPv4 and IPv6 prefixes, repeated = OR', async () => {
  assert.deepEqual(servers(await analyzeJson('--net', '192.168.0.0/16', '--net', '2001:db8:1::/48')), ['192.168.1.5:443', '2001:db8:1::5:443']);
  assert.deepEqual(servers(await analyzeJson('--net', '2001:db8::/32')), ['2001:db8:1::5:443']);
});

test('--port matches either endpoint, repeated = OR, and combines with --host (AND)', async () => {
  assert.deepEqual(servers(await analyzeJson('--port', '443')), ['192.168.1.5:443', '2001:db8:1::5:443']);
  assert.deepEqual(servers(await analyzeJson('--port', '22', '--port', '80')), ['10.0.0.2:22', '10.0.0.2:80']);
  assert.deepEqual(servers(await analyzeJson('--host', '10.0.0.2', '--port', '22')), ['10.0.0.2:22']);
});

test('--since/--until: durations after the first packet, ISO times and epoch seconds', async () => {
  assert.deepEqual(servers(await analyzeJson('--since', '30m', '--until', '90m')), ['2001:db8:1::5:443']);
  assert.deepEqual(servers(await analyzeJson('--since', new Date((T0 + 500) * 1000).toISOString())), ['10.0.0.2:22', '192.168.1.5:443', '2001:db8:1::5:443']);
  const early = await analyzeJson('--until', String(T0 + 1));
  assert.deepEqual(servers(early), ['10.0.0.2:80']);
  assert.deepEqual(early.summary.filtered_out, { connections: 3, resets: 3 });
});

test('the text report says how much the filters left out', async () => {
  const r = await runCli(['analyze', CAPTURE, '--port', '443']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 TCP resets in 2 connections/);
  assert.match(r.stdout, /filtered out \(--host\/--net\/--port\/--since\/--until\): 2 resets, 2 connections/);
});

test('a wrong filter is a usage error naming the option', async () => {
  for (const [option, value] of [
    ['--host', 'example.com'],
    ['--net', '10.0.0.0/33'],
    ['--port', '70000'],
    ['--since', 'yesterday'],
  ]) {
    const r = await runCli(['analyze', CAPTURE, option as string, value as string]);
    assert.equal(r.code, 2, `${option} ${value}`);
    assert.match(r.stderr, new RegExp(`${option} needs`));
  }
});

test('explain: a filter alone shows the connections that match and reset; with --conn it narrows it', async () => {
  const r = await runCli(['explain', CAPTURE, '--host', '192.168.1.5', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as { connections: { connection: { resp_h: string } }[] };
  assert.deepEqual(
    shown.connections.map((c) => c.connection.resp_h),
    ['192.168.1.5'],
  );
  const none = await runCli(['explain', CAPTURE, '--conn', 'C1', '--port', '443']);
  assert.equal(none.code, 2, 'C1 is on port 80');
});

test('correlate: the filter selects the correlated findings', async () => {
  const lab = join(REPO_ROOT, 'test', 'fixtures', 'lab');
  const paths = [join(lab, 'firewall-reject-iptables.client.pcap'), join(lab, 'firewall-reject-iptables.router.pcap')];
  const all = JSON.parse((await runCli(['correlate', ...paths, '--format', 'json'])).stdout) as Json;
  assert.ok(all.resets.length > 0);
  const r = await runCli(['correlate', ...paths, '--format', 'json', '--port', '1']);
  assert.equal(r.code, 0, r.stderr);
  const none = JSON.parse(r.stdout) as Json;
  assert.equal(none.resets.length, 0);
  assert.deepEqual(none.summary.filtered_out, { connections: all.connections.length, resets: all.resets.length });
  const dport = all.resets[0]?.dport as number;
  const kept = JSON.parse((await runCli(['correlate', ...paths, '--format', 'json', '--port', String(dport)])).stdout) as Json;
  assert.equal(kept.resets.length, all.resets.filter((x) => x.dport === dport || (x as unknown as { sport: number }).sport === dport).length);
});
