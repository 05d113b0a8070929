/**
 * Byte-exact frame builders for unit tests and the benchmark: pure functions that return a new
 * Uint8Array, with correct IPv4 header checksums and TCP checksums over the v4/v6 pseudo-header
 * (RFC 9293 §3.1, RFC 8200 §8.1). Every field that a malformed-input test may want to lie about
 * has an override; by default everything is consistent, so `tshark -o tcp.check_checksum:TRUE`
 * calls every frame good (test/testkit/frames.test.ts checks that).
 *
 * Addresses are strings ("192.0.2.1", "2001:db8::1", "02:00:00:00:00:01") or raw bytes
 * (4, 16 or 6 bytes) — raw bytes skip parsing, which the benchmark generator relies on.
 */

/** LINKTYPE_* numbers (tcpdump.org/linktypes.html) of the link layers these builders produce. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Ethertypes used here. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_IPV6 = 0x86dd;

/** IP protocol / IPv6 next-header numbers. */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

/** TCP flag bits (byte 13 of the header; NS is bit 0 of byte 12, given here as 0x100). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const NS = 0x100;

/** BSD address-family values seen in LINKTYPE_NULL / LINKTYPE_LOOP headers. */
export const AF_INET = 2;
/** AF_INET6 differs per OS: NetBSD/OpenBSD/BSD/OS 24, FreeBSD/DragonFly 28, Darwin 30 (Linux 10). */
export const AF_INET6_BSD = 24;
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;

/** Linux cooked-capture packet types (sll_pkttype). */
export const SLL_HOST = 0;
export const SLL_BROADCAST = 1;
export const SLL_MULTICAST = 2;
export const SLL_OTHERHOST = 3;
export const SLL_OUTGOING = 4;

/** An address as text or as its raw bytes. */
export type Addr = string | Uint8Array;

// ---------------------------------------------------------------------------------------------
// Small byte helpers

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Parses a dotted-quad IPv4 address into 4 bytes (raw bytes pass through). */
export function ipv4Bytes(a: Addr): Uint8Array {
  if (typeof a !== 'string') {
    if (a.length !== 4) throw new Error(`IPv4 address needs 4 bytes, got ${a.length}`);
    return a;
  }
  const parts = a.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address ${a}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(parts[i]);
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`bad IPv4 address ${a}`);
    out[i] = v;
  }
  return out;
}

/** Parses an IPv6 address ("::" compression and a dotted IPv4 tail allowed) into 16 bytes. */
export function ipv6Bytes(a: Addr): Uint8Array {
  if (typeof a !== 'string') {
    if (a.length !== 16) throw new Error(`IPv6 address needs 16 bytes, got ${a.length}`);
    return a;
  }
  const groupsOf = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4Bytes(g);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address ${a}`);
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const dbl = a.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    const head = groupsOf(a.slice(0, dbl));
    const tail = groupsOf(a.slice(dbl + 2));
    const zeros = 8 - head.length - tail.length;
    if (zeros < 1) throw new Error(`bad IPv6 address ${a}`);
    groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  } else {
    groups = groupsOf(a);
  }
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${a}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => put16(out, i * 2, g));
  return out;
}

/** Parses a MAC address "aa:bb:cc:dd:ee:ff" (or "-" separated) into 6 bytes. */
export function macBytes(a: Addr): Uint8Array {
  if (typeof a !== 'string') {
    if (a.length !== 6) throw new Error(`MAC address needs 6 bytes, got ${a.length}`);
    return a;
  }
  const parts = a.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC address ${a}`);
  return Uint8Array.from(parts, (p) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw new Error(`bad MAC address ${a}`);
    return Number.parseInt(p, 16);
  });
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** The RFC 1071 one's-complement sum of `bytes[start, end)` added to `sum` (not folded). */
export function onesSum(bytes: Uint8Array, start = 0, end = bytes.length, sum = 0): number {
  let i = start;
  // Pairs of bytes as big-endian 16-bit words; a double holds the unfolded sum of 64 KiB easily.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds a one's-complement sum to 16 bits and complements it: the Internet checksum. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum (RFC 1071) of `bytes[start, end)`. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return foldChecksum(onesSum(bytes, start, end));
}

/**
 * The TCP checksum of `segment` (header + payload, checksum field taken as zero) over the
 * pseudo-header of RFC 9293 §3.1 (IPv4: 4-byte addresses) or RFC 8200 §8.1 (IPv6: 16 bytes;
 * `dst` is the final destination when a routing header is present).
 */
export function tcpChecksum(segment: Uint8Array, src: Uint8Array, dst: Uint8Array, protocol = IPPROTO_TCP): number {
  let sum = onesSum(src) + onesSum(dst);
  const len = segment.length;
  // IPv4 pseudo-header: zero, protocol, TCP length (16 bits). IPv6: length (32 bits), zeros, next header.
  sum += protocol + (len & 0xffff) + Math.floor(len / 0x10000);
  sum += onesSum(segment, 0, 16) + onesSum(segment, 18, len);
  return foldChecksum(sum);
}

/** A copy of a TCP segment with its checksum field set for the given addresses (4 or 16 bytes each). */
export function withTcpChecksum(segment: Uint8Array, src: Addr, dst: Addr): Uint8Array {
  const v6 = typeof src === 'string' ? src.includes(':') : src.length === 16;
  const s = v6 ? ipv6Bytes(src) : ipv4Bytes(src);
  const d = v6 ? ipv6Bytes(dst) : ipv4Bytes(dst);
  const out = segment.slice();
  put16(out, 16, tcpChecksum(out, s, d));
  return out;
}

// ---------------------------------------------------------------------------------------------
// TCP

/** One TCP option. `raw` writes kind, length (default data.length + 2) and data; `bytes` is verbatim. */
export type TcpOption =
  | { readonly kind: 'eol' }
  | { readonly kind: 'nop' }
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sackPermitted' }
  | { readonly kind: 'sack'; readonly blocks: readonly (readonly [left: number, right: number])[] }
  | { readonly kind: 'timestamp'; readonly tsVal: number; readonly tsEcr: number }
  /** MPTCP MP_TCPRST (RFC 8684 §3.6): kind 30, length 4, subtype 0x8, flags U V W T, reason. */
  | { readonly kind: 'mptcpRst'; readonly reason: number; readonly transient?: boolean; readonly flags?: number }
  | { readonly kind: 'raw'; readonly code: number; readonly data?: Uint8Array; readonly length?: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/** MP_TCPRST reason codes (RFC 8684 §3.6). */
export const MPTCP_RST_UNSPECIFIED = 0;
export const MPTCP_RST_MPTCP_ERROR = 1;
export const MPTCP_RST_NO_RESOURCES = 2;
export const MPTCP_RST_ADMIN_PROHIBITED = 3;
export const MPTCP_RST_TOO_MUCH_DATA = 4;
export const MPTCP_RST_BAD_PERFORMANCE = 5;
export const MPTCP_RST_MIDDLEBOX = 6;

/** Encodes TCP options, padded with EOL (zero) bytes to a multiple of 4. */
export function tcpOptionBytes(options: readonly TcpOption[]): Uint8Array {
  const out: number[] = [];
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        out.push(0);
        break;
      case 'nop':
        out.push(1);
        break;
      case 'mss':
        out.push(2, 4, (o.value >>> 8) & 0xff, o.value & 0xff);
        break;
      case 'wscale':
        out.push(3, 3, o.shift & 0xff);
        break;
      case 'sackPermitted':
        out.push(4, 2);
        break;
      case 'sack':
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          out.push((l >>> 24) & 0xff, (l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff);
          out.push((r >>> 24) & 0xff, (r >>> 16) & 0xff, (r >>> 8) & 0xff, r & 0xff);
        }
        break;
      case 'timestamp': {
        const a = o.tsVal;
        const e = o.tsEcr;
        out.push(8, 10, (a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
        out.push((e >>> 24) & 0xff, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff);
        break;
      }
      case 'mptcpRst': {
        // Byte 2: subtype MP_TCPRST (0x8) in the high nibble, flags U|V|W|T low (T = transient).
        const flags = o.flags ?? (o.transient ? 0x1 : 0);
        out.push(30, 4, 0x80 | (flags & 0x0f), o.reason & 0xff);
        break;
      }
      case 'raw': {
        const data = o.data ?? new Uint8Array(0);
        out.push(o.code & 0xff, (o.length ?? data.length + 2) & 0xff, ...data);
        break;
      }
      case 'bytes':
        out.push(...o.bytes);
        break;
    }
  }
  while (out.length % 4 !== 0) out.push(0);
  return Uint8Array.from(out);
}

/** Fields of a TCP segment. `flags` is the bitmask FIN 1 … CWR 128, NS 0x100. */
export interface TcpSegmentSpec {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly win: number;
  readonly urg?: number;
  readonly options?: readonly TcpOption[];
  readonly payload?: Uint8Array;
  /** Data-offset field in 32-bit words, written as given (malformed tests); default from the options. */
  readonly dataOffsetWords?: number;
  /** The 3 reserved bits of byte 12 (bits 1–3), default 0. */
  readonly reserved?: number;
}

/**
 * A TCP segment (header + options + payload) with its checksum field zero: the IP builders
 * (`ipv4`, `ipv6`) fill it in for the pseudo-header, or use `withTcpChecksum`.
 */
export function tcpSegment(s: TcpSegmentSpec): Uint8Array {
  const opts = s.options && s.options.length > 0 ? tcpOptionBytes(s.options) : new Uint8Array(0);
  if (opts.length > 40 && s.dataOffsetWords === undefined) throw new Error(`TCP options too long (${opts.length} > 40)`);
  const payload = s.payload ?? new Uint8Array(0);
  const hlen = 20 + opts.length;
  const out = new Uint8Array(hlen + payload.length);
  put16(out, 0, s.sport);
  put16(out, 2, s.dport);
  put32(out, 4, s.seq >>> 0);
  put32(out, 8, s.ack >>> 0);
  const doff = s.dataOffsetWords ?? hlen / 4;
  out[12] = ((doff & 0x0f) << 4) | (((s.reserved ?? 0) & 0x7) << 1) | ((s.flags >>> 8) & 1);
  out[13] = s.flags & 0xff;
  put16(out, 14, s.win);
  put16(out, 18, s.urg ?? 0);
  out.set(opts, 20);
  out.set(payload, hlen);
  return out;
}

/** How the IP builders treat a TCP payload's checksum: recompute (default), leave as is, or force a value. */
export type TcpChecksumMode = 'auto' | 'keep' | number;

function applyTcpChecksum(seg: Uint8Array, mode: TcpChecksumMode, src: Uint8Array, dst: Uint8Array): Uint8Array {
  if (mode === 'keep' || seg.length < 20) return seg;
  const out = seg.slice();
  put16(out, 16, typeof mode === 'number' ? mode : tcpChecksum(out, src, dst));
  return out;
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** Fields of an IPv4 packet (RFC 791). */
export interface Ipv4Spec {
  readonly src: Addr;
  readonly dst: Addr;
  readonly ttl: number;
  readonly id: number;
  readonly df?: boolean;
  readonly tos?: number;
  /** Raw option bytes, padded with zeros (EOL) to a multiple of 4. */
  readonly options?: Uint8Array;
  /** Fragment offset in BYTES (a multiple of 8; the header field is this / 8). */
  readonly fragOffset?: number;
  readonly moreFragments?: boolean;
  /** The reserved ("evil") flag bit. */
  readonly reservedFlag?: boolean;
  /** Written into the total-length field instead of the real length (the checksum covers it). */
  readonly totalLengthOverride?: number;
  /** IHL field in 32-bit words, written as given (malformed tests). */
  readonly ihlOverride?: number;
  /** Default 6 (TCP). */
  readonly protocol?: number;
  /** Header checksum written instead of the correct one. */
  readonly headerChecksum?: number;
  /** TCP checksum handling when protocol is 6 and the packet is not a fragment; default 'auto'. */
  readonly tcpChecksum?: TcpChecksumMode;
  readonly payload: Uint8Array;
}

/** An IPv4 packet with a correct header checksum (and TCP checksum, see `tcpChecksum`). */
export function ipv4(s: Ipv4Spec): Uint8Array {
  const src = ipv4Bytes(s.src);
  const dst = ipv4Bytes(s.dst);
  const rawOpts = s.options ?? new Uint8Array(0);
  const optLen = (rawOpts.length + 3) & ~3;
  const hlen = 20 + optLen;
  const protocol = s.protocol ?? IPPROTO_TCP;
  const fragOffset = s.fragOffset ?? 0;
  const isFragment = fragOffset !== 0 || s.moreFragments === true;
  let payload = s.payload;
  if (protocol === IPPROTO_TCP && !isFragment) payload = applyTcpChecksum(payload, s.tcpChecksum ?? 'auto', src, dst);
  const out = new Uint8Array(hlen + payload.length);
  out[0] = 0x40 | ((s.ihlOverride ?? hlen / 4) & 0x0f);
  out[1] = s.tos ?? 0;
  put16(out, 2, s.totalLengthOverride ?? out.length);
  put16(out, 4, s.id);
  const flags = (s.reservedFlag ? 0x8000 : 0) | (s.df ? 0x4000 : 0) | (s.moreFragments ? 0x2000 : 0);
  put16(out, 6, flags | ((fragOffset >>> 3) & 0x1fff));
  out[8] = s.ttl;
  out[9] = protocol;
  out.set(src, 12);
  out.set(dst, 16);
  out.set(rawOpts, 20);
  put16(out, 10, s.headerChecksum ?? internetChecksum(out, 0, hlen));
  out.set(payload, hlen);
  return out;
}

// ---------------------------------------------------------------------------------------------
// IPv6

/** One IPv6 extension header (RFC 8200 §4; AH RFC 4302). Option areas are padded with PadN to 8 bytes. */
export type Ipv6ExtHeader =
  | { readonly type: 'hopByHop'; readonly options?: Uint8Array }
  | { readonly type: 'destination'; readonly options?: Uint8Array }
  /** Routing header; `addresses` (type 0 / 2 style) or raw type-specific `data` after the 4 fixed bytes. */
  | {
      readonly type: 'routing';
      readonly routingType?: number;
      readonly segmentsLeft?: number;
      readonly addresses?: readonly Addr[];
      readonly data?: Uint8Array;
    }
  /** Fragment header; `offset` in BYTES (multiple of 8). */
  | { readonly type: 'fragment'; readonly id: number; readonly offset?: number; readonly more?: boolean }
  /** Authentication header; `icv` defaults to 12 zero bytes (HMAC-SHA1-96), padded to 8 bytes in total. */
  | { readonly type: 'ah'; readonly spi: number; readonly seq: number; readonly icv?: Uint8Array }
  /** Anything else: `code` is the next-header value that announces it, `bytes` its full encoding (byte 0 is overwritten with the next header). */
  | { readonly type: 'raw'; readonly code: number; readonly bytes: Uint8Array };

function extCode(h: Ipv6ExtHeader): number {
  switch (h.type) {
    case 'hopByHop':
      return IPPROTO_HOPOPTS;
    case 'destination':
      return IPPROTO_DSTOPTS;
    case 'routing':
      return IPPROTO_ROUTING;
    case 'fragment':
      return IPPROTO_FRAGMENT;
    case 'ah':
      return IPPROTO_AH;
    case 'raw':
      return h.code;
  }
}

/** Pads TLV options to make a header of 2 + n bytes a multiple of 8, using Pad1 / PadN (RFC 8200 §4.2). */
function padTlvOptions(options: Uint8Array): Uint8Array {
  const total = 2 + options.length;
  const pad = (8 - (total % 8)) % 8;
  const out = new Uint8Array(options.length + pad);
  out.set(options);
  if (pad === 1) out[options.length] = 0;
  else if (pad > 1) {
    out[options.length] = 1;
    out[options.length + 1] = pad - 2;
  }
  return out;
}

function extBytes(h: Ipv6ExtHeader, next: number): Uint8Array {
  let out: Uint8Array;
  switch (h.type) {
    case 'hopByHop':
    case 'destination': {
      const body = padTlvOptions(h.options ?? new Uint8Array(0));
      out = new Uint8Array(2 + body.length);
      out[1] = out.length / 8 - 1;
      out.set(body, 2);
      break;
    }
    case 'routing': {
      const addrs = (h.addresses ?? []).map(ipv6Bytes);
      // Types 0 and 2 have 4 reserved bytes before the addresses (RFC 2460 §4.4, RFC 6275 §6.4).
      const data = h.data ?? concat([new Uint8Array(4), ...addrs]);
      const len = 4 + data.length;
      out = new Uint8Array((len + 7) & ~7);
      out[1] = out.length / 8 - 1;
      out[2] = h.routingType ?? (addrs.length > 0 ? 2 : 0);
      out[3] = h.segmentsLeft ?? 0;
      out.set(data, 4);
      break;
    }
    case 'fragment':
      out = new Uint8Array(8);
      put16(out, 2, ((h.offset ?? 0) & 0xfff8) | (h.more ? 1 : 0));
      put32(out, 4, h.id >>> 0);
      break;
    case 'ah': {
      const icv = h.icv ?? new Uint8Array(12);
      const len = (12 + icv.length + 7) & ~7;
      out = new Uint8Array(len);
      out[1] = len / 4 - 2; // AH length is in 4-byte units minus 2 (RFC 4302 §2.2)
      put32(out, 4, h.spi >>> 0);
      put32(out, 8, h.seq >>> 0);
      out.set(icv, 12);
      break;
    }
    case 'raw':
      out = h.bytes.slice();
      break;
  }
  out[0] = next;
  return out;
}

/** Fields of an IPv6 packet (RFC 8200). */
export interface Ipv6Spec {
  readonly src: Addr;
  readonly dst: Addr;
  readonly hopLimit: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly extHeaders?: readonly Ipv6ExtHeader[];
  /** Protocol after the extension headers; default 6 (TCP). */
  readonly nextHeader?: number;
  /** Written into the payload-length field instead of the real length. */
  readonly payloadLengthOverride?: number;
  /** TCP checksum handling when the upper layer is TCP and no fragment header is present; default 'auto'. */
  readonly tcpChecksum?: TcpChecksumMode;
  readonly payload: Uint8Array;
}

/** An IPv6 packet with its extension headers chained and the TCP checksum filled in. */
export function ipv6(s: Ipv6Spec): Uint8Array {
  const src = ipv6Bytes(s.src);
  let finalDst = ipv6Bytes(s.dst);
  const exts = s.extHeaders ?? [];
  const upper = s.nextHeader ?? IPPROTO_TCP;
  let fragmented = false;
  const parts: Uint8Array[] = [];
  exts.forEach((h, i) => {
    const next = i + 1 < exts.length ? extCode(exts[i + 1]!) : upper;
    parts.push(extBytes(h, next));
    // An atomic fragment (offset 0, no more fragments: RFC 6946) carries a whole segment, checksum and all.
    if (h.type === 'fragment' && ((h.offset ?? 0) !== 0 || h.more === true)) fragmented = true;
    // The pseudo-header uses the final destination: the last routing address if segments remain (RFC 8200 §8.1).
    if (h.type === 'routing' && (h.segmentsLeft ?? 0) > 0 && h.addresses && h.addresses.length > 0) {
      finalDst = ipv6Bytes(h.addresses[h.addresses.length - 1]!);
    }
  });
  let payload = s.payload;
  if (upper === IPPROTO_TCP && !fragmented) payload = applyTcpChecksum(payload, s.tcpChecksum ?? 'auto', src, finalDst);
  parts.push(payload);
  const body = concat(parts);
  const out = new Uint8Array(40 + body.length);
  const tc = s.trafficClass ?? 0;
  const fl = s.flowLabel ?? 0;
  put32(out, 0, (6 << 28) | ((tc & 0xff) << 20) | (fl & 0xfffff));
  put16(out, 4, s.payloadLengthOverride ?? body.length);
  out[6] = exts.length > 0 ? extCode(exts[0]!) : upper;
  out[7] = s.hopLimit;
  out.set(src, 8);
  out.set(ipv6Bytes(s.dst), 24);
  out.set(body, 40);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Link layers

/** One 802.1Q (0x8100) or 802.1ad (0x88a8) tag. */
export interface VlanTag {
  readonly tpid: number;
  readonly vid: number;
  readonly pcp?: number;
  readonly dei?: boolean;
}

/** Fields of an Ethernet II frame (LINKTYPE_ETHERNET 1). */
export interface EthernetSpec {
  readonly dst?: Addr;
  readonly src?: Addr;
  /** Tags outermost first (QinQ: [{tpid: 0x88a8, …}, {tpid: 0x8100, …}]). */
  readonly vlans?: readonly VlanTag[];
  readonly ethertype: number;
  readonly payload: Uint8Array;
  /** Pads the frame with zeros up to this many bytes (60 = the Ethernet minimum without FCS). */
  readonly padTo?: number;
  /** Bytes appended after the payload (and after any padding), e.g. an FCS or a vendor trailer. */
  readonly trailer?: Uint8Array;
}

const DEFAULT_DST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);
const DEFAULT_SRC_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);

/** An Ethernet II frame, optionally VLAN-tagged and padded. */
export function ethernet(s: EthernetSpec): Uint8Array {
  const vlans = s.vlans ?? [];
  const hlen = 14 + 4 * vlans.length;
  const trailer = s.trailer ?? new Uint8Array(0);
  const len = Math.max(hlen + s.payload.length, s.padTo ?? 0);
  const out = new Uint8Array(len + trailer.length);
  out.set(s.dst === undefined ? DEFAULT_DST_MAC : macBytes(s.dst), 0);
  out.set(s.src === undefined ? DEFAULT_SRC_MAC : macBytes(s.src), 6);
  let o = 12;
  for (const v of vlans) {
    put16(out, o, v.tpid);
    put16(out, o + 2, ((v.pcp ?? 0) << 13) | (v.dei ? 0x1000 : 0) | (v.vid & 0x0fff));
    o += 4;
  }
  put16(out, o, s.ethertype);
  out.set(s.payload, hlen);
  out.set(trailer, len);
  return out;
}

/** Fields of a Linux cooked capture v1 header (LINKTYPE_LINUX_SLL 113, 16 bytes). */
export interface SllSpec {
  /** sll_pkttype: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing. */
  readonly packetType: number;
  /** ARPHRD_* type, default 1 (ARPHRD_ETHER). */
  readonly arphrdType?: number;
  /** Link-layer address (up to 8 bytes kept), default a 6-byte MAC. */
  readonly addr?: Addr;
  /** Address length field, default the address's length. */
  readonly addrLen?: number;
  /** Protocol (ethertype), e.g. 0x0800. */
  readonly protocol: number;
  readonly payload: Uint8Array;
}

function linkAddr(a: Addr | undefined): Uint8Array {
  if (a === undefined) return DEFAULT_SRC_MAC;
  if (typeof a === 'string') return macBytes(a);
  return a;
}

/** A Linux cooked (SLL v1) frame. */
export function sll(s: SllSpec): Uint8Array {
  const addr = linkAddr(s.addr);
  const out = new Uint8Array(16 + s.payload.length);
  put16(out, 0, s.packetType);
  put16(out, 2, s.arphrdType ?? 1);
  put16(out, 4, s.addrLen ?? addr.length);
  out.set(addr.subarray(0, 8), 6);
  put16(out, 14, s.protocol);
  out.set(s.payload, 16);
  return out;
}

/** Fields of a Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2 276, 20 bytes). */
export interface Sll2Spec {
  readonly packetType: number;
  readonly protocol: number;
  /** Interface index, default 1. */
  readonly ifIndex?: number;
  readonly arphrdType?: number;
  readonly addr?: Addr;
  readonly addrLen?: number;
  readonly payload: Uint8Array;
}

/** A Linux cooked (SLL2) frame: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr[8]. */
export function sll2(s: Sll2Spec): Uint8Array {
  const addr = linkAddr(s.addr);
  const out = new Uint8Array(20 + s.payload.length);
  put16(out, 0, s.protocol);
  put32(out, 4, s.ifIndex ?? 1);
  put16(out, 8, s.arphrdType ?? 1);
  out[10] = s.packetType;
  out[11] = s.addrLen ?? addr.length;
  out.set(addr.subarray(0, 8), 12);
  out.set(s.payload, 20);
  return out;
}

/** Fields of a BSD loopback header: LINKTYPE_NULL (0) uses the capturing host's byte order, LINKTYPE_LOOP (108) network order. */
export interface NullLoopbackSpec {
  /** AF_INET (2) or one of the AF_INET6 values (24, 28, 30). */
  readonly family: number;
  /** 'le' or 'be'; LINKTYPE_LOOP is always 'be'. */
  readonly byteOrder: 'le' | 'be';
  readonly payload: Uint8Array;
}

/** A 4-byte address-family header followed by the IP packet. */
export function nullLoopback(s: NullLoopbackSpec): Uint8Array {
  const out = new Uint8Array(4 + s.payload.length);
  new DataView(out.buffer).setUint32(0, s.family >>> 0, s.byteOrder === 'le');
  out.set(s.payload, 4);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convenience: Ethernet + IP + TCP in one call

/** Everything needed for one TCP frame over Ethernet; IP and Ethernet fields have sensible defaults. */
export interface TcpFrameSpec extends TcpSegmentSpec {
  readonly src: Addr;
  readonly dst: Addr;
  /** TTL / hop limit, default 64. */
  readonly ttl?: number;
  /** IPv4 identification, default 0. */
  readonly id?: number;
  /** IPv4 DF, default true (Linux sets DF on TCP). */
  readonly df?: boolean;
  readonly tos?: number;
  readonly ipOptions?: Uint8Array;
  readonly extHeaders?: readonly Ipv6ExtHeader[];
  readonly flowLabel?: number;
  readonly tcpChecksum?: TcpChecksumMode;
  readonly srcMac?: Addr;
  readonly dstMac?: Addr;
  readonly vlans?: readonly VlanTag[];
  readonly padTo?: number;
  readonly trailer?: Uint8Array;
}

/** Ethernet + IPv4 + TCP. */
export function tcp4Frame(s: TcpFrameSpec): Uint8Array {
  const ip = ipv4({
    src: s.src,
    dst: s.dst,
    ttl: s.ttl ?? 64,
    id: s.id ?? 0,
    df: s.df ?? true,
    tos: s.tos ?? 0,
    options: s.ipOptions,
    tcpChecksum: s.tcpChecksum,
    payload: tcpSegment(s),
  });
  return ethernet({
    dst: s.dstMac,
    src: s.srcMac,
    vlans: s.vlans,
    ethertype: ETHERTYPE_IPV4,
    payload: ip,
    padTo: s.padTo,
    trailer: s.trailer,
  });
}

/** Ethernet + IPv6 (+ extension headers) + TCP. */
export function tcp6Frame(s: TcpFrameSpec): Uint8Array {
  const ip = ipv6({
    src: s.src,
    dst: s.dst,
    hopLimit: s.ttl ?? 64,
    trafficClass: s.tos ?? 0,
    flowLabel: s.flowLabel ?? 0,
    extHeaders: s.extHeaders,
    tcpChecksum: s.tcpChecksum,
    payload: tcpSegment(s),
  });
  return ethernet({
    dst: s.dstMac,
    src: s.srcMac,
    vlans: s.vlans,
    ethertype: ETHERTYPE_IPV6,
    payload: ip,
    padTo: s.padTo,
    trailer: s.trailer,
  });
}
