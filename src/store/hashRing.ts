/**
 * The shared memory between the main thread and the hashing thread (hasher.ts, hashWorker.ts): a
 * ring of fixed slots the main thread copies the bytes read into, and counters. Allocated once per
 * file and reused slot after slot, so the copies touch no fresh pages.
 */

/** The ring: `slots` slots of `slotBytes` in `data`, each slot's length in `lengths`, counters in `control`. */
export interface HashRing {
  slots: number;
  slotBytes: number;
  data: SharedArrayBuffer;
  lengths: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Index in `control`: slots filled so far (the main thread adds one per slot and wakes the hasher). */
export const RING_FILLED = 0;
/** Index in `control`: slots hashed so far (the hasher adds one per slot and wakes the main thread). */
export const RING_HASHED = 1;
/** Index in `control`: 1 once the main thread has filled its last slot. */
export const RING_DONE = 2;

/** A ring of `slots` slots of `slotBytes` each. */
export function newHashRing(slots: number, slotBytes: number): HashRing {
  return {
    slots,
    slotBytes,
    data: new SharedArrayBuffer(slots * slotBytes),
    lengths: new SharedArrayBuffer(slots * 4),
    control: new SharedArrayBuffer(3 * 4),
  };
}

/** Slot `slot`'s bytes (its whole capacity). */
export function ringSlot(ring: HashRing, slot: number): Uint8Array {
  return new Uint8Array(ring.data, slot * ring.slotBytes, ring.slotBytes);
}
