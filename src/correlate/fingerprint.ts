/**
 * Packet fingerprints that survive the path: the same packet gets the same fingerprint at every
 * capture point. Only what routers leave alone goes in: addresses, ports, seq, ack, the six
 * classic flags, the IPv4 ID and the payload length, plus a hash of the first payload bytes
 * (RFC 791 and RFC 8200 let a router change the TTL / hop limit and so the header checksum, and
 * the link layer is rewritten at every hop; ECN's CE mark lives in the IP header, not in these
 * fields). TCP options are left out too: routers clamp the SYN's MSS option (Linux
 * `TCPMSS --clamp-mss-to-pmtu`, Cisco `ip tcp adjust-mss`), the classic reason tools that merge
 * captures by raw bytes fail. NAT rewrites addresses and ports, and some firewalls randomise
 * sequence numbers (Cisco ASA): both are out of scope, such packets simply do not match.
 *
 * Keys are 53-bit numbers (two 32-bit murmur3 hashes folded together) so they index a Map
 * without allocating a string per packet; a collision needs ~2^26 packets in one table.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { fmix32, fold53, murmurStep } from '../net/flowHash.js';

/** Payload bytes hashed: enough to tell two segments of the same length apart, few enough to survive a short snaplen. */
export const PAYLOAD_HASH_BYTES = 16;
/** The flags a router never changes: FIN SYN RST PSH ACK URG (ECE/CWR are left out: some middleboxes clear them). */
const FLAG_MASK = 0x3f;

/** The fingerprint of one packet, filled in place (one reused object, no allocation per packet). */
export class Fingerprint {
  /** The packet's identity across capture points (53 bits). */
  key = 0;
  /** An independent 32-bit hash of the same fields, for hash-based sampling. */
  sample = 0;
  /** Hash of the first payload bytes; meaningful only when `payloadKnown`. */
  payload = 0;
  /** The capture kept the hashed payload bytes (a short snaplen may not). */
  payloadKnown = false;
  /** The directed flow (addresses and ports, this direction), 53 bits. */
  flow = 0;
  /** The directed host pair (addresses only, this direction), 53 bits. */
  hosts = 0;
  /** The host pair in the other direction, 53 bits. */
  reverseHosts = 0;
}

const SEED_A = 0x9747b28c;
const SEED_B = 0x5bd1e995;

/** Hashes the source (or destination) address words of `pkt` into `h`. */
function mixAddress(h: number, pkt: DecodedPacket, source: boolean): number {
  if (pkt.ipVersion === 4) return murmurStep(h, source ? pkt.src4 : pkt.dst4);
  const w = source ? pkt.src6 : pkt.dst6;
  let x = h;
  for (let i = 0; i < 4; i++) x = murmurStep(x, w[i] as number);
  return x;
}

/** Directed host-pair hash with one seed. */
function hostsHash(pkt: DecodedPacket, seed: number, forward: boolean): number {
  let h = murmurStep(seed, pkt.ipVersion);
  h = mixAddress(h, pkt, forward);
  h = mixAddress(h, pkt, !forward);
  return h;
}

/**
 * Fills `out` with the fingerprint of the decoded TCP packet `pkt`, whose frame bytes are `data`
 * (the record's buffer: `pkt.payloadOffset` indexes it).
 */
export function fingerprintPacket(pkt: DecodedPacket, data: Uint8Array, out: Fingerprint): void {
  const ha = hostsHash(pkt, SEED_A, true);
  const hb = hostsHash(pkt, SEED_B, true);
  out.hosts = fold53(fmix32(ha), fmix32(hb));
  out.reverseHosts = fold53(fmix32(hostsHash(pkt, SEED_A, false)), fmix32(hostsHash(pkt, SEED_B, false)));
  const ports = ((pkt.sport << 16) | pkt.dport) | 0;
  const fa = murmurStep(ha, ports);
  const fb = murmurStep(hb, ports);
  out.flow = fold53(fmix32(fa), fmix32(fb));
  // IPv6 has no ID in its fixed header; -1 keeps it apart from an IPv4 ID of 0xffff.
  const id = pkt.ipVersion === 4 ? pkt.ipId & 0xffff : 0x10000;
  const flagsId = (pkt.flags & FLAG_MASK) | (id << 8);
  const ka = murmurStep(murmurStep(murmurStep(murmurStep(fa, pkt.seq | 0), pkt.ack | 0), flagsId), pkt.payloadLength | 0);
  const kb = murmurStep(murmurStep(murmurStep(murmurStep(fb, pkt.seq | 0), pkt.ack | 0), flagsId), pkt.payloadLength | 0);
  const a = fmix32(ka);
  const b = fmix32(kb);
  out.key = fold53(a, b);
  out.sample = fmix32(kb ^ SEED_A) >>> 0;
  const want = Math.min(pkt.payloadLength, PAYLOAD_HASH_BYTES);
  out.payloadKnown = pkt.payloadCaptured >= want;
  let p = 0x811c9dc5; // FNV-1a over the first payload bytes
  if (out.payloadKnown) {
    for (let i = 0; i < want; i++) p = Math.imul(p ^ (data[pkt.payloadOffset + i] as number), 0x01000193);
  }
  out.payload = p >>> 0;
}

/** Whether two payload hashes can belong to the same packet (unknown matches anything). */
export function payloadsAgree(aKnown: boolean, a: number, bKnown: boolean, b: number): boolean {
  return !aKnown || !bKnown || a === b;
}
