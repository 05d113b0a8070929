/**
 * The embedded store end to end, through the CLI as users run it: ingest the lab captures and
 * find exactly what `analyze` reports; ingest again (nothing changes), --force (replaced, never
 * duplicated), kill -9 mid-ingest (the store is as before or complete), query in every format
 * and the named reports, and a Parquet round trip.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from '../../bench/gen.js';
import { analyze } from '../../src/index.js';
import { DuckStore } from '../../src/store/duckdb.js';
import { THREAD_HASH_MIN_BYTES, THREAD_HASH_MIN_BYTES_TWO_CORES, THREAD_HASH_MIN_CORES, threadHashMinBytesFor } from '../../src/store/hasher.js';
import { opensslPath } from '../../src/store/processHasher.js';
import { REPO_ROOT, finish, runCli, spawnCli, tempDir } from '../helpers/run.js';
import { expectedRows, rowAsReported } from '../helpers/storeRows.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const captures = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => join(LAB, f));
const tmp = tempDir('whyreset-duck-');
const db = join(tmp.dir, 'lab.duckdb');
after(() => tmp.remove());

/** Runs SQL on a store file in this process (the CLI has exited, so the file is free). */
async function sql(file: string, text: string): Promise<Record<string, unknown>[]> {
  const store = await DuckStore.open(file, { create: false });
  try {
    return (await store.query(text)).rows;
  } finally {
    store.close();
  }
}

/** Row counts of the four tables. */
async function counts(file: string): Promise<Record<string, unknown>> {
  const rows = await sql(
    file,
    'SELECT (SELECT count(*) FROM captures) AS captures, (SELECT count(*) FROM connections) AS connections, (SELECT count(*) FROM resets) AS resets, (SELECT count(*) FROM patterns) AS patterns',
  );
  return rows[0] as Record<string, unknown>;
}

before(async () => {
  const r = await runCli(['ingest', '--db', db, '--sensor', 'lab', LAB], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^stored /gm)?.length, captures.length, r.stdout);
});

test('ingest: every capture stored with exactly the resets and connections analyze reports', async () => {
  for (const file of captures) {
    const expected = expectedRows(await analyze([file]));
    const [cap] = await sql(db, `SELECT * FROM captures WHERE path = '${resolve(file)}'`);
    assert.ok(cap, `${file} has no captures row`);
    assert.match(String(cap.sha256), /^[0-9a-f]{64}$/);
    assert.equal(cap.sensor, 'lab');
    assert.equal(cap.resets, expected.resets.length);
    const resets = (await sql(db, `SELECT * FROM resets WHERE capture_sha256 = '${cap.sha256}'`)).map(rowAsReported).sort();
    const connections = (await sql(db, `SELECT * FROM connections WHERE capture_sha256 = '${cap.sha256}'`)).map(rowAsReported).sort();
    assert.deepEqual(resets, expected.resets, file);
    assert.deepEqual(connections, expected.connections, file);
  }
  // Evidence is a list of structs: SQL can unnest it.
  const [ev] = await sql(db, "SELECT count(*) AS n FROM (SELECT unnest(evidence) AS e FROM resets) WHERE e.code = 'ttl_mismatch'");
  assert.ok(Number(ev?.n) > 0);
});

test('ingest: the sha256 is the file bytes', async () => {
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const file = captures[0] as string;
  const [cap] = await sql(db, `SELECT sha256 FROM captures WHERE path = '${resolve(file)}'`);
  assert.equal(cap?.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
});

test('ingest: the sha256 is the stored bytes of a gzip file, and of a file with junk the reader stops at', async () => {
  const { createHash } = await import('node:crypto');
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const file = captures[0] as string;
  const gz = join(tmp.dir, 'one.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(file)));
  const junk = join(tmp.dir, 'junk.pcap');
  writeFileSync(junk, Buffer.concat([readFileSync(file), Buffer.alloc(3000, 0xee)]));
  const other = join(tmp.dir, 'sha.duckdb');
  const r = await runCli(['ingest', '--db', other, gz, junk], { timeoutMs: 60_000 });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  for (const f of [gz, junk]) {
    const [cap] = await sql(other, `SELECT sha256 FROM captures WHERE path = '${resolve(f)}'`);
    assert.equal(cap?.sha256, createHash('sha256').update(readFileSync(f)).digest('hex'), f);
  }
});

test('ingest again: nothing changes; --force replaces, never duplicates', async () => {
  const before = await counts(db);
  const again = await runCli(['ingest', '--db', db, LAB], { timeoutMs: 120_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.match(/^unchanged /gm)?.length, captures.length, again.stdout);
  assert.deepEqual(await counts(db), before);
  // A copy of a stored file under another name: the same bytes, recognised after analysis.
  const copy = join(tmp.dir, 'copy.pcap');
  copyFileSync(captures[1] as string, copy);
  const copied = await runCli(['ingest', '--db', db, copy]);
  assert.match(copied.stdout, /^unchanged /m);
  assert.deepEqual(await counts(db), before);
  const forced = await runCli(['ingest', '--db', db, '--force', captures[0] as string]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^replaced /m);
  assert.deepEqual(await counts(db), before);
});

/**
 * Rows fed in 2 KiB segments during the analysis, the sha256 known early (a thread reading the
 * file: `threadHashMinBytes` 0) or only at the end (hashed from the analysis's reads: Infinity,
 * the rows fed under a pending key until then).
 */
for (const [how, threadHashMinBytes] of [
  ['known early (a thread reading the file)', 0],
  ['known at the end (hashed inline, rows under a pending key)', Number.POSITIVE_INFINITY],
] as const) {
test(`ingest with the sha256 ${how} and rows fed in 2 KiB segments during the analysis: the same rows; a copy is unchanged, --force replaces, junk past the end is hashed`, async () => {
  const file = join(tmp.dir, `overlap-${threadHashMinBytes}.duckdb`);
  const store = await DuckStore.open(file, { create: true, singleThreaded: true });
  const phases: string[] = [];
  const overlapped = { sensor: 'lab', threadHashMinBytes, segmentBytes: 2048, onPhase: (phase: string) => phases.push(phase) };
  const fed: string[] = [];
  try {
    for (const capture of captures) {
      phases.length = 0;
      const r = await store.ingest(capture, overlapped);
      assert.equal(r.outcome, 'stored', capture);
      // The transaction opened before the analysis ended (inline: with the first segment cut
      // during the analysis), the rows went in as the segments came; inline, a capture whose
      // rows all come at its end goes in after the analysis.
      if (threadHashMinBytes === 0 || phases.includes('feeding')) assert.deepEqual(phases, ['checking', 'analysing', 'feeding', 'transaction', 'committed'], capture);
      else assert.deepEqual(phases, ['checking', 'analysing', 'transaction', 'committed'], capture);
      if (phases.includes('feeding')) fed.push(capture);
      const expected = expectedRows(await analyze([capture]));
      const resets = (await store.query(`SELECT * FROM resets WHERE capture_sha256 = '${r.sha256}'`)).rows.map(rowAsReported).sort();
      const connections = (await store.query(`SELECT * FROM connections WHERE capture_sha256 = '${r.sha256}'`)).rows.map(rowAsReported).sort();
      assert.deepEqual(resets, expected.resets, capture);
      assert.deepEqual(connections, expected.connections, capture);
    }
    assert.ok(fed.length >= 2, `${fed.length} of ${captures.length} captures fed during their analysis`);
    const count = async () => (await store.query('SELECT (SELECT count(*) FROM resets) + (SELECT count(*) FROM connections) AS n')).rows[0]?.n;
    const before = await count();
    // A copy and --force of captures whose rows went in during their analysis (inline: under the
    // pending key; the copy's rows are rolled back once its sha256 is found stored).
    const copy = join(tmp.dir, 'overlap-copy.pcap');
    copyFileSync(fed[1] as string, copy);
    phases.length = 0;
    assert.equal((await store.ingest(copy, overlapped)).outcome, 'unchanged');
    // A thread's early sha256 finds it stored before any row goes in; inline, the rows went in and were rolled back.
    assert.equal(phases.includes('feeding'), threadHashMinBytes !== 0, phases.join());
    assert.equal((await store.ingest(fed[0] as string, { ...overlapped, force: true })).outcome, 'replaced');
    assert.equal(await count(), before);
    const { createHash } = await import('node:crypto');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const junk = join(tmp.dir, 'overlap-junk.pcap');
    writeFileSync(junk, Buffer.concat([readFileSync(captures[0] as string), Buffer.alloc(3000, 0xee)]));
    const r = await store.ingest(junk, overlapped);
    assert.equal(r.sha256, createHash('sha256').update(readFileSync(junk)).digest('hex'));
    // Every row has its capture's key (none left under the pending one), each row once.
    const keys = await store.query(
      "SELECT (SELECT count(*) FROM resets WHERE capture_sha256 NOT IN (SELECT sha256 FROM captures)) + (SELECT count(*) FROM connections WHERE capture_sha256 NOT IN (SELECT sha256 FROM captures)) + (SELECT count(*) FROM patterns WHERE capture_sha256 NOT IN (SELECT sha256 FROM captures)) AS orphans, (SELECT count(*) - count(DISTINCT (capture_sha256, id)) FROM resets) AS dups",
    );
    assert.deepEqual(keys.rows[0], { orphans: 0, dups: 0 });
  } finally {
    store.close();
  }
});
}

test('WHYRESET_INGEST_STATS: one line with the CPU of the process, this thread, the others, the hashing thread, and each file\'s tail after its analysis', async (t) => {
  const file = join(tmp.dir, 'stats.duckdb');
  const capture = captures[0] as string;
  const r = await runCli(['ingest', '--db', file, capture], { env: { WHYRESET_INGEST_STATS: '1', WHYRESET_HASH_THREAD_MIN_BYTES: '0', WHYRESET_HASH_PROCESS: '0' }, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('whyreset-ingest-stats '));
  assert.equal(lines.length, 1, r.stderr);
  const stats = JSON.parse((lines[0] as string).slice('whyreset-ingest-stats '.length));
  assert.ok(stats.processCpuMs > 0);
  // Linux's /proc gives every thread; the main thread's CPU is part of the process's.
  assert.ok(stats.mainCpuMs > 0 && stats.mainCpuMs <= stats.processCpuMs, JSON.stringify(stats));
  assert.ok(stats.threads.length > 0 && stats.threads.every((t: { tid: number; cpuMs: number }) => Number.isInteger(t.tid) && t.cpuMs >= 0));
  const [hash] = stats.hashThreads;
  assert.equal(hash.path, capture);
  // bin/hashThreadEarly.cjs started the thread before the ingest script loaded; the file was given to it.
  assert.equal(hash.early, true);
  for (const k of ['startMs', 'libraryMs', 'hashMs']) assert.ok(hash[k] >= 0, `${k}: ${hash[k]}`);
  const [f] = stats.files;
  assert.equal(f.outcome, 'stored');
  assert.ok(f.analysedAtMs > 0 && f.analysedAtMs <= stats.endMs);
  assert.ok(f.tail.wallMs >= 0 && f.tail.cpuMs >= 0);
  // Without the variable, nothing is printed.
  const quiet = await runCli(['ingest', '--db', file, '--force', capture], { timeoutMs: 60_000 });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /whyreset-ingest-stats/);
  if (opensslPath() === null) {
    t.diagnostic('openssl is not on PATH (Debian package openssl): its hashing path is not checked here');
    return;
  }
  // With openssl on PATH the file is hashed by it (src/store/processHasher.ts), and no thread is started early.
  const child = await runCli(['ingest', '--db', file, '--force', capture], { env: { WHYRESET_INGEST_STATS: '1', WHYRESET_HASH_THREAD_MIN_BYTES: '0' }, timeoutMs: 60_000 });
  assert.equal(child.code, 0, child.stderr);
  const byChild = JSON.parse((child.stderr.split('\n').find((l) => l.startsWith('whyreset-ingest-stats ')) as string).slice('whyreset-ingest-stats '.length));
  assert.deepEqual(
    byChild.hashThreads.map((h: { path: string; early: boolean; process: boolean }) => [h.path, h.early, h.process]),
    [[capture, false, true]],
  );
  assert.ok(byChild.hashThreads[0].hashMs > 0, JSON.stringify(byChild.hashThreads));
});

test('the hashing thread started before the ingest script: taken by the first file when it is large enough, else ended unused; its bound is the store\'s', async () => {
  const {
    THREAD_HASH_MIN_BYTES: early,
    THREAD_HASH_MIN_CORES: earlyCores,
    THREAD_HASH_MIN_BYTES_TWO_CORES: earlyTwo,
    minBytesOf,
    opensslFound,
  } = createRequire(import.meta.url)(join(REPO_ROOT, 'bin', 'hashThreadEarly.cjs'));
  // The early thread is not started where openssl hashes (src/store/processHasher.ts opensslPath decides the same).
  for (const env of [process.env, { PATH: '/nonexistent' }, { ...process.env, WHYRESET_HASH_PROCESS: '0' }]) assert.equal(opensslFound(env), opensslPath(env) !== null);
  assert.equal(early, THREAD_HASH_MIN_BYTES);
  assert.equal(earlyCores, THREAD_HASH_MIN_CORES);
  assert.equal(earlyTwo, THREAD_HASH_MIN_BYTES_TWO_CORES);
  // No thread on one core, on two only for large files (session 12), from three the store's bound; the variable overrides all.
  for (const cores of [1, 2, 3, 8]) {
    assert.equal(minBytesOf({}, cores), threadHashMinBytesFor(cores), `${cores} cores`);
    assert.equal(minBytesOf({ WHYRESET_HASH_THREAD_MIN_BYTES: '5' }, cores), 5);
  }
  assert.equal(threadHashMinBytesFor(1), Number.POSITIVE_INFINITY);
  assert.equal(threadHashMinBytesFor(2), THREAD_HASH_MIN_BYTES_TWO_CORES);
  assert.equal(threadHashMinBytesFor(3), THREAD_HASH_MIN_BYTES);
  const small = join(LAB, 'accept-overflow.client.pcap');
  const large = join(LAB, 'middlebox-injection.router.pcap');
  const bound = String(statSync(large).size);
  assert.ok(statSync(small).size < Number(bound));
  for (const [order, earlyTaken] of [[[large, small], true], [[small, large], false]] as const) {
    const file = join(tmp.dir, `early-${earlyTaken}.duckdb`);
    const r = await runCli(['ingest', '--db', file, ...order], { env: { WHYRESET_INGEST_STATS: '1', WHYRESET_HASH_THREAD_MIN_BYTES: bound, WHYRESET_HASH_PROCESS: '0' }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^stored /gm)?.length, 2, r.stdout);
    const stats = JSON.parse((r.stderr.split('\n').find((l) => l.startsWith('whyreset-ingest-stats ')) as string).slice('whyreset-ingest-stats '.length));
    // Only the large file is hashed on a thread: the early one when it comes first, else its own.
    assert.deepEqual(
      stats.hashThreads.map((h: { path: string; early: boolean }) => [h.path, h.early]),
      [[large, earlyTaken]],
    );
    assert.equal(Number((await counts(file)).captures), 2);
  }
});

test('WHYRESET_DB names the store; --db overrides it', async () => {
  const envDb = join(tmp.dir, 'env.duckdb');
  const r = await runCli(['ingest', captures[0] as string], { env: { WHYRESET_DB: envDb } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(envDb));
  assert.equal((await counts(envDb)).captures, 1);
});

test('query: table, csv and json (an array of objects keyed by column name)', async () => {
  const q = 'SELECT cause, count(*) AS n FROM resets GROUP BY cause ORDER BY n DESC, cause';
  const json = await runCli(['query', '--db', db, '--format', 'json', q]);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { cause: string; n: number }[];
  const total = (await analyze(captures)).resets.length;
  assert.equal(
    rows.reduce((s, r) => s + r.n, 0),
    total,
  );
  assert.equal(typeof rows[0]?.n, 'number');
  const csv = await runCli(['query', '--db', db, '-f', 'csv', q]);
  assert.equal(csv.stdout.split('\r\n')[0], 'cause,n');
  assert.equal(csv.stdout.split('\r\n')[1], `${rows[0]?.cause},${rows[0]?.n}`);
  const table = await runCli(['query', '--db', db, q]);
  assert.match(table.stdout, /^cause\s+n\n/);
  assert.match(table.stdout, new RegExp(`\\(${rows.length} rows\\)`));
  const bad = await runCli(['query', '--db', db, 'SELECT nope FROM resets']);
  assert.equal(bad.code, 2);
  const missing = await runCli(['query', '--db', join(tmp.dir, 'none.duckdb'), 'SELECT 1']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no store/);
});

test('query: named reports --top servers|clients|causes and --by-day', async () => {
  const report = await analyze(captures);
  const servers = JSON.parse((await runCli(['query', '--db', db, '--top', 'servers', '--since', '2000-01-01', '-f', 'json'])).stdout) as Record<string, number | string>[];
  // The server of a reset is its connection's responder.
  const byServer = new Map<string, number>();
  for (const r of report.resets) {
    const server = r.from === 'resp' ? r.src : r.dst;
    byServer.set(server, (byServer.get(server) ?? 0) + 1);
  }
  assert.deepEqual(
    servers.map((s) => [s.server, s.resets]),
    [...byServer.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  );
  assert.equal(
    servers.reduce((n, s) => n + Number(s.forged), 0),
    report.resets.filter((r) => r.verdict === 'forged').length,
  );
  const causes = JSON.parse((await runCli(['query', '--db', db, '--top', 'causes', '--since', '2000-01-01', '-f', 'json'])).stdout) as Record<string, number | string>[];
  assert.equal(causes.length, Object.keys(report.summary.by_cause).length);
  for (const c of causes) assert.equal(c.resets, report.summary.by_cause[c.cause as string]);
  // The lab captures are older than a minute: a one-minute window is empty.
  const recent = JSON.parse((await runCli(['query', '--db', db, '--top', 'clients', '--since', '1m', '-f', 'json'])).stdout);
  assert.deepEqual(recent, []);
  const days = JSON.parse((await runCli(['query', '--db', db, '--by-day', '-f', 'json'])).stdout) as { day: string; resets: number }[];
  assert.equal(
    days.reduce((n, d) => n + d.resets, 0),
    report.resets.length,
  );
  for (const d of days) assert.match(d.day, /^\d{4}-\d{2}-\d{2}$/);
  const usage = await runCli(['query', '--db', db, '--top', 'routers']);
  assert.equal(usage.code, 2);
});

test('export --parquet: every table, read back the same', async () => {
  const out = join(tmp.dir, 'parquet', 'nested');
  const r = await runCli(['export', '--db', db, '--parquet', out]);
  assert.equal(r.code, 0, r.stderr);
  for (const t of ['captures', 'connections', 'resets', 'patterns']) {
    const file = join(out, `${t}.parquet`);
    assert.ok(existsSync(file), file);
    const [diff] = await sql(
      db,
      `SELECT (SELECT count(*) FROM (SELECT * FROM ${t} EXCEPT ALL SELECT * FROM read_parquet('${file}'))) + (SELECT count(*) FROM (SELECT * FROM read_parquet('${file}') EXCEPT ALL SELECT * FROM ${t})) AS d, (SELECT count(*) FROM read_parquet('${file}')) AS n`,
    );
    assert.equal(diff?.d, 0, t);
    if (t !== 'patterns') assert.ok(Number(diff?.n) > 0, t);
  }
});

test('re-ingest as the first file: the early analysis stopped, its hash (inline or a thread\'s) proves the file unchanged; one byte changed at the same size is analysed again', async () => {
  const file = join(tmp.dir, 'again.pcap');
  generate(file, { sizeMiB: 32, seed: 5 });
  for (const env of [{}, { WHYRESET_HASH_THREAD_MIN_BYTES: '0' }, { WHYRESET_HASH_THREAD_MIN_BYTES: '0', WHYRESET_HASH_PROCESS: '0' }] as Record<string, string>[]) {
    const db = join(tmp.dir, `again-${Object.keys(env).length}.duckdb`);
    const run = async () => {
      const r = await runCli(['ingest', '--db', db, file], { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split(' ')[0];
    };
    assert.equal(await run(), 'stored');
    assert.equal(await run(), 'unchanged');
    // The last byte flipped: same path, same size, other bytes (a packet's payload).
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(file, bytes);
    assert.equal(await run(), 'stored');
    assert.equal(Number((await counts(db)).captures), 2);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(file, bytes);
  }
});

test('ingest killed with SIGKILL: the store is as before, or complete', async () => {
  const file = join(tmp.dir, 'big.pcap');
  generate(file, { sizeMiB: 24, seed: 7 });
  const killDb = join(tmp.dir, 'kill.duckdb');
  assert.equal((await runCli(['ingest', '--db', killDb, captures[0] as string])).code, 0);
  const baseline = await counts(killDb);
  /** Starts an ingest of the big file and SIGKILLs it when it reports `phase` on stderr. */
  const killAt = async (phase: string, env: Record<string, string> = {}) => {
    const child = spawnCli(['ingest', '--db', killDb, '--force', '-v', file], { env });
    child.stderr?.on('data', (b: Buffer) => {
      if (b.toString().includes(`: ${phase}`)) child.kill('SIGKILL');
    });
    const r = await finish(child, 180_000);
    return r;
  };
  const during = await killAt('analysing');
  assert.equal(during.signal, 'SIGKILL', during.stderr);
  assert.deepEqual(await counts(killDb), baseline, 'killed while analysing: as before');
  const inTx = await killAt('transaction');
  const afterKill = await counts(killDb);
  const full = await runCli(['ingest', '--db', killDb, file], { timeoutMs: 180_000 });
  assert.equal(full.code, 0, full.stderr);
  const complete = await counts(killDb);
  assert.ok(Number(complete.resets) > Number(baseline.resets) + 100);
  if (inTx.signal === 'SIGKILL') assert.ok(JSON.stringify(afterKill) === JSON.stringify(baseline) || JSON.stringify(afterKill) === JSON.stringify(complete), JSON.stringify(afterKill));
  else assert.deepEqual(afterKill, complete, 'the ingest finished before the kill landed: complete');
  // Killed while the rows go in during the analysis (its sha256 from a thread reading the file): the store as it was, complete.
  const feeding = await killAt('feeding', { WHYRESET_HASH_THREAD_MIN_BYTES: '0' });
  assert.equal(feeding.signal, 'SIGKILL', feeding.stderr);
  assert.deepEqual(await counts(killDb), complete, 'killed while feeding rows: as before');
  // And the stored rows of the big file are each there once.
  // The same, hashed from the analysis's reads: the rows go in under a pending key (DuckFeed.start(null)), never committed.
  // (Segments of 256 KiB: at the default 2 MiB this capture's rows are one segment per table, cut only at its end.)
  const pending = await killAt('feeding', { WHYRESET_HASH_THREAD_MIN_BYTES: String(Number.MAX_SAFE_INTEGER), WHYRESET_SEGMENT_BYTES: String(256 << 10) });
  assert.equal(pending.signal, 'SIGKILL', pending.stderr);
  assert.deepEqual(await counts(killDb), complete, 'killed while feeding rows under the pending key: as before');
  const [dups] = await sql(killDb, 'SELECT count(*) - count(DISTINCT (capture_sha256, id)) AS d FROM resets');
  assert.equal(dups?.d, 0);
});
