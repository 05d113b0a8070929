/**
 * The sha256 of a capture's bytes, the store's key. A small file (or one that cannot be read twice,
 * a FIFO) is hashed from the very reads that analyse it (RunOptions.onRawBytes). A large regular
 * file is hashed by a worker thread that reads it on its own (hashWorker.ts) while the main thread
 * analyses it: on two cores the hash then costs the analysis no wall-clock time and the main
 * thread nothing per byte. Session 8 fed that thread copies of the analysis's chunks through a
 * ring of shared memory instead; on the 128 MiB bench prefix the main thread spent 43 ms copying
 * into it and 43 ms waiting for a free slot. Reading twice is safe because both reads are checked
 * against one identity (fileIdentity.ts): the file stat'ed before the analysis opens it, the
 * thread's descriptor before its first and after its last read, the path again after the
 * analysis, and the byte counts (the thread's equal to the size, the analysis's not above it).
 * A file that changed underneath fails the ingest with an error instead of storing a key that
 * does not match the rows.
 */
import { type Hash, createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { type FileIdentity, identityOf, sameIdentity } from './fileIdentity.js';
import { type HashThreadCpu, type HashThreadData, type HashThreadFile, hashThreadProgram } from './hashWorker.js';
import { ProcessHasher, opensslPath } from './processHasher.js';

/** Takes the bytes the analysis reads, in order, and gives the file's hex sha256 once. */
export interface ByteHasher {
  /** The next bytes the analysis read. */
  update(bytes: Uint8Array): void;
  /** The digest of the whole file (the bytes after those the analysis read too). */
  digest(): Promise<string>;
  /** Drops the hash unfinished (the analysis failed); digest() must not be called after. */
  abandon(): void;
  /**
   * The digest as soon as it is known, before the analysis ends (a thread reading the file
   * itself), or null when only the end of the analysis gives it. digest() still decides: it
   * also checks that the file did not change.
   */
  readonly early: Promise<string> | null;
  /** What a hashing thread's own CPU went to, once it has posted its digest; null when hashed inline. */
  readonly threadCpu: HashThreadCpu | null;
}

/**
 * Regular files at least this large are hashed on a worker thread (on a machine of at least
 * THREAD_HASH_MIN_CORES cores): a thread costs ~44 ms of CPU to start (on the second core;
 * measured here, session 8) against 0.35-0.7 ms per MB hashed inline, so it saves wall-clock time
 * only on a file of some 50 MB or more.
 */
export const THREAD_HASH_MIN_BYTES = 64 << 20;

/**
 * Cores from which a large file's hash goes to a thread. Session 11's reasoning for three: on two cores there is no core for it:
 * the analysis keeps one busy and V8's compiler thread ~70 % of the other (TurboFan's concurrent
 * compiles, 270-340 ms of the 128 MiB bench prefix's ~400 ms), and the thread costs ~50 ms more
 * than the hash itself to start (a Node isolate whose built-ins compile from source under the
 * bin's V8 flags) plus a second read of the file (~20 ms per 128 MiB from the page cache). Hashed
 * from the analysis's reads instead, with the rows fed to DuckDB during the analysis under a
 * pending key (duckFeed.ts), on this two-core machine (loaded; session 11, farm-bench pairs of
 * ingest, inline against thread): 128 MiB prefix 0.90x CPU, 0.95x wall; 512 MiB mix 0.95x CPU,
 * 0.95x wall. From three cores the thread hashes on a core of its own, beside the analysis.
 *
 * Session 12 moved it back to two cores. Per thread (perf, 512 MiB bench mix, loaded machine, 3
 * alternating runs each, after the row segments grew to 2 MiB), ms of CPU: hashed inline, the
 * main thread 1,283-1,468 and the second core's work (V8's compiler ~450, libuv's pool: reads and
 * DuckDB ~270) ~720; on the thread, the main thread 965-1,198 and the second core ~1,100 (the
 * hashing thread 388-425 of it). `analyze --format json`'s main thread is 880-1,090. On an idle
 * two-core machine the run ends when its busiest core does: inline that is the main thread, ~300
 * ms over the analysis's; on the thread both cores carry about the same, ~100 ms over it. The
 * cost is CPU: the process ~+5 % (the isolate's start, the second read), which on a machine loaded
 * by other work is what the wall clock follows. Session 10's measurement on the idle machine
 * agrees (512 MiB mix: 1.350 s with the thread against 1.444 inline). Only for large files
 * (THREAD_HASH_MIN_BYTES_TWO_CORES): V8's compiler keeps the second core busy during the first
 * few hundred ms of any run (its JIT warm-up), so there is room on it only later.
 */
export const THREAD_HASH_MIN_CORES = 2;

/**
 * On two cores, the size from which a file is hashed on a thread. The 128 MiB bench prefix (same
 * runs as above): inline, the main thread 420-473 ms and the second core ~330 (V8's compiler
 * ~290 of it); on the thread, the main thread 371-406 and the second core ~520 (V8 ~280, the
 * hashing thread ~145, the pool ~90), the process 1.10x the CPU. There the busiest core carries
 * no less with the thread, and the machine more: inline it stays.
 */
export const THREAD_HASH_MIN_BYTES_TWO_CORES = 256 << 20;

/** The size from which files are hashed on a thread, on a machine of `cores` cores: THREAD_HASH_MIN_BYTES from three cores, THREAD_HASH_MIN_BYTES_TWO_CORES on two, never (Infinity) on one. */
export function threadHashMinBytesFor(cores: number): number {
  if (cores < THREAD_HASH_MIN_CORES) return Number.POSITIVE_INFINITY;
  return cores === THREAD_HASH_MIN_CORES ? THREAD_HASH_MIN_BYTES_TWO_CORES : THREAD_HASH_MIN_BYTES;
}

/** Bytes per read when a file is hashed on its own. */
const READ_CHUNK = 1 << 20;

/**
 * Feeds `hash` the bytes of the file at `path` from byte `start` to its end. Plain synchronous
 * reads: a read stream loads Node's fs streams, fs/promises and readline (start-up time).
 */
export function hashFileFrom(hash: Hash, path: string, start = 0): void {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    for (let at = start, n = readSync(fd, buffer, 0, READ_CHUNK, at); n > 0; at += n, n = readSync(fd, buffer, 0, READ_CHUNK, at)) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** The sha256 of the file at `path`, read on this thread (ProcessHasher's fallback). */
function sha256From(path: string): Hash {
  const hash = createHash('sha256');
  hashFileFrom(hash, path);
  return hash;
}

/** Hashes the analysis's bytes on this thread, then whatever it left unread (damage it could not read past). */
class InlineHasher implements ByteHasher {
  private readonly hash = createHash('sha256');
  private hashed = 0;
  readonly early = null;
  readonly threadCpu = null;
  constructor(private readonly path: string) {}
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.hashed += bytes.length;
  }
  async digest(): Promise<string> {
    // Usually nothing is left: a file's size says so without opening it again (a FIFO's is 0).
    if (statSync(this.path).size > this.hashed) hashFileFrom(this.hash, this.path, this.hashed);
    return this.hash.digest('hex');
  }
  abandon(): void {}
}

/** Hashes the file on a worker thread that reads it itself (hashWorker.ts); the analysis's reads are only counted. */
class FileThreadHasher implements ByteHasher {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private analysed = 0;
  private digesting = false;
  /** Settles when the thread has loaded the library it was given (or failed to, or ended). */
  readonly libraryLoaded: Promise<void>;
  threadCpu: HashThreadCpu | null = null;
  get early(): Promise<string> {
    return this.result;
  }

  /** A new thread for the file (`thread` the Worker class), or the early thread given the file. */
  constructor(
    thread: typeof Worker | EarlyHashThread,
    private readonly path: string,
    private readonly identity: FileIdentity,
    library: string | null,
  ) {
    if (typeof thread === 'function') {
      const workerData: HashThreadData = { path, identity, library };
      this.worker = new thread(hashThreadProgram(), { eval: true, workerData });
    } else this.worker = thread.worker;
    let libraryLoaded = () => {};
    this.libraryLoaded = new Promise<void>((resolve) => {
      libraryLoaded = resolve;
    });
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.on('message', (message: string | { libraryLoaded: true } | { cpu: HashThreadCpu }) => {
        if (typeof message === 'string') resolve(message);
        else if ('cpu' in message) this.threadCpu = message.cpu;
        else libraryLoaded();
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hashing thread exited (${code}) before its digest`)));
    });
    if (typeof thread !== 'function') {
      // Its library is loading or loaded (the early thread's own promise says when); a failure
      // before now (it ended, or threw) fails the digest, as a new thread's would.
      thread.libraryLoaded.then(libraryLoaded);
      if (thread.failure !== null) this.worker.emit('error', thread.failure);
      else {
        const file: HashThreadFile = { path, identity };
        this.worker.postMessage(file);
      }
    } else if (library === null) libraryLoaded();
    this.result.then(libraryLoaded, libraryLoaded);
    // A failed analysis never asks for the digest: the rejection must not be reported as unhandled.
    this.result.catch(() => {});
    // Until the digest is asked for, the thread must not keep the process alive (an analysis that
    // throws never asks), except while it loads the library: the store's opening waits for that.
    this.libraryLoaded.then(() => {
      if (!this.digesting) this.worker.unref();
    });
  }

  update(bytes: Uint8Array): void {
    this.analysed += bytes.length;
  }

  async digest(): Promise<string> {
    this.digesting = true;
    this.worker.ref();
    try {
      const hex = await this.result;
      // The thread checked its own descriptor; the path must still name that file, and the analysis must not have read more than it holds.
      const now = identityOf(statSync(this.path, { bigint: true }));
      if (!sameIdentity(now, this.identity) || BigInt(this.analysed) > this.identity.size) {
        throw new Error(`${this.path} changed while it was being read (after the analysis): not stored`);
      }
      return hex;
    } finally {
      void this.worker.terminate();
    }
  }

  abandon(): void {
    void this.worker.terminate();
  }
}

/**
 * A hasher for the file at `path`: on a worker thread reading the file itself when it is a regular
 * file of at least `minThreadBytes` (default: threadHashMinBytesFor this machine's cores;
 * node:worker_threads loaded only then), else inline.
 */
export async function hasherFor(path: string, minThreadBytes?: number, library?: LibraryToLoad, early?: EarlyHashThread): Promise<ByteHasher> {
  const stats = statSync(path, { bigint: true });
  const bound = minThreadBytes ?? threadHashMinBytesFor(availableParallelism());
  if (!stats.isFile() || Number(stats.size) < bound) return new InlineHasher(path);
  const openssl = early === undefined ? opensslPath() : null;
  if (openssl !== null) return new ProcessHasher(openssl, path, identityOf(stats), sha256From);
  if (early?.take()) return new FileThreadHasher(early, path, identityOf(stats), null);
  // getBuiltinModule, not import(): the ingest script (dist/bundle/ingest.cjs) runs under node:vm, which has no dynamic import.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const hasher = new FileThreadHasher(Worker, path, identityOf(stats), library?.file ?? null);
  library?.onLoading(hasher.libraryLoaded);
  return hasher;
}

/**
 * A hashing thread started before the ingest knew its first file (bin/hashThreadEarly.cjs runs
 * hashThreadMain.ts with no file: it loads DuckDB's library, then waits for a HashThreadFile).
 */
export interface EarlyHashThread {
  worker: Worker;
  /** Settles once the thread has loaded the library (or failed to, or ended). */
  libraryLoaded: Promise<void>;
  /** Its error, or its end, before it was given a file; null while it waits. */
  failure: Error | null;
  /** True the first time (the caller gives it its file), false after: one file per thread. */
  take(): boolean;
  /** Ends it when no file was given to it. */
  release(): void;
}

/** A native library for the hashing thread to load before it hashes (hashWorker.ts). */
export interface LibraryToLoad {
  file: string;
  /** Called at once (synchronously, within hasherFor's call) when a thread loads it; not called when none does. */
  onLoading(loaded: Promise<void>): void;
}
