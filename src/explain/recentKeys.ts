/**
 * A bounded set of keys in insertion order, the shape of explain's cross-connection memory: the
 * most recent `limit` keys are kept and the oldest goes first, exactly as a Map kept in insertion
 * order and trimmed from its front (context.ts's first form), where writing a key again
 * (`renew`) makes it the newest.
 *
 * Keys are handed out as slots (small integers, reused only after their key was evicted), and a
 * user keeps its values in arrays of its own indexed by slot: no object per entry. Keys of plain
 * IPv4 data (up to three 32-bit words: an address, an address and a port, a 4-tuple) live in typed
 * arrays under an open-addressing index; keys of IPv6 data (up to `width` words: an address is
 * four, a 4-tuple nine) are wide keys, in typed arrays of their own under a second index; anything
 * else (text that is not an address as the tracker writes it) has a text key in a Map. All share
 * one order. A string key per connection in a Map (built, flattened, hashed, kept until evicted)
 * and a delete + set to move it to the end cost several hundred instructions and old-space
 * garbage per connection; a slot lookup here is a hash of three words and a probe or two.
 */
/** No slot (a miss, an empty index cell, the end of the order list). */
export const NONE = -1;
/**
 * Slots allocated first (then doubled, up to the limit). Small, so that the first growths come
 * within the first connections, while `allocate` and the users' `widen` branches still run
 * unoptimised and collect feedback: with 1,024 the second growth came after TurboFan had compiled
 * `allocate` and deoptimised it (its `grow` call had no feedback; --trace-deopt on the bench's mix).
 */
const FIRST_SLOTS = 64;
/** Numbers per slot of RecentKeys' key column (three words and the hash) and link column (previous, next). */
const KEY_WORDS = 4;
const LINK_WORDS = 2;
/** A slot's kind of key (RecentKeys' kinds column): three words, a wide key, a text. */
const KIND_WORDS = 0;
const KIND_WIDE = 1;
const KIND_TEXT = 2;
/** Wide entries allocated first (then doubled, up to the limit): small, as FIRST_SLOTS. */
const FIRST_WIDE = 16;
/** A free wide entry's slot word (no slot), and the end of the wide free list, as stored in a Uint32Array. */
const NO_ENTRY = 0xffffffff;

/** Bounded keys in insertion order, oldest evicted first; see the module comment. */
export class RecentKeys {
  /** Slots the arrays hold now (users' value arrays must hold as many: see `capacity`). */
  private slots = 0;
  /**
   * Each slot's word key and its hash, KEY_WORDS numbers a slot: the three words, then the hash
   * (kept: an eviction's backward shift and a growth's rebuild read it instead of hashing again).
   * Side by side, not four columns: a flood writes a new tuple per connection into tables of
   * 200,000 (two per connection: context.ts lastClose and lastReset), so every look-up, insertion
   * and eviction lands on a slot that is not in the cache; one slot's key is then one cache line
   * to fetch instead of four (`CloseTimes.set` was ~0.3 µs a call, 835 ms of a 1M flood's profile).
   */
  private keys = new Uint32Array(0);
  /** Insertion order, oldest first: a doubly linked list over slots, each slot's previous then next (LINK_WORDS a slot, side by side for the same reason). */
  private links = new Int32Array(0);
  /** Each slot's kind of key (KIND_WORDS, KIND_WIDE, KIND_TEXT); a wide slot's entry is the first word of its key column. */
  private kinds = new Uint8Array(0);
  /** The text key of a text-keyed slot; undefined for the others. */
  private textKey: (string | undefined)[] = [];
  /** Open addressing (linear probing) from a word key's hash to its slot, NONE when empty. */
  private index = new Int32Array(0);
  private readonly byText = new Map<string, number>();
  private head = NONE;
  private tail = NONE;
  private freeList = NONE;
  private handedOut = 0;
  /**
   * The wide key being looked up or added: the caller writes its `width` words here, then calls
   * `findWide` or `addWide` (a scratch array instead of nine arguments).
   */
  readonly wide: Uint32Array;
  /** Numbers per wide entry: the key's words, its hash, its slot (NO_ENTRY when the entry is free). */
  private readonly stride: number;
  /**
   * Wide entries, `stride` numbers each, in their own pool (allocated when the first wide key
   * comes, grown by doubling): a table of IPv4 keys pays nothing for them.
   */
  private wideKeys = new Uint32Array(0);
  /** Open addressing (linear probing) from a wide key's hash to its entry, NONE when empty. */
  private wideIndex = new Int32Array(0);
  private wideEntries = 0;
  private wideHandedOut = 0;
  /** Free wide entries, linked through their first word (NO_ENTRY ends it). */
  private wideFree = NO_ENTRY;
  /** Keys held. */
  size = 0;

  /** `width`: the words of a wide key (0: the table takes none). */
  constructor(
    private readonly limit: number,
    private readonly width = 0,
  ) {
    this.wide = new Uint32Array(width);
    this.stride = width + 2;
  }

  /** Slots handed out at most so far (+ growth): a user's value arrays must be at least this long. */
  get capacity(): number {
    return this.slots;
  }

  /** The slot of a word key (three unsigned 32-bit numbers), or NONE. */
  find(a: number, b: number, c: number): number {
    if (this.index.length === 0) return NONE;
    const mask = this.index.length - 1;
    const keys = this.keys;
    // Compared as signed 32-bit words (the same test: `| 0` maps the unsigned words one to one):
    // compared as they are, an address of 128.0.0.0 or above (past 2^31) first met after TurboFan
    // compiled this on smaller ones had no small-integer form and deoptimised it ("lost
    // precision", --trace-deopt on the bench's mix).
    const a32 = a | 0;
    const b32 = b | 0;
    const c32 = c | 0;
    for (let i = hash3(a, b, c) & mask; ; i = (i + 1) & mask) {
      const slot = this.index[i] as number;
      if (slot === NONE) return NONE;
      const k = slot * KEY_WORDS;
      if (((keys[k] as number) | 0) === a32 && ((keys[k + 1] as number) | 0) === b32 && ((keys[k + 2] as number) | 0) === c32) return slot;
    }
  }

  /** The slot of a text key, or NONE. */
  findText(key: string): number {
    return this.byText.get(key) ?? NONE;
  }

  /** The slot of the wide key in `wide`, or NONE. */
  findWide(): number {
    const index = this.wideIndex;
    if (index.length === 0) return NONE;
    const mask = index.length - 1;
    const w = this.wide;
    const width = this.width;
    const stride = this.stride;
    const keys = this.wideKeys;
    // Compared as signed 32-bit words, as in `find` (IPv6 words are mostly past 2^31).
    for (let i = hashWide(w, width) & mask; ; i = (i + 1) & mask) {
      const entry = index[i] as number;
      if (entry === NONE) return NONE;
      const k = entry * stride;
      let j = 0;
      while (j < width && ((keys[k + j] as number) | 0) === ((w[j] as number) | 0)) j++;
      if (j === width) return keys[k + width + 1] as number;
    }
  }

  /** Adds a word key that `find` did not find, as the newest (evicting the oldest at the limit); returns its slot. */
  add(a: number, b: number, c: number): number {
    const slot = this.take();
    const k = slot * KEY_WORDS;
    const keys = this.keys;
    keys[k] = a >>> 0;
    keys[k + 1] = b >>> 0;
    keys[k + 2] = c >>> 0;
    keys[k + 3] = hash3(a, b, c);
    this.kinds[slot] = KIND_WORDS;
    this.insertIndex(slot);
    return slot;
  }

  /** Adds the wide key in `wide` that `findWide` did not find, as `add` does. */
  addWide(): number {
    const slot = this.take();
    const entry = this.allocateWide();
    const keys = this.wideKeys;
    const w = this.wide;
    const width = this.width;
    const k = entry * this.stride;
    for (let j = 0; j < width; j++) keys[k + j] = w[j] as number;
    keys[k + width] = hashWide(w, width);
    keys[k + width + 1] = slot;
    this.keys[slot * KEY_WORDS] = entry;
    this.kinds[slot] = KIND_WIDE;
    this.insertWideIndex(entry);
    return slot;
  }

  /** Adds a text key that `findText` did not find, as `add` does. */
  addText(key: string): number {
    const slot = this.take();
    this.textKey[slot] = key;
    this.kinds[slot] = KIND_TEXT;
    this.byText.set(key, slot);
    return slot;
  }

  /**
   * The slot of a word key made the newest: found and renewed, or added (what a Map's delete and
   * set did). One method for every table that renews (the tuples, the open ports): a renewal branch
   * in each caller was first reached after TurboFan had compiled that caller (the first reused
   * tuple) and deoptimised it ("Insufficient type feedback", --trace-deopt on the bench's mix);
   * here the open ports' frequent renewals give it feedback early.
   */
  claim(a: number, b: number, c: number): number {
    const slot = this.find(a, b, c);
    if (slot === NONE) return this.add(a, b, c);
    this.renew(slot);
    return slot;
  }

  /** `claim` for the wide key in `wide`. */
  claimWide(): number {
    const slot = this.findWide();
    if (slot === NONE) return this.addWide();
    this.renew(slot);
    return slot;
  }

  /** `claim` for a text key. */
  claimText(key: string): number {
    const slot = this.findText(key);
    if (slot === NONE) return this.addText(key);
    this.renew(slot);
    return slot;
  }

  /** Makes a held slot the newest (what a Map's delete and set again did). */
  renew(slot: number): void {
    if (slot === this.tail) return;
    this.unlink(slot);
    this.append(slot);
  }

  /** A free slot, linked in as the newest; the oldest key goes first when the limit is reached. */
  private take(): number {
    if (this.size >= this.limit && this.head !== NONE) this.remove(this.head);
    const slot = this.allocate();
    this.textKey[slot] = undefined;
    this.append(slot);
    this.size++;
    return slot;
  }

  /** Drops a slot: out of its key structure and the order, onto the free list. */
  private remove(slot: number): void {
    const kind = this.kinds[slot] as number;
    if (kind === KIND_WORDS) this.deleteIndex(slot);
    else if (kind === KIND_WIDE) this.freeWide(this.keys[slot * KEY_WORDS] as number);
    else {
      this.byText.delete(this.textKey[slot] as string);
      this.textKey[slot] = undefined;
    }
    this.unlink(slot);
    this.links[slot * LINK_WORDS + 1] = this.freeList;
    this.freeList = slot;
    this.size--;
  }

  private allocate(): number {
    if (this.freeList !== NONE) {
      const slot = this.freeList;
      this.freeList = this.links[slot * LINK_WORDS + 1] as number;
      return slot;
    }
    if (this.handedOut === this.slots) this.grow();
    return this.handedOut++;
  }

  /** Doubles the slot arrays (up to the limit) and rebuilds the index at twice their size. */
  private grow(): void {
    const slots = Math.min(Math.max(FIRST_SLOTS, this.slots * 2), Math.max(this.limit, 1));
    this.keys = widen(this.keys, slots * KEY_WORDS);
    this.links = widen(this.links, slots * LINK_WORDS);
    this.kinds = widen(this.kinds, slots);
    this.slots = slots;
    // Load factor at most one half: linear probing stays short.
    let size = 1;
    while (size < slots * 2) size *= 2;
    this.index = new Int32Array(size).fill(NONE);
    for (let slot = 0; slot < this.handedOut; slot++) {
      if (this.kinds[slot] === KIND_WORDS && this.isLinked(slot)) this.insertIndex(slot);
    }
  }

  /** A free wide entry (the pool grows when none is). */
  private allocateWide(): number {
    if (this.wideFree !== NO_ENTRY) {
      const entry = this.wideFree;
      this.wideFree = this.wideKeys[entry * this.stride] as number;
      return entry;
    }
    if (this.wideHandedOut === this.wideEntries) this.growWide();
    return this.wideHandedOut++;
  }

  /** Takes a wide entry out of the index and onto the free list. */
  private freeWide(entry: number): void {
    this.deleteWideIndex(entry);
    const k = entry * this.stride;
    this.wideKeys[k + this.width + 1] = NO_ENTRY;
    this.wideKeys[k] = this.wideFree;
    this.wideFree = entry;
  }

  /** Doubles the wide pool (up to the limit) and rebuilds its index at twice its size. */
  private growWide(): void {
    const entries = Math.min(Math.max(FIRST_WIDE, this.wideEntries * 2), Math.max(this.limit, 1));
    this.wideKeys = widen(this.wideKeys, entries * this.stride);
    this.wideEntries = entries;
    let size = 1;
    while (size < entries * 2) size *= 2;
    this.wideIndex = new Int32Array(size).fill(NONE);
    for (let entry = 0; entry < this.wideHandedOut; entry++) {
      if (this.wideKeys[entry * this.stride + this.width + 1] !== NO_ENTRY) this.insertWideIndex(entry);
    }
  }

  private insertWideIndex(entry: number): void {
    const index = this.wideIndex;
    const mask = index.length - 1;
    let i = (this.wideKeys[entry * this.stride + this.width] as number) & mask;
    while (index[i] !== NONE) i = (i + 1) & mask;
    index[i] = entry;
  }

  /** `deleteIndex` for the wide index. */
  private deleteWideIndex(entry: number): void {
    const index = this.wideIndex;
    const keys = this.wideKeys;
    const at = this.width;
    const stride = this.stride;
    const mask = index.length - 1;
    let i = (keys[entry * stride + at] as number) & mask;
    while (index[i] !== entry) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const e = index[j] as number;
      if (e === NONE) break;
      const home = (keys[e * stride + at] as number) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = e;
        i = j;
      }
    }
    index[i] = NONE;
  }

  /** True when the slot holds a key (it is in the order list). */
  private isLinked(slot: number): boolean {
    return this.links[slot * LINK_WORDS] !== NONE || this.head === slot;
  }

  private insertIndex(slot: number): void {
    const mask = this.index.length - 1;
    let i = (this.keys[slot * KEY_WORDS + 3] as number) & mask;
    while (this.index[i] !== NONE) i = (i + 1) & mask;
    this.index[i] = slot;
  }

  /** Removes a slot from the index by backward-shift deletion (no tombstones: probes stay short). */
  private deleteIndex(slot: number): void {
    const index = this.index;
    const keys = this.keys;
    const mask = index.length - 1;
    let i = (keys[slot * KEY_WORDS + 3] as number) & mask;
    while (index[i] !== slot) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = index[j] as number;
      if (s === NONE) break;
      const home = (keys[s * KEY_WORDS + 3] as number) & mask;
      // Move s into the hole when its home lies cyclically at or before the hole.
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = s;
        i = j;
      }
    }
    index[i] = NONE;
  }

  private append(slot: number): void {
    const links = this.links;
    links[slot * LINK_WORDS] = this.tail;
    links[slot * LINK_WORDS + 1] = NONE;
    if (this.tail === NONE) this.head = slot;
    else links[this.tail * LINK_WORDS + 1] = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const links = this.links;
    const p = links[slot * LINK_WORDS] as number;
    const n = links[slot * LINK_WORDS + 1] as number;
    if (p === NONE) this.head = n;
    else links[p * LINK_WORDS + 1] = n;
    if (n === NONE) this.tail = p;
    else links[n * LINK_WORDS] = p;
    links[slot * LINK_WORDS] = NONE;
    links[slot * LINK_WORDS + 1] = NONE;
  }
}

/** A copy of `old` at `length` elements (the rest zero): how users grow their value arrays to `capacity`. */
export function widen<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(old: T, length: number): T {
  const a = new (old.constructor as new (n: number) => T)(length);
  a.set(old);
  return a;
}

/**
 * The index's hash of three 32-bit words: each word folded in by a multiply and an xor-shift
 * (MurmurHash3's fmix32 constants, smhasher MurmurHash3.cpp), all in one small function.
 * net/flowHash's murmurStep chain (three calls and fmix32) was a tenth of the context's cost
 * on a flood: under the bin's inlining budget TurboFan called each step instead of inlining it.
 * Linear probing at load one half needs only well-spread low bits, which the final shift gives.
 */
function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The wide index's hash of a key's `n` words: each folded in as `hash3` folds its three. */
function hashWide(w: Uint32Array, n: number): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (h >>> 15) ^ (w[i] as number), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
