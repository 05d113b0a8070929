/**
 * Correlation's own findings, as users read them: the hint names where the capture points proved
 * a reset was made (the router between two points, or the stretch between two points), not "a
 * device between the hosts"; and reset ids run R1, R2, … in time order, in the listing, the
 * connections and the ladders, as a single capture's do in frame order.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Connection, Ladder, Reset } from '../../src/model/report.js';
import { renumberInTimeOrder, runCorrelation } from '../../src/pipeline/runCorrelation.js';
import { type PathPacket, conversation, pathCaptures } from '../helpers/pathCapture.js';
import { REPO_ROOT, tempDir } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const tmp = tempDir('whyreset-proven-');
after(() => tmp.remove());

/** Correlates the files and collects what the sink got. */
async function correlate(paths: string[]) {
  const resets: Reset[] = [];
  const connections: Connection[] = [];
  const ladders: Ladder[] = [];
  await runCorrelation(paths, { ladders: true }, { reset: (r) => resets.push(r), connection: (c) => connections.push(c), pattern() {}, ladder: (l) => ladders.push(l) });
  return { resets, connections, ladders };
}

test('a RST that left the router without arriving: the hint names that router and its neighbours on the path', async () => {
  const { resets } = await correlate([join(LAB, 'middlebox-injection.client.pcap'), join(LAB, 'middlebox-injection.router.pcap')]);
  assert.equal(resets.length, 6);
  for (const r of resets) {
    const ends = r.src === '10.77.2.2' ? '10.77.2.2 and middlebox-injection.client' : 'middlebox-injection.client and 10.77.2.2';
    assert.equal(r.hint?.startsWith(`Made by the router where middlebox-injection.router was captured, between ${ends}, in ${r.src}'s name`), true, r.hint ?? '');
    assert.doesNotMatch(r.hint ?? '', /between 10\.77\.1\.2 and 10\.77\.2\.2/);
  }
  const reject = await correlate([join(LAB, 'firewall-reject-iptables.client.pcap'), join(LAB, 'firewall-reject-iptables.router.pcap')]);
  assert.match(reject.resets[0]?.hint ?? '', /^Made by the router where firewall-reject-iptables\.router was captured, .*a reject rule for port 8080/);
});

test('a RST first seen at the router and never at the server side: the hint names that stretch of the path', async () => {
  // Forged at the router in the server's name, with the server's TTL: the server side carried the connection but never saw it.
  const conv = conversation();
  const last = conv[conv.length - 1] as PathPacket;
  const caps = pathCaptures([...conv, { t: last.t + 0.005, by: 'router', to: 'client', flags: 0x04, seq: 6001, ack: 0, id: 703, ttl: 127 }], { router: 'client-side' });
  const dir = join(tmp.dir, 'between');
  mkdirSync(dir, { recursive: true });
  const paths = (['client', 'router', 'server'] as const).map((p) => {
    writeFileSync(join(dir, `${p}.pcap`), caps[p]);
    return join(dir, `${p}.pcap`);
  });
  const { resets } = await correlate(paths);
  assert.equal(resets[0]?.verdict, 'forged');
  assert.match(resets[0]?.hint ?? '', /^Made between server and router, in 10\.0\.2\.2's name \(server carried this traffic but never saw it; router did\): look on that stretch/);
});

test('correlated reset ids run R1, R2, … in time order: listing, connections and ladders agree', async () => {
  const { resets, connections, ladders } = await correlate([join(LAB, 'middlebox-injection.client.pcap'), join(LAB, 'middlebox-injection.router.pcap')]);
  assert.deepEqual(
    resets.map((r) => r.id),
    resets.map((_, i) => `R${i + 1}`),
  );
  for (let i = 1; i < resets.length; i++) assert.ok((resets[i]?.ts as number) >= (resets[i - 1]?.ts as number));
  const ids = new Set(resets.map((r) => r.id));
  for (const c of connections) for (const id of c.resets) assert.ok(ids.has(id), `connection ${c.id} names ${id}`);
  const drawn = ladders.flatMap((l) => l.packets.filter((p) => p.reset !== null).map((p) => p.reset as string));
  assert.ok(drawn.length > 0);
  for (const id of drawn) assert.ok(ids.has(id), `a ladder names ${id}`);
});

test('renumbering follows parents and aliases: a consequence names its parent by the new id', () => {
  const base = { ts: 1, capture: 0, frame: 1, hint: null, evidence: [] } as unknown as Reset;
  const parent = { ...base, id: 'R7' };
  const child = { ...base, id: 'R3', parent: { id: 'R9', capture: 1, frame: 4 }, hint: 'A consequence of R9 (frame 4): look at R9 instead.', evidence: [{ code: 'after_reset', detail: 'after reset R9 (frame 4)' }] };
  // R9 is another point's sighting of R7.
  const finalOf = renumberInTimeOrder([parent, child], new Map([['R9', 'R7']]));
  assert.deepEqual([parent.id, child.id], ['R1', 'R2']);
  assert.equal(child.parent?.id, 'R1');
  assert.equal(child.hint, 'A consequence of R1 (frame 4): look at R1 instead.');
  assert.equal(child.evidence[0]?.detail, 'after reset R1 (frame 4)');
  assert.deepEqual([...finalOf], [['R7', 'R1'], ['R3', 'R2'], ['R9', 'R1']]);
});
