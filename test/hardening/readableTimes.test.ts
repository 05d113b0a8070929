/**
 * Issue 16, item 10: readable times. Tables and listings print the date where the day changes
 * (not only times of day), spans over a day print both dates, and a negative duration (the
 * capture clock stepped back) is shown as such, with a note.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { durationText as htmlDurationText } from '../../src/report/html/timeText.js';
import { signedDurationText, spanWhereDayChanges, timeWhereDayChanges } from '../../src/report/text.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, PSH, RST, SYN, tcp4Frame } from '../../testkit/frames.js';
import { runCli, tempDir } from '../helpers/run.js';

const DAY1 = Date.UTC(2011, 11, 16, 21, 35, 33) / 1000; // 2011-12-16T21:35:33Z
const DAY2 = Date.UTC(2015, 0, 12, 5, 45, 28) / 1000; // 2015-01-12T05:45:28Z
/** The next morning: within the pcap reader's 7 days between neighbouring records (a larger jump is damage). */
const NEXT = Date.UTC(2011, 11, 17, 5, 45, 28) / 1000; // 2011-12-17T05:45:28Z

test('a time carries its date where the day changes, and a span over a day both dates', () => {
  assert.equal(timeWhereDayChanges(DAY1 + 60, DAY1), '21:36:33.000000');
  assert.equal(timeWhereDayChanges(DAY2, DAY1), '2015-01-12 05:45:28.000000');
  assert.equal(timeWhereDayChanges(DAY1, null), '2011-12-16 21:35:33.000000');
  assert.equal(spanWhereDayChanges(DAY1, DAY1 + 1, DAY1), '21:35:33.000000 – 21:35:34.000000');
  assert.equal(spanWhereDayChanges(DAY1, DAY2, DAY1), '21:35:33.000000 – 2015-01-12 05:45:28.000000');
  assert.equal(signedDurationText(-4.25), '-4.3 s, the clock stepped back');
  assert.equal(signedDurationText(DAY2 - DAY1), '3 years 27 days');
  assert.equal(htmlDurationText(-2), '−2.000 s');
});

function refused(ts: number, server: string, sport: number) {
  return [
    { ts, data: tcp4Frame({ src: '10.0.0.1', dst: server, sport, dport: 80, seq: 1000, ack: 0, flags: SYN, win: 64240, ttl: 64, id: 1 }) },
    { ts: ts + 0.0002, data: tcp4Frame({ src: server, dst: '10.0.0.1', sport: 80, dport: sport, seq: 0, ack: 1001, flags: RST | ACK, win: 0, ttl: 64, id: 0 }) },
  ];
}

test('the text report dates a group row whose day differs from the row above, and its span when it crosses a day', async () => {
  const tmp = tempDir('whyreset-times-');
  try {
    const path = join(tmp.dir, 'days.pcap');
    // Server .2 refuses twice on the first day; server .3 once on the first day and once the next morning.
    writePcapFile(path, [...refused(DAY1, '10.0.0.2', 40000), ...refused(DAY1 + 1, '10.0.0.2', 40001), ...refused(DAY1 + 2, '10.0.0.3', 40002), ...refused(NEXT, '10.0.0.3', 40003)]);
    const r = await runCli(['analyze', path]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s+2× port_closed/.test(l));
    assert.equal(rows.length, 2, r.stdout);
    const crossing = rows.find((l) => l.includes('10.0.0.3')) ?? '';
    const sameDay = rows.find((l) => l.includes('10.0.0.2')) ?? '';
    assert.match(crossing, /21:35:35\.000\d{3} – 2011-12-17 05:45:28\.000\d{3}/, 'a span over days prints the end date');
    // The first row is on the capture's first day (the header shows it): time only; the row after a
    // row that ended the next day carries its date again.
    const first = rows[0] ?? '';
    const second = rows[1] ?? '';
    if (first === sameDay) assert.doesNotMatch(first, /2011-12-16/);
    else assert.match(second, /2011-12-16 21:35:33/, 'the day changed from the row above');
    assert.match(r.stdout, /2011-12-16T21:35:33\.000000Z → 2011-12-17T05:45:28\.000\d{3}Z \(8 h 09 min\)/);
  } finally {
    tmp.remove();
  }
});

test('explain shows a connection whose clock stepped back with a negative duration and a note, and says so in the ladder', async () => {
  const tmp = tempDir('whyreset-times-');
  try {
    const path = join(tmp.dir, 'back.pcap');
    const t = DAY1;
    const f = (ts: number, fromClient: boolean, seq: number, ack: number, flags: number, payload = 0) => ({
      ts,
      data: fromClient
        ? tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 443, seq, ack, flags, win: 64240, ttl: 64, id: 1, payload: new Uint8Array(payload) })
        : tcp4Frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 443, dport: 40000, seq, ack, flags, win: 64240, ttl: 64, id: 1, payload: new Uint8Array(payload) }),
    });
    writePcapFile(path, [f(t, true, 1000, 0, SYN), f(t + 0.001, false, 5000, 1001, SYN | ACK), f(t + 0.002, true, 1001, 5001, ACK), f(t + 0.003, true, 1001, 5001, PSH | ACK, 10), f(t - 4, true, 1011, 5001, RST | ACK)]);
    const r = await runCli(['explain', path, '--conn', 'C1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /-4\.0 s, the clock stepped back/);
    assert.match(r.stdout, /clock stepped back 4\.0 s/);
  } finally {
    tmp.remove();
  }
});

function writePcapFile(path: string, records: { ts: number; data: Uint8Array }[]): void {
  writeFileSync(path, writePcap(records));
}
