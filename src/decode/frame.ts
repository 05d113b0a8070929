/**
 * Decodes one captured frame down to TCP, in place into a reused DecodedPacket.
 *
 * The guarantee of decode/: every read is checked against the captured end before it is made,
 * so no DataView RangeError can escape; a frame that ends early is *truncated* when the snaplen
 * cut it (caplen < original length) and *malformed* otherwise, and either way every layer
 * decoded before the problem stays valid. Problems are returned as issue codes, never thrown.
 */
import { decodeEthernet } from './ethernet.js';
import { decodeFddi } from './fddi.js';
import { decodeIeee80211, decodeRadiotap } from './ieee80211.js';
import { decodeIp } from './ip.js';
import { decodeIpnet } from './ipnet.js';
import { ISSUE_NONE, ISSUE_TUNNEL_TOO_DEEP, ISSUE_UNKNOWN_LINKTYPE, issue } from './issues.js';
import { decodeJuniper } from './juniper.js';
import {
  LINKTYPE_C_HDLC,
  LINKTYPE_DLT_RAW_12,
  LINKTYPE_DLT_RAW_14,
  LINKTYPE_ETHERNET,
  LINKTYPE_FDDI,
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_IPNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_JUNIPER_CHDLC,
  LINKTYPE_JUNIPER_ETHER,
  LINKTYPE_JUNIPER_PPP,
  LINKTYPE_JUNIPER_PPPOE,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
} from './linktypes.js';
import { decodeLoopback } from './loopback.js';
import { decodeNflog } from './nflog.js';
import { type DecodedPacket, MAX_TUNNEL_DEPTH } from './packet.js';
import { decodeCiscoHdlc, decodePpp } from './ppp.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { NOT_A_TUNNEL, decapsulate, mayCarryTunnel } from './tunnel.js';

// Imported constants and functions are used as imported, not through module-level copies: the
// bin runs the esbuild bundles (scripts/bundle.mjs), where a constant from a module without
// imports (decode/wire.ts, issues.ts, packet.ts, linktypes.ts) is written into the code as a
// literal, and a module-level copy would be a \`var\` read from the context at every use.

/**
 * Decodes `caplen` bytes at `start` of `view` (a frame whose wire length was `origLen`) as
 * link type `linkType`. Returns the first issue code (0 when clean); `out` holds the layers.
 */
export function decodeFrame(view: DataView, start: number, caplen: number, origLen: number, linkType: number, out: DecodedPacket): number {
  out.reset(linkType);
  const end = start + caplen;
  const cut = caplen < origLen;
  out.wireEnd = start + (origLen > caplen ? origLen : caplen);
  // Ethernet first, outside the switch: it is nearly every frame, and a small function stays inlined.
  const result = linkType === LINKTYPE_ETHERNET ? decodeEthernet(view, start, end, cut, out) : decodeLink(view, start, end, cut, linkType, out);
  // Plain TCP (and anything without an IP payload) is done: tunnels are the rare case.
  // `=== true`: a boolean field read as a condition costs TurboFan a generic ToBoolean (~12 instructions).
  if (out.isTcp === true || out.l4End <= out.l4Offset) return result;
  return decapsulateAll(view, cut, out, result);
}

/**
 * Tunnels (decode/tunnel.ts): peels one layer per turn while the innermost packet is IP whose
 * payload may be one. A loop here rather than recursion keeps decode/ free of import cycles;
 * decapsulate() itself stops at MAX_TUNNEL_DEPTH with Zeek's weird, the bound is a safety net.
 */
function decapsulateAll(view: DataView, cut: boolean, out: DecodedPacket, first: number): number {
  let result = first;
  for (let depth = 0; depth <= MAX_TUNNEL_DEPTH && !out.isTcp && out.l4End > out.l4Offset && !out.laterFragment && mayCarryTunnel(out.protocol); depth++) {
    const step = decapsulate(view, cut, out);
    if (step === NOT_A_TUNNEL) break;
    if (result === ISSUE_NONE) result = step;
    if (step === ISSUE_TUNNEL_TOO_DEEP) break;
  }
  return result;
}

/** Decodes the link layer named by `linkType` and whatever it carries, down to TCP. */
function decodeLink(view: DataView, start: number, end: number, cut: boolean, linkType: number, out: DecodedPacket): number {
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
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC:
      return decodePpp(view, start, end, cut, out);
    case LINKTYPE_C_HDLC:
      return decodeCiscoHdlc(view, start, end, cut, out);
    case LINKTYPE_FDDI:
      return decodeFddi(view, start, end, cut, out);
    case LINKTYPE_IEEE802_11:
      return decodeIeee80211(view, start, end, cut, out);
    case LINKTYPE_IEEE802_11_RADIOTAP:
      return decodeRadiotap(view, start, end, cut, out);
    case LINKTYPE_NFLOG:
      return decodeNflog(view, start, end, cut, out);
    case LINKTYPE_IPNET:
      return decodeIpnet(view, start, end, cut, out);
    case LINKTYPE_JUNIPER_ETHER:
    case LINKTYPE_JUNIPER_PPPOE:
    case LINKTYPE_JUNIPER_PPP:
    case LINKTYPE_JUNIPER_CHDLC:
      return decodeJuniper(view, start, end, cut, linkType, out);
    default:
      return issue(out, ISSUE_UNKNOWN_LINKTYPE, start);
  }
}
