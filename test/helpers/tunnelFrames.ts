/**
 * Builders for tunnel encapsulations and the extra link types of issue 12, byte by byte from the
 * specifications (each cites its section), so that tests can wrap an inner TCP packet made by
 * frames.ts in any of them. tshark decodes every one of these frames the same way (see
 * test/decode/tunnel.test.ts, which runs it).
 */
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_UDP, ethernet, ipv4 } from '../../testkit/frames.js';

function bytes(...parts: (Uint8Array | number[])[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** A UDP header (RFC 768) with checksum 0 (allowed over IPv4) before `payload`. */
export function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return bytes(be16(sport), be16(dport), be16(8 + payload.length), [0, 0], payload);
}

/** An outer IPv4 packet from 192.0.2.1 to 192.0.2.2 carrying `payload` as `protocol`. */
export function outer4(protocol: number, payload: Uint8Array, ttl = 200): Uint8Array {
  return ipv4({ src: '192.0.2.1', dst: '192.0.2.2', ttl, id: 7, protocol, payload });
}

/** Outer Ethernet + IPv4 around `payload` as `protocol`. */
export function outerFrame(protocol: number, payload: Uint8Array): Uint8Array {
  return ethernet({ ethertype: ETHERTYPE_IPV4, payload: outer4(protocol, payload) });
}

/** Outer Ethernet + IPv4 + UDP to `dport`. */
export function udpFrame(dport: number, payload: Uint8Array, sport = 40000): Uint8Array {
  return outerFrame(IPPROTO_UDP, udp(sport, dport, payload));
}

/** GRE (RFC 2784 §2, RFC 2890 §2 key and sequence number; checksum left 0 when present). */
export function gre(protocolType: number, payload: Uint8Array, o: { key?: number; seq?: number; checksum?: boolean } = {}): Uint8Array {
  const flags = (o.checksum ? 0x8000 : 0) | (o.key !== undefined ? 0x2000 : 0) | (o.seq !== undefined ? 0x1000 : 0);
  return bytes(
    be16(flags),
    be16(protocolType),
    o.checksum ? [0, 0, 0, 0] : [],
    o.key !== undefined ? be32(o.key) : [],
    o.seq !== undefined ? be32(o.seq) : [],
    payload,
  );
}

/** PPTP's enhanced GRE (RFC 2637 §4.1): version 1, key (payload length, call id), sequence, then PPP. */
export function pptpGre(callId: number, ipPacket: Uint8Array): Uint8Array {
  const ppp = bytes([0xff, 0x03], be16(ipPacket[0] !== undefined && ipPacket[0] >> 4 === 6 ? 0x0057 : 0x0021), ipPacket);
  return bytes(be16(0x3001), be16(0x880b), be16(ppp.length), be16(callId), be32(1), ppp);
}

/** ERSPAN type II header (draft-foschiano-erspan §4.2): version 1, VLAN, session id, index. */
export function erspan2(session: number, frame: Uint8Array): Uint8Array {
  return bytes(be16(0x1000), be16(session & 0x3ff), be32(0), frame);
}

/** ERSPAN type III header (draft-foschiano-erspan §4.3): 12 bytes, with the 8-byte platform subheader when `optional`. */
export function erspan3(session: number, frame: Uint8Array, optional = false): Uint8Array {
  return bytes(be16(0x2000), be16(session & 0x3ff), be32(0x12345678), be16(0), [0, optional ? 0x01 : 0x00], optional ? [0x0c, 0, 0, 0, 0, 0, 0, 0] : [], frame);
}

/** VXLAN (RFC 7348 §5): flags with I set, VNI. */
export function vxlan(vni: number, frame: Uint8Array): Uint8Array {
  return bytes([0x08, 0, 0, 0], be32(vni << 8), frame);
}

/** Geneve (RFC 8926 §3.4): version 0, `optionWords` of options (one TLV class 0x0102 here), protocol type, VNI. */
export function geneve(vni: number, protocolType: number, payload: Uint8Array, optionWords = 0): Uint8Array {
  const options: number[] = [];
  if (optionWords > 0) {
    options.push(...be16(0x0102), 0x01, (optionWords - 1) & 0x1f);
    for (let i = 1; i < optionWords; i++) options.push(0xaa, 0xbb, 0xcc, 0xdd);
  }
  return bytes([optionWords & 0x3f, 0], be16(protocolType), be32(vni << 8), options, payload);
}

/** Teredo (RFC 4380 §5.1.1) with an origin indication header before the IPv6 packet. */
export function teredo(ipv6Packet: Uint8Array, origin = true): Uint8Array {
  return bytes(origin ? [0, 0, 0xf2, 0x3c, 0x3f, 0xfd, 0xfd, 0xfe] : [], ipv6Packet);
}

/** AYIYA (draft-massar-v6ops-ayiya §5): 16-byte identity, SHA-1 signature, opcode forward, next header. */
export function ayiya(nextHeader: number, ipPacket: Uint8Array): Uint8Array {
  // idlen 4 (2^4 = 16 bytes), idtype 1; siglen 5 (20 bytes), hash method 2 (SHA-1); auth 0, opcode 1.
  return bytes([0x41, 0x52, 0x11, nextHeader], be32(0x5f000000), new Uint8Array(16), new Uint8Array(20), ipPacket);
}

/** GTPv1-U G-PDU (3GPP TS 29.060 §6): version 1, PT, message type 255, TEID; with a sequence number when `seq` is given. */
export function gtpu(teid: number, ipPacket: Uint8Array, seq?: number): Uint8Array {
  const opt = seq !== undefined ? bytes(be16(seq), [0, 0]) : new Uint8Array(0);
  return bytes([seq !== undefined ? 0x32 : 0x30, 0xff], be16(opt.length + ipPacket.length), be32(teid), opt, ipPacket);
}

/** An Ethernet frame carrying an IPv4 or IPv6 packet (by its version nibble). */
export function innerEthernet(ipPacket: Uint8Array): Uint8Array {
  return ethernet({ ethertype: ipPacket[0] !== undefined && ipPacket[0] >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, payload: ipPacket });
}

/** LLC/SNAP (RFC 1042) before an EtherType's payload. */
export function llcSnap(etherType: number, payload: Uint8Array): Uint8Array {
  return bytes([0xaa, 0xaa, 0x03, 0, 0, 0], be16(etherType), payload);
}

/** An 802.11 data frame (IEEE 802.11-2020 §9.3.2.1), from-DS, QoS data when `qos`, LLC/SNAP body. */
export function ieee80211Data(body: Uint8Array, qos = true): Uint8Array {
  const fc0 = qos ? 0x88 : 0x08;
  const addrs = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x03];
  return bytes([fc0, 0x02], [0, 0], addrs, [0x10, 0x00], qos ? [0, 0] : [], body);
}

/** A minimal radiotap header (version 0, length 8, no fields present). */
export function radiotap(frame: Uint8Array): Uint8Array {
  return bytes([0, 0, 8, 0, 0, 0, 0, 0], frame);
}

/** An FDDI LLC frame (frame control 0x50, destination, source) before LLC/SNAP. */
export function fddi(body: Uint8Array): Uint8Array {
  return bytes([0x50, 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], body);
}

/** NFLOG (libpcap pcap/nflog.h): header, a prefix TLV, the payload TLV (type 9), little-endian TLV fields. */
export function nflog(family: number, ipPacket: Uint8Array): Uint8Array {
  const prefix = [8, 0, 10, 0, 0x6c, 0x6f, 0x67, 0]; // NFULA_PREFIX "log\0"
  const length = 4 + ipPacket.length;
  const pad = (4 - (length % 4)) % 4;
  return bytes([family, 0, 0, 1], prefix, [length & 0xff, length >> 8, 9, 0], ipPacket, new Array(pad).fill(0));
}

/** Solaris IPNET header (libpcap pcap/ipnet.h): version 2, family 2 or 26, 24 bytes. */
export function ipnet(family: number, ipPacket: Uint8Array): Uint8Array {
  return bytes([2, family], be16(0), be32(ipPacket.length), be32(1), be32(0), be32(0), be32(0), ipPacket);
}
