/**
 * JsonBytes#resetLine writes what JSON.stringify writes for explain's resets, member by member
 * (report/jsonBytes.ts): random resets of explainReset's shapes (with and without a parent, with
 * duplicates folded in, without a rule or a Community ID), strings with every kind of character
 * JSON escapes or UTF-8 encodes, numbers of every kind, and resets it must leave to the shape walk
 * or to JSON.stringify (correlation's members, another order, odd evidence), among those it writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESET_SHAPE_PRIMERS } from '../../src/explain/explainConnection.js';
import type { Reset } from '../../src/model/report.js';
import type { JsonBytes } from '../../src/report/jsonBytes.js';
import { NEWLINE, collectingWriter, expectedLines as expected } from '../helpers/jsonLines.js';
import { xorshift32 } from '../helpers/random.js';

/** Strings of every kind: plain, long (written natively), escaped, non-ASCII, lone surrogates. */
function text(rnd: () => number): string {
  const kinds = ['', 'RST', 'no_listener', '192.0.2.1', '2001:db8::1', 'a"quoted\\path', 'tab\there\nnew\u0000\u001f\u007f', 'µs → é', '😀 pair', 'lone \ud800 high', 'lone \udc00 low', '\ud83d'];
  const k = kinds[Math.floor(rnd() * kinds.length)] as string;
  if (rnd() < 0.3) return `the shape of a reset sent with no socket ${k} (Linux tcp_v4_send_reset or netfilter's REJECT): window 0`;
  return k;
}

function num(rnd: () => number): number {
  const r = rnd();
  if (r < 0.3) return Math.floor(rnd() * 65536);
  if (r < 0.5) return Math.round((1.7e9 + rnd() * 1e8) * 1e6) / 1e6;
  if (r < 0.6) return Math.floor(rnd() * 2 ** 32);
  if (r < 0.7) return Math.round(rnd() * 100) / 100;
  const odd = [0, -0, -1, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY, 0.1 + 0.2, -123.456];
  return odd[Math.floor(rnd() * odd.length)] as number;
}

const orNull = <T>(rnd: () => number, v: T): T | null => (rnd() < 0.25 ? null : v);

/** A reset built as explainReset builds it (one of its two literals), its values drawn from `rnd`. */
function reset(rnd: () => number, i: number): Reset {
  const evidence = Array.from({ length: Math.floor(rnd() * 4) }, () => ({ code: text(rnd), detail: text(rnd) }));
  const mptcp = rnd() < 0.2 ? { code: Math.floor(rnd() * 8), name: text(rnd), flags: Math.floor(rnd() * 16) } : null;
  const base = {
    id: `R${i}`,
    ts: num(rnd),
    capture: Math.floor(rnd() * 3),
    frame: num(rnd),
    conn: orNull(rnd, `C${i}`),
    src: text(rnd),
    sport: num(rnd),
    dst: text(rnd),
    dport: num(rnd),
    from: orNull(rnd, rnd() < 0.5 ? 'orig' : 'resp'),
    flags: rnd() < 0.5 ? ['RST'] : ['RST', 'ACK'],
    ttl: num(rnd),
    ip_id: orNull(rnd, num(rnd)),
    seq: num(rnd),
    ack: num(rnd),
    win: num(rnd),
    payload_len: num(rnd),
    stage: orNull(rnd, text(rnd)),
    cause: orNull(rnd, text(rnd)),
    verdict: orNull(rnd, text(rnd)),
    origin: orNull(rnd, text(rnd)),
    confidence: orNull(rnd, Math.round(rnd() * 100) / 100),
    evidence,
    signature: orNull(rnd, text(rnd)),
    hint: orNull(rnd, text(rnd)),
    reason_text: orNull(rnd, text(rnd)),
    mptcp_reason: mptcp,
    rule: rnd() < 0.1 ? undefined : text(rnd),
  };
  const communityId = rnd() < 0.1 ? null : `1:${text(rnd)}=`;
  const r = (rnd() < 0.3 ? { ...base, parent: { id: `R${i - 1}`, capture: 0, frame: num(rnd) }, community_id: communityId } : { ...base, community_id: communityId }) as unknown as Reset;
  if (rnd() < 0.1) {
    // As explainedResets folds a capture duplicate in: `duplicates` before the Community ID.
    const id = r.community_id;
    delete r.community_id;
    r.duplicates = 1 + Math.floor(rnd() * 3);
    r.community_id = id;
  }
  if (rnd() < 0.05) delete r.community_id;
  return r;
}

/** Lines written by resetLine for each reset, as text; `line` calls counted. */
function writtenResets(values: object[], head?: string): { text: string; walked: number } {
  const { w, text } = collectingWriter();
  let walked = 0;
  const line = w.line.bind(w);
  w.line = (...args: Parameters<JsonBytes['line']>) => {
    walked++;
    line(...args);
  };
  const h = head === undefined ? null : new Uint8Array(Buffer.from(head));
  for (const v of values) w.resetLine('reset', v as Reset, NEWLINE, h);
  w.flush();
  return { text: text(), walked };
}

describe('JsonBytes#resetLine writes what JSON.stringify writes', () => {
  it("explainReset's own shapes are written member by member, not by the shape walk", () => {
    const { text: t, walked } = writtenResets([...RESET_SHAPE_PRIMERS]);
    assert.equal(t, expected([...RESET_SHAPE_PRIMERS]));
    assert.equal(walked, 0);
  });

  it('random resets with and without a parent, duplicates, a rule, a Community ID, with and without a head', () => {
    const rnd = xorshift32(0x7e5e7);
    const values = Array.from({ length: 4000 }, (_, i) => reset(rnd, i));
    const plain = writtenResets(values);
    assert.equal(plain.text, expected(values));
    assert.equal(plain.walked, 0);
    assert.equal(writtenResets(values, '{"type":"reset"').text, expected(values, '{"type":"reset"'));
  });

  it('resets it leaves to the shape walk or JSON.stringify, among those it writes: correlation members, another order, odd evidence and values', () => {
    const rnd = xorshift32(0x7e5e8);
    const base = (): Reset => reset(rnd, Math.floor(rnd() * 1000));
    const reordered = (): Reset => {
      const r = base() as unknown as Record<string, unknown>;
      const id = r.id;
      delete r.id;
      r.id = id;
      return r as unknown as Reset;
    };
    const without = (key: string): Reset => {
      const r = base() as unknown as Record<string, unknown>;
      delete r[key];
      return r as unknown as Reset;
    };
    const odd: object[] = [
      { ...base(), seen_at: [{ capture: 1, frame: 2, ttl: 60 }], born: { between: [0, 1] } },
      { ...base(), kernel: { reason: 'NO_SOCKET', state: null, host: 'h', event: 'send_reset', outcome: 'confirmed' } },
      reordered(),
      without('hint'),
      without('rule'),
      { ...base(), extra: 1 },
      { ...base(), evidence: [{ code: 'x', detail: 'y', more: 1 }] },
      { ...base(), evidence: [{ detail: 'y', code: 'x' }] },
      { ...base(), evidence: [{ code: 'x', detail: 'y', toJSON: () => 'z' }] },
      { ...base(), evidence: [null, 1] },
      { ...base(), evidence: 'none' },
      { ...base(), mptcp_reason: { code: 1, name: 'x' } },
      { ...base(), parent: { id: 'R1', frame: 2, capture: 0 }, community_id: null },
      { ...base(), parent: undefined, duplicates: undefined, community_id: undefined },
      { ...base(), ts: '1709283600.5' },
      { ...base(), sport: undefined },
      { ...base(), flags: ['RST', 2] },
      { ...base(), rule: 7 },
      { ...base(), ip_id: true },
      Object.assign(Object.create({ inherited: true }) as object, base()),
      { ...base(), toJSON: () => ({ replaced: true }) },
    ];
    const values: object[] = [];
    for (const o of odd) values.push(base(), o, base());
    assert.equal(writtenResets(values).text, expected(values));
    assert.equal(writtenResets(values, '{"type":"reset"').text, expected(values, '{"type":"reset"'));
  });

  it('lines of the shape walk on the same site before and after: nothing copied from a reset line', () => {
    const rnd = xorshift32(0x7e5e9);
    const { w, text } = collectingWriter();
    const values: object[] = [];
    for (let i = 0; i < 300; i++) {
      const r = reset(rnd, i);
      values.push(r);
      if (rnd() < 0.5) w.line('reset', r, NEWLINE);
      else w.resetLine('reset', r, NEWLINE);
    }
    w.flush();
    assert.equal(text(), expected(values));
  });

  it('members of few values: more values than a cache would keep, cycling, values of one length that differ, equal texts of other strings, long ones', () => {
    const rnd = xorshift32(0x7e5ea);
    const words: string[] = Array.from({ length: 20 }, (_, k) => `cause_${String.fromCharCode(0x61 + k)}`);
    words.push('x'.repeat(200), `${'é'.repeat(40)}→`, 'lone \ud800', 'q"\\', ['cause', 'b'].join('_'));
    // Long ones: kept (longString), one longer than kept, escaped ones, and the same texts again in strings of their own.
    words.push(`${'hint '.repeat(20)}"quoted"`, 'y'.repeat(1100), '€'.repeat(400), `${'d'.repeat(60)}\n\u0001`, `${'hint '.repeat(20)}"quoted"`.slice(0), 'z'.repeat(39), 'z'.repeat(40));
    const values = Array.from({ length: 3000 }, (_, i) => {
      const r = reset(rnd, i) as unknown as Record<string, unknown>;
      const pick = (): string => (rnd() < 0.5 ? (words[i % 11] as string) : (words[Math.floor(rnd() * words.length)] as string));
      for (const k of ['stage', 'cause', 'verdict', 'origin', 'from', 'rule', 'signature', 'hint', 'reason_text']) r[k] = pick();
      r.flags = [pick(), pick()];
      r.evidence = Array.from({ length: Math.floor(rnd() * 11) }, () => ({ code: pick(), detail: pick() }));
      // The same text in a string of its own (not the one kept).
      if (rnd() < 0.3) r.cause = `${(r.cause as string).slice(0, 3)}${(r.cause as string).slice(3)}`;
      return r;
    });
    const { text: t, walked } = writtenResets(values);
    assert.equal(t, expected(values));
    assert.equal(walked, 0);
  });

  it('long ASCII strings (written natively, then their bytes checked): every ASCII character at every offset of a word', () => {
    const values: object[] = [];
    let i = 0;
    for (let c = 0; c < 0x80; c++) {
      for (let offset = 0; offset < 8; offset++) {
        const r = reset(xorshift32(c * 8 + offset + 1), i++) as unknown as Record<string, unknown>;
        r.hint = `${'a'.repeat(40 + offset)}${String.fromCharCode(c)}${'b'.repeat(c % 5)}`;
        r.conn = `${'c'.repeat(offset)}${String.fromCharCode(c)}${'d'.repeat(40)}`;
        values.push(r);
      }
    }
    assert.equal(writtenResets(values).text, expected(values));
  });
});
