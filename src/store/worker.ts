/**
 * `whyreset worker`: claims files from the PostgreSQL queue (src/store/queue.ts), analyses each
 * into a local spool, and stores the rows and the job's completion in one transaction
 * (src/store/pg.ts). Two connections: one for claims, heartbeats and partitions (each statement
 * commits at once), one for the results transaction.
 *
 * Not done yet: a sensor's open connections are not carried from one file to the next (that
 * needs the tracker's state saved and restored, which the tracker does not offer yet); each file
 * is analysed on its own, so a connection crossing a file boundary is stored once per file.
 */
import { statSync } from 'node:fs';
import { type StoreAnalysis, analyzeForStore } from './analyzeFile.js';
import { PgStore } from './pg.js';
import { type Job, claimJob, failJob, renewLease } from './queue.js';
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
      const job = await claimJob(control.client, options.name, options.leaseS);
      if (job === null) {
        if (options.once) return totals;
        if (options.idleExitS !== null && performance.now() - idleSince >= options.idleExitS * 1000) return totals;
        await sleep(options.pollMs);
        continue;
      }
      options.onEvent?.('claimed', job);
      const outcome = await processJob(job, control, results, options);
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
    try {
      statSync(job.path);
      analysis = await analyzeForStore(job.path, { inactivityTimeout: options.inactivityTimeout }, spool);
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
    return (await results.storeFile(analysis, spool, job.path, job.sensor, job)) ? 'stored' : 'lost';
  } finally {
    clearInterval(heartbeat);
    spool.remove();
  }
}
