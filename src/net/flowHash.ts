/**
 * The flow hash, in one place: MurmurHash3 x86_32's per-word step and finaliser (Appleby,
 * smhasher `MurmurHash3.cpp`, `MurmurHash3_x86_32` and `fmix32`), and on top of them the
 * direction-independent 5-tuple hash the tracker keys its table with (like Zeek's ConnKey,
 * which orders the two endpoints so both directions find the same entry) and the directed
 * hashes correlate's packet fingerprints fold together. A leaf: imports nothing.
 */

/** MurmurHash3's per-word step: mixes the 32-bit word `k` into the running hash `h` (int32 result). */
export function murmurStep(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser `fmix32`: every input bit reaches every output bit (as an int32). */
export function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  // int32, not uint32: a Smi crosses calls unboxed (a uint32 >= 2^31 becomes a HeapNumber).
  return x | 0;
}

/** Folds two 32-bit hashes into one 53-bit number (exact in a double), e.g. to key a Map without a string. */
export function fold53(h1: number, h2: number): number {
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

/** Hash of an IPv4 TCP tuple (int32), the same for both directions; addresses may come as int32 or uint32. */
export function tupleHashV4(a: number, pa: number, b: number, pb: number): number {
  // Order the endpoints (address, then port) so that (a,pa,b,pb) and (b,pb,a,pa) agree.
  if (a >>> 0 > b >>> 0 || (a === b && pa > pb)) {
    const t = a;
    a = b;
    b = t;
    const tp = pa;
    pa = pb;
    pb = tp;
  }
  // fmix32(murmurStep(murmurStep(0x9e3779b9, a), b) ^ ports), written out: the tracker hashes
  // every packet, and three calls per packet is what it cost whenever TurboFan's inlining
  // budget ran out inside trackPacket (callgrind: 105 -> 218 instructions a packet).
  let h = 0x9e3779b9 | 0;
  let k = Math.imul(a, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  k = Math.imul(b, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  h ^= (pa << 16) | pb;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Folds an IPv6 address (four words from `off`) into 32 bits. */
export function foldV6(w: Uint32Array, off: number): number {
  return fmix32(
    murmurStep(murmurStep(murmurStep(murmurStep(0, w[off] ?? 0), w[off + 1] ?? 0), w[off + 2] ?? 0), w[off + 3] ?? 0),
  );
}

/** Hash of an IPv6 TCP tuple from the folded addresses, the same for both directions. */
export function tupleHashV6(fa: number, pa: number, fb: number, pb: number): number {
  return tupleHashV4(fa, pa, fb, pb) ^ 0x5bd1e995;
}
