/**
 * Resets in time order (issue 12, item 6): the tracker finishes connections in its own order,
 * but report ids (R1, R2, …) and the listing follow the RST packets' (capture, frame) order.
 *
 * Every RST packet the tracker takes is queued by its stream frame as it passes; a finished
 * connection's explained resets wait until every earlier queued RST is resolved — explained, or
 * known never to be listed (its connection finished without listing it). Then they get their
 * final ids and go out in frame order, and a connection goes out once its last reset has.
 * Memory holds only the resets that wait behind a connection still open; past MAX_HELD_RESETS
 * the oldest blocker is given up on, and its resets go out when they come (out of order).
 */
import type { ExplainedConnection } from '../explain/explainConnection.js';
import type { Evidence, Reset } from '../model/report.js';
import type { FinishedConnection } from '../track/finished.js';

/** Explained resets held back waiting for earlier RSTs at most; past it order yields to memory. */
export const MAX_HELD_RESETS = 100_000;
/** A connection's entry in ResetOrder.queued: QUEUED_ONE per queued RST, plus FINISHED once it finished. */
const QUEUED_ONE = 2;
const FINISHED = 1;
/** Queued RSTs the queue's ring first holds, and the most it keeps while empty (powers of two). */
const QUEUE_START = 1024;
const QUEUE_KEPT = 1 << 16;

/** A finished connection whose resets are not all out yet. */
export interface HeldConnection {
  /**
   * The tracker's connection, or null when the sink does not need it (`finish`'s `keepConn`): a
   * connection may wait behind a long-lived one, and its packets and RST records were most of
   * what survived the young generation on the bench's mix.
   */
  conn: FinishedConnection | null;
  /**
   * Its explanation, or, without `conn`, only its connection entry (the resets already released
   * are not held by the connection while its later ones wait), or null when the sink reads no
   * connection entry (`finish`'s `keepEntry`: the text and CSV reports).
   */
  explained: ExplainedConnection | null;
  /** Its resets not yet released. */
  pending: number;
  /** Provisional id → final id of its released resets; null for a connection with one reset (most: no Map each). */
  readonly ids: Map<string, string> | null;
}

/** Where released findings go, in order. */
export interface OrderedSink {
  /** One reset with its final id (its connection's earlier resets are already out). */
  reset(reset: Reset, held: HeldConnection): void;
  /**
   * A connection all of whose resets are out (its `resets` ids rewritten to the final ones); not
   * called for one without resets finished with neither its entry nor itself kept (nothing to read).
   */
  connection(held: HeldConnection): void;
}

/** `n` empty slots of a plain column (filled, so that V8 keeps it a plain array of `n` elements). */
function emptySlots<T>(n: number): (T | undefined)[] {
  return new Array<T | undefined>(n).fill(undefined);
}

/** `n` slots of `value` in a typed column of `Kind`. */
function slotsOf<T extends Uint32Array | Int32Array>(Kind: new (n: number) => T, n: number, value: number): T {
  const a = new Kind(n);
  if (value !== 0) a.fill(value);
  return a;
}

/** CountsByNumber's first and largest number of slots (powers of two). */
const COUNTS_START = 1 << 12;
const COUNTS_MOST = 1 << 21;
/** The largest number a slot holds (its key column is 32-bit); a larger one lives in the overflow. */
const MAX_KEY = 0xffffffff;

/**
 * A positive count per connection number: a direct-mapped table of small integers (slot
 * `number & mask`) and, for a number whose slot another number holds, a Map. ResetOrder asks it six times per flood
 * connection (noteRst, markFinished, pass); the numbers that have queued RSTs are nearly one
 * ascending window (the connections opened in the last close delay), so once the table is as wide
 * as the window each one has its own slot: one array read instead of a hash lookup, no insertion
 * or deletion in a hash table, nothing allocated, and no hash table of ~40,000 entries grown and
 * shrunk in old space (its rehashes' new tables were what set off mark-compacts). No probing.
 * Measured (session 11, callgrind, --no-incremental-marking, flood-80000 minus flood-20000, text):
 * ~2.7k instructions per connection fewer (with heldPack's spareCounts change), mark-compacts
 * 5 -> 2 (--trace-gc). WITH incremental marking (V8's default, whose steps are paced partly
 * by time) the same build ran 10 mark-compacts instead of 5 on that flood and callgrind counted
 * ~15k instructions per connection MORE, as session 10 saw for its open-addressing table (reverted
 * in 1f74da8, "not understood"); yet paired CPU time of the real command on the 200k flood was
 * 0.97x. Compare such builds under callgrind with --no-incremental-marking, and time them.
 */
export class CountsByNumber {
  /**
   * The number in each slot, and its count; a slot whose count is 0 holds no number (a count is
   * positive). Typed columns (4 + 4 bytes a slot, off the heap), up to 2^21 slots: at a scanner's
   * rate ~1.5M connections have queued RSTs at once, which 2^20 slots of JS arrays plus a Map of
   * the ~0.5M numbers past them held in ~45 MB of heap; 2^21 typed slots hold them in 16 MB, none
   * in the Map. (The tracker's numbers are 32-bit, state.ts cNumber, and any larger one is kept in
   * the overflow; the keys were float64 with -1 for an empty slot, 8 MB more at a scanner's
   * flood's peak of memory, issue 13.)
   */
  private keys = slotsOf(Uint32Array, COUNTS_START, 0);
  private counts = slotsOf(Int32Array, COUNTS_START, 0);
  /** Numbers whose slot was taken when they came. */
  private readonly overflow = new Map<number, number>();

  /** The count of `n`, or 0. */
  get(n: number): number {
    const slot = n & (this.keys.length - 1);
    // A slot whose number was dropped keeps it with a count of 0: 0 is then its count (a number is
    // put in the overflow only while another number holds its slot).
    if (this.keys[slot] === n) return this.counts[slot] as number;
    // (Asked only once the overflow holds a number: the first collision after TurboFan compiled
    // this deoptimises it and markFinished on the bench's mix, but asking the empty overflow on
    // every miss, which every finished connection without a queued RST is, cost more: callgrind,
    // mix JSON, ~+0.5 % of all instructions.)
    return this.overflow.size === 0 ? 0 : (this.overflow.get(n) ?? 0);
  }

  /** Sets the count of `n` (`count` > 0). */
  set(n: number, count: number): void {
    const keys = this.keys;
    const counts = this.counts;
    const slot = n & (keys.length - 1);
    if (keys[slot] === n) {
      counts[slot] = count;
      return;
    }
    const overflow = this.overflow;
    if (overflow.size > 0 && overflow.has(n)) {
      overflow.set(n, count);
      return;
    }
    if (counts[slot] === 0 && n <= MAX_KEY) {
      keys[slot] = n;
      counts[slot] = count;
      return;
    }
    overflow.set(n, count);
    if (overflow.size * 4 > keys.length && keys.length < COUNTS_MOST) this.widen();
  }

  /** Drops the count of `n`. */
  delete(n: number): void {
    const slot = n & (this.keys.length - 1);
    if (this.keys[slot] === n) this.counts[slot] = 0;
    else if (this.overflow.size > 0) this.overflow.delete(n);
  }

  /** Drops every count (a table a burst widened is made small again). */
  clear(): void {
    if (this.keys.length > COUNTS_START) {
      this.keys = slotsOf(Uint32Array, COUNTS_START, 0);
      this.counts = slotsOf(Int32Array, COUNTS_START, 0);
    } else this.counts.fill(0);
    this.overflow.clear();
  }

  /** Twice the slots: every count placed again (the overflow's too, where its slot is free now). */
  private widen(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const moved = [...this.overflow];
    this.overflow.clear();
    this.keys = slotsOf(Uint32Array, oldKeys.length * 2, 0);
    this.counts = slotsOf(Int32Array, oldKeys.length * 2, 0);
    for (let i = 0; i < oldKeys.length; i++) {
      const count = oldCounts[i] as number;
      if (count !== 0) this.place(oldKeys[i] as number, count);
    }
    for (const [k, count] of moved) this.place(k, count);
  }

  /** Puts `n` (in neither place yet) in its slot, or in the overflow. */
  private place(n: number, count: number): void {
    const slot = n & (this.keys.length - 1);
    if (this.counts[slot] === 0 && n <= MAX_KEY) {
      this.keys[slot] = n;
      this.counts[slot] = count;
    } else this.overflow.set(n, count);
  }
}

/** Reorders explained resets into RST frame order and numbers them. */
export class ResetOrder {
  /**
   * Queued RST packets: stream frame and connection number, a ring of `count` entries from
   * physical position `head` (a power-of-two capacity, `mask` = capacity - 1). Typed columns,
   * reused: a flood's queue holds every RST until its connection finishes (tens of thousands at
   * 8,000 connections/s, ~1.5M at a scanner's 300,000/s).
   *
   * A ring, not an array consumed from the front and compacted (sessions 10-11): the compaction
   * moved every live entry ~3 times, and `copyWithin` on the two plain arrays of reset and held
   * slots is V8's generic element-by-element path: 222-311 ms of self time in a CPU profile of the
   * 1M flood at 8,000/s (~0.3 µs per connection). A ring never moves an entry but to grow, and
   * holds live entries only (no consumed quarter): 1.5M waiting RSTs fit 2^21 entries as before.
   *
   * 32-bit columns: the tracker's connection numbers are 32-bit (state.ts cNumber) and so are the
   * frames of its RST records that a queued frame is matched against (explained resets' `frame`);
   * float64 columns held twice the bytes, 32 MB at 2^21 entries where 16 MB do, on the main thread
   * at a scanner's flood's peak of memory (issue 13).
   */
  private frames = new Uint32Array(QUEUE_START);
  private conns = new Uint32Array(QUEUE_START);
  private mask = QUEUE_START - 1;
  private head = 0;
  private count = 0;
  /**
   * The explained reset of each queued RST once its connection finished, and that connection,
   * beside the queue (same positions): no entry object and no Map per waiting reset (a long wait
   * holds thousands, and what waits is copied by scavenges until promoted).
   */
  private resets: (Reset | undefined)[] = emptySlots(QUEUE_START);
  private helds: (HeldConnection | undefined)[] = emptySlots(QUEUE_START);
  /** Explained resets waiting in the queue. */
  private waitingInQueue = 0;
  /**
   * Per connection number with queued RSTs not yet passed: twice their count, plus one once the
   * connection finished. One table, not a Map of counts and a Set of finished connections: on a
   * flood each held tens of thousands of entries, and every connection's insertions and deletions
   * (and the rehashes they set off) went through both. Direct-mapped where it can be (CountsByNumber).
   */
  private readonly queued = new CountsByNumber();
  /** Connections given up on (MAX_HELD_RESETS): their resets go out as they come. */
  private readonly unordered = new Set<number>();
  /** Explained resets whose RST was never queued (none is expected), by stream frame: they go out at the end of the stream. */
  private readonly strays = new Map<number, { reset: Reset; held: HeldConnection }>();
  private nextId = 0;
  /**
   * Provisional → final id of the last released resets, for `parent` references and hints that
   * name a reset of another connection (an after_reset across a connection Zeek split off the
   * same tuple). Bounded (a parent precedes its consequences, never by that many resets).
   */
  private readonly finalIds = new FinalIds();

  /**
   * `digestOnly`: the sink reads of a reset only what digestOf keeps (the text report's digest):
   * a reset that waits is then held as that, not as the whole reset (slimmed).
   */
  constructor(
    private readonly out: OrderedSink,
    private readonly digestOnly = false,
  ) {
    // The ring stored a second time (its columns, mask and head), so that V8 takes the fields as
    // mutable from the start: stored once they counted as constant, and the first growth of the
    // queue (past QUEUE_START waiting RSTs, mid-run on the bench's mix) deoptimised the code that
    // had read them (queuePosition, "code dependencies"; a head not yet passed when the queue
    // first grows too).
    this.newRing();
    this.head = 0;
  }

  /** Notes a RST packet the tracker took into connection `connNumber`, at stream frame `frame`. */
  noteRst(frame: number, connNumber: number): void {
    if (this.count > this.mask) this.growQueue();
    // A ring a burst grew large and then emptied goes back to QUEUE_START entries here, at the
    // next RST, not in drain when it empties (which left it the same: it holds nothing between
    // the two). Its size compared first, for every RST: a test first reached once a drain emptied
    // the queue (after TurboFan compiled drain and the ResetOrder methods that inline it) had no
    // type feedback and deoptimised them (--trace-deopt on the bench's mix: drain, markFinished,
    // finish).
    else if (this.mask >= QUEUE_KEPT && this.count === 0) this.startQueueAfresh();
    const at = (this.head + this.count) & this.mask;
    this.frames[at] = frame;
    this.conns[at] = connNumber;
    this.count++;
    this.queued.set(connNumber, this.queued.get(connNumber) + QUEUED_ONE);
  }

  /**
   * Takes a finished connection and its explanation (provisional reset ids), or only its explained
   * resets when the sink reads no connection entry, releasing what it can; `keepConn` false holds
   * no reference to `conn`, `keepEntry` false (with it) none to the connection entry, which the
   * sink then does not read.
   */
  finish(conn: FinishedConnection, explained: ExplainedConnection | Reset[], keepConn = true, keepEntry = true): void {
    // Only its resets when no one reads the connection's entry (explainStage.ts built none).
    const entry = Array.isArray(explained) ? null : explained;
    const resets = entry === null ? (explained as Reset[]) : entry.resets;
    if (resets.length === 0 && entry === null && !keepConn) {
      // No reset and nothing for the sink (most connections of a text or CSV report): no held
      // object to hand over, only the connection's queued RSTs (none listed) to resolve.
      this.finished(conn.number);
      return;
    }
    const held: HeldConnection = {
      conn: keepConn ? conn : null,
      explained: entry === null ? null : keepConn ? entry : keepEntry ? { resets: NO_RESETS, connection: entry.connection } : null,
      pending: resets.length,
      ids: resets.length > 1 ? new Map() : null,
    };
    if (held.pending === 1 && this.isHeadAlone(resets[0] as Reset, conn.number)) {
      // Its one RST is the queue's head and nothing before it waits (a flood's every connection:
      // they finish in the order their RSTs came): released at once, as the drain below would
      // release it, without being put beside the queue and taken back (a young reset stored
      // into the old-space slot column and cleared again) or its count marked finished first.
      this.release(resets[0] as Reset, held);
      this.pass(conn.number);
      this.drain();
      while (this.waiting > MAX_HELD_RESETS && this.count > 0) this.giveUpOnHead();
      return;
    }
    if (held.pending === 0) {
      this.out.connection(held);
    } else if (this.unordered.has(conn.number)) {
      this.unordered.delete(conn.number);
      for (const r of resets) this.release(r, held);
    } else {
      for (const r of resets) this.wait(r, held);
    }
    this.markFinished(conn.number);
    // What still waits is made smaller (slimmed); what the drain released at once (every reset
    // of a flood's connections, which finish in order) is not worth it.
    if (!keepConn && held.pending > 0) for (const r of resets) this.slimIfWaiting(r, held);
    while (this.waiting > MAX_HELD_RESETS && this.count > 0) this.giveUpOnHead();
  }

  /**
   * True when `reset`'s RST is the queue's head and the only RST queued for its connection
   * `number` (not given up on): releasing it is then all that `wait`, `markFinished` and the
   * drain would do for it.
   */
  private isHeadAlone(reset: Reset, number: number): boolean {
    return (
      this.count > 0 &&
      this.frames[this.head] === reset.frame &&
      this.conns[this.head] === number &&
      this.queued.get(number) === QUEUED_ONE &&
      (this.unordered.size === 0 || !this.unordered.has(number))
    );
  }

  /** Connection `number` finished with nothing to hand over: its queued RSTs are resolved. */
  private finished(number: number): void {
    this.markFinished(number);
    while (this.waiting > MAX_HELD_RESETS && this.count > 0) this.giveUpOnHead();
  }

  /** Marks connection `number`'s queued RSTs as belonging to a finished connection, and releases what that frees. */
  private markFinished(number: number): void {
    const queued = this.queued.get(number);
    if (queued >= QUEUED_ONE) this.queued.set(number, queued | FINISHED);
    this.drain();
  }

  /** Holds `reset` of `held` smaller (digestOf or slimmed) where it waits in the queue or with the strays (not when released already). */
  private slimIfWaiting(reset: Reset, held: HeldConnection): void {
    const stray = this.strays.get(reset.frame);
    if (stray !== undefined && stray.reset === reset) {
      stray.reset = this.digestOnly ? digestOf(reset) : slimmed(reset);
      return;
    }
    const at = this.queuePosition(reset.frame);
    if (at >= 0 && this.resets[at] === reset && this.helds[at] === held) this.resets[at] = this.digestOnly ? digestOf(reset) : slimmed(reset);
  }

  /** Explained resets waiting. */
  private get waiting(): number {
    return this.waitingInQueue + this.strays.size;
  }

  /** Puts an explained reset beside its queued RST (or with the strays). */
  private wait(reset: Reset, held: HeldConnection): void {
    const at = this.queuePosition(reset.frame);
    if (at < 0) {
      this.strays.set(reset.frame, { reset, held });
      return;
    }
    if (this.resets[at] === undefined) this.waitingInQueue++;
    this.resets[at] = reset;
    this.helds[at] = held;
  }

  /** The ring position of stream frame `frame` in the queue, or -1 (frames are queued in ascending order; any other order is searched). */
  private queuePosition(frame: number): number {
    const { frames, head, count, mask } = this;
    // Connections mostly finish in the order their RSTs came (a flood's, by the close timer):
    // the RST is then the head's.
    if (count > 0 && frames[head] === frame) return head;
    // Binary search over the offsets from the head.
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = (head + mid) & mask;
      const f = frames[at] as number;
      if (f === frame) return at;
      if (f < frame) lo = mid + 1;
      else hi = mid - 1;
    }
    for (let k = 0; k < count; k++) {
      const at = (head + k) & mask;
      if (frames[at] === frame) return at;
    }
    return -1;
  }

  /** Releases everything still waiting, in frame order (the end of a stream: every connection has finished). */
  flush(): void {
    this.drain();
    const rest: { reset: Reset; held: HeldConnection }[] = [...this.strays.values()];
    for (let k = 0; k < this.count; k++) {
      const at = (this.head + k) & this.mask;
      const reset = this.resets[at];
      if (reset !== undefined) rest.push({ reset, held: this.helds[at] as HeldConnection });
      this.resets[at] = undefined;
      this.helds[at] = undefined;
    }
    rest.sort((a, b) => a.reset.frame - b.reset.frame);
    this.strays.clear();
    this.startQueueAfresh();
    for (const w of rest) this.release(w.reset, w.held);
    this.queued.clear();
    this.unordered.clear();
  }

  /** Releases queued RSTs from the head while each is explained or known never to be listed. */
  private drain(): void {
    while (this.count > 0) {
      const at = this.head;
      const conn = this.conns[at] as number;
      const reset = this.resets[at];
      if (reset !== undefined) {
        const held = this.helds[at] as HeldConnection;
        this.resets[at] = undefined;
        this.helds[at] = undefined;
        this.waitingInQueue--;
        this.release(reset, held);
      } else if ((this.queued.get(conn) & FINISHED) === 0) return;
      this.pass(conn);
    }
    // Everything queued is resolved: pass set the head back to 0; a ring a burst grew large is
    // made small again by noteRst.
  }

  /** An empty queue (its ring kept, unless a burst grew it large; its reset and held slots are empty already: no reset waits in an empty queue). */
  private startQueueAfresh(): void {
    if (this.frames.length > QUEUE_KEPT) this.newRing();
    this.head = 0;
    this.count = 0;
    this.waitingInQueue = 0;
  }

  /** A ring of QUEUE_START empty entries in place of the queue's columns. */
  private newRing(): void {
    this.frames = new Uint32Array(QUEUE_START);
    this.conns = new Uint32Array(QUEUE_START);
    this.resets = emptySlots(QUEUE_START);
    this.helds = emptySlots(QUEUE_START);
    this.mask = QUEUE_START - 1;
  }

  /** Room for more queued RSTs: the ring doubled, its entries moved to its start in order. */
  private growQueue(): void {
    const { head, count, mask } = this;
    const size = (mask + 1) * 2;
    const frames = new Uint32Array(size);
    const conns = new Uint32Array(size);
    const resets = emptySlots<Reset>(size);
    const helds = emptySlots<HeldConnection>(size);
    // The typed columns in two runs (before and after the ring's end) by their own set.
    const first = Math.min(count, mask + 1 - head);
    frames.set(this.frames.subarray(head, head + first));
    conns.set(this.conns.subarray(head, head + first));
    frames.set(this.frames.subarray(0, count - first), first);
    conns.set(this.conns.subarray(0, count - first), first);
    // A reset and its held connection are set and cleared together (wait, drain, flush): with
    // none waiting in the queue (a flood's RSTs queued long before their connections finish)
    // every slot is empty, as the new columns are.
    if (this.waitingInQueue > 0) {
      for (let k = 0; k < count; k++) {
        const at = (head + k) & mask;
        resets[k] = this.resets[at];
        helds[k] = this.helds[at];
      }
    }
    this.frames = frames;
    this.conns = conns;
    this.resets = resets;
    this.helds = helds;
    this.mask = size - 1;
    this.head = 0;
  }

  /** Moves the head past one queued RST of connection `conn`. */
  private pass(conn: number): void {
    // An emptied queue starts again at 0 (the same operations for every pass: see noteRst).
    const count = this.count - 1;
    this.count = count;
    this.head = count === 0 ? 0 : (this.head + 1) & this.mask;
    const entry = this.queued.get(conn) || QUEUED_ONE;
    if (entry >= 2 * QUEUED_ONE) this.queued.set(conn, entry - QUEUED_ONE);
    else this.queued.delete(conn);
  }

  /** Too much is waiting behind a connection still open: its RSTs lose their place in the order. */
  private giveUpOnHead(): void {
    const conn = this.conns[this.head] as number;
    this.unordered.add(conn);
    while (this.count > 0 && this.conns[this.head] === conn) this.pass(conn);
    this.drain();
  }

  /** Gives a reset its final id and sends it out; sends its connection when it was the last. */
  private release(reset: Reset, held: HeldConnection): void {
    const provisional = reset.id;
    reset.id = `R${++this.nextId}`;
    held.ids?.set(provisional, reset.id);
    this.finalIds.set(provisional, this.nextId);
    const parent = reset.parent;
    if (parent) {
      const final = held.ids?.get(parent.id) ?? this.finalIds.get(parent.id);
      if (final !== undefined) {
        // The hint names the parent too ("A consequence of P3 …").
        if (reset.hint !== null) reset.hint = replaceWord(reset.hint, parent.id, final);
        parent.id = final;
      }
    }
    this.out.reset(reset, held);
    if (--held.pending === 0) {
      const c = held.explained?.connection;
      const ids = held.ids;
      // Rewritten in place: the entry's list of ids is its own (explainConnection built it), and a
      // copy per connection was one more array for the collector.
      if (c !== undefined) {
        const list = c.resets;
        for (let i = 0; i < list.length; i++) {
          const id = list[i] as string;
          list[i] = ids === null ? (id === provisional ? reset.id : id) : (ids.get(id) ?? id);
        }
      }
      this.out.connection(held);
    }
  }
}

/** The resets of a held connection whose sink reads only its entry (they go out one by one). */
const NO_RESETS: Reset[] = [];

/**
 * A reset that waits (behind a connection still open, possibly for the rest of the capture) made
 * smaller without changing a byte of what it prints: its texts flattened and its arrays trimmed.
 * What waits survives scavenges (copied, then promoted, then marked by every mark-compact): on
 * the bench's 128 MiB mix one long-lived connection whose early RST did not end it holds
 * about 1,300 resets back on average, ~2.2 KB and ~50 objects each. A hint or an evidence detail
 * built from a template is a tree of concatenated strings (a dozen 32-byte nodes for one hint);
 * reading one character makes V8 flatten it in place (String::Flatten, runtime StringCharCodeAt)
 * and the next scavenge keeps only the flat text. A list grown by push has room for 17
 * elements: an exact copy holds what it holds. The flag lists are shared (explain/resetFields.ts
 * flagNames: frozen; a copy was one more array per waiting reset) and the evidence list is made
 * to measure (explainConnection.ts evidenceList), so only a list that grew afterwards (a capture
 * duplicate's evidence, a kernel finding's) is copied.
 */
export function slimmed(r: Reset): Reset {
  if (r.hint !== null) r.hint.charCodeAt(0);
  if (r.reason_text !== null) r.reason_text.charCodeAt(0);
  for (const e of r.evidence) e.detail.charCodeAt(0);
  if (!Object.isFrozen(r.flags)) r.flags = r.flags.slice();
  if (r.duplicates !== undefined || r.kernel !== undefined) r.evidence = r.evidence.slice();
  return r;
}

/** An empty list, shared by the digests of resets (frozen: nothing writes a reset's flags). */
const NO_FLAGS: string[] = Object.freeze([]) as unknown as string[];

/** One code-only evidence entry per code, shared by the digests of resets (frozen). */
const CODE_ONLY = new Map<string, Evidence>();

/** The shared evidence entry of `code` with no detail. */
function codeOnly(code: string): Evidence {
  let e = CODE_ONLY.get(code);
  if (e === undefined) {
    e = Object.freeze({ code, detail: '' });
    CODE_ONLY.set(code, e);
  }
  return e;
}

/** Lists of code-only entries shared by digests, by their codes joined; bounded (sharing is only a saving). */
const CODE_ONLY_LISTS = new Map<string, Evidence[]>();
const CODE_ONLY_LISTS_KEPT = 4096;

/** `evidence` as code-only entries: one list shared by the digests whose resets carry the same codes. */
function codeOnlyList(evidence: readonly Evidence[]): Evidence[] {
  let key = '';
  for (const e of evidence) key += `${e.code} `;
  const known = CODE_ONLY_LISTS.get(key);
  if (known !== undefined) return known;
  // Sized and filled as explainConnection.ts evidenceList makes every reset's list, and not
  // frozen (a frozen array has a map of its own): a digest's list then has the map of every
  // other reset's, and the text report's group code meeting the first digest after TurboFan
  // compiled it was not deoptimised ("wrong map", ResetGroup.add, --trace-deopt on the mix).
  // Shared all the same: nothing writes a released or waiting reset's evidence.
  const list = new Array<Evidence>(evidence.length);
  for (let i = 0; i < evidence.length; i++) list[i] = codeOnly((evidence[i] as Evidence).code);
  if (CODE_ONLY_LISTS.size < CODE_ONLY_LISTS_KEPT) CODE_ONLY_LISTS.set(key, list);
  return list;
}

/**
 * What a digest-only sink (report/text.ts TextDigest: groups, counts by cause and verdict) and the
 * explain stage's counts read of a reset that waits, the rest blank: ids, time, frame, connection,
 * endpoints, stage, cause, verdict, origin, evidence codes, signature, hint (flattened), parent,
 * kernel finding. On the bench's 512 MiB mix 7,077 of 12,795 resets wait behind a connection
 * still open (most for Zeek's 5 s between a RST and the connection's end), each a reset of about
 * fifty objects (evidence details, flags, packet fields) that survived the young generation:
 * held as its digest, promoted bytes fell 21.9 -> 17.3 MB.
 */
export function digestOf(r: Reset): Reset {
  if (r.hint !== null) r.hint.charCodeAt(0);
  const evidence = codeOnlyList(r.evidence);
  const d: Reset = {
    id: r.id,
    ts: r.ts,
    capture: r.capture,
    frame: r.frame,
    conn: r.conn,
    src: r.src,
    sport: r.sport,
    dst: r.dst,
    dport: r.dport,
    from: r.from,
    flags: NO_FLAGS,
    ttl: 0,
    ip_id: null,
    seq: 0,
    ack: 0,
    win: 0,
    payload_len: 0,
    stage: r.stage,
    cause: r.cause,
    verdict: r.verdict,
    origin: r.origin,
    confidence: null,
    evidence,
    signature: r.signature,
    hint: r.hint,
    reason_text: null,
    mptcp_reason: null,
    // The rest as explainReset's literal lists them, so that a digest has the map of every other
    // reset (explain/explainConnection.ts RESET_SHAPE_PRIMERS): a map of its own first seen after
    // TurboFan compiled the sink's code deoptimised it ("wrong map", the text report's add).
    rule: undefined,
    parent: r.parent,
    duplicates: undefined,
    community_id: undefined,
  };
  if (r.kernel !== undefined) d.kernel = r.kernel;
  return d;
}

/**
 * `text` with every whole-word `word` replaced by `by`: what `text.replace(/\bword\b/g, by)`
 * gives for a word of word characters (a reset id "P12"), without a RegExp built per reset.
 */
export function replaceWord(text: string, word: string, by: string): string {
  let at = text.indexOf(word);
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const end = at + word.length;
    if (!isWordChar(text.charCodeAt(at - 1)) && !isWordChar(text.charCodeAt(end))) {
      out += text.slice(from, at) + by;
      from = end;
      at = text.indexOf(word, end);
    } else at = text.indexOf(word, at + 1);
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A RegExp word character ([A-Za-z0-9_]); NaN (outside the text) is none. */
function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** Final ids remembered per provisional id: a power of two at least MAX_HELD_RESETS. */
export const FINAL_IDS_KEPT = 1 << 17;

/**
 * Provisional id → final id of the most recently released resets, in fixed memory. Provisional
 * ids are "P<n>" (run.ts) and final ones "R<m>", so a ring indexed by n keeps both numbers: two
 * typed arrays instead of a Map holding two strings per reset (7 MB at the bound), whose eviction
 * by `keys().next()` stepped over every entry deleted since V8 last compacted the table. Any
 * other provisional id (none today) goes to a small Map bounded the same way.
 */
export class FinalIds {
  private provisional: Float64Array | null = null;
  private final: Float64Array | null = null;
  private readonly other = new Map<string, number>();

  /** Remembers that provisional id `id` became "R<final>". */
  set(id: string, final: number): void {
    const n = provisionalNumber(id);
    if (n < 0) {
      this.other.delete(id);
      if (this.other.size >= FINAL_IDS_KEPT) this.other.delete(this.other.keys().next().value as string);
      this.other.set(id, final);
      return;
    }
    if (this.provisional === null || this.final === null) {
      this.provisional = new Float64Array(FINAL_IDS_KEPT).fill(-1);
      this.final = new Float64Array(FINAL_IDS_KEPT);
    }
    const slot = n & (FINAL_IDS_KEPT - 1);
    this.provisional[slot] = n;
    this.final[slot] = final;
  }

  /** The final id of provisional id `id`, or undefined when it was not released (or long ago). */
  get(id: string): string | undefined {
    const n = provisionalNumber(id);
    if (n < 0) {
      const final = this.other.get(id);
      return final === undefined ? undefined : `R${final}`;
    }
    const slot = n & (FINAL_IDS_KEPT - 1);
    if (this.provisional === null || this.final === null || this.provisional[slot] !== n) return undefined;
    return `R${this.final[slot]}`;
  }
}

/** n of a provisional id "P<n>" (n a plain decimal below 2^31), or -1. */
export function provisionalNumber(id: string): number {
  if (id.length < 2 || id.length > 10 || id.charCodeAt(0) !== 0x50 || id.charCodeAt(1) === 0x30) return -1;
  let n = 0;
  for (let i = 1; i < id.length; i++) {
    const d = id.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
