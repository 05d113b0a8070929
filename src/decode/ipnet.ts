/**
 * Solaris IPNET (LINKTYPE_IPNET 226, `snoop`/`tcpdump` on Solaris 11 ipnet devices): a 24-byte
 * header — version, address family (2 IPv4, 26 IPv6), type, packet length, interface and zone
 * ids — before the IP packet (libpcap's pcap/ipnet.h; Wireshark's packet-ipnet.c).
 */
import { decodeIp } from './ip.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

export const IPNET_HEADER_LENGTH = 24;
const IPH_AF_INET = 2;
const IPH_AF_INET6 = 26;

/** Decodes an IPNET record from `offset` to `end` into `out`. */
export function decodeIpnet(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < IPNET_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  const family = view.getUint8(offset + 1);
  if (family !== IPH_AF_INET && family !== IPH_AF_INET6) return ISSUE_NONE;
  return decodeIp(view, offset + IPNET_HEADER_LENGTH, end, cut, out);
}
