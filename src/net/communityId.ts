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
import { dottedQuadNumber } from './ipv4Text.js';

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

/** The 16-bit groups of an IPv6 address being read (a dotted-quad part adds two); past 8 it cannot be one. */
const GROUPS = new Uint16Array(10);

/**
 * RFC 4291 §2.2 text (with "::" and an optional dotted-quad part) to 16 bytes, or null. A
 * character loop: split/regex/spread versions of it were 2–3% of a run's profile (once per
 * IPv6 connection). Same grammar: an optional "%zone" dropped, at most one "::" (which stands
 * for at least one zero group), groups of 1–4 hex digits, or a dotted quad standing for two.
 */
function ipv6Bytes(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  const end = zone >= 0 ? zone : text.length;
  const gap = text.indexOf('::');
  const hasGap = gap >= 0 && gap + 2 <= end;
  if (hasGap) {
    const again = text.indexOf('::', gap + 2);
    if (again >= 0 && again + 2 <= end) return null;
  }
  const head = readGroups(text, 0, hasGap ? gap : end, 0);
  if (head < 0) return null;
  const all = hasGap ? readGroups(text, gap + 2, end, head) : head;
  if (all < 0) return null;
  const missing = 8 - all;
  if (hasGap ? missing < 1 : missing !== 0) return null;
  const out = new Uint8Array(16);
  // Head groups first, then the gap's zeros (already in `out`), then the tail groups.
  for (let i = 0; i < all; i++) {
    const at = i < head ? i : i + missing;
    const g = GROUPS[i] as number;
    out[2 * at] = g >> 8;
    out[2 * at + 1] = g & 0xff;
  }
  return out;
}

/** Reads the ":"-separated groups of text[from, to) into GROUPS from `at`; the new count, or -1. An empty range has none. */
function readGroups(text: string, from: number, to: number, at: number): number {
  if (from === to) return at;
  let start = from;
  let n = at;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 0x3a) continue;
    n = readGroup(text, start, i, n);
    if (n < 0) return -1;
    start = i + 1;
  }
  return n;
}

/** One group text[a, b): 1–4 hex digits, or a dotted quad (two groups); the new count, or -1. */
function readGroup(text: string, a: number, b: number, n: number): number {
  const dot = text.indexOf('.', a);
  if (dot >= 0 && dot < b) {
    const v4 = dottedQuadNumber(text.slice(a, b));
    if (v4 < 0 || n + 2 > 8) return -1;
    GROUPS[n] = v4 >>> 16;
    GROUPS[n + 1] = v4 & 0xffff;
    return n + 2;
  }
  if (b - a < 1 || b - a > 4 || n + 1 > 8) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  GROUPS[n] = v;
  return n + 1;
}

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
  // crypto.hash (Node >= 20.12): one call, no Hash object per connection (0.5 µs against 1.3).
  return `1:${cryptoHash()('sha1', buf, 'base64')}`;
}


/**
 * node:crypto's one-shot hash, loaded at the first Community ID: text and Zeek reports print none,
 * and loading the module costs a run ~57 M instructions at start (Debian's node compiles its
 * built-in modules without a code cache).
 */
let oneShotHash: typeof import('node:crypto').hash | undefined;
function cryptoHash(): typeof import('node:crypto').hash {
  oneShotHash ??= process.getBuiltinModule('node:crypto').hash;
  return oneShotHash;
}

/** The hashed tuple of a TCP flow between two IPv4 addresses (seed 0): 2 + 4 + 4 + 2 + 4 bytes. */
const TCP4_TUPLE = Buffer.alloc(16);

/**
 * The Community ID of a TCP connection (seed 0, the default every tool uses). Plain dotted
 * quads, the common case, are read as numbers and written straight into one buffer: no byte
 * arrays, tuple object or view per connection (this runs once per finished connection).
 */
export function tcpCommunityId(src: string, sport: number, dst: string, dport: number): string | null {
  const a = dottedQuadNumber(src);
  const b = a < 0 ? -1 : dottedQuadNumber(dst);
  if (b < 0) return communityId({ proto: PROTO_TCP, src, dst, sport, dport });
  // The spec's order: the smaller (address, then port) endpoint first (endpointLess).
  const swap = !(a < b || (a === b && sport < dport));
  const buf = TCP4_TUPLE;
  // Bytes 0–1: seed 0 (never written).
  buf.writeUInt32BE(swap ? b : a, 2);
  buf.writeUInt32BE(swap ? a : b, 6);
  buf[10] = PROTO_TCP;
  buf[11] = 0;
  buf.writeUInt16BE((swap ? dport : sport) & 0xffff, 12);
  buf.writeUInt16BE((swap ? sport : dport) & 0xffff, 14);
  return `1:${cryptoHash()('sha1', buf, 'base64')}`;
}
