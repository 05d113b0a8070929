/**
 * The storage of connections held for Zeek's close delay in their packed form (heldConns.ts
 * packs and unpacks them; heldCodec.ts is the form). A held connection is an entry of a FIFO
 * ring (ids only grow; an entry's columns sit at `id & mask`), its packed bytes in a ring
 * arena (absolute offsets, `offset & (arena.length - 1)`), and an id in an open-addressing hash
 * table by the tuple's hash. Entries are appended in timer order (deadline, then connection
 * number: Zeek's, timerHeap.ts), so the head is always the next to fire and its bytes are the
 * oldest of the arena: firing consumes both rings from the front. An entry taken out early
 * (a late packet unpacked it) is marked dead and skipped when the head reaches it.
 *
 * No imports: state.ts holds one, and the logic modules import state.ts.
 */

/** Bytes of an arena chunk (a power of two), and its log2. */
export const ARENA_CHUNK_BITS = 20;
export const ARENA_CHUNK = 1 << ARENA_CHUNK_BITS;
/** Chunk numbers an offset can have (2^32 / ARENA_CHUNK). */
export const ARENA_CHUNKS = 2 ** (32 - ARENA_CHUNK_BITS);

/** Templates a packed connection may be written against (heldConns.ts). */
export const MAX_TEMPLATES = 64;

/** The held connections; see the file comment. */
export class HeldStore {
  /** Wide live connections at which connections start to be held (TrackerOptions.holdAtLive). */
  readonly minLive: number;
  /** Connections that enter the close delay after one before it is packed (TrackerOptions.holdQuiet). */
  readonly quiet: number;

  // ---- entries: a FIFO ring by id
  cap = 0;
  mask = 0;
  /** The first entry not yet consumed (live, or head === tail). */
  head = 0;
  /** The next id. */
  tail = 0;
  /** Live entries. */
  live = 0;
  eHash = new Int32Array(0);
  eA = new Uint32Array(0);
  eB = new Uint32Array(0);
  ePorts = new Uint32Array(0);
  eNum = new Uint32Array(0);
  eDeadline = new Float64Array(0);
  /** Arena offset of the entry's bytes (uint32, mod 2^32: see arenaHead). */
  eOff = new Uint32Array(0);
  /** 1 live | 2 IPv6; 0 dead. */
  eFlags = new Uint8Array(0);
  /** The template the bytes are written against. */
  eTmpl = new Uint8Array(0);
  /** The last appended entry's deadline and number (later entries must come after it). */
  lastDeadline = Number.NEGATIVE_INFINITY;
  lastNum = 0;

  // ---- hash table of id + 1 (0 empty)
  table = new Int32Array(1024);
  tableMask = 1023;

  // ---- the byte arena: chunks of ARENA_CHUNK bytes, by offset (uint32, growing mod 2^32:
  // chunk `offset >>> ARENA_CHUNK_BITS`, byte `offset & (ARENA_CHUNK - 1)`); a connection's bytes
  // never straddle two chunks; a chunk goes back when the head has passed it (FIFO), so the
  // arena holds what is in use plus at most a chunk or two, where a doubling ring held up to twice.
  readonly chunks: (Uint8Array<ArrayBuffer> | null)[] = new Array<Uint8Array<ArrayBuffer> | null>(ARENA_CHUNKS).fill(null);

  readonly spareChunks: Uint8Array<ArrayBuffer>[] = [];
  chunkCount = 0;
  arenaHead = 0;
  arenaTail = 0;

  // ---- connections waiting to be packed (slot and generation), a ring of `quiet` entries
  candSlot: Int32Array;
  candGen: Uint32Array;
  candHead = 0;
  candCount = 0;

  // ---- templates: vectors (values and codes) of earlier connections
  readonly tmplV: Float64Array[] = [new Float64Array(0)];
  readonly tmplK: Uint8Array[] = [new Uint8Array(0)];
  readonly tmplRefs = new Int32Array(MAX_TEMPLATES);
  readonly tmplFree: number[] = [];
  current = 0;

  // ---- counters
  packed = 0;
  unpackedEarly = 0;

  constructor(minLive: number, quiet: number) {
    this.minLive = minLive;
    this.quiet = Math.max(0, quiet);
    let n = 1;
    while (n < this.quiet + 1) n *= 2;
    this.candSlot = new Int32Array(n);
    this.candGen = new Uint32Array(n);
  }

  /** Bytes held by the store's arrays. */
  bytes(): number {
    let n = this.table.byteLength + (this.chunkCount + this.spareChunks.length) * ARENA_CHUNK + this.candSlot.byteLength + this.candGen.byteLength;
    for (const a of [this.eHash, this.eA, this.eB, this.ePorts, this.eNum, this.eDeadline, this.eOff, this.eFlags, this.eTmpl]) n += a.byteLength;
    for (let i = 0; i < this.tmplV.length; i++) n += (this.tmplV[i]?.byteLength ?? 0) + (this.tmplK[i]?.byteLength ?? 0);
    return n;
  }
}
