/**
 * Issue 15, item 2, through the CLI: a capture cut with `editcap -c N` into rotated pieces and
 * ingested one file per `ingest --carry` run, then `ingest --finish`, stores the same connections
 * and resets rows as the whole file ingested at once; a connection crossing a boundary is stored
 * once, complete; a file that does not continue the stream finishes it first.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generate } from '../../bench/gen.js';
import { DuckStore } from '../../src/store/duckdb.js';
import { runCli, tempDir } from '../helpers/run.js';

const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;
const tmp = tempDir('whyreset-carry-store-');
after(() => tmp.remove());

async function sql(file: string, text: string): Promise<Record<string, unknown>[]> {
  const store = await DuckStore.open(file, { create: false });
  try {
    return (await store.query(text)).rows;
  } finally {
    store.close();
  }
}

/** Rows of a table without where they lie (the file, the frame in it, a parent's file and frame). */
async function rowsOf(db: string, table: 'connections' | 'resets'): Promise<string[]> {
  const exclude = table === 'resets' ? 'capture_sha256, frame, extra' : 'capture_sha256';
  return (await sql(db, `SELECT * EXCLUDE (${exclude}) FROM ${table} ORDER BY id`)).map((r) => JSON.stringify(r));
}

async function ingest(args: string[]): Promise<string> {
  const r = await runCli(['ingest', ...args], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('rotated pieces ingested one per run with --carry equal the whole file', { skip: !hasEditcap && 'editcap is not installed' }, async () => {
  const whole = join(tmp.dir, 'whole.pcap');
  generate(whole, { sizeMiB: 3, seed: 7 });
  const dir = join(tmp.dir, 'pieces');
  mkdirSync(dir);
  execFileSync('editcap', ['-c', '400', whole, join(dir, 'cap.pcap')]);
  const pieces = readdirSync(dir).sort().map((f) => join(dir, f));
  assert.ok(pieces.length >= 5);

  const wholeDb = join(tmp.dir, 'whole.duckdb');
  await ingest(['--db', wholeDb, '--sensor', 's1', whole]);
  const piecesDb = join(tmp.dir, 'pieces.duckdb');
  let carried = 0;
  for (const p of pieces) {
    const out = await ingest(['--db', piecesDb, '--sensor', 's1', '--carry', p]);
    carried += Number(/(\d+) open connections carried/.exec(out)?.[1] ?? 0);
  }
  assert.ok(carried > 0, 'connections crossed file boundaries');
  const [open] = await sql(piecesDb, 'SELECT open_connections FROM sensor_streams WHERE sensor = \'s1\'');
  assert.ok(Number(open?.open_connections) > 0, 'the last file left connections open');
  // Before --finish the open connections are not stored as finished.
  const before = await sql(piecesDb, 'SELECT count(*) AS n FROM connections');
  const [wholeCount] = await sql(wholeDb, 'SELECT count(*) AS n FROM connections');
  assert.ok(Number(before[0]?.n) < Number(wholeCount?.n));
  assert.match(await ingest(['--db', piecesDb, '--sensor', 's1', '--finish']), /^finished +sensor s1 [1-9]\d* connections/m);
  assert.equal((await sql(piecesDb, 'SELECT * FROM sensor_streams')).length, 0, 'the stream is gone once finished');

  assert.deepEqual(await rowsOf(piecesDb, 'connections'), await rowsOf(wholeDb, 'connections'), 'connections');
  assert.deepEqual(await rowsOf(piecesDb, 'resets'), await rowsOf(wholeDb, 'resets'), 'resets');
  const [dupes] = await sql(piecesDb, 'SELECT count(*) - count(DISTINCT community_id || CAST(ts AS VARCHAR)) AS n FROM connections');
  assert.equal(Number(dupes?.n), 0, 'each connection stored once');
  // A second --finish has nothing to do.
  assert.match(await ingest(['--db', piecesDb, '--sensor', 's1', '--finish']), /nothing carried/);
});

test('a file that does not continue the stream finishes it first', { skip: !hasEditcap && 'editcap is not installed' }, async () => {
  const a = join(tmp.dir, 'a.pcap');
  generate(a, { sizeMiB: 1, seed: 3 });
  const db = join(tmp.dir, 'other.duckdb');
  const wholeDb = join(tmp.dir, 'other-whole.duckdb');
  await ingest(['--db', wholeDb, '--sensor', 's2', a]);
  await ingest(['--db', db, '--sensor', 's2', '--carry', a]);
  // Another name: not a piece of the same capture, so the open stream is finished before it.
  const b = join(tmp.dir, 'unrelated.pcap');
  copyFileSync(join(tmp.dir, 'whole.pcap'), b);
  await ingest(['--db', db, '--sensor', 's2', b]);
  const [sha] = await sql(wholeDb, 'SELECT sha256 FROM captures');
  const stored = await sql(db, `SELECT count(*) AS n FROM connections WHERE capture_sha256 = '${sha?.sha256}'`);
  const expected = await sql(wholeDb, 'SELECT count(*) AS n FROM connections');
  assert.equal(Number(stored[0]?.n), Number(expected[0]?.n), 'the first file holds all its connections');
  assert.equal((await sql(db, 'SELECT * FROM sensor_streams')).length, 0);
});
