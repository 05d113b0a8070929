/**
 * Wire-format numbers of the headers on decode/'s per-packet path (Ethernet, IPv4, IPv6, TCP) and
 * the checksum verdicts, in a module that imports nothing.
 *
 * Why a module of their own: the bin runs esbuild bundles (scripts/bundle.mjs), and esbuild writes
 * a constant into the code as a literal only when it comes from a module without imports (it
 * keeps a module's own constants as `var`s when the module imports anything: ES module imports
 * are hoisted, so a cycle could read them before they are set). A `var` costs TurboFan a context
 * load and a Smi check at every use, in the per-packet functions of decode/ about 110
 * instructions per packet (callgrind, bench/readCost.ts on a 32 MiB mix: 2,029 -> 1,924).
 * The protocol files import these under their short local names.
 */

/** Ethernet II header (IEEE 802.3 §3.2): destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

/** IPv4 header without options (RFC 791 §3.1). */
export const IPV4_MIN_HEADER = 20;
/** Don't Fragment, More Fragments and the fragment offset in the flags/offset word (RFC 791 §3.1). */
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;

/** IPv6 fixed header (RFC 8200 §3). */
export const IPV6_HEADER_LENGTH = 40;
/** Next-header values of the extension headers decode/ipv6.ts walks (RFC 8200 §4, RFC 4302, RFC 6275, RFC 7401, RFC 5533). */
export const NH_HOP_BY_HOP = 0;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_AH = 51;
export const NH_DEST_OPTIONS = 60;
export const NH_MOBILITY = 135;
export const NH_HIP = 139;
export const NH_SHIM6 = 140;
/** The IPv6 fragment header (RFC 8200 §4.5). */
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;

/** IP protocol number of TCP. */
export const PROTO_TCP = 6;
/** The fixed TCP header: 20 bytes (RFC 9293 §3.1). */
export const TCP_MIN_HEADER = 20;
/** Source port through window: the part of the header a cut frame must keep to be listed. */
export const TCP_FIELDS_THROUGH_WINDOW = 16;
/** TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018, RFC 8684). */
export const TCP_OPT_EOL = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;
export const TCP_OPT_WSCALE = 3;
export const TCP_OPT_SACK_PERMITTED = 4;
export const TCP_OPT_SACK = 5;
export const TCP_OPT_TIMESTAMP = 8;
export const TCP_OPT_MPTCP = 30;
/** The option bytes 01 01 08 0a (NOP, NOP, timestamps of length 10) as one big-endian word. */
export const NOP_NOP_TIMESTAMP = 0x0101080a;
/** Option words of a SYN (decode/tcp.ts decodeSynOptions): MSS's kind and length (02 04) as a 16-bit word. */
export const MSS_KIND_LENGTH = 0x0204;
/** 04 02 08 0a: SACK-permitted, then timestamps of length 10 (Linux tcp_options_write). */
export const SACK_PERMITTED_TIMESTAMP = 0x0402080a;
/** 01 01 04 02: two NOPs, then SACK-permitted. */
export const NOP_NOP_SACK_PERMITTED = 0x01010402;
/** 04 02 01 01: SACK-permitted, then two NOPs. */
export const SACK_PERMITTED_NOP_NOP = 0x04020101;
/** 01 03 03: a NOP, then window scale of length 3 (its shift is the word's last byte), as a 24-bit word. */
export const NOP_WSCALE = 0x010303;
/** Four NOPs. */
export const NOP_NOP_NOP_NOP = 0x01010101;
/** MPTCP subtype MP_TCPRST (RFC 8684 §3.6). */
export const MPTCP_TCPRST = 0x8;

/** Checksum verdicts (decode/checksum.ts): all good. */
export const CHECKSUM_OK = 0;
/** The IPv4 header checksum is wrong (Zeek: `bad_IP_checksum`). */
export const BAD_CHECKSUM_IP = 1;
/** The TCP checksum is wrong (Zeek: `bad_TCP_checksum`). */
export const BAD_CHECKSUM_TCP = 2;
/** A tunnel's outer IPv4 header checksum is wrong (Zeek's IP analyzer runs per IP layer: `bad_IP_checksum`). */
export const BAD_CHECKSUM_OUTER_IP = 3;
/** A tunnel's outer UDP checksum is wrong (Zeek: `bad_UDP_checksum` on the outer UDP connection, which forwards nothing). */
export const BAD_CHECKSUM_OUTER_UDP = 4;
