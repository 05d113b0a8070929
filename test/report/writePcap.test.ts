/**
 * `--write-pcap`: the packets of every connection that reset, written with their original
 * timestamps and link types, read back by tshark (the peer) and by whyreset itself: tshark finds
 * exactly the same RSTs at the same times, and every packet of those connections is there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Report, Reset } from '../../src/index.js';
import { runCli, tempDir } from '../helpers/run.js';
import { corpusCaptures, hasTshark } from '../helpers/tshark.js';

/** The RSTs tshark finds in a file: "src sport dst dport seq ack epoch" per RST, sorted. */
function tsharkResets(file: string): string[] {
  const r = spawnSync(
    'tshark',
    ['-n', '-r', file, '-o', 'tcp.relative_sequence_numbers:FALSE', '-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-E', 'separator=/s',
      '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.ack', '-e', 'frame.time_epoch'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.trim().split(/\s+/);
      // A simple packet block has no timestamp: tshark prints none (marked "?"); the reader and
      // the writer give it the previous packet's.
      return f.length === 7 ? `${f.slice(0, 6).join(' ')} ${Number(f[6]).toFixed(6)}` : `${f.join(' ')} ?`;
    })
    .sort();
}

/**
 * Asserts that `written` holds the same RSTs as `original` (those inside ICMP errors aside), at
 * the same times to the microsecond (the writer's resolution) where the original has one.
 */
function assertSameResets(written: string[], original: string[]): void {
  const wanted = original.filter((l) => !l.includes(','));
  const untimed = (l: string) => l.slice(0, l.lastIndexOf(' '));
  const time = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));
  assert.deepEqual(written.map(untimed).sort(), wanted.map(untimed).sort());
  for (const line of wanted) {
    if (line.endsWith('?')) continue;
    const near = written.some((w) => untimed(w) === untimed(line) && Math.abs(time(w) - time(line)) <= 1.01e-6);
    assert.ok(near, `RST "${line}" within a microsecond of its time`);
  }
}

/** The same line for a reset of the report (tshark prints "0" for the ack of a RST without ACK). */
function resetLine(r: Reset): string {
  return `${r.src} ${r.sport} ${r.dst} ${r.dport} ${r.seq} ${r.ack} ${r.ts.toFixed(6)}`;
}

/** Frame epochs of a file, in file order. */
function tsharkTimes(file: string): number[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

describe('--write-pcap', { skip: hasTshark ? false : 'tshark is not installed (apt-get install tshark)' }, () => {
  const tmp = tempDir('whyreset-pcap-');
  const path = (name: string) => join(tmp.dir, name);
  const names = ['ethernet-le-us.pcap', 'mixed-le.pcapng', 'sll2-be-ns.pcap'];
  before(() => {
    for (const c of corpusCaptures()) if (names.includes(c.name)) writeFileSync(path(c.name), c.bytes);
  });
  after(() => tmp.remove());

  for (const name of names) {
    test(`${name}: tshark finds the same RSTs at the same times, and every packet of those connections`, async () => {
      const out = path(`${name}.resets`);
      const r = await runCli(['analyze', path(name), '--format', 'json', '--write-pcap', out]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.ok(report.resets.length > 0, 'the capture has resets');
      // tshark finds in the new file every RST it finds in the original (but those quoted inside
      // ICMP errors, which belong to no TCP connection), at the same times.
      assertSameResets(tsharkResets(out), tsharkResets(path(name)));
      // Every packet of every connection that reset, nothing else: read back, each connection
      // has Zeek's packet counts and history of the original.
      const again = await runCli(['analyze', out, '--format', 'json']);
      assert.equal(again.code, 0, again.stderr);
      const back = JSON.parse(again.stdout) as Report;
      const story = (c: Report['connections'][number]) => `${Math.round(c.ts * 1e6)} ${c.orig_h} ${c.orig_p} ${c.resp_h} ${c.resp_p} ${c.orig_pkts} ${c.resp_pkts} ${c.history}`;
      const resetConns = report.connections.filter((c) => c.resets.length > 0);
      assert.deepEqual(back.connections.map(story).sort(), resetConns.map(story).sort());
      assert.deepEqual(back.resets.map(resetLine).sort(), report.resets.map(resetLine).sort());
      const linkTypes = report.inputs[0]?.linktypes ?? [];
      assert.equal(readFileSync(out).readUInt32LE(0), linkTypes.length === 1 ? 0xa1b2c3d4 : 0x0a0d0d0a, 'pcap for one link type, pcapng for several');
    });
  }

  test('several inputs: one pcapng, an interface named after each input, packets merged in time order', async () => {
    const out = path('merged.pcapng');
    // The two files whose own timestamps only go forward (mixed-le.pcapng's interfaces jump).
    const inOrder = ['ethernet-le-us.pcap', 'sll2-be-ns.pcap'];
    const r = await runCli(['analyze', ...inOrder.map(path), '--format', 'json', '--write-pcap', out]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assertSameResets(tsharkResets(out), inOrder.flatMap((n) => tsharkResets(path(n))));
    assert.equal(report.inputs.length, inOrder.length);
    const times = tsharkTimes(out);
    for (let i = 1; i < times.length; i++) assert.ok((times[i] ?? 0) >= (times[i - 1] ?? 0), `frame ${i + 1} is not earlier than frame ${i}`);
    const ifaces = spawnSync('tshark', ['-n', '-r', out, '-T', 'fields', '-e', 'frame.interface_name'], { encoding: 'utf8' });
    const seen = new Set(ifaces.stdout.split('\n').filter((l) => l !== ''));
    for (const name of inOrder) assert.ok(seen.has(path(name)), `interface named ${path(name)} in ${[...seen].join(', ')}`);
  });

  test('standard input is kept for the second read', async () => {
    const out = path('stdin.pcap');
    const input = readFileSync(path('ethernet-le-us.pcap'));
    const r = await runCli(['analyze', '-', '--format', 'json', '--write-pcap', out], { input });
    assert.equal(r.code, 0, r.stderr);
    assertSameResets(tsharkResets(out), tsharkResets(path('ethernet-le-us.pcap')));
  });

  test('a file that cannot be written: exit 2 with one line', async () => {
    const r = await runCli(['analyze', path('ethernet-le-us.pcap'), '--write-pcap', join(tmp.dir, 'no', 'such', 'dir', 'x.pcap')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^whyreset: --write-pcap .*(ENOENT|does not exist)/);
  });
});
