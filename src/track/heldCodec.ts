/**
 * The exact, variable-length form of a connection held for Zeek's close delay (heldConns.ts):
 * the values of its row of columns, its kept packet records and its RST records with their
 * snapshots, as one vector of numbers, written as the differences from a template vector.
 *
 * Each entry of the vector is a value in a "kind"'s domain, chosen so that what is alike between
 * connections is equal: a time is the difference of its IEEE-754 bit pattern from the
 * connection's last time (exact by construction; a few bytes for milliseconds), a sequence
 * number its distance from the side's initial one (mod 2^32), the last time its distance from
 * the delete deadline. A value the kind cannot express exactly is kept raw (8 bytes, or 4 for a
 * float32 column). Written entries are only those that differ from the template: a tag
 * (position gap, value code) and the value as a zig-zag varint or raw bytes.
 *
 * Nothing here lists the tracker's columns: the row's positions are every declared column of
 * TrackState (columns.ts) not marked `keep` and not held elsewhere (the tuple key, the
 * connection number and the record chain heads, which the held entry or the record section
 * carry), gathered and scattered by straight-line functions compiled from the declarations as
 * RowClearer's are. A column added later is carried without an edit here (as a plain integer or
 * a raw double unless named below for a shorter form).
 */
import { type ColumnArray, type ColumnShape, columnsOf } from './columns.js';

/** Value kinds of a vector position (how its value is made alike across connections). */
export const KIND_INT = 0; // an integer column: the value itself
export const KIND_NUM = 1; // a double column: the value if a safe integer, else raw
export const KIND_F32 = 2; // a float32 column: the value if an integer, else raw (4 bytes)
export const KIND_TIME = 3; // a time: bit-pattern distance from the row's last time
export const KIND_LAST = 4; // the row's last time: bit-pattern distance from the delete deadline
export const KIND_SEQ = 5; // a uint32 (or int32) sequence number: distance (mod 2^32) from a base
export const KIND_SEQF = 6; // a double holding a uint32 sequence number or another value (-1: none)
export const KIND_F32D = 7; // a float32 column: bit-pattern distance from a float32 base

/** Value codes of the stream (two bits of a tag). */
export const K_T = 0; // an integer in the kind's domain (zig-zag varint)
export const K_F64 = 1; // a raw double (8 bytes)
export const K_F32 = 2; // a raw float32 (4 bytes)
export const K_BACK = 3; // in the stream only: the same (value, code) as the entry written `varint + 1` entries before

/** Times of the connection row (bit-pattern distance from lastTs). */
const ROW_TIMES = new Set([
  'startTs',
  'lastPktTs',
  'expireAt',
  'expire2At',
  'deleteAt',
  'attemptAt',
  'resetAt',
  'sched',
  'synTs',
  'synAckTs',
  'hsAckTs',
  'eLastTime',
]);
/** Sequence numbers of an endpoint, written as the distance from its eStart (not eRxmtSeq: mostly 0). */
const ROW_SEQS = new Set(['eLast', 'eAck']);
/** Times of a RST snapshot (recordPool.ts RstSnapshots). */
const SNAP_TIMES = new Set(['lastSelf', 'lastOther', 'lastAny']);
/** Sequence numbers of a RST snapshot, per side (or -1). */
const SNAP_SEQS = new Set(['nextSeq', 'acked']);

// ---- exact bit-pattern arithmetic on doubles

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const b8 = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const b4 = new Uint8Array(f32.buffer);
const i32 = new Int32Array(f32.buffer);
/** 2^32. */
const W = 4294967296;

/**
 * The distance of `v`'s bit pattern from `b`'s (both finite), NaN when it is too large to be an
 * exact zig-zag varint (the high words 2^19 or more apart). bitAdd(b, bitDiff(v, b)) is `v`, bit for bit.
 */
export function bitDiff(v: number, b: number): number {
  f64[0] = v;
  const hv = u32[1] ?? 0;
  const lv = u32[0] ?? 0;
  f64[0] = b;
  const dh = hv - (u32[1] ?? 0);
  if (dh >= 0x80000 || dh <= -0x80000) return Number.NaN;
  return dh * W + (lv - (u32[0] ?? 0));
}

/** The double whose bit pattern is `b`'s plus `d` (an exact integer, |d| < 2^51 + 2^32). */
export function bitAdd(b: number, d: number): number {
  f64[0] = b;
  const lo = (u32[0] ?? 0) + d;
  const carry = Math.floor(lo / W);
  u32[1] = (u32[1] ?? 0) + carry;
  u32[0] = lo - carry * W;
  return f64[0] ?? 0;
}

/** An integer a zig-zag varint holds exactly (|v| < 2^52, not -0). */
function isPlainInt(v: number): boolean {
  return Number.isInteger(v) && v < 4503599627370496 && v > -4503599627370496 && !(v === 0 && 1 / v < 0);
}

/**
 * Puts `raw` (a value of kind `kind`, with `base` the value its kind is measured from) into the
 * vector as (V[p], K[p]).
 */
export function forward(kind: number, raw: number, base: number, V: Float64Array, K: Uint8Array, p: number): void {
  let v = raw;
  let k = K_T;
  switch (kind) {
    case KIND_INT:
      break;
    case KIND_NUM:
      if (!isPlainInt(raw)) k = K_F64;
      break;
    case KIND_F32:
      if (!isPlainInt(raw)) k = K_F32;
      break;
    case KIND_TIME:
    case KIND_LAST: {
      const d = Number.isFinite(raw) && Number.isFinite(base) ? bitDiff(raw, base) : Number.NaN;
      if (!Number.isNaN(d)) v = d;
      else k = K_F64;
      break;
    }
    case KIND_SEQ:
      v = (raw - base) | 0;
      break;
    case KIND_SEQF:
      if (Number.isInteger(raw) && raw >= 0 && raw < W && !(raw === 0 && 1 / raw < 0)) v = (raw - base) | 0;
      else k = K_F64;
      break;
    default: // KIND_F32D
      if (Number.isFinite(raw) && Number.isFinite(base)) {
        f32[0] = raw;
        v = i32[0] ?? 0;
        f32[0] = base;
        v -= i32[0] ?? 0;
      } else k = K_F32;
      break;
  }
  V[p] = v;
  K[p] = k;
}

/** The raw value of vector entry (v, k) of kind `kind`, measured from `base` (forward's inverse). */
export function inverse(kind: number, v: number, k: number, base: number): number {
  if (k !== K_T) return v;
  switch (kind) {
    case KIND_TIME:
    case KIND_LAST:
      return bitAdd(base, v);
    case KIND_SEQ:
      return (base + v) >>> 0;
    case KIND_SEQF:
      return (base + v) >>> 0;
    case KIND_F32D:
      f32[0] = base;
      i32[0] = (i32[0] ?? 0) + v;
      return f32[0] ?? 0;
    default:
      return v;
  }
}

/** The int32 a KIND_SEQ entry stands for when its column is an Int32Array (record words). */
export function inverseInt32(v: number, k: number, base: number): number {
  return k === K_T ? (base + v) | 0 : v;
}

// ---- the byte stream

/** A growable byte buffer written front to back. */
export class ByteOut {
  buf = new Uint8Array(4096);
  n = 0;

  /** Room for `more` bytes. */
  reserve(more: number): void {
    if (this.n + more <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + more));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }

  /** An unsigned integer (< 2^53) as a varint. */
  varint(z: number): void {
    this.reserve(8);
    const b = this.buf;
    let n = this.n;
    // Below 2^31 (nearly every tag and value) with int32 shifts, not a division per byte.
    if (z < 2147483648) {
      while (z >= 128) {
        b[n++] = (z & 127) | 128;
        z >>>= 7;
      }
      b[n++] = z;
      this.n = n;
      return;
    }
    while (z >= 128) {
      b[n++] = (z % 128) + 128;
      z = Math.floor(z / 128);
    }
    b[n++] = z;
    this.n = n;
  }

  /** A signed integer (|v| < 2^52) as a zig-zag varint (exact: 2|v| < 2^53). */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f64(v: number): void {
    this.reserve(8);
    f64[0] = v;
    this.buf.set(b8, this.n);
    this.n += 8;
  }

  f32(v: number): void {
    this.reserve(4);
    f32[0] = v;
    this.buf.set(b4, this.n);
    this.n += 4;
  }
}

/** Reads a stream from a ring of bytes (`bytes[pos & mask]`). */
export class ByteIn {
  bytes: Uint8Array = new Uint8Array(0);
  mask = 0;
  pos = 0;

  varint(): number {
    const b = this.bytes;
    let z = 0;
    let mul = 1;
    for (;;) {
      const c = b[this.pos++ & this.mask] ?? 0;
      z += (c & 127) * mul;
      if (c < 128) return z;
      mul *= 128;
    }
  }

  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    for (let i = 0; i < 8; i++) b8[i] = this.bytes[this.pos++ & this.mask] ?? 0;
    return f64[0] ?? 0;
  }

  f32(): number {
    for (let i = 0; i < 4; i++) b4[i] = this.bytes[this.pos++ & this.mask] ?? 0;
    return f32[0] ?? 0;
  }
}

// ---- the writer of one connection's entries

/** Entries a back reference reaches (a power of two). */
const BACK_REFS = 8;

/**
 * Writes the entries of a vector that differ from a template (TV, TK) to `out`, in position
 * order: a tag (gap since the last written position, times 4, plus the value code, plus 1; 0
 * ends the list) and the value. Positions past the template's end differ unless (0, K_T); the
 * reader fills them so.
 */
export class Emitter {
  readonly out = new ByteOut();
  last = -1;
  count = 0;
  TV: Float64Array = new Float64Array(0);
  TK: Uint8Array = new Uint8Array(0);
  /** The last BACK_REFS entries written, (value, code), for back references. */
  private readonly backV = new Float64Array(BACK_REFS);
  private readonly backK = new Uint8Array(BACK_REFS);

  /** Starts a vector of `length` positions against template (TV, TK). */
  begin(length: number, TV: Float64Array, TK: Uint8Array): void {
    this.out.n = 0;
    this.last = -1;
    this.count = 0;
    this.TV = TV;
    this.TK = TK;
    this.out.zigzag(length - TV.length);
  }

  /** Ends the list. */
  end(): void {
    this.out.varint(0);
  }

  /**
   * Writes entry p = (v, k): as a back reference when one of the last BACK_REFS entries written
   * was the same (a connection's first packet time is its start, its SYN's time, its
   * originator's last time, its first record's and its RST's "last from the other side": one
   * value, five times), else as its value.
   */
  put(p: number, v: number, k: number): void {
    const o = this.out;
    const n = this.count;
    const tag = (p - this.last - 1) * 4 + 1;
    // A small integer is one byte either way.
    if (!(k === K_T && v < 64 && v > -64)) {
      const nan = Number.isNaN(v);
      for (let j = 1; j <= BACK_REFS && j <= n; j++) {
        const i = (n - j) & (BACK_REFS - 1);
        const bv = this.backV[i] ?? 0;
        // The value first (nearly always unequal), then the code; -0 and NaN told apart exactly.
        if ((bv === v ? bv !== 0 || 1 / bv === 1 / v : nan && Number.isNaN(bv)) && (this.backK[i] ?? 0) === k) {
          // The distance rides in the tag: (gap * BACK_REFS + j - 1) * 4 + K_BACK + 1, one byte for a gap under 4.
          o.varint(((p - this.last - 1) * BACK_REFS + j - 1) * 4 + K_BACK + 1);
          this.remember(p, v, k);
          return;
        }
      }
    }
    o.varint(tag + k);
    if (k === K_F64) o.f64(v);
    else if (k === K_F32) o.f32(v);
    else o.zigzag(v);
    this.remember(p, v, k);
  }

  private remember(p: number, v: number, k: number): void {
    const i = this.count & (BACK_REFS - 1);
    this.backV[i] = v;
    this.backK[i] = k;
    this.last = p;
    this.count++;
  }

  /** Entry p = (v, k) unless the template has it (diff's test for one position). */
  at(p: number, v: number, k: number): void {
    const TV = this.TV;
    let tv = 0;
    let tk = 0;
    if (p < TV.length) {
      tv = TV[p] ?? 0;
      tk = this.TK[p] ?? 0;
    }
    if (k !== tk || (v === tv ? k !== K_T && v === 0 && 1 / v !== 1 / tv : !(Number.isNaN(v) && Number.isNaN(tv)))) this.put(p, v, k);
  }

  /**
   * Writes the entries of vector (V, K)[0, L) that differ from the template (begin's): a position
   * past the template's end differs unless (0, K_T). Equal means the same code and the same
   * value, -0 apart from 0 and any NaN equal to a NaN.
   */
  diff(V: Float64Array, K: Uint8Array, L: number): void {
    const TV = this.TV;
    const TK = this.TK;
    const m = Math.min(L, TV.length);
    for (let p = 0; p < m; p++) {
      const v = V[p] ?? 0;
      const k = K[p] ?? 0;
      const tv = TV[p] ?? 0;
      if (k !== (TK[p] ?? 0)) this.put(p, v, k);
      // A K_T value is never -0 (an integer column, a `| 0`, an integer difference): no sign test then.
      else if (v === tv ? k !== K_T && v === 0 && 1 / v !== 1 / tv : !(Number.isNaN(v) && Number.isNaN(tv))) this.put(p, v, k);
    }
    for (let p = m; p < L; p++) {
      const v = V[p] ?? 0;
      const k = K[p] ?? 0;
      if (k === K_T && v === 0) continue;
      this.put(p, v, k);
    }
  }
}

const backV = new Float64Array(BACK_REFS);
const backK = new Uint8Array(BACK_REFS);

/** Reads a written list into V/K (from the template, then the entries); returns the vector's length. */
export function readEntries(inp: ByteIn, TV: Float64Array, TK: Uint8Array, V: Float64Array, K: Uint8Array): number {
  const L = TV.length + inp.zigzag();
  const m = Math.min(L, TV.length);
  V.set(m === TV.length ? TV : TV.subarray(0, m));
  K.set(m === TK.length ? TK : TK.subarray(0, m));
  if (L > m) {
    V.fill(0, m, L);
    K.fill(K_T, m, L);
  }
  let p = -1;
  for (let n = 0; ; n++) {
    const tag = inp.varint();
    if (tag === 0) return L;
    const code = (tag - 1) % 4;
    const q = (tag - 1 - code) / 4;
    let v = 0;
    let k = code;
    if (code === K_BACK) {
      const back = q % BACK_REFS;
      p += (q - back) / BACK_REFS + 1;
      const i = (n - 1 - back) & (BACK_REFS - 1);
      v = backV[i] ?? 0;
      k = backK[i] ?? 0;
    } else {
      p += q + 1;
      if (code === K_F64) v = inp.f64();
      else if (code === K_F32) v = inp.f32();
      else v = inp.zigzag();
    }
    V[p] = v;
    K[p] = k;
    backV[n & (BACK_REFS - 1)] = v;
    backK[n & (BACK_REFS - 1)] = k;
  }
}

// ---- layouts: which column entries a vector holds, and their kinds

/**
 * Writes a row's values into the vector at `p0` (forward's (V, K) of every position):
 * `(table, row, V, K, p0, del, last, s0, s1)`; the row's own bases when the layout has them.
 */
type RowFill = (t: object, row: number, V: Float64Array, K: Uint8Array, p0: number, del: number, last: number, s0: number, s1: number) => void;
/**
 * Writes a row's entries that differ from the emitter's template (begin's) to the emitter, in
 * position order: fill's values compared where they are made (`(table, row, E, p0, del, last, s0, s1)`).
 */
type RowEncode = (t: object, row: number, e: Emitter, p0: number, del: number, last: number, s0: number, s1: number) => void;
/** Writes a row from V/K: `(table, row, V, K, p0, del, last, s0, s1)`. */
type RowDecode = (t: object, row: number, V: Float64Array, K: Uint8Array, p0: number, del: number, last: number, s0: number, s1: number) => void;

/** One table's row as vector positions; see the file comment. */
export interface Layout {
  /** Positions. */
  readonly n: number;
  /** `column[entry]` of each position (for tests and messages). */
  readonly names: readonly string[];
  readonly kind: Uint8Array;
  /** Writes the row's entries that differ from the emitter's template (forward's values, inline). */
  readonly encode: RowEncode;
  /** Writes the row's values into a vector (forward's, inline: no call per position). */
  readonly fill: RowFill;
  /** Writes the row from a vector (inverse's, inline). */
  readonly decode: RowDecode;
}

const compiledFill = new Map<string, RowFill>();
const compiledEnc = new Map<string, RowEncode>();
const compiledDec = new Map<string, RowDecode>();

/** The kind of a column of type `array` with no rule by name. */
function kindOfType(array: ColumnArray): number {
  if (array instanceof Float64Array) return KIND_NUM;
  if (array instanceof Float32Array) return KIND_F32;
  return KIND_INT;
}

/** What a rule gives a column entry: its kind and the base it is measured from (a source expression). */
type Rule = (name: string, entry: number) => [number, string] | null;

/**
 * Source of forward(kind, x, b) written into V[at], K[at], inline: the same values and codes
 * (the bit-pattern distance through the shared views `f64`/`u32`, `f32`/`i32`). `x` and `b` are
 * local variables holding the raw value and the base.
 */
function forwardSource(kind: number, vt: string, kt: string): string {
  switch (kind) {
    case KIND_INT:
      return `${vt} = x; ${kt} = 0;`;
    case KIND_NUM:
    case KIND_F32:
      // isPlainInt: NaN fails the first test, the infinities the bounds, -0 the sign test.
      return `${vt} = x; ${kt} = x === Math.floor(x) && x < 4503599627370496 && x > -4503599627370496 && (x !== 0 || 1 / x > 0) ? 0 : ${kind === KIND_NUM ? K_F64 : K_F32};`;
    case KIND_TIME:
    case KIND_LAST:
      // bitDiff, NaN (kept raw) when a side is not finite or the high words are 2^19 or more apart.
      return `if (x - x === 0 && b - b === 0) { f64[0] = x; hv = u32[1]; lv = u32[0]; f64[0] = b; dh = hv - u32[1]; if (dh < 0x80000 && dh > -0x80000) { ${vt} = dh * 4294967296 + (lv - u32[0]); ${kt} = 0; } else { ${vt} = x; ${kt} = ${K_F64}; } } else { ${vt} = x; ${kt} = ${K_F64}; }`;
    case KIND_SEQ:
      return `${vt} = (x - b) | 0; ${kt} = 0;`;
    case KIND_SEQF:
      return `if (x === Math.floor(x) && x >= 0 && x < 4294967296 && (x !== 0 || 1 / x > 0)) { ${vt} = (x - b) | 0; ${kt} = 0; } else { ${vt} = x; ${kt} = ${K_F64}; }`;
    default: // KIND_F32D
      return `if (x - x === 0 && b - b === 0) { f32[0] = x; hv = i32[0]; f32[0] = b; ${vt} = hv - i32[0]; ${kt} = 0; } else { ${vt} = x; ${kt} = ${K_F32}; }`;
  }
}

/** Source of inverse(kind, V[at], K[at], b), inline, as an expression statement assigning `y`. */
function inverseSource(kind: number, at: string): string {
  switch (kind) {
    case KIND_TIME:
    case KIND_LAST:
      // bitAdd(b, v) where the code is K_T.
      return `v = V[${at}]; if (K[${at}] !== 0) y = v; else { f64[0] = b; lo = u32[0] + v; carry = Math.floor(lo / 4294967296); u32[1] = u32[1] + carry; u32[0] = lo - carry * 4294967296; y = f64[0]; }`;
    case KIND_SEQ:
      return `y = (b + V[${at}]) >>> 0;`;
    case KIND_SEQF:
      return `v = V[${at}]; y = K[${at}] !== 0 ? v : (b + v) >>> 0;`;
    case KIND_F32D:
      return `v = V[${at}]; if (K[${at}] !== 0) y = v; else { f32[0] = b; i32[0] = i32[0] + v; y = f32[0]; }`;
    default:
      return `y = V[${at}];`;
  }
}

/** The shared views the generated functions compute bit patterns with (passed in by name). */
const VIEWS = ['f64', 'u32', 'f32', 'i32'] as const;

/**
 * The layout of `table`'s rows: every column not `keep` and not in `exclude`, entry by entry,
 * in declaration order, with straight-line fill and decode functions compiled from it (one
 * statement per entry, as RowClearer's clears; built only from declared names and kinds, with
 * forward's and inverse's arithmetic written inline: a call per position, into forward's switch,
 * was most of a held connection's packing, the calls past TurboFan's inlining budget). In the
 * generated code the bases are `del` (the delete deadline), `last` (the row's last time) and
 * `s0`, `s1` (the two sides' initial sequence numbers), read from the row when it has them.
 */
function layoutOf(table: object, exclude: ReadonlySet<string>, rule: Rule, ownBases: boolean): Layout {
  const cols = columnsOf(table).filter((c) => !c.shape.keep && !exclude.has(c.name));
  const names: string[] = [];
  const kinds: number[] = [];
  const fill: string[] = [];
  const enc: string[] = [];
  const dec: string[] = [];
  if (ownBases) {
    fill.push('last = t.lastTs[row]; s0 = t.eStart[row * 2]; s1 = t.eStart[row * 2 + 1];');
    enc.push('last = t.lastTs[row]; s0 = t.eStart[row * 2]; s1 = t.eStart[row * 2 + 1];');
  }
  const decBody: string[] = [];
  for (const { name, array, shape } of cols) {
    const e: string[] = [];
    const c: string[] = [];
    const d: string[] = [];
    for (let i = 0; i < shape.per; i++) {
      const p = names.length;
      names.push(`${name}[${i}]`);
      const r = rule(name, i);
      const kind = r === null ? kindOfType(array) : r[0];
      const base = r === null ? '0' : r[1];
      kinds.push(kind);
      const at = `p0 + ${p}`;
      const x = `a[o + ${i}]`;
      e.push(`x = ${x}; b = ${base}; ${forwardSource(kind, `V[${at}]`, `K[${at}]`)}`);
      // The same value into locals, compared with the template's at once (Emitter.diff's test), written only where it differs.
      c.push(`x = ${x}; b = ${base}; p = ${at}; ${forwardSource(kind, 'v', 'k')} if (p < TL) { tv = TV[p]; tk = TK[p]; } else { tv = 0; tk = 0; } if (k !== tk || (v === tv ? k !== 0 && v === 0 && 1 / v !== 1 / tv : !(Number.isNaN(v) && Number.isNaN(tv)))) E.put(p, v, k);`);
      d.push(`b = ${base}; ${inverseSource(kind, at)} ${x} = y;`);
    }
    fill.push(`{ const a = t.${name}; const o = row * ${shape.per}; ${e.join(' ')} }`);
    enc.push(`{ const a = t.${name}; const o = row * ${shape.per}; ${c.join(' ')} }`);
    const block = `{ const a = t.${name}; const o = row * ${shape.per}; ${d.join(' ')} }`;
    // The bases are written first when decoding: the other entries are measured from them.
    if (ownBases && (name === 'lastTs' || name === 'eStart')) dec.push(block);
    else decBody.push(block);
  }
  if (ownBases) dec.push('last = t.lastTs[row]; s0 = t.eStart[row * 2]; s1 = t.eStart[row * 2 + 1];');
  dec.push(...decBody);
  const fillSource = `let x = 0; let b = 0; let hv = 0; let lv = 0; let dh = 0;\n${fill.join('\n')}`;
  const decSource = `let y = 0; let b = 0; let v = 0; let lo = 0; let carry = 0;\n${dec.join('\n')}`;
  const encSource = `const TV = E.TV; const TK = E.TK; const TL = TV.length; let x = 0; let b = 0; let hv = 0; let lv = 0; let dh = 0; let p = 0; let v = 0; let k = 0; let tv = 0; let tk = 0;\n${enc.join('\n')}`;
  let encode = compiledEnc.get(encSource);
  if (encode === undefined) {
    encode = new Function(...VIEWS, `return function (t, row, E, p0, del, last, s0, s1) {\n${encSource}\n};`)(f64, u32, f32, i32) as RowEncode;
    compiledEnc.set(encSource, encode);
  }
  let fillFn = compiledFill.get(fillSource);
  if (fillFn === undefined) {
    fillFn = new Function(...VIEWS, `return function (t, row, V, K, p0, del, last, s0, s1) {\n${fillSource}\n};`)(f64, u32, f32, i32) as RowFill;
    compiledFill.set(fillSource, fillFn);
  }
  let decode = compiledDec.get(decSource);
  if (decode === undefined) {
    decode = new Function(...VIEWS, `return function (t, row, V, K, p0, del, last, s0, s1) {\n${decSource}\n};`)(f64, u32, f32, i32) as RowDecode;
    compiledDec.set(decSource, decode);
  }
  return { n: names.length, names, kind: Uint8Array.from(kinds), encode, fill: fillFn, decode };
}

/**
 * TrackState columns a held connection keeps outside its row vector: the tuple key and its hash
 * and the connection number (in the held entry), the heads and tails of its record chains (the
 * records follow the row in the vector and are linked again when unpacked).
 */
export const ROW_ELSEWHERE: ReadonlySet<string> = new Set([
  'kHash',
  'kA',
  'kB',
  'kPorts',
  'cNumber',
  'ringHead',
  'ringTail',
  'dirHead',
  'dirTail',
  'rstHead',
  'rstTail',
]);

/** The layout of a TrackState row (the same for every tracker: built from the declarations). */
export function rowLayout(state: object): Layout {
  return layoutOf(
    state,
    ROW_ELSEWHERE,
    (name, entry) => {
      if (name === 'lastTs') return [KIND_LAST, 'del'];
      // The largest gap between two packets (baselines.ts observe): of a two-packet connection, its last minus its first packet time.
      if (name === 'idleMax') return [KIND_F32D, 'Math.fround(t.lastPktTs[row] - t.startTs[row])'];
      if (ROW_TIMES.has(name)) return [KIND_TIME, 'last'];
      if (ROW_SEQS.has(name)) return [KIND_SEQ, entry === 0 ? 's0' : 's1'];
      return null;
    },
    true,
  );
}

/** The layout of a RST snapshot (RstSnapshots) row, measured from its connection's bases. */
export function snapshotLayout(snapshots: object): Layout {
  return layoutOf(
    snapshots,
    new Set(),
    (name, entry) => {
      if (SNAP_TIMES.has(name)) return [KIND_TIME, 'last'];
      if (SNAP_SEQS.has(name)) return [KIND_SEQF, entry === 0 ? 's0' : 's1'];
      return null;
    },
    false,
  );
}
