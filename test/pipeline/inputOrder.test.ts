/**
 * Issue 16 item 13 and issue 12 item 6: reset ids run in time order everywhere — also when the
 * captures are named out of time order (`analyze later.pcap earlier.pcap`). Inputs are read in
 * the order of their first packets (pipeline/inputOrder.ts) while each keeps the capture index
 * its place among the arguments gives it, so "capture 1, frame 5" still names the second file
 * typed. Real lab captures (test/fixtures/lab, README there).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Report, analyze } from '../../src/index.js';
import { planFromPeeks } from '../../src/pipeline/inputOrder.js';
import { expandInputs } from '../../src/pipeline/inputs.js';
import { A, Conversation, R } from '../helpers/conversation.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
/** Three lab captures in time order of their first packets (21:30:30, :37 and :46 on one day). */
const EARLY = join(LAB, 'closed-port.client.pcap');
const MIDDLE = join(LAB, 'fast-close.client.pcap');
const LATE = join(LAB, 'middlebox-injection.client.pcap');

const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;

/** Each reset as (file, frame in it, id), in listing order. */
function listing(report: Report): string[] {
  return report.resets.map((r) => `${report.inputs[r.capture]?.path} #${r.frame} ${r.id}`);
}

/** The resets' connections as (file, id, reset ids), in listing order. */
function connectionListing(report: Report): string[] {
  return report.connections.filter((c) => c.resets.length > 0).map((c) => `${report.inputs[c.capture]?.path} ${c.resets.join(',')}`);
}

describe('reset ids follow time, not the order captures are named in', () => {
  const tmp = tempDir('whyreset-order-');
  after(() => tmp.remove());

  for (const threads of [1, 2]) {
    it(`captures named in any order number and list their resets as in time order (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const options = { threads, threadsMinBytes: 0 };
      const inOrder = await analyze([EARLY, MIDDLE, LATE], options);
      assert.ok(inOrder.resets.length >= 5, 'the captures have resets to order');
      const ts = inOrder.resets.map((r) => r.ts);
      assert.deepEqual(ts, [...ts].sort((a, b) => a - b), 'in order: ids follow the RSTs’ times');
      for (const args of [
        [LATE, MIDDLE, EARLY],
        [MIDDLE, LATE, EARLY],
        [LATE, EARLY, MIDDLE],
      ]) {
        const given = await analyze(args, options);
        assert.deepEqual(listing(given), listing(inOrder), `${args.map((a) => a.slice(LAB.length + 1)).join(' ')}: same ids for the same RSTs, same listing order`);
        assert.deepEqual(connectionListing(given), connectionListing(inOrder), 'connections listed in the same order with the same reset ids');
        assert.deepEqual(
          given.inputs.map((i) => i.path),
          args,
          'the inputs keep their places as given: capture index = place among the arguments',
        );
        assert.equal(given.summary.resets, inOrder.summary.resets);
      }
    });
  }

  it('the CLI finds "R1" in the earliest capture whatever the argument order', async () => {
    const json = await runCli(['analyze', LATE, EARLY, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    const first = report.resets[0];
    assert.equal(first?.id, 'R1');
    assert.equal(report.inputs[first?.capture ?? -1]?.path, EARLY, 'R1 is the earliest capture’s first RST');
    assert.equal(first?.capture, 1, 'and its capture index is the place EARLY was given at');
    const explained = await runCli(['explain', LATE, EARLY, '--reset', 'R1', '--format', 'json']);
    assert.equal(explained.code, 0, explained.stderr);
    const found = JSON.parse(explained.stdout) as { connections: { connection: { capture: number; resets: string[] } }[] };
    assert.equal(found.connections[0]?.connection.capture, 1, 'explain --reset R1 draws the same reset as analyze numbers');
    assert.deepEqual(found.connections[0]?.connection.resets, ['R1']);
  });

  it('pieces of one rotated capture named in reverse order are joined into one stream', { skip: !hasEditcap && 'editcap is not installed' }, async () => {
    // One connection that spans three pieces: joined, it is one connection that resets once.
    const t0 = 1_700_000_000;
    const c = new Conversation({ start: t0, client: { port: 40100 } }).handshake().exchange(100, 200).exchange(100, 200).wait(0.01).send('s', R | A);
    const d = new Conversation({ start: t0 + 0.001, client: { port: 40101 } }).handshake().exchange(10, 10).exchange(10, 10).send('c', R | A);
    const whole = join(tmp.dir, 'whole.pcap');
    writeFileSync(whole, c.toPcap(d));
    const dir = join(tmp.dir, 'pieces');
    mkdirSync(dir);
    execFileSync('editcap', ['-c', '4', whole, join(dir, 'piece.pcap')]);
    const pieces = await expandInputs([dir]);
    assert.ok(pieces.length >= 3, 'cut into several pieces');
    const expected = await analyze([whole]);
    const reversed = await analyze([...pieces].reverse());
    assert.equal(reversed.summary.connections, expected.summary.connections, 'a connection across pieces stays one connection');
    assert.deepEqual(
      reversed.resets.map((r) => `${r.id} ${r.cause} ${r.ts}`),
      expected.resets.map((r) => `${r.id} ${r.cause} ${r.ts}`),
    );
  });

  it('standard input, pipes and unreadable inputs keep their places; only captures with a first packet are reordered', () => {
    // Arguments: late file, stdin (not peeked), missing file, empty capture, early file.
    const plan = planFromPeeks([300, null, 'unreadable', 'empty', 100]);
    assert.deepEqual(plan.order, [4, 1, 2, 3, 0], 'the two timed inputs swap places; the others stay');
    assert.deepEqual(plan.captureIndex, [0, 1, -1, 2, 3], 'an unreadable input takes no capture index');
    assert.deepEqual(planFromPeeks([5, 5, 1]).order, [2, 0, 1], 'equal first times keep the order given');
    assert.deepEqual(planFromPeeks([Number.NaN, 1]).order, [0, 1], 'a time that is no number is not sorted');
  });
});
