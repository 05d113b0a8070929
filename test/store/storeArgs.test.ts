/**
 * The argument parsing the store commands share (src/cli/storeArgs.ts): each command's options
 * and -h/--help, a usage error (exit 2) for an unknown option or a positional where none is
 * taken, and the help (exit 0) on standard output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStoreArgs } from '../../src/cli/storeArgs.js';
import { runCli } from '../helpers/run.js';

test('parseStoreArgs: the command options and positionals, strict', () => {
  const parsed = parseStoreArgs(['a.pcap', '--db', 'x.duckdb', '-v', 'b.pcap'], { db: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } }, 'usage');
  assert.notEqual(typeof parsed, 'number');
  if (typeof parsed === 'number') return;
  assert.deepEqual(parsed.positionals, ['a.pcap', 'b.pcap']);
  assert.equal(parsed.values.db, 'x.duckdb');
  assert.equal(parsed.values.verbose, true);
  assert.equal(parsed.values.help, undefined);
});

for (const [command, takesPositionals] of [
  ['ingest', true],
  ['query', true],
  ['submit', true],
  ['worker', false],
  ['export', false],
] as const) {
  test(`${command}: -h prints its usage (exit 0); an unknown option or a stray positional is a usage error (exit 2)`, async () => {
    for (const flag of ['-h', '--help']) {
      const help = await runCli([command, flag]);
      assert.equal(help.code, 0, flag);
      assert.match(help.stdout, new RegExp(`Usage: whyreset ${command}`));
    }
    const unknown = await runCli([command, '--no-such-option']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no-such-option/);
    if (!takesPositionals) {
      const stray = await runCli([command, 'stray.pcap']);
      assert.equal(stray.code, 2);
      assert.match(stray.stderr, /stray\.pcap|positional/i);
    }
  });
}
