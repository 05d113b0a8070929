/**
 * capture/pcap.ts scanRecords: its first calls stop early, so that the statements after its
 * record loop have run (and have type feedback) before TurboFan compiles the loop on the stack.
 * Compiled first, every window's end deoptimised it ("Insufficient type feedback", 16 times on a
 * 128 MiB mix under --single-threaded) and it was compiled again each time. Checked in a child
 * node (--single-threaded --trace-deopt) reading a capture of many windows; and that the early
 * stops hand on every record, in order, as the full scan does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { writePcap } from '../../testkit/captureWriter.js';
import { REPO_ROOT } from '../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'whyreset-scan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A classic pcap of `n` records of 40 to 119 bytes, a millisecond apart, each starting with its index. */
function capture(n: number): string {
  const records = Array.from({ length: n }, (_, i) => {
    const data = new Uint8Array(40 + (i % 80));
    new DataView(data.buffer).setUint32(0, i);
    return { ts: 1_700_000_000 + i / 1000, data };
  });
  const path = join(dir, `records-${n}.pcap`);
  writeFileSync(path, writePcap(records));
  return path;
}

/** Reads `path` in a child node with `flags`; what it printed (the records' indices, then V8's traces). */
function readInChild(path: string, flags: string[]): string {
  const open = JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'capture', 'open.js')).href);
  const script = `import { readCapture } from ${open};
let n = 0, inOrder = true;
await readCapture(${JSON.stringify(path)}, (rec) => { if (rec.view.getUint32(rec.start) !== n++) inOrder = false; }, { chunkSize: 1 << 20 });
process.stdout.write('records ' + n + ' in order ' + inOrder + '\\n');`;
  return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

describe('the pcap record scan', () => {
  it('is not deoptimised at the end of each window once compiled', () => {
    // ~6.4 MB in 1 MiB windows: the loop is compiled within the first, and left at the end of each.
    const out = readInChild(capture(80_000), ['--single-threaded', '--trace-deopt']);
    assert.match(out, /^records 80000 in order true$/m);
    const deopts = out.split('\n').filter((line) => /bailout .*JSFunction scanRecords /.test(line));
    assert.deepEqual(deopts, []);
  });

  it('hands on every record in order, the first calls stopping early', () => {
    for (const n of [1, 2, 37, 300]) assert.match(readInChild(capture(n), []), new RegExp(`^records ${n} in order true$`, 'm'));
  });
});
