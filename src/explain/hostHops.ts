import { ipv4Strict } from '../net/ipv4Text.js';
/**
 * The hop-distance range each host's own packets arrived with (context.ts HopRange), for the most
 * recently first-seen `limit` hosts, packed: a host is a slot of RecentKeys (its IPv4 address as
 * a number, its IPv6 address as four words, anything else by text) and its range four numbers in
 * typed arrays by slot.
 *
 * Most connections of a mixed capture bring a host not seen before, so this was one Map entry, a
 * HopRange object and an initials array per connection, kept alive in old space until evicted
 * (major-GC work) and looked up by a text key. Here a host costs about 30 bytes and no object; a
 * HopRange is built only when a reader asks (a reset whose sender showed no packet of its own).
 */
import type { TtlBaseline } from '../track/finished.js';
import { initialTtlOf } from '../track/tracker.js';
import { ipv6WordsInto } from './ipv6Words.js';
import { NONE, RecentKeys, widen } from './recentKeys.js';

/**
 * The hop distances (initial TTL − observed TTL) a host's own packets arrived with, over every
 * connection so far: the range, not one value, so that a host reached over several paths (ECMP)
 * or a load-balanced address answered by several machines teaches its spread and a reset inside
 * that spread is never a mismatch.
 */
export interface HopRange {
  /** Smallest and largest hop distance seen. */
  min: number;
  max: number;
  /** Initial TTLs seen (32, 64, 128, 255), in the order first seen. */
  initials: number[];
  /** Non-RST packets that taught the range. */
  packets: number;
}

/** The initial TTLs net/ttl.ts initialTtlOf answers, by their code (1–4) in a slot's initials word; 0 ends the list. */
const INITIAL_OF_CODE = [0, 32, 64, 128, 255] as const;

/** The 3-bit code of an initial TTL (one of INITIAL_OF_CODE's values). */
function codeOfInitial(initial: number): number {
  return initial === 32 ? 1 : initial === 64 ? 2 : initial === 128 ? 3 : 4;
}

/** Hop ranges per host, bounded: the host first seen longest ago goes first. */
export class HostHops {
  private readonly keys: RecentKeys;
  /** Hop distances are below 255 (an initial TTL minus a TTL at most that initial). */
  private min = new Uint8Array(0);
  private max = new Uint8Array(0);
  /** The initial TTLs seen, in order: a code (codeOfInitial) per 4 bits, the first in the lowest; at most four. */
  private initials = new Uint16Array(0);
  private packets = new Float64Array(0);

  constructor(limit: number) {
    this.keys = new RecentKeys(limit, 4);
  }

  /** Hosts held. */
  get size(): number {
    return this.keys.size;
  }

  /** The host's range (a fresh object: a snapshot), or undefined. */
  get(addr: string): HopRange | undefined {
    const slot = this.slotOf(addr);
    if (slot === NONE) return undefined;
    // Sized first: pushing onto an empty array reserved room for 17 (~180 bytes per call; the
    // forgery tests and the hop-distance wait ask per connection and per reset).
    const word = this.initials[slot] as number;
    const initials = new Array<number>(codesIn(word));
    for (let w = word, i = 0; w !== 0; w >>>= 4) initials[i++] = INITIAL_OF_CODE[w & 15] as number;
    return { min: this.min[slot] as number, max: this.max[slot] as number, initials, packets: this.packets[slot] as number };
  }

  /** The packets that taught the host's range (HopRange.packets), or -1 when the host is not held. */
  packetsOf(addr: string): number {
    const slot = this.slotOf(addr);
    return slot === NONE ? -1 : (this.packets[slot] as number);
  }

  /**
   * Widens a host's range by one connection's baseline (every distinct TTL its packets carried).
   * A host new here becomes the newest entry; one already held keeps its place (as the Map this
   * replaces did: it was written once, then its range object changed in place).
   */
  learn(addr: string, baseline: TtlBaseline): void {
    let slot = NONE;
    // An index loop, not for…of: the array iterator was allocated on every call (3.8 of 154 MB
    // sampled on the bench's 512 MiB mix, two per connection; TurboFan did not elide it).
    const values = baseline.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as { ttl: number; count: number };
      const initial = initialTtlOf(v.ttl);
      const hops = initial - v.ttl;
      const code = codeOfInitial(initial);
      if (slot === NONE) {
        slot = this.slotOf(addr);
        if (slot === NONE) {
          slot = this.add(addr);
          this.min[slot] = hops;
          this.max[slot] = hops;
          this.initials[slot] = code;
          this.packets[slot] = 0;
        }
      }
      if (hops < (this.min[slot] as number)) this.min[slot] = hops;
      if (hops > (this.max[slot] as number)) this.max[slot] = hops;
      const word = this.initials[slot] as number;
      if (!hasCode(word, code)) this.initials[slot] = word | (code << (4 * codesIn(word)));
      this.packets[slot] = (this.packets[slot] as number) + v.count;
    }
  }

  private slotOf(addr: string): number {
    const n = ipv4Strict(addr);
    if (n >= 0) return this.keys.find(n, 0, 0);
    return ipv6WordsInto(addr, this.keys.wide, 0) ? this.keys.findWide() : this.keys.findText(addr);
  }

  /** A slot for a host not held, its value arrays long enough. */
  private add(addr: string): number {
    const n = ipv4Strict(addr);
    const slot = n >= 0 ? this.keys.add(n, 0, 0) : ipv6WordsInto(addr, this.keys.wide, 0) ? this.keys.addWide() : this.keys.addText(addr);
    if (slot >= this.packets.length) {
      const length = this.keys.capacity;
      this.min = widen(this.min, length);
      this.max = widen(this.max, length);
      this.initials = widen(this.initials, length);
      this.packets = widen(this.packets, length);
    }
    return slot;
  }
}

/** True when the initials word lists `code`. */
function hasCode(word: number, code: number): boolean {
  for (let w = word; w !== 0; w >>>= 4) if ((w & 15) === code) return true;
  return false;
}

/** How many codes the initials word lists. */
function codesIn(word: number): number {
  let n = 0;
  for (let w = word; w !== 0; w >>>= 4) n++;
  return n;
}
