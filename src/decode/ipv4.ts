/**
 * IPv4 (RFC 791). The payload is trimmed to the total length, so Ethernet padding never counts
 * as TCP data (a 0-byte RST in a 60-byte frame must stay 0 bytes). A total length of 0 comes
 * from segmentation offload on the capturing host (the NIC fills it in later): the frame's own
 * length is used then, as Wireshark does. Only the first fragment carries the TCP header; later
 * fragments are counted, not decoded.
 */
import { ISSUE_BAD_IPV4_HEADER_LENGTH, ISSUE_BAD_IPV4_TOTAL_LENGTH, ISSUE_IP_FRAGMENT, ISSUE_IP_LENGTH_EXCEEDS_FRAME, ISSUE_NONE, ipShort, issue } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_IP } from './packet.js';
import { decodeTcp } from './tcp.js';
// Header numbers from wire.ts (esbuild writes them into the bundle as literals; see there).
import { IPV4_FLAG_DF as FLAG_DF, IPV4_FLAG_MF as FLAG_MF, IPV4_FRAGMENT_OFFSET_MASK as FRAGMENT_OFFSET_MASK, IPV4_MIN_HEADER as MIN_HEADER, PROTO_TCP } from './wire.js';

export { IPV4_MIN_HEADER } from './wire.js';

/**
 * Decodes an IPv4 header at `offset` (version already checked) and, for TCP, the segment.
 *
 * The fixed 20 bytes are read as five big-endian 32-bit words (five DataView reads, not nine
 * of 8 and 16 bits), and their 16-bit halves summed on the way: the header checksum's RFC 1071
 * sum (`ipHeaderSum`), which decode/checksum.ts verifyChecksums then needs no second read for.
 */
export function decodeIpv4(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < MIN_HEADER) return ipShort(out, offset, cut);
  const w0 = view.getUint32(offset); // version, IHL, TOS, total length
  const headerLength = ((w0 >>> 24) & 0x0f) * 4;
  if (headerLength < MIN_HEADER) return issue(out, ISSUE_BAD_IPV4_HEADER_LENGTH, offset);
  const w1 = view.getUint32(offset + 4); // identification, flags, fragment offset
  const w2 = view.getUint32(offset + 8); // TTL, protocol, header checksum
  const src = view.getUint32(offset + 12);
  const dst = view.getUint32(offset + 16);
  out.ipVersion = 4;
  out.ipOffset = offset;
  out.tos = (w0 >>> 16) & 0xff;
  const totalLength = w0 & 0xffff;
  out.ipTotalLength = totalLength;
  out.ipId = w1 >>> 16;
  const frag = w1 & 0xffff;
  out.df = (frag & FLAG_DF) !== 0;
  out.ttl = w2 >>> 24;
  out.protocol = (w2 >>> 16) & 0xff;
  out.src4 = src;
  out.dst4 = dst;
  out.ipOptions = headerLength > MIN_HEADER;
  out.layer = LAYER_IP;
  if (end - offset < headerLength) return ipShort(out, offset, cut);
  // Ten 16-bit halves (below 2^20), plus up to ten more of options: int32 throughout.
  let sum = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + frag + (w2 >>> 16) + (w2 & 0xffff) + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  for (let at = offset + MIN_HEADER; at < offset + headerLength; at += 4) {
    const w = view.getUint32(at);
    sum += (w >>> 16) + (w & 0xffff);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  out.ipHeaderSum = (sum & 0xffff) + (sum >>> 16);

  let claimedEnd: number;
  let result = ISSUE_NONE;
  if (totalLength === 0) {
    claimedEnd = out.wireEnd; // TSO: the stack left the length for the NIC to fill in
  } else if (totalLength < headerLength) {
    return issue(out, ISSUE_BAD_IPV4_TOTAL_LENGTH, offset + 2);
  } else {
    claimedEnd = offset + totalLength;
    if (claimedEnd > out.wireEnd) {
      // The datagram claims more than the wire carried: Wireshark flags it and uses what there is.
      result = issue(out, ISSUE_IP_LENGTH_EXCEEDS_FRAME, offset + 2);
      claimedEnd = out.wireEnd;
    }
  }
  out.l4Offset = offset + headerLength;
  out.l4End = claimedEnd < end ? claimedEnd : end;
  out.l4ClaimedLength = claimedEnd - out.l4Offset;

  const fragmentOffset = frag & FRAGMENT_OFFSET_MASK;
  if (fragmentOffset !== 0) {
    out.laterFragment = true;
    return issue(out, ISSUE_IP_FRAGMENT, offset + 6);
  }
  out.firstFragment = (frag & FLAG_MF) !== 0;
  if (out.protocol !== PROTO_TCP) return result;
  const tcpIssue = decodeTcp(view, out.l4Offset, out.l4End, cut, out);
  return result !== ISSUE_NONE ? result : tcpIssue;
}
