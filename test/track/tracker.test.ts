/**
 * Tracker state-machine tests. Expected conn_state/history values follow Zeek's rules
 * (TCPSessionAdapter.cc, conn/main.zeek); where a Zeek btest baseline shows the same pattern it
 * is cited.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureRecord } from '../../src/capture/record.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { Tracker } from '../../src/track/tracker.js';
import { type TestPacket, c2s, fill, run, s2c, summary } from './packets.js';

const ISN_C = 1000;
const ISN_S = 5000;
/** The three-way handshake at t = 0, 0.01, 0.02. */
const hs = (): TestPacket[] => [
  c2s({ ts: 0, flags: 'S', seq: ISN_C }),
  s2c({ ts: 0.01, flags: 'SA', seq: ISN_S, ack: ISN_C + 1 }),
  c2s({ ts: 0.02, flags: 'A', seq: ISN_C + 1, ack: ISN_S + 1 }),
];
const one = (pk: TestPacket[]) => {
  const r = run(pk);
  assert.equal(r.length, 1, `one connection expected, got ${summary(r).join(' | ')}`);
  return r[0] as FinishedConnection;
};

describe('conn_state: one sequence per value', () => {
  it('S0: SYN, no reply', () => assert.deepEqual(summary(run([c2s({ ts: 0, flags: 'S', seq: 1 })])), ['S0 S']));
  it('S1: handshake, not closed', () => assert.deepEqual(summary(run(hs())), ['S1 ShA']));
  it('SF: normal establishment and termination', () => {
    const c = one([
      ...hs(),
      c2s({ ts: 0.03, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 10 }),
      s2c({ ts: 0.04, flags: 'A', seq: ISN_S + 1, ack: ISN_C + 11 }),
      s2c({ ts: 0.05, flags: 'PA', seq: ISN_S + 1, ack: ISN_C + 11, len: 20 }),
      c2s({ ts: 0.06, flags: 'FA', seq: ISN_C + 11, ack: ISN_S + 21 }),
      s2c({ ts: 0.07, flags: 'FA', seq: ISN_S + 21, ack: ISN_C + 12 }),
      c2s({ ts: 0.08, flags: 'A', seq: ISN_C + 12, ack: ISN_S + 22 }),
    ]);
    assert.equal(`${c.connState} ${c.history}`, 'SF ShADadFf');
    assert.equal(c.orig.size, 10);
    assert.equal(c.resp.size, 20);
    // Zeek's duration leaves out the final ACK after both FINs (conn/main.zeek note).
    assert.ok(Math.abs(c.lastTs - c.startTs - 0.07) < 1e-9);
    assert.equal(c.orig.pkts, 5);
    assert.equal(c.resp.pkts, 4);
    assert.equal(c.orig.ipBytes, 5 * 40 + 10);
  });
  it('REJ: SYN answered by RST', () =>
    assert.deepEqual(summary(run([c2s({ ts: 0, flags: 'S', seq: 1 }), s2c({ ts: 0.01, flags: 'RA', ack: 2 })])), ['REJ Sr']));
  it('S2: originator closed, no reply', () =>
    assert.deepEqual(summary(run([...hs(), c2s({ ts: 0.1, flags: 'FA', seq: ISN_C + 1, ack: ISN_S + 1 })])), ['S2 ShAF']));
  it('S3: responder closed, no reply', () =>
    assert.deepEqual(summary(run([...hs(), s2c({ ts: 0.1, flags: 'FA', seq: ISN_S + 1, ack: ISN_C + 1 })])), ['S3 ShAf']));
  it('RSTO: established, originator aborted', () =>
    assert.deepEqual(summary(run([...hs(), c2s({ ts: 0.1, flags: 'R', seq: ISN_C + 1 })])), ['RSTO ShAR']));
  it('RSTR: established, responder aborted', () =>
    assert.deepEqual(summary(run([...hs(), s2c({ ts: 0.1, flags: 'RA', seq: ISN_S + 1, ack: ISN_C + 1 })])), ['RSTR ShAr']));
  it('RSTOS0: SYN then RST from the originator, no SYN-ACK', () =>
    assert.deepEqual(summary(run([c2s({ ts: 0, flags: 'S', seq: 1 }), c2s({ ts: 0.5, flags: 'R', seq: 2 })])), ['RSTOS0 SR']));
  it('RSTRH: SYN-ACK then RST from the responder, no SYN seen', () =>
    assert.deepEqual(
      summary(run([s2c({ ts: 0, flags: 'SA', seq: 9, ack: 2 }), s2c({ ts: 0.5, flags: 'R', seq: 10 })])),
      ['RSTRH ^hr'],
    ));
  it('SH: SYN then FIN from the originator', () =>
    assert.deepEqual(summary(run([c2s({ ts: 0, flags: 'S', seq: 1 }), c2s({ ts: 0.5, flags: 'F', seq: 2 })])), ['SH SF']));
  it('SHR: SYN-ACK then FIN from the responder', () =>
    assert.deepEqual(
      summary(run([s2c({ ts: 0, flags: 'SA', seq: 9, ack: 2 }), s2c({ ts: 0.5, flags: 'FA', seq: 10, ack: 2 })])),
      ['SHR ^hf'],
    ));
  it('OTH: midstream traffic', () =>
    assert.deepEqual(
      summary(
        run([
          c2s({ ts: 0, flags: 'PA', seq: 100, ack: 900, len: 5 }),
          s2c({ ts: 0.01, flags: 'PA', seq: 900, ack: 105, len: 7 }),
          c2s({ ts: 0.02, flags: 'A', seq: 105, ack: 907 }),
        ]),
      ),
      ['OTH DdA'],
    ));
  it('a lone SYN-ACK from a server port is flipped: OTH ^h (Zeek baseline core.tcp.rxmit-history)', () =>
    assert.deepEqual(summary(run([s2c({ ts: 0, flags: 'SA', seq: 9, ack: 2 })])), ['OTH ^h']));
});

describe('endpoint state: inactive', () => {
  it('missing SYN: SYN-ACK first, then the client ACK establishes (baseline core.tcp.missing-syn ^hADdFaf)', () => {
    const c = one([
      s2c({ ts: 0, flags: 'SA', seq: ISN_S, ack: ISN_C + 1 }),
      c2s({ ts: 0.01, flags: 'A', seq: ISN_C + 1, ack: ISN_S + 1 }),
      c2s({ ts: 0.02, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 98 }),
      s2c({ ts: 0.03, flags: 'PA', seq: ISN_S + 1, ack: ISN_C + 99, len: 100 }),
      c2s({ ts: 0.04, flags: 'FA', seq: ISN_C + 99, ack: ISN_S + 101 }),
      s2c({ ts: 0.05, flags: 'A', seq: ISN_S + 101, ack: ISN_C + 100 }),
      s2c({ ts: 0.06, flags: 'FA', seq: ISN_S + 101, ack: ISN_C + 100 }),
    ]);
    assert.equal(`${c.connState} ${c.history}`, 'SF ^hADdFaf');
    assert.equal(c.origAddr, '10.0.0.1');
    assert.equal(c.respPort, 80);
    assert.equal(c.orig.size, 98);
    assert.equal(c.resp.size, 100);
  });
  it('a RST with no prior packets from either side is a spontaneous_RST (OTH)', () => {
    const c = one([c2s({ ts: 0, flags: 'R', seq: 77 })]);
    assert.equal(`${c.connState} ${c.history}`, 'OTH R');
    assert.ok(c.weirds.includes('spontaneous_RST'));
  });
  it('SYN with RST is multi-flag (Q) and a TCP_christmas weird', () => {
    const c = one([c2s({ ts: 0, flags: 'SR', seq: 1 })]);
    assert.equal(c.history, 'Q');
    assert.ok(c.weirds.includes('TCP_christmas'));
  });
  it('FIN+RST is I', () => assert.equal(one([...hs(), c2s({ ts: 1, flags: 'FRA', seq: ISN_C + 1, ack: ISN_S + 1 })]).history, 'ShAI'));
  it('data from a non-server port to a server port is not flipped', () =>
    assert.equal(one([c2s({ ts: 0, flags: 'PA', seq: 5, ack: 9, len: 3 })]).origPort, 40000));
  it('data from a server port is flipped (^)', () => {
    const c = one([s2c({ ts: 0, flags: 'PA', seq: 5, ack: 9, len: 3 })]);
    assert.equal(c.history, '^d');
    assert.equal(c.origPort, 40000);
    assert.equal(c.resp.pkts, 1);
  });
  // TCP_Endpoint::CheckHistory: a connection that began with a SYN-ACK WantConnection did not flip
  // (both ports unregistered here) flips on its first pure ACK or data, from either side.
  const synAckFirst = { ts: 0, src: '10.0.0.2', sport: 5555, dst: '10.0.0.1', dport: 6666, flags: 'SA', seq: 9000, ack: 101 };
  it('SYN-ACK first, then the peer ACKs: flipped on the ACK, history ^hA, the ACK counted on its new role', () => {
    const r = run([synAckFirst, { ts: 0.001, src: '10.0.0.1', sport: 6666, dst: '10.0.0.2', dport: 5555, flags: 'A', seq: 101, ack: 9001 }]);
    assert.deepEqual(summary(r), ['OTH ^hA']);
    assert.equal(r[0]?.origPort, 6666);
    assert.equal(r[0]?.orig.pkts, 1);
    assert.equal(r[0]?.resp.pkts, 1);
  });
  it('SYN-ACK first, then data from the SYN-ACK sender itself: flipped too, ^hd', () => {
    const r = run([synAckFirst, { ...synAckFirst, ts: 0.001, flags: 'PA', seq: 9001, len: 10 }]);
    assert.deepEqual(summary(r), ['OTH ^hd']);
    assert.equal(r[0]?.respPort, 5555);
  });
  it('SYN-ACK first, then a RST (a stealth scan answered): not flipped, Hr', () => {
    const r = run([synAckFirst, { ts: 0.001, src: '10.0.0.1', sport: 6666, dst: '10.0.0.2', dport: 5555, flags: 'R', seq: 101 }]);
    assert.deepEqual(summary(r), ['REJ Hr']);
    assert.equal(r[0]?.origPort, 5555);
    assert.equal(r[0]?.flipped, false);
  });
  it('data between two likely server ports flips only towards the higher port (WantConnection: src < dst)', () => {
    const low = run([{ ts: 0, src: '10.0.0.2', sport: 80, dst: '10.0.0.1', dport: 443, flags: 'PA', seq: 5, ack: 9, len: 3 }]);
    assert.deepEqual([low[0]?.origPort, low[0]?.history], [443, '^d']);
    const high = run([{ ts: 0, src: '10.0.0.1', sport: 443, dst: '10.0.0.2', dport: 80, flags: 'PA', seq: 5, ack: 9, len: 3 }]);
    assert.deepEqual([high[0]?.origPort, high[0]?.history], [443, 'D']);
  });
  it('data between two ports above 1024 that are not likely servers is not flipped', () => {
    const r = run([{ ts: 0, src: '10.0.0.2', sport: 50000, dst: '10.0.0.1', dport: 40000, flags: 'PA', seq: 5, ack: 9, len: 3 }]);
    assert.deepEqual([r[0]?.origPort, r[0]?.history], [50000, 'D']);
  });
  it('SYN/SYN-ACK reversal flips the roles after the fact: Hs^ (TCPSessionAdapter::UpdateInactiveState)', () => {
    // Both ports unregistered, so the SYN-ACK seen first is not flipped by WantConnection.
    const r = run([
      { ts: 0, src: '10.0.0.2', sport: 5555, dst: '10.0.0.1', dport: 6666, flags: 'SA', seq: 9000, ack: 101 },
      { ts: 0.001, src: '10.0.0.1', sport: 6666, dst: '10.0.0.2', dport: 5555, flags: 'S', seq: 100 },
    ]);
    assert.deepEqual(summary(r), ['S1 Hs^']);
    assert.equal(r[0]?.origPort, 6666);
    assert.equal(r[0]?.flipped, true);
  });
});

describe('endpoint state: syn_sent', () => {
  it('SYN retransmissions with the same ISN add no letters', () => {
    const c = one([c2s({ ts: 0, flags: 'S', seq: 1 }), c2s({ ts: 1, flags: 'S', seq: 1 }), c2s({ ts: 3, flags: 'S', seq: 1 })]);
    assert.equal(`${c.connState} ${c.history}`, 'S0 S');
    assert.equal(c.orig.pkts, 3);
  });
  it('a SYN with a new ISN is a new connection (IsReuse: SYN_seq_jump)', () =>
    assert.deepEqual(summary(run([c2s({ ts: 0, flags: 'S', seq: 1 }), c2s({ ts: 1, flags: 'S', seq: 99999 })])), ['S0 S', 'S0 S']));
  it('the attempt timer removes an unanswered SYN after tcp_attempt_delay; the next retry starts over', () => {
    const r = run([
      c2s({ ts: 0, flags: 'S', seq: 1 }),
      c2s({ ts: 1, flags: 'S', seq: 1 }),
      c2s({ ts: 3, flags: 'S', seq: 1 }),
      c2s({ ts: 7, flags: 'S', seq: 1 }),
    ]);
    assert.deepEqual(summary(r), ['S0 S', 'S0 S']);
    assert.equal(r[0]?.endReason, 'attempt');
    assert.equal(r[0]?.orig.pkts, 3);
    assert.equal(r[1]?.id, 'C2');
  });
  it('data before the handshake completes is a weird', () =>
    assert.ok(one([c2s({ ts: 0, flags: 'S', seq: 1 }), c2s({ ts: 0.1, flags: 'PA', seq: 2, len: 5 })]).weirds.includes('data_before_established')));
});

describe('endpoint state: established', () => {
  it('repeated RSTs with shifted sequence numbers repeat r (RST injection pattern)', () =>
    assert.deepEqual(
      summary(
        run([
          ...hs(),
          s2c({ ts: 0.1, flags: 'R', seq: ISN_S + 1 }),
          s2c({ ts: 0.1001, flags: 'R', seq: ISN_S + 1 + 1460 }),
          s2c({ ts: 0.1002, flags: 'R', seq: ISN_S + 1 + 2920 }),
        ]),
      ),
      ['RSTR ShArrr'],
    ));
  it('a repeated RST with the same sequence number adds no letter', () =>
    assert.deepEqual(
      summary(run([...hs(), c2s({ ts: 0.1, flags: 'R', seq: ISN_C + 1 }), c2s({ ts: 0.2, flags: 'R', seq: ISN_C + 1 })])),
      ['RSTO ShAR'],
    ));
  it('retransmissions are logarithmic: T at the 1st and 10th', () => {
    const pk = [...hs(), c2s({ ts: 0.1, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 10 })];
    for (let i = 0; i < 10; i++) pk.push(c2s({ ts: 0.2 + i * 0.1, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 10 }));
    const c = one(pk);
    assert.equal(c.history, 'ShADTT');
    assert.equal(c.orig.retransmissions, 10);
  });
  it('zero windows are logarithmic: W at the 1st, 10th, 100th', () => {
    const pk = hs();
    for (let i = 0; i < 100; i++) pk.push(s2c({ ts: 0.1 + i * 0.001, flags: 'A', seq: ISN_S + 1, ack: ISN_C + 1, win: 0 }));
    assert.equal(one(pk).history, 'ShAawww');
  });
  it('an ack beyond the data seen is a content gap: G and missed_bytes', () => {
    const c = one([
      ...hs(),
      c2s({ ts: 0.1, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 100 }),
      s2c({ ts: 0.2, flags: 'A', seq: ISN_S + 1, ack: ISN_C + 1 + 1000 }),
    ]);
    assert.equal(c.history, 'ShADaG');
    assert.equal(c.missedBytes, 900);
    assert.equal(c.missedBytes, 900);
  });
  it('payload cut by the snaplen never reaches the reassembler: the ack reveals a gap', () => {
    const c = one([
      ...hs(),
      c2s({ ts: 0.1, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 100, captured: 10 }),
      s2c({ ts: 0.2, flags: 'A', seq: ISN_S + 1, ack: ISN_C + 101 }),
    ]);
    assert.equal(c.history, 'ShADaG');
    assert.equal(c.missedBytes, 100);
  });
  it('bytes are counted in sequence space across a wrap', () => {
    const isn = 4294967000;
    const c = one([
      c2s({ ts: 0, flags: 'S', seq: isn }),
      s2c({ ts: 0.01, flags: 'SA', seq: ISN_S, ack: (isn + 1) >>> 0 }),
      c2s({ ts: 0.02, flags: 'A', seq: (isn + 1) >>> 0, ack: ISN_S + 1 }),
      c2s({ ts: 0.03, flags: 'PA', seq: (isn + 1) >>> 0, ack: ISN_S + 1, len: 600 }),
      c2s({ ts: 0.04, flags: 'PA', seq: (isn + 601) >>> 0, ack: ISN_S + 1, len: 600 }),
      s2c({ ts: 0.05, flags: 'A', seq: ISN_S + 1, ack: (isn + 1201) >>> 0 }),
      c2s({ ts: 0.06, flags: 'FA', seq: (isn + 1201) >>> 0, ack: ISN_S + 1 }),
      s2c({ ts: 0.07, flags: 'FA', seq: ISN_S + 1, ack: (isn + 1202) >>> 0 }),
    ]);
    assert.equal(c.orig.size, 1200);
    assert.equal(c.connState, 'SF');
    assert.equal(c.history, 'ShADaFf');
  });
  it('data after the sender reset is a weird (data_after_reset), history unchanged', () => {
    const c = one([...hs(), s2c({ ts: 0.1, flags: 'R', seq: ISN_S + 1 }), s2c({ ts: 0.11, flags: 'PA', seq: ISN_S + 1, ack: ISN_C + 1, len: 5 })]);
    assert.equal(c.history, 'ShArd');
    assert.ok(c.weirds.includes('data_after_reset'));
  });
});

describe('endpoint state: closed', () => {
  it('a RST after both FINs leaves SF', () =>
    assert.deepEqual(
      summary(
        run([
          ...hs(),
          c2s({ ts: 0.1, flags: 'FA', seq: ISN_C + 1, ack: ISN_S + 1 }),
          s2c({ ts: 0.11, flags: 'FA', seq: ISN_S + 1, ack: ISN_C + 2 }),
          c2s({ ts: 0.12, flags: 'R', seq: ISN_C + 2 }),
        ]),
      ),
      ['SF ShAFfR'],
    ));
  it('FIN then RST from one side, then the other side closes: SF ShAFRfr (baseline core.tcp.fin-rst-timeout)', () =>
    assert.deepEqual(
      summary(
        run([
          ...hs(),
          c2s({ ts: 0.1, flags: 'FA', seq: ISN_C + 1, ack: ISN_S + 1 }),
          c2s({ ts: 0.11, flags: 'RA', seq: ISN_C + 2, ack: ISN_S + 1 }),
          s2c({ ts: 0.12, flags: 'FA', seq: ISN_S + 1, ack: ISN_C + 2 }),
          s2c({ ts: 0.13, flags: 'R', seq: ISN_S + 2 }),
        ]),
      ),
      ['SF ShAFRfr'],
    ));
  it('FIN then RST from the originator only is RSTO', () =>
    assert.deepEqual(
      summary(run([...hs(), c2s({ ts: 0.1, flags: 'FA', seq: ISN_C + 1, ack: ISN_S + 1 }), c2s({ ts: 0.11, flags: 'RA', seq: ISN_C + 2, ack: ISN_S + 1 })])),
      ['RSTO ShAFR'],
    ));
  it('a new SYN on a closed tuple starts a new connection', () => {
    const r = run([
      ...hs(),
      c2s({ ts: 0.1, flags: 'FA', seq: ISN_C + 1, ack: ISN_S + 1 }),
      s2c({ ts: 0.11, flags: 'FA', seq: ISN_S + 1, ack: ISN_C + 2 }),
      c2s({ ts: 0.12, flags: 'A', seq: ISN_C + 2, ack: ISN_S + 2 }),
      c2s({ ts: 1, flags: 'S', seq: 777777 }),
      s2c({ ts: 1.01, flags: 'SA', seq: 888888, ack: 777778 }),
    ]);
    assert.deepEqual(summary(r), ['SF ShAFf', 'S1 Sh']);
    assert.equal(r[0]?.endReason, 'reused');
    assert.equal(r[1]?.reusedTuple, true);
  });
});

describe('endpoint state: reset', () => {
  it('a reset connection keeps late packets for tcp_close_delay, then expires', () => {
    const r = run([...hs(), s2c({ ts: 1, flags: 'R', seq: ISN_S + 1 }), c2s({ ts: 3, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 4 }), c2s({ ts: 7, flags: 'PA', seq: ISN_C + 5, ack: ISN_S + 1, len: 4 })]);
    assert.deepEqual(summary(r), ['RSTR ShArD', 'OTH D']);
    assert.equal(r[0]?.endReason, 'closed');
  });
});

describe('expiry by capture time', () => {
  it('the inactivity timeout finishes an idle connection', () => {
    const r = run([...hs(), c2s({ ts: 400, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 3 })]);
    assert.deepEqual(summary(r), ['S1 ShA', 'OTH D']);
    assert.equal(r[0]?.endReason, 'inactivity');
  });
  it('the timeout is configurable', () => {
    const r = run([...hs(), c2s({ ts: 40, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 3 })], { inactivityTimeout: 30 });
    assert.equal(r.length, 2);
  });
  it('finish() emits live connections in order of first packet', () => {
    const r = run([
      { ts: 0, src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 80, flags: 'S', seq: 1 },
      { ts: 0.1, src: '10.0.0.1', sport: 2, dst: '10.0.0.2', dport: 80, flags: 'S', seq: 1 },
    ]);
    assert.deepEqual(
      r.map((c) => c.id),
      ['C1', 'C2'],
    );
  });
  it('ids carry the capture index when it is not 0', () => {
    const r = run([c2s({ ts: 0, flags: 'S', seq: 1 })], { captureIndex: 2 });
    assert.equal(r[0]?.id, 'C2-1');
  });
});

describe('IPv6', () => {
  it('every packet of many IPv6 connections finds its connection (hash is direction-free and unsigned)', () => {
    const pk: TestPacket[] = [];
    for (let i = 0; i < 200; i++) {
      const a = `fd77::${(i + 1).toString(16)}`;
      const b = 'fd77::ffff';
      pk.push({ ts: i, src: a, sport: 50000 + i, dst: b, dport: 8080, flags: 'S', seq: 10 });
      pk.push({ ts: i + 0.001, src: b, sport: 8080, dst: a, dport: 50000 + i, flags: 'SA', seq: 90, ack: 11 });
      pk.push({ ts: i + 0.002, src: a, sport: 50000 + i, dst: b, dport: 8080, flags: 'R', seq: 11 });
    }
    const r = run(pk);
    assert.equal(r.length, 200);
    assert.ok(r.every((c) => c.connState === 'RSTO' && c.history === 'ShR'), summary(r).join(' | '));
    assert.equal(r[0]?.origAddr, 'fd77::1');
    assert.equal(r[0]?.respAddr, 'fd77::ffff');
  });
});

describe('evidence for explain', () => {
  it('records each RST with its context and payload', () => {
    const c = one([
      ...hs(),
      c2s({ ts: 0.05, flags: 'PA', seq: ISN_C + 1, ack: ISN_S + 1, len: 10, ttl: 63, ipId: 10 }),
      s2c({ ts: 2.05, flags: 'RA', seq: ISN_S + 1, ack: ISN_C + 11, ttl: 250, payload: 'F5RST: idle' }),
    ]);
    assert.equal(c.resets.length, 1);
    const r = c.resets[0];
    assert.ok(r);
    assert.equal(r.direction, 'resp');
    assert.equal(r.context.handshake, 'complete');
    assert.deepEqual(r.context.payload, { orig: true, resp: false });
    assert.equal(r.context.pktsBefore.orig, 3);
    assert.equal(r.context.nextSeq.resp, ISN_S + 1);
    assert.ok(r.context.sinceOther !== null && Math.abs(r.context.sinceOther - 2) < 1e-9);
    assert.equal(Buffer.from(r.payload ?? []).toString(), 'F5RST: idle');
    assert.equal(c.orig.ttl?.mostCommon, 64);
    assert.equal(c.resp.ttl?.initial, 64);
    assert.ok(c.handshake.synToSynAck !== null && Math.abs(c.handshake.synToSynAck - 0.01) < 1e-9);
    assert.equal(c.packets.length, 5);
  });
  it('keeps a bounded ring per direction and pins the first packets', () => {
    const pk = hs();
    for (let i = 0; i < 50; i++) pk.push(c2s({ ts: 1 + i, flags: 'PA', seq: ISN_C + 1 + i, ack: ISN_S + 1, len: 1 }));
    const c = one(pk);
    assert.ok(c.packets.length <= 4 + 8 + 8);
    assert.equal(c.packets[0]?.flags, 2);
    assert.equal(c.packets.at(-1)?.seq, ISN_C + 50);
    assert.equal(c.packetsNotKept, 53 - c.packets.length);
  });
  it('the verdict names the connection and the RST index', () => {
    const t = new Tracker({ captureIndex: 0 }, { onConnectionDone: () => {} });
    const rec = new CaptureRecord();
    const pkt = new DecodedPacket();
    fill(rec, pkt, c2s({ ts: 0, flags: 'S', seq: 1 }));
    assert.equal(t.trackPacket(rec, pkt).newConnection, true);
    fill(rec, pkt, s2c({ ts: 0.1, flags: 'RA', ack: 2 }));
    const v = t.trackPacket(rec, pkt);
    assert.equal(v.connNumber, 1);
    assert.equal(v.direction, 'resp');
    assert.equal(v.isRst, true);
    assert.equal(v.rstIndex, 0);
    assert.equal(t.stats().live, 1);
  });
});
