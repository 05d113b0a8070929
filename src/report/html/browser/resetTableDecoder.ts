/**
 * The page-side decoder of ResetTableEncoder's chunks (../resetTableEncoder.ts). A browser
 * script, not a module: compiled by this folder's tsconfig.json (lib DOM, plain ES2017 for any
 * browser) and inlined into the report page before pageScript.ts; tests evaluate the compiled
 * text in Node. It returns columns: typed arrays for numbers, arrays for strings, and the
 * dictionaries.
 */

/** One kind: [stage, cause, verdict, origin, flags, signature, evidence codes, confidence]. */
type WireKind = [string, string, string, string, string, string, string, number | null];

/** One chunk as the encoder writes it (TableChunk in ../resetTableEncoder.ts). */
interface WireChunk {
  n: number;
  d: { a?: string[]; p?: string[]; k?: WireKind[]; r?: string[] };
  c: {
    ip: (number | null)[];
    in: number[];
    t: number[];
    c: number[];
    f: number[];
    cp: (number | null)[];
    cn: number[];
    s: number[];
    sp: number[];
    d: number[];
    dp: number[];
    l: number[];
    k: number[];
  };
  r: [number, number][];
}

/** The decoded resets, one column per field; addrs, kinds and reasons are the dictionaries the columns index. */
interface DecodedRows {
  n: number;
  id: (string | null)[];
  ts: Float64Array;
  cap: Int32Array;
  frame: Float64Array;
  conn: (string | null)[];
  src: Int32Array;
  sport: Int32Array;
  dst: Int32Array;
  dport: Int32Array;
  ttl: Int32Array;
  kind: Int32Array;
  reason: Int32Array;
  addrs: string[];
  kinds: WireKind[];
  reasons: string[];
}

/** Appends items to target one by one (no argument-count limit, unlike push.apply). */
function appendAll<T>(target: T[], items: readonly T[] | undefined): void {
  if (items === undefined) return;
  for (let i = 0; i < items.length; i++) target.push(items[i]);
}

/** Chunks in order → the decoded columns. */
function decodeRows(chunks: readonly WireChunk[]): DecodedRows {
  const NE = '(not embedded)';
  const D = { a: [NE], p: [NE], k: [[NE, NE, NE, NE, NE, NE, '', null] as WireKind], r: [NE] };
  let n = 0;
  for (let ci = 0; ci < chunks.length; ci++) n += chunks[ci].n;
  const out: DecodedRows = {
    n: n,
    id: new Array(n),
    ts: new Float64Array(n),
    cap: new Int32Array(n),
    frame: new Float64Array(n),
    conn: new Array(n),
    src: new Int32Array(n),
    sport: new Int32Array(n),
    dst: new Int32Array(n),
    dport: new Int32Array(n),
    ttl: new Int32Array(n),
    kind: new Int32Array(n),
    reason: new Int32Array(n).fill(-1),
    addrs: D.a,
    kinds: D.k,
    reasons: D.r,
  };
  const prev = { id: 0, conn: 0 };
  let ts = 0;
  let frame = 0;
  let row = 0;
  // An id is a dictionary prefix plus a number coded as the difference from the previous row's,
  // or (negative code) an id kept whole in the prefix dictionary.
  function ident(code: number | null, delta: number, which: 'id' | 'conn'): string | null {
    if (code === null) return null;
    if (code < 0) return D.p[-code - 1];
    prev[which] += delta;
    return D.p[code] + prev[which];
  }
  for (let ci = 0; ci < chunks.length; ci++) {
    const chunk = chunks[ci];
    const c = chunk.c;
    appendAll(D.a, chunk.d.a);
    appendAll(D.p, chunk.d.p);
    appendAll(D.k, chunk.d.k);
    appendAll(D.r, chunk.d.r);
    for (let i = 0; i < chunk.n; i++, row++) {
      out.id[row] = ident(c.ip[i], c.in[i], 'id');
      ts += c.t[i];
      out.ts[row] = ts / 1e6;
      out.cap[row] = c.c[i];
      frame += c.f[i];
      out.frame[row] = frame;
      out.conn[row] = ident(c.cp[i], c.cn[i], 'conn');
      out.src[row] = c.s[i];
      out.sport[row] = c.sp[i];
      out.dst[row] = c.d[i];
      out.dport[row] = c.dp[i];
      out.ttl[row] = c.l[i];
      out.kind[row] = c.k[i];
    }
    for (let j = 0; j < chunk.r.length; j++) {
      const [at, reason] = chunk.r[j];
      out.reason[row - chunk.n + at] = reason;
    }
  }
  return out;
}
