/**
 * The store's pure pieces: input expansion (files, directories, globs), `--since` parsing, the
 * renderings of query results, and row documents keeping fields that have no column.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Reset } from '../../src/model/report.js';
import { expandInputs } from '../../src/store/inputFiles.js';
import { renderCsv, renderJson, renderTable } from '../../src/store/queryResult.js';
import { durationSeconds, sinceEpoch } from '../../src/store/reports.js';
import { resetDoc } from '../../src/store/rows.js';
import { tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-units-');
after(() => tmp.remove());

test('expandInputs: a file, a directory (recursive, sorted, no hidden files), globs with * ? ** and each file once', () => {
  const d = tmp.dir;
  mkdirSync(join(d, 's1', 'day2'), { recursive: true });
  for (const f of ['s1/b.pcap', 's1/a.pcap', 's1/.hidden.pcap', 's1/day2/c.pcap', 's1/notes.txt']) writeFileSync(join(d, f), 'x');
  assert.deepEqual(expandInputs([join(d, 's1')]).files, ['a.pcap', 'b.pcap', 'day2/c.pcap', 'notes.txt'].map((f) => join(d, 's1', f)));
  assert.deepEqual(expandInputs([join(d, 's1', '*.pcap')]).files, ['a.pcap', 'b.pcap'].map((f) => join(d, 's1', f)));
  assert.deepEqual(expandInputs([join(d, 's1', '?.pcap')]).files, ['a.pcap', 'b.pcap'].map((f) => join(d, 's1', f)));
  assert.deepEqual(expandInputs([join(d, '**', '*.pcap')]).files, ['s1/a.pcap', 's1/b.pcap', 's1/day2/c.pcap'].map((f) => join(d, f)));
  const both = expandInputs([join(d, 's1', 'a.pcap'), join(d, 's1', '*.pcap'), join(d, 'nothing*.pcap'), join(d, 'gone.pcap')]);
  assert.deepEqual(both.files, ['a.pcap', 'b.pcap'].map((f) => join(d, 's1', f)));
  assert.deepEqual(both.missing, [join(d, 'nothing*.pcap'), join(d, 'gone.pcap')]);
});

test('--since: durations back from now, dates and times (UTC unless a zone is given)', () => {
  assert.equal(durationSeconds('2d'), 172800);
  assert.equal(durationSeconds('90m'), 5400);
  assert.equal(durationSeconds('1.5h'), 5400);
  assert.equal(durationSeconds('2 days'), null);
  assert.equal(sinceEpoch('2d', 1_000_000), 1_000_000 - 172800);
  assert.equal(sinceEpoch('2026-12-01', 0), Date.UTC(2026, 11, 1) / 1000);
  assert.equal(sinceEpoch('2026-12-01T08:00:00', 0), Date.UTC(2026, 11, 1, 8) / 1000);
  assert.equal(sinceEpoch('2026-12-01T08:00:00+02:00', 0), Date.UTC(2026, 11, 1, 6) / 1000);
  assert.equal(sinceEpoch('Tuesday', 0), null);
});

test('query output: json is an array of objects keyed by column; csv quotes per RFC 4180; table aligns', () => {
  const r = { columns: ['server', 'resets', 'note'], rows: [{ server: '10.0.0.1', resets: 12, note: 'a, "b"' }, { server: 'fd00::1', resets: 3, note: null }] };
  assert.deepEqual(JSON.parse(renderJson(r)), r.rows);
  assert.equal(renderCsv(r), 'server,resets,note\r\n10.0.0.1,12,"a, ""b"""\r\nfd00::1,3,\r\n');
  assert.equal(renderTable(r), 'server    resets  note\n--------  ------  ------\n10.0.0.1      12  a, "b"\nfd00::1        3\n(2 rows)\n');
});

test('row documents: a field without a column is kept in extra', () => {
  const r = { id: 'R1', ts: 1, capture: 0, parent: { id: 'R0', capture: 0, frame: 3 } } as unknown as Reset;
  const doc = JSON.parse(resetDoc(r));
  assert.deepEqual(doc.extra, { parent: { id: 'R0', capture: 0, frame: 3 } });
  assert.equal(JSON.parse(resetDoc({ id: 'R2', ts: 1, capture: 0 } as unknown as Reset)).extra, undefined);
});
