/**
 * The sha256 of a capture's bytes, the store's key, always taken from the very reads that
 * analyse it (RunOptions.onRawBytes). A small file is hashed on the main thread. A large regular
 * file is hashed by a worker thread (hashWorker.ts) while the main thread analyses it: the
 * window reads its chunks into shared memory (capture/window.ts SharedReads) and the thread
 * hashes each chunk in place, so the main thread copies nothing and, the thread hashing ~4x
 * faster than the analysis parses, almost never waits for it. Session 8 fed such a thread copies
 * of the chunks through a ring (the main thread spent 43 ms copying per 128 MiB and 43 ms
 * waiting for a slot); sessions 9-12 had the thread read the file a second time itself (~50 ms
 * of kernel copies per 512 MiB, and a second identity to check); session 13 hashes the shared
 * chunks (512 MiB bench mix: the thread's hashing 335 -> 285 ms of CPU, OpenSSL's SHA-NI rate).
 * The file stat'ed before the analysis must keep its identity (fileIdentity.ts) until the
 * digest, checked again after the analysis, and the analysis must not read more than its size;
 * what the reader left unread (damage it could not read past, an analysis stopped) is read from
 * the file and hashed too. The digest is known once the file is read (digestNow), before the
 * analysis has ended the connections the capture leaves open.
 */
import { type Hash, createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { SharedReads } from '../capture/window.js';
import { type FileIdentity, identityOf, sameIdentity } from './fileIdentity.js';
import { DIGEST_AT, DIGEST_READY, DIGEST_STATE, type HashThreadChunk, type HashThreadCpu, type HashThreadData, type HashThreadFile, PROGRESS_BYTES, hashThreadProgram } from './hashWorker.js';

/** Takes the bytes the analysis reads, in order, and gives the file's hex sha256 once. */
export interface ByteHasher {
  /** The next bytes the analysis read. */
  update(bytes: Uint8Array): void;
  /** The digest of the whole file (the bytes after those the analysis read too). */
  digest(): Promise<string>;
  /**
   * The digest at once, when the analysis has read the whole file (the reader at its end: no
   * byte left to read, nothing more to come through update), else null; digest() still decides
   * (it also checks that the file did not change) and gives the same.
   */
  digestNow(): string | null;
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
  /** The reads' buffers in shared memory, for a thread to hash them in place (capture/window.ts SharedReads); null when hashed inline. */
  readonly sharedReads: SharedReads | null;
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
 * few hundred ms of any run (its JIT warm-up), so there is room on it only later. Session 13:
 * the thread hashes the analysis's chunks in shared memory, so the second read is gone (~50 ms
 * of the 512 MiB mix's ~335); what it costs over hashing inline is its start (~50 ms).
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

/** Hashes the analysis's bytes on this thread, then whatever it left unread (damage it could not read past). */
class InlineHasher implements ByteHasher {
  private readonly hash = createHash('sha256');
  private hashed = 0;
  readonly early = null;
  readonly threadCpu = null;
  readonly sharedReads = null;
  constructor(private readonly path: string) {}
  private hex: string | null = null;
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.hashed += bytes.length;
  }
  digestNow(): string | null {
    if (this.hex === null && statSync(this.path).size === this.hashed) this.hex = this.hash.digest('hex');
    return this.hex;
  }
  async digest(): Promise<string> {
    if (this.hex !== null) return this.hex;
    // Usually nothing is left: a file's size says so without opening it again (a FIFO's is 0).
    if (statSync(this.path).size > this.hashed) hashFileFrom(this.hash, this.path, this.hashed);
    this.hex = this.hash.digest('hex');
    return this.hex;
  }
  abandon(): void {}
}

/** Atomics.waitAsync (ES2024; Node 16 and later have it), which the ES2022 lib does not declare. */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/**
 * How long digestNow() waits for the thread: it is at most two chunks behind (16 MiB, ~8 ms of
 * sha256); past this (a thread the scheduler left waiting) the digest comes from digest() later.
 */
const DIGEST_WAIT_MS = 250;

/** A chunk of shared memory posted to the thread and not known hashed yet. */
interface PostedChunk {
  memory: SharedArrayBuffer;
  start: number;
  end: number;
  seq: number;
}

/**
 * Hashes the analysis's own reads on a worker thread (hashWorker.ts hashChunks): the window reads
 * into shared memory (capture/window.ts SharedReads) and each chunk read is posted as its place
 * in that memory, hashed there by the thread while the main thread parses it; bytes read
 * elsewhere (the first bytes sniffed, a gzip file's compressed reads) are posted as copies. The
 * window awaits beforeWrite() before it reads into a buffer again, so no byte is overwritten
 * before it is hashed (the thread hashes ~4x faster than the analysis parses: it almost never
 * waits). The digest covers the rest of the file too when the analysis did not read it all (the
 * thread reads it), and the file must keep the identity stat'ed before the analysis.
 */
class ThreadHasher implements ByteHasher {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private analysed = 0;
  private digesting = false;
  /** Slot 0: the seq of the last chunk of shared memory the thread has hashed; then the digest's slots (hashWorker.ts DIGEST_SLOTS). */
  private readonly progress = new Int32Array(new SharedArrayBuffer(PROGRESS_BYTES));
  /** The end was posted (the thread hashes the rest of the file, then gives the digest). */
  private ended = false;
  private seq = 0;
  private memory: SharedArrayBuffer | null = null;
  /** Chunks posted and not yet seen hashed, oldest first. */
  private posted: PostedChunk[] = [];
  /** Settles when the thread has loaded the library it was given (or failed to, or ended). */
  readonly libraryLoaded: Promise<void>;
  threadCpu: HashThreadCpu | null = null;
  /** Known only once the analysis has read the file (digest()). */
  readonly early = null;
  /** For the window (capture/window.ts SharedReads). */
  readonly sharedReads: SharedReads = { beforeWrite: (buf) => this.beforeWrite(buf) };

  /** A new thread for the file (`thread` the Worker class), or the early thread given the file. */
  constructor(
    thread: typeof Worker | EarlyHashThread,
    private readonly path: string,
    private readonly identity: FileIdentity,
    library: string | null,
  ) {
    if (typeof thread === 'function') {
      const workerData: HashThreadData = { path: null, identity: null, library };
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
    const file: HashThreadFile = { path, identity, progress: this.progress.buffer as SharedArrayBuffer, early: typeof thread !== 'function' };
    if (typeof thread !== 'function') {
      // Its library is loading or loaded (the early thread's own promise says when); a failure
      // before now (it ended, or threw) fails the digest, as a new thread's would.
      thread.libraryLoaded.then(libraryLoaded);
      if (thread.failure !== null) this.worker.emit('error', thread.failure);
      else this.worker.postMessage(file);
    } else {
      this.worker.postMessage(file);
      if (library === null) libraryLoaded();
    }
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
    const memory = bytes.buffer;
    if (!(memory instanceof SharedArrayBuffer)) {
      // Not the window's shared memory: a copy, handed over.
      // (Uint8Array's constructor copies; a Buffer's slice() would not.)
      const copy = new Uint8Array(bytes);
      const chunk: HashThreadChunk = { bytes: copy };
      this.worker.postMessage(chunk, [copy.buffer]);
      return;
    }
    if (memory !== this.memory) {
      this.memory = memory;
      const announce: HashThreadChunk = { memory };
      this.worker.postMessage(announce);
    }
    const chunk: HashThreadChunk = { seq: ++this.seq, at: bytes.byteOffset, length: bytes.length };
    this.posted.push({ memory, start: bytes.byteOffset, end: bytes.byteOffset + bytes.length, seq: this.seq });
    this.worker.postMessage(chunk);
  }

  /** Resolves once the thread has hashed every chunk posted from `buf`'s bytes; null when it has already. */
  private beforeWrite(buf: Uint8Array): Promise<void> | null {
    const done = Atomics.load(this.progress, 0);
    let i = 0;
    while (i < this.posted.length && (this.posted[i] as PostedChunk).seq <= done) i++;
    if (i > 0) this.posted.splice(0, i);
    let wait = 0;
    const start = buf.byteOffset;
    const end = start + buf.byteLength;
    for (const c of this.posted) if (c.memory === buf.buffer && c.start < end && start < c.end) wait = c.seq;
    return wait === 0 ? null : this.hashedUpTo(wait);
  }

  /** Resolves once the thread has hashed the chunk numbered `seq` (or ended). */
  private async hashedUpTo(seq: number): Promise<void> {
    // A wait on shared memory does not keep the event loop alive: the thread, ref'd meanwhile, does.
    this.worker.ref();
    try {
      for (let done = Atomics.load(this.progress, 0); done < seq; done = Atomics.load(this.progress, 0)) {
        const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.progress, 0, done, 1000);
        // A thread that ended (an error) never stores its progress: the digest reports the failure.
        const ended = await Promise.race([waited.async ? waited.value : Promise.resolve(waited.value), this.result.then(() => 'ended', () => 'ended')]);
        if (ended === 'ended') return;
      }
    } finally {
      if (!this.digesting) this.worker.unref();
    }
  }

  /** Tells the thread the analysis read its last byte: it hashes the rest of the file, if any, and gives the digest. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const end: HashThreadChunk = { end: this.analysed };
    this.worker.postMessage(end);
  }

  digestNow(): string | null {
    if (BigInt(this.analysed) !== this.identity.size) return null;
    this.end();
    // The thread is at most the window's two chunks behind (beforeWrite): a few ms of hashing.
    Atomics.wait(this.progress, DIGEST_STATE, 0, DIGEST_WAIT_MS);
    if (Atomics.load(this.progress, DIGEST_STATE) !== DIGEST_READY) return null;
    return Buffer.from(new Uint8Array(this.progress.buffer, DIGEST_AT, 32)).toString('hex');
  }

  async digest(): Promise<string> {
    this.digesting = true;
    this.worker.ref();
    try {
      this.end();
      const hex = await this.result;
      // The thread checked its own descriptor for the rest; the path must still name that file, and the analysis must not have read more than it holds.
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
  if (early?.take()) return new ThreadHasher(early, path, identityOf(stats), null);
  // getBuiltinModule, not import(): the ingest script (dist/bundle/ingest.cjs) runs under node:vm, which has no dynamic import.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const hasher = new ThreadHasher(Worker, path, identityOf(stats), library?.file ?? null);
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
