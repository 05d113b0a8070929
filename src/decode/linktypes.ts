/** LINKTYPE_* numbers whyreset decodes (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_IPNET = 226;
export const LINKTYPE_NFLOG = 239;
/** DLT_RAW as most BSDs and Linux number it in files written without the LINKTYPE mapping. */
export const LINKTYPE_DLT_RAW_12 = 12;
/** DLT_RAW as OpenBSD numbers it. */
export const LINKTYPE_DLT_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Juniper's (decode/juniper.ts). */
export const LINKTYPE_JUNIPER_PPPOE = 167;
export const LINKTYPE_JUNIPER_ETHER = 178;
export const LINKTYPE_JUNIPER_PPP = 179;
export const LINKTYPE_JUNIPER_CHDLC = 181;

/** True for the link types this decoder understands. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_DLT_RAW_12:
    case LINKTYPE_DLT_RAW_14:
    case LINKTYPE_RAW:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_LINUX_SLL2:
    case LINKTYPE_PPP:
    case LINKTYPE_FDDI:
    case LINKTYPE_PPP_HDLC:
    case LINKTYPE_C_HDLC:
    case LINKTYPE_IEEE802_11:
    case LINKTYPE_IEEE802_11_RADIOTAP:
    case LINKTYPE_IPNET:
    case LINKTYPE_NFLOG:
    case LINKTYPE_JUNIPER_PPPOE:
    case LINKTYPE_JUNIPER_ETHER:
    case LINKTYPE_JUNIPER_PPP:
    case LINKTYPE_JUNIPER_CHDLC:
      return true;
    default:
      return false;
  }
}

/** Names people know the link types by (Wireshark's wording), for reports. */
const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: 'BSD loopback',
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_DLT_RAW_12]: 'raw IP',
  [LINKTYPE_DLT_RAW_14]: 'raw IP',
  [LINKTYPE_RAW]: 'raw IP',
  [LINKTYPE_LOOP]: 'OpenBSD loopback',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked',
  [LINKTYPE_IPV4]: 'IPv4',
  [LINKTYPE_IPV6]: 'IPv6',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked v2',
  [LINKTYPE_PPP]: 'PPP',
  [LINKTYPE_FDDI]: 'FDDI',
  [LINKTYPE_PPP_HDLC]: 'PPP in HDLC-like framing',
  [LINKTYPE_C_HDLC]: 'Cisco HDLC',
  [LINKTYPE_IEEE802_11]: 'IEEE 802.11',
  [LINKTYPE_IEEE802_11_RADIOTAP]: 'IEEE 802.11 radiotap',
  [LINKTYPE_IPNET]: 'Solaris IPNET',
  [LINKTYPE_NFLOG]: 'Linux NFLOG',
  [LINKTYPE_JUNIPER_PPPOE]: 'Juniper PPPoE',
  [LINKTYPE_JUNIPER_ETHER]: 'Juniper Ethernet',
  [LINKTYPE_JUNIPER_PPP]: 'Juniper PPP',
  [LINKTYPE_JUNIPER_CHDLC]: 'Juniper C-HDLC',
};

/** A link type's name ("Ethernet", "Linux cooked v2"), or null for one whyreset does not decode. */
export function linkTypeName(linktype: number): string | null {
  return LINKTYPE_NAMES[linktype] ?? null;
}
