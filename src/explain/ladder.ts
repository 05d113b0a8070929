/**
 * A connection as a ladder (sequence) diagram, the way the article's figures draw it: the
 * packets the tracker kept, in capture order, with sequence and acknowledgement numbers relative
 * to each side's first sequence number (Wireshark's "relative sequence numbers"), and each listed
 * RST tied to its Reset. Pure: reads the FinishedConnection and the explained resets.
 */
import { endpointText } from '../decode/address.js';
import { TCP_ACK } from '../decode/packet.js';
import type { Direction, Ladder, LadderPacket, Reset } from '../model/report.js';
import type { FinishedConnection, PacketRecord } from '../track/finished.js';
import { flagNames, roundMicros } from './resetFields.js';

/** Packets at the start of a connection the tracker never evicts (its `headPackets`). */
export const LADDER_HEAD_PACKETS = 4;

/** `value - base` as an unsigned 32-bit distance, or null without a base. */
export function relativeSeq(value: number, base: number | null): number | null {
  return base === null ? null : (value - base) >>> 0;
}

/** One ladder row from a kept packet. */
export function ladderPacketOf(
  p: Pick<PacketRecord, 'frame' | 'ts' | 'direction' | 'flags' | 'seq' | 'ack' | 'payloadLen' | 'ttl' | 'win'>,
  capture: number,
  isn: Ladder['isn'],
  reset: Reset | null,
): LadderPacket {
  const other: Direction = p.direction === 'orig' ? 'resp' : 'orig';
  return {
    frame: p.frame,
    capture,
    ts: roundMicros(p.ts),
    from: p.direction,
    flags: flagNames(p.flags),
    seq: relativeSeq(p.seq, isn[p.direction]),
    ack: (p.flags & TCP_ACK) !== 0 ? relativeSeq(p.ack, isn[other]) : null,
    len: p.payloadLen,
    ttl: p.ttl,
    win: p.win,
    reset: reset === null ? null : reset.id,
    verdict: reset === null ? null : reset.verdict,
  };
}

/**
 * Where the packets the tracker did not keep belong: the tracker keeps the first few packets of
 * a connection and the last ones of each direction, so a direction's missing packets lie just
 * before its first kept packet after the head. Returns the index the gap follows, or -1.
 */
export function gapIndexOf(conn: FinishedConnection): number {
  if (conn.packetsNotKept <= 0) return -1;
  const kept = { orig: 0, resp: 0 };
  for (const p of conn.packets) kept[p.direction]++;
  const dropping = { orig: conn.orig.pkts > kept.orig, resp: conn.resp.pkts > kept.resp };
  const head = Math.min(LADDER_HEAD_PACKETS, conn.packets.length);
  for (let i = head; i < conn.packets.length; i++) {
    const p = conn.packets[i] as PacketRecord;
    if (dropping[p.direction]) return i - 1;
  }
  return conn.packets.length - 1;
}

/** The ladder of one connection; `resets` are its explained resets (matched to packets by frame). */
export function ladderOf(conn: FinishedConnection, resets: readonly Reset[]): Ladder {
  const isn = { orig: conn.orig.startSeq, resp: conn.resp.startSeq };
  const byFrame = new Map<number, Reset>();
  for (const r of resets) byFrame.set(r.frame, r);
  // Listed RSTs the ring evicted are put back in capture order, so every reset has its arrow.
  const rows: PacketRecord[] = [...conn.packets];
  const keptFrames = new Set(rows.map((p) => p.frame));
  let added = 0;
  for (const rst of conn.resets) {
    if (!keptFrames.has(rst.frame) && byFrame.has(rst.frame)) {
      rows.push(rst);
      added++;
    }
  }
  const gapAfter = gapIndexOf(conn);
  const gapFrame = gapAfter >= 0 ? (conn.packets[gapAfter] as PacketRecord).frame : -1;
  if (added > 0) rows.sort((a, b) => a.frame - b.frame);
  const packets = rows.map((p) => ladderPacketOf(p, conn.capture, isn, byFrame.get(p.frame) ?? null));
  let gap: Ladder['gap'] = null;
  if (gapAfter >= 0) {
    const after = packets.findIndex((p) => p.frame === gapFrame);
    gap = { after, packets: Math.max(0, conn.packetsNotKept - added) };
  }
  return {
    conn: conn.id,
    capture: conn.capture,
    orig: endpointText(conn.origAddr, conn.origPort),
    resp: endpointText(conn.respAddr, conn.respPort),
    isn,
    packets,
    gap,
  };
}
