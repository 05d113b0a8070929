/** LINKTYPE_* numbers whyreset decodes (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
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
};

/** A link type's name ("Ethernet", "Linux cooked v2"), or null for one whyreset does not decode. */
export function linkTypeName(linktype: number): string | null {
  return LINKTYPE_NAMES[linktype] ?? null;
}
