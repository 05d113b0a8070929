/**
 * Decodes one captured frame down to TCP, in place into a reused DecodedPacket.
 *
 * The guarantee of decode/: every read is checked against the captured end before it is made,
 * so no DataView RangeError can escape; a frame that ends early is *truncated* when the snaplen
 * cut it (caplen < original length) and *malformed* otherwise, and either way every layer
 * decoded before the problem stays valid. Problems are returned as issue codes, never thrown.
 */
import { decodeEthernet } from './ethernet.js';
import { decodeIp } from './ip.js';
import { ISSUE_UNKNOWN_LINKTYPE, issue } from './issues.js';
import {
  LINKTYPE_DLT_RAW_12,
  LINKTYPE_DLT_RAW_14,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from './linktypes.js';
import { decodeLoopback } from './loopback.js';
import type { DecodedPacket } from './packet.js';
import { decodeSll, decodeSll2 } from './sll.js';

/**
 * Decodes `caplen` bytes at `start` of `view` (a frame whose wire length was `origLen`) as
 * link type `linkType`. Returns the first issue code (0 when clean); `out` holds the layers.
 */
export function decodeFrame(view: DataView, start: number, caplen: number, origLen: number, linkType: number, out: DecodedPacket): number {
  out.reset(linkType);
  const end = start + caplen;
  const cut = caplen < origLen;
  out.wireEnd = start + (origLen > caplen ? origLen : caplen);
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(view, start, end, cut, out);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(view, start, end, cut, out);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(view, start, end, cut, out);
    case LINKTYPE_RAW:
    case LINKTYPE_DLT_RAW_12:
    case LINKTYPE_DLT_RAW_14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return decodeIp(view, start, end, cut, out);
    case LINKTYPE_NULL:
      return decodeLoopback(view, start, end, false, cut, out);
    case LINKTYPE_LOOP:
      return decodeLoopback(view, start, end, true, cut, out);
    default:
      return issue(out, ISSUE_UNKNOWN_LINKTYPE, start);
  }
}
