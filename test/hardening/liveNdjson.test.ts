/**
 * Issue 16, item 4: `--format ndjson` follows a live capture. Each reset and connection is
 * written when its connection ends, not when the input ends, and `--summary-every S` adds a
 * partial `summary` line every S seconds of wall-clock time while the pipe stays open.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pcapHeader, writePcap } from '../../testkit/captureWriter.js';
import { ACK, PSH, RST, SYN, tcp4Frame } from '../../testkit/frames.js';
import { finish, spawnCli } from '../helpers/run.js';

const T0 = 1700000000;
const C = '10.1.0.1';
const S = '10.1.0.2';

/** A connection the client aborts after some data, then (10 s later, past Zeek's tcp_reset_delay) a SYN that moves capture time on. */
function liveRecords(): Uint8Array {
  const f = (ts: number, src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0) => ({
    ts,
    data: tcp4Frame({ src, dst, sport, dport, seq, ack, flags, win: 64240, ttl: 64, id: 1, payload: new Uint8Array(payload) }),
  });
  const records = [
    f(T0, C, S, 40000, 443, 1000, 0, SYN),
    f(T0 + 0.001, S, C, 443, 40000, 5000, 1001, SYN | ACK),
    f(T0 + 0.002, C, S, 40000, 443, 1001, 5001, ACK),
    f(T0 + 0.003, C, S, 40000, 443, 1001, 5001, PSH | ACK, 100),
    f(T0 + 0.004, S, C, 443, 40000, 5001, 1101, ACK),
    f(T0 + 0.005, C, S, 40000, 443, 1101, 5001, RST | ACK),
    f(T0 + 10, C, S, 40001, 443, 7000, 0, SYN),
  ];
  // Records only: the header goes first, separately.
  return writePcap(records).subarray(pcapHeader().length);
}

/** Resolves once `predicate` holds, polling (bounded: fails after 15 s). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('ndjson writes a reset and its connection while the capture is still arriving, and partial summaries on the wall clock', async () => {
  const child = spawnCli(['analyze', '-', '--format', 'ndjson', '--summary-every', '0.2']);
  const done = finish(child, 30_000);
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  const lines = () => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  child.stdin?.write(pcapHeader());
  const records = liveRecords();
  // Slowly, as a live tcpdump would write them.
  for (let at = 0; at < records.length; at += 40) {
    child.stdin?.write(records.subarray(at, Math.min(records.length, at + 40)));
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => lines().some((o) => o.type === 'reset'), 'a reset line before the end of the input');
  await until(() => lines().some((o) => o.type === 'connection'), 'its connection line');
  await until(() => lines().filter((o) => o.type === 'summary').length >= 2, 'partial summaries while the pipe is silent');
  const before = lines();
  const reset = before.find((o) => o.type === 'reset');
  assert.equal(reset?.cause, 'application_abort');
  const partial = before.filter((o) => o.type === 'summary');
  assert.ok(partial.every((o) => o.partial === true));
  assert.equal(partial[partial.length - 1]?.resets, 1, 'the partial summary counts what was written');
  assert.equal(before.some((o) => o.type === 'input'), false, 'the input is still being read');
  child.stdin?.end();
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const all = lines();
  const last = all[all.length - 1];
  assert.equal(last?.type, 'summary');
  assert.equal(last?.partial, undefined, 'the last line is the final summary');
  assert.equal(last?.resets, 1);
  assert.equal(all.filter((o) => o.type === 'input').length, 1);
});

test('--summary-every needs --format ndjson and a positive number of seconds', async () => {
  for (const args of [
    ['--summary-every', '5'],
    ['--format', 'ndjson', '--summary-every', '0'],
    ['--format', 'ndjson', '--summary-every', 'soon'],
  ]) {
    const child = spawnCli(['analyze', 'x.pcap', ...args]);
    child.stdin?.end();
    const r = await finish(child);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /--summary-every/);
  }
});
