/**
 * Reading IPv6 addresses as text (RFC 4291 §2.2), in one place, as ipv4Text.ts reads IPv4: the
 * Community ID (net/communityId.ts) and correlation's flows of interest (correlate/flowInterest.ts)
 * read the addresses the reports name. Imports only ipv4Text (for an embedded dotted quad).
 */
import { dottedQuadNumber } from './ipv4Text.js';

/** The 16-bit groups of an IPv6 address being read (a dotted-quad part adds two); past 8 it cannot be one. */
const GROUPS = new Uint16Array(10);

/**
 * RFC 4291 §2.2 text to its eight 16-bit groups in `out`; false when it is not one. A character
 * loop, no allocation: split/regex/spread versions of it were 2–3% of a run's profile (once per
 * IPv6 connection). The grammar: an optional "%zone" dropped, at most one "::" (which stands for
 * at least one zero group), groups of 1–4 hex digits, or a dotted quad standing for two.
 */
export function ipv6Groups(text: string, out: Int32Array): boolean {
  const zone = text.indexOf('%');
  const end = zone >= 0 ? zone : text.length;
  const gap = text.indexOf('::');
  const hasGap = gap >= 0 && gap + 2 <= end;
  if (hasGap) {
    const again = text.indexOf('::', gap + 2);
    if (again >= 0 && again + 2 <= end) return false;
  }
  const head = readGroups(text, 0, hasGap ? gap : end, 0);
  if (head < 0) return false;
  const all = hasGap ? readGroups(text, gap + 2, end, head) : head;
  if (all < 0) return false;
  const missing = 8 - all;
  if (hasGap ? missing < 1 : missing !== 0) return false;
  // Head groups first, then the gap's zeros, then the tail groups.
  for (let i = 0; i < head; i++) out[i] = GROUPS[i] as number;
  for (let i = head; i < head + missing; i++) out[i] = 0;
  for (let i = head; i < all; i++) out[i + missing] = GROUPS[i] as number;
  return true;
}

/** Reads the ":"-separated groups of text[from, to) into GROUPS from `at`; the new count, or -1. An empty range has none. */
function readGroups(text: string, from: number, to: number, at: number): number {
  if (from === to) return at;
  let start = from;
  let n = at;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 0x3a) continue;
    n = readGroup(text, start, i, n);
    if (n < 0) return -1;
    start = i + 1;
  }
  return n;
}

/**
 * One group text[a, b): 1–4 hex digits, or a dotted quad (two groups); the new count, or -1. The
 * digits are read first: a group is a dotted quad only where its first character that is not a
 * hex digit is a dot (dottedQuadNumber refuses any other), so most groups need no search for one.
 */
function readGroup(text: string, a: number, b: number, n: number): number {
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return c === 0x2e ? readDottedQuad(text, a, b, n) : -1;
    v = v * 16 + d;
  }
  if (b - a < 1 || b - a > 4 || n + 1 > 8) return -1;
  GROUPS[n] = v;
  return n + 1;
}

/** A dotted quad text[a, b) as two groups; the new count, or -1. */
function readDottedQuad(text: string, a: number, b: number, n: number): number {
  const v4 = dottedQuadNumber(text.slice(a, b));
  if (v4 < 0 || n + 2 > 8) return -1;
  GROUPS[n] = v4 >>> 16;
  GROUPS[n + 1] = v4 & 0xffff;
  return n + 2;
}
