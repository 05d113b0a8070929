/**
 * The resets embedded in the HTML page for its table, compactly: columns of small numbers in
 * JSON chunks, written as the resets spool is read (bounded memory), decoded by the page's
 * script (browser/resetTableDecoder.ts). What makes it small:
 * - ids ("R17") and connection ids ("C1-42") are split into a prefix (from a dictionary) and a
 *   number coded as the difference from the previous row's, so a run of resets costs a byte or two;
 * - times are whole microseconds, coded as differences; frames too;
 * - addresses come from a dictionary;
 * - stage, cause, verdict, origin, flags, signature, evidence codes and confidence vary together
 *   and take few distinct values: one "kind" dictionary entry holds all eight;
 * - reason_text, rare, is a sparse list of [row, dictionary index].
 * Dictionaries are bounded in bytes (a flood of unique reason texts cannot blow the page up): past
 * the budget a new value is coded as index 0, which the page shows as "(not embedded)".
 */
import type { Reset } from '../../model/report.js';

/** Rows per JSON chunk (one `<script type="application/json">` each). */
export const TABLE_CHUNK_ROWS = 4096;
/** Longest reason_text embedded in the table (characters); the ladder section shows it whole. */
export const REASON_TABLE_CHARS = 200;
/** Byte budget of each dictionary in the page. */
export const DICTIONARY_BUDGET: Readonly<Record<DictionaryName, number>> = { a: 3 << 20, p: 64 << 10, k: 2 << 20, r: 1 << 20 };

/** The page's dictionaries: addresses, id prefixes, kinds, reason texts. */
export type DictionaryName = 'a' | 'p' | 'k' | 'r';

/** One kind: [stage, cause, verdict, origin, flags, signature, evidence codes, confidence]. */
export type Kind = [string, string, string, string, string, string, string, number | null];

/** Placeholder of a value past its dictionary's budget (index 0 of every dictionary). */
export const NOT_EMBEDDED = '(not embedded)';

/** One chunk as JSON text: new dictionary entries, then the columns of its rows. */
export interface TableChunk {
  /** Rows in this chunk. */
  n: number;
  /** Entries appended to each dictionary (index 0 is the placeholder, entries follow in order). */
  d: Partial<Record<DictionaryName, unknown[]>>;
  c: {
    /** Id prefix code (or -(code + 1) for an id coded whole) and number difference. */
    ip: (number | null)[];
    in: number[];
    t: number[];
    c: number[];
    f: number[];
    /** As ip/in for the connection id; null when the reset has no connection. */
    cp: (number | null)[];
    cn: number[];
    s: number[];
    sp: number[];
    d: number[];
    dp: number[];
    l: number[];
    k: number[];
  };
  /** [row in chunk, reason dictionary index] for rows with a reason_text. */
  r: [number, number][];
}

/** A string dictionary with a byte budget; index 0 is the placeholder. */
class Dictionary {
  private readonly index = new Map<string, number>();
  private fresh: unknown[] = [];
  private bytes = 0;
  constructor(private readonly budget: number) {}

  /** The index of `key` (its JSON form is `value`), adding it while the budget allows. */
  code(key: string, value: unknown = key): number {
    const known = this.index.get(key);
    if (known !== undefined) return known;
    const cost = key.length + 4;
    if (this.bytes + cost > this.budget) return 0;
    this.bytes += cost;
    const i = this.index.size + 1;
    this.index.set(key, i);
    this.fresh.push(value);
    return i;
  }

  /** The entries added since the last call. */
  takeFresh(): unknown[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }
}

/** `"C1-42"` → ["C1-", 42]; a value without a trailing number (or with a leading zero or too many digits) → [value, null]. */
export function splitId(id: string): [string, number | null] {
  const m = /^(.*?)(0|[1-9]\d{0,14})$/.exec(id);
  return m ? [m[1] as string, Number(m[2])] : [id, null];
}

/** A reset's reason_text as the table holds it (non-empty): cut at REASON_TABLE_CHARS. */
export function reasonInTable(text: string): string {
  return text.length > REASON_TABLE_CHARS ? `${text.slice(0, REASON_TABLE_CHARS)}…` : text;
}

/** The kind tuple of a reset. */
export function kindOf(r: Reset): Kind {
  return [
    r.stage ?? '',
    r.cause ?? '',
    r.verdict ?? '',
    r.origin ?? '',
    r.flags.join(','),
    r.signature ?? '',
    r.evidence.map((e) => e.code).join(' '),
    r.confidence,
  ];
}

/** Encodes resets into table chunks, in order; keeps only dictionaries and the current chunk. */
export class ResetTableEncoder {
  private readonly dicts: Record<DictionaryName, Dictionary> = {
    a: new Dictionary(DICTIONARY_BUDGET.a),
    p: new Dictionary(DICTIONARY_BUDGET.p),
    k: new Dictionary(DICTIONARY_BUDGET.k),
    r: new Dictionary(DICTIONARY_BUDGET.r),
  };
  private chunk: TableChunk = ResetTableEncoder.emptyChunk();
  private prev = { id: 0, ts: 0, frame: 0, conn: 0 };
  /** Rows encoded so far. */
  rows = 0;

  private static emptyChunk(): TableChunk {
    return { n: 0, d: {}, c: { ip: [], in: [], t: [], c: [], f: [], cp: [], cn: [], s: [], sp: [], d: [], dp: [], l: [], k: [] }, r: [] };
  }

  /** Adds one reset as a row. */
  add(r: Reset): void {
    const [idPrefix, idNumber] = splitId(r.id);
    const [connPrefix, connNumber] = r.conn === null ? [null, null] : splitId(r.conn);
    const kind = kindOf(r);
    const text = r.reason_text !== null && r.reason_text !== '' ? reasonInTable(r.reason_text) : null;
    this.addRow(idPrefix, idNumber, r.ts, r.capture, r.frame, connPrefix, connNumber, r.src, r.sport, r.dst, r.dport, r.ttl, this.kindCode(kind), text);
  }

  /** The kind dictionary's code of `kind` (stable: the same kind always gets the same code). */
  kindCode(kind: Kind): number {
    return this.dicts.k.code(JSON.stringify(kind), kind);
  }

  /**
   * Adds one row from a reset's fields, its ids split (splitId; a null connection prefix: no
   * connection) and its kind coded (kindCode); `reason` as reasonInTable gives it, or null.
   */
  addRow(
    idPrefix: string,
    idNumber: number | null,
    ts: number,
    capture: number,
    frame: number,
    connPrefix: string | null,
    connNumber: number | null,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    ttl: number,
    kindCode: number,
    reason: string | null,
  ): void {
    const c = this.chunk.c;
    this.pushId(idPrefix, idNumber, c.ip, c.in, 'id');
    const micros = Math.round(ts * 1e6);
    c.t.push(micros - this.prev.ts);
    this.prev.ts = micros;
    c.c.push(capture);
    c.f.push(frame - this.prev.frame);
    this.prev.frame = frame;
    if (connPrefix === null) {
      c.cp.push(null);
      c.cn.push(0);
    } else this.pushId(connPrefix, connNumber, c.cp, c.cn, 'conn');
    c.s.push(this.dicts.a.code(src));
    c.sp.push(sport);
    c.d.push(this.dicts.a.code(dst));
    c.dp.push(dport);
    c.l.push(ttl);
    c.k.push(kindCode);
    if (reason !== null) this.chunk.r.push([this.chunk.n, this.dicts.r.code(reason)]);
    this.chunk.n++;
    this.rows++;
  }

  /**
   * An id as (prefix code, number difference); an id without a trailing number (its prefix is
   * then the whole id) is coded whole, as -(code + 1), and leaves the running number alone.
   */
  private pushId(prefix: string, n: number | null, prefixes: (number | null)[], numbers: number[], which: 'id' | 'conn'): void {
    if (n === null) {
      prefixes.push(-this.dicts.p.code(prefix) - 1);
      numbers.push(0);
      return;
    }
    prefixes.push(this.dicts.p.code(prefix));
    numbers.push(n - this.prev[which]);
    this.prev[which] = n;
  }

  /** Rows waiting in the current chunk. */
  get pending(): number {
    return this.chunk.n;
  }

  /** The current chunk (with the dictionary entries it introduced), starting a new one; null when empty. */
  takeChunk(): TableChunk | null {
    if (this.chunk.n === 0) return null;
    const chunk = this.chunk;
    for (const name of ['a', 'p', 'k', 'r'] as const) {
      const fresh = this.dicts[name].takeFresh();
      if (fresh.length > 0) chunk.d[name] = fresh;
    }
    this.chunk = ResetTableEncoder.emptyChunk();
    return chunk;
  }
}
