/**
 * Connections held for Zeek's close delay, packed (issue 13). A closed or reset connection stays
 * for tcp_close_delay (5 s of capture time: ConnDeleteTimer, TCPSessionAdapter::ConnectionClosed)
 * to collect late packets; at a scanner's rate (300,000 connections a second) that is 1.5 million
 * connections waiting, each a wide slot (~480 bytes of columns, twice that with the doubling),
 * its kept packets and RST records (~200 bytes). When the table is large (TrackerOptions
 * holdAtLive) a connection whose only timer left is its delete timer is, once `holdQuiet` other
 * connections have closed after it, packed into a few dozen bytes (heldCodec.ts: its row, its
 * records and snapshots, exact) and its slot and records freed; an entry of the HeldStore keeps
 * its tuple, number and deadline.
 *
 * - A late packet for it (the lookup misses the slots: lookupHeld) unpacks it into a slot, with its
 *   timer entry, and it is processed as it would have been.
 * - Its delete timer fires in Zeek's order (deadline, then connection number) among the slots'
 *   timers: entries are appended in that order only (a connection that would come before the
 *   last entry stays wide), so the store's head is its next; timers.ts advance takes the earlier
 *   of the heap's top and the head, unpacks the head into a slot and runs its timers there.
 * - End of capture (finish.ts) and eviction (timers.ts) take held connections as slots' ones.
 * - A carry snapshot (snapshot.ts) unpacks every held connection first: the carried state is a
 *   tracker's without held connections, in the format it had.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { releaseSlotForHeld, tableInsert, takeSlotForHeld } from './connTable.js';
import { ByteIn, Emitter, KIND_TIME, K_T, type Layout, forward, inverse, readEntries, rowLayout, snapshotLayout } from './heldCodec.js';
import { ARENA_CHUNK, ARENA_CHUNKS, ARENA_CHUNK_BITS, type HeldStore, MAX_TEMPLATES } from './heldStore.js';
import { REC_RESP, allocRecord, fitSnapshots, freeRecord, linkAfter, nextOf } from './recordPool.js';
import { F_USED, F_V6, type TrackState } from './state.js';
import { heapSet } from './timerHeap.js';

const INF = Number.POSITIVE_INFINITY;
/** Words of a packet record in the vector: ts, frame, seq, ack, flags|win, len, IP ID, TTL|options. */
const REC_FIELDS = 8;
/** Chains of a held connection's records, counted in the vector after the row: pinned, orig's, resp's, RSTs. */
const CHAINS = 4;
/** A connection written with more entries than this against the current template becomes the template. */
const TEMPLATE_REFRESH = 24;
/** Ids stay int32 (the hash table holds id + 1). */
const MAX_ID = 0x7ffffff0;

let ROW: Layout | null = null;
let SNAP: Layout | null = null;

function layouts(s: TrackState): Layout {
  if (ROW === null) {
    ROW = rowLayout(s);
    SNAP = snapshotLayout(s.rstCtx);
  }
  return ROW;
}

/** The row layout (for tests). */
export function heldRowLayout(s: TrackState): Layout {
  return layouts(s);
}

/** The RST snapshot layout (for tests). */
export function heldSnapshotLayout(s: TrackState): Layout {
  layouts(s);
  return SNAP as Layout;
}

// ---- scratch (reused: packing allocates nothing once grown)
let V = new Float64Array(1024);
let K = new Uint8Array(1024);
const E = new Emitter();
const inp = new ByteIn();

function fitScratch(n: number): void {
  if (V.length >= n) return;
  let m = V.length;
  while (m < n) m *= 2;
  V = new Float64Array(m);
  K = new Uint8Array(m);
}

// ---- which connections may be held

/** True when one of the connection's recorded RSTs carries payload bytes (kept in a Map: not packed). */
function hasRstPayload(s: TrackState, slot: number): boolean {
  for (let i = s.rstHead[slot] ?? -1; i >= 0; i = nextOf(s.rst, i)) if (s.rstPayload.has(i)) return true;
  return false;
}

/**
 * True when the slot's connection waits only for its delete timer, now its earliest and at the
 * heap entry's time, comes after the last held one in timer order, and keeps nothing outside its
 * columns and records (a spilled history, ranges above a hole, RST payload: rare, left wide).
 */
function canHold(s: TrackState, slot: number): boolean {
  if (((s.cFlags[slot] ?? 0) & F_USED) === 0) return false;
  const del = s.deleteAt[slot] ?? INF;
  if (
    !(del < INF) ||
    del <= s.networkTime ||
    s.sched[slot] !== del ||
    s.attemptAt[slot] !== INF ||
    s.expireAt[slot] !== INF ||
    s.expire2At[slot] !== INF ||
    s.resetAt[slot] !== INF
  )
    return false;
  const h = s.held;
  const num = s.cNumber[slot] ?? 0;
  if (del < h.lastDeadline || (del === h.lastDeadline && num < h.lastNum) || h.tail >= MAX_ID) return false;
  if (s.histSpill.size > 0 && s.histSpill.has(slot)) return false;
  if (s.blocks.size > 0 && (s.blocks.has(slot * 2) || s.blocks.has(slot * 2 + 1))) return false;
  if (s.rstPayload.size > 0 && hasRstPayload(s, slot)) return false;
  return true;
}

/**
 * A connection entered the close delay (its delete timer is set) while the table is large: it is
 * packed once `quiet` others have come after it (at once when 0), if it still only waits then.
 */
export function noteClosing(s: TrackState, slot: number): void {
  const h = s.held;
  if (h.quiet === 0) {
    if (canHold(s, slot)) hold(s, slot);
    return;
  }
  const mask = h.candSlot.length - 1;
  if (h.candCount >= h.quiet) {
    const c = h.candHead;
    h.candHead = (c + 1) & mask;
    h.candCount--;
    const old = h.candSlot[c] ?? 0;
    if ((s.cGen[old] ?? 0) === h.candGen[c] && canHold(s, old)) hold(s, old);
  }
  const at = (h.candHead + h.candCount) & mask;
  h.candSlot[at] = slot;
  h.candGen[at] = s.cGen[slot] ?? 0;
  h.candCount++;
}

// ---- packing

/** Writes record `i` of `pool` as REC_FIELDS positions of V/K at `p`; returns its frame (the next record's base). */
function putRecord(pool: TrackState['ring'], i: number, p: number, prevFrame: number, last: number, s0: number, s1: number): number {
  const d = pool.d;
  const o = i * 8;
  forward(KIND_TIME, pool.ts[i] ?? 0, last, V, K, p);
  const frame = d[o] ?? 0;
  const fw = d[o + 3] ?? 0;
  const resp = (fw & REC_RESP) !== 0;
  V[p + 1] = (frame - prevFrame) | 0;
  V[p + 2] = ((d[o + 1] ?? 0) - (resp ? s1 : s0)) | 0;
  V[p + 3] = ((d[o + 2] ?? 0) - (resp ? s0 : s1)) | 0;
  V[p + 4] = fw;
  V[p + 5] = d[o + 4] ?? 0;
  V[p + 6] = d[o + 5] ?? 0;
  V[p + 7] = d[o + 6] ?? 0;
  K.fill(K_T, p + 1, p + REC_FIELDS);
  return frame;
}

function chainLength(pool: TrackState['ring'], head: number): number {
  let n = 0;
  for (let i = head; i >= 0; i = nextOf(pool, i)) n++;
  return n;
}

/**
 * Writes the connection's whole vector into V/K (the row, the chain lengths, the records and
 * their snapshots) by the layouts' straight-line fills; returns its length.
 */
function fillConn(s: TrackState, slot: number, del: number): number {
  const row = layouts(s);
  const snap = SNAP as Layout;
  const NR = row.n;
  const ring = s.ring;
  const h0 = s.ringHead[slot] ?? -1;
  const h1 = s.dirHead[slot * 2] ?? -1;
  const h2 = s.dirHead[slot * 2 + 1] ?? -1;
  const h3 = s.rstHead[slot] ?? -1;
  const n0 = chainLength(ring, h0);
  const n1 = chainLength(ring, h1);
  const n2 = chainLength(ring, h2);
  const n3 = chainLength(s.rst, h3);
  const L = NR + CHAINS + (n0 + n1 + n2) * REC_FIELDS + n3 * (REC_FIELDS + snap.n);
  fitScratch(L);
  row.fill(s, slot, V, K, 0, del, 0, 0, 0);
  V[NR] = n0;
  V[NR + 1] = n1;
  V[NR + 2] = n2;
  V[NR + 3] = n3;
  K.fill(K_T, NR, NR + CHAINS);
  const last = s.lastTs[slot] ?? 0;
  const s0 = s.eStart[slot * 2] ?? 0;
  const s1 = s.eStart[slot * 2 + 1] ?? 0;
  let p = NR + CHAINS;
  let prevFrame = ((s.cNumber[slot] ?? 0) * 2) | 0;
  for (let c = 0; c < 3; c++) {
    for (let i = c === 0 ? h0 : c === 1 ? h1 : h2; i >= 0; i = nextOf(ring, i)) {
      prevFrame = putRecord(ring, i, p, prevFrame, last, s0, s1);
      p += REC_FIELDS;
    }
  }
  for (let i = h3; i >= 0; i = nextOf(s.rst, i)) {
    prevFrame = putRecord(s.rst, i, p, prevFrame, last, s0, s1);
    p += REC_FIELDS;
    snap.fill(s.rstCtx, i, V, K, p, del, last, s0, s1);
    p += snap.n;
  }
  return L;
}

/** One time's forward value and code (encodeRecord's scratch). */
const V1 = new Float64Array(1);
const K1 = new Uint8Array(1);

/** Writes record `i` of `pool` at position `p` to E (its entries that differ from the template); returns its frame. */
function encodeRecord(pool: TrackState['ring'], i: number, p: number, prevFrame: number, last: number, s0: number, s1: number): number {
  const d = pool.d;
  const o = i * 8;
  forward(KIND_TIME, pool.ts[i] ?? 0, last, V1, K1, 0);
  E.at(p, V1[0] ?? 0, K1[0] ?? 0);
  const frame = d[o] ?? 0;
  const fw = d[o + 3] ?? 0;
  const resp = (fw & REC_RESP) !== 0;
  E.at(p + 1, (frame - prevFrame) | 0, K_T);
  E.at(p + 2, ((d[o + 1] ?? 0) - (resp ? s1 : s0)) | 0, K_T);
  E.at(p + 3, ((d[o + 2] ?? 0) - (resp ? s0 : s1)) | 0, K_T);
  E.at(p + 4, fw, K_T);
  E.at(p + 5, d[o + 4] ?? 0, K_T);
  E.at(p + 6, d[o + 5] ?? 0, K_T);
  E.at(p + 7, d[o + 6] ?? 0, K_T);
  return frame;
}

/**
 * Writes the connection's entries against template `t` into E.out, each position's value
 * compared with the template's where it is made (fillConn's vector, never written out); returns
 * the vector's length.
 */
function encodeConn(s: TrackState, slot: number, del: number, t: number): number {
  const h = s.held;
  const row = layouts(s);
  const snap = SNAP as Layout;
  const NR = row.n;
  const ring = s.ring;
  const h0 = s.ringHead[slot] ?? -1;
  const h1 = s.dirHead[slot * 2] ?? -1;
  const h2 = s.dirHead[slot * 2 + 1] ?? -1;
  const h3 = s.rstHead[slot] ?? -1;
  const n0 = chainLength(ring, h0);
  const n1 = chainLength(ring, h1);
  const n2 = chainLength(ring, h2);
  const n3 = chainLength(s.rst, h3);
  const L = NR + CHAINS + (n0 + n1 + n2) * REC_FIELDS + n3 * (REC_FIELDS + snap.n);
  E.begin(L, h.tmplV[t] as Float64Array, h.tmplK[t] as Uint8Array);
  row.encode(s, slot, E, 0, del, 0, 0, 0);
  E.at(NR, n0, K_T);
  E.at(NR + 1, n1, K_T);
  E.at(NR + 2, n2, K_T);
  E.at(NR + 3, n3, K_T);
  const last = s.lastTs[slot] ?? 0;
  const s0 = s.eStart[slot * 2] ?? 0;
  const s1 = s.eStart[slot * 2 + 1] ?? 0;
  let p = NR + CHAINS;
  let prevFrame = ((s.cNumber[slot] ?? 0) * 2) | 0;
  for (let c = 0; c < 3; c++) {
    for (let i = c === 0 ? h0 : c === 1 ? h1 : h2; i >= 0; i = nextOf(ring, i)) {
      prevFrame = encodeRecord(ring, i, p, prevFrame, last, s0, s1);
      p += REC_FIELDS;
    }
  }
  for (let i = h3; i >= 0; i = nextOf(s.rst, i)) {
    prevFrame = encodeRecord(s.rst, i, p, prevFrame, last, s0, s1);
    p += REC_FIELDS;
    snap.encode(s.rstCtx, i, E, p, del, last, s0, s1);
    p += snap.n;
  }
  E.end();
  return L;
}

/** Writes the entries of vector V/K[0, L) against template `t` into E.out. */
function encodeVector(h: HeldStore, L: number, t: number): void {
  E.begin(L, h.tmplV[t] as Float64Array, h.tmplK[t] as Uint8Array);
  E.diff(V, K, L);
  E.end();
}

/** Makes the vector V/K[0, L) a template, the current one; returns its id, or -1 when all are in use. */
function newTemplate(h: HeldStore, L: number): number {
  let id = h.tmplFree.pop();
  if (id === undefined) {
    if (h.tmplV.length >= MAX_TEMPLATES) return -1;
    id = h.tmplV.length;
    h.tmplV.push(new Float64Array(0));
    h.tmplK.push(new Uint8Array(0));
  }
  h.tmplV[id] = V.slice(0, L);
  h.tmplK[id] = K.slice(0, L);
  h.tmplRefs[id] = 0;
  const old = h.current;
  h.current = id;
  if (old !== 0 && (h.tmplRefs[old] ?? 0) === 0) freeTemplate(h, old);
  return id;
}

function freeTemplate(h: HeldStore, id: number): void {
  h.tmplV[id] = new Float64Array(0);
  h.tmplK[id] = new Uint8Array(0);
  h.tmplFree.push(id);
}

/** Where `n` bytes go in the arena: arenaTail, or the start of the next chunk when they do not fit in its chunk. */
function arenaPlace(h: HeldStore, n: number): number {
  let at = h.arenaTail;
  const within = at & (ARENA_CHUNK - 1);
  if (within + n > ARENA_CHUNK) at = (at + ARENA_CHUNK - within) >>> 0;
  const c = at >>> ARENA_CHUNK_BITS;
  if (h.chunks[c] === null) {
    h.chunks[c] = h.spareChunks.pop() ?? new Uint8Array(ARENA_CHUNK);
    h.chunkCount++;
  }
  return at;
}

/** Gives back the chunks from `from`'s up to (not including) `to`'s: the head has passed them. */
function releaseChunks(h: HeldStore, from: number, to: number): void {
  const end = to >>> ARENA_CHUNK_BITS;
  for (let c = from >>> ARENA_CHUNK_BITS; c !== end; c = (c + 1) % ARENA_CHUNKS) {
    const chunk = h.chunks[c] ?? null;
    if (chunk === null) continue;
    h.chunks[c] = null;
    h.chunkCount--;
    if (h.spareChunks.length < 2) h.spareChunks.push(chunk);
  }
}

/** Room for one more entry in the ring. */
function fitEntries(h: HeldStore): void {
  if (h.tail - h.head < h.cap) return;
  const cap = Math.max(1024, h.cap * 2);
  const mask = cap - 1;
  // Copied in runs (at most three: where the old ring or the new one wraps) by the typed arrays'
  // own set: an element-by-element loop here read and wrote nine kinds of typed array through
  // one generic function, a megamorphic access each (~900 instructions per held connection,
  // amortised, on a 200k-connection flood at 300,000/s).
  const move = <A extends Float64Array | Uint32Array | Int32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
    const b = make(cap);
    for (let id = h.head; id < h.tail; ) {
      const from = id & h.mask;
      const to = id & mask;
      const len = Math.min(h.tail - id, h.cap - from, cap - to);
      b.set(a.subarray(from, from + len), to);
      id += len;
    }
    return b;
  };
  h.eHash = move(h.eHash, (n) => new Int32Array(n));
  h.eA = move(h.eA, (n) => new Uint32Array(n));
  h.eB = move(h.eB, (n) => new Uint32Array(n));
  h.ePorts = move(h.ePorts, (n) => new Uint32Array(n));
  h.eNum = move(h.eNum, (n) => new Uint32Array(n));
  h.eDeadline = move(h.eDeadline, (n) => new Float64Array(n));
  h.eOff = move(h.eOff, (n) => new Uint32Array(n));
  h.eFlags = move(h.eFlags, (n) => new Uint8Array(n));
  h.eTmpl = move(h.eTmpl, (n) => new Uint8Array(n));
  h.cap = cap;
  h.mask = mask;
}

function heldInsert(h: HeldStore, id: number): void {
  if ((h.live + 1) * 4 > (h.tableMask + 1) * 3) {
    const n = (h.tableMask + 1) * 2;
    h.table = new Int32Array(n);
    h.tableMask = n - 1;
    for (let j = h.head; j < h.tail; j++) if ((h.eFlags[j & h.mask] ?? 0) !== 0) heldPut(h, j);
  }
  heldPut(h, id);
}

function heldPut(h: HeldStore, id: number): void {
  const mask = h.tableMask;
  let i = (h.eHash[id & h.mask] ?? 0) & mask;
  while ((h.table[i] ?? 0) !== 0) i = (i + 1) & mask;
  h.table[i] = id + 1;
}

/** Takes id out of the hash table (backward-shift deletion, as connTable.ts tableRemove). */
function heldRemove(h: HeldStore, id: number): void {
  const mask = h.tableMask;
  let i = (h.eHash[id & h.mask] ?? 0) & mask;
  while ((h.table[i] ?? 0) !== id + 1) {
    if ((h.table[i] ?? 0) === 0) return;
    i = (i + 1) & mask;
  }
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = h.table[j] ?? 0;
    if (e === 0) break;
    const k = (h.eHash[(e - 1) & h.mask] ?? 0) & mask;
    const between = ((k - i) & mask) !== 0 && ((k - i) & mask) <= ((j - i) & mask);
    if (between) continue;
    h.table[i] = e;
    i = j;
  }
  h.table[i] = 0;
}

/** Packs the slot's connection (canHold said yes) and frees its slot and records. */
export function hold(s: TrackState, slot: number): void {
  const h = s.held;
  const del = s.deleteAt[slot] ?? 0;
  let t = h.current;
  encodeConn(s, slot, del, t);
  if (E.count > TEMPLATE_REFRESH) {
    // This connection becomes the template: its whole vector.
    const L = fillConn(s, slot, del);
    const made = newTemplate(h, L);
    if (made >= 0) {
      t = made;
      encodeVector(h, L, t);
    }
  }
  const out = E.out;
  const at = arenaPlace(h, out.n);
  fitEntries(h);
  const id = h.tail++;
  const x = id & h.mask;
  const f = s.cFlags[slot] ?? 0;
  h.eHash[x] = s.kHash[slot] ?? 0;
  h.eA[x] = s.kA[slot] ?? 0;
  h.eB[x] = s.kB[slot] ?? 0;
  h.ePorts[x] = s.kPorts[slot] ?? 0;
  const num = s.cNumber[slot] ?? 0;
  h.eNum[x] = num;
  h.eDeadline[x] = del;
  h.eOff[x] = at;
  h.eFlags[x] = 1 | ((f & F_V6) !== 0 ? 2 : 0);
  h.eTmpl[x] = t;
  h.tmplRefs[t] = (h.tmplRefs[t] ?? 0) + 1;
  // Byte by byte: a few dozen, where a subarray view per connection was garbage.
  const chunk = h.chunks[at >>> ARENA_CHUNK_BITS] as Uint8Array;
  const buf = out.buf;
  for (let i = 0, o = at & (ARENA_CHUNK - 1); i < out.n; i++, o++) chunk[o] = buf[i] ?? 0;
  h.arenaTail = (at + out.n) >>> 0;
  h.lastDeadline = del;
  h.lastNum = num;
  heldInsert(h, id);
  h.live++;
  h.packed++;
  if (s.heldLive++ === 0) s.heldNext = del;
  // The records go back to their pools (the ring's stay counted against its limit).
  let ringN = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = c === 0 ? (s.ringHead[slot] ?? -1) : (s.dirHead[slot * 2 + c - 1] ?? -1); i >= 0; ) {
      const nx = nextOf(s.ring, i);
      freeRecord(s.ring, i);
      ringN++;
      i = nx;
    }
  }
  s.ring.held += ringN;
  for (let i = s.rstHead[slot] ?? -1; i >= 0; ) {
    const nx = nextOf(s.rst, i);
    freeRecord(s.rst, i);
    i = nx;
  }
  releaseSlotForHeld(s, slot);
}

// ---- unpacking

/** Reads the held entry's bytes into V/K; returns the vector's length. */
function decode(h: HeldStore, x: number): number {
  const off = h.eOff[x] ?? 0;
  inp.bytes = h.chunks[off >>> ARENA_CHUNK_BITS] as Uint8Array;
  inp.mask = ARENA_CHUNK - 1;
  inp.pos = off & (ARENA_CHUNK - 1);
  const t = h.eTmpl[x] ?? 0;
  const TV = h.tmplV[t] as Float64Array;
  const at = inp.pos;
  fitScratch(TV.length + inp.zigzag() + 64);
  inp.pos = at;
  return readEntries(inp, TV, h.tmplK[t] as Uint8Array, V, K);
}

/** Record fields of the vector at `p` into record `r` of `pool`; returns its frame. */
function getRecord(pool: TrackState['ring'], r: number, p: number, prevFrame: number, last: number, s0: number, s1: number): number {
  const d = pool.d;
  const o = r * 8;
  pool.ts[r] = inverse(KIND_TIME, V[p] ?? 0, K[p] ?? 0, last);
  // Every other field is an integer (K_T): the frame, seq and ack measured from their bases.
  const frame = (prevFrame + (V[p + 1] ?? 0)) | 0;
  const fw = V[p + 4] ?? 0;
  const resp = (fw & REC_RESP) !== 0;
  d[o] = frame;
  d[o + 1] = ((resp ? s1 : s0) + (V[p + 2] ?? 0)) | 0;
  d[o + 2] = ((resp ? s0 : s1) + (V[p + 3] ?? 0)) | 0;
  d[o + 3] = fw;
  d[o + 4] = V[p + 5] ?? 0;
  d[o + 5] = V[p + 6] ?? 0;
  d[o + 6] = V[p + 7] ?? 0;
  d[o + 7] = -1;
  return frame;
}

/**
 * Unpacks held entry `id` into a slot: its row, keys, records and snapshots as they were; with
 * its timer entry and in the hash table when `intoHeap` (it goes on living), else only to be
 * finished at once by the caller. Takes the entry out of the store; returns the slot.
 */
export function unhold(s: TrackState, id: number, intoHeap: boolean): number {
  const h = s.held;
  const row = layouts(s);
  const snap = SNAP as Layout;
  const NR = row.n;
  const x = id & h.mask;
  const del = h.eDeadline[x] ?? 0;
  decode(h, x);
  const slot = takeSlotForHeld(s);
  row.decode(s, slot, V, K, 0, del, 0, 0, 0);
  s.kHash[slot] = h.eHash[x] ?? 0;
  s.kA[slot] = h.eA[x] ?? 0;
  s.kB[slot] = h.eB[x] ?? 0;
  s.kPorts[slot] = h.ePorts[x] ?? 0;
  const num = h.eNum[x] ?? 0;
  s.cNumber[slot] = num;
  s.cGen[slot] = ((s.cGen[slot] ?? 0) + 1) >>> 0;
  const last = s.lastTs[slot] ?? 0;
  const s0 = s.eStart[slot * 2] ?? 0;
  const s1 = s.eStart[slot * 2 + 1] ?? 0;
  // Records, relinked in their chains.
  let p = NR + CHAINS;
  let prevFrame = (num * 2) | 0;
  s.ring.held -= (V[NR] ?? 0) + (V[NR + 1] ?? 0) + (V[NR + 2] ?? 0);
  for (let c = 0; c < 3; c++) {
    const n = V[NR + c] ?? 0;
    let head = -1;
    let tail = -1;
    for (let j = 0; j < n; j++) {
      const r = allocRecord(s.ring);
      prevFrame = getRecord(s.ring, r, p, prevFrame, last, s0, s1);
      p += REC_FIELDS;
      if (tail < 0) head = r;
      else linkAfter(s.ring, tail, r);
      tail = r;
    }
    if (c === 0) {
      s.ringHead[slot] = head;
      s.ringTail[slot] = tail;
    } else {
      s.dirHead[slot * 2 + c - 1] = head;
      s.dirTail[slot * 2 + c - 1] = tail;
    }
  }
  const rstN = V[NR + 3] ?? 0;
  let head = -1;
  let tail = -1;
  for (let j = 0; j < rstN; j++) {
    const r = allocRecord(s.rst);
    fitSnapshots(s.rstCtx, s.rst);
    prevFrame = getRecord(s.rst, r, p, prevFrame, last, s0, s1);
    p += REC_FIELDS;
    snap.decode(s.rstCtx, r, V, K, p, del, last, s0, s1);
    p += snap.n;
    if (tail < 0) head = r;
    else linkAfter(s.rst, tail, r);
    tail = r;
  }
  s.rstHead[slot] = head;
  s.rstTail[slot] = tail;
  // Into the hash table only when it goes on living: one unpacked to be finished at once (its
  // timer fired, an eviction, the end of capture) is never looked up, and freeSlot's
  // tableRemove then finds nothing to take out.
  if (intoHeap) tableInsert(s, slot);
  // The entry leaves the store.
  heldRemove(h, id);
  h.eFlags[x] = 0;
  h.live--;
  s.heldLive--;
  const t = h.eTmpl[x] ?? 0;
  const refs = (h.tmplRefs[t] ?? 0) - 1;
  h.tmplRefs[t] = refs;
  if (refs === 0 && t !== 0 && t !== h.current) freeTemplate(h, t);
  if (id === h.head) {
    while (h.head < h.tail && (h.eFlags[h.head & h.mask] ?? 0) === 0) h.head++;
    const next = h.head < h.tail ? (h.eOff[h.head & h.mask] ?? 0) : h.arenaTail;
    releaseChunks(h, h.arenaHead, next);
    h.arenaHead = next;
  }
  s.heldNext = h.live > 0 ? (h.eDeadline[h.head & h.mask] ?? INF) : INF;
  if (intoHeap) heapSet(s.heap, s.heapPos, s.sched, slot, num);
  return slot;
}

/** True when the first held connection's timer comes before the heap's top (or the heap is empty). */
export function heldFirst(s: TrackState): boolean {
  const h = s.held;
  if (h.live === 0) return false;
  const heap = s.heap;
  if (heap.size === 0) return true;
  const t = s.heldNext;
  const top = heap.time[0] ?? 0;
  return t < top || (t === top && (h.eNum[h.head & h.mask] ?? 0) < (heap.num[0] ?? 0));
}

/** Unpacks the first held connection (the next to fire), without a timer entry; returns its slot. */
export function unholdFirst(s: TrackState): number {
  return unhold(s, s.held.head, false);
}

/**
 * The held connection `pkt` belongs to, unpacked into a slot with its timer entry; false when
 * none. The caller looks the packet up again (connTable.ts lookup) to find its side.
 */
export function lookupHeld(s: TrackState, hash: number, pkt: DecodedPacket): boolean {
  const h = s.held;
  const mask = h.tableMask;
  const v6 = pkt.ipVersion === 6;
  for (let i = hash & mask; ; i = (i + 1) & mask) {
    const e = h.table[i] ?? 0;
    if (e === 0) return false;
    const id = e - 1;
    const x = id & h.mask;
    if ((h.eHash[x] ?? 0) !== hash || ((h.eFlags[x] ?? 0) & 2) !== (v6 ? 2 : 0) || !sameTuple(s, h, x, pkt, v6)) continue;
    h.unpackedEarly++;
    unhold(s, id, true);
    return true;
  }
}

function sameTuple(s: TrackState, h: HeldStore, x: number, pkt: DecodedPacket, v6: boolean): boolean {
  const ports = h.ePorts[x] ?? 0;
  const po = ports >>> 16;
  const pr = ports & 0xffff;
  const a = h.eA[x] ?? 0;
  const b = h.eB[x] ?? 0;
  if (!v6) {
    const src = pkt.src4 >>> 0;
    const dst = pkt.dst4 >>> 0;
    return (a === src && po === pkt.sport && b === dst && pr === pkt.dport) || (b === src && pr === pkt.sport && a === dst && po === pkt.dport);
  }
  const eq = (off: number, w: Uint32Array): boolean => {
    const q = s.v6Pool;
    return q[off] === w[0] && q[off + 1] === w[1] && q[off + 2] === w[2] && q[off + 3] === w[3];
  };
  return (po === pkt.sport && pr === pkt.dport && eq(a * 4, pkt.src6) && eq(b * 4, pkt.dst6)) || (pr === pkt.sport && po === pkt.dport && eq(b * 4, pkt.src6) && eq(a * 4, pkt.dst6));
}

/**
 * The live held ids in order of connection number (for the end of capture). Sorted as numbers
 * (number * 2^22 + the id's place in the ring, exact below 2^53) by the typed array's own sort:
 * a comparator called from the sort cost ~700 instructions per connection at a flood's end. The
 * sorted keys are turned into ids in place: a plain array of ids beside them (8 bytes an element
 * in old space, grown by copies as it was pushed) lived through the whole end of capture, ~17 MB
 * at 1.44 million held connections (flood-5M-r300k), at the run's peak of memory.
 */
export function heldByNumber(s: TrackState): Float64Array {
  const h = s.held;
  const span = h.tail - h.head;
  const keys = new Float64Array(h.live);
  let n = 0;
  if (span < 4194304) {
    for (let id = h.head; id < h.tail; id++) if ((h.eFlags[id & h.mask] ?? 0) !== 0) keys[n++] = (h.eNum[id & h.mask] ?? 0) * 4194304 + (id - h.head);
    keys.sort();
    for (let i = 0; i < n; i++) keys[i] = h.head + ((keys[i] ?? 0) % 4194304);
    return keys.subarray(0, n);
  }
  for (let id = h.head; id < h.tail; id++) if ((h.eFlags[id & h.mask] ?? 0) !== 0) keys[n++] = id;
  const ids = keys.subarray(0, n);
  ids.sort((a, b) => (h.eNum[a & h.mask] ?? 0) - (h.eNum[b & h.mask] ?? 0));
  return ids;
}

/**
 * The end of capture (finish.ts finishAll), before heldByNumber: no packet comes any more, so no
 * held connection is looked up again, and the hash table (8-16 MB of Int32Array at a scanner's
 * flood's ~1.44 million held connections) goes before the sorted keys are made, at the run's
 * memory peak. An empty table is a consistent one: unhold's heldRemove finds nothing to take
 * out, and heldInsert grows it again from the live entries if any are ever held again.
 */
export function dropHeldTable(h: HeldStore): void {
  h.table = new Int32Array(1024);
  h.tableMask = 1023;
}

/**
 * Once nothing is held (the end of capture), the entry columns (~34 bytes an entry, 71 MB at
 * 2^21 entries) go back to empty: fitEntries grows them again from 1,024 if ever needed. The
 * reports' ends (the HTML page, the Zeek logs' close) run after this on one thread, while the
 * tracker's state is still referenced.
 */
export function releaseHeldEntries(h: HeldStore): void {
  if (h.live !== 0 || h.head !== h.tail) return;
  h.eHash = new Int32Array(0);
  h.eA = new Uint32Array(0);
  h.eB = new Uint32Array(0);
  h.ePorts = new Uint32Array(0);
  h.eNum = new Uint32Array(0);
  h.eDeadline = new Float64Array(0);
  h.eOff = new Uint32Array(0);
  h.eFlags = new Uint8Array(0);
  h.eTmpl = new Uint8Array(0);
  h.cap = 0;
  h.mask = 0;
  dropHeldTable(h);
}

/** Unpacks every held connection into a slot with its timer entry (before a carry snapshot). */
export function unholdAll(s: TrackState): void {
  const h = s.held;
  while (h.live > 0) unhold(s, h.head, true);
  h.candCount = 0;
}
