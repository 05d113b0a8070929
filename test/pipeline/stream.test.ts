/**
 * Issue 12, item 5: one capture cut into pieces (`editcap -c N`, as tcpdump -C and dumpcap ring
 * buffers cut) and analysed as pieces gives the same connections, histories and resets as the
 * whole file — with `--stream` and by auto-detection (names that differ only in digits,
 * consecutive times) — while frames stay numbered per file (capture index + frame).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Connection, type Report, type Reset, analyze } from '../../src/index.js';
import { expandInputs, globRegExp } from '../../src/pipeline/inputs.js';
import { StreamPieces, continuesStream, pieceSkeleton } from '../../src/pipeline/stream.js';
import { A, Conversation, F, P, R, S } from '../helpers/conversation.js';
import { tempDir } from '../helpers/run.js';

const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;

/** Six interleaved conversations: resets from either side, a closed port, a clean close, a long idle. */
function capture(): Uint8Array {
  const t0 = 1_700_000_000;
  const a = new Conversation({ start: t0, client: { port: 41000 } }).handshake().exchange(100, 2000).wait(0.05).send('s', R | A);
  const b = new Conversation({ start: t0 + 0.0015, client: { port: 41001 }, server: { addr: '10.0.1.21' } })
    .handshake()
    .exchange(50, 50)
    .send('c', F | A)
    .send('s', F | A)
    .send('c', A);
  const c = new Conversation({ start: t0 + 0.003, client: { port: 41002 } }).send('c', S).send('s', R | A);
  const d = new Conversation({ start: t0 + 0.004, client: { port: 41003 }, server: { port: 443 } })
    .handshake()
    .send('c', P | A, { len: 300 })
    .wait(2)
    .send('c', R | A);
  const e = new Conversation({ start: t0 + 0.006, client: { port: 41004 }, server: { addr: '10.0.1.22' } }).handshake().exchange(10, 10).exchange(10, 10).send('c', R);
  const f = new Conversation({ start: t0 + 0.0065, v6: true }).handshake().exchange(20, 3000).send('s', R | A).send('c', P | A, { len: 10 }).send('s', R);
  return a.toPcap(b, c, d, e, f);
}

/** A connection without where it lies (its capture index differs between the whole and the pieces). */
function connectionView(c: Connection): unknown {
  const { capture: _capture, ...rest } = c;
  return rest;
}

/** A reset without its (capture, frame); its parent's (capture, frame) as the frame in the whole file. */
function resetView(r: Reset, pieceSize: number): unknown {
  const { capture: _capture, frame: _frame, ...rest } = r;
  if (r.parent) rest.parent = { id: r.parent.id, capture: 0, frame: r.parent.capture * pieceSize + r.parent.frame };
  return rest;
}

/** Asserts that `pieces` tells the story `whole` tells, and that each reset's (capture, frame) is its whole-file frame. */
function assertSameStory(whole: Report, pieces: Report, pieceSize: number, label: string): void {
  assert.equal(pieces.summary.connections, whole.summary.connections, `${label}: connections`);
  assert.equal(pieces.summary.resets, whole.summary.resets, `${label}: resets`);
  assert.deepEqual(pieces.connections.map(connectionView), whole.connections.map(connectionView), `${label}: connections differ`);
  assert.deepEqual(
    pieces.resets.map((r) => resetView(r, pieceSize)),
    whole.resets.map((r) => resetView(r, pieceSize)),
    `${label}: resets differ`,
  );
  assert.deepEqual(
    pieces.resets.map((r) => r.capture * pieceSize + r.frame),
    whole.resets.map((r) => r.frame),
    `${label}: (capture, frame) of each reset is its frame in the whole file`,
  );
  for (const r of pieces.resets) assert.ok(r.frame >= 1 && r.frame <= pieceSize, `${label}: frame ${r.frame} is numbered per file`);
}

describe('one stream across rotated files', () => {
  const tmp = tempDir('whyreset-stream-');
  after(() => tmp.remove());
  const wholePath = join(tmp.dir, 'whole.pcap');
  writeFileSync(wholePath, capture());

  for (const n of [1, 4, 9, 25]) {
    it(`editcap -c ${n}: pieces analysed as one stream tell the whole file's story`, { skip: !hasEditcap && 'editcap is not installed' }, async () => {
      const dir = join(tmp.dir, `c${n}`);
      mkdirSync(dir);
      execFileSync('editcap', ['-c', String(n), wholePath, join(dir, 'piece.pcap')]);
      const files = await expandInputs([dir]);
      assert.equal(files.length, readdirSync(dir).length);
      const whole = await analyze([wholePath]);
      assert.ok(whole.resets.length >= 5, 'the capture has resets to compare');
      assertSameStory(whole, await analyze(files, { stream: true }), n, `--stream, -c ${n}`);
      // Auto-detection: editcap's names differ only in digits, the times follow on.
      assertSameStory(whole, await analyze(files), n, `auto, -c ${n}`);
      // Without a stream every piece starts afresh: a connection crossing a boundary becomes two.
      const apart = await analyze(files, { stream: false });
      if (n < 20) assert.ok(apart.summary.connections > whole.summary.connections, 'separate trackers split connections');
    });
  }

  it('captures of other names or earlier times are not joined', () => {
    const s = new StreamPieces();
    s.add(0);
    s.lastPath = '/x/cap_00001_20240101000000.pcap';
    s.lastTs = 100;
    s.lastLinkType = 1;
    assert.equal(continuesStream(s, '/x/cap_00002_20240101000500.pcap', 100.5, 1, 300), true);
    assert.equal(continuesStream(s, '/x/cap_00002_20240101000500.pcap', 99, 1, 300), false, 'starts before the last one ended');
    assert.equal(continuesStream(s, '/x/cap_00002_20240101000500.pcap', 100.5, 113, 300), false, 'another link type');
    assert.equal(continuesStream(s, '/x/cap_00002_20240101000500.pcap', 1000, 1, 300), false, 'past the inactivity timeout');
    assert.equal(continuesStream(s, '/x/other.pcap', 100.5, 1, 300), false, 'another name');
    assert.equal(pieceSkeleton('/d/trace'), pieceSkeleton('/d/trace12'), 'tcpdump -C numbering');
  });

  it('globs match file names as a shell does', () => {
    assert.equal(globRegExp('cap_*.pcap').test('cap_00001_2024.pcap'), true);
    assert.equal(globRegExp('cap_*.pcap').test('cap_1.pcapng'), false);
    assert.equal(globRegExp('cap?.pcap').test('cap1.pcap'), true);
    assert.equal(globRegExp('cap[!0].pcap').test('cap0.pcap'), false);
  });
});
