/**
 * Scale-out on PostgreSQL, on a private throwaway cluster (test/helpers/postgres.ts): two workers
 * on the lab captures store exactly the rows `analyze` gives; a worker killed with SIGKILL
 * mid-file loses nothing (another takes the file once the lease runs out) and no row is written
 * twice; submitting the same files again changes nothing; `query --pg` answers as on DuckDB.
 * Skipped when PostgreSQL is not installed, unless WHYRESET_REQUIRE_PG=1 (CI).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from '../../bench/gen.js';
import { analyze } from '../../src/index.js';
import { analyzeForStore } from '../../src/store/analyzeFile.js';
import { PgStore } from '../../src/store/pg.js';
import { claimJob, releaseJob, renewLease, submitJobs } from '../../src/store/queue.js';
import { RowSpool } from '../../src/store/spool.js';
import { PG_REQUIRED, type PgCluster, pgUnavailable, startPgCluster } from '../helpers/postgres.js';
import { REPO_ROOT, finish, runCli, spawnCli, tempDir } from '../helpers/run.js';
import { expectedRows, rowAsReported } from '../helpers/storeRows.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const captures = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => join(LAB, f));
const missing = pgUnavailable();
const hasEditcap = spawnSync('editcap', ['-V'], { stdio: 'ignore' }).error === undefined;

test('PostgreSQL is available when WHYRESET_REQUIRE_PG=1', () => {
  if (PG_REQUIRED) assert.equal(missing, null, 'WHYRESET_REQUIRE_PG=1 but PostgreSQL is missing');
});

describe('PostgreSQL store', { skip: missing !== null && !PG_REQUIRED ? (missing ?? undefined) : undefined }, () => {
  let cluster: PgCluster;
  let store: PgStore;
  const tmp = tempDir('whyreset-pgtest-');
  before(async () => {
    cluster = startPgCluster();
    store = await PgStore.connect(cluster.url);
  });
  after(async () => {
    await store?.close();
    cluster?.stop();
    tmp.remove();
  });

  const rows = async (sql: string) => (await store.query(sql)).rows;

  /** The rows stored for one file compared with what analyze reports for it alone. */
  async function assertStoredAsAnalyzed(file: string): Promise<void> {
    const expected = expectedRows(await analyze([file]));
    const [cap] = await rows(`SELECT sha256 FROM captures WHERE path = '${resolve(file)}'`);
    assert.ok(cap, `${file}: no captures row`);
    const resets = (await rows(`SELECT * FROM resets WHERE capture_sha256 = '${cap.sha256}'`)).map(rowAsReported).sort();
    const connections = (await rows(`SELECT * FROM connections WHERE capture_sha256 = '${cap.sha256}'`)).map(rowAsReported).sort();
    assert.deepEqual(resets, expected.resets, file);
    assert.deepEqual(connections, expected.connections, file);
  }

  test('two workers on the lab captures store exactly what analyze reports', async () => {
    // One sensor per capture point, so both workers have files to take at once.
    for (const file of captures) {
      const sensor = basename(file).split('.')[1] ?? 'lab';
      const r = await runCli(['submit', '--pg', cluster.url, '--sensor', `${sensor}-${basename(file)}`, file]);
      assert.equal(r.code, 0, r.stderr);
    }
    const workers = [0, 1].map(() => finish(spawnCli(['worker', '--pg', cluster.url, '--idle-exit', '1', '--poll-ms', '200', '-v']), 120_000));
    for (const w of await Promise.all(workers)) assert.equal(w.code, 0, w.stderr);
    const jobs = await rows('SELECT state, attempts, count(*) AS n FROM jobs GROUP BY 1, 2');
    assert.deepEqual(jobs, [{ state: 'done', attempts: 1, n: captures.length }]);
    for (const file of captures) await assertStoredAsAnalyzed(file);
    const [dups] = await rows('SELECT count(*) - count(DISTINCT (capture_sha256, id)) AS d FROM resets');
    assert.equal(dups?.d, 0);
    // Resets are partitioned by day.
    const parts = await rows("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'resets'::regclass");
    assert.ok(Number(parts[0]?.n) >= 1);
  });

  test('submitting the same files again changes nothing', async () => {
    const before = await rows('SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM resets) AS resets, (SELECT count(*) FROM connections) AS connections');
    for (const file of captures) {
      const sensor = basename(file).split('.')[1] ?? 'lab';
      const r = await runCli(['submit', '--pg', cluster.url, '--sensor', `${sensor}-${basename(file)}`, file]);
      assert.match(r.stdout, /^0 job\(s\) queued/);
    }
    const w = await runCli(['worker', '--pg', cluster.url, '--once']);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(await rows('SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM resets) AS resets, (SELECT count(*) FROM connections) AS connections'), before);
  });

  test('a worker killed mid-file: another takes the file within the lease, same rows, none twice', async () => {
    const big = join(tmp.dir, 'big.pcap');
    // Big enough that the analysis outlasts the kill on a quiet machine (24 MiB took under 300 ms).
    generate(big, { sizeMiB: 96, seed: 11 });
    assert.equal((await runCli(['submit', '--pg', cluster.url, '--sensor', 'big', big])).code, 0);
    const victim = spawnCli(['worker', '--pg', cluster.url, '--lease', '2', '--once', '-v']);
    victim.stderr?.on('data', (b: Buffer) => {
      // Killed while it analyses (it claimed the file and holds the lease).
      if (b.toString().includes(`claimed ${big}`)) setTimeout(() => victim.kill('SIGKILL'), 50);
    });
    const killed = await finish(victim, 120_000);
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const killedAt = performance.now();
    const [held] = await rows(`SELECT state, attempts FROM jobs WHERE path = '${big}'`);
    assert.deepEqual(held, { state: 'running', attempts: 1 });
    const heir = await runCli(['worker', '--pg', cluster.url, '--lease', '2', '--poll-ms', '200', '--idle-exit', '5', '-v'], { timeoutMs: 180_000 });
    assert.equal(heir.code, 0, heir.stderr);
    assert.match(heir.stderr, new RegExp(`claimed ${big}`));
    const [job] = await rows(`SELECT state, attempts, extract(epoch FROM done_at) AS done FROM jobs WHERE path = '${big}'`);
    assert.equal(job?.state, 'done');
    assert.equal(job?.attempts, 2);
    assert.ok(performance.now() - killedAt < 170_000);
    await assertStoredAsAnalyzed(big);
    const [dups] = await rows('SELECT count(*) - count(DISTINCT (capture_sha256, id)) AS d FROM resets');
    assert.equal(dups?.d, 0);
  });

  test("queue: a sensor's files one at a time in time order, sensors in parallel; a lost claim stores nothing", async () => {
    const url = cluster.createDatabase('queue');
    const a = await PgStore.connect(url);
    const b = await PgStore.connect(url);
    try {
      await a.ensureSchema();
      // Paths sort the other way round from the first packet times: time order wins.
      await submitJobs(a.client, [
        { sensor: 's1', path: '/c/1.pcap', size: 1, firstTs: 300 },
        { sensor: 's1', path: '/c/2.pcap', size: 1, firstTs: 100 },
        { sensor: 's1', path: '/c/3.pcap', size: 1, firstTs: 200 },
        { sensor: 's2', path: '/c/4.pcap', size: 1, firstTs: 500 },
      ]);
      const first = await claimJob(a.client, 'w1', 60);
      assert.equal(first?.path, '/c/2.pcap');
      // s1's next file waits for /c/2.pcap: the other worker gets s2's.
      const second = await claimJob(b.client, 'w2', 60);
      assert.equal(second?.path, '/c/4.pcap');
      assert.equal(await claimJob(b.client, 'w2', 60), null);
      // /c/2.pcap's lease runs out: the same file is claimed again, with a new claim number.
      await a.client.query("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE path = '/c/2.pcap'");
      const again = await claimJob(b.client, 'w2', 60);
      assert.equal(again?.path, '/c/2.pcap');
      assert.equal(again?.attempts, 2);
      assert.ok(first && again && again.claim !== first.claim);
      // The first worker comes back: its heartbeat and its results are refused.
      assert.equal(await renewLease(a.client, first as NonNullable<typeof first>, 60), false);
      const spool = new RowSpool();
      try {
        const file = captures[0] as string;
        const analysis = await analyzeForStore(file, {}, spool);
        spool.finish();
        await a.ensurePartitions(spool);
        assert.equal(await a.storeFile(analysis, spool, file, 's1', first as NonNullable<typeof first>), false);
        assert.deepEqual((await a.query('SELECT count(*) AS n FROM resets')).rows, [{ n: 0 }]);
        assert.equal(await b.storeFile(analysis, spool, file, 's1', again as NonNullable<typeof again>), true);
        assert.ok(Number((await a.query('SELECT count(*) AS n FROM resets')).rows[0]?.n) > 0);
      } finally {
        spool.remove();
      }
      // A worker starting (ensureSchema) while another's results transaction is open must not
      // wait on it: DDL on existing tables took share locks and deadlocked with such a transaction.
      await a.client.query('BEGIN');
      await a.client.query("DELETE FROM resets WHERE capture_sha256 = 'none'");
      const outcome = await Promise.race([b.ensureSchema().then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 5000))]);
      await a.client.query('COMMIT');
      assert.equal(outcome, 'done', 'ensureSchema waited on an open results transaction');
      // Done: s1's next file in time order is claimable.
      assert.equal((await claimJob(a.client, 'w1', 60))?.path, '/c/3.pcap');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('rotated pieces of one sensor, taken by two workers in turn, store the whole file\'s rows once', { skip: !hasEditcap && 'editcap is not installed' }, async () => {
    const url = cluster.createDatabase('rotated');
    const whole = join(tmp.dir, 'rotated.pcap');
    generate(whole, { sizeMiB: 3, seed: 7 });
    const dir = join(tmp.dir, 'rotated');
    mkdirSync(dir);
    execFileSync('editcap', ['-c', '400', whole, join(dir, 'cap.pcap')]);
    assert.equal((await runCli(['submit', '--pg', url, '--sensor', 'whole', whole])).code, 0);
    assert.equal((await runCli(['submit', '--pg', url, '--sensor', 'pieces', dir])).code, 0);
    // The whole file and the first pieces, one job per process: each piece's stream comes from another process.
    for (let i = 0; i < 4; i++) {
      const once = await runCli(['worker', '--pg', url, '--once', '-v'], { timeoutMs: 120_000 });
      assert.equal(once.code, 0, once.stderr);
      assert.match(once.stderr, /stored/);
    }
    // The rest by two workers running together; the last one to leave finishes the stream.
    const workers = [0, 1].map(() => finish(spawnCli(['worker', '--pg', url, '--idle-exit', '1', '--poll-ms', '100', '-v']), 120_000));
    for (const w of await Promise.all(workers)) assert.equal(w.code, 0, w.stderr);
    const db = await PgStore.connect(url);
    try {
      const rowsOf = async (sensor: string, table: string, exclude: string[]) =>
        (await db.query(`SELECT t.* FROM ${table} t JOIN captures c ON c.sha256 = t.capture_sha256 WHERE c.sensor = '${sensor}' ORDER BY t.id`)).rows.map((r) =>
          JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !exclude.includes(k)))),
        );
      const wholeConns = await rowsOf('whole', 'connections', ['capture_sha256']);
      assert.ok(wholeConns.length > 100);
      assert.deepEqual(await rowsOf('pieces', 'connections', ['capture_sha256']), wholeConns, 'connections');
      assert.deepEqual(await rowsOf('pieces', 'resets', ['capture_sha256', 'frame', 'extra']), await rowsOf('whole', 'resets', ['capture_sha256', 'frame', 'extra']), 'resets');
      assert.deepEqual((await db.query('SELECT count(*) AS n FROM sensor_streams')).rows, [{ n: 0 }], 'every stream finished at --idle-exit');
    } finally {
      await db.close();
    }
  });

  test('a file that kills its workers is given up after --max-attempts claims, with the last error', async () => {
    const url = cluster.createDatabase('attempts');
    const a = await PgStore.connect(url);
    try {
      await a.ensureSchema();
      await submitJobs(a.client, [
        { sensor: 's', path: '/nowhere/crash.pcap', size: 1, firstTs: 1 },
        { sensor: 's', path: '/nowhere/next.pcap', size: 1, firstTs: 2 },
      ]);
      // Three workers die holding it: each claim's lease runs out.
      for (let i = 1; i <= 3; i++) {
        const job = await claimJob(a.client, `w${i}`, 0.05, 3);
        assert.equal(job?.path, '/nowhere/crash.pcap');
        assert.equal(job?.attempts, i);
        await new Promise((r) => setTimeout(r, 120));
      }
      // The next claim gives it up and goes on with the sensor's next file.
      const next = await claimJob(a.client, 'w4', 60, 3);
      assert.equal(next?.path, '/nowhere/next.pcap');
      const [crashed] = (await a.query("SELECT state, attempts, error FROM jobs WHERE path = '/nowhere/crash.pcap'")).rows;
      assert.equal(crashed?.state, 'failed');
      assert.equal(crashed?.attempts, 3);
      assert.match(String(crashed?.error), /^gave up after 3 attempts: the worker died or hung/);
      // A worker that could not store a file hands it back with its error, which the give-up keeps.
      await releaseJob(a.client, next as NonNullable<typeof next>, 'could not extend relation: No space left on device');
      assert.equal(await claimJob(a.client, 'w5', 60, 1), null);
      const [full] = (await a.query("SELECT state, error FROM jobs WHERE path = '/nowhere/next.pcap'")).rows;
      assert.deepEqual(full, { state: 'failed', error: 'gave up after 1 attempts: could not extend relation: No space left on device' });
    } finally {
      await a.close();
    }
    // The CLI takes the limit and refuses a bad one.
    assert.equal((await runCli(['worker', '--pg', url, '--max-attempts', '0'])).code, 2);
    assert.equal((await runCli(['worker', '--pg', url, '--max-attempts', '2', '--once'])).code, 0);
  });

  test('query --pg answers the named reports as on DuckDB', async () => {
    const db = join(tmp.dir, 'same.duckdb');
    assert.equal((await runCli(['ingest', '--db', db, ...captures], { timeoutMs: 120_000 })).code, 0);
    const big = join(tmp.dir, 'big.pcap');
    assert.equal((await runCli(['ingest', '--db', db, big], { timeoutMs: 120_000 })).code, 0);
    for (const args of [
      ['--top', 'servers', '--since', '2000-01-01'],
      ['--top', 'causes', '--since', '2000-01-01'],
      ['--by-day'],
    ]) {
      const pg = await runCli(['query', '--pg', cluster.url, '-f', 'json', ...args]);
      const duck = await runCli(['query', '--db', db, '-f', 'json', ...args]);
      assert.equal(pg.code, 0, pg.stderr);
      assert.deepEqual(JSON.parse(pg.stdout), JSON.parse(duck.stdout), args.join(' '));
    }
  });
});
