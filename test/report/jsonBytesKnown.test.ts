/**
 * What JsonBytes writes from bytes it already knows rather than from the string's characters
 * (report/jsonBytes.ts): the Community ID net/communityId.ts just made (lastIdChars), the texts
 * of the members that repeat (vocabulary and addresses) kept as bytes (vocabString), small
 * integers in one call (writeInt31). Each must give JSON.stringify's bytes whatever the values:
 * the text the bytes stand for, or its own when they do not stand for it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionRecordOf } from '../../src/explain/connectionRecord.js';
import type { Connection, Reset } from '../../src/model/report.js';
import { lastIdChars, tcpCommunityId } from '../../src/net/communityId.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { NEWLINE, collectingWriter, expectedLines as expected } from '../helpers/jsonLines.js';
import { xorshift32 } from '../helpers/random.js';

/** A connection record of the two ends and ports given, its Community ID made just before. */
function record(i: number, origAddr: string, respAddr: string, fields: Partial<Record<string, unknown>> = {}): Connection {
  const finished = {
    origAddr,
    respAddr,
    origPort: 40000 + i,
    respPort: 443,
    startTs: 1709283600.029915 + i,
    lastTs: 1709283600.059764 + i,
    orig: { size: 228, pkts: 6, ipBytes: 548 },
    resp: { size: 424, pkts: 4, ipBytes: 640 },
    id: `C${i}`,
    capture: 0,
    connState: 'SF',
    history: 'ShADadFf',
    missedBytes: 0,
  } as unknown as FinishedConnection;
  const c = connectionRecordOf(finished, [], null, tcpCommunityId(origAddr, 40000 + i, respAddr, 443));
  return Object.assign(c, fields);
}

/** Lines written by connectionLine (records) and resetLine (resets), as text. */
function written(values: object[]): string {
  const { w, text } = collectingWriter();
  for (const v of values) {
    if ('resp_h' in v) w.connectionLine('connection', v as Connection, NEWLINE);
    else w.resetLine('reset', v as Reset, NEWLINE);
  }
  w.flush();
  return text();
}

describe('net: the bytes of what was just made or read', () => {
  it('lastIdChars gives the characters of the last Community ID made, and nothing for another text', () => {
    const first = tcpCommunityId('192.0.2.1', 1234, '198.51.100.7', 443) as string;
    assert.deepEqual(Buffer.from(lastIdChars(first) as Uint8Array).toString('latin1'), first);
    // The same text in another string is the same ID.
    assert.deepEqual(Buffer.from(lastIdChars(`${first.slice(0, 10)}${first.slice(10)}`) as Uint8Array).toString('latin1'), first);
    const second = tcpCommunityId('2001:db8::1', 1, '2001:db8::2', 2) as string;
    assert.notEqual(second, first);
    assert.equal(lastIdChars(first), null);
    assert.deepEqual(Buffer.from(lastIdChars(second) as Uint8Array).toString('latin1'), second);
    assert.equal(lastIdChars(`${second.slice(0, 29)}x`), null);
    assert.equal(lastIdChars(''), null);
  });
});

describe('JsonBytes writes known bytes as JSON.stringify writes the text', () => {
  it('records written as their Community ID is made, addresses of every form, again and again', () => {
    const values: object[] = [];
    const ends: [string, string][] = [
      ['10.81.125.184', '198.51.100.32'],
      ['0.0.0.0', '255.255.255.255'],
      ['1.2.3.4', '100.10.0.9'],
      ['010.1.1.1', '192.0.2.01'],
      ['192.0.2.1', '192.000.2.1'],
      ['2001:db8::1', '2001:db8::2'],
    ];
    let i = 0;
    for (const [a, b] of ends) {
      const c = record(i++, a, b);
      values.push(c);
      assert.equal(written([c]), expected([c]));
    }
    assert.equal(written(values), expected(values));
    // More addresses than the writer keeps (it lets them all go and keeps anew), each seen a few times.
    const many: object[] = [];
    for (let k = 0; k < 12000; k++) {
      const n = (k * 7919) % 5000;
      many.push(record(k, `10.${n >> 8}.${n & 255}.${k % 3}`, n % 2 === 0 ? `2001:db8:${n.toString(16)}::${k % 5}` : '198.51.100.32'));
    }
    assert.equal(written(many), expected(many));
  });

  it('a Community ID that is not the last made, or is not a string, and one made after the record', () => {
    const a = record(1, '192.0.2.1', '192.0.2.2');
    const b = record(2, '192.0.2.3', '192.0.2.4');
    const values: object[] = [a, b, record(3, '192.0.2.5', '192.0.2.6', { community_id: null }), record(4, '192.0.2.7', '192.0.2.8', { community_id: 7 })];
    assert.equal(written(values), expected(values));
  });

  it('vocabulary members: repeated texts, texts that need escapes or are not ASCII, more texts than are kept, long ones', () => {
    const rnd = xorshift32(0x70);
    const kinds = ['SF', 'ShADadFf', 'a"quoted\\', 'tab\there\u0001', 'µs → é', '😀', 'lone \ud800', '\udc00', '', 'x'.repeat(39), '→'.repeat(39), 'y'.repeat(40), 'z'.repeat(300)];
    const values: object[] = [];
    for (let i = 0; i < 2000; i++) {
      // Half from a few texts (copied once kept), half new ones (past what the writer keeps).
      const pick = (): string => (rnd() < 0.5 ? (kinds[Math.floor(rnd() * kinds.length)] as string) : `h${Math.floor(rnd() * 5000)}${kinds[i % kinds.length]}`);
      values.push(record(i, `10.0.${i & 255}.1`, '192.0.2.1', { conn_state: pick(), history: pick(), proto: pick() }));
    }
    assert.equal(written(values), expected(values));
  });

  it('numbers at the edges of writeInt31: 0, -0, 9, 10, 99, 100, 2^31 - 1, 2^31, negative, fractions, not finite', () => {
    const edges = [0, -0, 9, 10, 99, 100, 999, 1000, 65535, 99999999, 100000000, 999999999, 1000000000, 2147483647, 2147483648, 4294967295, -1, -2147483648, 0.5, 1709283600.029915, 1e21, 2 ** 53, Number.NaN, Number.NEGATIVE_INFINITY];
    const values = edges.map((x, i) => record(i, '192.0.2.1', '192.0.2.2', { orig_p: x, orig_bytes: x, resp_pkts: x, duration: x }));
    assert.equal(written(values), expected(values));
  });
});
