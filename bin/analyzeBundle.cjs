'use strict';
/**
 * Compiles dist/bundle/analyze.cjs (`whyreset analyze`, bundled by scripts/bundle.mjs) with V8's
 * code cache that the build made for it (analyze.cjs.cache), and runs its top level; the same
 * for its track worker, dist/bundle/trackWorker.cjs (bin/trackWorkerBundle.cjs), and for
 * dist/bundle/ingest.cjs (`whyreset ingest`) and its ingest.cjs.cache. With the
 * cache V8 neither parses the script nor compiles the functions a run calls: it deserialises
 * them (a tiny analyze under callgrind: ~320 M instructions without the cache, ~230 M with).
 * Nothing is written here: the cache is made once, at build time, by scripts/codeCache.cjs. A
 * cache that does not fit (another node, other V8 flags: it is made with bin/whyreset.js's) is
 * refused by V8, and the script then compiles as usual.
 */
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

/** The bundle's directory. */
const BUNDLE_DIR = join(__dirname, '..', 'dist', 'bundle');
/** The bundled analyze script. */
const ANALYZE_FILE = join(BUNDLE_DIR, 'analyze.cjs');
/** V8's code cache of it, made at build time. */
const ANALYZE_CACHE_FILE = `${ANALYZE_FILE}.cache`;
/** The analyze script's track worker (a run on two threads; bin/trackWorkerBundle.cjs starts it). */
const TRACK_WORKER_FILE = join(BUNDLE_DIR, 'trackWorker.cjs');
/** V8's code cache of it, made at build time. */
const TRACK_WORKER_CACHE_FILE = `${TRACK_WORKER_FILE}.cache`;
/** The bundled ingest script, and its code cache. */
const INGEST_FILE = join(BUNDLE_DIR, 'ingest.cjs');
const INGEST_CACHE_FILE = `${INGEST_FILE}.cache`;

/** The cache's bytes, or undefined when there is none (a build without it). */
function cachedDataOf(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Compiles and runs one bundled CommonJS script of dist/bundle; `cachedData` as given (the cache
 * maker passes none). Returns the script (for createCachedData), its exports and whether V8
 * refused the cache.
 */
function loadBundled(file, cachedData) {
  const source = readFileSync(file, 'utf8');
  // The wrapper of a CommonJS module (the same in the cache maker: V8 takes a cache only for
  // a source of the same length).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, BUNDLE_DIR);
  return { script, exports: module.exports, cacheRefused: cachedData === undefined || script.cachedDataRejected === true };
}

/** Compiles and runs the analyze script with its cache (loadBundled). */
function loadAnalyze(cachedData = cachedDataOf(ANALYZE_CACHE_FILE)) {
  return loadBundled(ANALYZE_FILE, cachedData);
}

/** Compiles and runs the track worker's script with its cache (loadBundled), on the worker thread. */
function loadTrackWorker(cachedData = cachedDataOf(TRACK_WORKER_CACHE_FILE)) {
  return loadBundled(TRACK_WORKER_FILE, cachedData);
}

/** Compiles and runs the ingest script with its cache (loadBundled). */
function loadIngest(cachedData = cachedDataOf(INGEST_CACHE_FILE)) {
  return loadBundled(INGEST_FILE, cachedData);
}

module.exports = { ANALYZE_CACHE_FILE, INGEST_CACHE_FILE, TRACK_WORKER_CACHE_FILE, loadAnalyze, loadIngest, loadTrackWorker };
