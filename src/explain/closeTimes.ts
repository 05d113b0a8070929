/**
 * When each 4-tuple last closed (FIN or RST), for the most recently closed `limit` tuples: the
 * memory behind the port-reuse rule (a tuple closed this recently is still in TIME_WAIT).
 *
 * Every finished connection writes one entry, so this is per-connection work on a flood of
 * millions: IPv4 tuples live in typed arrays (an open-addressing index over three 32-bit words),
 * not as a text key per connection in a Map (a string built, flattened and hashed, and kept alive
 * until evicted: old-space garbage that drove the flood's major GCs). IPv6 tuples are wide keys
 * of nine words (both addresses as four words each, the ports; explain/ipv6Words.ts), no longer a
 * text key built, flattened and hashed per look-up (~1.5 % of the bench mix's main thread, whose
 * connections are 14 % IPv6); only a tuple of other text keeps a text key. All share one insertion
 * order, so the oldest entry is evicted first whatever its family, exactly as a bounded Map in
 * insertion order would do.
 */
import { ipv4Strict } from '../net/ipv4Text.js';
import { ipv6WordsInto } from './ipv6Words.js';
import { NONE, RecentKeys, widen } from './recentKeys.js';

/** A wide key's words: two IPv6 addresses of four words each, then both ports in one (portsWord). */
const TUPLE_WIDTH = 9;

/** A connection's 4-tuple (FinishedConnection has these fields). */
export interface Tuple {
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
}

/** Close time per tuple, bounded; setting a tuple again makes it the newest. */
export class CloseTimes {
  /** The tuples, in insertion order (RecentKeys: three words for IPv4, text for the rest). */
  private readonly keys: RecentKeys;
  private time = new Float64Array(0);

  constructor(limit: number) {
    this.keys = new RecentKeys(limit, TUPLE_WIDTH);
  }

  /** Tuples held. */
  get size(): number {
    return this.keys.size;
  }

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
    let slot: number;
    if (r !== NONE) slot = this.keys.find(o, r, portsWord(Number(key.slice(a + 1, b)), Number(key.slice(c + 1))));
    else {
      // An IPv6 tuple is held by its words: read back from the text, both ports as `tupleKey` writes them.
      const origPort = a < 0 || b < 0 || c < 0 ? -1 : portOf(key.slice(a + 1, b));
      const respPort = origPort < 0 ? -1 : portOf(key.slice(c + 1));
      const w = this.keys.wide;
      if (respPort >= 0 && ipv6WordsInto(key.slice(0, a), w, 0) && ipv6WordsInto(key.slice(b + 1, c), w, 4)) {
        w[8] = portsWord(origPort, respPort);
        slot = this.keys.findWide();
      } else slot = this.keys.findText(key);
    }
    return slot === NONE ? undefined : this.time[slot];
  }

  /**
   * The slot of a tuple (as given: orig, then resp; `swapped`: resp, then orig), or -1; its time
   * is `timeAt(slot)`. Swapped here rather than in a turned-round copy of the tuple per call.
   */
  slotOf(t: Tuple, swapped = false): number {
    const o = ipv4Strict(swapped ? t.respAddr : t.origAddr);
    const r = o === NONE ? NONE : ipv4Strict(swapped ? t.origAddr : t.respAddr);
    if (r !== NONE) return this.keys.find(o, r, swapped ? portsWord(t.respPort, t.origPort) : portsWord(t.origPort, t.respPort));
    if (this.wideKey(t, swapped)) return this.keys.findWide();
    return this.keys.findText(textKey(t, swapped));
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
    let slot: number;
    if (r !== NONE) slot = this.keys.claim(o, r, swapped ? portsWord(t.respPort, t.origPort) : portsWord(t.origPort, t.respPort));
    else if (this.wideKey(t, swapped)) slot = this.keys.claimWide();
    else slot = this.keys.claimText(textKey(t, swapped));
    if (slot >= this.time.length) this.time = widen(this.time, this.keys.capacity);
    this.time[slot] = ts;
    return slot;
  }

  /** Writes the tuple's wide key (turned round when `swapped`) to the keys' `wide`; false when an address is not IPv6 as the tracker writes it. */
  private wideKey(t: Tuple, swapped: boolean): boolean {
    const w = this.keys.wide;
    if (!ipv6WordsInto(swapped ? t.respAddr : t.origAddr, w, 0) || !ipv6WordsInto(swapped ? t.origAddr : t.respAddr, w, 4)) return false;
    w[8] = swapped ? portsWord(t.respPort, t.origPort) : portsWord(t.origPort, t.respPort);
    return true;
  }
}

/** A port as `tupleKey` writes it (decimal, no sign, no leading zero, at most 65535), or -1 for any other text. */
function portOf(text: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 0xffff && String(n) === text ? n : -1;
}

/** Both ports in one 32-bit word (as an unsigned number: it is compared, never hashed as a sign). */
function portsWord(origPort: number, respPort: number): number {
  return (((origPort & 0xffff) << 16) | (respPort & 0xffff)) >>> 0;
}

/** The text key of a tuple that is not a plain IPv4 one (the same text as context.ts tupleKey; `swapped`: resp first). */
function textKey(t: Tuple, swapped = false): string {
  return swapped ? `${t.respAddr}|${t.respPort}|${t.origAddr}|${t.origPort}` : `${t.origAddr}|${t.origPort}|${t.respAddr}|${t.respPort}`;
}

