/**
 * The thread that takes a large capture's sha256 while the main thread analyses it
 * (src/store/hasher.ts). Given a HashThreadFile with `progress`, it hashes the analysis's own
 * chunks in the shared memory the window reads them into (HashThreadChunk), marking each done for
 * the reader; at the end it reads whatever the analysis did not (usually nothing) through its own
 * descriptor, which must be the file the main thread stat'ed (device, inode, size, mtime and
 * ctime), with exactly `size` bytes hashed in all; anything else is an error, never a digest.
 * Without `progress` it reads and hashes the whole file itself. Before hashing it may load
 * DuckDB's native library (`library`), which the main thread would otherwise load while it
 * analyses.
 *
 * The thread runs a CommonJS program made from the source text of the functions below
 * (hashThreadProgram, a Worker with `eval`), not an ES module file: a worker started from an ES
 * module starts Node's ES module loader and its imports of node:crypto and node:fs, 43 ms of the
 * thread's CPU before its first read against 30 ms now (128 MiB bench prefix, on the core the
 * analysis's compiler threads need). So hashThread is self-contained: it reaches modules only
 * through the `require` it is given, and the identity helpers as arguments.
 */
import type { BigIntStats } from 'node:fs';
import { type FileIdentity, identityOf, sameIdentity } from './fileIdentity.js';
import { schedstatMs } from './threadCpu.js';

/** The file to hash, with the identity it must keep while it is read. */
export interface HashThreadFile {
  path: string;
  identity: FileIdentity;
  /**
   * Hashed from the analysis's own reads: the thread does not read the file but hashes the bytes
   * it is sent (HashThreadChunk) in the order sent, and stores in this Int32Array's slot 0 the
   * `seq` of each chunk of shared memory once hashed (Atomics.notify), so that the reader does
   * not overwrite bytes still to be hashed (hasher.ts ThreadHasher.beforeWrite).
   */
  progress?: SharedArrayBuffer;
  /** The thread was started before the ingest knew its file (bin/hashThreadEarly.cjs), for HashThreadCpu.early. */
  early?: boolean;
}

/**
 * The progress memory of a thread hashing from the analysis's reads (HashThreadFile.progress), as
 * an Int32Array: slot 0 the seq of the last chunk hashed; slot DIGEST_STATE 0 until the digest is
 * known, then DIGEST_READY (its 32 bytes at byte DIGEST_AT) or DIGEST_FAILED (Atomics.notify each).
 */
export const DIGEST_STATE = 1;
export const DIGEST_READY = 1;
export const DIGEST_FAILED = -1;
export const DIGEST_AT = 8;
export const PROGRESS_BYTES = DIGEST_AT + 32;

/**
 * What a thread hashing from the analysis's reads is sent, in order: `memory`, the shared memory
 * the next chunks lie in; a chunk of it (`seq`, `at`, `length`); `bytes` read outside shared
 * memory (a copy); `end`, the bytes of the file the analysis read: the thread reads and hashes
 * the rest of the file from there (a reader stopped by damage, or an analysis stopped), checking
 * the file is still the one stat'ed, then posts its CPU and digest.
 */
export type HashThreadChunk = { memory: SharedArrayBuffer } | { seq: number; at: number; length: number } | { bytes: Uint8Array } | { end: number };

/**
 * What the thread is given (`workerData`): the file, or nulls when it is started before the file
 * is known (it then loads the library and waits for one message, a HashThreadFile).
 */
export interface HashThreadData {
  path: string | null;
  identity: FileIdentity | null;
  /** A native library to load before hashing, or null. */
  library: string | null;
}

/** The thread's own CPU (ms, null where /proc cannot say): before its program ran, loading the library, hashing. */
export interface HashThreadCpu {
  startMs: number | null;
  libraryMs: number | null;
  hashMs: number | null;
  /** Started before the ingest knew its file (bin/hashThreadEarly.cjs). */
  early: boolean;
}

/**
 * The thread's body: posts `{ libraryLoaded: true }` once the library is loaded (or failed to
 * load), then `{ cpu }` (HashThreadCpu) and the hex digest; throws (the worker's 'error') when the
 * file is not the one stat'ed.
 */
export function hashThread(
  require: NodeJS.Require,
  identityFrom: (stats: BigIntStats) => FileIdentity,
  same: (a: FileIdentity, b: FileIdentity) => boolean,
  cpuFrom: typeof schedstatMs,
): void {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { closeSync, fstatSync, openSync, readFileSync, readSync } = require('node:fs') as typeof import('node:fs');
  const cpu = () => cpuFrom(readFileSync, '/proc/thread-self/schedstat');
  const since = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const started = cpu();
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  // Bytes per read: large enough that the reads cost nothing next to the hash, small enough to stay in cache.
  const READ_BYTES = 1 << 20;
  const port = parentPort;
  if (port === null) throw new Error('hashThread runs as a worker thread');
  const data = workerData as HashThreadData;
  const { library } = data;
  if (library !== null) {
    // DuckDB's native library (an absolute path), for the main thread to find loaded (duckdbRaw.ts StoreOpenOptions.libraryLoaded).
    try {
      require(library);
    } finally {
      port.postMessage({ libraryLoaded: true });
    }
  }
  const loaded = cpu();
  /** Feeds `hash` the file's bytes from `from` to its end, read through a descriptor that must keep `identity`; then posts the CPU and the digest. */
  const hashFile = (path: string, identity: FileIdentity, hash = createHash('sha256'), from = 0n, early = path !== data.path, progress: Int32Array | null = null): void => {
    const fd = openSync(path, 'r');
    try {
      const changed = (when: string) => new Error(`${path} changed while it was being read (${when}): not stored`);
      if (!same(identityFrom(fstatSync(fd, { bigint: true })), identity)) throw changed('before it was hashed');
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      let total = from;
      // Positioned reads from `from` (a bigint offset: files past 2^53 bytes are not a concern, Number is exact below).
      for (let n = readSync(fd, buffer, 0, READ_BYTES, Number(total)); n > 0; n = readSync(fd, buffer, 0, READ_BYTES, Number(total))) {
        hash.update(buffer.subarray(0, n));
        total += BigInt(n);
      }
      if (total !== identity.size || !same(identityFrom(fstatSync(fd, { bigint: true })), identity)) throw changed('while it was hashed');
      const digest = hash.digest('hex');
      if (progress !== null) {
        // For a main thread waiting on it (hasher.ts digestNow): the bytes, then the state (slots 1 and 2 of hashWorker.ts's layout).
        Buffer.from(digest, 'hex').copy(new Uint8Array(progress.buffer, 8, 32));
        Atomics.store(progress, 1, 1);
        Atomics.notify(progress, 1);
      }
      const cpuStats: HashThreadCpu = { startMs: started, libraryMs: since(started, loaded), hashMs: since(loaded, cpu()), early };
      port.postMessage({ cpu: cpuStats });
      port.postMessage(digest);
    } finally {
      closeSync(fd);
    }
  };
  /** Hashes the chunks the analysis's reads are sent as (HashThreadChunk), then the rest of the file. */
  const hashChunks = (file: HashThreadFile, progress: Int32Array): void => {
    const hash = createHash('sha256');
    let memory: SharedArrayBuffer | null = null;
    const onChunk = (chunk: HashThreadChunk): void => {
      if ('seq' in chunk) {
        hash.update(new Uint8Array(memory as SharedArrayBuffer, chunk.at, chunk.length));
        Atomics.store(progress, 0, chunk.seq);
        Atomics.notify(progress, 0);
      } else if ('bytes' in chunk) hash.update(chunk.bytes);
      else if ('memory' in chunk) memory = chunk.memory;
      else {
        port.off('message', onChunk);
        try {
          hashFile(file.path, file.identity, hash, BigInt(chunk.end), file.early === true, progress);
        } catch (err) {
          // A main thread waiting on the digest stops waiting; the error is the worker's.
          Atomics.store(progress, 1, -1);
          Atomics.notify(progress, 1);
          throw err;
        }
      }
    };
    port.on('message', onChunk);
  };
  const start = (file: HashThreadFile): void => {
    if (file.progress === undefined) hashFile(file.path, file.identity);
    else hashChunks(file, new Int32Array(file.progress));
  };
  // Started early (bin/hashThreadEarly.cjs), the thread learns its file once the ingest knows it.
  if (data.path !== null && data.identity !== null) hashFile(data.path, data.identity);
  else port.once('message', start);
}

/** The thread's program, for `new Worker(program, { eval: true, workerData })`: hashThread called with the worker's require and the helpers. */
export function hashThreadProgram(): string {
  return `(${hashThread})(require, ${identityOf}, ${sameIdentity}, ${schedstatMs});`;
}
