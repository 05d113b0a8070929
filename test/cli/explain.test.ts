/**
 * `whyreset explain --conn`: one connection as a ladder (every packet, the RST highlighted with
 * its reset id), then the reasoning (each piece of evidence) and the hint. Checked on a scripted
 * long connection (elision keeps the first and last packets and every RST), on the synthetic
 * corpus against tshark's own count of the connection's packets, by id and by 4-tuple.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConnSelector } from '../../src/cli/explain.js';
import type { Ladder, Report, Reset } from '../../src/index.js';
import { A, Conversation, F, P, R } from '../helpers/conversation.js';
import { runCli, tempDir } from '../helpers/run.js';
import { corpusCaptures, hasTshark } from '../helpers/tshark.js';

interface ExplainJson {
  connections: { connection: Report['connections'][number]; resets: Reset[]; ladder: Ladder; gaps: { after: number; packets: number }[]; packets: number }[];
  matches: number;
}

test('parseConnSelector: ids, IPv4 and bracketed IPv6 tuples, and nonsense', () => {
  assert.deepEqual(parseConnSelector('C12'), { kind: 'id', id: 'C12' });
  assert.deepEqual(parseConnSelector('c1-7'), { kind: 'id', id: 'C1-7' });
  assert.deepEqual(parseConnSelector('10.0.0.1:51234-10.0.0.2:443'), { kind: 'tuple', a: '10.0.0.1', aPort: 51234, b: '10.0.0.2', bPort: 443 });
  assert.deepEqual(parseConnSelector('[2001:DB8::1]:5-[2001:db8::2]:443'), { kind: 'tuple', a: '2001:db8::1', aPort: 5, b: '2001:db8::2', bPort: 443 });
  assert.equal(parseConnSelector('10.0.0.1:70000-10.0.0.2:1'), null);
  assert.equal(parseConnSelector('C12x'), null);
  assert.equal(parseConnSelector('10.0.0.1-10.0.0.2'), null);
});

describe('whyreset explain', () => {
  const tmp = tempDir('whyreset-explain-');
  const path = (name: string) => join(tmp.dir, name);
  before(() => {
    // A long connection: handshake, 60 exchanges (240 packets), an abort by the server with RST
    // in the middle of a burst, the client's data answered by a second RST.
    const c = new Conversation().handshake();
    for (let i = 0; i < 60; i++) c.exchange(100, 1000);
    c.send('s', R | A, { dt: 0.01 }).send('c', P | A, { len: 50, dt: 0.001 }).send('s', R, { dt: 0.0001, ack: 0 });
    const other = new Conversation({ client: { port: 40001 } }).handshake().exchange().send('c', F | A).send('s', F | A).send('c', A);
    writeFileSync(path('long.pcap'), c.toPcap(other));
    for (const cap of corpusCaptures()) if (cap.name === 'ethernet-le-us.pcap') writeFileSync(path(cap.name), cap.bytes);
  });
  after(() => tmp.remove());

  test('by id: every packet drawn, the resets highlighted with their ids, then the evidence and the hint', async () => {
    const json = await runCli(['analyze', path('long.pcap'), '--format', 'json']);
    const report = JSON.parse(json.stdout) as Report;
    const conn = report.connections.find((c) => c.resets.length > 0);
    assert.ok(conn, 'the long connection reset');
    const r = await runCli(['explain', path('long.pcap'), '--conn', conn.id, '--packets', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+\+\d+\.\d{6}\s+│/.test(l));
    assert.equal(rows.length, conn.orig_pkts + conn.resp_pkts, 'one arrow per packet');
    assert.equal(rows.filter((l) => l.includes('▶')).length, conn.orig_pkts, 'arrows to the right come from the originator');
    const resets = report.resets.filter((x) => x.conn === conn.id);
    assert.ok(resets.length >= 2);
    for (const reset of resets) {
      const row = rows.find((l) => l.trimStart().startsWith(`${reset.frame} `));
      assert.ok(row?.includes(reset.id) && row.includes('RST'), `frame ${reset.frame} drawn as ${reset.id}: ${row}`);
      for (const e of reset.evidence) assert.ok(r.stdout.includes(`- ${e.code}: ${e.detail}`), `${reset.id} ${e.code}`);
      assert.ok(reset.hint && r.stdout.includes(reset.hint), `${reset.id} hint`);
      assert.ok(r.stdout.includes(`cause    ${reset.cause}:`), `${reset.id} cause`);
    }
    assert.match(r.stdout, /SYN seq=0 len=0/, 'relative sequence numbers');
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour in a pipe');
  });

  test('--packets N: the first and last halves and every RST between, with the rows left out counted', async () => {
    const r = await runCli(['explain', path('long.pcap'), '--conn', '10.0.1.20:80-10.0.0.10:40000', '--packets', '10', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ExplainJson;
    assert.equal(out.connections.length, 1);
    const c = out.connections[0];
    assert.ok(c);
    assert.equal(c.packets, c.connection.orig_pkts + c.connection.resp_pkts);
    const shown = c.ladder.packets.length;
    const hidden = c.gaps.reduce((n, g) => n + g.packets, 0);
    assert.equal(shown + hidden, c.packets, 'every packet is shown or counted');
    assert.ok(shown <= 10 + c.resets.length, `${shown} rows`);
    for (const reset of c.resets) assert.ok(c.ladder.packets.some((p) => p.reset === reset.id), `${reset.id} drawn`);
    assert.deepEqual(c.ladder.packets.slice(0, 3).map((p) => p.flags.join(',')), ['SYN', 'SYN,ACK', 'ACK']);
    const text = await runCli(['explain', path('long.pcap'), '--conn', '10.0.1.20:80-10.0.0.10:40000', '--packets', '10']);
    assert.match(text.stdout, new RegExp(`… ${hidden} packets not shown …`));
  });

  test('on the corpus: the ladder holds exactly the packets tshark finds on the tuple', { skip: hasTshark ? false : 'tshark is not installed' }, async () => {
    const file = path('ethernet-le-us.pcap');
    const report = JSON.parse((await runCli(['analyze', file, '--format', 'json'])).stdout) as Report;
    // Connections whose tuple carries only that connection, so tshark's filter is exact.
    const tuples = new Map<string, number>();
    const key = (c: Report['connections'][number]) => `${c.orig_h} ${c.orig_p} ${c.resp_h} ${c.resp_p}`;
    for (const c of report.connections) tuples.set(key(c), (tuples.get(key(c)) ?? 0) + 1);
    const single = report.connections.filter((c) => c.resets.length > 0 && tuples.get(key(c)) === 1 && !c.orig_h.includes(':')).slice(0, 5);
    assert.ok(single.length > 0);
    for (const c of single) {
      const r = await runCli(['explain', file, '--conn', c.id, '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ExplainJson;
      const filter = `ip.addr==${c.orig_h} && ip.addr==${c.resp_h} && tcp.port==${c.orig_p} && tcp.port==${c.resp_p} && !icmp`;
      const t = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      const frames = t.stdout.split('\n').filter((l) => l !== '').map(Number);
      assert.deepEqual(out.connections[0]?.ladder.packets.map((p) => p.frame), frames, `${c.id}: ${filter}`);
    }
  });

  test('standard input, and a connection that is not there (exit 2, one line)', async () => {
    const input = readFileSync(path('long.pcap'));
    const r = await runCli(['explain', '-', '--conn', 'C1'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^C1 {2}10\.0\.0\.10:40000 → 10\.0\.1\.20:80/);
    const missing = await runCli(['explain', path('long.pcap'), '--conn', 'C99']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^whyreset: no connection C99 among the 2 TCP connections/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const bad = await runCli(['explain', path('long.pcap'), '--conn', 'nonsense']);
    assert.equal(bad.code, 2);
    const help = await runCli(['explain', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--conn ID/);
  });
});
