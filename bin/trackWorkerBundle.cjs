'use strict';
/**
 * The track worker of a two-thread `analyze` run from the analyze script (pipeline/threads.ts,
 * bundled by scripts/bundle.mjs): compiles dist/bundle/trackWorker.cjs with the code cache the
 * build made for it (./analyzeBundle.cjs), so that the worker's start neither loads Node's ES
 * module loader nor parses and compiles the track modules. At build time only,
 * scripts/codeCache.cjs sets WHYRESET_MAKE_WORKER_CACHE: the worker then compiles without a
 * cache and, once its work is done (the functions it ran compiled too) and before it says so,
 * writes the cache.
 */
const { writeFileSync } = require('node:fs');
const { TRACK_WORKER_CACHE_FILE, loadTrackWorker } = require('./analyzeBundle.cjs');

if (process.env.WHYRESET_MAKE_WORKER_CACHE === '1') {
  const { script, exports } = loadTrackWorker(undefined);
  // Before the worker tells the main thread it is done (which then ends this thread).
  exports.hooks.beforeDone = () => writeFileSync(TRACK_WORKER_CACHE_FILE, script.createCachedData());
} else loadTrackWorker();
