/**
 * The JSON writers' fast paths against JSON.stringify: resetJson/connectionJson must give the
 * same bytes for every reset and connection of a run, and the spool must hand back exactly the
 * lines it was given, in memory and after spilling to disk.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import { connectionJson, resetJson } from '../../src/report/json.js';
import type { Connection, Reset } from '../../src/report/model.js';
import { Spool } from '../../src/report/spool.js';
import { A, Conversation, F, P, R, S } from '../helpers/conversation.js';

describe('resetJson and connectionJson', () => {
  it('write what JSON.stringify writes, for explained resets and connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whyreset-json-'));
    const c1 = new Conversation();
    c1.send('c', S).send('s', R | A, { seq: 0, ack: c1.client.seq, win: 0, id: 0 });
    const c2 = new Conversation();
    c2.send('c', S).send('s', S | A).send('c', A).send('c', P | A, { len: 100 }).send('s', R | A);
    const c3 = new Conversation();
    c3.send('c', S).send('s', S | A).send('c', A).send('c', F | A).send('s', F | A).send('c', R);
    const path = join(dir, 'x.pcap');
    writeFileSync(path, c1.toPcap(c2, c3));
    const report = await analyze([path]);
    assert.ok(report.resets.length >= 3);
    for (const r of report.resets) assert.equal(resetJson(r), JSON.stringify(r));
    for (const c of report.connections) assert.equal(connectionJson(c), JSON.stringify(c));
  });

  it('escape as JSON.stringify does and fall back for other shapes', () => {
    const r = {
      id: 'R1', ts: 1.5, capture: 0, frame: 3, conn: null, src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2,
      from: null, flags: ['RST'], ttl: 64, ip_id: null, seq: 0, ack: 0, win: 0, payload_len: 0, stage: null, cause: null,
      verdict: null, origin: null, confidence: Number.NaN, evidence: [{ code: 'reason_text', detail: 'a "quoted"\n\\ text \ud800 →' }],
      signature: 'SYN→RST', hint: null, reason_text: 'x\u0001y', mptcp_reason: { code: 1, name: 'mptcp_specific_error', flags: 0 },
    } as unknown as Reset;
    assert.equal(resetJson(r), JSON.stringify(r));
    const extra = { ...r, more: 1 } as unknown as Reset;
    assert.equal(resetJson(extra), JSON.stringify(extra));
    const c = {
      id: 'C1', ts: 1, orig_h: '::1', orig_p: 1, resp_h: '::2', resp_p: 2, duration: 0, orig_bytes: 0, resp_bytes: 0, orig_pkts: 1,
      resp_pkts: 0, conn_state: 'S0', history: 'S', resets: [], capture: 0, proto: 'tcp', missed_bytes: 0, orig_ip_bytes: 60, resp_ip_bytes: 0,
    } as Connection;
    assert.equal(connectionJson(c), JSON.stringify(c));
    assert.equal(connectionJson({ ...c, radar_category: 'post_syn' }), JSON.stringify({ ...c, radar_category: 'post_syn' }));
    assert.equal(connectionJson({ ...c, other: true }), JSON.stringify({ ...c, other: true }));
  });
});

describe('Spool', () => {
  for (const limit of [1 << 20, 1000]) {
    it(`returns every line in order (memory limit ${limit} bytes)`, () => {
      const spool = new Spool(limit);
      const lines: string[] = [];
      // Long lines (over 1 MiB of UTF-8) and enough bytes that the disk part takes several reads.
      for (let i = 0; i < 20000; i++) lines.push(i % 4999 === 0 ? 'é→'.repeat(200000 + i) : `{"n":${i},"s":"${'x'.repeat(i % 300)}→"}`);
      for (const l of lines) spool.push(l);
      try {
        assert.equal(spool.count, lines.length);
        assert.deepEqual([...spool.lines()], lines);
        const copies: Buffer[] = [];
        for (const c of spool.chunks()) copies.push(Buffer.from(c)); // each chunk is valid until the next
        const bytes = Buffer.concat(copies);
        assert.equal(bytes.toString('utf8'), `${lines.join('\n')}\n`);
      } finally {
        spool.dispose();
      }
    });
  }
});
