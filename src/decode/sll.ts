/**
 * Linux cooked captures (`tcpdump -i any`): SLL v1 (LINKTYPE_LINUX_SLL, 16 bytes) and SLL v2
 * (LINKTYPE_LINUX_SLL2, 20 bytes, with the interface index). The packet type tells a forwarded
 * packet's two appearances apart: 0 to us, 3 otherhost, 4 outgoing (linux/if_packet.h).
 */
import { decodeEtherType } from './ethernet.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;
/** ARPHRD values whose protocol field is not an EtherType (netlink, CAN): nothing to decode. */
const ARPHRD_NETLINK = 824;

/** Decodes an SLL v1 header: packet type, ARPHRD, address length, address (8), protocol. */
export function decodeSll(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < SLL_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  out.sllPacketType = view.getUint16(offset);
  if (view.getUint16(offset + 2) === ARPHRD_NETLINK) return ISSUE_NONE;
  return decodeEtherType(view, offset + SLL_HEADER_LENGTH, end, view.getUint16(offset + 14), cut, out);
}

/** Decodes an SLL v2 header: protocol, reserved, interface index, ARPHRD, packet type, address length, address (8). */
export function decodeSll2(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < SLL2_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  out.sllIfIndex = view.getUint32(offset + 4);
  out.sllPacketType = view.getUint8(offset + 10);
  if (view.getUint16(offset + 8) === ARPHRD_NETLINK) return ISSUE_NONE;
  return decodeEtherType(view, offset + SLL2_HEADER_LENGTH, end, view.getUint16(offset), cut, out);
}
