/**
 * Address text for the tracker, produced only when a connection is finished (addresses stay
 * numbers while tracking). One formatter serves the whole tool: decode/address.ts (RFC 5952,
 * lower case, "::" for the longest zero run, IPv4-mapped with a dotted tail, as Zeek prints).
 *
 * Recent texts are kept in small direct-mapped caches: hosts recur across connections, and
 * handing out one string object per host lets the explain stage's Map lookups reuse the hash
 * V8 cached in it and compare keys by identity, instead of hashing a fresh (cons) string per use.
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';

/** Entries per cache (a power of two); bounded, so a flood of distinct hosts costs nothing extra. */
const CACHE_SIZE = 4096;
const CACHE_SHIFT = 32 - 12;

const v4Keys = new Float64Array(CACHE_SIZE).fill(-1); // -1: empty (addresses are 0 .. 2^32-1)
const v4Texts: string[] = new Array<string>(CACHE_SIZE).fill('');

/** Dotted quad of an unsigned 32-bit IPv4 address. */
export function ipv4ToString(a: number): string {
  const n = a >>> 0;
  const i = Math.imul(n, 0x9e3779b1) >>> CACHE_SHIFT; // Fibonacci hashing: top 12 bits
  if (v4Keys[i] === n) return v4Texts[i] as string;
  const text = formatIpv4(n);
  v4Keys[i] = n;
  v4Texts[i] = text;
  return text;
}

const words = new Uint32Array(4);
const v6Keys = new Uint32Array(CACHE_SIZE * 4);
const v6Texts: string[] = new Array<string>(CACHE_SIZE).fill(''); // '': empty
/**
 * The cache the other way round: from a text handed out (by textSlot) to its entry, -1 when none.
 * Explain's tables key IPv6 addresses by their words (explain/ipv6Words.ts): a text of this
 * formatter is read back here instead of being parsed.
 */
const v6ByText = new Int32Array(CACHE_SIZE).fill(-1);

/** RFC 5952 text of an IPv6 address given as four 32-bit words (network order, word 0 first). */
export function ipv6ToString(w0: number, w1: number, w2: number, w3: number): string {
  const i = Math.imul((w0 ^ w1 ^ w2 ^ w3) | 0, 0x9e3779b1) >>> CACHE_SHIFT;
  const k = i * 4;
  if (
    v6Keys[k] === w0 >>> 0 &&
    v6Keys[k + 1] === w1 >>> 0 &&
    v6Keys[k + 2] === w2 >>> 0 &&
    v6Keys[k + 3] === w3 >>> 0 &&
    v6Texts[i] !== ''
  ) {
    const known = v6Texts[i] as string;
    // Registered again: another text of the same textSlot may have taken its place since.
    v6ByText[textSlot(known)] = i;
    return known;
  }
  words[0] = w0;
  words[1] = w1;
  words[2] = w2;
  words[3] = w3;
  const text = formatIpv6(words);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Texts[i] = text;
  v6ByText[textSlot(text)] = i;
  return text;
}

/**
 * The words of an IPv6 address text that ipv6ToString handed out lately (still in its cache), to
 * `out[at … at + 3]`; false, `out` unchanged, for any other text (the caller parses it then).
 */
export function ipv6WordsOfText(text: string, out: Uint32Array, at: number): boolean {
  if (text.length < 2) return false;
  const i = v6ByText[textSlot(text)] as number;
  // Usually the very string handed out (one pointer comparison); an equal copy is the same address.
  if (i < 0 || v6Texts[i] !== text) return false;
  const k = i * 4;
  out[at] = v6Keys[k] as number;
  out[at + 1] = v6Keys[k + 1] as number;
  out[at + 2] = v6Keys[k + 2] as number;
  out[at + 3] = v6Keys[k + 3] as number;
  return true;
}

/** v6ByText's index of a text of at least 2 characters (every IPv6 text; '::' is the shortest): its length and three characters, hashed. */
function textSlot(text: string): number {
  const n = text.length;
  let h = Math.imul(n ^ (text.charCodeAt(n - 1) << 8), 0x9e3779b1);
  h = Math.imul(h ^ text.charCodeAt(n - 2) ^ (text.charCodeAt(n >> 1) << 16), 0x85ebca6b);
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1) >>> CACHE_SHIFT;
}
