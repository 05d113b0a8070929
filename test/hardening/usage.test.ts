/**
 * Issue 16, item 9: usage errors speak whyreset: one line, a "did you mean" for a typo, a pointer
 * to --help; help lines fit 80 columns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/run.js';

/** Exit 2 and exactly one line on stderr matching `pattern`, nothing on stdout. */
function assertOneLine(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', pattern);
  assert.equal(r.stdout, '');
}

test('a usage error is one line with "did you mean" and a pointer to --help', async () => {
  assertOneLine(await runCli(['analyze', 'x.pcap', '--fromat', 'json']), /unknown option --fromat; did you mean --format\? \(see "whyreset analyze --help"\)$/);
  assertOneLine(await runCli(['analyze', 'x.pcap', '--bogus']), /unknown option --bogus \(see "whyreset analyze --help"\)$/);
  assertOneLine(await runCli(['analyze', 'x.pcap', '--inactivity-timeout', '-5']), /--inactivity-timeout needs a value; a value starting with "-" is written --inactivity-timeout=VALUE/);
  assertOneLine(await runCli(['analyse', 'x.pcap']), /unknown command "analyse"; did you mean "analyze"\?/);
  assertOneLine(await runCli(['cap.pcap']), /to analyse it: whyreset analyze cap\.pcap/);
  assertOneLine(await runCli(['explain', 'x.pcap', '--connn', 'C1']), /did you mean --conn\?/);
});

test('every help text fits 80 columns', async () => {
  for (const args of [['--help'], ['analyze', '--help'], ['explain', '--help'], ['correlate', '--help']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0);
    const wide = r.stdout.split('\n').filter((l) => [...l].length > 80);
    assert.deepEqual(wide, [], `${args.join(' ')}: lines over 80 columns`);
  }
});

test('analyze without a capture says how to try the example and how to capture one', async () => {
  const r = await runCli(['analyze']);
  assertOneLine(r, /whyreset analyze examples\/closed-port\.pcap .*tcpdump -i eth0 -w mine\.pcap/);
  // The example it names is there and analyses as pasted.
  const example = await runCli(['analyze', 'examples/closed-port.pcap']);
  assert.equal(example.code, 0, example.stderr);
  assert.match(example.stdout, /2 TCP resets/);
});

test('the README links the contract inside the repository, never a path outside it', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { REPO_ROOT } = await import('../helpers/run.js');
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.match(readme, /\]\(docs\/contract\.md\)/);
  for (const [, target] of readme.matchAll(/\]\(([^)#]+)\)/g)) {
    if (target === undefined || /^https?:/.test(target)) continue;
    assert.ok(!target.startsWith('..') && !target.startsWith('/'), `README links outside the repository: ${target}`);
  }
  assert.match(readme, /^npx whyreset analyze examples\/\S+\.pcap/m, "the README's first command analyses an example");
});
