'use strict';
/**
 * Makes V8's code cache of dist/bundle/analyze.cjs (and of ingest.cjs, after a warm-up ingest)
 * at build time (scripts/bundle.mjs starts this with
 * bin/whyreset.js's V8 flags): compiles the script without a cache, analyses the example
 * capture once (output to /dev/null, one thread) so that the functions an analysis calls are
 * compiled too, then writes the cache, V8's createCachedData, beside the script; then the same
 * analysis on two threads, whose worker writes the cache of the worker's script
 * (bin/trackWorkerBundle.cjs). Run time never writes them (bin/analyzeBundle.cjs only reads them).
 */
const { existsSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ANALYZE_CACHE_FILE, INGEST_CACHE_FILE, TRACK_WORKER_CACHE_FILE, loadAnalyze, loadIngest } = require('../bin/analyzeBundle.cjs');

const EXAMPLE = join(__dirname, '..', 'examples', 'closed-port.pcap');

async function makeCache() {
  const { script, exports } = loadAnalyze(undefined);
  const code = await exports.analyzeMain([EXAMPLE, '--threads', '1', '--out', '/dev/null']);
  if (code !== 0) throw new Error(`the warm-up analysis of ${EXAMPLE} ended with exit code ${code}`);
  writeFileSync(ANALYZE_CACHE_FILE, script.createCachedData());
  // The track worker's cache (bin/trackWorkerBundle.cjs): the same analysis on two threads
  // (whatever its size), whose worker writes its cache once its work is done.
  process.env.WHYRESET_MAKE_WORKER_CACHE = '1';
  process.env.WHYRESET_THREADS_MIN_BYTES = '0';
  rmSync(TRACK_WORKER_CACHE_FILE, { force: true });
  const threaded = await exports.analyzeMain([EXAMPLE, '--threads', '2', '--out', '/dev/null']);
  if (threaded !== 0) throw new Error(`the two-thread warm-up analysis of ${EXAMPLE} ended with exit code ${threaded}`);
  if (!existsSync(TRACK_WORKER_CACHE_FILE)) throw new Error(`the track worker wrote no code cache (${TRACK_WORKER_CACHE_FILE})`);
  delete process.env.WHYRESET_MAKE_WORKER_CACHE;
  delete process.env.WHYRESET_THREADS_MIN_BYTES;
  await makeIngestCache();
}

/** The same for dist/bundle/ingest.cjs: one warm-up ingest of the example into a throwaway store (its stdout line dropped). */
async function makeIngestCache() {
  const { script, exports } = loadIngest(undefined);
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-cache-'));
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    const code = await exports.ingestMain([EXAMPLE, '--db', join(dir, 'warm.duckdb'), '--sensor', 'build']);
    if (code !== 0) throw new Error(`the warm-up ingest of ${EXAMPLE} ended with exit code ${code}`);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(INGEST_CACHE_FILE, script.createCachedData());
}

makeCache().catch((err) => {
  process.stderr.write(`scripts/codeCache.cjs: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
