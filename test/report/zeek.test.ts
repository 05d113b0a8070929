import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection } from '../../src/model/report.js';
import {
  ZEEK_CONN_FIELDS,
  zeekConnFooter,
  zeekConnHeader,
  zeekConnLine,
  zeekConnLog,
  zeekJsonLine,
} from '../../src/report/zeek.js';

const base: Connection = {
  id: 'C1',
  ts: 1300475167.096535,
  orig_h: '141.142.220.202',
  orig_p: 5353,
  resp_h: '224.0.0.251',
  resp_p: 80,
  duration: 0.06,
  orig_bytes: 10,
  resp_bytes: 20,
  orig_pkts: 5,
  resp_pkts: 3,
  conn_state: 'SF',
  history: 'ShADdFf',
  resets: [],
  capture: 0,
  proto: 'tcp',
  missed_bytes: 0,
  orig_ip_bytes: 210,
  resp_ip_bytes: 140,
};

describe('zeek conn.log (ASCII)', () => {
  it('writes the header block Zeek writes', () => {
    const h = zeekConnHeader({ open: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) });
    const lines = h.trimEnd().split('\n');
    assert.equal(lines[0], '#separator \\x09');
    assert.equal(lines[1], '#set_separator\t,');
    assert.equal(lines[2], '#empty_field\t(empty)');
    assert.equal(lines[3], '#unset_field\t-');
    assert.equal(lines[4], '#path\tconn');
    assert.equal(lines[5], '#open\t2024-01-02-03-04-05');
    assert.equal(lines[6], `#fields\t${ZEEK_CONN_FIELDS.join('\t')}`);
    assert.equal(
      lines[7],
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
    );
    assert.equal(zeekConnFooter({ close: new Date(Date.UTC(2024, 0, 2, 3, 4, 6)) }), '#close\t2024-01-02-03-04-06\n');
  });

  it('writes one record per line with Zeek formatting', () => {
    assert.equal(
      zeekConnLine(base),
      '1300475167.096535\tC1\t141.142.220.202\t5353\t224.0.0.251\t80\ttcp\t-\t0.060000\t10\t20\tSF\t-\t-\t0\tShADdFf\t5\t210\t3\t140\t-\n',
    );
  });

  it('leaves duration and byte counts unset when the duration is 0 (set_conn)', () => {
    // Zeek's own baseline row: "...\ttcp\t-\t-\t-\t-\tOTH\tF\tF\t0\t^h\t0\t0\t1\t48\t-"
    const line = zeekConnLine({ ...base, duration: 0, history: '^h', conn_state: 'OTH', orig_pkts: 0, orig_ip_bytes: 0, resp_pkts: 1, resp_ip_bytes: 48 });
    const f = line.trimEnd().split('\t');
    assert.deepEqual(f.slice(7, 12), ['-', '-', '-', '-', 'OTH']);
    assert.deepEqual(f.slice(14, 21), ['0', '^h', '0', '0', '1', '48', '-']);
  });

  it('marks an empty history unset and local fields from a predicate', () => {
    const f = zeekConnLine({ ...base, history: '' }, { isLocal: (a) => a.startsWith('141.') }).split('\t');
    assert.equal(f[15], '-');
    assert.equal(f[12], 'T');
    assert.equal(f[13], 'F');
  });

  it('streams a whole log', () => {
    const log = zeekConnLog([base, { ...base, id: 'C2' }]);
    assert.equal(log.split('\n').filter((l) => l.startsWith('#')).length, 9);
    assert.equal(log.split('\n').filter((l) => l.startsWith('1300475167')).length, 2);
  });
});

describe('zeek conn.log (JSON)', () => {
  it('uses Zeek field names and omits unset fields', () => {
    const o = JSON.parse(zeekJsonLine({ ...base, duration: 0 }));
    assert.equal(o['id.orig_h'], '141.142.220.202');
    assert.equal(o['id.resp_p'], 80);
    assert.equal(o.uid, 'C1');
    assert.equal(o.duration, undefined);
    assert.equal(o.orig_bytes, undefined);
    assert.equal(o.missed_bytes, 0);
    assert.equal(o.history, 'ShADdFf');
    assert.equal(o.orig_ip_bytes, 210);
    assert.deepEqual(Object.keys(o).slice(0, 7), ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto']);
  });
});
