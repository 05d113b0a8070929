/**
 * Connection keys without strings: a direction-independent 32-bit hash of the 5-tuple (like
 * Zeek's ConnKey, which orders the two endpoints so both directions find the same entry),
 * computed from the numbers the decoder left in DecodedPacket.
 */

/** murmur3-style finaliser: spreads every input bit over the 32-bit result (as an int32). */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  // int32, not uint32: a Smi crosses calls unboxed (a uint32 >= 2^31 becomes a HeapNumber).
  return h | 0;
}

/** Hash of an IPv4 TCP tuple (int32), the same for both directions; addresses may come as int32 or uint32. */
export function hashV4(a: number, pa: number, b: number, pb: number): number {
  // Order the endpoints (address, then port) so that (a,pa,b,pb) and (b,pb,a,pa) agree.
  if (a >>> 0 > b >>> 0 || (a === b && pa > pb)) {
    const t = a;
    a = b;
    b = t;
    const tp = pa;
    pa = pb;
    pb = tp;
  }
  return mix32(mix32(a ^ 0x9e3779b9) ^ Math.imul(b, 0x85ebca6b) ^ ((pa << 16) | pb));
}

/** Folds an IPv6 address (four words) into 32 bits. */
export function foldV6(w: Uint32Array, off: number): number {
  return mix32((w[off] ?? 0) ^ mix32((w[off + 1] ?? 0) ^ mix32((w[off + 2] ?? 0) ^ mix32(w[off + 3] ?? 0))));
}

/** Hash of an IPv6 TCP tuple from the folded addresses, the same for both directions. */
export function hashV6(fa: number, pa: number, fb: number, pb: number): number {
  return hashV4(fa, pa, fb, pb) ^ 0x5bd1e995;
}
