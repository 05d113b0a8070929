/** Address formatting, done only when a report needs a string (addresses stay numbers until then). */

/** Dotted-quad form of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/**
 * RFC 5952 text form of an IPv6 address held as four 32-bit words: lower case, leading zeros
 * dropped, the longest run of two or more zero groups (the first on a tie) shortened to `::`,
 * and IPv4-mapped addresses written with a dotted tail (§5), as tshark prints them.
 */
export function formatIpv6(words: ArrayLike<number>): string {
  // The eight groups in a reused scratch array, the text built by concatenation: the groups
  // array, its pushes, two slices, three maps with a closure and their joins allocated a dozen
  // objects per address (the tracker formats every IPv6 connection's two ends when it finishes).
  const groups = GROUPS;
  for (let i = 0; i < 4; i++) {
    const w = (words[i] ?? 0) >>> 0;
    groups[i * 2] = w >>> 16;
    groups[i * 2 + 1] = w & 0xffff;
  }
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4((words[3] ?? 0) >>> 0)}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) return hexGroups(groups, 0, 8);
  return `${hexGroups(groups, 0, bestStart)}::${hexGroups(groups, bestStart + bestLength, 8)}`;
}

/** formatIpv6's eight 16-bit groups (reused: formatting is synchronous). */
const GROUPS = new Int32Array(8);

/** Groups `from` … `to` - 1 in lower-case hex without leading zeros, joined by ':' ('' when none). */
function hexGroups(groups: Int32Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += i === from ? (groups[i] ?? 0).toString(16) : `:${(groups[i] ?? 0).toString(16)}`;
  return text;
}

/** The source address of a decoded packet as text. */
export function formatSource(pkt: { ipVersion: number; src4: number; src6: Uint32Array }): string {
  return pkt.ipVersion === 4 ? formatIpv4(pkt.src4) : formatIpv6(pkt.src6);
}

/** The destination address of a decoded packet as text. */
export function formatDestination(pkt: { ipVersion: number; dst4: number; dst6: Uint32Array }): string {
  return pkt.ipVersion === 4 ? formatIpv4(pkt.dst4) : formatIpv6(pkt.dst6);
}

/** "10.0.0.1:80", and "[2001:db8::1]:80" with brackets around an IPv6 address (RFC 5952 §6). */
export function endpointText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
