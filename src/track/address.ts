/**
 * Address text, produced only when a report needs it (addresses stay numbers while tracking).
 * IPv6 follows RFC 5952 (lower case, longest run of two or more zero groups as "::"), which is
 * also how Zeek prints addresses in conn.log.
 */

/** Dotted quad of an unsigned 32-bit IPv4 address. */
export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** RFC 5952 text of an IPv6 address given as four 32-bit words (network order, word 0 first). */
export function ipv6ToString(w0: number, w1: number, w2: number, w3: number): string {
  const g = [
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 & 0xffff,
  ];
  // IPv4-mapped (::ffff:a.b.c.d), printed with the dotted tail as Zeek and inet_ntop do.
  if (w0 === 0 && w1 === 0 && w2 >>> 0 === 0xffff) return `::ffff:${ipv4ToString(w3 >>> 0)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}
