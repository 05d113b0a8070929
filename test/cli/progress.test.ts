/**
 * Progress on stderr: a line with bytes read, MB/s and an ETA when the size is known, drawn only
 * on a terminal; nothing at all on a pipe.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress, progressLine } from '../../src/cli/progress.js';

const base = { input: 0, inputs: 1, path: 'big.pcap', bytesBefore: 0 };

test('progressLine: bytes of total, share, MB/s and ETA for a plain file', () => {
  const line = progressLine({ ...base, bytesRead: 250e6, totalBytes: 1000e6 }, 0.5);
  assert.equal(line, 'whyreset: big.pcap: 250.0 MB of 1000.0 MB (25%), 500 MB/s, ETA 2 s');
});

test('progressLine: no size (gzip, stdin) → no share and no ETA; several inputs are numbered', () => {
  const line = progressLine({ ...base, input: 1, inputs: 3, bytesBefore: 100e6, bytesRead: 50e6, totalBytes: null }, 1.5);
  assert.equal(line, 'whyreset: [2/3] big.pcap: 50.0 MB, 100 MB/s');
});

test('progressLine: an ETA over a minute in minutes and seconds', () => {
  const line = progressLine({ ...base, bytesRead: 10e6, totalBytes: 1010e6 }, 1);
  assert.match(line, /ETA 1 min 40 s$/);
});

/** A fake stderr that records what is written. */
function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return {
    written,
    stream: {
      isTTY,
      columns: 60,
      write: (s: string | Uint8Array) => {
        written.push(String(s));
        return true;
      },
    } as unknown as NodeJS.WriteStream,
  };
}

test('Progress: draws on a terminal (cut to its width) and clears the line when done', () => {
  const { written, stream } = fakeStream(true);
  const p = new Progress(stream, 0);
  assert.equal(p.enabled, true);
  p.report({ ...base, bytesRead: 1e6, totalBytes: 2e6 });
  assert.equal(written.length, 1);
  assert.match(written[0] ?? '', /^\r whyreset|^\rwhyreset: big\.pcap: 1\.0 MB of 2\.0 MB \(50%\)/);
  assert.ok((written[0] ?? '').length <= 60 + '\r\x1b[K'.length, 'no wider than the terminal');
  p.done();
  assert.equal(written[1], '\r\x1b[K');
});

test('Progress: silent on a pipe, and during the first second on a terminal', () => {
  const pipe = fakeStream(false);
  const onPipe = new Progress(pipe.stream, 0);
  assert.equal(onPipe.enabled, false);
  onPipe.report({ ...base, bytesRead: 1e6, totalBytes: 2e6 });
  onPipe.done();
  assert.deepEqual(pipe.written, []);
  const tty = fakeStream(true);
  const early = new Progress(tty.stream, 1);
  early.report({ ...base, bytesRead: 1e6, totalBytes: 2e6 });
  early.done();
  assert.deepEqual(tty.written, []);
});
