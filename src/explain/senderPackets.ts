/**
 * What a connection's own packets say about the sender of one of its RSTs: the shape Linux gives
 * a RST with and without a socket, the round trip to each side, how many distinct packets a side
 * sent, and whether its IPv4 IDs ran as a counter before the RST. Pure reads of a
 * FinishedConnection; the forgery signals (forgery.ts) weigh them.
 */
import { TCP_ACK, TCP_RST } from '../decode/packet.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { seqAdd, seqDelta } from '../track/seq.js';
import { hasAck, seqLength } from './timeline.js';

/** IDs of the sender needed before its IDs count as a counter… */
export const IPID_COUNTER_SAMPLES = 4;
/** …each step between them at most this (a per-socket inet_id, or a host-wide counter under light load). */
export const IPID_COUNTER_STEP = 64;

/** The shape of a RST as the Linux stack would have made it. */
export type RstShape = 'no_socket' | 'socket' | 'other';

/**
 * Classifies a RST against the two ways Linux sends one. Without a socket (tcp_v4_send_reset,
 * also netfilter's nf_send_reset): window 0, no options; if the trigger carried ACK a bare RST
 * with seq = the trigger's ack, else RST|ACK with seq 0 and ack = trigger seq + its length (SYN
 * and FIN count one). Its IPv4 ID is 0 on kernels since 4.17 and a hashed per-destination value
 * before (ip_send_unicast_reply → __ip_select_ident), so the ID is not part of the shape. From a
 * live socket (tcp_send_active_reset, SO_LINGER 0 or close with unread data): RST|ACK with the
 * socket's window, options and running IP ID.
 */
export function rstShapeOf(rst: RstRecord, trigger: PacketRecord | null): RstShape {
  const bare = (rst.flags & TCP_ACK) === 0;
  if (rst.win === 0 && rst.options === 0) {
    if (trigger === null) return rst.ipId <= 0 ? 'no_socket' : 'other';
    if (hasAck(trigger) && bare && rst.seq === trigger.ack) return 'no_socket';
    if (!hasAck(trigger) && !bare && rst.seq === 0 && rst.ack === seqAdd(trigger.seq, seqLength(trigger))) return 'no_socket';
  }
  if (!bare && (rst.win !== 0 || rst.options !== 0)) return 'socket';
  return 'other';
}
/**
 * The shortest round trip from the capture point to `side` and back, over every exchange the
 * connection shows (the handshake, and each packet of the other side answered by an ACK of
 * `side`), or null with fewer than two exchanges: one sample can be inflated (a delayed SYN-ACK,
 * a server slow to accept) and would make every answer look "too fast".
 */
export function roundTripTo(conn: FinishedConnection, side: 'orig' | 'resp'): number | null {
  // The samples' count and minimum, not an array of them per RST.
  let samples = 0;
  let shortest = Number.POSITIVE_INFINITY;
  const hs = side === 'resp' ? conn.handshake.synToSynAck : conn.handshake.synAckToAck;
  if (hs !== null) {
    samples++;
    shortest = hs;
  }
  const packets = conn.packets;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i] as PacketRecord;
    if (p.direction === side || p.payloadLen === 0 || (p.flags & TCP_RST) !== 0) continue;
    const end = seqAdd(p.seq, seqLength(p));
    for (let j = i + 1; j < packets.length; j++) {
      const q = packets[j] as PacketRecord;
      if (q.direction !== side || (q.flags & TCP_RST) !== 0) continue;
      if (hasAck(q) && seqDelta(q.ack, end) >= 0) {
        samples++;
        shortest = Math.min(shortest, q.ts - p.ts);
        break;
      }
    }
  }
  return samples >= 2 ? shortest : null;
}

/** Above this many kept packets distinctPacketsFrom counts through a Set (quadratic otherwise). */
const PAIRWISE_LIMIT = 64;

/**
 * Distinct non-RST packets a side sent, as kept by the tracker. A Linux `any` capture on a
 * router shows each forwarded packet twice (in and out, one TTL apart): those count once.
 */
export function distinctPacketsFrom(conn: FinishedConnection, side: 'orig' | 'resp'): number {
  const packets = conn.packets;
  // Few packets are kept (at most 20 by default): comparing fields pairwise is cheaper than a Set of
  // text keys (five number-to-text conversions per packet); long rings keep the Set.
  if (packets.length > PAIRWISE_LIMIT) return distinctByKey(packets, side) + (conn.packetsNotKept > 0 ? 2 : 0);
  let distinct = 0;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i] as PacketRecord;
    if (p.direction !== side || (p.flags & TCP_RST) !== 0) continue;
    let repeat = false;
    for (let j = 0; j < i && !repeat; j++) {
      const q = packets[j] as PacketRecord;
      repeat = q.direction === side && (q.flags & TCP_RST) === 0 && sameSegment(p, q);
    }
    if (!repeat) distinct++;
  }
  return distinct + (conn.packetsNotKept > 0 ? 2 : 0);
}

/** True when two packets are the same segment seen twice (the fields a forwarding hop keeps). */
function sameSegment(p: PacketRecord, q: PacketRecord): boolean {
  // Every field compared on every call (no short-circuit): the later ones, reached only for two
  // packets alike so far, had no type feedback until then and deoptimised distinctPacketsFrom.
  const same = (p.seq === q.seq ? 1 : 0) & (p.ack === q.ack ? 1 : 0) & (p.flags === q.flags ? 1 : 0) & (p.ipId === q.ipId ? 1 : 0) & (p.payloadLen === q.payloadLen ? 1 : 0);
  return same === 1;
}

/** distinctPacketsFrom's count for long rings, through a Set of text keys. */
function distinctByKey(packets: readonly PacketRecord[], side: 'orig' | 'resp'): number {
  const seen = new Set<string>();
  for (const p of packets) {
    if (p.direction !== side || (p.flags & TCP_RST) !== 0) continue;
    seen.add(`${p.seq}|${p.ack}|${p.flags}|${p.ipId}|${p.payloadLen}`);
  }
  return seen.size;
}


/**
 * The sender's IPv4 IDs are a counter: enough distinct packets, each a small step after the
 * last. Linux numbers a connected socket's packets from inet_id (ip_select_ident_segs); a
 * random or per-destination hashed ID (newer stacks, older kernels' socketless replies) never
 * passes, and neither do packets that carry ID 0 by kernel rule (DF without a connected socket:
 * SYN-ACKs from request sockets, tcp_v4_send_reset since 4.17) — they are left out.
 */
export function ipIdCounterBefore(conn: FinishedConnection, rst: RstRecord): number | null {
  let last = -1;
  let samples = 0;
  for (const p of conn.packets) {
    if (p.frame >= rst.frame) break;
    if (p.direction !== rst.direction || (p.flags & TCP_RST) !== 0 || p.ipId <= 0) continue;
    if (last >= 0) {
      const step = (p.ipId - last) & 0xffff;
      if (step === 0) continue; // the same packet again (a forwarding capture's twin, a retransmitted copy)
      if (step > IPID_COUNTER_STEP) return null;
    }
    last = p.ipId;
    samples++;
  }
  return samples >= IPID_COUNTER_SAMPLES ? last : null;
}

