/**
 * TCP header and options (RFC 9293 §3.1). The fixed 20 bytes make the packet "TCP"; options are
 * decoded as far as the captured bytes go, so a snaplen cut inside the options keeps the header.
 * Options: EOL (0), NOP (1), MSS (2, RFC 9293), window scale (3) and SACK-permitted (4) / SACK (5)
 * (RFC 7323, RFC 2018), timestamps (8, RFC 7323), MPTCP (30, RFC 8684) with MP_TCPRST's reason;
 * any other kind is kept by number.
 */
import { ISSUE_BAD_TCP_HEADER_LENGTH, ISSUE_BAD_TCP_OPTION, ISSUE_NONE, ISSUE_TRUNCATED_TCP, issue } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_TCP, MAX_SACK_BLOCKS, MAX_UNKNOWN_OPTIONS } from './packet.js';
// Header numbers from wire.ts (esbuild writes them into the bundle as literals; see there).
import {
  TCP_MIN_HEADER as MIN_HEADER,
  MPTCP_TCPRST,
  MSS_KIND_LENGTH,
  NOP_NOP_NOP_NOP,
  NOP_NOP_SACK_PERMITTED,
  NOP_NOP_TIMESTAMP,
  NOP_WSCALE,
  TCP_OPT_EOL as OPT_EOL,
  TCP_OPT_MPTCP as OPT_MPTCP,
  TCP_OPT_MSS as OPT_MSS,
  TCP_OPT_NOP as OPT_NOP,
  TCP_OPT_SACK as OPT_SACK,
  TCP_OPT_SACK_PERMITTED as OPT_SACK_PERMITTED,
  TCP_OPT_TIMESTAMP as OPT_TIMESTAMP,
  TCP_OPT_WSCALE as OPT_WSCALE,
  SACK_PERMITTED_NOP_NOP,
  SACK_PERMITTED_TIMESTAMP,
  TCP_FIELDS_THROUGH_WINDOW,
} from './wire.js';

export { PROTO_TCP, TCP_MIN_HEADER } from './wire.js';

/** Decodes the TCP header in `[offset, end)`; `end` is already trimmed to the IP length. */
export function decodeTcp(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  const claimed = out.l4ClaimedLength;
  out.tcpSummedLength = 0;
  if (end - offset < MIN_HEADER) {
    if (claimed >= MIN_HEADER && cut) {
      out.truncated = true;
      // A snaplen that keeps the header through the window field (16 bytes) still shows a
      // RST's ports, seq, ack, flags and window: Wireshark decodes it, and so do we.
      if (end - offset >= TCP_FIELDS_THROUGH_WINDOW) decodeCutHeader(view, offset, end, out);
      return issue(out, ISSUE_TRUNCATED_TCP, offset);
    }
    return issue(out, ISSUE_BAD_TCP_HEADER_LENGTH, offset);
  }
  // The fixed 20 bytes as five big-endian 32-bit words: five DataView reads, not ten.
  const ports = view.getUint32(offset);
  out.sport = ports >>> 16;
  out.dport = ports & 0xffff;
  const seq = view.getUint32(offset + 4);
  const ack = view.getUint32(offset + 8);
  out.seq = seq;
  out.ack = ack;
  const w3 = view.getUint32(offset + 12); // data offset, reserved, flags, window
  const b12 = w3 >>> 24;
  out.flags = ((w3 >>> 16) & 0xff) | ((b12 & 0x01) << 8);
  out.tcpReserved = b12 & 0x0f;
  out.win = w3 & 0xffff;
  const w4 = view.getUint32(offset + 16); // checksum, urgent pointer
  out.checksum = w4 >>> 16;
  out.urgentPtr = w4 & 0xffff;
  const headerLength = (b12 >> 4) * 4;
  out.tcpHeaderLength = headerLength;
  if (headerLength < MIN_HEADER || headerLength > claimed) {
    // No trustworthy payload boundary: keep the fixed fields, report the header as malformed.
    return issue(out, ISSUE_BAD_TCP_HEADER_LENGTH, offset + 12);
  }
  if (claimed === headerLength) {
    // A segment that is only its header (a bare ACK, a RST): the fixed header's RFC 1071 sum (ten
    // 16-bit halves, below 2^20: int32) for verifyChecksums (see DecodedPacket.tcpHeaderSum),
    // which then verifies it without the kernel. A segment with payload is summed there whole.
    out.tcpHeaderSum =
      (ports >>> 16) + (ports & 0xffff) + (seq >>> 16) + (seq & 0xffff) + (ack >>> 16) + (ack & 0xffff) + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff);
    out.tcpSummedLength = MIN_HEADER;
  }
  out.isTcp = true;
  out.layer = LAYER_TCP;
  out.payloadOffset = offset + headerLength;
  out.payloadLength = claimed - headerLength;
  const captured = end - out.payloadOffset;
  out.payloadCaptured = captured > 0 ? captured : 0;
  let result = ISSUE_NONE;
  let optionsEnd = offset + headerLength;
  if (optionsEnd > end) {
    out.truncated = true;
    result = issue(out, ISSUE_TRUNCATED_TCP, end);
    optionsEnd = end;
  }
  if (headerLength > MIN_HEADER) {
    // NOP, NOP, timestamps (RFC 7323 Appendix A's layout, what Linux sends on every segment):
    // what the walk below would find, in three reads.
    if (headerLength === MIN_HEADER + 12 && optionsEnd - offset === headerLength && view.getUint32(offset + MIN_HEADER) === NOP_NOP_TIMESTAMP) {
      out.optionCount++;
      out.optTimestamp = true;
      const tsVal = view.getUint32(offset + MIN_HEADER + 4);
      const tsEcr = view.getUint32(offset + MIN_HEADER + 8);
      out.optTsVal = tsVal;
      out.optTsEcr = tsEcr;
      if (claimed === headerLength) {
        // 0x0101 + 0x080a: the NOP-NOP-timestamp word's halves.
        out.tcpHeaderSum += 0x0101 + 0x080a + (tsVal >>> 16) + (tsVal & 0xffff) + (tsEcr >>> 16) + (tsEcr & 0xffff);
        out.tcpSummedLength = MIN_HEADER + 12;
      }
      return result;
    }
    // A SYN's or SYN-ACK's options in the layouts stacks send (MSS first): without the walk.
    if (optionsEnd - offset === headerLength && view.getUint16(offset + MIN_HEADER) === MSS_KIND_LENGTH && decodeSynOptions(view, offset + MIN_HEADER, optionsEnd, out)) {
      return result;
    }
    const optionIssue = decodeTcpOptions(view, offset + MIN_HEADER, optionsEnd, out);
    if (result === ISSUE_NONE) result = optionIssue;
  }
  return result;
}

/**
 * The options of a SYN or SYN-ACK as 32-bit words, in the layouts the common stacks write: MSS
 * first, then SACK-permitted, timestamps and window scale, each padded with NOPs to a word.
 * Linux (net/ipv4/tcp_output.c tcp_options_write) writes MSS, then SACK-permitted fused with the
 * timestamps (04 02 08 0a, RFC 7323 Appendix A's layout with SACK-permitted in the NOPs' place)
 * or NOP NOP timestamps, or NOP NOP SACK-permitted without timestamps, then NOP window scale;
 * other stacks put SACK-permitted before two NOPs (04 02 01 01). The MSS word is at `at` (the
 * caller checked 02 04), the options end exactly at `end` (not cut), a multiple of 4 bytes past
 * it. Returns false, having written nothing, at any other word; decodeTcpOptions then walks the
 * options byte by byte and finds what this finds for the layouts above (RFC 9293 §3.2: the same
 * options, counted the same; a repeated option overwrites as in the walk).
 */
function decodeSynOptions(view: DataView, at: number, end: number, out: DecodedPacket): boolean {
  const mss = view.getUint16(at + 2);
  let count = 1;
  let sackPermitted = false;
  let timestamps = false;
  let tsVal = 0;
  let tsEcr = 0;
  let wscale = -1;
  for (let p = at + 4; p < end; ) {
    const word = view.getUint32(p);
    if (word === SACK_PERMITTED_TIMESTAMP || word === NOP_NOP_TIMESTAMP) {
      if (end - p < 12) return false;
      if (word === SACK_PERMITTED_TIMESTAMP) {
        sackPermitted = true;
        count++;
      }
      timestamps = true;
      count++;
      tsVal = view.getUint32(p + 4);
      tsEcr = view.getUint32(p + 8);
      p += 12;
    } else if (word === NOP_NOP_SACK_PERMITTED || word === SACK_PERMITTED_NOP_NOP) {
      sackPermitted = true;
      count++;
      p += 4;
    } else if (word >>> 8 === NOP_WSCALE) {
      wscale = word & 0xff;
      count++;
      p += 4;
    } else if (word === NOP_NOP_NOP_NOP) {
      p += 4;
    } else {
      return false;
    }
  }
  out.optionCount += count;
  out.optMss = mss;
  if (sackPermitted) out.optSackPermitted = true;
  if (timestamps) {
    out.optTimestamp = true;
    out.optTsVal = tsVal;
    out.optTsEcr = tsEcr;
  }
  if (wscale >= 0) out.optWscale = wscale;
  return true;
}

/** Decodes the fixed fields a snaplen cut left (at least through the window); options and payload are gone. */
function decodeCutHeader(view: DataView, offset: number, end: number, out: DecodedPacket): void {
  out.sport = view.getUint16(offset);
  out.dport = view.getUint16(offset + 2);
  const seq = view.getUint32(offset + 4);
  const ack = view.getUint32(offset + 8);
  out.seq = seq;
  out.ack = ack;
  const b12 = view.getUint8(offset + 12);
  out.flags = view.getUint8(offset + 13) | ((b12 & 0x01) << 8);
  out.tcpReserved = b12 & 0x0f;
  out.win = view.getUint16(offset + 14);
  out.checksum = end - offset >= 18 ? view.getUint16(offset + 16) : 0;
  out.urgentPtr = 0;
  const headerLength = (b12 >> 4) * 4;
  if (headerLength < MIN_HEADER || headerLength > out.l4ClaimedLength) return;
  out.tcpHeaderLength = headerLength;
  out.isTcp = true;
  out.layer = LAYER_TCP;
  out.payloadOffset = offset + headerLength;
  out.payloadLength = out.l4ClaimedLength - headerLength;
  out.payloadCaptured = 0;
}

/** Walks the option list; a length that cannot be right stops the walk with an issue. */
export function decodeTcpOptions(view: DataView, at: number, end: number, out: DecodedPacket): number {
  while (at < end) {
    const kind = view.getUint8(at);
    if (kind === OPT_EOL) return ISSUE_NONE;
    if (kind === OPT_NOP) {
      at++;
      continue;
    }
    if (end - at < 2) return optionCut(out, at);
    const length = view.getUint8(at + 1);
    if (length < 2) return issue(out, ISSUE_BAD_TCP_OPTION, at);
    if (end - at < length) return optionCut(out, at);
    out.optionCount++;
    switch (kind) {
      case OPT_MSS:
        if (length === 4) out.optMss = view.getUint16(at + 2);
        else issue(out, ISSUE_BAD_TCP_OPTION, at);
        break;
      case OPT_WSCALE:
        if (length === 3) out.optWscale = view.getUint8(at + 2);
        else issue(out, ISSUE_BAD_TCP_OPTION, at);
        break;
      case OPT_SACK_PERMITTED:
        out.optSackPermitted = true;
        break;
      case OPT_SACK: {
        const blocks = (length - 2) >> 3;
        let n = 0;
        for (; n < blocks && n < MAX_SACK_BLOCKS; n++) {
          out.optSack[2 * n] = view.getUint32(at + 2 + 8 * n);
          out.optSack[2 * n + 1] = view.getUint32(at + 6 + 8 * n);
        }
        out.optSackCount = n;
        break;
      }
      case OPT_TIMESTAMP:
        if (length === 10) {
          out.optTimestamp = true;
          out.optTsVal = view.getUint32(at + 2);
          out.optTsEcr = view.getUint32(at + 6);
        } else issue(out, ISSUE_BAD_TCP_OPTION, at);
        break;
      case OPT_MPTCP:
        if (length >= 3) {
          const subtype = view.getUint8(at + 2) >> 4;
          if (out.optMptcpSubtype < 0) out.optMptcpSubtype = subtype;
          if (subtype === MPTCP_TCPRST && length >= 4) {
            out.optMptcpRstFlags = view.getUint8(at + 2) & 0x0f;
            out.optMptcpRstReason = view.getUint8(at + 3);
          }
        }
        break;
      default:
        if (out.unknownOptionCount < MAX_UNKNOWN_OPTIONS) out.unknownOptions[out.unknownOptionCount] = kind;
        out.unknownOptionCount++;
    }
    at += length;
  }
  return ISSUE_NONE;
}

function optionCut(out: DecodedPacket, at: number): number {
  if (out.truncated) return issue(out, ISSUE_TRUNCATED_TCP, at);
  return issue(out, ISSUE_BAD_TCP_OPTION, at);
}
