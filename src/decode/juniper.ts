/**
 * Juniper's capture link types (what `monitor traffic … write-file` and port mirroring on JUNOS
 * give): LINKTYPE_JUNIPER_ETHER (178), JUNIPER_PPPOE (167, Ethernet after the header too),
 * JUNIPER_PPP (179) and JUNIPER_CHDLC (181). The header, as Wireshark's
 * epan/dissectors/packet-juniper.c dissect_juniper_header reads it: the magic "MGC" (0x4d4743),
 * a flags byte (0x01 incoming, 0x02 no link header, 0x80 extensions present), then with
 * extensions a 16-bit big-endian total length of extension TLVs that follow (JUNOS ≥ 7.5).
 * Without the magic (older JUNOS) Wireshark takes the frame to start at once. With "no link
 * header" a 32-bit little-endian JUNOS protocol number (packet-juniper.h JUNIPER_PROTO_*)
 * precedes the payload. The multilink, ATM and services PICs' cookies are not decoded.
 */
import { decodeEthernet } from './ethernet.js';
import { decodeIp } from './ip.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import { LINKTYPE_JUNIPER_CHDLC, LINKTYPE_JUNIPER_PPP } from './linktypes.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';
import { decodeCiscoHdlc, decodePpp } from './ppp.js';

const JUNIPER_MAGIC = 0x4d4743;
const FLAG_NO_L2 = 0x02;
const FLAG_EXT = 0x80;
/** packet-juniper.h: JUNOS protocol numbers of frames without a link header. */
const PROTO_IP = 2;
const PROTO_IP6 = 6;
const PROTO_PPP = 200;
const PROTO_ETHER = 204;
const PROTO_CHDLC = 208;
/** dissect_juniper_payload_proto: "0xa248 stands for ???": 4 more bytes, then IPv4. */
const PROTO_A248 = 0xa248;

/** Decodes a frame of a Juniper link type (`linkType` says what follows the header). */
export function decodeJuniper(view: DataView, offset: number, end: number, cut: boolean, linkType: number, out: DecodedPacket): number {
  if (end - offset < 4) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  let at = offset;
  if (((view.getUint16(offset) << 8) | view.getUint8(offset + 2)) === JUNIPER_MAGIC) {
    const flags = view.getUint8(offset + 3);
    at = offset + 4;
    if ((flags & FLAG_EXT) !== 0) {
      if (end - offset < 6) return linkShort(out, offset + 4, cut);
      at = offset + 6 + view.getUint16(offset + 4);
    }
    if ((flags & FLAG_NO_L2) !== 0) {
      if (end - at < 4) return linkShort(out, at, cut);
      return decodeJunosProto(view, at + 4, end, view.getUint32(at, true), cut, out);
    }
  }
  if (at > end) return linkShort(out, at, cut);
  if (linkType === LINKTYPE_JUNIPER_PPP) return at + 2 > end ? linkShort(out, at, cut) : decodePpp(view, at + 2, end, cut, out);
  if (linkType === LINKTYPE_JUNIPER_CHDLC) return decodeCiscoHdlc(view, at, end, cut, out);
  return decodeEthernet(view, at, end, cut, out);
}

/** The payload of a frame without a link header, by its JUNOS protocol number. */
function decodeJunosProto(view: DataView, at: number, end: number, proto: number, cut: boolean, out: DecodedPacket): number {
  switch (proto) {
    case PROTO_IP:
    case PROTO_IP6:
      return decodeIp(view, at, end, cut, out);
    case PROTO_A248:
      return at + 4 > end ? linkShort(out, at, cut) : decodeIp(view, at + 4, end, cut, out);
    case PROTO_ETHER:
      return decodeEthernet(view, at, end, cut, out);
    case PROTO_PPP:
      return decodePpp(view, at, end, cut, out);
    case PROTO_CHDLC:
      return decodeCiscoHdlc(view, at, end, cut, out);
    default:
      // MPLS, CLNP, ISO, LLC, ATM OAM, Q.933, Frame Relay: no TCP whyreset reads.
      return ISSUE_NONE;
  }
}
