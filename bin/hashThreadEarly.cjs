'use strict';
/**
 * `whyreset ingest`'s sha256 thread, started before the ingest script loads (bin/whyreset.js):
 * the thread's start-up (~30-40 ms of its CPU) and its loading of DuckDB's library (~9 ms) then
 * overlap the main thread's own start (it had used ~60-70 ms of CPU when it used to start the
 * thread), while the other core is idle, instead of the analysis, when V8's compiler thread needs
 * that core. The thread (dist/src/store/hashThreadMain.js) loads the library, then waits for the
 * first file that src/store/hasher.ts gives it; ingest ends it if no file is large enough.
 * Started only when an argument names a regular file at least as large as the store's bound for
 * hashing on a thread (src/store/hasher.ts threadHashMinBytesFor: THREAD_HASH_MIN_BYTES from three
 * cores, THREAD_HASH_MIN_BYTES_TWO_CORES on two, never on one; or WHYRESET_HASH_THREAD_MIN_BYTES).
 */
const { statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');

/** src/store/hasher.ts THREAD_HASH_MIN_BYTES, THREAD_HASH_MIN_CORES and THREAD_HASH_MIN_BYTES_TWO_CORES (test/store/duckdb.test.ts checks they agree). */
const THREAD_HASH_MIN_BYTES = 64 << 20;
const THREAD_HASH_MIN_CORES = 2;
const THREAD_HASH_MIN_BYTES_TWO_CORES = 256 << 20;
/** The thread's module. */
const ENTRY = join(__dirname, '..', 'dist', 'src', 'store', 'hashThreadMain.js');

/**
 * The bound for hashing on a thread: WHYRESET_HASH_THREAD_MIN_BYTES as src/cli/ingest.ts reads it,
 * else src/store/hasher.ts threadHashMinBytesFor (no thread on one core).
 */
function minBytesOf(env, cores = require('node:os').availableParallelism()) {
  const n = Number(env.WHYRESET_HASH_THREAD_MIN_BYTES);
  if (env.WHYRESET_HASH_THREAD_MIN_BYTES !== undefined && Number.isSafeInteger(n) && n >= 0) return n;
  if (cores < THREAD_HASH_MIN_CORES) return Number.POSITIVE_INFINITY;
  return cores === THREAD_HASH_MIN_CORES ? THREAD_HASH_MIN_BYTES_TWO_CORES : THREAD_HASH_MIN_BYTES;
}

/** Whether an argument names a regular file of at least `minBytes` (options and what is not a file are skipped). */
function namesLargeFile(args, minBytes) {
  for (const a of args) {
    if (a.startsWith('-')) continue;
    try {
      const s = statSync(a);
      if (s.isFile() && s.size >= minBytes) return true;
    } catch {}
  }
  return false;
}

/**
 * Whether src/store/processHasher.ts opensslPath finds an `openssl` executable on PATH (and
 * WHYRESET_HASH_PROCESS is not 0): large files are then hashed by a child process, which needs
 * no early thread (the store's opening loads DuckDB's library on the main thread).
 */
function opensslFound(env) {
  if (env.WHYRESET_HASH_PROCESS === '0') return false;
  const { accessSync, constants } = require('node:fs');
  const { delimiter } = require('node:path');
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      const file = join(dir, 'openssl');
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

/** DuckDB's native library (the bindings' platform build), as src/store/duckdbRaw.ts bindingsFile finds it, or null. */
function libraryFile() {
  try {
    const fromBin = createRequire(__filename);
    return createRequire(fromBin.resolve('@duckdb/node-bindings')).resolve(`@duckdb/node-bindings-${process.platform}-${process.arch}/duckdb.node`);
  } catch {
    return null;
  }
}

/** The early thread (src/store/hasher.ts EarlyHashThread) for `ingest`'s arguments, or null when none is worth starting. */
function startHashThread(args, env = process.env) {
  if (!namesLargeFile(args, minBytesOf(env)) || opensslFound(env)) return null;
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(ENTRY, { workerData: { path: null, identity: null, library: libraryFile() } });
  let taken = false;
  const early = {
    worker,
    failure: null,
    libraryLoaded: new Promise((resolve) => {
      worker.once('message', () => resolve());
      worker.once('error', () => resolve());
      worker.once('exit', () => resolve());
    }),
    take() {
      if (taken) return false;
      taken = true;
      return true;
    },
    release() {
      if (!taken) {
        taken = true;
        void worker.terminate();
      }
    },
  };
  worker.on('error', (err) => {
    early.failure ??= err;
  });
  worker.on('exit', (code) => {
    early.failure ??= new Error(`the hashing thread exited (${code}) before its digest`);
  });
  // Once the library is loaded (the store's opening waits for that) it must not keep the process
  // alive while it waits for a file that may never come; a file given to it, hasher.ts decides.
  early.libraryLoaded.then(() => {
    if (!taken) worker.unref();
  });
  return early;
}

module.exports = { THREAD_HASH_MIN_BYTES, THREAD_HASH_MIN_CORES, THREAD_HASH_MIN_BYTES_TWO_CORES, minBytesOf, opensslFound, startHashThread };
