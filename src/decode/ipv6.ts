/**
 * IPv6 (RFC 8200) with its extension headers: hop-by-hop (0), routing (43), fragment (44),
 * destination options (60), AH (51, RFC 4302: length in 4-byte units minus 2), mobility (135),
 * HIP (139), shim6 (140). ESP (50) and "no next header" (59) end the walk. A payload length of 0
 * means a jumbogram or segmentation offload: the frame's own length is used.
 */
import { ISSUE_BAD_IPV6_EXTENSION, ISSUE_IP_FRAGMENT, ISSUE_IP_LENGTH_EXCEEDS_FRAME, ISSUE_NONE, ISSUE_TRUNCATED_IP, ipShort, issue } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_IP } from './packet.js';
import { decodeTcp } from './tcp.js';
// Header numbers from wire.ts (esbuild writes them into the bundle as literals; see there).
import {
  IPV6_FRAGMENT_HEADER_LENGTH as FRAGMENT_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  NH_AH,
  NH_DEST_OPTIONS,
  NH_FRAGMENT,
  NH_HIP,
  NH_HOP_BY_HOP,
  NH_MOBILITY,
  NH_ROUTING,
  NH_SHIM6,
  PROTO_TCP,
} from './wire.js';

export { IPV6_HEADER_LENGTH } from './wire.js';

/** Decodes an IPv6 header and its extension headers at `offset`, then TCP if it follows. */
export function decodeIpv6(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < IPV6_HEADER_LENGTH) return ipShort(out, offset, cut);
  out.ipVersion = 6;
  out.ipOffset = offset;
  out.tos = (view.getUint16(offset) >> 4) & 0xff;
  const payloadLength = view.getUint16(offset + 4);
  let next = view.getUint8(offset + 6);
  out.ttl = view.getUint8(offset + 7);
  const src = out.src6;
  const dst = out.dst6;
  src[0] = view.getUint32(offset + 8);
  src[1] = view.getUint32(offset + 12);
  src[2] = view.getUint32(offset + 16);
  src[3] = view.getUint32(offset + 20);
  dst[0] = view.getUint32(offset + 24);
  dst[1] = view.getUint32(offset + 28);
  dst[2] = view.getUint32(offset + 32);
  dst[3] = view.getUint32(offset + 36);
  out.layer = LAYER_IP;

  let result = ISSUE_NONE;
  let claimedEnd = payloadLength === 0 ? out.wireEnd : offset + IPV6_HEADER_LENGTH + payloadLength;
  out.ipTotalLength = payloadLength === 0 ? 0 : IPV6_HEADER_LENGTH + payloadLength;
  if (claimedEnd > out.wireEnd) {
    result = issue(out, ISSUE_IP_LENGTH_EXCEEDS_FRAME, offset + 4);
    claimedEnd = out.wireEnd;
  }
  const limit = claimedEnd < end ? claimedEnd : end;
  let at = offset + IPV6_HEADER_LENGTH;
  // Each extension header is at least 8 bytes, so this walk ends within the packet.
  for (;;) {
    let length: number;
    if (next === NH_HOP_BY_HOP || next === NH_ROUTING || next === NH_DEST_OPTIONS || next === NH_MOBILITY || next === NH_HIP || next === NH_SHIM6) {
      if (limit - at < 2) return extShort(out, at, cut, claimedEnd, end);
      length = (view.getUint8(at + 1) + 1) * 8;
    } else if (next === NH_AH) {
      if (limit - at < 2) return extShort(out, at, cut, claimedEnd, end);
      length = (view.getUint8(at + 1) + 2) * 4;
    } else if (next === NH_FRAGMENT) {
      if (limit - at < FRAGMENT_HEADER_LENGTH) return extShort(out, at, cut, claimedEnd, end);
      const offsetAndFlags = view.getUint16(at + 2);
      if (offsetAndFlags >> 3 !== 0) {
        out.protocol = view.getUint8(at);
        out.laterFragment = true;
        setL4(out, at + FRAGMENT_HEADER_LENGTH, claimedEnd, end);
        return issue(out, ISSUE_IP_FRAGMENT, at);
      }
      out.firstFragment = (offsetAndFlags & 1) !== 0;
      length = FRAGMENT_HEADER_LENGTH;
    } else {
      break;
    }
    if (limit - at < length) return extShort(out, at, cut, claimedEnd, end);
    next = view.getUint8(at);
    at += length;
  }
  out.protocol = next;
  setL4(out, at, claimedEnd, end);
  if (next !== PROTO_TCP) return result;
  const tcpIssue = decodeTcp(view, out.l4Offset, out.l4End, cut, out);
  return result !== ISSUE_NONE ? result : tcpIssue;
}

function setL4(out: DecodedPacket, at: number, claimedEnd: number, end: number): void {
  out.l4Offset = at;
  out.l4End = claimedEnd < end ? claimedEnd : end;
  if (out.l4End < at) out.l4End = at;
  out.l4ClaimedLength = claimedEnd - at;
}

/** An extension header that runs past the captured bytes (truncated) or past the packet (malformed). */
function extShort(out: DecodedPacket, at: number, cut: boolean, claimedEnd: number, end: number): number {
  if (cut && end < claimedEnd) {
    out.truncated = true;
    return issue(out, ISSUE_TRUNCATED_IP, at);
  }
  return issue(out, ISSUE_BAD_IPV6_EXTENSION, at);
}
