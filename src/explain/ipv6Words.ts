/**
 * An IPv6 address text as the four 32-bit words explain's tables key it by (RecentKeys' wide
 * keys), for the text the tracker writes only: the RFC 5952 form of decode/address.ts (lower case,
 * no leading zeros, the longest zero run as "::"). Any other text (upper case, leading zeros, a
 * zone, an IPv4-mapped address's dotted tail, not an address at all) is refused and keeps its text
 * key, so two texts that a Map told apart are never one key here: a text is taken only when it is
 * exactly the canonical text of the words it reads as.
 *
 * A text the tracker's formatter handed out lately is read back from its cache (track/address.ts
 * ipv6WordsOfText: a hash of three characters and one pointer comparison). Any other (a text
 * copied from a worker thread's batch, a library caller's) is parsed (net/ipv6Text.ts) and checked
 * against the formatter's text of the words it reads as; the last two such texts are kept with
 * their words (a connection's two ends are asked for again and again: the tuple tables, the host
 * table, the open ports), so a repeat costs a string comparison.
 */
import { ipv6Groups } from '../net/ipv6Text.js';
import { ipv6ToString, ipv6WordsOfText } from '../track/address.js';

/** The eight 16-bit groups being read. */
const GROUPS = new Int32Array(8);

let lastText = '';
let lastOk = false;
const lastWords = new Uint32Array(4);
let otherText = '';
let otherOk = false;
const otherWords = new Uint32Array(4);

/**
 * Writes the four words of `addr` (word 0 first, network order) to `out[at … at + 3]` and
 * returns true when `addr` is the canonical text of an IPv6 address (see the module comment);
 * false, `out` unchanged, for any other text.
 */
export function ipv6WordsInto(addr: string, out: Uint32Array, at: number): boolean {
  if (ipv6WordsOfText(addr, out, at)) return true;
  if (addr === lastText) return copyWords(lastOk, lastWords, out, at);
  if (addr === otherText) return copyWords(otherOk, otherWords, out, at);
  // The older entry makes room: the newer becomes the other one.
  otherText = lastText;
  otherOk = lastOk;
  otherWords.set(lastWords);
  lastText = addr;
  lastOk = readCanonical(addr, lastWords);
  return copyWords(lastOk, lastWords, out, at);
}

function copyWords(ok: boolean, words: Uint32Array, out: Uint32Array, at: number): boolean {
  if (!ok) return false;
  out[at] = words[0] as number;
  out[at + 1] = words[1] as number;
  out[at + 2] = words[2] as number;
  out[at + 3] = words[3] as number;
  return true;
}

/** Reads `addr` into `words`; true when it is an IPv6 address written exactly as the tracker writes it. */
function readCanonical(addr: string, words: Uint32Array): boolean {
  // A text with a dot is an IPv4 address or a dotted tail: never a wide key (a cheap early no).
  if (addr.indexOf(':') < 0 || addr.indexOf('.') >= 0 || !ipv6Groups(addr, GROUPS)) return false;
  for (let i = 0; i < 4; i++) words[i] = (((GROUPS[i * 2] as number) << 16) | (GROUPS[i * 2 + 1] as number)) >>> 0;
  return ipv6ToString(words[0] as number, words[1] as number, words[2] as number, words[3] as number) === addr;
}
