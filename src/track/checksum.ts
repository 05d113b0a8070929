/**
 * Zeek's TCP checksum check (src/packet_analysis/protocol/tcp/TCP.cc, TCPAnalyzer::ValidateChecksum
 * via ValidChecksum): the one's-complement sum over the pseudo-header and the segment
 * (RFC 9293 §3.1), computed only when the whole segment was captured.
 */
import type { CaptureRecord } from '../capture/record.js';
import type { DecodedPacket } from '../decode/packet.js';

/** TCP checksum over the pseudo-header and segment (RFC 9293 §3.1), as Zeek's ValidChecksum. */
export function checksumOk(rec: CaptureRecord, pkt: DecodedPacket): boolean {
  const segLen = pkt.tcpHeaderLength + pkt.payloadLength;
  const captured = pkt.l4End - pkt.l4Offset;
  // Zeek checks only when the whole segment was captured (caplen >= len).
  if (captured < segLen || pkt.ipTotalLength === 0) return true;
  const d = rec.data;
  const base = pkt.l4Offset; // decoded offsets index rec.data directly
  let sum = 0;
  if (pkt.ipVersion === 4) {
    sum += (pkt.src4 >>> 16) + (pkt.src4 & 0xffff) + (pkt.dst4 >>> 16) + (pkt.dst4 & 0xffff);
  } else {
    for (let i = 0; i < 4; i++) {
      const a = pkt.src6[i] ?? 0;
      const b = pkt.dst6[i] ?? 0;
      sum += (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
    }
  }
  sum += 6 + segLen;
  let i = 0;
  for (; i + 1 < segLen; i += 2) sum += ((d[base + i] ?? 0) << 8) | (d[base + i + 1] ?? 0);
  if (i < segLen) sum += (d[base + i] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum === 0xffff;
}
