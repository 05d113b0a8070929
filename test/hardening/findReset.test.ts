/**
 * Issue 16, item 11: find a reset the way one thinks of it — `explain --reset R4` (the id analyze
 * prints) and `explain --frame [CAPTURE:]N` (Wireshark's frame number).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseFrameSelector, parseResetSelector } from '../../src/cli/explain.js';
import { REPO_ROOT, runCli } from '../helpers/run.js';

test('parseResetSelector and parseFrameSelector: ids, frames with and without a capture, and nonsense', () => {
  assert.deepEqual(parseResetSelector('r4'), { kind: 'reset', id: 'R4' });
  assert.equal(parseResetSelector('C4'), null);
  assert.deepEqual(parseFrameSelector('1234'), { kind: 'frame', capture: 0, frame: 1234 });
  assert.deepEqual(parseFrameSelector('1:7'), { kind: 'frame', capture: 1, frame: 7 });
  assert.equal(parseFrameSelector('0'), null);
  assert.equal(parseFrameSelector('x'), null);
});

test('explain --reset and --frame show the connection of that reset', async () => {
  const client = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'middlebox-injection.client.pcap');
  const closed = join(REPO_ROOT, 'examples', 'closed-port.pcap');
  const report = JSON.parse((await runCli(['analyze', closed, client, '--format', 'json'])).stdout);
  const last = report.resets[report.resets.length - 1];
  assert.ok(last.capture === 1, 'a reset of the second capture');
  for (const args of [
    ['--reset', last.id],
    ['--frame', `1:${last.frame}`],
  ]) {
    const r = await runCli(['explain', closed, client, ...args, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout);
    assert.equal(shown.connections[0].connection.id, last.conn, args.join(' '));
  }
  const none = await runCli(['explain', closed, '--reset', 'R999']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no connection R999/);
  const both = await runCli(['explain', closed, '--reset', 'R1', '--conn', 'C1']);
  assert.equal(both.code, 2);
});
