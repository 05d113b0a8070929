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

/**
 * Connections held at most. What holding them costs (session 8, 80,000-connection SYN+RST flood,
 * where every connection waits: its server sends only RSTs): with the limit at 0 instead, user CPU
 * fell from ~1.70 to ~1.25 s (text) and ~2.3 to ~1.8 s (JSON), nearly all of it the collector's
 * (the held connections outlive the young generation). Holding them packed with
 * pipeline/connPack.ts instead of as objects cost more than it saved (~1.2 µs to pack and ~3 µs
 * to make the objects again per connection): a cheaper hold must skip building the objects twice.
 */
export const DEFER_LIMIT = 1024;
/** Capture seconds a connection waits at most for its server's hop distance. */
export const DEFER_SECONDS = 60;

/** True when the capture has shown enough of a host's own packets to judge a hop distance against (forgery.ts HOP_SAMPLES). */
export function hopsSettled(addr: string, ctx: ExplainContext): boolean {
  return (ctx.hopsOf(addr)?.packets ?? 0) >= HOP_SAMPLES;
}

/** True when a connection's RST speaks for a server whose hop distance the capture has not settled yet. */
export function needsHostHops(conn: FinishedConnection, ctx: ExplainContext): boolean {
  return conn.resp.ttl === null && conn.resets.some((r) => r.direction === 'resp') && !hopsSettled(conn.respAddr, ctx);
}

interface Waiting {
  /** The connection while it waits; null once released (its entry may stay in the lists a while). */
  conn: FinishedConnection | null;
  done: boolean;
}

/** The connections waiting for one host, oldest first; released entries are skipped, then trimmed. */
interface HostList {
  items: Waiting[];
  head: number;
}

/** Holds connections that need a host's hop distance; `explain` explains one (and teaches the context). */
export class HostHopsWait {
  private readonly queue: Waiting[] = [];
  private head = 0;
  private readonly byHost = new Map<string, HostList>();
  private size = 0;

  constructor(
    private readonly ctx: ExplainContext,
    private readonly explain: (conn: FinishedConnection) => void,
  ) {}

  /** Explains `conn` now, or holds it until its server's hop distance is known. */
  offer(conn: FinishedConnection): void {
    if (needsHostHops(conn, this.ctx)) {
      const w = { conn, done: false };
      this.queue.push(w);
      const list = this.byHost.get(conn.respAddr);
      if (list) {
        while (list.head < list.items.length && (list.items[list.head] as Waiting).done) list.head++;
        if (list.head > 1024 && list.head * 2 > list.items.length) {
          list.items.splice(0, list.head);
          list.head = 0;
        }
        list.items.push(w);
      } else this.byHost.set(conn.respAddr, { items: [w], head: 0 });
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
    while (this.head < this.queue.length) {
      const w = this.queue[this.head] as Waiting;
      if (!w.done && w.conn !== null && conn.lastPacketTs - w.conn.lastPacketTs <= DEFER_SECONDS) break;
      this.releaseOldest();
    }
  }

  /** True when connections wait for `addr` and its hop distance is not settled yet. */
  private waitsUnsettled(addr: string): boolean {
    return this.byHost.has(addr) && !hopsSettled(addr, this.ctx);
  }

  /** Explains every connection still held (the end of the capture). */
  flush(): void {
    while (this.head < this.queue.length) this.releaseOldest();
  }

  private releaseOldest(): void {
    const w = this.queue[this.head++] as Waiting;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (!w.done) this.release(w);
  }

  private releaseHost(addr: string): void {
    const list = this.byHost.get(addr);
    this.byHost.delete(addr);
    if (list) for (let i = list.head; i < list.items.length; i++) if (!(list.items[i] as Waiting).done) this.release(list.items[i] as Waiting);
  }

  private release(w: Waiting): void {
    const conn = w.conn as FinishedConnection;
    w.done = true;
    // A released entry stays in the queue and its host's list until they are trimmed (up to
    // another DEFER_LIMIT of them): without its connection, which would be kept alive that long.
    w.conn = null;
    this.size--;
    const list = this.byHost.get(conn.respAddr);
    // The host's list is dropped once its newest entry is released (its older ones were, first).
    if (list && list.items[list.items.length - 1] === w) this.byHost.delete(conn.respAddr);
    this.explain(conn);
  }
}
