/**
 * Typed-array columns declared once. Every structure-of-arrays table of the tracker (the
 * connection table, the timer heap, the record pools) declares each column as one field,
 * `name = column(Type, shape)`; growing, clearing a slot, swapping the two sides of a slot and
 * counting bytes all walk that one declaration instead of hand-kept lists that drift apart.
 *
 * Reads and writes stay plain field accesses (`state.eLast[e]`): the fields are ordinary class
 * fields (fast properties, one hidden class), and only the rare whole-column operations here
 * look columns up by name.
 */

/** Every typed-array type a column may have. */
export type ColumnArray =
  | Float64Array<ArrayBuffer>
  | Float32Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Uint16Array<ArrayBuffer>
  | Uint8Array<ArrayBuffer>;

/** How a column maps onto the rows (slots, records) of its table. */
interface ColumnShape {
  /** Entries per row. */
  readonly per: number;
  /** Value of a fresh row's entries (also the fill of grown space). */
  readonly fill: number;
  /** Per-side column: the first half of a row's entries belong to the originator, the second to the responder (a role flip swaps them). */
  readonly side: boolean;
  /** Kept when a row is cleared for reuse (e.g. a generation counter). */
  readonly keep: boolean;
}

type ArrayCtor<A extends ColumnArray> = new (n: number) => A;

const shapes = new WeakMap<ColumnArray, ColumnShape>();
const ctors = new WeakMap<ColumnArray, ArrayCtor<ColumnArray>>();

/** Declares a column: an empty array of `Type` whose shape travels with it through every grow. */
export function column<A extends ColumnArray>(
  Type: ArrayCtor<A>,
  per = 1,
  fill = 0,
  opts: { side?: boolean; keep?: boolean } = {},
): A {
  const a = new Type(0);
  shapes.set(a, { per, fill, side: opts.side ?? false, keep: opts.keep ?? false });
  ctors.set(a, Type as ArrayCtor<ColumnArray>);
  return a;
}

/** Declares a per-side column with `perSide` entries for each of the two sides of a row. */
export function sideColumn<A extends ColumnArray>(Type: ArrayCtor<A>, perSide = 1, fill = 0): A {
  return column(Type, perSide * 2, fill, { side: true });
}

/** The columns of a table object, in declaration order, with their shapes. */
function columnsOf(table: object): { name: string; array: ColumnArray; shape: ColumnShape }[] {
  const out: { name: string; array: ColumnArray; shape: ColumnShape }[] = [];
  for (const [name, value] of Object.entries(table)) {
    if (!ArrayBuffer.isView(value)) continue;
    const shape = shapes.get(value as ColumnArray);
    if (shape !== undefined) out.push({ name, array: value as ColumnArray, shape });
  }
  return out;
}

/** Grows every column of `table` to `rows` rows, keeping the contents; new entries get the column's fill. */
export function growColumns(table: object, rows: number): void {
  const fields = table as Record<string, unknown>;
  for (const { name, array, shape } of columnsOf(table)) {
    const Type = ctors.get(array) as ArrayCtor<ColumnArray>;
    const grown = new Type(rows * shape.per);
    grown.set(array);
    if (shape.fill !== 0) grown.fill(shape.fill, array.length);
    shapes.set(grown, shape);
    ctors.set(grown, Type);
    // An existing property is replaced (no new property: the object keeps its hidden class).
    fields[name] = grown;
  }
}

/** Typed-array bytes held by every column of `table`. */
export function columnBytes(table: object): number {
  let n = 0;
  for (const { array } of columnsOf(table)) n += array.byteLength;
  return n;
}

/**
 * Clears rows of a table to their columns' fresh values by copying each column's fresh row
 * through an Int32Array view (a Uint8Array one for the few columns whose row is not a whole
 * number of words): two store types in all. A store site that sees the six typed-array types
 * goes megamorphic, and V8 then takes its generic runtime path, about 1 µs a store (callgrind:
 * +20 % of all instructions on a 64 MiB capture). Built after each grow; a row is cleared once
 * per connection, off the per-packet path.
 */
export class RowClearer {
  /** Per column whose row is whole words: its words, and the words of one fresh row. */
  private readonly words: Int32Array[] = [];
  private readonly freshWords: Int32Array[] = [];
  /** The other columns, byte by byte. */
  private readonly bytes: Uint8Array[] = [];
  private readonly freshBytes: Uint8Array[] = [];

  /** Views the table's current arrays (columns marked `keep` are left out). */
  constructor(table: object) {
    for (const { array, shape } of columnsOf(table)) {
      if (shape.keep) continue;
      const Type = ctors.get(array) as ArrayCtor<ColumnArray>;
      const row = new Type(shape.per);
      row.fill(shape.fill);
      if (row.byteLength % 4 === 0) {
        this.words.push(new Int32Array(array.buffer, array.byteOffset, array.byteLength >>> 2));
        this.freshWords.push(new Int32Array(row.buffer));
      } else {
        this.bytes.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
        this.freshBytes.push(new Uint8Array(row.buffer));
      }
    }
  }

  /** Sets every entry of row `row` to its column's fill. */
  clear(row: number): void {
    const { words, freshWords, bytes, freshBytes } = this;
    for (let c = 0; c < words.length; c++) {
      const to = words[c] as Int32Array;
      const from = freshWords[c] as Int32Array;
      const n = from.length;
      for (let i = 0, o = row * n; i < n; i++) to[o + i] = from[i] as number;
    }
    for (let c = 0; c < bytes.length; c++) {
      const to = bytes[c] as Uint8Array;
      const from = freshBytes[c] as Uint8Array;
      const n = from.length;
      for (let i = 0, o = row * n; i < n; i++) to[o + i] = from[i] as number;
    }
  }
}

/** Swaps the originator's and the responder's entries of row `row` in every per-side column of `table`. */
export function swapSides(table: object, row: number): void {
  for (const { array, shape } of columnsOf(table)) {
    if (!shape.side) continue;
    const half = shape.per >>> 1;
    const o = row * shape.per;
    for (let i = 0; i < half; i++) {
      const v = array[o + i] ?? 0;
      array[o + i] = array[o + half + i] ?? 0;
      array[o + half + i] = v;
    }
  }
}

/** True when `value` is a declared column (for snapshot.ts, which saves and restores tables field by field). */
export function isColumn(value: unknown): value is ColumnArray {
  return ArrayBuffer.isView(value) && shapes.has(value as ColumnArray);
}

/**
 * Replaces column `name` of `table` by a copy of `saved` (a column's contents saved earlier,
 * any length), keeping the declared shape, so later grows, clears and swaps treat it as before.
 */
export function restoreColumn(table: object, name: string, saved: ArrayLike<number>): void {
  const fields = table as Record<string, unknown>;
  const current = fields[name] as ColumnArray;
  const shape = shapes.get(current) as ColumnShape;
  const Type = ctors.get(current) as ArrayCtor<ColumnArray>;
  const copy = new Type(saved.length);
  copy.set(saved);
  shapes.set(copy, shape);
  ctors.set(copy, Type);
  fields[name] = copy;
}
