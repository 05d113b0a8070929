/**
 * Community ID v1 (Corelight's spec, https://github.com/corelight/community-id-spec, README
 * "Technical details"): a flow hash that Zeek, Suricata, Arkime and Wireshark compute alike, so
 * whyreset's rows join with theirs. Pure helpers; no state.
 *
 * The hash is SHA-1 over seed (2 bytes, network order) · source address · destination address ·
 * protocol (1 byte) · one zero byte · source port (2 bytes) · destination port (2 bytes), with
 * the endpoints ordered so that the smaller (address, then port) comes first; the ID is
 * "1:" + the digest in base64. Only port protocols (TCP, UDP, SCTP) and port-less IP are
 * implemented: ICMP's type/code mapping is not needed by a TCP tool.
 */
import { dottedQuadNumber, ipv4Strict } from './ipv4Text.js';
import { ipv6Groups } from './ipv6Text.js';
import { sha1Of16, sha1Of40, sha1Short } from './sha1.js';

/** IP protocol numbers that carry ports (IANA). */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_SCTP = 132;

/** The longest hashed tuple: seed, two IPv6 addresses, protocol, padding, two ports. */
const SCRATCH = Buffer.alloc(2 + 16 + 16 + 2 + 4);

/** The bytes of a textual IPv4 or IPv6 address (4 or 16), or null when it is neither. */
export function addressBytes(text: string): Uint8Array | null {
  return text.includes(':') ? ipv6Bytes(text) : ipv4Bytes(text);
}

/** Dotted-quad IPv4 to 4 bytes, or null (net/ipv4Text's reading; this runs once per connection). */
function ipv4Bytes(text: string): Uint8Array | null {
  const n = dottedQuadNumber(text);
  if (n < 0) return null;
  const out = new Uint8Array(4);
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  return out;
}

/**
 * RFC 4291 §2.2 text (with "::" and an optional dotted-quad part) to 16 bytes, or null
 * (net/ipv6Text's reading).
 */
function ipv6Bytes(text: string): Uint8Array | null {
  const groups = BYTES_GROUPS;
  if (!ipv6Groups(text, groups)) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as number;
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

/** ipv6Bytes' eight groups. */
const BYTES_GROUPS = new Int32Array(8);

/** Compares (address, port) endpoints as the spec orders them: address bytes first, then port. */
function endpointLess(a: Uint8Array, aPort: number, b: Uint8Array, bPort: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0;
  }
  return aPort < bPort;
}

/** One flow's coordinates; ports are ignored (and may be null) for protocols without ports. */
export interface FlowTuple {
  proto: number;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
}

/** Whether the protocol's Community ID includes ports (the spec's port protocols). */
function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP;
}

/**
 * The Community ID v1 string ("1:" + base64 SHA-1) of a flow, the same for both directions;
 * null when an address does not parse or the two are of different families.
 */
export function communityId(flow: FlowTuple, seed = 0): string | null {
  const src = addressBytes(flow.src);
  const dst = addressBytes(flow.dst);
  if (src === null || dst === null || src.length !== dst.length) return null;
  const ports = hasPorts(flow.proto);
  const sport = ports ? (flow.sport ?? 0) : 0;
  const dport = ports ? (flow.dport ?? 0) : 0;
  const swap = !endpointLess(src, sport, dst, dport);
  // One scratch buffer for every call: hash() reads it before returning.
  const buf = SCRATCH.subarray(0, 2 + 2 * src.length + 2 + (ports ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(swap ? dst : src, o);
  o += src.length;
  buf.set(swap ? src : dst, o);
  o += src.length;
  o = buf.writeUInt8(flow.proto, o);
  o = buf.writeUInt8(0, o);
  if (ports) {
    o = buf.writeUInt16BE(swap ? dport : sport, o);
    buf.writeUInt16BE(swap ? sport : dport, o);
  }
  return idOfDigest(sha1Short(buf, buf.length));
}

/** RFC 4648 §4's base64 alphabet, as character codes. */
const ALPHABET = new Uint8Array(Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1'));
/** The characters of an ID being made: "1:", then the digest's 28 in base64 (net/sha1.ts: SHA-1 here, not node:crypto's). */
const ID_CHARS = new Uint8Array(30);
ID_CHARS[0] = 0x31;
ID_CHARS[1] = 0x3a;
ID_CHARS[29] = 0x3d;
/** The last ID idOfDigest made: ID_CHARS holds its characters until the next. */
let lastId: string | null = null;

/**
 * The characters of `id` (as bytes, 30 of them, valid until the next ID is made) when it is the
 * last Community ID made here, else null. For the JSON writer (report/jsonBytes.ts): a
 * connection's record is written right after its ID is made (most connections never reset), and
 * copying the 30 bytes costs a few dozen instructions where encoding the string again cost ~1,600
 * (a character loop over charCodeAt).
 */
export function lastIdChars(id: string): Uint8Array | null {
  return id === lastId ? ID_CHARS : null;
}

/**
 * "1:" and the base64 (RFC 4648 §4, "=" padded) of a SHA-1 digest's five big-endian words: six
 * groups of three bytes, then the last two bytes and "=". One flat string made from the codes
 * (no "1:" + digest concatenation, which V8 keeps as a two-part string to flatten later).
 */
function idOfDigest(h: Int32Array): string {
  const h0 = h[0] as number;
  const h1 = h[1] as number;
  const h2 = h[2] as number;
  const h3 = h[3] as number;
  const h4 = h[4] as number;
  const out = ID_CHARS;
  encode3(out, 2, h0 >>> 8);
  encode3(out, 6, ((h0 & 0xff) << 16) | (h1 >>> 16));
  encode3(out, 10, ((h1 & 0xffff) << 8) | (h2 >>> 24));
  encode3(out, 14, h2 & 0xffffff);
  encode3(out, 18, h3 >>> 8);
  encode3(out, 22, ((h3 & 0xff) << 16) | (h4 >>> 16));
  // The last 16 bits, padded with two zero bits to three characters.
  const last = (h4 & 0xffff) << 2;
  out[26] = ALPHABET[last >>> 12] as number;
  out[27] = ALPHABET[(last >>> 6) & 63] as number;
  out[28] = ALPHABET[last & 63] as number;
  lastId = String.fromCharCode(
    out[0] as number, out[1] as number, out[2] as number, out[3] as number, out[4] as number, out[5] as number,
    out[6] as number, out[7] as number, out[8] as number, out[9] as number, out[10] as number, out[11] as number,
    out[12] as number, out[13] as number, out[14] as number, out[15] as number, out[16] as number, out[17] as number,
    out[18] as number, out[19] as number, out[20] as number, out[21] as number, out[22] as number, out[23] as number,
    out[24] as number, out[25] as number, out[26] as number, out[27] as number, out[28] as number, out[29] as number,
  );
  return lastId;
}

/** The four base64 characters of a 24-bit group, at out[at]. */
function encode3(out: Uint8Array, at: number, v: number): void {
  out[at] = ALPHABET[v >>> 18] as number;
  out[at + 1] = ALPHABET[(v >>> 12) & 63] as number;
  out[at + 2] = ALPHABET[(v >>> 6) & 63] as number;
  out[at + 3] = ALPHABET[v & 63] as number;
}

/**
 * The Community ID of a TCP connection (seed 0, the default every tool uses). Plain dotted
 * quads, the common case, are read as numbers and hashed as four 32-bit words: no byte arrays,
 * tuple object or view per connection (this runs once per finished connection).
 */
export function tcpCommunityId(src: string, sport: number, dst: string, dport: number): string | null {
  const a = ipv4Strict(src);
  const b = a < 0 ? -1 : ipv4Strict(dst);
  if (b < 0) {
    if (a < 0) {
      // Room for both ends first: v6At's places stay valid until the next clear.
      if (V6_SEEN.size > V6_KEPT - 2) V6_SEEN.clear();
      const at = v6At(src);
      const bt = at < 0 ? -1 : v6At(dst);
      if (bt >= 0) return tcp6CommunityId(V6_GROUPS, at, sport, bt, dport);
    }
    return communityId({ proto: PROTO_TCP, src, dst, sport, dport });
  }
  // The spec's order: the smaller (address, then port) endpoint first (endpointLess).
  const swap = !(a < b || (a === b && sport < dport));
  const first = swap ? b : a;
  const second = swap ? a : b;
  const firstPort = (swap ? dport : sport) & 0xffff;
  const secondPort = (swap ? sport : dport) & 0xffff;
  // Seed 0 (2 bytes), the two addresses, protocol, a zero byte, the two ports: 16 bytes.
  return idOfDigest(sha1Of16(first >>> 16, (first << 16) | (second >>> 16), (second << 16) | (PROTO_TCP << 8), (firstPort << 16) | secondPort));
}

/**
 * IPv6 texts read lately (tcpCommunityId) and where their eight 16-bit groups are in V6_GROUPS:
 * a connection's server comes again in the next connections to it, and the tracker hands the
 * same string for the same address (track/address.ts), so a lookup costs a Map probe (its hash
 * kept in the string) where ipv6Groups cost ~3,000 instructions an address (25 M of the 512 MiB
 * mix's json run: 4,220 IPv6 connections, one server in 726 of them). Let go all at once when
 * V6_KEPT are kept.
 */
const V6_KEPT = 1024;
const V6_SEEN = new Map<string, number>();
const V6_GROUPS = new Int32Array(V6_KEPT * 8);
/** ipv6Groups' scratch for a text not seen lately. */
const V6_SCRATCH = new Int32Array(8);

/** Where `text`'s groups are in V6_GROUPS (read and kept if not lately), or -1 when it is no IPv6 text (ipv6Groups); the caller leaves room. */
function v6At(text: string): number {
  const known = V6_SEEN.get(text);
  if (known !== undefined) return known;
  if (!ipv6Groups(text, V6_SCRATCH)) return -1;
  const at = V6_SEEN.size * 8;
  V6_GROUPS.set(V6_SCRATCH, at);
  V6_SEEN.set(text, at);
  return at;
}

/**
 * The Community ID of a TCP connection over IPv6, its addresses' groups at `ai` and `bi` of `g`
 * (v6At): the 40 bytes hashed as ten 32-bit words, as tcpCommunityId hashes IPv4's (no byte
 * arrays, no tuple object).
 */
function tcp6CommunityId(g: Int32Array, ai: number, sport: number, bi: number, dport: number): string {
  // The spec's order: the smaller (address bytes, then port) endpoint first (endpointLess).
  let d = 0;
  for (let i = 0; i < 8 && d === 0; i++) d = (g[ai + i] as number) - (g[bi + i] as number);
  const swap = !(d < 0 || (d === 0 && sport < dport));
  const fi = swap ? bi : ai;
  const si = swap ? ai : bi;
  const firstPort = (swap ? dport : sport) & 0xffff;
  const secondPort = (swap ? sport : dport) & 0xffff;
  // Seed 0 (2 bytes) and the first group, the rest of the addresses, protocol and a zero byte, the two ports.
  return idOfDigest(
    sha1Of40(
      g[fi] as number,
      ((g[fi + 1] as number) << 16) | (g[fi + 2] as number),
      ((g[fi + 3] as number) << 16) | (g[fi + 4] as number),
      ((g[fi + 5] as number) << 16) | (g[fi + 6] as number),
      ((g[fi + 7] as number) << 16) | (g[si] as number),
      ((g[si + 1] as number) << 16) | (g[si + 2] as number),
      ((g[si + 3] as number) << 16) | (g[si + 4] as number),
      ((g[si + 5] as number) << 16) | (g[si + 6] as number),
      ((g[si + 7] as number) << 16) | (PROTO_TCP << 8),
      (firstPort << 16) | secondPort,
    ),
  );
}
