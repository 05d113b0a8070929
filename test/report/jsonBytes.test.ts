/**
 * JsonBytes writes what JSON.stringify writes, byte for byte (report/jsonBytes.ts): the json and
 * ndjson reports are encoded by it, and their goldens must not move. Numbers, strings with every
 * kind of character JSON escapes or UTF-8 encodes, objects whose shapes change from one line to
 * the next (the trie of shapes), strings repeated and not (the kept strings), and the values
 * only JSON.stringify writes exactly (the fallback).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionRecordOf } from '../../src/explain/connectionRecord.js';
import type { Connection } from '../../src/model/report.js';
import { tcpCommunityId } from '../../src/net/communityId.js';
import { JsonBytes, writeJsonNumber } from '../../src/report/jsonBytes.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { NEWLINE, collectingWriter, expectedLines as expected } from '../helpers/jsonLines.js';
import { xorshift32 } from '../helpers/random.js';

/** Lines written by a JsonBytes with a small buffer (so lines cross its edge and it grows), as text. */
function written(values: object[], opts: { head?: string; size?: number; sites?: number } = {}): string {
  const { w, text, lines } = collectingWriter(opts.size);
  const head = opts.head === undefined ? null : new Uint8Array(Buffer.from(opts.head));
  values.forEach((v, i) => w.line(`site${i % (opts.sites ?? 1)}`, v, NEWLINE, head));
  w.flush();
  assert.equal(lines(), values.length);
  return text();
}

describe('JsonBytes writes what JSON.stringify writes', () => {
  it('numbers: integers, six-decimal times, confidences, tiny, huge, negative, -0, NaN and infinities', () => {
    const rnd = xorshift32(13);
    const numbers: number[] = [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31, 2 ** 32 - 1, 2 ** 33, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, 1e22, 0.1, 0.5, 0.81];
    numbers.push(1e-6, 1e-7, 5e-7, 0.000001, 0.0000015, 1e-300, 5e-324, Number.MAX_VALUE, Number.EPSILON, 1 / 3, 2 / 3, 8589934591.999999, 8589934592.5);
    numbers.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1709283600.000576, 1709283600.1, 1709283600.9999995);
    for (let i = 0; i < 20000; i++) {
      // Capture times rounded to the microsecond, as roundMicros gives them.
      numbers.push(Math.round((1.7e9 + rnd() * 1e8) * 1e6) / 1e6);
      numbers.push(Math.round(rnd() * 1e6) / 1e6, Math.round(rnd() * 100) / 100, rnd() * 1e10, -rnd() * 1000, rnd() * 2 ** 40);
      numbers.push(Math.round(rnd() * 2 ** 33 * 1e6) / 1e6, Math.floor(rnd() * 2 ** 53), rnd() ** 20, (rnd() - 0.5) * 1e-5);
    }
    // Every length of integer and its edges (the digits go two at a time; from 2^31 on in two
    // int32 parts split at 10^8, the low one with its leading zeros), and fractions of every
    // number of decimals with zeros inside and at their end.
    for (let p = 1; p <= 1e16; p *= 10) numbers.push(p - 1, p, p + 1, 2 * p + 1, 3 * p);
    numbers.push(2 ** 31 - 1, 2 ** 31 + 1, 3000000001, 3000000010, 4294967295, 100000000 * 90071992 - 1, 2 ** 53 - 2);
    for (const frac of [0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001, 0.12, 0.102, 0.1002, 0.10002, 0.100002, 0.123456, 0.120001, 0.9, 0.99, 0.999999]) {
      for (const whole of [0, 1, 9, 10, 99, 1709283600, 2 ** 31, 8589934591]) numbers.push(Math.round((whole + frac) * 1e6) / 1e6);
    }
    const buf = new Uint8Array(64);
    for (const x of numbers) {
      const end = writeJsonNumber(buf, 0, x);
      assert.equal(Buffer.from(buf.subarray(0, end)).toString('latin1'), JSON.stringify(x), `number ${x}`);
    }
  });

  it('strings: quotes, backslashes, every control character, DEL, Latin-1, BMP, surrogate pairs and lone surrogates', () => {
    const strings = ['', 'a', '"', '\\', '"quoted" \\ back', 'SYN→RST+ACK', 'é', 'ÿ', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '\u2028\u2029'];
    for (let c = 0; c < 0x20; c++) strings.push(`a${String.fromCharCode(c)}b`);
    strings.push('😀', 'x😀y', '\ud800', '\udc00', 'a\ud800', '\ud800a', '\udc00\ud800', '\ud83d\ude00\ud83d', 'z'.repeat(300), `${'é'.repeat(40)}→`);
    const rnd = xorshift32(7);
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) {
        const r = rnd();
        s += String.fromCharCode(r < 0.5 ? 0x20 + Math.floor(rnd() * 0x5f) : r < 0.7 ? Math.floor(rnd() * 0x20) : r < 0.85 ? Math.floor(rnd() * 0x800) : Math.floor(rnd() * 0x10000));
      }
      strings.push(s);
    }
    const values = strings.map((s) => ({ s, long: `${s}${s}${s}`.padEnd(20, '.'), list: [s] }));
    assert.equal(written(values), expected(values));
  });

  it('long strings (written natively, then their bytes checked four at a time): one character JSON escapes or U+FFFD may stand for, at every offset', () => {
    // Each character at each place of a string long enough for the native path, so that it lands
    // in every byte of a 4-byte word and in the bytes after the last word: a quote, a backslash,
    // control characters, a lone surrogate (written as U+FFFD natively, \udxxx by JSON), U+FFFD
    // itself and another character whose UTF-8 starts with 0xef, and characters that need no escape.
    const odd = ['"', '\\', '\u0000', '\u0001', '\n', '\u001f', '\ud800', '\udfff', '\ufffd', '\uf000', '\u007f', 'é', '→', '😀', ' ', '~'];
    const values: object[] = [];
    for (const c of odd) {
      for (let length = 12; length <= 21; length++) {
        for (let at = 0; at < length; at++) values.push({ s: `${'a'.repeat(at)}${c}${'b'.repeat(length - at - 1)}` });
      }
    }
    values.push({ s: `${'x'.repeat(13)}→${'"'.repeat(3)}` }, { s: '→'.repeat(12) }, { s: '\ud83d\ude00'.repeat(6) }, { s: `${'é'.repeat(11)}\ud800` });
    assert.equal(written(values), expected(values));
    assert.equal(written(values, { size: 1 << 12 }), expected(values));
  });

  it('objects whose shapes change between lines, nested objects and arrays, undefined and functions left out', () => {
    const values: object[] = [
      {},
      { a: 1 },
      { a: 1, b: 'x' },
      { b: 'x', a: 1 },
      { a: 1, b: undefined, c: () => 1, d: Symbol('s'), e: null, f: true, g: false },
      { 2: 'two', 1: 'one', z: 0, 10: 'ten' },
      { list: [1, 'a', null, undefined, () => 1, [], [[]], {}, { x: [{ y: 1 }] }] },
      { evidence: [{ code: 'a', detail: 'the same long detail text' }, { code: 'b', detail: 'another long detail text' }] },
      { evidence: [{ code: 'b', detail: 'another long detail text' }] },
      { 'quoted "key"': 1, 'é→': 2, '\n': 3 },
      Object.assign(Object.create(null) as object, { bare: 'prototype null' }),
      // biome-ignore lint/suspicious/noSparseArray: a hole is written as null
      { holes: [1, , 3] },
    ];
    assert.equal(written(values), expected(values));
    assert.equal(written(values, { head: '{"type":"x"' }), expected(values, '{"type":"x"'));
  });

  it('the same long strings again and again (kept), and strings that change every line (not kept)', () => {
    const values: object[] = [];
    for (let i = 0; i < 3000; i++) {
      values.push({
        id: `R${i}`,
        hint: i % 500 < 400 ? 'Nothing listens on 198.51.100.10:443: check the service' : `Nothing listens on 198.51.100.${i % 7}:443`,
        detail: `it answers the SYN (frame ${i}) from the client`,
        same: 'a detail that never changes at all',
        cid: `1:${(i * 2654435761).toString(36)}abcdefghijkl=`,
      });
    }
    assert.equal(written(values, { size: 1 << 12 }), expected(values));
  });

  it('lines that repeat most of the line before them (spans and runs copied from it), with every kind of change between them', () => {
    const rnd = xorshift32(29);
    const pick = <T>(choices: readonly T[]): T => choices[Math.floor(rnd() * choices.length)] as T;
    const texts = ['', 'a', 'port_closed', 'SYN→RST+ACK', 'say "hi"', 'tab\there', 'é', '😀', '\ud800', 'x'.repeat(40), 'y'.repeat(9000)];
    const primitives: unknown[] = [0, -0, 1, 443, 1709283600.000576, 0.81, Number.NaN, null, true, false, undefined, ...texts];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth < 3 && r < 0.1) return Array.from({ length: Math.floor(rnd() * 11) }, () => value(depth + 1));
      if (depth < 3 && r < 0.2) return { code: pick(texts.slice(0, 5)), detail: value(depth + 1) };
      return pick(primitives);
    };
    const keys = ['id', 'ts', 'src', 'flags', 'evidence', 'hint', 'mptcp_reason', 'extra'];
    // Each line starts from the one before and changes a few members (or their order, or leaves some out).
    let last: Record<string, unknown> = {};
    const values: object[] = [];
    for (let i = 0; i < 2500; i++) {
      const next: Record<string, unknown> = {};
      const order = rnd() < 0.05 ? [...keys].reverse() : keys;
      for (const k of order) next[k] = rnd() < 0.8 && k in last ? last[k] : value(0);
      values.push(next);
      last = next;
    }
    for (const size of [64, 1 << 16]) {
      for (const sites of [1, 7]) {
        assert.equal(written(values, { size, sites }), expected(values), `buffer ${size}, ${sites} sites`);
        assert.equal(written(values, { size, sites, head: '{"type":"x"' }), expected(values, '{"type":"x"'), `buffer ${size}, ${sites} sites, head`);
      }
    }
  });

  it('values only JSON.stringify writes exactly: toJSON, Date, Map, class instances, boxed strings', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const values: object[] = [
      { when: new Date(0) },
      { m: new Map([[1, 2]]) },
      { p: new Point(1, 2) },
      { own: { toJSON: () => 'replaced' } },
      { s: new String('boxed') },
      { t: new Uint8Array([1, 2]) },
      { after: 'the fallback, a plain line again' },
    ];
    assert.equal(written(values), expected(values));
    assert.equal(written(values, { head: '{"type":"x"' }), expected(values, '{"type":"x"'));
  });

  it('lines whose own object only JSON.stringify writes exactly (checked apart from nested ones): a class instance, toJSON, a Date, a Map', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const bare = Object.create(null) as { a?: number; b?: string };
    bare.a = 1;
    bare.b = 'no prototype: plain';
    const values: object[] = [{ x: 1, y: 2 }, new Point(1, 2), { x: 1, y: 2, toJSON: () => ({ replaced: true }) }, new Date(0), new Map([[1, 2]]), bare, { x: 1, y: 2 }];
    for (let i = 0; i < 3; i++) values.push(...values.slice(0, 7));
    assert.equal(written(values), expected(values));
    assert.equal(written(values, { head: '{"type":"x"' }), expected(values, '{"type":"x"'));
  });

  it('a bigint throws as JSON.stringify does, and a cycle too', () => {
    const w = new JsonBytes(() => {});
    assert.throws(() => w.line('x', { n: 1n }, NEWLINE), TypeError);
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    assert.throws(() => w.line('x', cycle, NEWLINE), TypeError);
  });
});

/** A connection record as explain/connectionRecord.ts builds it, its values drawn from `rnd`. */
function record(rnd: () => number, i: number): Connection {
  const v6 = rnd() < 0.2;
  const addr = (): string => (v6 ? `2001:db8::${Math.floor(rnd() * 65536).toString(16)}` : `10.${i & 255}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`);
  const resets = rnd() < 0.6 ? [] : Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) => `R${i * 4 + k}`);
  const radar = resets.length > 0 && rnd() < 0.5 ? 'service_unreachable' : null;
  const conn = {
    origAddr: addr(),
    respAddr: addr(),
    startTs: Math.round((1.7e9 + rnd() * 1e6) * 1e6) / 1e6,
    lastTs: 0,
    orig: { size: Math.floor(rnd() * 1e6), pkts: Math.floor(rnd() * 100), ipBytes: Math.floor(rnd() * 2e6) },
    resp: { size: Math.floor(rnd() * 1e9), pkts: Math.floor(rnd() * 1000), ipBytes: Math.floor(rnd() * 2e9) },
  };
  conn.lastTs = conn.startTs + Math.round(rnd() * 100 * 1e6) / 1e6;
  const finished = {
    ...conn,
    id: `C${i}`,
    capture: i % 3 === 0 ? 1 : 0,
    origPort: Math.floor(rnd() * 65536),
    respPort: rnd() < 0.5 ? 443 : Math.floor(rnd() * 65536),
    connState: rnd() < 0.5 ? 'SF' : 'RSTO',
    history: rnd() < 0.5 ? 'ShADadFf' : 'Sr^',
    missedBytes: rnd() < 0.9 ? 0 : Math.floor(rnd() * 1000),
  } as unknown as FinishedConnection;
  return connectionRecordOf(finished, resets, radar, rnd() < 0.9 ? tcpCommunityId(conn.origAddr, 1, conn.respAddr, 2) : null);
}

/** Lines written by connectionLine for each record (line for the rest), as text. */
function writtenRecords(values: object[], head?: string): string {
  const { w, text } = collectingWriter();
  const h = head === undefined ? null : new Uint8Array(Buffer.from(head));
  for (const v of values) w.connectionLine('connection', v as Connection, NEWLINE, h);
  w.flush();
  return text();
}

describe('JsonBytes#connectionLine writes what JSON.stringify writes', () => {
  it('connection records with and without resets, a Radar category and a Community ID, with and without a head', () => {
    const rnd = xorshift32(0xc0);
    const values = Array.from({ length: 3000 }, (_, i) => record(rnd, i));
    assert.equal(writtenRecords(values), expected(values));
    assert.equal(writtenRecords(values, '{"type":"connection"'), expected(values, '{"type":"connection"'));
  });

  it('records it does not write member by member, among those it does: a tunnel, a key more, one less, another order, another prototype, odd values', () => {
    const rnd = xorshift32(0xc1);
    const base = (): Connection => record(rnd, Math.floor(rnd() * 1000));
    const odd: object[] = [
      { ...base(), tunnel: [{ type: 'gre', src: '192.0.2.1', dst: '192.0.2.2', key: 7 }] },
      { ...base(), extra: 1 },
      (() => {
        const c = base() as Record<string, unknown>;
        delete c.history;
        return c;
      })(),
      (() => {
        const c = base() as Record<string, unknown>;
        const id = c.id;
        delete c.id;
        c.id = id;
        return c;
      })(),
      Object.assign(Object.create({ inherited: true }) as object, base()),
      Object.assign(Object.create(null) as object, base()),
      { ...base(), toJSON: () => ({ replaced: true }) },
      { ...base(), duration: Number.NaN, orig_bytes: Number.POSITIVE_INFINITY, resp_bytes: -0 },
      { ...base(), community_id: undefined },
      { ...base(), history: 'a"quoted\\\n→😀\ud800' },
      { ...base(), orig_h: 'é'.repeat(20) },
      { ...base(), resets: ['R1', 2, null] },
      { ...base(), resets: 'R1' },
      { ...base(), ts: '1709283600.5' },
      { ...base(), radar_category: null, community_id: '1:x' },
      { ...base(), proto: { name: 'tcp' } },
    ];
    const values: object[] = [];
    for (const o of odd) values.push(base(), o, base());
    assert.equal(writtenRecords(values), expected(values));
    assert.equal(writtenRecords(values, '{"type":"connection"'), expected(values, '{"type":"connection"'));
  });

  it('lines of the shape walk on the same site before and after: nothing copied from a record line', () => {
    const rnd = xorshift32(0xc2);
    const { w, text } = collectingWriter();
    const values: object[] = [];
    for (let i = 0; i < 200; i++) {
      const r = record(rnd, i);
      const c = rnd() < 0.5 ? { ...r, tunnel: [{ type: 'ip', src: '192.0.2.1', dst: '192.0.2.2' }] } : r;
      values.push(c);
      if (rnd() < 0.5) w.line('connection', c, NEWLINE);
      else w.connectionLine('connection', c as Connection, NEWLINE);
    }
    w.flush();
    assert.equal(text(), expected(values));
  });
});
