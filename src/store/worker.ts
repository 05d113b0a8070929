/**
 * `whyreset worker`: claims files from the PostgreSQL queue (src/store/queue.ts), analyses each
 * into a local spool, and stores the rows and the job's completion in one transaction
 * (src/store/pg.ts). Two connections: one for claims, heartbeats and partitions (each statement
 * commits at once), one for the results transaction.
 *
 * A sensor's files are one stream (sensorStream.ts): the connections still open at the end of a
 * file are saved in the transaction that stores its rows and resumed by the worker that takes
 * the sensor's next file (the queue hands out a sensor's files one at a time, in time order).
 * A file that does not continue the stream finishes it first; a worker leaving at --idle-exit
 * finishes the streams of sensors with no file left, so a connection crossing files is stored
 * once, complete.
 */
import { statSync } from 'node:fs';
import { VERSION } from '../version.js';
import { type StoreAnalysis, analyzeForStore, finishCarried } from './analyzeFile.js';
import { PgStore } from './pg.js';
import { type Job, claimJob, failJob, releaseJob, renewLease } from './queue.js';
import { type SensorStream, decideStream } from './sensorStream.js';
import { RowSpool } from './spool.js';

/** Options of one worker. */
export interface WorkerOptions {
  url: string;
  /** How the worker names itself in `jobs.worker` (host:pid). */
  name: string;
  /** Seconds a claim lasts without a heartbeat. */
  leaseS: number;
  /** Milliseconds between two looks at an empty queue. */
  pollMs: number;
  /** Take one job (or none), then return. */
  once: boolean;
  /** Return after this many seconds without work; null: never. */
  idleExitS: number | null;
  /** Claims a file gets before it is marked failed (queue.ts giveUpJobs). */
  maxAttempts?: number;
  inactivityTimeout?: number;
  /** Called with what happens (claimed, stored, …), for --verbose and the tests. */
  onEvent?: (event: string, job: Job) => void;
}

/** What a worker did before it returned. */
export interface WorkerTotals {
  stored: number;
  failed: number;
  lost: number;
}

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the worker until --once is satisfied or it was idle for --idle-exit seconds. */
export async function runWorker(options: WorkerOptions): Promise<WorkerTotals> {
  const control = await PgStore.connect(options.url);
  const results = await PgStore.connect(options.url);
  const totals: WorkerTotals = { stored: 0, failed: 0, lost: 0 };
  try {
    await control.ensureSchema();
    let idleSince = performance.now();
    for (;;) {
      const job = await claimJob(control.client, options.name, options.leaseS, options.maxAttempts);
      if (job === null) {
        if (options.once) return totals;
        if (options.idleExitS !== null && performance.now() - idleSince >= options.idleExitS * 1000) {
          // The sensors whose last file is done: their open connections end here.
          for (const sensor of await control.idleStreams()) {
            const stored = await control.loadStream(sensor);
            if (stored !== null) await finishStream(stored, control, results, options);
          }
          return totals;
        }
        await sleep(options.pollMs);
        continue;
      }
      options.onEvent?.('claimed', job);
      let outcome: keyof WorkerTotals;
      try {
        outcome = await processJob(job, control, results, options);
      } catch (err) {
        // Storing failed (the database refused, or went away): the file goes back to the queue
        // with the error, and counts an attempt; this worker stops, as before.
        await releaseJob(control.client, job, (err as Error).message).catch(() => {});
        throw err;
      }
      totals[outcome]++;
      options.onEvent?.(outcome, job);
      if (options.once) return totals;
      idleSince = performance.now();
    }
  } finally {
    await results.close();
    await control.close();
  }
}

/** Analyses and stores one claimed file, renewing its lease meanwhile. */
async function processJob(job: Job, control: PgStore, results: PgStore, options: WorkerOptions): Promise<keyof WorkerTotals> {
  let lost = false;
  const heartbeat = setInterval(
    () => {
      renewLease(control.client, job, options.leaseS).then(
        (ok) => {
          if (!ok) lost = true;
        },
        () => {},
      );
    },
    Math.max(100, (options.leaseS * 1000) / 3),
  );
  const spool = new RowSpool();
  try {
    let analysis: StoreAnalysis;
    let expected: string | null = null;
    try {
      statSync(job.path);
      // The sensor's stream left open by its previous file: resumed if this file continues it, else finished first.
      const stored = await control.loadStream(job.sensor);
      const decision = await decideStream(stored, job.path, options.inactivityTimeout);
      if ('finishFirst' in decision && stored !== null) await finishStream(stored, control, results, options);
      else expected = stored?.last_sha256 ?? null;
      const resume = 'resume' in decision ? decision.resume : undefined;
      analysis = await analyzeForStore(job.path, { inactivityTimeout: options.inactivityTimeout, resume, carry: true }, spool);
    } catch (err) {
      await failJob(control.client, job, (err as Error).message);
      return 'failed';
    } finally {
      spool.finish();
    }
    if (analysis.input === null) {
      await failJob(control.client, job, analysis.unreadable ?? 'not a capture');
      return 'failed';
    }
    if (lost) return 'lost';
    await control.ensurePartitions(spool);
    options.onEvent?.('storing', job);
    const stream = { sensor: job.sensor, expected, carried: analysis.carried };
    return (await results.storeFile(analysis, spool, job.path, job.sensor, job, stream)) ? 'stored' : 'lost';
  } finally {
    clearInterval(heartbeat);
    spool.remove();
  }
}

/**
 * Finishes a sensor's stream (its last file is done, or the next file does not continue it) and
 * stores its last connections under the file that held them; nothing when another worker got
 * there first. A stream saved by another analyzer version cannot be restored: it is dropped.
 */
async function finishStream(stored: SensorStream, control: PgStore, results: PgStore, options: WorkerOptions): Promise<void> {
  const spool = new RowSpool();
  try {
    const rows =
      stored.analyzer_version === VERSION
        ? await finishCarried(stored.carried, { inactivityTimeout: options.inactivityTimeout }, spool)
        : { connections: 0, resets: 0, patterns: 0 };
    spool.finish();
    await control.ensurePartitions(spool);
    await results.storeFinishedStream(stored, spool, rows);
  } finally {
    spool.remove();
  }
}
