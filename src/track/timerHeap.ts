/**
 * One binary min-heap of (time, slot, generation) for every connection's earliest timer. It is
 * lazily invalidated: an entry is current only while its slot's generation and scheduled time
 * still match (timers.ts checks), so rescheduling pushes a new entry instead of searching the
 * heap, and a finished connection's entries simply go stale.
 */
import { column, growColumns } from './columns.js';

/** The heap's storage; see the file comment. */
export class TimerHeap {
  size = 0;
  cap = 0;
  time = column(Float64Array);
  slot = column(Int32Array);
  gen = column(Uint32Array);
}

/**
 * Entries the heap first grows to: small, so that it doubles a few times within a run's first
 * packets, before V8 optimises the callers (V8 records type feedback for a function only after
 * its first calls, so growing on the first push alone recorded nothing).
 */
const HEAP_MIN_CAP = 16;

/** Writes entry (t, slot, gen) at heap position `i`. */
function put(h: TimerHeap, i: number, t: number, slot: number, gen: number): void {
  h.time[i] = t;
  h.slot[i] = slot;
  h.gen[i] = gen;
}

/**
 * Adds the entry (times[slot], slot, gen). The time is read from its column here: a double
 * passed as an argument is boxed (a HeapNumber) per call.
 */
export function heapPushAt(h: TimerHeap, times: Float64Array, slot: number, gen: number): void {
  const t = times[slot] ?? 0;
  // Grown early and often at first (HEAP_MIN_CAP), so the growing code has type feedback when a
  // later doubling reaches it: one first met in optimised code deoptimised reschedule.
  if (h.size >= h.cap) {
    const n = Math.max(HEAP_MIN_CAP, h.cap * 2);
    growColumns(h, n);
    h.cap = n;
  }
  // Sift up. Every load and store runs on every push (a parent moved down, or the entry put in
  // place): with deadlines mostly later than their parents', a move-down-only body had no type
  // feedback when TurboFan compiled reschedule, and the first earlier deadline deoptimised it.
  let i = h.size++;
  for (;;) {
    const p = i > 0 ? (i - 1) >> 1 : 0;
    const pt = h.time[p] ?? 0;
    const ps = h.slot[p] ?? 0;
    const pg = h.gen[p] ?? 0;
    const up = i > 0 && pt > t;
    put(h, i, up ? pt : t, up ? ps : slot, up ? pg : gen);
    if (!up) return;
    i = p;
  }
}

/** Removes the earliest entry (read it first from `time[0]`, `slot[0]`, `gen[0]`). */
export function heapPop(h: TimerHeap): void {
  const n = --h.size;
  if (n <= 0) return;
  const t = h.time[n] ?? 0;
  const s = h.slot[n] ?? 0;
  const g = h.gen[n] ?? 0;
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && (h.time[c + 1] ?? 0) < (h.time[c] ?? 0)) c++;
    if ((h.time[c] ?? 0) >= t) break;
    put(h, i, h.time[c] ?? 0, h.slot[c] ?? 0, h.gen[c] ?? 0);
    i = c;
  }
  put(h, i, t, s, g);
}
