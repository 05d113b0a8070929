/**
 * TCP header and options (RFC 9293 §3.1). The fixed 20 bytes make the packet "TCP"; options are
 * decoded as far as the captured bytes go, so a snaplen cut inside the options keeps the header.
 * Options: EOL (0), NOP (1), MSS (2, RFC 9293), window scale (3) and SACK-permitted (4) / SACK (5)
 * (RFC 7323, RFC 2018), timestamps (8, RFC 7323), MPTCP (30, RFC 8684) with MP_TCPRST's reason;
 * any other kind is kept by number.
 */
import { ISSUE_BAD_TCP_HEADER_LENGTH, ISSUE_BAD_TCP_OPTION, ISSUE_NONE as ISSUE_NONE_CELL, ISSUE_TRUNCATED_TCP, issue } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_TCP as LAYER_TCP_CELL, MAX_SACK_BLOCKS, MAX_UNKNOWN_OPTIONS } from './packet.js';

export const PROTO_TCP = 6;
/** The fixed TCP header: 20 bytes. */
const MIN_HEADER = 20;
export const TCP_MIN_HEADER = MIN_HEADER;
// An imported or exported binding is a module cell that TurboFan loads and checks for the TDZ
// hole at every use; a module-level const that is neither, it folds into the code. The hot path
// uses these copies (decode/checksum.ts's file comment has the callgrind figure).
const ISSUE_NONE = ISSUE_NONE_CELL;
const LAYER_TCP = LAYER_TCP_CELL;
/** Source port through window: the part of the header a cut frame must keep to be listed. */
const TCP_FIELDS_THROUGH_WINDOW = 16;
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;
const OPT_MPTCP = 30;
/** The option bytes 01 01 08 0a (NOP, NOP, timestamps of length 10) as one big-endian word. */
const NOP_NOP_TIMESTAMP = 0x0101080a;
/** MPTCP subtype MP_TCPRST (RFC 8684 §3.6). */
const MPTCP_TCPRST = 0x8;

/** Decodes the TCP header in `[offset, end)`; `end` is already trimmed to the IP length. */
export function decodeTcp(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  const claimed = out.l4ClaimedLength;
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
  out.seq = view.getUint32(offset + 4);
  out.ack = view.getUint32(offset + 8);
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
      out.optTsVal = view.getUint32(offset + MIN_HEADER + 4);
      out.optTsEcr = view.getUint32(offset + MIN_HEADER + 8);
      return result;
    }
    const optionIssue = decodeTcpOptions(view, offset + MIN_HEADER, optionsEnd, out);
    if (result === ISSUE_NONE) result = optionIssue;
  }
  return result;
}

/** Decodes the fixed fields a snaplen cut left (at least through the window); options and payload are gone. */
function decodeCutHeader(view: DataView, offset: number, end: number, out: DecodedPacket): void {
  out.sport = view.getUint16(offset);
  out.dport = view.getUint16(offset + 2);
  out.seq = view.getUint32(offset + 4);
  out.ack = view.getUint32(offset + 8);
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
