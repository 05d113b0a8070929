/**
 * Tunnels, decapsulated to the inner packet as Zeek does (src/packet_analysis/protocol/*):
 * IP-in-IP / 6in4 / 4in6 (IP protocols 4 and 41, iptunnel/IPTunnel.cc), GRE with keys and
 * sequence numbers, PPTP's enhanced GRE and ERSPAN types I/II/III (gre/GRE.cc), and over UDP
 * (udp/UDP.cc forwards by port, then tries protocol detection): VXLAN 4789 (vxlan/VXLAN.cc),
 * Geneve 6081 (geneve/Geneve.cc), Teredo 3544 (teredo/Teredo.cc), AYIYA 5072 (ayiya/AYIYA.cc),
 * GTPv1 2152/2123 (gtpv1/gtpv1-analyzer.pac) and GRE-in-UDP 4754 — the ports of
 * scripts/base/packet-protocols/<name>/main.zeek.
 *
 * One call peels one layer: the outer IP addresses are kept in the packet's tunnel fields, then
 * the inner packet is decoded in place over the outer one. decode/frame.ts calls this in a loop,
 * bounded by MAX_TUNNEL_DEPTH, so decode/ stays a DAG (this file imports the layer decoders;
 * none of them imports it).
 */
import { decodeEtherType, decodeEthernet } from './ethernet.js';
import { decodeIp } from './ip.js';
import { ISSUE_BAD_TUNNEL_HEADER, ISSUE_TUNNEL_TOO_DEEP, issue, tunnelShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK, MAX_TUNNEL_DEPTH } from './packet.js';

/** Tunnel types (Zeek's Tunnel::Type, with ERSPAN told apart from plain GRE). */
export const TUNNEL_IP = 1;
export const TUNNEL_GRE = 2;
export const TUNNEL_ERSPAN = 3;
export const TUNNEL_VXLAN = 4;
export const TUNNEL_GENEVE = 5;
export const TUNNEL_TEREDO = 6;
export const TUNNEL_AYIYA = 7;
export const TUNNEL_GTPV1 = 8;

/** Stable names of the tunnel types, indexed by number (the `type` of a Connection's `tunnel` layer). */
export const TUNNEL_NAMES: readonly string[] = ['none', 'ip', 'gre', 'erspan', 'vxlan', 'geneve', 'teredo', 'ayiya', 'gtpv1'];

/** Returned when the packet's payload is not a tunnel: the caller keeps the packet as it is. */
export const NOT_A_TUNNEL = -1;

const PROTO_IPIP = 4;
const PROTO_IPV6 = 41;
const PROTO_UDP = 17;
const PROTO_GRE = 47;

/** UDP ports Zeek registers each tunnel analyzer for (scripts/base/packet-protocols/<name>/main.zeek). */
export const PORT_VXLAN = 4789;
export const PORT_GENEVE = 6081;
export const PORT_TEREDO = 3544;
export const PORT_AYIYA = 5072;
export const PORT_GTPV1_U = 2152;
export const PORT_GTPV1_C = 2123;
export const PORT_GRE_IN_UDP = 4754;

const UDP_HEADER_LENGTH = 8;
const ETHERNET_HEADER_LENGTH = 14;
const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_ERSPAN_1_2 = 0x88be;
const ETHERTYPE_ERSPAN_3 = 0x22eb;
const ETHERTYPE_PPP = 0x880b;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** PPP protocol numbers for IPv4 and IPv6 (RFC 1661, RFC 5072), as GRE.cc checks them for PPTP. */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** True when an IP packet with this protocol may carry a tunnel (a cheap test for the hot path). */
export function mayCarryTunnel(protocol: number): boolean {
  return protocol === PROTO_UDP || protocol === PROTO_GRE || protocol === PROTO_IPIP || protocol === PROTO_IPV6;
}

/**
 * Peels one tunnel off a packet decoded to its IP layer (`out.protocol`, `out.l4Offset`..`l4End`)
 * and decodes what it carries. Returns NOT_A_TUNNEL (nothing changed), or the first issue code of
 * the inner decode (ISSUE_NONE when clean).
 */
export function decapsulate(view: DataView, cut: boolean, out: DecodedPacket): number {
  const at = out.l4Offset;
  const end = out.l4End;
  const claimedEnd = at + out.l4ClaimedLength;
  out.pendingUdpOffset = -1;
  switch (out.protocol) {
    case PROTO_IPIP:
    case PROTO_IPV6:
      // iptunnel/IPTunnel.cc: the payload goes back to the IP analyzer, which checks the version.
      if (!enter(out, TUNNEL_IP, -1, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerIp(view, at, end, claimedEnd, cut, out);
    case PROTO_GRE:
      return decodeGre(view, at, end, claimedEnd, cut, out);
    case PROTO_UDP:
      return decodeUdpTunnel(view, at, end, claimedEnd, cut, out);
    default:
      return NOT_A_TUNNEL;
  }
}

/**
 * Records the outer IP addresses as one more tunnel layer, or reports Zeek's
 * `exceeded_tunnel_max_depth` weird (iptunnel/IPTunnel.cc AnalyzePacket) and returns false.
 */
function enter(out: DecodedPacket, type: number, key: number, vni: number, offset: number): boolean {
  const depth = out.tunnelCount;
  if (depth >= MAX_TUNNEL_DEPTH) {
    issue(out, ISSUE_TUNNEL_TOO_DEEP, offset);
    return false;
  }
  out.tunnelType[depth] = type;
  out.tunnelIpVersion[depth] = out.ipVersion;
  if (out.ipVersion === 4) {
    out.tunnelSrc4[depth] = out.src4;
    out.tunnelDst4[depth] = out.dst4;
  } else {
    for (let w = 0; w < 4; w++) {
      out.tunnelSrc6[4 * depth + w] = out.src6[w] ?? 0;
      out.tunnelDst6[4 * depth + w] = out.dst6[w] ?? 0;
    }
  }
  out.tunnelKey[depth] = key;
  out.tunnelVni[depth] = vni;
  out.tunnelIpOffset[depth] = out.ipOffset;
  out.tunnelUdpOffset[depth] = out.pendingUdpOffset;
  out.tunnelUdpEnd[depth] = out.pendingUdpEnd;
  out.pendingUdpOffset = -1;
  out.tunnelCount = depth + 1;
  return true;
}

/** Clears the outer packet's IP-layer state before the inner packet is decoded over it. */
function prepareInner(out: DecodedPacket, claimedEnd: number): void {
  // Zeek's build_inner_packet (iptunnel/IPTunnel.cc): the inner wire length is what the outer
  // packet claimed beyond the headers consumed, so the outer IP length bounds the inner one.
  out.wireEnd = claimedEnd;
  out.layer = LAYER_LINK;
  out.ipVersion = 0;
  out.ipId = -1;
  out.df = false;
  out.ipOptions = false;
  out.laterFragment = false;
  out.firstFragment = false;
  out.protocol = -1;
  out.l4Offset = 0;
  out.l4End = 0;
}

function innerIp(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  prepareInner(out, claimedEnd);
  return decodeIp(view, at, end, cut, out);
}

function innerEthernet(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  prepareInner(out, claimedEnd);
  return decodeEthernet(view, at, end, cut, out);
}

function innerEtherType(view: DataView, at: number, end: number, claimedEnd: number, etherType: number, cut: boolean, out: DecodedPacket): number {
  prepareInner(out, claimedEnd);
  return decodeEtherType(view, at, end, etherType, cut, out);
}

/**
 * Zeek's IP::ParsePacket check (ip/IP.cc) for GTP, Teredo and PPTP: the payload is IP of the
 * expected version (0 = either) and its stated total length is exactly what the tunnel carries.
 * A snaplen cut before the length field leaves the version nibble as the only evidence.
 */
function looksLikeIp(view: DataView, at: number, end: number, claimedEnd: number, version: number): boolean {
  if (end - at < 1) return false;
  const v = view.getUint8(at) >> 4;
  if (v !== 4 && v !== 6) return false;
  if (version !== 0 && v !== version) return false;
  const carried = claimedEnd - at;
  if (v === 4) {
    if (carried < 20) return false;
    if (end - at < 4) return true;
    return view.getUint16(at + 2) === carried;
  }
  if (carried < 40) return false;
  if (end - at < 6) return true;
  return 40 + view.getUint16(at + 4) === carried;
}

// ---------------------------------------------------------------------------------------------
// GRE (RFC 2784, RFC 2890 keys and sequence numbers, RFC 2637 PPTP) and ERSPAN

/** Length of the GRE header its flags announce (gre/GRE.cc gre_header_len): checksum, key, sequence, PPTP ack. */
function greHeaderLength(flags: number): number {
  let length = 4;
  if (flags & 0x8000) length += 4;
  if (flags & 0x2000) length += 4;
  if (flags & 0x1000) length += 4;
  if (flags & 0x0080) length += 4;
  return length;
}

/** Decodes a GRE header at `at` and what it carries, following gre/GRE.cc AnalyzePacket rule by rule. */
export function decodeGre(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < 4) return tunnelShort(out, at, cut);
  const flags = view.getUint16(at);
  const protoType = view.getUint16(at + 2);
  const version = flags & 0x0007;
  // unknown_gre_version, gre_routing (RFC 2784 deprecates it), unknown_gre_flags (reserved bits).
  if (version > 1 || (flags & 0x4000) !== 0 || (flags & 0x0078) !== 0) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at);
  const greLength = greHeaderLength(flags);
  if (end - at < greLength) return tunnelShort(out, at, cut);
  // RFC 2890 §2.1: the key follows the checksum field when both are present.
  const key = (flags & 0x2000) !== 0 ? view.getUint32(at + 4 + ((flags & 0x8000) !== 0 ? 4 : 0)) : -1;
  let inner = at + greLength;

  if (version === 1) {
    // Enhanced GRE (RFC 2637 §4.1) carries PPP only; Zeek reads the PPP protocol 2 bytes in.
    if (protoType !== ETHERTYPE_PPP) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at + 2);
    if (end - inner < 4) return tunnelShort(out, inner, cut);
    const ppp = view.getUint16(inner + 2);
    inner += 4;
    if (ppp !== PPP_IPV4 && ppp !== PPP_IPV6) return NOT_A_TUNNEL;
    // IPTunnel.cc checks the inner IP (version, exact length) before it forwards a version-1 payload.
    if (!looksLikeIp(view, inner, end, claimedEnd, ppp === PPP_IPV4 ? 4 : 6)) return NOT_A_TUNNEL;
    if (!enter(out, TUNNEL_GRE, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
    return innerIp(view, inner, end, claimedEnd, cut, out);
  }

  switch (protoType) {
    case ETHERTYPE_TEB:
      // Transparent Ethernet bridging: an Ethernet frame follows.
      if (end - inner <= ETHERNET_HEADER_LENGTH) return tunnelShort(out, inner, cut);
      if (!enter(out, TUNNEL_GRE, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerEthernet(view, inner, end, claimedEnd, cut, out);
    case ETHERTYPE_ERSPAN_1_2: {
      // ERSPAN type I has no sequence number and no ERSPAN header; type II sets S and has 8 bytes.
      if ((flags & 0x1000) !== 0) inner += 8;
      if (end - inner <= ETHERNET_HEADER_LENGTH) return tunnelShort(out, at, cut);
      if (!enter(out, TUNNEL_ERSPAN, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerEthernet(view, inner, end, claimedEnd, cut, out);
    }
    case ETHERTYPE_ERSPAN_3: {
      // ERSPAN type III: a 12-byte header whose last bit (O) announces an 8-byte platform subheader.
      if (end - inner <= 12 + ETHERNET_HEADER_LENGTH) return tunnelShort(out, at, cut);
      const optional = (view.getUint8(inner + 11) & 0x01) !== 0;
      inner += optional ? 20 : 12;
      if (end - inner <= ETHERNET_HEADER_LENGTH) return tunnelShort(out, at, cut);
      if (!enter(out, TUNNEL_ERSPAN, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerEthernet(view, inner, end, claimedEnd, cut, out);
    }
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6:
      if (!enter(out, TUNNEL_GRE, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerIp(view, inner, end, claimedEnd, cut, out);
    default:
      // Anything else (MPLS, ARP, Aruba's 802.11, …) goes by its EtherType, as Zeek forwards it.
      if (!enter(out, TUNNEL_GRE, key, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
      return innerEtherType(view, inner, end, claimedEnd, protoType, cut, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Over UDP

/**
 * Decodes the UDP header at `at` and, when its port or payload says so, the tunnel it carries.
 * Zeek forwards by the responder's port (udp/UDP.cc DeliverPacket) and, when no analyzer claims
 * that port, asks Teredo's and AYIYA's DetectProtocol. Without connection state the responder's
 * port is the destination port, or the source port when only that one is a tunnel port (Zeek's
 * likely-server-port flip).
 */
function decodeUdpTunnel(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < UDP_HEADER_LENGTH) return NOT_A_TUNNEL;
  const sport = view.getUint16(at);
  const dport = view.getUint16(at + 2);
  const udpLength = view.getUint16(at + 4);
  // The UDP length bounds the payload; 0 (jumbograms, segmentation offload) leaves the IP length.
  let payloadEnd = claimedEnd;
  if (udpLength >= UDP_HEADER_LENGTH && at + udpLength < claimedEnd) payloadEnd = at + udpLength;
  const payloadCaptured = end < payloadEnd ? end : payloadEnd;
  const p = at + UDP_HEADER_LENGTH;
  const port = isTunnelPort(dport) || !isTunnelPort(sport) ? dport : sport;
  // For the outer UDP checksum (decode/checksum.ts): Zeek's UDPAnalyzer::DeliverPacket validates
  // it only when the whole datagram and the whole frame were captured (`remaining >= len &&
  // pkt->len <= pkt->cap_len`), over the length the IP header gives.
  out.pendingUdpOffset = at;
  out.pendingUdpEnd = !cut && end >= claimedEnd ? claimedEnd : -1;
  switch (port) {
    case PORT_VXLAN:
      return decodeVxlan(view, p, payloadCaptured, payloadEnd, cut, out);
    case PORT_GENEVE:
      return decodeGeneve(view, p, payloadCaptured, payloadEnd, cut, out);
    case PORT_GTPV1_U:
    case PORT_GTPV1_C:
      return decodeGtpv1(view, p, payloadCaptured, payloadEnd, cut, out);
    case PORT_TEREDO:
      return decodeTeredo(view, p, payloadCaptured, payloadEnd, cut, out);
    case PORT_AYIYA:
      return decodeAyiya(view, p, payloadCaptured, payloadEnd, cut, out);
    case PORT_GRE_IN_UDP:
      return decodeGre(view, p, payloadCaptured, payloadEnd, cut, out);
    default:
      if (detectTeredo(view, p, payloadCaptured)) return decodeTeredo(view, p, payloadCaptured, payloadEnd, cut, out);
      if (detectAyiya(view, p, payloadCaptured)) return decodeAyiya(view, p, payloadCaptured, payloadEnd, cut, out);
      return NOT_A_TUNNEL;
  }
}

function isTunnelPort(port: number): boolean {
  return (
    port === PORT_VXLAN ||
    port === PORT_GENEVE ||
    port === PORT_GTPV1_U ||
    port === PORT_GTPV1_C ||
    port === PORT_TEREDO ||
    port === PORT_AYIYA ||
    port === PORT_GRE_IN_UDP
  );
}

/** VXLAN (RFC 7348 §5): 8 bytes, the I flag must be set (vxlan/VXLAN.cc), then an Ethernet frame. */
function decodeVxlan(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < 8) return claimedEnd - at >= 8 ? tunnelShort(out, at, cut) : NOT_A_TUNNEL;
  if ((view.getUint8(at) & 0x08) === 0) return NOT_A_TUNNEL;
  const vni = view.getUint32(at + 4) >>> 8;
  if (claimedEnd - at === 8) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at); // vxlan_empty_packet
  if (!enter(out, TUNNEL_VXLAN, -1, vni, at)) return ISSUE_TUNNEL_TOO_DEEP;
  return innerEthernet(view, at + 8, end, claimedEnd, cut, out);
}

/** Geneve (RFC 8926 §3.4): version 0, options of 4-byte words, a protocol type (geneve/Geneve.cc). */
function decodeGeneve(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < 8) return claimedEnd - at >= 8 ? tunnelShort(out, at, cut) : NOT_A_TUNNEL;
  const b0 = view.getUint8(at);
  if (b0 >> 6 !== 0) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at); // geneve_invalid_version
  const headerLength = 8 + (b0 & 0x3f) * 4;
  if (end - at < headerLength) return claimedEnd - at >= headerLength ? tunnelShort(out, at, cut) : NOT_A_TUNNEL;
  if (claimedEnd - at === headerLength) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at); // geneve_empty_packet
  const protocol = view.getUint16(at + 2);
  const vni = view.getUint32(at + 4) >>> 8;
  if (!enter(out, TUNNEL_GENEVE, -1, vni, at)) return ISSUE_TUNNEL_TOO_DEEP;
  // geneve/main.zeek: 0x6558 to Ethernet, 0x0800 / 0x86dd to IP (ARP and the rest: not TCP).
  if (protocol === ETHERTYPE_TEB) return innerEthernet(view, at + headerLength, end, claimedEnd, cut, out);
  return innerEtherType(view, at + headerLength, end, claimedEnd, protocol, cut, out);
}

/**
 * GTPv1 (3GPP TS 29.060 §6): version 1, PT set, message type 255 (G-PDU), 4 more bytes when E,
 * S or PN is set, then extension headers of `length * 4` bytes chained by their last byte, and
 * an IPv4 or IPv6 packet of exactly the remaining length (gtpv1-analyzer.pac process_g_pdu,
 * GTPv1.cc). GTP inside GTP is refused ("GTP-in-GTP").
 */
function decodeGtpv1(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < 8) return NOT_A_TUNNEL;
  const flags = view.getUint8(at);
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || view.getUint8(at + 1) !== 0xff) return NOT_A_TUNNEL;
  if (out.tunnelCount > 0 && out.tunnelType[out.tunnelCount - 1] === TUNNEL_GTPV1) return NOT_A_TUNNEL;
  const teid = view.getUint32(at + 4);
  let inner = at + 8;
  if ((flags & 0x07) !== 0) {
    if (end - inner < 4) return tunnelShort(out, inner, cut);
    let next = view.getUint8(inner + 3);
    inner += 4;
    // Each extension header is at least 4 bytes long, so this walk ends within the packet.
    while ((flags & 0x04) !== 0 && next !== 0) {
      if (end - inner < 1) return tunnelShort(out, inner, cut);
      const length = view.getUint8(inner) * 4;
      if (length === 0) return NOT_A_TUNNEL;
      if (end - inner < length) return tunnelShort(out, inner, cut);
      next = view.getUint8(inner + length - 1);
      inner += length;
    }
  }
  if (!looksLikeIp(view, inner, end, claimedEnd, 0)) return NOT_A_TUNNEL;
  if (!enter(out, TUNNEL_GTPV1, teid, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
  return innerIp(view, inner, end, claimedEnd, cut, out);
}

/**
 * Teredo (RFC 4380 §5.1.1): optional authentication (tag 1) then origin indication (tag 0)
 * headers, then an IPv6 packet of exactly the remaining length (teredo/Teredo.cc DoParse and
 * IP::ParsePacket).
 */
function decodeTeredo(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  let p = at;
  let seenOrigin = false;
  let seenAuth = false;
  for (;;) {
    if (end - p < 2) return NOT_A_TUNNEL;
    const tag = view.getUint16(p);
    if (tag === 0) {
      if (seenOrigin || end - p < 8) return NOT_A_TUNNEL;
      seenOrigin = true;
      p += 8;
    } else if (tag === 1) {
      if (seenOrigin || seenAuth || end - p < 4) return NOT_A_TUNNEL;
      seenAuth = true;
      p += 4 + view.getUint8(p + 2) + view.getUint8(p + 3) + 8 + 1;
    } else if (tag >> 12 === 6) {
      break;
    } else {
      return NOT_A_TUNNEL;
    }
  }
  if (!looksLikeIp(view, p, end, claimedEnd, 6)) return NOT_A_TUNNEL;
  if (!enter(out, TUNNEL_TEREDO, -1, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
  return innerIp(view, p, end, claimedEnd, cut, out);
}

/** Teredo's DetectProtocol (teredo/Teredo.cc): an IPv6 header, or the auth / origin headers before one. */
function detectTeredo(view: DataView, at: number, end: number): boolean {
  const len = end - at;
  if (len < 40) return false;
  const b0 = view.getUint8(at);
  const b1 = view.getUint8(at + 1);
  if (b0 >> 4 === 6) return true;
  if (b0 !== 0) return false;
  let p = at;
  let tag = b1;
  if (tag === 1) {
    const skip = 13 + view.getUint8(at + 2) + view.getUint8(at + 3);
    if (len < skip + 40) return false;
    p += skip;
    tag = view.getUint16(p);
  }
  if (tag !== 0) return false;
  p += 8;
  return end - p >= 40 && view.getUint8(p) >> 4 === 6;
}

/** AYIYA's DetectProtocol (ayiya/AYIYA.cc): "based on the old DPD entry". */
function detectAyiya(view: DataView, at: number, end: number): boolean {
  return end - at >= 3 && view.getUint8(at + 1) === 0x52 && view.getUint8(at + 2) === 0x11;
}

/**
 * AYIYA (draft-massar-v6ops-ayiya §5): identity of 2^n bytes, signature of 4m bytes, opcode 1
 * (forward) and a next header of IPv4 (4) or IPv6 (41) (ayiya/AYIYA.cc, ayiya/main.zeek).
 */
function decodeAyiya(view: DataView, at: number, end: number, claimedEnd: number, cut: boolean, out: DecodedPacket): number {
  if (end - at < 8) return NOT_A_TUNNEL;
  const headerLength = 8 + (1 << (view.getUint8(at) >> 4)) + (view.getUint8(at + 1) >> 4) * 4;
  if (claimedEnd - at < headerLength) return NOT_A_TUNNEL;
  if (end - at < headerLength) return tunnelShort(out, at, cut);
  if ((view.getUint8(at + 2) & 0x0f) !== 1) return NOT_A_TUNNEL;
  const next = view.getUint8(at + 3);
  if (next !== PROTO_IPIP && next !== PROTO_IPV6) return NOT_A_TUNNEL;
  if (claimedEnd - at === headerLength) return issue(out, ISSUE_BAD_TUNNEL_HEADER, at); // ayiya_empty_packet
  if (!enter(out, TUNNEL_AYIYA, -1, -1, at)) return ISSUE_TUNNEL_TOO_DEEP;
  return innerIp(view, at + headerLength, end, claimedEnd, cut, out);
}
