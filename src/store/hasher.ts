/**
 * The sha256 of a capture's bytes as the analysis reads them (the store's key, taken from the same
 * read, never a second pass). On a large file the hashing runs on a worker thread: each chunk read
 * is copied (one memcpy into a ring of shared memory) for a thread that hashes while the main
 * thread analyses, so the hash costs the main thread a copy (0.09 ms per MB) instead of 0.35-0.7
 * ms per MB (OpenSSL's SHA-NI code here, 1.4-2.8 GB/s). On two cores that takes the hash off the
 * wall-clock time of an ingest (0.05-0.09 s of a 128 MiB capture). A small file is hashed inline:
 * starting a thread costs more.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { RING_DONE, RING_FILLED, RING_HASHED, newHashRing, ringSlot } from './hashRing.js';

/** Takes bytes in order and gives their hex sha256 once. */
export interface ByteHasher {
  update(bytes: Uint8Array): void;
  digest(): Promise<string>;
  /** Drops the hash unfinished (the analysis failed); digest() must not be called after. */
  abandon(): void;
}

/**
 * Files at least this large are hashed on a worker thread: a thread costs ~44 ms of CPU to start
 * (on the second core; measured here, session 8) and the copies 0.09 ms per MB (12 ms per 128 MiB),
 * against 0.35-0.7 ms per MB hashed inline, so it saves wall-clock time only on a file of some
 * 50 MB or more, and always costs CPU (the start and the copies).
 */
export const THREAD_HASH_MIN_BYTES = 64 << 20;

/** Slots of the shared ring and bytes per slot: 8 MiB in all, one of the reader's chunks. */
const RING_SLOTS = 4;
const RING_SLOT_BYTES = 2 << 20;

/** Longest single wait (ms) for the thread to free a slot before looking again. */
const WAIT_SLICE_MS = 100;

/** A thread that has hashed nothing for this long (ms) while the main thread waits is taken as dead. */
const STALLED_MS = 60_000;

const HASH_WORKER_URL = new URL('./hashWorker.js', import.meta.url);

/** Hashes on this thread. */
class InlineHasher implements ByteHasher {
  private readonly hash = createHash('sha256');
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }
  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }
  abandon(): void {}
}

/**
 * Hashes on a worker thread (hashWorker.ts): the bytes are copied into a ring of slots in shared
 * memory (hashRing.ts) and hashed there in place. The main thread waits only when every slot is
 * still waiting to be hashed.
 */
class ThreadHasher implements ByteHasher {
  private readonly ring = newHashRing(RING_SLOTS, RING_SLOT_BYTES);
  private readonly control = new Int32Array(this.ring.control);
  private readonly lengths = new Int32Array(this.ring.lengths);
  private readonly slots = Array.from({ length: RING_SLOTS }, (_, i) => ringSlot(this.ring, i));
  private filled = 0;
  private readonly worker: Worker;
  private readonly result: Promise<string>;

  constructor(WorkerClass: typeof Worker) {
    this.worker = new WorkerClass(HASH_WORKER_URL, { workerData: this.ring });
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.once('message', (hex: string) => resolve(hex));
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hashing thread exited (${code}) before its digest`)));
    });
    // A failed analysis never asks for the digest: the rejection must not be reported as unhandled.
    this.result.catch(() => {});
    // Until the digest is asked for, the thread must not keep the process alive (an analysis that throws never asks).
    this.worker.unref();
  }

  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      this.waitForFreeSlot();
      const n = Math.min(RING_SLOT_BYTES, bytes.length - at);
      const slot = this.filled % RING_SLOTS;
      // The reader reuses its buffers: the bytes are copied into the slot, which the thread hashes in place.
      (this.slots[slot] as Uint8Array).set(bytes.subarray(at, at + n));
      this.lengths[slot] = n;
      this.filled++;
      Atomics.store(this.control, RING_FILLED, this.filled);
      Atomics.notify(this.control, RING_FILLED);
      at += n;
    }
  }

  /** Blocks until a slot is free. Synchronous on purpose: the reader must not run ahead; a thread that died never frees one. */
  private waitForFreeSlot(): void {
    let stalledMs = 0;
    for (let hashed = Atomics.load(this.control, RING_HASHED); this.filled - hashed >= RING_SLOTS; ) {
      Atomics.wait(this.control, RING_HASHED, hashed, WAIT_SLICE_MS);
      const now = Atomics.load(this.control, RING_HASHED);
      stalledMs = now === hashed ? stalledMs + WAIT_SLICE_MS : 0;
      if (stalledMs >= STALLED_MS) throw new Error('the hashing thread stopped');
      hashed = now;
    }
  }

  async digest(): Promise<string> {
    this.worker.ref();
    Atomics.store(this.control, RING_DONE, 1);
    Atomics.notify(this.control, RING_FILLED);
    try {
      return await this.result;
    } finally {
      this.abandon();
    }
  }

  abandon(): void {
    // Wakes the thread out of its wait first: it ends at once (its digest ignored).
    Atomics.store(this.control, RING_DONE, 1);
    Atomics.notify(this.control, RING_FILLED);
    void this.worker.terminate();
  }
}

/** A hasher for a file of `size` bytes: on a worker thread when it is large (node:worker_threads loaded only then). */
export async function hasherFor(size: number, minThreadBytes = THREAD_HASH_MIN_BYTES): Promise<ByteHasher> {
  if (size < minThreadBytes) return new InlineHasher();
  const { Worker } = await import('node:worker_threads');
  return new ThreadHasher(Worker);
}
