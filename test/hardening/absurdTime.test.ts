/**
 * Issue 16, item 5: every time formatter handles every double. One packet time beyond what a
 * JavaScript Date holds (a huge pcapng EPB time or if_tsoffset) must not end any report with
 * "Invalid time value"; the packet is counted as a `timestamp_out_of_range` issue.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isoDate } from '../../src/report/isoDate.js';
import { isoTime } from '../../src/report/text.js';
import { runCli, tempDir } from '../helpers/run.js';
import { captureLayout, corpusCaptures } from '../helpers/tshark.js';

let dir = '';
let remove = () => {};
let path = '';

before(async () => {
  ({ dir, remove } = tempDir('whyreset-absurd-'));
  const c = corpusCaptures().find((x) => x.name === 'mixed-le.pcapng');
  assert.ok(c);
  const bytes = c.bytes.slice();
  const { pieces } = captureLayout(bytes);
  // Every EPB's timestamp high word set to 0xffffffff: 2^64 µs, about 5.8e5 years after 1970.
  const view = new DataView(bytes.buffer);
  for (const p of pieces.filter((x) => x.type === 6)) view.setUint32(p.start + 12, 0xffffffff, p.le);
  path = join(dir, 'absurd.pcapng');
  writeFileSync(path, bytes);
});
after(() => remove());

test('isoDate and isoTime return a well-shaped text for every double, never throw', () => {
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE, 1e300, 8.64e15 + 1]) {
    assert.equal(isoDate(v).length, 24);
    assert.match(isoTime(v / 1000), /^\?{4}-/);
  }
  assert.equal(isoDate(0), '1970-01-01T00:00:00.000Z');
});

test('an absurd packet time: every report renders, and the time is a counted issue', async () => {
  for (const args of [[], ['-v'], ['--format', 'csv'], ['--html', join(dir, 'r.html')]]) {
    const r = await runCli(['analyze', path, ...args]);
    assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error|Invalid time value/);
  }
  const json = await runCli(['analyze', path, '--format', 'json']);
  const report = JSON.parse(json.stdout);
  assert.ok(report.inputs[0].decode_issues.timestamp_out_of_range > 0, JSON.stringify(report.inputs[0].decode_issues));
  const conn = report.resets[0]?.conn;
  assert.ok(conn, 'a reset to explain');
  const explain = await runCli(['explain', path, '--conn', conn]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.doesNotMatch(explain.stderr, /internal error/);
});

test('durations and spans read as people read them: days and years, both dates across days, negative shown as such', async () => {
  const { durationText, spanEndText } = await import('../../src/report/text.js');
  assert.equal(durationText(3 * 365 * 86400 + 27 * 86400 + 3600), '3 years 27 days');
  assert.equal(durationText(27 * 86400 + 5 * 3600), '27 days 05 h');
  assert.equal(durationText(-4.2), '-4.2 s');
  assert.equal(durationText(Number.NaN), '? s');
  const first = Date.UTC(2011, 11, 16, 21, 35, 33) / 1000;
  const last = Date.UTC(2015, 0, 12, 5, 45, 28) / 1000;
  assert.equal(spanEndText(first, last), '2015-01-12T05:45:28.000000Z');
  assert.equal(spanEndText(first, first + 60), '21:36:33.000000');
});
