/**
 * When each 4-tuple last closed (FIN or RST), for the most recently closed `limit` tuples: the
 * memory behind the port-reuse rule (a tuple closed this recently is still in TIME_WAIT).
 *
 * Every finished connection writes one entry, so this is per-connection work on a flood of
 * millions: IPv4 tuples live in typed arrays (an open-addressing index over three 32-bit words),
 * not as a text key per connection in a Map (a string built, flattened and hashed, and kept alive
 * until evicted: old-space garbage that drove the flood's major GCs). IPv6 tuples, rarer, keep a
 * text key. Both share one insertion order, so the oldest entry is evicted first whatever its
 * family, exactly as a bounded Map in insertion order would do.
 */
import { fmix32, murmurStep } from '../net/flowHash.js';
import { dottedQuadNumber } from '../net/ipv4Text.js';

/** A connection's 4-tuple (FinishedConnection has these fields). */
export interface Tuple {
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
}

const NONE = -1;
const FIRST_SLOTS = 1024;

/** Close time per tuple, bounded; setting a tuple again makes it the newest. */
export class CloseTimes {
  private slots = 0;
  private origAddr = new Uint32Array(0);
  private respAddr = new Uint32Array(0);
  private ports = new Uint32Array(0);
  private time = new Float64Array(0);
  /** Insertion order, oldest first: a doubly linked list over slots. */
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** The text key of an IPv6 (or odd) tuple's slot; undefined for IPv4 slots. */
  private textKey: (string | undefined)[] = [];
  /** Open addressing (linear probing) from an IPv4 tuple's hash to its slot, NONE when empty. */
  private index = new Int32Array(0);
  private readonly byText = new Map<string, number>();
  private head = NONE;
  private tail = NONE;
  private freeList = NONE;
  private handedOut = 0;
  size = 0;

  constructor(private readonly limit: number) {}

  /**
   * When the tuple last closed, or undefined; `key` is the tuple as `tupleKey` writes it
   * ("orig|port|resp|port"), as the Map this replaces was keyed (only the port-reuse rule asks).
   */
  get(key: string): number | undefined {
    const a = key.indexOf('|');
    const b = key.indexOf('|', a + 1);
    const c = key.indexOf('|', b + 1);
    const o = a < 0 || b < 0 || c < 0 ? NONE : ipv4Strict(key.slice(0, a));
    const r = o === NONE ? NONE : ipv4Strict(key.slice(b + 1, c));
    const slot = r === NONE ? (this.byText.get(key) ?? NONE) : this.find4(o, r, portsWord(Number(key.slice(a + 1, b)), Number(key.slice(c + 1))));
    return slot === NONE ? undefined : this.time[slot];
  }

  /**
   * The slot of a tuple (as given: orig, then resp; `swapped`: resp, then orig), or -1; its time
   * is `timeAt(slot)`. Swapped here rather than in a turned-round copy of the tuple per call.
   */
  slotOf(t: Tuple, swapped = false): number {
    const o = ipv4Strict(swapped ? t.respAddr : t.origAddr);
    const r = o === NONE ? NONE : ipv4Strict(swapped ? t.origAddr : t.respAddr);
    if (r !== NONE) return this.find4(o, r, swapped ? portsWord(t.respPort, t.origPort) : portsWord(t.origPort, t.respPort));
    return this.byText.get(textKey(t, swapped)) ?? NONE;
  }

  /** The time stored in a slot `slotOf` or `set` returned. */
  timeAt(slot: number): number {
    return this.time[slot] as number;
  }

  /**
   * Records that the tuple (turned round when `swapped`, as in `slotOf`) closed at `ts` (it
   * becomes the newest entry; the oldest goes past the limit). Returns the tuple's slot, where a caller may keep more about it in arrays of its own
   * (a slot is reused only once its entry was evicted).
   */
  set(t: Tuple, ts: number, swapped = false): number {
    // Plain dotted quads on both ends take the typed arrays; anything else (IPv6) a text key.
    const o = ipv4Strict(swapped ? t.respAddr : t.origAddr);
    const r = o === NONE ? NONE : ipv4Strict(swapped ? t.origAddr : t.respAddr);
    const ports = swapped ? portsWord(t.respPort, t.origPort) : portsWord(t.origPort, t.respPort);
    const key = r === NONE ? textKey(t, swapped) : undefined;
    let slot = key === undefined ? this.find4(o, r, ports) : (this.byText.get(key) ?? NONE);
    if (slot !== NONE) {
      this.unlink(slot);
    } else {
      if (this.size >= this.limit && this.head !== NONE) this.remove(this.head);
      slot = this.allocate();
      this.textKey[slot] = key;
      if (key !== undefined) this.byText.set(key, slot);
      else {
        this.origAddr[slot] = o;
        this.respAddr[slot] = r;
        this.ports[slot] = ports;
        this.insertIndex(slot);
      }
      this.size++;
    }
    this.time[slot] = ts;
    this.append(slot);
    return slot;
  }

  /** The slot of an IPv4 tuple, or NONE. */
  private find4(o: number, r: number, ports: number): number {
    if (this.index.length === 0) return NONE;
    const mask = this.index.length - 1;
    for (let i = hash4(o, r, ports) & mask; ; i = (i + 1) & mask) {
      const slot = this.index[i] as number;
      if (slot === NONE) return NONE;
      if (this.origAddr[slot] === o && this.respAddr[slot] === r && this.ports[slot] === ports) return slot;
    }
  }

  /** Drops a slot: out of its key structure and the order, onto the free list. */
  private remove(slot: number): void {
    const key = this.textKey[slot];
    if (key !== undefined) {
      this.byText.delete(key);
      this.textKey[slot] = undefined;
    } else this.deleteIndex(slot);
    this.unlink(slot);
    this.next[slot] = this.freeList;
    this.freeList = slot;
    this.size--;
  }

  private allocate(): number {
    if (this.freeList !== NONE) {
      const slot = this.freeList;
      this.freeList = this.next[slot] as number;
      return slot;
    }
    if (this.handedOut === this.slots) this.grow();
    return this.handedOut++;
  }

  /** Doubles the slot arrays (up to the limit) and rebuilds the index at twice their size. */
  private grow(): void {
    const slots = Math.min(Math.max(FIRST_SLOTS, this.slots * 2), Math.max(this.limit, 1));
    const widen = <T extends Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const a = make(slots);
      a.set(old);
      return a;
    };
    this.origAddr = widen(this.origAddr, (n) => new Uint32Array(n));
    this.respAddr = widen(this.respAddr, (n) => new Uint32Array(n));
    this.ports = widen(this.ports, (n) => new Uint32Array(n));
    this.time = widen(this.time, (n) => new Float64Array(n));
    this.prev = widen(this.prev, (n) => new Int32Array(n));
    this.next = widen(this.next, (n) => new Int32Array(n));
    this.slots = slots;
    // Load factor at most one half: linear probing stays short.
    let size = 1;
    while (size < slots * 2) size *= 2;
    this.index = new Int32Array(size).fill(NONE);
    for (let slot = 0; slot < this.handedOut; slot++) {
      if (this.textKey[slot] === undefined && this.isLinked(slot)) this.insertIndex(slot);
    }
  }

  /** True when the slot holds an entry (it is in the order list). */
  private isLinked(slot: number): boolean {
    return this.prev[slot] !== NONE || this.head === slot;
  }

  private insertIndex(slot: number): void {
    const mask = this.index.length - 1;
    let i = hash4(this.origAddr[slot] as number, this.respAddr[slot] as number, this.ports[slot] as number) & mask;
    while (this.index[i] !== NONE) i = (i + 1) & mask;
    this.index[i] = slot;
  }

  /** Removes a slot from the index by backward-shift deletion (no tombstones: probes stay short). */
  private deleteIndex(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = hash4(this.origAddr[slot] as number, this.respAddr[slot] as number, this.ports[slot] as number) & mask;
    while (index[i] !== slot) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = index[j] as number;
      if (s === NONE) break;
      const home = hash4(this.origAddr[s] as number, this.respAddr[s] as number, this.ports[s] as number) & mask;
      // Move s into the hole when its home lies cyclically at or before the hole.
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = s;
        i = j;
      }
    }
    index[i] = NONE;
  }

  private append(slot: number): void {
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else this.next[this.tail] = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot] as number;
    const n = this.next[slot] as number;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
  }
}

/** Both ports in one 32-bit word (as an unsigned number: it is compared, never hashed as a sign). */
function portsWord(origPort: number, respPort: number): number {
  return (((origPort & 0xffff) << 16) | (respPort & 0xffff)) >>> 0;
}

/** The text key of a tuple that is not a plain IPv4 one (the same text as context.ts tupleKey; `swapped`: resp first). */
function textKey(t: Tuple, swapped = false): string {
  return swapped ? `${t.respAddr}|${t.respPort}|${t.origAddr}|${t.origPort}` : `${t.origAddr}|${t.origPort}|${t.respAddr}|${t.respPort}`;
}

/** The table's hash of three 32-bit words: net/flowHash's MurmurHash3 steps (the one flow hash), directed. */
function hash4(a: number, b: number, c: number): number {
  return fmix32(murmurStep(murmurStep(murmurStep(0x9e3779b9, a), b), c)) >>> 0;
}

/** The last two addresses ipv4Strict read, and their numbers (most calls ask for a connection's two ends again). */
let lastText = '';
let lastNumber = NONE;
let otherText = '';
let otherNumber = NONE;

/**
 * A plain dotted quad ("10.0.0.1") as an unsigned number, or -1 for any other text. Explain reads
 * each connection's two addresses a dozen times (tuple tables, host tables, SYN-ACK TTLs): the last
 * two answers are kept, so a repeat costs a string comparison instead of a parse.
 */
export function ipv4Strict(addr: string): number {
  if (addr === lastText) return lastNumber;
  if (addr === otherText) return otherNumber;
  const n = dottedQuadNumber(addr);
  otherText = lastText;
  otherNumber = lastNumber;
  lastText = addr;
  lastNumber = n;
  return n;
}
