/**
 * A bounded deferred decision for resets that need a host's hop distance before the capture has
 * shown it (issue 17, item 2): a SYN refused in a server's name, where neither this connection
 * nor any earlier one carried a packet of that server, waits until a later connection teaches the
 * server's hop range (then the reset is judged with it), or until the wait's bounds run out
 * (DEFER_LIMIT connections, DEFER_SECONDS of capture time, the end of the capture) and it is
 * judged with what is known then. Memory stays bounded by DEFER_LIMIT; everything else passes
 * straight through, in order.
 */
import type { FinishedConnection } from '../track/finished.js';
import type { ExplainContext } from './context.js';
import { HOP_SAMPLES } from './forgery.js';
import { ROW_NUMS, ROW_REFS, clearRefs, packConnection, packable, unpackConnection } from './heldPack.js';

/**
 * Connections held at most. What holding them costs (session 8, 80,000-connection SYN+RST flood,
 * where every connection waits: its server sends only RSTs): with the limit at 0 instead, user CPU
 * fell from ~1.70 to ~1.25 s (text) and ~2.3 to ~1.8 s (JSON), nearly all of it the collector's
 * (the held connections outlive the young generation). Holding them packed with
 * pipeline/connPack.ts instead of as objects cost more than it saved (~1.2 µs to pack and ~3 µs
 * to make the objects again per connection): a cheaper hold must skip building the objects twice.
 * Session 9: a waiting connection is a row of numbers and references instead (heldPack.ts: a
 * packer made for FinishedConnection, ~0.3 µs to pack and ~1 µs to build again), and nothing of
 * it but its strings outlives the young generation: callgrind on the 80,000-connection flood,
 * 8.96 / 8.99 G instructions before, 8.19 / 8.43 G after (two runs each: -6 to -9 %); the 1M
 * flood's CPU time 0.69× (paired runs, loaded machine), peak RSS unchanged (186 MiB).
 */
export const DEFER_LIMIT = 1024;
/** Capture seconds a connection waits at most for its server's hop distance. */
export const DEFER_SECONDS = 60;

/** True when the capture has shown enough of a host's own packets to judge a hop distance against (forgery.ts HOP_SAMPLES). */
export function hopsSettled(addr: string, ctx: ExplainContext): boolean {
  return ctx.hopPacketsOf(addr) >= HOP_SAMPLES;
}

/** True when a connection's RST speaks for a server whose hop distance the capture has not settled yet. */
export function needsHostHops(conn: FinishedConnection, ctx: ExplainContext): boolean {
  return conn.resp.ttl === null && conn.resets.some((r) => r.direction === 'resp') && !hopsSettled(conn.respAddr, ctx);
}

/** Row kinds: a connection packed into numbers (heldPack.ts), or one held as its object. */
const PACKED = 1;
const OBJECT = 2;

/** The connections waiting for one host, oldest first, by queue number; released ones are skipped, then trimmed. */
interface HostList {
  items: number[];
  head: number;
}

/**
 * Holds connections that need a host's hop distance; `explain` explains one (and teaches the context).
 *
 * A waiting connection is a row of numbers and references (heldPack.ts), not its objects, so that
 * a flood where every connection waits leaves nothing for the young generation to copy into old
 * space (DEFER_LIMIT's comment); the queue is a ring of queue numbers, each the row of its
 * connection or -1 once released.
 */
export class HostHopsWait {
  /** Queue numbers head…tail-1 at `number & (queue.length - 1)`: the row waiting, or -1 once released. */
  private queue = new Int32Array(64);
  private head = 0;
  private tail = 0;
  private readonly byHost = new Map<string, HostList>();
  private size = 0;
  /** Rows: packed numbers and references (heldPack.ts ROW_NUMS, ROW_REFS), kind, last packet time. */
  private nums = new Float64Array(0);
  private readonly refs: unknown[] = [];
  private kind = new Uint8Array(0);
  private lastTs = new Float64Array(0);
  /** Free rows (a stack), and how many rows there are. */
  private free = new Int32Array(0);
  private freeCount = 0;
  private rows = 0;

  constructor(
    private readonly ctx: ExplainContext,
    private readonly explain: (conn: FinishedConnection) => void,
    /**
     * `explain` keeps no reference to the connection it is given, nor to any object in it, once it
     * returns: a released connection is then written into heldPack.ts's spare graph, not built
     * anew (~2.1 KB less per released connection).
     */
    private readonly reuseUnpacked = false,
  ) {}

  /** Explains `conn` now, or holds it until its server's hop distance is known. */
  offer(conn: FinishedConnection): void {
    if (needsHostHops(conn, this.ctx)) {
      const seq = this.hold(conn);
      const list = this.byHost.get(conn.respAddr);
      if (list) {
        while (list.head < list.items.length && this.released(list.items[list.head] as number)) list.head++;
        if (list.head > 1024 && list.head * 2 > list.items.length) {
          list.items.splice(0, list.head);
          list.head = 0;
        }
        list.items.push(seq);
      } else this.byHost.set(conn.respAddr, { items: [seq], head: 0 });
      this.size++;
      if (this.size > DEFER_LIMIT) this.releaseOldest();
    } else {
      // Two plain checks, not a filtered array of both addresses per connection.
      const origWaits = this.byHost.size > 0 && this.waitsUnsettled(conn.origAddr);
      const respWaits = this.byHost.size > 0 && this.waitsUnsettled(conn.respAddr);
      this.explain(conn);
      // A host this connection just taught releases the connections that waited for it.
      if (origWaits && hopsSettled(conn.origAddr, this.ctx)) this.releaseHost(conn.origAddr);
      if (respWaits && hopsSettled(conn.respAddr, this.ctx)) this.releaseHost(conn.respAddr);
    }
    while (this.head < this.tail) {
      const row = this.queue[this.head & (this.queue.length - 1)] ?? -1;
      if (row >= 0 && conn.lastPacketTs - (this.lastTs[row] ?? 0) <= DEFER_SECONDS) break;
      this.releaseOldest();
    }
  }

  /** True when connections wait for `addr` and its hop distance is not settled yet. */
  private waitsUnsettled(addr: string): boolean {
    return this.byHost.has(addr) && !hopsSettled(addr, this.ctx);
  }

  /** Explains every connection still held (the end of the capture). */
  flush(): void {
    while (this.head < this.tail) this.releaseOldest();
  }

  /** True when queue number `seq` was released (or left the queue, which releases it). */
  private released(seq: number): boolean {
    return seq < this.head || (this.queue[seq & (this.queue.length - 1)] ?? -1) < 0;
  }

  /** Puts `conn` in a row and at the queue's end; its queue number. */
  private hold(conn: FinishedConnection): number {
    if (this.freeCount === 0) this.addRows();
    const row = this.free[--this.freeCount] ?? 0;
    if (packable(conn)) {
      packConnection(conn, this.nums, this.refs, row);
      this.kind[row] = PACKED;
    } else {
      this.refs[row * ROW_REFS] = conn;
      this.kind[row] = OBJECT;
    }
    this.lastTs[row] = conn.lastPacketTs;
    if (this.tail - this.head === this.queue.length) this.growQueue();
    const seq = this.tail++;
    this.queue[seq & (this.queue.length - 1)] = row;
    return seq;
  }

  /** Doubles the rows (at most DEFER_LIMIT + 1 are ever held at once). */
  private addRows(): void {
    const from = this.rows;
    const n = Math.max(16, from * 2);
    const nums = new Float64Array(n * ROW_NUMS);
    nums.set(this.nums);
    this.nums = nums;
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    const lastTs = new Float64Array(n);
    lastTs.set(this.lastTs);
    this.lastTs = lastTs;
    for (let i = this.refs.length; i < n * ROW_REFS; i++) this.refs.push(null);
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeCount));
    // Lowest rows on top of the stack.
    for (let row = n - 1; row >= from; row--) free[this.freeCount++] = row;
    this.free = free;
    this.rows = n;
  }

  /** Doubles the queue's ring, keeping each waiting number at its place. */
  private growQueue(): void {
    const old = this.queue;
    const queue = new Int32Array(old.length * 2);
    for (let seq = this.head; seq < this.tail; seq++) queue[seq & (queue.length - 1)] = old[seq & (old.length - 1)] ?? -1;
    this.queue = queue;
  }

  private releaseOldest(): void {
    const seq = this.head++;
    const row = this.queue[seq & (this.queue.length - 1)] ?? -1;
    if (row >= 0) this.release(seq, row);
  }

  private releaseHost(addr: string): void {
    const list = this.byHost.get(addr);
    this.byHost.delete(addr);
    if (list === undefined) return;
    for (let i = list.head; i < list.items.length; i++) {
      const seq = list.items[i] as number;
      if (!this.released(seq)) this.release(seq, this.queue[seq & (this.queue.length - 1)] ?? 0);
    }
  }

  /** Takes the connection out of its row (the row is free again) and explains it. */
  private release(seq: number, row: number): void {
    // Still in the ring when a host released it: marked released there (the oldest was popped already).
    if (seq >= this.head) this.queue[seq & (this.queue.length - 1)] = -1;
    let conn: FinishedConnection;
    if (this.kind[row] === PACKED) {
      conn = unpackConnection(this.nums, this.refs, row, this.reuseUnpacked);
      clearRefs(this.refs, row);
    } else {
      conn = this.refs[row * ROW_REFS] as FinishedConnection;
      this.refs[row * ROW_REFS] = null;
    }
    this.kind[row] = 0;
    this.free[this.freeCount++] = row;
    this.size--;
    const list = this.byHost.get(conn.respAddr);
    // The host's list is dropped once its newest entry is released (its older ones were, first).
    if (list && list.items[list.items.length - 1] === seq) this.byHost.delete(conn.respAddr);
    this.explain(conn);
  }
}
