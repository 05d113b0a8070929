/**
 * The tunnels a connection's packets came through (the Connection record's `tunnel`, DESIGN.md
 * "Extensions"), kept per tracker slot: the slot's `cTunnel` column (state.ts) holds 1 + the
 * index of an entry here, 0 for none. An entry is one distinct description of the outer layers
 * (type, outer addresses, GRE key / GTP TEID, VXLAN / Geneve VNI, outermost first), shared by
 * every live connection that came through the same layers and counted by them, so a VXLAN
 * capture of ten thousand connections between two hosts holds one entry. The layers of a
 * connection's first tunnelled packet stay (Zeek's conn.log `tunnel_parents` is set from the
 * connection's encapsulation when it is made: Conn.cc Connection constructor, `encapsulation`).
 *
 * Only tunnelled packets of a connection that has no entry yet cost anything (a hash over the
 * outer fields and a bucket walk; no allocation unless a new description is stored and the
 * table grows). Plain traffic pays one comparison in the tracker. Strings are made only when
 * the connection finishes. Every field is a typed array or a number, so the carry snapshot
 * (snapshot.ts) saves and restores the table as it saves any other.
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { type DecodedPacket, MAX_TUNNEL_DEPTH } from '../decode/packet.js';
import { TUNNEL_NAMES } from '../decode/tunnel.js';
import type { TunnelLayer } from '../model/report.js';

/**
 * Distinct descriptions held at once (the column is a Uint16Array: 0 means none). Past this,
 * a new description is not kept and its connection gets no `tunnel` (counted in `notKept`).
 * A mobile core's GTP-U capture has a TEID per bearer: tens of thousands of live descriptions.
 */
export const MAX_TUNNEL_DESCRIPTIONS = 65_535;

/** Words per layer: type | ipVersion << 8 | key present << 16, source (4 words), destination (4), key, VNI. */
const LAYER_WORDS = 11;
/** Words per entry: the layer count, then MAX_TUNNEL_DEPTH layers. */
const ENTRY_WORDS = 1 + MAX_TUNNEL_DEPTH * LAYER_WORDS;
const INITIAL_ENTRIES = 16;

/** Outer-layer descriptions, interned and counted by the live connections that use them. */
export class TunnelTable {
  /** ENTRY_WORDS words per entry (see LAYER_WORDS). */
  words = new Uint32Array(INITIAL_ENTRIES * ENTRY_WORDS);
  /** Per entry: its hash, the next entry of its bucket (+1, 0 ends), and the connections using it (0: free). */
  hashes = new Int32Array(INITIAL_ENTRIES);
  next = new Int32Array(INITIAL_ENTRIES);
  refs = new Uint32Array(INITIAL_ENTRIES);
  /** Bucket heads (entry + 1, 0 empty), a power of two twice the entries. */
  buckets = new Int32Array(INITIAL_ENTRIES * 2);
  /** Entries ever used (the free ones below it are found through `free`). */
  used = 0;
  /** Freed entries to reuse, a stack of `freeTop` entries. */
  free = new Int32Array(INITIAL_ENTRIES);
  freeTop = 0;
  /** Connections whose description was not kept because the table was full. */
  notKept = 0;

  /** 1 + the entry describing `pkt`'s outer layers (made or shared, counted once more), or 0 when the table is full. */
  acquire(pkt: DecodedPacket): number {
    const hash = layersHash(pkt);
    const mask = this.buckets.length - 1;
    for (let e = (this.buckets[hash & mask] ?? 0) - 1; e >= 0; e = (this.next[e] ?? 0) - 1) {
      if (this.hashes[e] === hash && this.matches(e, pkt)) {
        this.refs[e] = (this.refs[e] ?? 0) + 1;
        return e + 1;
      }
    }
    const e = this.allocate();
    if (e < 0) {
      this.notKept++;
      return 0;
    }
    this.store(e, pkt);
    this.hashes[e] = hash;
    this.refs[e] = 1;
    this.link(e);
    return e + 1;
  }

  /** A finished connection lets go of entry `ref - 1` (ref as `acquire` gave it; 0 is none). */
  release(ref: number): void {
    if (ref === 0) return;
    const e = ref - 1;
    const left = (this.refs[e] ?? 1) - 1;
    this.refs[e] = left;
    if (left > 0) return;
    this.unlink(e);
    this.free[this.freeTop++] = e;
  }

  /** The layers of entry `ref - 1` as the report gives them, outermost first (null for 0). */
  layersOf(ref: number): TunnelLayer[] | null {
    if (ref === 0) return null;
    const w = this.words;
    const o = (ref - 1) * ENTRY_WORDS;
    const count = w[o] ?? 0;
    const layers: TunnelLayer[] = [];
    for (let i = 0; i < count; i++) {
      const l = o + 1 + i * LAYER_WORDS;
      const head = w[l] ?? 0;
      const v4 = ((head >>> 8) & 0xff) === 4;
      const layer: TunnelLayer = {
        type: TUNNEL_NAMES[head & 0xff] ?? 'none',
        src: v4 ? formatIpv4(w[l + 1] ?? 0) : formatIpv6(w.subarray(l + 1, l + 5)),
        dst: v4 ? formatIpv4(w[l + 5] ?? 0) : formatIpv6(w.subarray(l + 5, l + 9)),
      };
      if ((head & 0x10000) !== 0) layer.key = w[l + 9] ?? 0;
      const vni = w[l + 10] ?? 0xffffffff;
      if (vni !== 0xffffffff) layer.vni = vni;
      layers.push(layer);
    }
    return layers;
  }

  /** Live descriptions (for tests and statistics). */
  get live(): number {
    return this.used - this.freeTop;
  }

  private matches(e: number, pkt: DecodedPacket): boolean {
    const w = this.words;
    const o = e * ENTRY_WORDS;
    const count = pkt.tunnelCount;
    if (w[o] !== count) return false;
    for (let i = 0; i < count; i++) {
      const l = o + 1 + i * LAYER_WORDS;
      if (w[l] !== headOf(pkt, i)) return false;
      if (pkt.tunnelIpVersion[i] === 4) {
        if (w[l + 1] !== (pkt.tunnelSrc4[i] ?? 0) >>> 0 || w[l + 5] !== (pkt.tunnelDst4[i] ?? 0) >>> 0) return false;
      } else {
        for (let k = 0; k < 4; k++) {
          if (w[l + 1 + k] !== (pkt.tunnelSrc6[4 * i + k] ?? 0) >>> 0 || w[l + 5 + k] !== (pkt.tunnelDst6[4 * i + k] ?? 0) >>> 0) return false;
        }
      }
      if (w[l + 9] !== keyOf(pkt, i) || w[l + 10] !== (pkt.tunnelVni[i] ?? -1) >>> 0) return false;
    }
    return true;
  }

  private store(e: number, pkt: DecodedPacket): void {
    const w = this.words;
    const o = e * ENTRY_WORDS;
    w.fill(0, o, o + ENTRY_WORDS);
    const count = pkt.tunnelCount;
    w[o] = count;
    for (let i = 0; i < count; i++) {
      const l = o + 1 + i * LAYER_WORDS;
      w[l] = headOf(pkt, i);
      if (pkt.tunnelIpVersion[i] === 4) {
        w[l + 1] = pkt.tunnelSrc4[i] ?? 0;
        w[l + 5] = pkt.tunnelDst4[i] ?? 0;
      } else {
        for (let k = 0; k < 4; k++) {
          w[l + 1 + k] = pkt.tunnelSrc6[4 * i + k] ?? 0;
          w[l + 5 + k] = pkt.tunnelDst6[4 * i + k] ?? 0;
        }
      }
      w[l + 9] = keyOf(pkt, i);
      w[l + 10] = (pkt.tunnelVni[i] ?? -1) >>> 0;
    }
  }

  /** A free entry (grown when none is left), or -1 when the table holds its maximum. */
  private allocate(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop] ?? -1;
    if (this.used === this.refs.length) {
      if (this.used >= MAX_TUNNEL_DESCRIPTIONS) return -1;
      this.grow(Math.min(MAX_TUNNEL_DESCRIPTIONS, this.used * 2));
    }
    return this.used++;
  }

  private grow(entries: number): void {
    const words = new Uint32Array(entries * ENTRY_WORDS);
    words.set(this.words);
    this.words = words;
    this.hashes = copyInto(new Int32Array(entries), this.hashes);
    this.next = copyInto(new Int32Array(entries), this.next);
    this.refs = copyInto(new Uint32Array(entries), this.refs);
    this.free = copyInto(new Int32Array(entries), this.free);
    // Rehash the live entries into twice as many buckets.
    let size = this.buckets.length;
    while (size < entries * 2) size *= 2;
    this.buckets = new Int32Array(size);
    for (let e = 0; e < this.used; e++) if ((this.refs[e] ?? 0) > 0) this.link(e);
  }

  private link(e: number): void {
    const b = (this.hashes[e] ?? 0) & (this.buckets.length - 1);
    this.next[e] = this.buckets[b] ?? 0;
    this.buckets[b] = e + 1;
  }

  private unlink(e: number): void {
    const b = (this.hashes[e] ?? 0) & (this.buckets.length - 1);
    let at = this.buckets[b] ?? 0;
    if (at === e + 1) {
      this.buckets[b] = this.next[e] ?? 0;
      return;
    }
    while (at !== 0) {
      const n = this.next[at - 1] ?? 0;
      if (n === e + 1) {
        this.next[at - 1] = this.next[e] ?? 0;
        return;
      }
      at = n;
    }
  }
}

function copyInto<A extends Int32Array | Uint32Array>(to: A, from: A): A {
  to.set(from);
  return to;
}

/** A layer's first word: its type, its IP version and whether it has a key. */
function headOf(pkt: DecodedPacket, i: number): number {
  return ((pkt.tunnelType[i] ?? 0) | ((pkt.tunnelIpVersion[i] ?? 0) << 8) | ((pkt.tunnelKey[i] ?? -1) >= 0 ? 0x10000 : 0)) >>> 0;
}

/** A layer's key (GRE key, GTP TEID: 32 bits), 0 when it has none. */
function keyOf(pkt: DecodedPacket, i: number): number {
  const key = pkt.tunnelKey[i] ?? -1;
  return key >= 0 ? key >>> 0 : 0;
}

/** FNV-1a-style mix of the outer fields (int32), the same for equal descriptions. */
function layersHash(pkt: DecodedPacket): number {
  let h = 0x811c9dc5 ^ pkt.tunnelCount;
  for (let i = 0; i < pkt.tunnelCount; i++) {
    h = Math.imul(h ^ headOf(pkt, i), 0x01000193);
    if (pkt.tunnelIpVersion[i] === 4) {
      h = Math.imul(h ^ (pkt.tunnelSrc4[i] ?? 0), 0x01000193);
      h = Math.imul(h ^ (pkt.tunnelDst4[i] ?? 0), 0x01000193);
    } else {
      for (let k = 0; k < 4; k++) {
        h = Math.imul(h ^ (pkt.tunnelSrc6[4 * i + k] ?? 0), 0x01000193);
        h = Math.imul(h ^ (pkt.tunnelDst6[4 * i + k] ?? 0), 0x01000193);
      }
    }
    h = Math.imul(h ^ keyOf(pkt, i), 0x01000193);
    h = Math.imul(h ^ (pkt.tunnelVni[i] ?? -1), 0x01000193);
  }
  return h | 0;
}
