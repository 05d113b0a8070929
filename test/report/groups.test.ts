/**
 * The text report's groups: the same cause against the same server endpoint is one group
 * whatever the client, memory stays bounded (groups and clients per group are capped, with the
 * rest counted), and the largest group comes first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reset } from '../../src/model/report.js';
import { underParents } from '../../src/report/consequences.js';
import { CLIENTS_COUNTED, MAX_GROUPS, ResetGroups, serverOf } from '../../src/report/groups.js';
import { resetReasonHtml } from '../../src/report/html/connectionSection.js';

/** A reset from the server `10.0.0.1:port` to `client`, with cause and verdict. */
function reset(port: number, client: string, cause: Reset['cause'], verdict: Reset['verdict'] = 'genuine'): Reset {
  return {
    id: 'R1', ts: 1700000000, capture: 0, frame: 1, conn: `C${port}-${client}`, src: '10.0.0.1', sport: port, dst: client, dport: 40000, from: 'resp',
    flags: ['RST', 'ACK'], ttl: 64, ip_id: 0, seq: 0, ack: 1, win: 0, payload_len: 0, stage: 'handshake', cause, verdict, origin: 'resp',
    confidence: 0.9, evidence: [{ code: 'reply_to_syn', detail: 'x' }], signature: 'SYN→RST+ACK', hint: 'h', reason_text: null, mptcp_reason: null,
  };
}

test('serverOf: the responder of the connection, whichever side sent the RST', () => {
  assert.equal(serverOf(reset(443, '10.0.0.9', 'port_closed')), '10.0.0.1:443');
  assert.equal(serverOf({ ...reset(443, '10.0.0.9', 'port_closed'), from: 'orig', src: '10.0.0.9', sport: 40000, dst: '10.0.0.1', dport: 443 }), '10.0.0.1:443');
  assert.equal(serverOf({ ...reset(443, '2001:db8::9', 'port_closed'), src: '2001:db8::1' }), '[2001:db8::1]:443');
});

test('one group per cause and server; counts, verdicts and clients; largest first', () => {
  const g = new ResetGroups(false);
  for (let i = 0; i < 5; i++) g.add(reset(9, `10.1.0.${i}`, 'port_closed'));
  g.add(reset(9, '10.1.0.0', 'middlebox_injected', 'forged'));
  g.add(reset(80, '10.1.0.0', 'port_closed'));
  const sorted = g.sorted();
  assert.deepEqual(sorted.map((x) => [x.cause, x.server, x.count]), [['port_closed', '10.0.0.1:9', 5], ['middlebox_injected', '10.0.0.1:9', 1], ['port_closed', '10.0.0.1:80', 1]]);
  assert.equal(sorted[0]?.clients.size, 5);
  assert.deepEqual(sorted[1]?.verdicts, { genuine: 0, suspect: 0, forged: 1 });
  assert.equal(g.total, 7);
});

test('bounded: clients per group and the number of groups are capped, the rest counted', () => {
  const g = new ResetGroups(false);
  for (let i = 0; i < CLIENTS_COUNTED + 10; i++) g.add(reset(9, `10.2.${i >> 8}.${i & 255}`, 'port_closed'));
  const only = g.sorted()[0];
  assert.equal(only?.clients.size, CLIENTS_COUNTED);
  assert.equal(only?.clientsCapped, true);
  assert.equal(only?.count, CLIENTS_COUNTED + 10);
  const many = new ResetGroups(false);
  for (let port = 0; port < MAX_GROUPS + 25; port++) many.add(reset(port, '10.3.0.1', 'scan_probe'));
  assert.equal(many.size, MAX_GROUPS);
  assert.equal(many.overflow.get('scan_probe'), 25);
  assert.equal(many.total, MAX_GROUPS + 25);
});

test('after_reset consequences fold under their parent group instead of forming their own', () => {
  const g = new ResetGroups(false);
  g.add({ ...reset(80, '10.1.0.1', 'application_abort'), id: 'R7' });
  for (let i = 0; i < 3; i++) g.add({ ...reset(80, '10.1.0.1', 'after_reset'), id: `R${8 + i}`, parent: { id: 'R7', capture: 0, frame: 1 } });
  // A consequence whose parent is not known here still gets a group of its own.
  g.add({ ...reset(80, '10.1.0.1', 'after_reset'), id: 'R20', parent: { id: 'R99', capture: 0, frame: 1 } });
  const groups = g.sorted();
  assert.deepEqual(
    groups.map((x) => [x.cause, x.count, x.consequences]),
    [
      ['application_abort', 1, 3],
      ['after_reset', 1, 0],
    ],
  );
});

test('underParents lists each consequence right after its parent; the HTML marks it as one', () => {
  const root = { ...reset(80, '10.1.0.1', 'application_abort'), id: 'R1' };
  const other = { ...reset(81, '10.1.0.1', 'port_closed'), id: 'R2' };
  const follow = { ...reset(80, '10.1.0.1', 'after_reset'), id: 'R3', parent: { id: 'R1', capture: 0, frame: 1 } };
  assert.deepEqual(
    underParents([root, other, follow]).map((r) => r.id),
    ['R1', 'R3', 'R2'],
  );
  assert.match(resetReasonHtml(follow, 1700000000), /class="consequence".*Follows R1/s);
  assert.doesNotMatch(resetReasonHtml(root, 1700000000), /consequence/);
});

/** A probe's reset from `client` to `10.0.0.1:port` (stage handshake), as a closed port or the scanner sends it. */
function probeReset(port: number, client: string, cause: Reset['cause'], frame: number): Reset {
  const base = reset(port, client, cause);
  return cause === 'scan_probe'
    ? { ...base, id: `R${frame}`, frame, ts: 1700000000 + frame / 1000, from: 'orig', src: client, sport: 40000, dst: '10.0.0.1', dport: port, conn: `C${frame}` }
    : { ...base, id: `R${frame}`, frame, ts: 1700000000 + frame / 1000, conn: `C${frame}` };
}

test('a port scan is one fold: its probe resets leave their per-port groups, by cause, and other clients keep theirs', () => {
  const g = new ResetGroups(false);
  let frame = 1;
  g.add(probeReset(9, '10.9.0.7', 'port_closed', frame++));
  for (let port = 20; port < 37; port++) g.add(probeReset(port, '10.9.0.1', 'port_closed', frame++));
  g.add(probeReset(9, '10.9.0.1', 'port_closed', frame++));
  for (const port of [22, 80, 443]) g.add(probeReset(port, '10.9.0.1', 'scan_probe', frame++));
  g.add({ ...probeReset(80, '10.9.0.1', 'application_abort', frame++), stage: 'data' });
  const view = g.view(new Set(['10.9.0.1']));
  assert.equal(view.scans.length, 1);
  const scan = view.scans[0];
  assert.equal(scan?.source, '10.9.0.1');
  assert.equal(scan?.resets.count, 21);
  assert.deepEqual([...(scan?.byCause ?? [])], [['port_closed', 18], ['scan_probe', 3]]);
  assert.deepEqual(scan?.serversByCause.get('scan_probe'), ['10.0.0.1:22', '10.0.0.1:80', '10.0.0.1:443']);
  assert.deepEqual(scan?.resets.frames, ['2', '3', '4', '5', '6']);
  // Left: the other client's reset on port 9, and the scanner's reset of a connection that carried data (not a probe).
  assert.deepEqual(view.groups.map((x) => [x.cause, x.server, x.count]), [['port_closed', '10.0.0.1:9', 1], ['application_abort', '10.0.0.1:80', 1]]);
  assert.equal(view.groups[0]?.clients.size, 1);
  // Without the scan named, every reset is in its cause-and-server group as before.
  const plain = g.sorted();
  assert.equal(plain.reduce((n, x) => n + x.count, 0), 23);
  assert.deepEqual(plain[0] && [plain[0].server, plain[0].count, plain[0].clients.size], ['10.0.0.1:9', 2, 2]);
});

test('probe resets kept apart per client merge back in report order: examples, hint and clients as one group had them', () => {
  const g = new ResetGroups(false);
  const order: string[] = [];
  for (let i = 0; i < 12; i++) {
    const client = `10.4.0.${i % 3}`;
    const r = { ...probeReset(9, client, 'port_closed', 100 + i), hint: `hint ${i}` };
    // Every fourth one is not a probe (stage data): it goes straight to the shared group.
    g.add(i % 4 === 3 ? { ...r, stage: 'data' } : r);
    order.push(String(100 + i));
  }
  const only = g.sorted();
  assert.equal(only.length, 1);
  assert.deepEqual(only[0]?.frames, order.slice(0, 5));
  assert.deepEqual(only[0]?.conns, order.slice(0, 5).map((f) => `C${f}`));
  assert.equal(only[0]?.hint, 'hint 0');
  assert.equal(only[0]?.count, 12);
  assert.equal(only[0]?.clients.size, 3);
});

test('a run of resets with the same server, cause and probing client goes to the group the first found: the same groups as one lookup per reset', async () => {
  const { xorshift32 } = await import('../helpers/random.js');
  const next = xorshift32(29);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const fast = new ResetGroups(false);
  const slow = new ResetGroups(false);
  // Runs of equal resets (a flood), probe and non-probe stages, a slot past CLIENTS_COUNTED
  // probing clients (its later clients share one group), groups past MAX_GROUPS (overflow), parents.
  let prev: Reset | null = null;
  // Most of MAX_GROUPS taken first, one group each, so that the random part overflows.
  for (let i = 0; i < MAX_GROUPS - 8000; i++) {
    const r = { ...reset(i, '10.3.0.1', 'scan_probe'), id: `Q${i}` };
    fast.add(r);
    slow.add(r);
  }
  for (let i = 1; i <= 60_000; i++) {
    const port = next() < 0.3 ? 22 : next() < 0.5 ? pick([80, 443, 8080]) : 1024 + Math.floor(next() * 64_000);
    const client = port === 22 ? `10.9.${Math.floor(next() * 3)}.${Math.floor(next() * 40)}` : pick(['10.1.0.1', '10.1.0.2']);
    let r: Reset = { ...reset(port, client, pick(['port_closed', 'firewall_reject', 'middlebox_injected'] as const), pick(['genuine', 'forged'] as const)), id: `R${i}`, frame: i };
    if (next() < 0.2) r.stage = 'data';
    if (next() < 0.05 && i > 1) r = { ...r, cause: 'after_reset', parent: { id: `R${i - 1 - Math.floor(next() * 3)}`, capture: 0, frame: 1 } };
    if (prev !== null && next() < 0.6) r = { ...prev, id: `R${i}`, frame: i, ts: prev.ts + 0.001 };
    fast.add(r);
    // Forgotten before each reset: every reset looked up.
    (slow as unknown as { lastGroup: unknown }).lastGroup = undefined;
    slow.add(r);
    prev = r;
  }
  const view = (g: ResetGroups) =>
    g.view(new Set(['10.9.0.1'])).groups.map((x) => [x.cause, x.server, x.client, x.count, x.consequences, x.verdicts, x.frames, x.conns, [...x.clients], x.clientsCapped, [...x.evidence]]);
  assert.deepEqual(view(fast), view(slow));
  assert.ok(fast.size === MAX_GROUPS && fast.overflow.size > 0, `groups overflowed (${fast.size}, ${fast.overflow.size})`);
  assert.ok(fast.sorted().some((x) => x.clientsCapped), 'a group capped its clients');
  assert.ok(fast.sorted().some((x) => x.consequences > 0), 'consequences folded');
});
