/**
 * Connection signatures in the notation of Sundara Raman et al. (SIGCOMM 2023): the originator's
 * packet kinds before the first RST (runs collapsed, the last four kept after "…"), "→", the
 * burst of RSTs (at most four). The texts are cached by code: the same shapes give the same text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/decode/packet.js';
import { signatureOf } from '../../src/explain/signature.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../../src/track/finished.js';

type P = Pick<PacketRecord, 'frame' | 'ts' | 'direction' | 'flags' | 'payloadLen' | 'ack'>;

function pkt(frame: number, direction: 'orig' | 'resp', flags: number, payloadLen = 0, ack = 1): P {
  return { frame, ts: 100 + frame / 100, direction, flags, payloadLen, ack };
}

/** A connection of these packets; the RSTs among them are its resets. */
function conn(packets: P[]): { c: FinishedConnection; resets: RstRecord[] } {
  const resets = packets.filter((p) => (p.flags & TCP_RST) !== 0) as unknown as RstRecord[];
  return { c: { packets, resets } as unknown as FinishedConnection, resets };
}

test('signatureOf: closed port, handshake then data, and no originator packet at all', () => {
  const closed = conn([pkt(1, 'orig', TCP_SYN, 0, 0), pkt(2, 'resp', TCP_RST | TCP_ACK)]);
  assert.equal(signatureOf(closed.c, closed.resets[0] as RstRecord), 'SYN→RST+ACK');
  const data = conn([pkt(1, 'orig', TCP_SYN, 0, 0), pkt(2, 'resp', TCP_SYN | TCP_ACK), pkt(3, 'orig', TCP_ACK), pkt(4, 'orig', TCP_PSH | TCP_ACK, 100), pkt(5, 'orig', TCP_ACK, 100), pkt(6, 'resp', TCP_RST, 0, 0)]);
  assert.equal(signatureOf(data.c, data.resets[0] as RstRecord), 'SYN;ACK;PSH→RST0');
  const none = conn([pkt(1, 'resp', TCP_RST, 0, 5)]);
  assert.equal(signatureOf(none.c, none.resets[0] as RstRecord), '∅→RST');
});

test('signatureOf: more than four kinds keep the last four after "…"; a burst lists up to four RSTs up to this one', () => {
  const kinds = [pkt(1, 'orig', TCP_SYN, 0, 0), pkt(2, 'orig', TCP_ACK), pkt(3, 'orig', TCP_ACK, 10), pkt(4, 'orig', TCP_ACK), pkt(5, 'orig', TCP_ACK, 10), pkt(6, 'orig', TCP_ACK)];
  const rsts = [7, 8, 9, 10, 11].map((f) => pkt(f, 'resp', f % 2 === 0 ? TCP_RST | TCP_ACK : TCP_RST, 0, f === 9 ? 0 : 1));
  const long = conn([...kinds, ...rsts]);
  assert.equal(signatureOf(long.c, long.resets[0] as RstRecord), '…;PSH;ACK;PSH;ACK→RST');
  assert.equal(signatureOf(long.c, long.resets[2] as RstRecord), '…;PSH;ACK;PSH;ACK→RST;RST+ACK;RST0');
  assert.equal(signatureOf(long.c, long.resets[4] as RstRecord), '…;PSH;ACK;PSH;ACK→RST;RST+ACK;RST0;RST+ACK');
  // Four kinds exactly: no "…".
  const four = conn([...kinds.slice(0, 4), pkt(9, 'resp', TCP_RST | TCP_ACK)]);
  assert.equal(signatureOf(four.c, four.resets[0] as RstRecord), 'SYN;ACK;PSH;ACK→RST+ACK');
});
