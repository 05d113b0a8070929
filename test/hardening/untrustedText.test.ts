/**
 * Issue 16, items 7 and 8: untrusted text never acts on a terminal or a spreadsheet, and
 * evidence details stay bounded however long a burst is.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { burstSeqText } from '../../src/explain/forgery.js';
import { csvField } from '../../src/report/csv.js';
import { escapeControl, neutraliseFormula } from '../../src/report/terminalText.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

test('control characters in untrusted text are shown as \\xNN, newlines kept', () => {
  assert.equal(escapeControl('a\u001b[2Jb\u0007c\u009bd\ne'), 'a\\x1b[2Jb\\x07c\\x9bd\ne');
});

test('CSV cells never start a spreadsheet formula; numbers stay numbers', () => {
  for (const cell of ['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)', '\t=1']) {
    const out = csvField(cell);
    assert.ok(!/^"?[=+\-@\t]/.test(out), out);
  }
  assert.equal(neutraliseFormula('port closed'), 'port closed');
  assert.equal(csvField(42), '42');
});

test('a file name with escape sequences reaches neither the report nor stderr raw', async () => {
  const { dir, remove } = tempDir('whyreset-esc-');
  try {
    const name = join(dir, 'x\u001b]0;pwned\u0007.pcap');
    copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'lab', 'closed-port.client.pcap'), name);
    const r = await runCli(['analyze', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b]'), 'no raw escape in the report');
    assert.match(r.stdout, /x\\x1b\]0;pwned\\x07\.pcap/);
    const missing = await runCli(['analyze', join(dir, 'y\u001b[31m.pcap')]);
    assert.ok(!missing.stderr.includes('\u001b['), 'no raw escape on stderr');
  } finally {
    remove();
  }
});

test('rst_burst evidence is bounded: first, last and a few examples, whatever the burst length', () => {
  const small = burstSeqText([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
  assert.equal(small, '1, 2, 3');
  const burst = Array.from({ length: 1_000_000 }, (_, i) => ({ seq: i * 1000 }));
  const text = burstSeqText(burst);
  assert.ok(text.length < 100, text);
  assert.match(text, /^first 0, last 999999000, e\.g\. /);
});
