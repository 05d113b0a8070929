/**
 * The connection table, as Zeek's session manager (src/session/Manager.cc) and
 * IPBasedAnalyzer::NewConn (src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc) keep it: slots
 * with a free list, an open-addressing hash table (linear probing, backward-shift deletion)
 * mapping the 5-tuple hash to the slot, and a pool of IPv6 addresses (four words each) so a slot
 * holds an IPv6 address as one index. No object per connection, no string per packet.
 */
import type { CaptureRecord } from '../capture/record.js';
import * as packetModule from '../decode/packet.js';
import type { DecodedPacket } from '../decode/packet.js';
import { ipv4ToString, ipv6ToString } from './address.js';
import * as historyModule from './history.js';
import { addHistory, forgetHistory } from './history.js';
import { forgetAboveHole } from './reassembly.js';
import * as stateModule from './state.js';
import { type Side, type TrackState, resizeTable } from './state.js';
import { heapRemove } from './timerHeap.js';

// Imported constants as this module's own: TurboFan folds a module's \`const\` into the code, but
// reads an imported binding from its cell and tests it for the hole at every use (~6
// instructions each; --print-opt-code of the per-packet functions).
const { TCP_ACK, TCP_SYN } = packetModule;
const { H_FLIPPED } = historyModule;
const { F_ACTIVE, F_FLIPPED, F_USED, F_V6, ORIG, RESP } = stateModule;

/**
 * The endpoint (slot*2 + side) that sent `pkt` in the connection it belongs to (either
 * direction), -1 if none: the probe's tuple compare already tells the direction, so the caller
 * reads no key column again to find the sender's side (senderSide's rule, IPBasedAnalyzer::AnalyzePacket).
 */
export function lookup(s: TrackState, hash: number, pkt: DecodedPacket): number {
  const mask = s.tableMask;
  let i = hash & mask;
  const v6 = pkt.ipVersion === 6;
  for (;;) {
    const e = s.table[i] ?? 0;
    if (e === 0) return -1;
    const slot = e - 1;
    if ((s.kHash[slot] ?? 0) === hash) {
      const side = tupleSide(s, slot, pkt, v6);
      if (side >= 0) return slot * 2 + side;
    }
    i = (i + 1) & mask;
  }
}

/**
 * ORIG when `pkt` runs from the slot's originator to its responder, RESP when it runs back, -1
 * when it is another tuple. Forward is tested first: a tuple equal to its reverse (same address
 * and port on both ends) is the originator's, as senderSide has it.
 */
function tupleSide(s: TrackState, slot: number, pkt: DecodedPacket, v6: boolean): number {
  const f = s.cFlags[slot] ?? 0;
  if (((f & F_V6) !== 0) !== v6) return -1;
  const ports = s.kPorts[slot] ?? 0;
  const po = ports >>> 16;
  const pr = ports & 0xffff;
  if (!v6) {
    const a = s.kA[slot] ?? 0;
    const b = s.kB[slot] ?? 0;
    const src = pkt.src4 >>> 0;
    const dst = pkt.dst4 >>> 0;
    if (a === src && po === pkt.sport && b === dst && pr === pkt.dport) return ORIG;
    return b === src && pr === pkt.sport && a === dst && po === pkt.dport ? RESP : -1;
  }
  const a = (s.kA[slot] ?? 0) * 4;
  const b = (s.kB[slot] ?? 0) * 4;
  if (po === pkt.sport && pr === pkt.dport && v6Eq(s, a, pkt.src6) && v6Eq(s, b, pkt.dst6)) return ORIG;
  return pr === pkt.sport && po === pkt.dport && v6Eq(s, b, pkt.src6) && v6Eq(s, a, pkt.dst6) ? RESP : -1;
}

function v6Eq(s: TrackState, off: number, w: Uint32Array): boolean {
  const p = s.v6Pool;
  return p[off] === w[0] && p[off + 1] === w[1] && p[off + 2] === w[2] && p[off + 3] === w[3];
}

function v6Store(s: TrackState, w: Uint32Array): number {
  let idx = s.v6Free.pop();
  if (idx === undefined) {
    idx = s.v6Next++;
    if (idx * 4 + 4 > s.v6Pool.length) {
      const grown = new Uint32Array(Math.max(64, s.v6Pool.length * 2));
      grown.set(s.v6Pool);
      s.v6Pool = grown;
    }
  }
  s.v6Pool.set(w, idx * 4);
  return idx;
}

/** The side that sent `pkt` (IPBasedAnalyzer::AnalyzePacket: is_orig = src addr and port are the originator's). */
export function senderSide(s: TrackState, slot: number, pkt: DecodedPacket): Side {
  const ports = s.kPorts[slot] ?? 0;
  if (pkt.sport !== ports >>> 16) return RESP;
  if (pkt.ipVersion === 4) return (s.kA[slot] ?? 0) === pkt.src4 >>> 0 ? ORIG : RESP;
  return v6Eq(s, (s.kA[slot] ?? 0) * 4, pkt.src6) ? ORIG : RESP;
}

/**
 * Takes a free slot (the caller keeps the table under maxLive first). Growing is done in one call
 * that computes its sizes itself: a property read or multiplication only a growth reached had no
 * type feedback, and the first growth after TurboFan compiled this function deoptimised it
 * ("Insufficient type feedback for generic named access" / "for binary operation"). One call for
 * both growths, so that the hash table's first growth (state.ts: within the first hundred
 * connections) gives it feedback before the slot columns' first (past 1,024) needs it.
 */
function allocSlot(s: TrackState): number {
  const slot = s.freeTop > 0 ? (s.freeSlots[--s.freeTop] ?? 0) : s.highWater++;
  const live = ++s.liveCount;
  if (live > s.peakLive) s.peakLive = live;
  // Sized by the connections in slots: held ones (heldConns.ts) have their own table.
  if (slot >= s.cap || (live - s.heldLive) * 4 > (s.tableMask + 1) * 3) growFor(s, slot, live);
  return slot;
}

/** allocSlot's growths: the slot columns when `slot` is past them, the hash table when `live` connections fill it past three quarters. */
function growFor(s: TrackState, slot: number, live: number): void {
  if (slot >= s.cap) growSlots(s);
  if ((live - s.heldLive) * 4 > (s.tableMask + 1) * 3) growTable(s);
}

/**
 * A free slot for a held connection coming back (heldConns.ts): as allocSlot, but the
 * connection is counted live already.
 */
export function takeSlotForHeld(s: TrackState): number {
  let slot: number;
  if (s.freeTop > 0) slot = s.freeSlots[--s.freeTop] ?? 0;
  else {
    if (s.highWater >= s.cap) growSlots(s);
    slot = s.highWater++;
  }
  if ((s.liveCount - s.heldLive + 1) * 4 > (s.tableMask + 1) * 3) growTable(s);
  return slot;
}

/**
 * Frees the slot of a connection that is now held (packed, heldConns.ts), its records already
 * given back: as freeSlot, but the connection stays live and keeps what its packed row refers to
 * (its IPv6 pool entries and its tunnel entry).
 */
export function releaseSlotForHeld(s: TrackState, slot: number): void {
  tableRemove(s, slot);
  vacateSlot(s, slot);
}

/**
 * What freeing a slot and handing it to a held connection share: the slot's flags cleared, its
 * generation moved on, its timer entry and record chains dropped, and the slot on the free stack.
 */
function vacateSlot(s: TrackState, slot: number): void {
  s.cFlags[slot] = 0;
  s.cGen[slot] = ((s.cGen[slot] ?? 0) + 1) >>> 0;
  s.sched[slot] = Number.POSITIVE_INFINITY;
  heapRemove(s.heap, s.heapPos, slot);
  s.ringHead[slot] = -1;
  s.ringTail[slot] = -1;
  s.dirHead[slot * 2] = -1;
  s.dirHead[slot * 2 + 1] = -1;
  s.dirTail[slot * 2] = -1;
  s.dirTail[slot * 2 + 1] = -1;
  s.rstHead[slot] = -1;
  s.rstTail[slot] = -1;
  s.freeSlots[s.freeTop++] = slot;
}

/** Doubles the slot columns (apart from allocSlot, which then has no operation only a growth reaches). */
function growSlots(s: TrackState): void {
  resizeTable(s, s.cap * 2);
}

/** Doubles the hash table. */
function growTable(s: TrackState): void {
  rehash(s, (s.tableMask + 1) * 2);
}

function rehash(s: TrackState, n: number): void {
  s.table = new Int32Array(n);
  s.tableMask = n - 1;
  for (let slot = 0; slot < s.highWater; slot++) {
    if (((s.cFlags[slot] ?? 0) & F_USED) === 0) continue;
    tableInsert(s, slot);
  }
}

/** Puts the slot in the hash table under its kHash. */
export function tableInsert(s: TrackState, slot: number): void {
  const mask = s.tableMask;
  let i = (s.kHash[slot] ?? 0) & mask;
  while ((s.table[i] ?? 0) !== 0) i = (i + 1) & mask;
  s.table[i] = slot + 1;
}

/** Takes the slot out of the hash table. */
export function tableRemove(s: TrackState, slot: number): void {
  const mask = s.tableMask;
  let i = (s.kHash[slot] ?? 0) & mask;
  while ((s.table[i] ?? 0) !== slot + 1) {
    if ((s.table[i] ?? 0) === 0) return;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion keeps linear probing tombstone-free.
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = s.table[j] ?? 0;
    if (e === 0) break;
    const k = (s.kHash[e - 1] ?? 0) & mask;
    // k lies in the cyclic range (i, j]: one test for the wrapped and the plain case (a branch
    // only a wrapped range took had no type feedback, and deoptimised the caller when reached).
    const between = ((k - i) & mask) !== 0 && ((k - i) & mask) <= ((j - i) & mask);
    if (between) continue;
    s.table[i] = e;
    i = j;
  }
  s.table[i] = 0;
}

/**
 * IPBasedAnalyzer::NewConn + TCPAnalyzer::WantConnection + TCPSessionAdapter constructor, for
 * `pkt` captured at `rec.ts` (read here: a double argument is boxed per call).
 */
export function newConn(s: TrackState, hash: number, pkt: DecodedPacket, rec: CaptureRecord): number {
  const slot = allocSlot(s);
  const v6 = pkt.ipVersion === 6;
  const flags = pkt.flags;
  // WantConnection: a connection that starts without a SYN, or with a SYN-ACK, is partial;
  // guess the responder from the ports (partial_connection_ok and tcp_SYN_ack_ok are T).
  let flip = false;
  if ((flags & TCP_SYN) === 0 || (flags & TCP_ACK) !== 0) {
    if (s.serverPorts[pkt.sport] === 1) {
      if (s.serverPorts[pkt.dport] === 1) flip = (flags & TCP_SYN) === 0 && pkt.sport < pkt.dport;
      else flip = true;
    }
  }
  // NewConn: `if ( flip && ! id->dst_addr.IsBroadcast() )`.
  if (flip && !v6 && pkt.dst4 >>> 0 === 0xffffffff) flip = false;
  // Every column of the slot back to its declared fresh value (state.ts), then the new connection's own.
  s.clearer.clear(slot);
  if (v6) {
    const a = v6Store(s, pkt.src6);
    const b = v6Store(s, pkt.dst6);
    s.kA[slot] = flip ? b : a;
    s.kB[slot] = flip ? a : b;
  } else {
    s.kA[slot] = flip ? pkt.dst4 >>> 0 : pkt.src4 >>> 0;
    s.kB[slot] = flip ? pkt.src4 >>> 0 : pkt.dst4 >>> 0;
  }
  s.kPorts[slot] = (flip ? (pkt.dport << 16) | pkt.sport : (pkt.sport << 16) | pkt.dport) >>> 0;
  s.kHash[slot] = hash;
  s.cFlags[slot] = F_USED | F_ACTIVE | (v6 ? F_V6 : 0) | (flip ? F_FLIPPED : 0);
  s.cNumber[slot] = s.nextNumber++;
  s.cGen[slot] = ((s.cGen[slot] ?? 0) + 1) >>> 0;
  s.startTs[slot] = rec.ts;
  s.lastTs[slot] = rec.ts;
  // TCPSessionAdapter(): ExpireTimer at network_time + tcp_SYN_timeout.
  s.expireAt[slot] = s.networkTime + s.synTimeout;
  forgetAboveHole(s, slot);
  tableInsert(s, slot);
  // Connection::FlipRoles adds '^' to the history.
  if (flip) addHistory(s, slot, H_FLIPPED);
  return slot;
}

/** Frees the slot of a finished connection (its records must already be released). */
export function freeSlot(s: TrackState, slot: number): void {
  tableRemove(s, slot);
  if (((s.cFlags[slot] ?? 0) & F_V6) !== 0) s.v6Free.push(s.kA[slot] ?? 0, s.kB[slot] ?? 0);
  forgetHistory(s, slot);
  forgetAboveHole(s, slot);
  s.tunnels.release(s.cTunnel[slot] ?? 0);
  s.cTunnel[slot] = 0;
  vacateSlot(s, slot);
  s.liveCount--;
  s.finishedCount++;
}

/** The address of `side` of the slot's connection as text. */
export function addressOf(s: TrackState, slot: number, side: Side): string {
  const v = side === ORIG ? (s.kA[slot] ?? 0) : (s.kB[slot] ?? 0);
  if (((s.cFlags[slot] ?? 0) & F_V6) === 0) return ipv4ToString(v);
  const p = s.v6Pool;
  const o = v * 4;
  return ipv6ToString(p[o] ?? 0, p[o + 1] ?? 0, p[o + 2] ?? 0, p[o + 3] ?? 0);
}
