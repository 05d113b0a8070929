/** Renders findings to a string through writeHtml and a real Output over a collecting stream. */
import { Writable } from 'node:stream';
import type { Findings } from '../../src/report/findings.js';
import { writeHtml } from '../../src/report/html/writeHtml.js';
import { Output } from '../../src/report/output.js';

export async function renderHtml(findings: Findings, options: { laddersPerCause?: number; tableRows?: number } = {}): Promise<string> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  const out = new Output(null, sink);
  await writeHtml(out, findings, options);
  await out.flush();
  return Buffer.concat(parts).toString('utf8');
}
