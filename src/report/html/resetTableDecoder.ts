/**
 * The page-side decoder of ResetTableEncoder's chunks, as JavaScript source embedded in the
 * report (plain ES2017 for any browser; tests evaluate this very text in Node). It returns
 * columns: typed arrays for numbers, arrays for strings, and the dictionaries.
 */

/** Source of `function decodeRows(chunks)`: chunks in order → {n, id, ts, cap, frame, conn, src, sport, dst, dport, ttl, kind, reason, addrs, kinds, reasons}. */
export const DECODE_ROWS_SOURCE = `function decodeRows(chunks) {
  var NE = '(not embedded)';
  var D = { a: [NE], p: [NE], k: [[NE, NE, NE, NE, NE, NE, '', null]], r: [NE] };
  var n = 0;
  for (var ci = 0; ci < chunks.length; ci++) n += chunks[ci].n;
  var out = {
    n: n, id: new Array(n), ts: new Float64Array(n), cap: new Int32Array(n), frame: new Float64Array(n),
    conn: new Array(n), src: new Int32Array(n), sport: new Int32Array(n), dst: new Int32Array(n),
    dport: new Int32Array(n), ttl: new Int32Array(n), kind: new Int32Array(n), reason: new Int32Array(n).fill(-1),
    addrs: D.a, kinds: D.k, reasons: D.r
  };
  var prev = { id: 0, conn: 0 }, ts = 0, frame = 0, row = 0;
  function ident(code, delta, which) {
    if (code === null) return null;
    if (code < 0) return D.p[-code - 1];
    prev[which] += delta;
    return D.p[code] + prev[which];
  }
  for (ci = 0; ci < chunks.length; ci++) {
    var chunk = chunks[ci], c = chunk.c;
    for (var name in chunk.d) Array.prototype.push.apply(D[name], chunk.d[name]);
    for (var i = 0; i < chunk.n; i++, row++) {
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
    for (var j = 0; j < chunk.r.length; j++) out.reason[row - chunk.n + chunk.r[j][0]] = chunk.r[j][1];
  }
  return out;
}`;
