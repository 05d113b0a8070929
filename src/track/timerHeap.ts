/**
 * One binary min-heap of (time, connection number, slot) holding every live connection's earliest
 * timer, at most one entry per slot. The slot's place in the heap is kept in a column of the
 * connection table (`pos`, -1 when the slot has no entry), so a deadline that moves is updated
 * where it sits and a finished connection's entry is taken out: the heap holds only current
 * entries.
 *
 * Order is by time, then by connection number (the connection that started first fires first).
 * The lazily invalidated heap it replaces (an entry pushed per earlier deadline, stale ones
 * skipped when popped) fired equal times in whatever order its shape gave, and let a stale early
 * entry run its connection's later deadline ahead of other connections' earlier ones within one
 * advance (a SYN's attempt entry ran the close its RST had set): Zeek cancels the analyzer's
 * timers when the connection closes (TCPSessionAdapter::ConnectionClosed -> CancelTimers) and
 * fires what is due in time order (PQ_TimerMgr::DoAdvance), as this heap does. On the 80,000
 * connection flood 312 of 80,000 connections are handed on in another order than before (by
 * close deadline now); no report changes (f20000, f80000, the 128 MiB mix prefix, the goldens).
 * That heap also took two pushes and two pops of a heap twice the live set per SYN -> RST/ACK
 * connection; here the RST moves the entry later in place (a leaf: no move), one pop in all.
 */
import { column, growColumns } from './columns.js';

/** The heap's storage; see the file comment. */
export class TimerHeap {
  size = 0;
  cap = 0;
  time = column(Float64Array);
  /** The connection number of the entry's slot (its tie-break). */
  num = column(Uint32Array);
  slot = column(Int32Array);
}

/**
 * Entries the heap first grows to: small, so that it doubles a few times within a run's first
 * packets, before V8 optimises the callers (V8 records type feedback for a function only after
 * its first calls, so growing on the first push alone recorded nothing).
 */
const HEAP_MIN_CAP = 16;

/**
 * Children per entry: a 4-ary heap (children of `i` at 4i+1 … 4i+4, parent of `i` at (i-1) >> 2).
 * Half the levels of a binary heap, and an entry's children side by side in each column (one
 * cache line): a pop walks the hole down to a leaf, which on a flood's ~40,000 live connections
 * was 15 levels of a binary heap (heapPop ~0.22-0.38 µs per connection, 223-377 ms of the 1M
 * flood's profile) and is 8 here, with three comparisons per level instead of one. The order
 * (time, then number) is total, so the pops come in the same order whatever the heap's arity.
 */
const ARITY = 4;

/** The parent position of heap position `i` (> 0). */
function parentOf(i: number): number {
  return (i - 1) >> 2;
}

/**
 * True when entry (ta, na) comes before entry (tb, nb): the earlier deadline, then the lower
 * connection number. The numbers are compared every time, not only on a tie of deadlines: reached
 * only on a tie, that comparison had no type feedback until the first one, which deoptimised
 * heapPop (--trace-deopt; test/track/warmPaths.test.ts).
 */
function earlier(ta: number, na: number, tb: number, nb: number): boolean {
  const earlierNumber = na < nb;
  return ta < tb || (ta === tb && earlierNumber);
}

/** The position among the children of `i` (the first at `c`, fewer than `size` in all) whose entry comes first. */
function earliestChild(h: TimerHeap, c: number, size: number): number {
  let best = c;
  let bt = h.time[c] ?? 0;
  let bn = h.num[c] ?? 0;
  const end = Math.min(c + ARITY, size);
  for (let k = c + 1; k < end; k++) {
    const tk = h.time[k] ?? 0;
    const nk = h.num[k] ?? 0;
    if (earlier(tk, nk, bt, bn)) {
      best = k;
      bt = tk;
      bn = nk;
    }
  }
  return best;
}

/** True when the entry (t, n) comes before entry `j` of the heap. */
function before(h: TimerHeap, t: number, n: number, j: number): boolean {
  return earlier(t, n, h.time[j] ?? 0, h.num[j] ?? 0);
}

/** Writes entry (t, n, slot) at heap position `i` and records the position. */
function put(h: TimerHeap, pos: Int32Array, i: number, t: number, n: number, slot: number): void {
  h.time[i] = t;
  h.num[i] = n;
  h.slot[i] = slot;
  pos[slot] = i;
}

/** Moves entry `j` to position `i`. */
function move(h: TimerHeap, pos: Int32Array, i: number, j: number): void {
  put(h, pos, i, h.time[j] ?? 0, h.num[j] ?? 0, h.slot[j] ?? 0);
}

/** Places (t, n, slot) at or above position `i` (whose entry is free to overwrite). */
function siftUp(h: TimerHeap, pos: Int32Array, i: number, t: number, n: number, slot: number): void {
  while (i > 0) {
    const p = parentOf(i);
    if (!before(h, t, n, p)) break;
    move(h, pos, i, p);
    i = p;
  }
  put(h, pos, i, t, n, slot);
}

/** Places (t, n, slot) at or below position `i` (whose entry is free to overwrite), among the first `size` entries. */
function siftDown(h: TimerHeap, pos: Int32Array, i: number, t: number, n: number, slot: number): void {
  const size = h.size;
  for (;;) {
    let c = ARITY * i + 1;
    if (c >= size) break;
    c = earliestChild(h, c, size);
    const tc = h.time[c] ?? 0;
    if (!(tc < t || (tc === t && (h.num[c] ?? 0) < n))) break;
    move(h, pos, i, c);
    i = c;
  }
  put(h, pos, i, t, n, slot);
}

/**
 * Sets slot `slot`'s entry to time `times[slot]` (read from its column here: a double passed as
 * an argument is boxed per call) and number `n`: added when the slot has none, else moved up or
 * down from where it is. `pos` is the slots' position column.
 */
export function heapSet(h: TimerHeap, pos: Int32Array, times: Float64Array, slot: number, n: number): void {
  const t = times[slot] ?? 0;
  const at = pos[slot] ?? -1;
  if (at < 0) {
    // Grown early and often at first (HEAP_MIN_CAP), so the growing code has type feedback when a
    // later doubling reaches it: one first met in optimised code deoptimised reschedule.
    if (h.size >= h.cap) {
      const grown = Math.max(HEAP_MIN_CAP, h.cap * 2);
      growColumns(h, grown);
      h.cap = grown;
    }
    siftUp(h, pos, h.size++, t, n, slot);
    return;
  }
  // Moved later at a leaf (a RST/ACK's close deadline after its SYN's attempt deadline: the entry
  // was pushed last, so it sits at the bottom): nothing moves.
  if (ARITY * at + 1 >= h.size && t >= (h.time[at] ?? 0)) h.time[at] = t;
  else if (at > 0 && before(h, t, n, parentOf(at))) siftUp(h, pos, at, t, n, slot);
  else siftDown(h, pos, at, t, n, slot);
}

/**
 * Removes the earliest entry (read it first from `time[0]`, `slot[0]`). The hole at the top moves
 * down along the earliest child to a leaf, then the last entry rises into it from there (Floyd's
 * variant): no comparison with the entry that falls down. The last entry is about the latest of all
 * (deadlines are mostly set in time order: a flood's close deadlines are), so it sinks to the
 * bottom either way, and rises little. The order (time, number) is total, so the pops come in
 * the same order whatever the heap's shape.
 */
export function heapPop(h: TimerHeap, pos: Int32Array): void {
  if (h.size === 0) return;
  pos[h.slot[0] ?? 0] = -1;
  const last = --h.size;
  if (last === 0) return;
  let i = 0;
  for (;;) {
    let c = ARITY * i + 1;
    if (c >= last) break;
    c = earliestChild(h, c, last);
    move(h, pos, i, c);
    i = c;
  }
  siftUp(h, pos, i, h.time[last] ?? 0, h.num[last] ?? 0, h.slot[last] ?? 0);
}

/** Removes slot `slot`'s entry, if it has one. */
export function heapRemove(h: TimerHeap, pos: Int32Array, slot: number): void {
  const at = pos[slot] ?? -1;
  if (at < 0) return;
  pos[slot] = -1;
  const last = --h.size;
  if (at === last) return;
  // The last entry fills the hole, moving up or down from it.
  const t = h.time[last] ?? 0;
  const n = h.num[last] ?? 0;
  const s = h.slot[last] ?? 0;
  if (at > 0 && before(h, t, n, parentOf(at))) siftUp(h, pos, at, t, n, s);
  else siftDown(h, pos, at, t, n, s);
}

/** Empties the heap (every slot's position back to -1). */
export function heapClear(h: TimerHeap, pos: Int32Array): void {
  for (let i = 0; i < h.size; i++) pos[h.slot[i] ?? 0] = -1;
  h.size = 0;
}
