/**
 * The thread that takes a file's sha256 while the main thread analyses it (src/store/hasher.ts).
 * The bytes come through a ring of slots in shared memory, in order: it waits for a slot to be
 * filled, hashes it in place, frees it, and posts the hex digest once the main thread says the
 * file ended and every slot is hashed.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { type HashRing, RING_DONE, RING_FILLED, RING_HASHED, ringSlot } from './hashRing.js';

/** How long a wait for the next slot lasts at most before DONE is looked at again. */
const DONE_RECHECK_MS = 20;

const port = parentPort;
if (port === null) throw new Error('hashWorker.js runs as a worker thread');
const ring = workerData as HashRing;
const control = new Int32Array(ring.control);
const lengths = new Int32Array(ring.lengths);
const hash = createHash('sha256');
for (let hashed = 0; ; ) {
  const filled = Atomics.load(control, RING_FILLED);
  if (filled === hashed) {
    if (Atomics.load(control, RING_DONE) === 1 && Atomics.load(control, RING_FILLED) === hashed) break;
    // With a bound: the main thread sets DONE and then wakes this thread, which may fall between
    // the DONE check above and this wait (FILLED unchanged), a wake-up lost without the bound.
    Atomics.wait(control, RING_FILLED, filled, DONE_RECHECK_MS);
    continue;
  }
  const slot = hashed % ring.slots;
  hash.update(ringSlot(ring, slot).subarray(0, lengths[slot]));
  hashed++;
  Atomics.store(control, RING_HASHED, hashed);
  Atomics.notify(control, RING_HASHED);
}
port.postMessage(hash.digest('hex'));
