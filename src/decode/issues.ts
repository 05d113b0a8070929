/**
 * Decode issues: named, counted anomalies of single frames, never exceptions (Zeek calls them
 * "weirds"). A frame cut by the snaplen is *truncated* — every layer decoded so far stays valid —
 * which is kept apart from *malformed* headers that no correct stack would send.
 * Codes are stable snake_case names; numbers are internal.
 */
import type { DecodedPacket } from './packet.js';

export const ISSUE_NONE = 0;
/** The snaplen cut the link-layer header. */
export const ISSUE_TRUNCATED_LINK = 1;
/** The snaplen cut the IP header (or an IPv6 extension header). */
export const ISSUE_TRUNCATED_IP = 2;
/** The snaplen cut the TCP header or its options. */
export const ISSUE_TRUNCATED_TCP = 3;
/** The link type is not one whyreset decodes. */
export const ISSUE_UNKNOWN_LINKTYPE = 4;
/** The IP version nibble is neither 4 nor 6 where IP was expected. */
export const ISSUE_BAD_IP_VERSION = 5;
/** IPv4 header length below 20 bytes. */
export const ISSUE_BAD_IPV4_HEADER_LENGTH = 6;
/** IPv4 total length smaller than its own header. */
export const ISSUE_BAD_IPV4_TOTAL_LENGTH = 7;
/** The frame ends before the IP length says it should, and the snaplen does not explain it. */
export const ISSUE_IP_LENGTH_EXCEEDS_FRAME = 8;
/** TCP data offset below 5 words or beyond the IP payload. */
export const ISSUE_BAD_TCP_HEADER_LENGTH = 9;
/** A TCP option whose length is impossible; options after it are not decoded. */
export const ISSUE_BAD_TCP_OPTION = 10;
/** An IPv6 extension header runs past the packet. */
export const ISSUE_BAD_IPV6_EXTENSION = 11;
/** A non-first IP fragment: counted, not decoded (no transport header). */
export const ISSUE_IP_FRAGMENT = 12;
/** The link-layer header is malformed (impossible length fields, unknown address family). */
export const ISSUE_BAD_LINK_HEADER = 13;
/** Too many stacked VLAN or MPLS headers. */
export const ISSUE_TOO_MANY_TAGS = 14;

/** More tunnels nested than Zeek's Tunnel::max_depth (packet.ts MAX_TUNNEL_DEPTH): the inner packet is not decoded. */
export const ISSUE_TUNNEL_TOO_DEEP = 15;
/** The snaplen cut a tunnel header (GRE, ERSPAN, UDP, VXLAN, Geneve, Teredo, AYIYA, GTP). */
export const ISSUE_TRUNCATED_TUNNEL = 16;
/** A tunnel header Zeek rejects with a weird (GRE routing or reserved flags, unknown GRE version, empty VXLAN/Geneve, Geneve version). */
export const ISSUE_BAD_TUNNEL_HEADER = 17;

/** Stable names of the issue codes, indexed by number. */
export const ISSUE_NAMES: readonly string[] = [
  'none',
  'truncated_link',
  'truncated_ip',
  'truncated_tcp',
  'unknown_linktype',
  'bad_ip_version',
  'bad_ipv4_header_length',
  'bad_ipv4_total_length',
  'ip_length_exceeds_frame',
  'bad_tcp_header_length',
  'bad_tcp_option',
  'bad_ipv6_extension',
  'ip_fragment',
  'bad_link_header',
  'too_many_tags',
  'exceeded_tunnel_max_depth',
  'truncated_tunnel',
  'bad_tunnel_header',
];

/** Issues that mean "cut by the snaplen" rather than "malformed". */
export function isTruncation(issue: number): boolean {
  return issue === ISSUE_TRUNCATED_LINK || issue === ISSUE_TRUNCATED_IP || issue === ISSUE_TRUNCATED_TCP || issue === ISSUE_TRUNCATED_TUNNEL;
}

/** Records the first issue of a frame and returns it. */
export function issue(out: DecodedPacket, code: number, offset: number): number {
  if (out.issue === ISSUE_NONE) {
    out.issue = code;
    out.issueOffset = offset;
  }
  return code;
}

/** A link header that ends early: cut by the snaplen, or malformed. */
export function linkShort(out: DecodedPacket, offset: number, cut: boolean): number {
  if (cut) out.truncated = true;
  return issue(out, cut ? ISSUE_TRUNCATED_LINK : ISSUE_BAD_LINK_HEADER, offset);
}

/** An IP header that ends before its stated length: cut by the snaplen, or a frame too short. */
export function ipShort(out: DecodedPacket, offset: number, cut: boolean): number {
  if (cut) out.truncated = true;
  return issue(out, cut ? ISSUE_TRUNCATED_IP : ISSUE_IP_LENGTH_EXCEEDS_FRAME, offset);
}

/** A tunnel header that ends early: cut by the snaplen, or malformed. */
export function tunnelShort(out: DecodedPacket, offset: number, cut: boolean): number {
  if (cut) out.truncated = true;
  return issue(out, cut ? ISSUE_TRUNCATED_TUNNEL : ISSUE_BAD_TUNNEL_HEADER, offset);
}
