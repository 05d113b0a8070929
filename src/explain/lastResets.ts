/**
 * The last root reset per 4-tuple (either orientation), for the most recent `limit` tuples: what
 * a later connection that Zeek's rules split off the same tuple finds its parent in.
 *
 * Every connection that reset writes one entry, so this is per-connection memory on a flood of
 * millions. It was a Map from a text key ("addr|port|addr|port", three concatenated strings per
 * connection) to an object holding the reset's id and hint: about 330 bytes per entry kept alive
 * until evicted, 66 MB of old space at the bound (a heap snapshot of a 1M-connection flood).
 * Here the tuples live in CloseTimes' typed arrays and the other fields in arrays by slot; equal
 * hints (a flood's resets share a handful of texts) are kept as one string.
 */
import { ipv4Strict } from '../net/ipv4Text.js';
import { CloseTimes, type Tuple } from './closeTimes.js';

/** A reset remembered per 4-tuple, for a later connection that Zeek's rules split off the same tuple. */
export interface RememberedReset {
  id: string;
  capture: number;
  frame: number;
  ts: number;
  hint: string | null;
}

/** Hints kept for sharing, one per text length modulo this (a power of two; sharing is only a saving). */
const HINT_WAYS = 256;

/** The last root reset per unoriented 4-tuple, bounded (the oldest tuple goes first). */
/**
 * An id "<letter><n>" (one capital letter, then n in decimal without a leading zero, n below
 * 2^24: the explain stage's provisional "P<n>") as one small integer, (n << 5) | letter; any
 * other id as it is. Every connection that reset leaves its id here until its tuple is evicted
 * (200,000 of them on a flood), and each kept id string was copied by two scavenges into old
 * space and marked there by every mark-compact; a small integer is no object at all.
 */
export function idWord(id: string): string | number {
  const letter = id.charCodeAt(0) - 64;
  if (id.length < 2 || id.length > 9 || letter < 1 || letter > 26 || id.charCodeAt(1) === 0x30) return id;
  let n = 0;
  for (let i = 1; i < id.length; i++) {
    const d = id.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return id;
    n = n * 10 + d;
  }
  return n < 1 << 24 ? (n << 5) | letter : id;
}

/** The id idWord made `word` of. */
export function idOfWord(word: string | number): string {
  return typeof word === 'number' ? `${String.fromCharCode(64 + (word & 31))}${word >>> 5}` : word;
}

export class LastResets {
  private readonly slots: CloseTimes;
  /** Ids as idWord keeps them. */
  private readonly ids: (string | number)[] = [];
  private readonly captures: number[] = [];
  private readonly frames: number[] = [];
  private readonly hints: (string | null)[] = [];
  /** The last hint kept per text length (modulo HINT_WAYS): see `share`. */
  private readonly sharedHints: (string | null)[] = new Array<string | null>(HINT_WAYS).fill(null);

  constructor(limit: number) {
    this.slots = new CloseTimes(limit);
  }

  /** Tuples remembered. */
  get size(): number {
    return this.slots.size;
  }

  /** The last root reset on the tuple of `t`, in either orientation, or undefined. */
  get(t: Tuple): RememberedReset | undefined {
    const slot = this.slots.slotOf(t, respFirst(t));
    if (slot < 0) return undefined;
    return { id: idOfWord(this.ids[slot] as string | number), capture: this.captures[slot] as number, frame: this.frames[slot] as number, ts: this.slots.timeAt(slot), hint: this.hints[slot] as string | null };
  }

  /** Remembers `r` as the last root reset on the tuple of `t` (it becomes the newest entry). */
  set(t: Tuple, r: RememberedReset): void {
    this.remember(t, r.id, r.capture, r.frame, r.ts, r.hint);
  }

  /** `set` with the reset's fields as arguments (no object per connection that reset). */
  remember(t: Tuple, id: string, capture: number, frame: number, ts: number, hint: string | null): void {
    const slot = this.slots.set(t, ts, respFirst(t));
    // Slots are handed out from 0 upwards, so these arrays stay dense.
    this.ids[slot] = idWord(id);
    this.captures[slot] = capture;
    this.frames[slot] = frame;
    this.hints[slot] = hint === null ? null : this.share(hint);
  }

  /**
   * One string for the equal hints of many resets (a flood's resets share a handful of texts: one
   * per server and cause). The candidate is the last hint of the same length, compared in place:
   * a Map keyed by the text flattened and hashed every freshly built hint first (1% of a profile
   * of the bench's mix, whose hints are all different). Equal-length hints that alternate are
   * simply kept apart.
   */
  private share(hint: string): string {
    const way = hint.length & (HINT_WAYS - 1);
    const known = this.sharedHints[way];
    if (known === hint) return known;
    this.sharedHints[way] = hint;
    return hint;
  }
}

/**
 * True when the tuple's canonical orientation, whichever side originated, puts the responder
 * first: the lower endpoint first (IPv4 by number, anything else by text), so both orientations
 * find one entry.
 */
export function respFirst(t: Tuple): boolean {
  const o = ipv4Strict(t.origAddr);
  const r = o < 0 ? -1 : ipv4Strict(t.respAddr);
  return o >= 0 && r >= 0 ? r < o || (r === o && t.respPort < t.origPort) : t.respAddr < t.origAddr || (t.respAddr === t.origAddr && t.respPort < t.origPort);
}
