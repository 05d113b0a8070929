/**
 * JsonSpool (report/jsonSpool.ts) keeps the json report's resets and connections: objects written
 * by JsonBytes into a byte buffer whose lines go into the spool's chunks (Spool.appendLines). The
 * lines read back are JSON.stringify's, in order, whole lines per chunk, in memory and on disk;
 * the bytes of each line end with ",\n" (the json report's separator, written with the object).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Spool } from '../../src/pipeline/spool.js';
import { Findings } from '../../src/report/findings.js';
import { writeJson } from '../../src/report/json.js';
import { JsonSpool } from '../../src/report/jsonSpool.js';
import { Output } from '../../src/report/output.js';
import { tempDir } from '../helpers/run.js';

/** Objects like resets: a repeated shape, repeated long strings, numbers, and now and then a huge one. */
function objects(n: number): object[] {
  const out: object[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      i % 2999 === 7
        ? { id: `R${i}`, huge: 'é→'.repeat(150000 + i), list: [1, 2, 3] }
        : {
            id: `R${i}`,
            ts: 1709283600 + i / 1e6,
            signature: 'SYN→RST+ACK',
            evidence: [{ code: 'reply_to_syn', detail: `it answers the SYN (frame ${i})` }],
            hint: i % 3 === 0 ? null : 'Nothing listens on 198.51.100.10:443',
            skipped: undefined,
          },
    );
  }
  return out;
}

describe('JsonSpool', () => {
  for (const limit of [1 << 20, 1000]) {
    it(`reads back JSON.stringify's lines in order, whole lines per chunk (memory limit ${limit} bytes)`, () => {
      const spool = new JsonSpool('reset', limit);
      const values = objects(12000);
      const lines: string[] = [];
      try {
        values.forEach((v, i) => {
          // A line pushed as text between the objects stays in its place.
          if (i % 1000 === 500) {
            spool.push('{"text":"pushed as a string"}');
            lines.push('{"text":"pushed as a string"}');
          }
          spool.pushJson(v);
          lines.push(JSON.stringify(v));
        });
        assert.equal(spool.count, lines.length);
        const copies: Buffer[] = [];
        for (const c of spool.chunks()) {
          assert.equal(Buffer.from(c.subarray(c.length - 2)).toString(), ',\n', 'a chunk ends with a whole line');
          copies.push(Buffer.from(c));
        }
        assert.equal(Buffer.concat(copies).toString('utf8'), lines.map((l) => `${l},\n`).join(''));
        assert.deepEqual([...spool.lines()], lines);
      } finally {
        spool.dispose();
      }
    });
  }

  it('Spool.appendLines cuts at a newline when the chunk is full, and gives a longer line a chunk of its own', () => {
    const spool = new Spool(1 << 30);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(i % 500 === 9 ? 'x'.repeat(400000 + i) : `line ${i} ${'y'.repeat(i % 700)}`);
    // Handed over several lines at a time, from inside a larger buffer (start > 0).
    for (let i = 0; i < lines.length; i += 7) {
      const text = `${lines.slice(i, i + 7).join('\n')}\n`;
      const bytes = Buffer.concat([Buffer.from('ignored\n'), Buffer.from(text), Buffer.from('also ignored')]);
      spool.appendLines(bytes, 8, 8 + Buffer.byteLength(text));
    }
    const copies: Buffer[] = [];
    for (const c of spool.chunks()) {
      assert.equal(c[c.length - 1], 0x0a);
      assert.ok(c.length <= 256 << 10 || !c.subarray(0, c.length - 1).includes(0x0a), 'only a single long line exceeds a chunk');
      copies.push(Buffer.from(c));
    }
    assert.equal(Buffer.concat(copies).toString('utf8'), `${lines.join('\n')}\n`);
  });

  it('writeJson writes the spooled arrays as JSON.stringify lines joined by ",\\n", spilled to disk or not, empty or not', async () => {
    const tmp = tempDir();
    const findings = new Findings();
    try {
      // 30k resets of ~330 bytes: past the 4 MiB in-memory budget, so most are read back from disk.
      const values = objects(30000);
      for (const v of values) findings.resets.pushJson(v);
      const path = `${tmp.dir}/report.json`;
      const out = new Output(path);
      await writeJson(out, findings);
      await out.end();
      const text = readFileSync(path, 'utf8');
      const resets = `"resets":[\n${values.map((v) => JSON.stringify(v)).join(',\n')}\n],\n"connections":[],\n"patterns":[]}\n`;
      assert.ok(text.endsWith(resets), 'the resets array, then the empty ones');
      assert.equal(JSON.parse(text).resets.length, values.length);
    } finally {
      findings.dispose();
      tmp.remove();
    }
  });
});
