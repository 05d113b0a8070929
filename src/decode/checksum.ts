/**
 * IPv4 header and TCP checksums (RFC 1071 one's-complement sum; RFC 791 §3.1, RFC 9293 §3.1
 * pseudo-header, RFC 8200 §8.1 for IPv6), verified as Zeek verifies them by default:
 * ip/IP.cc (`bad_IP_checksum`, the packet is dropped) and tcp/TCP.cc ValidateChecksum
 * (`bad_TCP_checksum`, checked only when the whole segment was captured: `caplen >= len`).
 * Run only when the caller asks (not under `-C`), after decodeFrame, on the innermost packet.
 *
 * A stack that leaves the TCP checksum to the NIC (Linux CHECKSUM_PARTIAL: __tcp_v4_send_check
 * and tcp_v6_send_check store the folded pseudo-header sum, not its complement; Windows and
 * BSDs do the same or leave 0) writes a recognisable value: `offloadSignature` says so, and the
 * pipeline uses it to tell a capture taken on the sender from a corrupted packet.
 */
import { type OnesSumKernel, kernelFor } from '../net/onesSum.js';
import type { DecodedPacket } from './packet.js';

// The verdicts and header numbers come from wire.ts (esbuild writes them into the bundle as literals; see there).
import { BAD_CHECKSUM_OUTER_IP, BAD_CHECKSUM_OUTER_UDP, BAD_CHECKSUM_IP as BAD_IP, BAD_CHECKSUM_TCP as BAD_TCP, CHECKSUM_OK, CHECKSUM_OK as OK, PROTO_TCP } from './wire.js';

export { BAD_CHECKSUM_IP, BAD_CHECKSUM_OUTER_IP, BAD_CHECKSUM_OUTER_UDP, BAD_CHECKSUM_TCP, CHECKSUM_OK } from './wire.js';

const PROTO_UDP = 17;
/** Zeek's default `PacketAnalyzer::VXLAN::vxlan_ports` (scripts/base/packet-protocols/vxlan/main.zeek). */
const VXLAN_PORT = 4789;


/** True on a little-endian host (every platform Node ships for but s390x): the word sum below reads host-order words. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The view last summed, its buffer's WebAssembly kernel (net/onesSum.ts, null when it has none)
 * and its byte offset. Keyed by the DataView, not its buffer: the `buffer` and `byteOffset`
 * getters cost ~190 instructions per call (callgrind, 200,000 calls on 0 bytes: 356 per
 * sumBytes against 164 per direct kernel call), more than the JS-to-WebAssembly call itself.
 * The capture window makes a new DataView only when it takes a new chunk.
 */
let kernelView: DataView | null = null;
let kernel: OnesSumKernel | null = null;
let kernelBase = 0;

/** The buffer the cached word view covers, and that view (the capture window alternates two buffers). */
let wordsOf: ArrayBufferLike | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * One's-complement sum of `[at, end)` as big-endian 16-bit words (RFC 1071), folded to 16 bits.
 *
 * Read as aligned host-order (little-endian) 32-bit words through a Uint32Array over the whole
 * buffer: the sum of 32-bit words folds to the sum of their 16-bit halves, and RFC 1071 §2(B)
 * "byte order independence" makes the little-endian sum the byte-swapped big-endian one (a byte
 * at an odd buffer address weighs 2^8, at an even one 1; the segment's own words weigh its
 * even-offset bytes 2^8). So the sum is byte-swapped back when the range starts at an even
 * address. callgrind, verifying every packet of a 16 MiB mix: 108.6M instructions with DataView
 * big-endian reads and `%` folds, 68.4M with this.
 *
 * Bytes in the capture window's buffers are summed in place by the WebAssembly SIMD kernel of
 * net/onesSum.ts instead (the window allocates them inside its memory): ~0.7 instructions per
 * byte and ~170 per call, against ~6 per byte here, and no HeapNumber per packet (heap sampling
 * of the 128 MiB mix: 4 MB of them here). The loop below serves every other buffer.
 */
export function sumBytes(view: DataView, at: number, end: number): number {
  // Small enough for TurboFan to inline into verifyChecksums: the common case is this one line.
  if (view === kernelView && kernel !== null) return kernel(kernelBase + at, kernelBase + end);
  return sumBytesSlow(view, at, end);
}


/** sumBytes for a view met for the first time, or one outside any kernel's memory. */
function sumBytesSlow(view: DataView, at: number, end: number): number {
  if (view !== kernelView) {
    kernelView = view;
    kernel = kernelFor(view.buffer);
    kernelBase = view.byteOffset;
  }
  if (kernel !== null) return kernel(kernelBase + at, kernelBase + end);
  const buffer = view.buffer;
  if (!LITTLE_ENDIAN_HOST) return fold(sumBytesBigEndian(view, at, end, 0));
  if (buffer !== wordsOf) {
    wordsOf = buffer;
    words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  const w = words;
  let p = view.byteOffset + at;
  const stop = view.byteOffset + end;
  const startsEven = (p & 1) === 0;
  let sum = 0;
  // Bytes before the first aligned word, each at its weight in a little-endian 16-bit word.
  for (; (p & 3) !== 0 && p < stop; p++) sum += view.getUint8(p - view.byteOffset) << ((p & 1) << 3);
  let i = p >>> 2;
  const wordStop = stop >>> 2;
  // A double holds 2^53 exactly: 32-bit words of a 64 KiB segment sum far below that.
  for (; wordStop - i >= 4; i += 4) sum += (w[i] as number) + (w[i + 1] as number) + (w[i + 2] as number) + (w[i + 3] as number);
  for (; i < wordStop; i++) sum += w[i] as number;
  for (p = Math.max(p, i << 2); p < stop; p++) sum += view.getUint8(p - view.byteOffset) << ((p & 1) << 3);
  const folded = fold(sum);
  return startsEven ? ((folded << 8) | (folded >>> 8)) & 0xffff : folded;
}

/** The folded sum of an IPv4 header (20 to 60 bytes, a multiple of 4): a few big-endian words. */
function ipv4HeaderSum(view: DataView, at: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i += 4) sum += view.getUint16(at + i) + view.getUint16(at + i + 2);
  sum = (sum & 0xffff) + (sum >>> 16); // below 2^21 before: int32 throughout
  return (sum & 0xffff) + (sum >>> 16);
}

/** The same sum read as big-endian words through the DataView (a big-endian host), not folded. */
function sumBytesBigEndian(view: DataView, at: number, end: number, sum: number): number {
  for (; end - at >= 4; at += 4) sum += view.getUint32(at);
  if (end - at >= 2) {
    sum += view.getUint16(at);
    at += 2;
  }
  if (end - at === 1) sum += view.getUint8(at) << 8;
  return sum;
}

/**
 * Folds a wide sum (a non-negative double below 2^53) to 16 bits (end-around carry). No `%` on
 * doubles: V8 calls fmod for it, which cost more per packet than summing a whole segment.
 */
function fold(sum: number): number {
  const high = Math.floor(sum / 0x10000); // exact: a power-of-two division of an integer below 2^53
  let x = sum - high * 0x10000 + high; // below 2^37 + 2^16
  const h2 = Math.floor(x / 0x10000);
  x = ((x - h2 * 0x10000) | 0) + h2; // below 2^22: int32 from here on
  x = (x & 0xffff) + (x >>> 16);
  return (x & 0xffff) + (x >>> 16);
}

const IPV6_HEADER_LENGTH = 40;
const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_DEST_OPTIONS = 60;
/** Routing types whose addresses are a plain list, the last the final destination: 0 (RFC 2460, deprecated) and 2 (Mobile IPv6, RFC 6275 §6.4). */
const ROUTING_TYPE_0 = 0;
const ROUTING_TYPE_2 = 2;

/**
 * Where the final destination of an IPv6 packet sits when a routing header with segments left
 * names it (RFC 8200 §8.1: the pseudo-header uses the final destination), else -1. Walked only
 * for packets with extension headers, and only through those that can precede a routing header.
 */
function finalDestinationOffset(view: DataView, out: DecodedPacket): number {
  let at = out.ipOffset + IPV6_HEADER_LENGTH;
  let next = view.getUint8(out.ipOffset + 6);
  while (at + 8 <= out.l4Offset) {
    const length = (view.getUint8(at + 1) + 1) * 8;
    if (next === NH_ROUTING) {
      const type = view.getUint8(at + 2);
      const addresses = view.getUint8(at + 1) >> 1;
      if (view.getUint8(at + 3) === 0 || addresses === 0 || (type !== ROUTING_TYPE_0 && type !== ROUTING_TYPE_2)) return -1;
      const last = at + 8 + 16 * (addresses - 1);
      return last + 16 <= out.l4Offset ? last : -1;
    }
    if (next !== NH_HOP_BY_HOP && next !== NH_DEST_OPTIONS) return -1;
    next = view.getUint8(at);
    at += length;
  }
  return -1;
}

/**
 * Folds a non-negative int32 sum to 16 bits: the common case of fold() (two 16-bit sums, an IPv4
 * pseudo-header) in integer operations, without fold()'s float divisions.
 */
function foldInt(x: number): number {
  x = (x & 0xffff) + (x >>> 16);
  return (x & 0xffff) + (x >>> 16);
}

/** The pseudo-header sum of a decoded TCP packet (addresses, protocol, TCP length), folded. */
function pseudoHeaderSum(view: DataView, out: DecodedPacket, tcpLength: number): number {
  if (out.ipVersion === 4) {
    // Below 2^19 (six 16-bit values and the protocol): int32 throughout.
    const src = out.src4;
    const dst = out.dst4;
    return foldInt(PROTO_TCP + tcpLength + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff));
  }
  return pseudoHeaderSum6(view, out, tcpLength);
}

/** pseudoHeaderSum for IPv6 (apart, so the IPv4 case TurboFan inlines stays small). */
function pseudoHeaderSum6(view: DataView, out: DecodedPacket, tcpLength: number): number {
  let sum = PROTO_TCP + tcpLength;
  const final = out.l4Offset - out.ipOffset > IPV6_HEADER_LENGTH ? finalDestinationOffset(view, out) : -1;
  for (let i = 0; i < 4; i++) sum += (out.src6[i] ?? 0) + (final < 0 ? (out.dst6[i] ?? 0) : view.getUint32(final + 4 * i));
  return fold(sum);
}

/**
 * Verifies the innermost IPv4 header checksum and the TCP checksum of a decoded packet, sets
 * `out.badChecksum` and returns it (CHECKSUM_OK, BAD_CHECKSUM_IP or BAD_CHECKSUM_TCP). A segment
 * cut by the snaplen, a fragment, or an IP length of 0 (segmentation offload) is not checked.
 */
export function verifyChecksums(view: DataView, out: DecodedPacket): number {
  // l4Offset is past ipOffset only when this packet's IP header was captured whole.
  if (out.l4Offset <= out.ipOffset) return OK;
  // The header's sum was taken while decoding it (decode/ipv4.ts): no second read.
  if (out.ipVersion === 4 && out.ipHeaderSum !== 0xffff) {
    out.badChecksum = BAD_IP;
    return BAD_IP;
  }
  // Compared with true: a boolean field read as a condition is a generic ToBoolean in TurboFan's code.
  if (out.isTcp !== true || out.firstFragment === true || out.ipTotalLength === 0) return OK;
  const tcpLength = out.l4ClaimedLength;
  if (out.l4End - out.l4Offset < tcpLength) return OK;
  // A segment that is only the header decodeTcp summed (a bare ACK, a RST; ~45 % of the bench
  // mix's packets) takes that sum: no call into the kernel (~120 instructions each, callgrind).
  // Its sum below 2^21 and the folded pseudo-header sum fold in integer operations to what the
  // kernel's folded sum would give (both are the total modulo 0xffff, never 0: the pseudo-header
  // holds the protocol number).
  const segment = tcpLength === out.tcpSummedLength ? out.tcpHeaderSum : sumBytes(view, out.l4Offset, out.l4Offset + tcpLength);
  // Both sums are below 2^21: their total folds in integer operations.
  if (foldInt(segment + pseudoHeaderSum(view, out, tcpLength)) !== 0xffff) {
    out.badChecksum = BAD_TCP;
    return BAD_TCP;
  }
  return OK;
}

/** The pseudo-header sum of tunnel layer `i`'s outer UDP datagram of `udpLength` bytes (RFC 768, RFC 8200 §8.1), folded. */
function outerPseudoHeaderSum(out: DecodedPacket, i: number, udpLength: number): number {
  let sum = PROTO_UDP + udpLength;
  if (out.tunnelIpVersion[i] === 4) {
    const src = (out.tunnelSrc4[i] ?? 0) >>> 0;
    const dst = (out.tunnelDst4[i] ?? 0) >>> 0;
    sum += (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
    return fold(sum);
  }
  // An outer IPv6 routing header's final destination is not looked for: tunnels are not source-routed.
  for (let w = 4 * i; w < 4 * i + 4; w++) {
    const src = (out.tunnelSrc6[w] ?? 0) >>> 0;
    const dst = (out.tunnelDst6[w] ?? 0) >>> 0;
    sum += (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  }
  return fold(sum);
}

/**
 * Whether Zeek validates tunnel layer `i`'s outer UDP checksum (udp/UDP.cc DeliverPacket): only
 * when the whole datagram was captured (tunnelUdpEnd ≥ 0); a zero checksum over IPv4 means
 * none (RFC 768); over IPv6 it is not optional, except that VXLAN on its port (a payload longer
 * than VXLAN + Ethernet headers, the I flag set) may send zero; a non-zero VXLAN checksum is
 * validated (`Tunnel::validate_vxlan_checksums` is T in init-bare.zeek).
 */
function validatesUdpChecksum(view: DataView, out: DecodedPacket, i: number): boolean {
  const at = out.tunnelUdpOffset[i] ?? -1;
  const end = out.tunnelUdpEnd[i] ?? -1;
  if (at < 0 || end < 0) return false;
  if (view.getUint16(at + 6) !== 0) return true;
  if (out.tunnelIpVersion[i] === 4) return false;
  const vxlan = view.getUint16(at + 2) === VXLAN_PORT && end - at > 8 + 8 + 14 && (view.getUint8(at + 8) & 0x08) !== 0;
  return !vxlan;
}

/**
 * Verifies the outer headers of a tunnelled packet as Zeek's analyzers meet them, outermost
 * first: every outer IPv4 header checksum (ip/IP.cc AnalyzePacket runs for each IP layer, and a
 * wrong one is `bad_IP_checksum`: the packet goes no further) and every outer UDP checksum Zeek
 * validates (validatesUdpChecksum; a wrong one is `bad_UDP_checksum` and the UDP analyzer
 * forwards nothing). GRE's own checksum is not verified (gre/GRE.cc does not). Sets
 * `out.badChecksum` and `out.badChecksumLayer`; call only for tunnelled packets, not under -C.
 */
export function verifyOuterChecksums(view: DataView, out: DecodedPacket): number {
  for (let i = 0; i < out.tunnelCount; i++) {
    if (out.tunnelIpVersion[i] === 4) {
      const ip = out.tunnelIpOffset[i] ?? 0;
      if (ipv4HeaderSum(view, ip, (view.getUint8(ip) & 0x0f) * 4) !== 0xffff) {
        out.badChecksum = BAD_CHECKSUM_OUTER_IP;
        out.badChecksumLayer = i;
        return BAD_CHECKSUM_OUTER_IP;
      }
    }
    if (validatesUdpChecksum(view, out, i)) {
      const at = out.tunnelUdpOffset[i] ?? 0;
      const end = out.tunnelUdpEnd[i] ?? 0;
      if (fold(sumBytes(view, at, end) + outerPseudoHeaderSum(out, i, end - at)) !== 0xffff) {
        out.badChecksum = BAD_CHECKSUM_OUTER_UDP;
        out.badChecksumLayer = i;
        return BAD_CHECKSUM_OUTER_UDP;
      }
    }
  }
  return CHECKSUM_OK;
}

/**
 * True when a bad checksum is what a sender that offloads checksums to its NIC leaves in the
 * field: for TCP the pseudo-header sum (Linux CHECKSUM_PARTIAL, folded, in either complement)
 * or 0; for an IPv4 header, 0 (NICs that fill the IP checksum in too).
 */
export function offloadSignature(view: DataView, out: DecodedPacket): boolean {
  if (out.badChecksum === BAD_CHECKSUM_OUTER_IP) return view.getUint16((out.tunnelIpOffset[out.badChecksumLayer] ?? 0) + 10) === 0;
  if (out.badChecksum === BAD_CHECKSUM_OUTER_UDP) {
    // The tunnel endpoint's stack left the outer UDP checksum to its NIC (udp_set_csum: CHECKSUM_PARTIAL).
    const i = out.badChecksumLayer;
    const at = out.tunnelUdpOffset[i] ?? 0;
    const partial = outerPseudoHeaderSum(out, i, (out.tunnelUdpEnd[i] ?? 0) - at);
    const field = view.getUint16(at + 6);
    return field === partial || field === (~partial & 0xffff);
  }
  if (out.badChecksum === BAD_IP) return view.getUint16(out.ipOffset + 10) === 0;
  if (!out.isTcp) return false;
  const partial = pseudoHeaderSum(view, out, out.l4ClaimedLength);
  const field = out.checksum;
  return field === 0 || field === partial || field === (~partial & 0xffff);
}

/**
 * sumBytes' call of sumBytesSlow runs once per new capture buffer, and V8 records type feedback
 * for a function only after its first calls (lazy feedback allocation: after about 940 bytes of
 * its bytecode ran, --interrupt-budget-for-feedback-allocation, some 40 calls of this one):
 * the capture window's second buffer, first met after TurboFan had compiled verifyChecksums,
 * deoptimised it ("Insufficient type feedback for call"). A few sums of two small buffers at
 * load give the call its feedback; the cache is then emptied as it was.
 */
function warmUpSumBytes(): void {
  const views = [new DataView(new ArrayBuffer(8)), new DataView(new ArrayBuffer(8))];
  for (let i = 0; i < 128; i++) sumBytes(views[i & 1] as DataView, 0, 8);
  kernelView = null;
  kernel = null;
  kernelBase = 0;
  wordsOf = null;
  words = new Uint32Array(0);
}
warmUpSumBytes();
