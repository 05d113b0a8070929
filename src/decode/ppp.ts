/**
 * Point-to-point links: PPP (LINKTYPE_PPP 9), PPP in HDLC-like framing (LINKTYPE_PPP_HDLC 50,
 * RFC 1662) and Cisco HDLC (LINKTYPE_C_HDLC 104). PPP may start with the HDLC address and
 * control bytes 0xff 0x03 and may compress its protocol field to one byte (RFC 1661 §6.5: an odd
 * first byte); IPv4 is 0x0021, IPv6 0x0057 (RFC 5072). Cisco HDLC has address 0x0f (unicast) or
 * 0x8f (broadcast), control 0x00, then an EtherType; some "PPP" captures from Cisco routers
 * carry it (Wireshark's packet-ppp.c and packet-chdlc.c; Zeek's ppp_serial/ analyzer).
 */
import { decodeEtherType } from './ethernet.js';
import { decodeIp } from './ip.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const HDLC_ADDRESS = 0xff;
const HDLC_CONTROL = 0x03;
const CHDLC_UNICAST = 0x0f;
const CHDLC_BROADCAST = 0x8f;
export const CHDLC_HEADER_LENGTH = 4;

/** Decodes a PPP frame, with or without the HDLC address/control bytes; Cisco HDLC frames are recognised too. */
export function decodePpp(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < 2) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  const first = view.getUint8(offset);
  if (first === CHDLC_UNICAST || first === CHDLC_BROADCAST) return decodeCiscoHdlc(view, offset, end, cut, out);
  let at = offset;
  if (first === HDLC_ADDRESS && view.getUint8(offset + 1) === HDLC_CONTROL) at += 2;
  if (end - at < 1) return linkShort(out, at, cut);
  let protocol = view.getUint8(at);
  if ((protocol & 0x01) === 0) {
    if (end - at < 2) return linkShort(out, at, cut);
    protocol = view.getUint16(at);
    at += 2;
  } else {
    at += 1;
  }
  if (protocol === PPP_IPV4 || protocol === PPP_IPV6) return decodeIp(view, at, end, cut, out);
  return ISSUE_NONE;
}

/** Decodes a Cisco HDLC frame: address, control, EtherType. */
export function decodeCiscoHdlc(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < CHDLC_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  return decodeEtherType(view, offset + CHDLC_HEADER_LENGTH, end, view.getUint16(offset + 2), cut, out);
}
