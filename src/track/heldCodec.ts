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

/** Value codes of the stream (two bits of a tag). */
export const K_T = 0; // an integer in the kind's domain (zig-zag varint)
export const K_F64 = 1; // a raw double (8 bytes)
export const K_F32 = 2; // a raw float32 (4 bytes)
export const K_PLAIN = 3; // an integer taken as is (zig-zag varint), for a kind whose domain could not hold it

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
/** Sequence numbers of an endpoint, written as the distance from its eStart. */
const ROW_SEQS = new Set(['eLast', 'eAck', 'eRxmtSeq']);
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
/** 2^32. */
const W = 4294967296;

/**
 * The distance of `v`'s bit pattern from `b`'s (both finite), NaN when it is too large to be an
 * exact double (the high words more than 2^20 apart). bitAdd(b, bitDiff(v, b)) is `v`, bit for bit.
 */
export function bitDiff(v: number, b: number): number {
  f64[0] = v;
  const hv = u32[1] ?? 0;
  const lv = u32[0] ?? 0;
  f64[0] = b;
  const dh = hv - (u32[1] ?? 0);
  if (dh >= 0x100000 || dh <= -0x100000) return Number.NaN;
  return dh * W + (lv - (u32[0] ?? 0));
}

/** The double whose bit pattern is `b`'s plus `d` (an exact integer, |d| < 2^52). */
export function bitAdd(b: number, d: number): number {
  f64[0] = b;
  const lo = (u32[0] ?? 0) + d;
  const carry = Math.floor(lo / W);
  u32[1] = (u32[1] ?? 0) + carry;
  u32[0] = lo - carry * W;
  return f64[0] ?? 0;
}

function isPlainInt(v: number): boolean {
  return Number.isSafeInteger(v) && !(v === 0 && 1 / v < 0);
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
      if (d === d) v = d;
      else k = K_F64;
      break;
    }
    case KIND_SEQ:
      v = (raw - base) | 0;
      break;
    default: // KIND_SEQF
      if (Number.isInteger(raw) && raw >= 0 && raw < W && !(raw === 0 && 1 / raw < 0)) v = (raw - base) | 0;
      else k = isPlainInt(raw) ? K_PLAIN : K_F64;
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
    while (z >= 128) {
      b[n++] = (z % 128) + 128;
      z = Math.floor(z / 128);
    }
    b[n++] = z;
    this.n = n;
  }

  /** A signed integer (|v| < 2^52) as a zig-zag varint. */
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
  bytes = new Uint8Array(0);
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

// ---- layouts: which column entries a vector holds, and their kinds

/** Copies a row of a table's columns to or from a vector: `(table, row, R, p0)`. */
type RowCopy = (t: object, row: number, R: Float64Array, p0: number) => void;

/** One table's row as vector positions; see the file comment. */
export interface Layout {
  /** Positions. */
  readonly n: number;
  /** `column[entry]` of each position (for tests and messages). */
  readonly names: readonly string[];
  readonly kind: Uint8Array;
  /** The row position a position's kind is measured from (-1: the delete deadline; -2: none). */
  readonly base: Int32Array;
  /** R[p0 + p] = the row's entry of position p. */
  readonly gather: RowCopy;
  /** The row's entry of position p = R[p0 + p]. */
  readonly scatter: RowCopy;
}

const compiled = new Map<string, RowCopy>();

function compile(source: string): RowCopy {
  let fn = compiled.get(source);
  if (fn === undefined) {
    fn = new Function('t', 'row', 'R', 'p0', source) as RowCopy;
    compiled.set(source, fn);
  }
  return fn;
}

/** The kind of a column of type `array` with no rule by name. */
function kindOfType(array: ColumnArray): number {
  if (array instanceof Float64Array) return KIND_NUM;
  if (array instanceof Float32Array) return KIND_F32;
  return KIND_INT;
}

/**
 * The layout of `table`'s rows: every column not `keep` and not in `exclude`, entry by entry,
 * in declaration order; `rule(name, entry)` names a kind and base, or null for the type's.
 */
function layoutOf(
  table: object,
  exclude: ReadonlySet<string>,
  rule: (name: string, entry: number, shape: ColumnShape, position: (name: string, entry: number) => number) => [number, number] | null,
): Layout {
  const cols = columnsOf(table).filter((c) => !c.shape.keep && !exclude.has(c.name));
  const names: string[] = [];
  const at = new Map<string, number>();
  const gather: string[] = [];
  const scatter: string[] = [];
  for (const { name, shape } of cols) {
    const g: string[] = [];
    const sc: string[] = [];
    for (let i = 0; i < shape.per; i++) {
      const p = names.length;
      at.set(`${name}[${i}]`, p);
      names.push(`${name}[${i}]`);
      g.push(`R[p0 + ${p}] = a[o + ${i}];`);
      sc.push(`a[o + ${i}] = R[p0 + ${p}];`);
    }
    gather.push(`{ const a = t.${name}; const o = row * ${shape.per}; ${g.join(' ')} }`);
    scatter.push(`{ const a = t.${name}; const o = row * ${shape.per}; ${sc.join(' ')} }`);
  }
  const position = (name: string, entry: number): number => at.get(`${name}[${entry}]`) ?? -2;
  const kind = new Uint8Array(names.length);
  const base = new Int32Array(names.length).fill(-2);
  let p = 0;
  for (const { name, array, shape } of cols) {
    for (let i = 0; i < shape.per; i++, p++) {
      const r = rule(name, i, shape, position);
      if (r === null) kind[p] = kindOfType(array);
      else {
        kind[p] = r[0];
        base[p] = r[1];
      }
    }
  }
  return { n: names.length, names, kind, base, gather: compile(gather.join('\n')), scatter: compile(scatter.join('\n')) };
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
  return layoutOf(state, ROW_ELSEWHERE, (name, entry, _shape, position) => {
    if (name === 'lastTs') return [KIND_LAST, -1];
    if (ROW_TIMES.has(name)) return [KIND_TIME, position('lastTs', 0)];
    if (ROW_SEQS.has(name)) return [KIND_SEQ, position('eStart', entry)];
    return null;
  });
}

/**
 * The layout of a RST snapshot (RstSnapshots) row; bases are positions of the connection's row
 * layout `row`.
 */
export function snapshotLayout(snapshots: object, row: Layout): Layout {
  const rowPos = (name: string, entry: number): number => row.names.indexOf(`${name}[${entry}]`);
  return layoutOf(snapshots, new Set(), (name, entry) => {
    if (SNAP_TIMES.has(name)) return [KIND_TIME, rowPos('lastTs', 0)];
    if (SNAP_SEQS.has(name)) return [KIND_SEQF, rowPos('eStart', entry)];
    return null;
  });
}
