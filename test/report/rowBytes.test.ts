/**
 * The byte writers of csv and Zeek rows (report/rowBytes.ts, csv.ts CsvRows, zeek.ts
 * writeZeekConnLine/writeZeekJsonLine) give exactly the bytes of the string forms (csvRow,
 * zeekConnLine, zeekJsonLine) encoded as UTF-8: cells to quote, formulas, escapes, characters
 * beyond ASCII and lone surrogates, numbers of every kind, unset fields, rows that repeat (kept
 * cells) and rows that change, through a small buffer that fills and grows. RowSpool keeps them in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection, Reset } from '../../src/model/report.js';
import { CsvRows, csvRow } from '../../src/report/csv.js';
import { RowBytes } from '../../src/report/rowBytes.js';
import { RowSpool } from '../../src/report/rowSpool.js';
import { type ZeekLogOptions, writeZeekConnLine, writeZeekJsonLine, zeekConnLine, zeekJsonLine } from '../../src/report/zeek.js';
import { xorshift32 } from '../helpers/random.js';

const STRINGS = [
  '',
  '-',
  'a',
  'plain text',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'cr\rhere',
  '=1+1',
  '+x',
  '-5',
  '@sum',
  '\tlead',
  '\rlead',
  'back\\slash',
  'tab\tinside',
  'é→ü',
  'SYN→RST+ACK',
  '😀',
  '\ud800',
  'x\udc00y',
  '\u0000\u001f\u007f\u0080\u00ff',
  'Nothing listens on 198.51.100.10:443: check the service and `ss -ltn` on 198.51.100.10.',
];
const NUMBERS = [0, -0, 1, -1, 42, 65535, 2 ** 31, 2 ** 32 - 1, 2 ** 53, 1e21, 0.5, 0.81, 1709283600.000576, 1e-7, -3.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

/** Mostly the values of a flood (repeating), now and then any edge value. */
function maybe<T>(rnd: () => number, usual: T, edges: readonly T[]): T {
  return rnd() < 0.7 ? usual : pick(rnd, edges);
}

function resetOf(rnd: () => number, i: number): Reset {
  const str = (usual: string | null) => maybe<string | null>(rnd, usual, [...STRINGS, null]);
  const num = (usual: number) => maybe(rnd, usual, NUMBERS);
  const r = {
    id: `R${i}`,
    ts: maybe(rnd, 1709283600 + i / 1e6, [1709283600.0000005, 0, -1.5, 1e10]),
    capture: num(0),
    frame: num(i * 2 + 1),
    conn: str(`C${i}`),
    src: str('198.51.100.10'),
    sport: num(443),
    dst: str('10.0.0.1'),
    dport: num(10000 + i),
    from: str('resp'),
    flags: rnd() < 0.8 ? ['RST', 'ACK'] : [pick(rnd, STRINGS), 'RST'],
    ttl: num(64),
    ip_id: maybe<number | null>(rnd, 31006, [...NUMBERS, null]),
    seq: num(0),
    ack: num(1327743078 + i),
    win: num(0),
    payload_len: num(0),
    stage: str('handshake'),
    cause: str('port_closed'),
    verdict: str('genuine'),
    origin: str('resp'),
    confidence: maybe<number | null>(rnd, 0.81, [...NUMBERS, null]),
    evidence:
      rnd() < 0.8
        ? [
            { code: 'reply_to_syn', detail: `it answers the SYN (frame ${i})` },
            { code: 'no_socket_reset', detail: 'the shape of a reset sent with no socket' },
          ]
        : [{ code: pick(rnd, STRINGS), detail: '' }],
    signature: str('SYN→RST+ACK'),
    hint: str('Nothing listens on 198.51.100.10:443: check the service and `ss -ltn` on 198.51.100.10.'),
    reason_text: str(null),
    mptcp_reason: rnd() < 0.9 ? null : { code: 1, name: pick(rnd, STRINGS), flags: 0 },
    community_id: maybe<string | null | undefined>(rnd, '1:nYG+yUA+kiPJ18EMYc2Xvl8xaXE=', [...STRINGS, null, undefined]),
  } as Reset;
  if (rnd() < 0.1) r.kernel = { reason: str('NO_SOCKET'), state: null, host: 'h', event: 'send_reset', outcome: 'confirmed' };
  return r;
}

function connectionOf(rnd: () => number, i: number): Connection {
  const str = (usual: string) => maybe(rnd, usual, STRINGS);
  const num = (usual: number) => maybe(rnd, usual, NUMBERS);
  const c: Connection = {
    id: str(`C${i}`),
    ts: maybe(rnd, 1709283600 + i / 1e6, [0, -2.5, 1e10, 1709283600.0000005]),
    orig_h: str('10.0.0.1'),
    orig_p: num(10000 + i),
    resp_h: str('198.51.100.10'),
    resp_p: num(443),
    duration: maybe(rnd, 0.00034, [...NUMBERS, 0, -1]),
    orig_bytes: num(0),
    resp_bytes: num(0),
    orig_pkts: num(1),
    resp_pkts: num(1),
    conn_state: str('REJ'),
    history: str('Sr'),
    resets: [`R${i}`],
    capture: 0,
    proto: maybe<unknown>(rnd, 'tcp', [...STRINGS, undefined, 6]),
    missed_bytes: maybe<unknown>(rnd, 0, [...NUMBERS, undefined, '3']),
    orig_ip_bytes: num(52),
    resp_ip_bytes: num(40),
  };
  if (rnd() < 0.1) c.service = str('http');
  if (rnd() < 0.1) c.uid = str('CabcDEF123');
  return c;
}

/** Bytes written by `write` for each item through a RowBytes of `size` bytes. */
function viaBytes<T>(items: readonly T[], write: (w: RowBytes, item: T) => void, size: number): Buffer {
  const parts: Buffer[] = [];
  const w = new RowBytes((bytes, start, end) => parts.push(Buffer.from(bytes.slice(start, end))), size);
  for (const item of items) write(w, item);
  w.flush();
  return Buffer.concat(parts);
}

/** The string form's rows as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer.write gives it). */
function viaStrings<T>(items: readonly T[], render: (item: T) => string): Buffer {
  return Buffer.from(items.map(render).join(''), 'utf8');
}

/** Asserts the same bytes; on a difference, shows the text around the first one. */
function sameBytes(got: Buffer, want: Buffer): void {
  if (got.equals(want)) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const around = (b: Buffer) => b.subarray(Math.max(0, i - 80), i + 80).toString('utf8');
  assert.equal(around(got), around(want), `first difference at byte ${i} (lengths ${got.length}, ${want.length})`);
  assert.fail(`lengths differ: ${got.length}, ${want.length}`);
}

describe('row byte writers write the bytes of the string forms', () => {
  const rnd = xorshift32(29);
  const resets = Array.from({ length: 4000 }, (_, i) => resetOf(rnd, i));
  const connections = Array.from({ length: 4000 }, (_, i) => connectionOf(rnd, i));

  it('csv: CsvRows gives csvRow', () => {
    for (const size of [64, 1 << 14]) {
      let csv: CsvRows | null = null;
      const got = viaBytes(
        resets,
        (w, r) => {
          csv ??= new CsvRows(w);
          csv.row(r);
        },
        size,
      );
      sameBytes(got, viaStrings(resets, csvRow));
    }
  });

  it('zeek: writeZeekConnLine gives zeekConnLine, with and without local_nets', () => {
    const local: ZeekLogOptions = { isLocal: (a) => a.startsWith('10.') };
    for (const opts of [{}, local]) {
      sameBytes(
        viaBytes(connections, (w, c) => writeZeekConnLine(w, c, opts), 64),
        viaStrings(connections, (c) => zeekConnLine(c, opts)),
      );
    }
  });

  it('zeek-json: writeZeekJsonLine gives zeekJsonLine, with and without local_nets', () => {
    const local: ZeekLogOptions = { isLocal: (a) => a.startsWith('10.') };
    for (const opts of [{}, local]) {
      sameBytes(
        viaBytes(connections, (w, c) => writeZeekJsonLine(w, c, opts), 64),
        viaStrings(connections, (c) => zeekJsonLine(c, opts)),
      );
    }
  });

  it('RowSpool keeps rows written as bytes and text in order, and counts them', () => {
    const spool = new RowSpool(1000);
    let expected = '';
    try {
      resets.slice(0, 1500).forEach((r, i) => {
        if (i % 100 === 50) {
          spool.pushText('a text row\r\n');
          expected += 'a text row\r\n';
        }
        spool.pushCsv(r);
        expected += csvRow(r);
        spool.pushZeek(connections[i] as Connection);
        expected += zeekConnLine(connections[i] as Connection);
      });
      assert.equal(spool.count, 1500 * 2 + 15);
      const copies: Buffer[] = [];
      for (const c of spool.chunks()) copies.push(Buffer.from(c));
      sameBytes(Buffer.concat(copies), Buffer.from(expected, 'utf8'));
    } finally {
      spool.dispose();
    }
  });
});
