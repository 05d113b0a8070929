/**
 * The thread that takes a large capture's sha256 while the main thread analyses it
 * (src/store/hasher.ts). It reads the file itself, through its own descriptor, from the page
 * cache the analysis's reads fill (or fill in turn): the main thread copies nothing and never
 * waits for it. The file must be the one the main thread stat'ed (device, inode, size, mtime and
 * ctime, `workerData`) before this thread's first read and after its last, with exactly `size`
 * bytes read; anything else is an error, never a digest. Before hashing it may load DuckDB's
 * native library (`library`), which the main thread would otherwise load while it analyses.
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
}

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
  /** Hashed by a child process (processHasher.ts), not a thread: `hashMs` is its CPU. */
  process?: boolean;
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
  const hashFile = (path: string, identity: FileIdentity): void => {
    const fd = openSync(path, 'r');
    try {
      const changed = (when: string) => new Error(`${path} changed while it was being read (${when}): not stored`);
      if (!same(identityFrom(fstatSync(fd, { bigint: true })), identity)) throw changed('before it was hashed');
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      let total = 0n;
      for (let n = readSync(fd, buffer, 0, READ_BYTES, null); n > 0; n = readSync(fd, buffer, 0, READ_BYTES, null)) {
        hash.update(buffer.subarray(0, n));
        total += BigInt(n);
      }
      if (total !== identity.size || !same(identityFrom(fstatSync(fd, { bigint: true })), identity)) throw changed('while it was hashed');
      const digest = hash.digest('hex');
      const cpuStats: HashThreadCpu = { startMs: started, libraryMs: since(started, loaded), hashMs: since(loaded, cpu()), early: path !== data.path };
      port.postMessage({ cpu: cpuStats });
      port.postMessage(digest);
    } finally {
      closeSync(fd);
    }
  };
  // Started early (bin/hashThreadEarly.cjs), the thread learns its file once the ingest knows it.
  if (data.path !== null && data.identity !== null) hashFile(data.path, data.identity);
  else port.once('message', (file: HashThreadFile) => hashFile(file.path, file.identity));
}

/** The thread's program, for `new Worker(program, { eval: true, workerData })`: hashThread called with the worker's require and the helpers. */
export function hashThreadProgram(): string {
  return `(${hashThread})(require, ${identityOf}, ${sameIdentity}, ${schedstatMs});`;
}
