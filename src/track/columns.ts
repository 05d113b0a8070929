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
export interface ColumnShape {
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
export function columnsOf(table: object): { name: string; array: ColumnArray; shape: ColumnShape }[] {
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

/** A compiled row clear: sets every entry of row `row` of `table` to its column's fill. */
type ClearRow = (table: object, row: number) => void;

/** Compiled clears by their source: a table that grows gets the same function back, warm. */
const compiledClears = new Map<string, ClearRow>();

/** A fill value as JavaScript source (NaN and the infinities have no numeric literal). */
function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(v);
}

/**
 * The source of a straight-line clear of one row: one store per entry, each through the
 * table's own field (`t.eLast[o + 1] = 0`), so every store site sees one typed-array type.
 * Built only from the table's declared column names and fills (never from input data).
 */
function clearSource(table: object): string {
  const lines: string[] = [];
  for (const { name, shape } of columnsOf(table)) {
    if (shape.keep) continue;
    const fill = literal(shape.fill);
    const stores: string[] = [];
    for (let i = 0; i < shape.per; i++) stores.push(`a[o + ${i}] = ${fill};`);
    lines.push(`{ const a = t.${name}; const o = row * ${shape.per}; ${stores.join(' ')} }`);
  }
  return lines.join('\n');
}

/**
 * Clears rows of a table to their columns' fresh values, once per new connection. The clear is
 * compiled from the column declarations (straight-line stores, ~9 instructions an entry): a loop
 * over the columns paid a load of each view, its fresh row and a loop set-up per column, ~5,900
 * instructions a row on the tracker's ~70 columns (callgrind, 32 MiB mix), ~1,000 compiled. The
 * stores read each column from its field, so a grown table needs no new clearer.
 */
export class RowClearer {
  private readonly table: object;
  private readonly clearRow: ClearRow;

  /** Compiles (or finds) the clear for the table's columns (columns marked `keep` are left out). */
  constructor(table: object) {
    this.table = table;
    const source = clearSource(table);
    let fn = compiledClears.get(source);
    if (fn === undefined) {
      fn = new Function('t', 'row', source) as ClearRow;
      compiledClears.set(source, fn);
    }
    this.clearRow = fn;
  }

  /** Sets every entry of row `row` to its column's fill. */
  clear(row: number): void {
    this.clearRow(this.table, row);
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
