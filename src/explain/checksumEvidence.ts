/**
 * The `bad_checksum` evidence (DESIGN.md "Extensions"): only where the capture point is not the
 * sender — a capture taken on the sending host shows its own packets before the NIC fills the
 * checksum in (pipeline/checksumGate.ts tells those apart), so there a bad checksum proves
 * nothing. Elsewhere a receiver discards the segment (RFC 1122 §4.2.2.7: the checksum MUST be
 * checked), so the RST cannot have reset anything: corruption on the path, or a forger that did
 * not compute it (some injectors never do).
 */
import { EV_BAD_CHECKSUM } from '../model/evidenceCodes.js';
import type { Evidence } from '../model/report.js';

/** What the check needs to know about one RST packet. */
export interface RstChecksumFacts {
  /** decode/checksum.ts: 0 good or not checked, 1 IPv4 header, 2 TCP. */
  badChecksum: number;
  /** The TCP checksum field as captured. */
  checksum: number;
  /** The capture point is the sender: an outgoing packet of a Linux cooked capture (packet type 4), or a host in `summary.checksum_offload`. */
  sentByCapturePoint: boolean;
}

/** `bad_checksum` evidence for a RST whose checksum is wrong where the capture point is not the sender, else null. */
export function checksumEvidence(rst: RstChecksumFacts): Evidence | null {
  if (rst.badChecksum === 0 || rst.sentByCapturePoint) return null;
  const what = rst.badChecksum === 1 ? 'IPv4 header checksum' : `TCP checksum (0x${rst.checksum.toString(16).padStart(4, '0')})`;
  return {
    code: EV_BAD_CHECKSUM,
    detail: `the RST's ${what} is wrong and the capture point is not its sender: its receiver drops it, so it reset nothing`,
  };
}
