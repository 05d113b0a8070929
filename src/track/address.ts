/**
 * Address text for the tracker, produced only when a connection is finished (addresses stay
 * numbers while tracking). One formatter serves the whole tool: decode/address.ts (RFC 5952,
 * lower case, "::" for the longest zero run, IPv4-mapped with a dotted tail, as Zeek prints).
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';

/** Dotted quad of an unsigned 32-bit IPv4 address. */
export function ipv4ToString(a: number): string {
  return formatIpv4(a >>> 0);
}

const words = new Uint32Array(4);

/** RFC 5952 text of an IPv6 address given as four 32-bit words (network order, word 0 first). */
export function ipv6ToString(w0: number, w1: number, w2: number, w3: number): string {
  words[0] = w0;
  words[1] = w1;
  words[2] = w2;
  words[3] = w3;
  return formatIpv6(words);
}
