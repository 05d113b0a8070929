/**
 * What explain builds once and shares between resets (issue 13: flat cost per reset): the last
 * hint, the flag lists, the fixed-text forgery evidence, and the timeline read in place. Shared
 * must never mean stale: each test changes the facts between calls and checks the text follows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/decode/packet.js';
import { type HintFacts, hintFor } from '../../src/explain/hints.js';
import { flagNames } from '../../src/explain/resetFields.js';
import { timelineOf } from '../../src/explain/timeline.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../../src/track/finished.js';

function facts(over: Partial<HintFacts> = {}): HintFacts {
  return {
    cause: 'port_closed',
    verdict: 'genuine',
    origin: 'resp',
    client: '10.0.0.1',
    server: '198.51.100.10',
    serverPort: 443,
    claimedSender: '198.51.100.10',
    hopsCloser: null,
    reasonText: null,
    ...over,
  };
}

test('hintFor: a repeated fact set shares the text; any changed fact builds the new one', () => {
  const first = hintFor(facts());
  assert.equal(first, 'Nothing listens on 198.51.100.10:443: check the service and `ss -ltn` on 198.51.100.10.');
  assert.equal(hintFor(facts()), first);
  assert.equal(hintFor(facts({ serverPort: 80 })), 'Nothing listens on 198.51.100.10:80: check the service and `ss -ltn` on 198.51.100.10.');
  assert.match(hintFor(facts({ reasonText: 'policy' })), /The RST itself says "policy"\.$/);
  assert.match(hintFor(facts({ cause: 'scan_probe' })), /^10\.0\.0\.1 probed 198\.51\.100\.10:443/);
  assert.match(hintFor(facts({ cause: 'scan_probe', client: '10.0.0.2' })), /^10\.0\.0\.2 probed/);
  assert.match(hintFor(facts({ cause: 'firewall_reject', verdict: 'forged', origin: 'middlebox', hopsCloser: 2 })), /\(2 hops from the server\)/);
  assert.match(hintFor(facts({ cause: 'firewall_reject', verdict: 'forged', origin: 'middlebox', hopsCloser: 1 })), /\(1 hop from the server\)/);
});

test('hintFor: one facts object rewritten between calls (as explainReset does) still gets its own text', () => {
  const f = facts();
  const a = hintFor(f);
  f.server = '192.0.2.7';
  const b = hintFor(f);
  assert.notEqual(a, b);
  assert.match(b, /^Nothing listens on 192\.0\.2\.7:443/);
  f.server = '198.51.100.10';
  assert.equal(hintFor(f), a);
});

test('hintFor: a hint naming its parent reset is built for that parent, never shared', () => {
  const one = hintFor(facts({ cause: 'after_reset', parent: { id: 'R1', capture: 0, frame: 3 }, parentHint: 'Look here.' }));
  const two = hintFor(facts({ cause: 'after_reset', parent: { id: 'R7', capture: 0, frame: 9 }, parentHint: 'Look here.' }));
  assert.match(one, /A consequence of R1 \(frame 3\)/);
  assert.match(two, /A consequence of R7 \(frame 9\)/);
});

test('flagNames: one frozen list per combination, in bit order', () => {
  const rstAck = flagNames(TCP_RST | TCP_ACK);
  assert.deepEqual(rstAck, ['RST', 'ACK']);
  assert.equal(flagNames(TCP_RST | TCP_ACK), rstAck);
  assert.ok(Object.isFrozen(rstAck));
  assert.throws(() => rstAck.push('FIN'));
  assert.deepEqual(flagNames(TCP_SYN | TCP_RST), ['SYN', 'RST']);
  assert.deepEqual(flagNames(0), []);
  assert.deepEqual(flagNames(0x100), ['NS']);
});

type P = Pick<PacketRecord, 'frame' | 'ts' | 'direction' | 'flags' | 'payloadLen'>;

function pkt(frame: number, direction: 'orig' | 'resp', flags: number): P {
  return { frame, ts: 100 + frame / 100, direction, flags, payloadLen: 0 };
}

test('timelineOf: the packets before a RST read in place, in or out of capture order', () => {
  const rst = pkt(3, 'resp', TCP_RST | TCP_ACK) as unknown as RstRecord;
  const inOrder = [pkt(1, 'orig', TCP_SYN), pkt(2, 'orig', TCP_SYN), rst as unknown as P, pkt(4, 'orig', TCP_ACK)];
  const t = timelineOf({ packets: inOrder } as unknown as FinishedConnection, rst);
  assert.equal(t.upTo, inOrder, 'in capture order: the connection\'s own list, not a copy');
  assert.equal(t.beforeCount, 2);
  assert.equal(t.trigger?.frame, 2);
  assert.deepEqual(t.after.map((p) => p.frame), [4]);
  // A list out of capture order (a merged capture) is split by frame, as before.
  const shuffled = [pkt(4, 'orig', TCP_ACK), pkt(1, 'orig', TCP_SYN), rst as unknown as P, pkt(2, 'orig', TCP_SYN)];
  const u = timelineOf({ packets: shuffled } as unknown as FinishedConnection, rst);
  assert.deepEqual(u.upTo.slice(0, u.beforeCount).map((p) => p.frame), [1, 2]);
  assert.equal(u.trigger?.frame, 2);
  assert.deepEqual(u.after.map((p) => p.frame), [4]);
});

test('hintFor: a refused SYN of another client gets the server\'s hint again; a hint naming the client does not', () => {
  // The last hint is a different cause's first, so that the port_closed one below is built anew;
  // the next one (another client, verdict and hop count: facts port_closed's text never reads)
  // is the last one served again, and must read the same.
  hintFor(facts({ cause: 'scan_probe' }));
  const first = hintFor(facts({ client: '10.0.0.7', claimedSender: '198.51.100.10' }));
  assert.equal(hintFor(facts({ client: '10.0.0.8', verdict: 'suspect', hopsCloser: 3 })), first);
  assert.equal(hintFor(facts({ cause: 'accept_queue_overflow', client: '10.0.0.9' })), hintFor(facts({ cause: 'accept_queue_overflow', client: '10.0.0.1', verdict: 'forged' })));
  assert.equal(first, 'Nothing listens on 198.51.100.10:443: check the service and `ss -ltn` on 198.51.100.10.');
  const scan = hintFor(facts({ cause: 'scan_probe', client: '10.0.0.7' }));
  assert.match(hintFor(facts({ cause: 'scan_probe', client: '10.0.0.8' })), /^10\.0\.0\.8 probed/);
  assert.match(scan, /^10\.0\.0\.7 probed/);
});
