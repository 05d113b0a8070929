/**
 * The bin's shebang line: executing bin/whyreset.js starts node without NODE_EXTRA_CA_CERTS
 * (Node 20 reads that certificate file at start-up, ~415 M instructions for Debian's bundle,
 * and whyreset opens no TLS connection), and the bench reads the line as it is executed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { shebangNodeArgs, shebangUnsetEnv } from '../../bench/measure.js';
import { REPO_ROOT } from '../helpers/run.js';

const BIN = join(REPO_ROOT, 'bin', 'whyreset.js');
/** A certificate file that does not exist: node warns at start when it is asked to read it. */
const ENV = { ...process.env, NODE_EXTRA_CA_CERTS: join(REPO_ROOT, 'no-such-dir', 'extra.pem') };
const WARNING = /Ignoring extra certs/;

test('executing bin/whyreset.js does not read NODE_EXTRA_CA_CERTS (node started through it by hand does)', () => {
  const executed = spawnSync(BIN, ['--version'], { env: ENV, encoding: 'utf8' });
  assert.equal(executed.status, 0, executed.stderr);
  assert.doesNotMatch(executed.stderr, WARNING);
  // The same variable read when node is started without the shebang: the check above can fail.
  const byHand = spawnSync(process.execPath, [BIN, '--version'], { env: ENV, encoding: 'utf8' });
  assert.equal(byHand.status, 0, byHand.stderr);
  assert.match(byHand.stderr, WARNING);
});

test('the bench reads the shebang as env runs it: the variables it removes and the node options', () => {
  assert.deepEqual(shebangUnsetEnv(BIN), ['NODE_EXTRA_CA_CERTS']);
  assert.deepEqual(shebangNodeArgs(BIN).slice(0, 1), ['--max-semi-space-size=2']);
  assert.ok(shebangNodeArgs(BIN).every((a) => a.startsWith('--')));
});
