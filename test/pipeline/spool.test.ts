/** The spool hands back exactly the lines it was given, in memory and after spilling to disk. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Spool } from '../../src/pipeline/spool.js';

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

  it('keeps rendered rows as they are, line breaks inside them included, also after spilling to disk (pushText)', () => {
    const spool = new Spool(1000);
    // CSV rows end in CRLF, and a quoted cell may hold a line break of its own.
    const rows: string[] = [];
    for (let i = 0; i < 5000; i++) rows.push(i % 7 === 0 ? `R${i},"reason\nwith a break →"\r\n` : `R${i},${'y'.repeat(i % 200)}\r\n`);
    for (const r of rows) spool.pushText(r);
    try {
      assert.equal(spool.count, rows.length);
      const copies: Buffer[] = [];
      for (const c of spool.chunks()) copies.push(Buffer.from(c));
      assert.equal(Buffer.concat(copies).toString('utf8'), rows.join(''));
    } finally {
      spool.dispose();
    }
  });
});
