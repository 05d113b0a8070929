/**
 * The job queue of `whyreset submit` / `whyreset worker`: a table `jobs` in the PostgreSQL store,
 * hand-written (the PostgreSQL job libraries' current majors need Node 22). Semantics:
 *
 * - A job is one capture file of one sensor, unique by (sensor, path): submitting a file again
 *   adds nothing. Jobs move queued → running → done (or failed: the file is not a capture).
 * - A sensor's files are taken in time order (first packet time, then path), one at a time: a
 *   file is claimable only when no earlier file of its sensor is still queued or running. Files
 *   of different sensors run in parallel on as many workers as there are.
 * - Claiming is `SELECT … FOR UPDATE SKIP LOCKED` (two workers never take the same row) and gives
 *   the job a new claim number and a lease (`lease_until`), which the worker's heartbeat renews
 *   every third of the lease. A job whose lease ran out (its worker died, or hangs) is claimable
 *   again: a `kill -9`'d worker's file is taken by another within one lease.
 * - Attempts are counted at each claim. A file that kills or hangs its workers (its lease runs
 *   out) or fails to store is taken again, up to `maxAttempts` claims; then the job is marked
 *   failed with the last error instead of being retried forever, and the sensor's later files go on.
 * - Completion happens inside the transaction that stores the file's rows, and only if the job
 *   still carries the worker's claim number (src/store/pg.ts): a worker that lost its lease and
 *   comes back stores nothing, so no row is ever written twice.
 */
import type { Client } from 'pg';
import type { JobClaim } from './pg.js';

/** A file to queue. */
export interface JobSpec {
  sensor: string;
  path: string;
  size: number;
  /** Time of its first packet (orders a sensor's files), null when it has none. */
  firstTs: number | null;
}

/** A claimed job. */
export interface Job extends JobClaim {
  sensor: string;
  path: string;
  attempts: number;
}

/** Queues files; returns how many were new (the others were already queued or done). */
export async function submitJobs(client: Client, jobs: readonly JobSpec[]): Promise<number> {
  let added = 0;
  for (const j of jobs) {
    const r = await client.query('INSERT INTO jobs (sensor, path, size, first_ts) VALUES ($1, $2, $3, $4) ON CONFLICT (sensor, path) DO NOTHING', [
      j.sensor,
      j.path,
      j.size,
      j.firstTs,
    ]);
    added += r.rowCount ?? 0;
  }
  return added;
}

/** Claims a job gets before it is given up (`worker --max-attempts`). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Marks failed every job that would be claimable again but has had `maxAttempts` claims: its
 * workers died, hung or could not store it that often. Returns how many.
 */
export async function giveUpJobs(client: Client, maxAttempts: number): Promise<number> {
  const r = await client.query(
    `UPDATE jobs SET state = 'failed', done_at = now(), lease_until = NULL,
       error = 'gave up after ' || attempts || ' attempts: ' || coalesce(error, 'the worker died or hung (its lease ran out)')
     WHERE attempts >= $1 AND (state = 'queued' OR (state = 'running' AND lease_until < now()))`,
    [maxAttempts],
  );
  return r.rowCount ?? 0;
}

/**
 * Claims the next file: the oldest claimable job of any sensor (see the semantics above), with a
 * lease of `leaseS` seconds, after giving up on the jobs that had `maxAttempts` claims. Null
 * when there is none.
 */
export async function claimJob(client: Client, worker: string, leaseS: number, maxAttempts = DEFAULT_MAX_ATTEMPTS): Promise<Job | null> {
  await giveUpJobs(client, maxAttempts);
  const r = await client.query(
    `WITH next AS (
       SELECT j.id FROM jobs j
       WHERE (j.state = 'queued' OR (j.state = 'running' AND j.lease_until < now()))
         AND NOT EXISTS (
           SELECT 1 FROM jobs e
           WHERE e.sensor = j.sensor AND e.state IN ('queued', 'running')
             AND (coalesce(e.first_ts, 0), e.path) < (coalesce(j.first_ts, 0), j.path))
       ORDER BY coalesce(j.first_ts, 0), j.path
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, claim = nextval('whyreset_claims'),
       worker = $1, lease_until = now() + make_interval(secs => $2)
     FROM next WHERE jobs.id = next.id
     RETURNING jobs.id, jobs.claim, jobs.sensor, jobs.path, jobs.attempts`,
    [worker, leaseS],
  );
  const row = r.rows[0] as { id: string; claim: string; sensor: string; path: string; attempts: number } | undefined;
  return row === undefined ? null : { id: Number(row.id), claim: Number(row.claim), sensor: row.sensor, path: row.path, attempts: row.attempts };
}

/** Renews a job's lease; false when the claim is no longer this worker's. */
export async function renewLease(client: Client, job: JobClaim, leaseS: number): Promise<boolean> {
  const r = await client.query(
    "UPDATE jobs SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND claim = $2 AND state = 'running'",
    [job.id, job.claim, leaseS],
  );
  return r.rowCount === 1;
}

/**
 * Hands a job back to the queue with the error that stopped this worker (storing failed): it is
 * claimable again at once and counts its attempt; past the limit giveUpJobs fails it with this error.
 */
export async function releaseJob(client: Client, job: JobClaim, error: string): Promise<void> {
  await client.query("UPDATE jobs SET state = 'queued', error = $3, lease_until = NULL WHERE id = $1 AND claim = $2 AND state = 'running'", [
    job.id,
    job.claim,
    error,
  ]);
}

/** Marks a job failed (the file is not a capture, or is gone), if the claim is still this worker's. */
export async function failJob(client: Client, job: JobClaim, error: string): Promise<void> {
  await client.query("UPDATE jobs SET state = 'failed', error = $3, lease_until = NULL, done_at = now() WHERE id = $1 AND claim = $2 AND state = 'running'", [
    job.id,
    job.claim,
    error,
  ]);
}
