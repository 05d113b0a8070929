/**
 * Ethernet II and what can sit between it and IP: 802.1Q / 802.1ad / QinQ tags (vlan.ts), MPLS
 * label stacks and PPPoE sessions. Linux cooked headers (sll.ts) hand their protocol field to the
 * same `decodeEtherType`, so a VLAN tag inside an SLL frame decodes the same way.
 */
import { decodeIp } from './ip.js';
import { ISSUE_NONE, ISSUE_TOO_MANY_TAGS, issue, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';
import { ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN, ETHERTYPE_VLAN_AD, VLAN_TAG_LENGTH, noteVlanTag } from './vlan.js';

// Header numbers from wire.ts (esbuild writes them into the bundle as literals; see there).
import { ETHERNET_HEADER_LENGTH as HEADER_LENGTH, ETHERTYPE_IPV4 as TYPE_IPV4, ETHERTYPE_IPV6 as TYPE_IPV6 } from './wire.js';

export { ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './wire.js';
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** PPP protocol numbers inside PPPoE (RFC 1661, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPPOE_HEADER_LENGTH = 8;
const MPLS_LABEL_LENGTH = 4;
/** Bound on stacked tags and labels: real networks use a handful; garbage could chain forever. */
const MAX_SHIMS = 16;

/** Decodes an Ethernet II frame from `offset` to `end` into `out`; returns an issue code. */
export function decodeEthernet(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  const etherType = view.getUint16(offset + 12);
  // Untagged IP, nearly every frame: straight to it, without decodeEtherType's loop.
  if (etherType === TYPE_IPV4 || etherType === TYPE_IPV6) return decodeIp(view, offset + HEADER_LENGTH, end, cut, out);
  return decodeEtherType(view, offset + HEADER_LENGTH, end, etherType, cut, out);
}

/** Follows an EtherType through VLAN tags, MPLS and PPPoE down to IP. */
export function decodeEtherType(view: DataView, offset: number, end: number, etherType: number, cut: boolean, out: DecodedPacket): number {
  for (let shims = 0; shims < MAX_SHIMS; shims++) {
    switch (etherType) {
      case TYPE_IPV4:
      case TYPE_IPV6:
        return decodeIp(view, offset, end, cut, out);
      case ETHERTYPE_VLAN:
      case ETHERTYPE_VLAN_AD:
      case ETHERTYPE_QINQ_OLD:
        if (end - offset < VLAN_TAG_LENGTH) return linkShort(out, offset, cut);
        noteVlanTag(out, view.getUint16(offset) & 0x0fff);
        etherType = view.getUint16(offset + 2);
        offset += VLAN_TAG_LENGTH;
        break;
      case ETHERTYPE_MPLS:
      case ETHERTYPE_MPLS_MULTICAST: {
        // RFC 3032: walk to the bottom-of-stack label, then guess the payload by its version nibble.
        let bottom = false;
        for (let labels = 0; !bottom; labels++) {
          if (labels >= MAX_SHIMS) return issue(out, ISSUE_TOO_MANY_TAGS, offset);
          if (end - offset < MPLS_LABEL_LENGTH) return linkShort(out, offset, cut);
          bottom = (view.getUint8(offset + 2) & 0x01) !== 0;
          offset += MPLS_LABEL_LENGTH;
        }
        if (end - offset < 1) return linkShort(out, offset, cut);
        return decodeIp(view, offset, end, cut, out);
      }
      case ETHERTYPE_PPPOE_SESSION: {
        // RFC 2516 §4: ver/type, code, session id, length, then the PPP protocol field.
        if (end - offset < PPPOE_HEADER_LENGTH) return linkShort(out, offset, cut);
        const proto = view.getUint16(offset + 6);
        offset += PPPOE_HEADER_LENGTH;
        if (proto === PPP_IPV4 || proto === PPP_IPV6) return decodeIp(view, offset, end, cut, out);
        return ISSUE_NONE;
      }
      default:
        // ARP, LLDP, 802.3 length fields, …: not IP, nothing to report.
        return ISSUE_NONE;
    }
  }
  return issue(out, ISSUE_TOO_MANY_TAGS, offset);
}
