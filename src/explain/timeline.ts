/**
 * Where a RST sits among the packets the tracker kept: what came just before it from each side
 * (the trigger it may answer), and what came after (the race evidence of Weaver et al.).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { Direction } from '../model/report.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { flagNames } from './resetFields.js';

/** The other side. */
export function peerOf(direction: Direction): Direction {
  return direction === 'orig' ? 'resp' : 'orig';
}

/** Packets around one RST. */
export interface RstTimeline {
  /** The last packet from the other side before the RST (what it may be answering), or null. */
  trigger: PacketRecord | null;
  /** Kept packets after the RST, in capture order. */
  after: readonly PacketRecord[];
  /**
   * Kept packets before the RST, in capture order: the first `beforeCount` entries of `upTo`.
   * Where the kept packets are in capture order (nearly always) `upTo` is the connection's own
   * list, read in place rather than copied for each RST.
   */
  upTo: readonly PacketRecord[];
  beforeCount: number;
}

/** The timeline's `after` when no kept packet is there: shared, never written. */
const NONE: readonly PacketRecord[] = Object.freeze([]);

/**
 * Splits the connection's kept packets around `rst`. The kept packets are in capture order, so
 * most often the packets before it are a prefix (read in place) and `after` a suffix of them
 * (sliced, or shared when empty); any other order is filtered as before. With `into`, the
 * timeline is written there (a caller that explains one RST at a time reuses one object).
 */
export function timelineOf(conn: FinishedConnection, rst: RstRecord, into?: RstTimeline): RstTimeline {
  const packets = conn.packets;
  const frame = rst.frame;
  let beforeEnd = 0;
  while (beforeEnd < packets.length && (packets[beforeEnd] as PacketRecord).frame < frame) beforeEnd++;
  let afterStart = beforeEnd;
  while (afterStart < packets.length && (packets[afterStart] as PacketRecord).frame === frame) afterStart++;
  let ordered = true;
  for (let i = afterStart; i < packets.length && ordered; i++) ordered = (packets[i] as PacketRecord).frame > frame;
  const upTo = ordered ? packets : packets.filter((p) => p.frame < frame);
  const beforeCount = ordered ? beforeEnd : upTo.length;
  const after = !ordered ? packets.filter((p) => p.frame > frame) : afterStart === packets.length ? NONE : packets.slice(afterStart);
  const peer = peerOf(rst.direction);
  let trigger: PacketRecord | null = null;
  for (let i = beforeCount - 1; i >= 0; i--) {
    const p = upTo[i] as PacketRecord;
    if (p.direction === peer) {
      trigger = p;
      break;
    }
  }
  if (into === undefined) return { trigger, after, upTo, beforeCount };
  into.trigger = trigger;
  into.after = after;
  into.upTo = upTo;
  into.beforeCount = beforeCount;
  return into;
}

/** Sequence space a packet occupies: payload plus one for SYN and one for FIN (RFC 9293 §3.4). */
export function seqLength(p: { flags: number; payloadLen: number }): number {
  return p.payloadLen + ((p.flags & TCP_SYN) !== 0 ? 1 : 0) + ((p.flags & TCP_FIN) !== 0 ? 1 : 0);
}

/** True for a packet with the ACK flag. */
export function hasAck(p: { flags: number }): boolean {
  return (p.flags & TCP_ACK) !== 0;
}

/** Human text for a packet's flags, e.g. "RST,ACK". */
export function flagText(flags: number): string {
  const names = flagNames(flags);
  return names.length > 0 ? names.join(',') : 'none';
}

/** Formats seconds for evidence details: "3.2 ms", "41 µs", "12.5 s". */
export function formatSeconds(s: number): string {
  const a = Math.abs(s);
  if (a >= 1) return `${s.toFixed(a >= 100 ? 0 : 1)} s`;
  if (a >= 1e-3) return `${(s * 1e3).toFixed(a >= 0.1 ? 0 : 1)} ms`;
  return `${Math.round(s * 1e6)} µs`;
}
