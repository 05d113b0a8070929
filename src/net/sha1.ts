/**
 * SHA-1 (FIPS 180-4 §6.1) of a short message (at most 55 bytes: one 512-bit block after the
 * padding of §5.1.1): what a Community ID hashes (net/communityId.ts: 16 bytes for TCP over
 * IPv4, at most 40). Written out here rather than asked of node:crypto, whose one-shot
 * crypto.hash cost ~3,700 instructions of native code per call (an OpenSSL EVP context made and
 * freed, the base64 string made in C++) plus ~1,100 for its JavaScript checks and our Buffer
 * writes, where this block costs ~1,500 in all; and loading node:crypto cost a JSON run ~40 M
 * instructions at start (Debian's node compiles its built-ins from source; callgrind, 32 MiB mix,
 * --format json: 2,653.6 -> 2,614.7 M; 20,000-connection flood 5,260.8 -> 5,051.8 M). One
 * schedule and one digest array reused: no allocation.
 */

/** The message schedule (§6.1.2 step 1): W[0..15] the padded block, W[16..79] derived. */
const W = new Int32Array(80);
/** The digest of the last call: H0..H4 of §6.1.2 step 4, as signed 32-bit words (big-endian bytes). */
const DIGEST = new Int32Array(5);
/** The longest message that fits one block with its padding (a 0x80 byte and the 64-bit length). */
export const SHA1_ONE_BLOCK_BYTES = 55;

/**
 * SHA-1 of bytes [0, length) of `message` (length at most 55): the five digest words, in a
 * scratch array valid until the next call.
 */
export function sha1Short(message: Uint8Array, length: number): Int32Array {
  if (length > SHA1_ONE_BLOCK_BYTES) throw new RangeError(`sha1Short hashes at most ${SHA1_ONE_BLOCK_BYTES} bytes, not ${length}`);
  W.fill(0, 0, 16);
  for (let i = 0; i < length; i++) W[i >> 2] = (W[i >> 2] as number) | ((message[i] as number) << (24 - 8 * (i & 3)));
  return digestOfBlock(length);
}

/**
 * SHA-1 of the 16 bytes given as four big-endian 32-bit words (a Community ID's TCP-over-IPv4
 * tuple, net/communityId.ts tcpCommunityId), no byte buffer in between: the digest as sha1Short's.
 */
export function sha1Of16(w0: number, w1: number, w2: number, w3: number): Int32Array {
  const w = W;
  w[0] = w0;
  w[1] = w1;
  w[2] = w2;
  w[3] = w3;
  // Zeros up to the padding (stores, not TypedArray#fill: a builtin call of ~150 instructions).
  for (let i = 4; i < 16; i++) w[i] = 0;
  return digestOfBlock(16);
}

/** Pads W[0..15] (holding `length` message bytes, the rest zero) and runs §6.1.2 on the block. */
function digestOfBlock(length: number): Int32Array {
  const w = W;
  // §5.1.1: a 1 bit after the message, zeros, then the length in bits (it fits the last word).
  w[length >> 2] = (w[length >> 2] as number) | (0x80 << (24 - 8 * (length & 3)));
  w[15] = length * 8;
  for (let t = 16; t < 80; t++) {
    const x = (w[t - 3] as number) ^ (w[t - 8] as number) ^ (w[t - 14] as number) ^ (w[t - 16] as number);
    w[t] = (x << 1) | (x >>> 31);
  }
  // §5.3.1's initial hash value.
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  // §4.1.1's functions and §4.2.1's constants, twenty rounds each, five rounds a step: after
  // five the variables are back in their places, so a round is its sum and a rotation, without
  // the four moves of each round written one at a time (~4,400 -> ~3,600 instructions a digest).
  for (let t = 0; t < 20; t += 5) {
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + (w[t] as number)) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + 0x5a827999 + (w[t + 1] as number)) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + 0x5a827999 + (w[t + 2] as number)) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + 0x5a827999 + (w[t + 3] as number)) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + (w[t + 4] as number)) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (let t = 20; t < 40; t += 5) {
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + (w[t] as number)) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + (w[t + 1] as number)) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + (w[t + 2] as number)) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + (w[t + 3] as number)) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + (w[t + 4] as number)) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (let t = 40; t < 60; t += 5) {
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + (w[t] as number)) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + (0x8f1bbcdc | 0) + (w[t + 1] as number)) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + (0x8f1bbcdc | 0) + (w[t + 2] as number)) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + (0x8f1bbcdc | 0) + (w[t + 3] as number)) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + (0x8f1bbcdc | 0) + (w[t + 4] as number)) | 0;
    c = (c << 30) | (c >>> 2);
  }
  for (let t = 60; t < 80; t += 5) {
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + (w[t] as number)) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + (0xca62c1d6 | 0) + (w[t + 1] as number)) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + (0xca62c1d6 | 0) + (w[t + 2] as number)) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + (0xca62c1d6 | 0) + (w[t + 3] as number)) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + (0xca62c1d6 | 0) + (w[t + 4] as number)) | 0;
    c = (c << 30) | (c >>> 2);
  }
  const out = DIGEST;
  out[0] = a + 0x67452301;
  out[1] = b + 0xefcdab89;
  out[2] = c + 0x98badcfe;
  out[3] = d + 0x10325476;
  out[4] = e + 0xc3d2e1f0;
  return out;
}
