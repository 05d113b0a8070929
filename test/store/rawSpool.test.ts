/**
 * The ingest path's own plumbing: the row spool (documents encoded into a reused buffer, one per
 * line), the sha256 taken inline or by a worker thread reading the file itself, and RawDuck (DuckDB through node-bindings
 * alone: parameters bound by type, VARCHAR cells read straight from the result's vectors).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeForStore } from '../../src/store/analyzeFile.js';
import { INGEST_ROW_GROUP_SIZE, RawDuck, bindingsFile, openStoreFile } from '../../src/store/duckdbRaw.js';
import { hasherFor } from '../../src/store/hasher.js';
import { ProcessHasher, opensslPath } from '../../src/store/processHasher.js';
import { withExtra } from '../../src/store/rows.js';
import { RowSpool } from '../../src/store/spool.js';
import { REPO_ROOT, tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-rawspool-');
after(() => tmp.remove());

test('row spool: every document is one line, byte for byte, across buffer flushes, non-ASCII text and documents larger than the buffer', () => {
  const spool = new RowSpool();
  const docs: string[] = [];
  for (let i = 0; i < 3000; i++) docs.push(JSON.stringify({ id: `R${i}`, hint: i % 7 === 0 ? `réseau ✓ ${'x'.repeat(i)}` : 'short' }));
  docs.push(JSON.stringify({ id: 'big', detail: '€'.repeat(400_000) }));
  docs.push(JSON.stringify({ id: 'after' }));
  for (const [i, d] of docs.entries()) spool.row('resets', d, i === 0 ? null : 86_400 * (i < 1500 ? 3 : 5) + i);
  spool.finish();
  const file = spool.pathOf('resets') as string;
  assert.equal(spool.pathOf('connections'), null, 'no file for a table without rows');
  assert.deepEqual(readFileSync(file, 'utf8').split('\n'), [...docs, '']);
  assert.deepEqual([...(spool.days.get('resets') ?? [])], [3, 5]);
  spool.remove();
  assert.equal(existsSync(file), false, 'removed');
});

test('row spool: an `extra` member is spliced in before the closing brace, as withExtra does, for small and large documents', () => {
  const spool = new RowSpool();
  const expected: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const doc = JSON.stringify({ id: `R${i}`, signature: i % 2 === 0 ? 'SYN→RST' : 'plain', pad: 'p'.repeat(i % 5 === 0 ? 300_000 : i) });
    const extra = i % 3 === 0 ? null : JSON.stringify({ rule: `rule ${i} ✓` });
    spool.row('connections', doc, 86_400, extra);
    expected.push(withExtra(doc, extra));
  }
  spool.finish();
  const lines = readFileSync(spool.pathOf('connections') as string, 'utf8').split('\n');
  assert.deepEqual(lines, [...expected, '']);
  assert.deepEqual(JSON.parse(lines[1] as string).extra, { rule: 'rule 1 ✓' });
  spool.remove();
});

test('row spool: inputRead hands every table\'s rows so far on as a segment at once; the rest follow in order, and a table without new rows gives no empty segment', () => {
  const spool = new RowSpool(1 << 20);
  const handed: [string, string][] = [];
  spool.onSegment = (table, file) => handed.push([table, file]);
  spool.row('resets', '{"id":"R1"}', null);
  spool.row('connections', '{"id":"C1"}', null);
  assert.equal(handed.length, 0, 'nothing handed on before 1 MiB');
  spool.inputRead();
  assert.deepEqual(
    handed.map(([t]) => t),
    ['resets', 'connections'],
  );
  assert.deepEqual(
    handed.map(([, f]) => readFileSync(f, 'utf8')),
    ['{"id":"R1"}\n', '{"id":"C1"}\n'],
  );
  spool.row('connections', '{"id":"C2"}', null);
  spool.finish();
  assert.deepEqual(
    handed.slice(2).map(([t, f]) => [t, readFileSync(f, 'utf8')]),
    [['connections', '{"id":"C2"}\n']],
  );
  spool.remove();
  // Without segments (PostgreSQL reads one file per table back) it does nothing.
  const whole = new RowSpool();
  whole.row('resets', '{"id":"R1"}', null);
  whole.inputRead();
  whole.row('resets', '{"id":"R2"}', null);
  whole.finish();
  assert.equal(readFileSync(whole.pathOf('resets') as string, 'utf8'), '{"id":"R1"}\n{"id":"R2"}\n');
  whole.remove();
});

test('analyzeForStore: the writer hears inputRead once, after the file is read and before the rows of the connections the capture\'s end leaves open', async () => {
  const events: string[] = [];
  const writer = {
    row(table: string) {
      events.push(table);
    },
    inputRead() {
      events.push('inputRead');
    },
  };
  const r = await analyzeForStore(join(REPO_ROOT, 'test', 'fixtures', 'lab', 'nmap-syn-scan.client.pcap'), {}, writer);
  assert.equal(events.filter((e) => e === 'inputRead').length, 1);
  assert.equal(events.length - 1, r.rows.connections + r.rows.resets + r.rows.patterns);
  // The scan's connections are still waiting out their close delay when the capture ends: their rows follow.
  assert.ok(events.indexOf('inputRead') < events.lastIndexOf('connections'), events.join(','));
});

/** Runs `f` with large files hashed by a worker thread (WHYRESET_HASH_PROCESS=0), or by openssl when `thread` is false and openssl is on PATH. */
async function hashedBy<T>(thread: boolean, f: () => Promise<T>): Promise<T> {
  const before = process.env.WHYRESET_HASH_PROCESS;
  if (thread) process.env.WHYRESET_HASH_PROCESS = '0';
  else delete process.env.WHYRESET_HASH_PROCESS;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.WHYRESET_HASH_PROCESS;
    else process.env.WHYRESET_HASH_PROCESS = before;
  }
}

const HAS_OPENSSL = opensslPath() !== null;

test('sha256 on a worker thread or by openssl, reading the file itself, equals the inline one; inline, the bytes the analysis left unread are hashed too (40 MiB)', async () => {
  const data = Buffer.alloc(40 << 20);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const expected = createHash('sha256').update(data).digest('hex');
  const file = join(tmp.dir, 'hash.bin');
  writeFileSync(file, data);
  for (const thread of HAS_OPENSSL ? [true, false] : [true]) {
    const threaded = await hashedBy(thread, () => hasherFor(file, 0));
    assert.equal(threaded instanceof ProcessHasher, !thread);
    // The analysis's chunks are only counted by the threaded hasher: it reads the file on its own.
    for (let at = 0; at < data.length; at += 3 << 20) threaded.update(data.subarray(at, Math.min(data.length, at + (3 << 20))));
    assert.equal(await threaded.digest(), expected);
    assert.equal(await threaded.early, expected);
  }
  const inline = await hasherFor(file);
  // An analysis that stopped a third of the way in (damage): the rest is read from the file.
  inline.update(data.subarray(0, 13 << 20));
  assert.equal(await inline.digest(), expected);
  // A hasher abandoned mid-file (the analysis failed) does not keep the process alive: this test file ends.
  (await hashedBy(true, () => hasherFor(file, 0))).update(data.subarray(0, 1000));
  (await hashedBy(false, () => hasherFor(file, 0))).update(data.subarray(0, 1000));
});

test('sha256 by openssl: found on PATH unless WHYRESET_HASH_PROCESS=0; a child that fails or prints no digest costs only time (hashed on this thread)', { skip: process.platform === 'win32' }, async () => {
  const bin = join(tmp.dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const fake = join(bin, 'openssl');
  assert.equal(opensslPath({ PATH: bin }), null, 'nothing there yet');
  writeFileSync(fake, '#!/bin/sh\ncat >/dev/null\necho "not a digest"\n', { mode: 0o755 });
  assert.equal(opensslPath({ PATH: `/nonexistent:${bin}` }), fake);
  assert.equal(opensslPath({ PATH: bin, WHYRESET_HASH_PROCESS: '0' }), null);
  const file = join(tmp.dir, 'fallback.bin');
  writeFileSync(file, Buffer.alloc(3 << 20, 9));
  const expected = createHash('sha256').update(readFileSync(file)).digest('hex');
  const stat = statSync(file, { bigint: true });
  const { identityOf } = await import('../../src/store/fileIdentity.js');
  const liar = new ProcessHasher(fake, file, identityOf(stat), (path) => createHash('sha256').update(readFileSync(path)));
  assert.equal(await liar.digest(), expected);
  await assert.rejects(liar.early, /without a digest/);
  // A child that reads nothing: its digest is refused (the descriptor is not at the end of the file).
  writeFileSync(fake, '#!/bin/sh\necho "0000000000000000000000000000000000000000000000000000000000000000 *stdin"\n', { mode: 0o755 });
  const idle = new ProcessHasher(fake, file, identityOf(stat), (path) => createHash('sha256').update(readFileSync(path)));
  await assert.rejects(idle.digest(), /changed while it was being read \(not hashed to its end\)/);
  await assert.rejects(idle.early, /not hashed to its end/);
});

test('sha256 on a worker thread or by openssl: a file written to while it is analysed fails loudly instead of giving a key', async () => {
  for (const thread of HAS_OPENSSL ? [true, false] : [true]) {
    const file = join(tmp.dir, `changing-${thread}.bin`);
    writeFileSync(file, Buffer.alloc(4 << 20, 7));
    const threaded = await hashedBy(thread, () => hasherFor(file, 0));
    threaded.update(Buffer.alloc(1 << 20, 7));
    appendFileSync(file, 'more bytes');
    await assert.rejects(threaded.digest(), /changed while it was being read/);
    const replaced = await hashedBy(thread, () => hasherFor(file, 0));
    // Renamed over (another inode, same size and bytes): not the file that was stat'ed.
    const twin = join(tmp.dir, `twin-${thread}.bin`);
    writeFileSync(twin, readFileSync(file));
    renameSync(twin, file);
    await assert.rejects(replaced.digest(), /changed while it was being read/);
  }
});

test('sha256 thread: it loads DuckDB\'s native library first when given it (the store then opens on this thread), and the digest is unchanged', async () => {
  const file = join(tmp.dir, 'lib.bin');
  writeFileSync(file, Buffer.alloc(1 << 20, 3));
  const library = bindingsFile();
  assert.ok(library !== null && existsSync(library), String(library));
  let loading: Promise<void> | null = null;
  const hasher = await hashedBy(true, () =>
    hasherFor(file, 0, {
      file: library,
      onLoading: (p) => {
        loading = p;
      },
    }),
  );
  assert.ok(loading !== null, 'onLoading is called within hasherFor');
  const db = await openStoreFile(join(tmp.dir, 'lib.duckdb'), { create: true, singleThreaded: true, libraryLoaded: loading });
  try {
    assert.deepEqual(await db.texts("SELECT 'opened'"), [['opened']]);
  } finally {
    db.close();
  }
  assert.equal(await hasher.digest(), createHash('sha256').update(readFileSync(file)).digest('hex'));
});

test('RawDuck: parameters of every kind round-trip, NULLs, inline and long strings, and results over several chunks', async () => {
  const db = await RawDuck.open(join(tmp.dir, 'raw.duckdb'), { threads: '1' });
  try {
    await db.run('CREATE TABLE t (s VARCHAR, n BIGINT, d DOUBLE, b BLOB)');
    const long = 'a string longer than twelve bytes, ünïcödé';
    await db.run('INSERT INTO t VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)', ['short', 2 ** 40, 1709283600.000576, new Uint8Array([0, 1, 255]), long, null, null, null]);
    const rows = await db.texts("SELECT s, CAST(n AS VARCHAR), printf('%.17g', d), base64(b) FROM t ORDER BY s DESC");
    assert.deepEqual(rows, [
      ['short', String(2 ** 40), '1709283600.000576', 'AAH/'],
      [long, null, null, null],
    ]);
    assert.equal(Number(rows[0]?.[2]), 1709283600.000576, 'a double read back as 17 digits is the same double');
    const many = await db.texts("SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE 'row ' || i || repeat('.', i % 20) END FROM range(5000) r(i) ORDER BY i");
    assert.equal(many.length, 5000);
    for (const [i, row] of many.entries()) assert.equal(row[0], i % 3 === 0 ? null : `row ${i}${'.'.repeat(i % 20)}`);
    await assert.rejects(db.run('SELECT * FROM no_such_table'), /no_such_table/);
  } finally {
    db.close();
  }
});

test('openStoreFile with rowGroupSize: the store is attached with that ROW_GROUP_SIZE (ingest\'s, INGEST_ROW_GROUP_SIZE), its rows committed in groups of at most that many, its spill directory beside the store, and readable by a plain open', async () => {
  const file = join(tmp.dir, 'groups.duckdb');
  assert.ok(INGEST_ROW_GROUP_SIZE < 122_880 && INGEST_ROW_GROUP_SIZE % 2048 === 0);
  const db = await openStoreFile(file, { create: true, singleThreaded: true, rowGroupSize: 2048 });
  try {
    await db.run('BEGIN TRANSACTION; CREATE TABLE t AS SELECT range AS i FROM range(5000); COMMIT');
    // Spilled data goes beside the store, as for a store opened plainly (an in-memory database's default is ./.tmp).
    assert.deepEqual(await db.texts("SELECT current_setting('temp_directory')"), [[`${file}.tmp`]]);
    assert.deepEqual(await db.texts('SELECT CAST(count(DISTINCT row_group_id) AS VARCHAR) FROM pragma_storage_info(\'t\')'), [['3']]);
  } finally {
    db.close();
  }
  const plain = await openStoreFile(file, { create: false });
  try {
    assert.deepEqual(await plain.texts('SELECT CAST(sum(i) AS VARCHAR) FROM t'), [[String((4999 * 5000) / 2)]]);
  } finally {
    plain.close();
  }
});
