/**
 * Where in the connection's life a RST came (DESIGN.md "stage"), decided from the state just
 * before it: a FIN from either side makes it `teardown`; a handshake seen but not completed,
 * `handshake`; payload seen, `data`; a completed handshake without payload, `established`; a
 * connection whose start is not in the capture and which showed nothing else, `midstream`.
 */
import { TCP_ACK, TCP_SYN } from '../decode/packet.js';
import type { Stage } from '../model/report.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { seqDelta } from '../track/seq.js';
import { oddProbeFlags } from './probes.js';

/**
 * The stage of one RST. A RST that carries SYN, or that answers a SYN or a first probe with
 * impossible flags (a FIN inside SYN+FIN or Xmas is no teardown), belongs to the handshake.
 */
export function stageOf(conn: FinishedConnection, rst: RstRecord, trigger: PacketRecord | null): Stage {
  const c = rst.context;
  if ((rst.flags & TCP_SYN) !== 0) return 'handshake';
  if (trigger !== null && c.handshake !== 'complete') {
    // Answering a SYN decides at once (the common refused SYN): no walk over the packets.
    if (c.handshake !== 'midstream' && (trigger.flags & TCP_SYN) !== 0 && (trigger.flags & TCP_ACK) === 0) return 'handshake';
    // A connection that opens with a NULL, Xmas or lone-FIN probe has no handshake at all: the
    // tracker sees it start "midstream", but the probe was an attempt to open one.
    const opens = !c.payload.orig && !c.payload.resp && opensTheConnection(conn, trigger);
    const answersProbe = opens && oddProbeFlags(trigger.flags) !== null;
    // Likewise a SYN-ACK that opens the capture's view of the connection (backscatter, a SYN-ACK
    // probe): the tracker calls it "midstream", but a SYN-ACK is the handshake's second segment.
    const answersSynAck = opens && (trigger.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    if (answersProbe || answersSynAck) return 'handshake';
  }
  if (c.fin.orig || c.fin.resp) return 'teardown';
  if (c.handshake === 'none' || c.handshake === 'syn' || c.handshake === 'syn_ack') {
    // "none" with packets before it means the start was missed rather than never sent.
    if (c.handshake === 'none' && c.pktsBefore.orig + c.pktsBefore.resp > 0 && conn.handshake.synTs === null) {
      return c.payload.orig || c.payload.resp ? 'data' : 'midstream';
    }
    if (c.handshake === 'none') return 'midstream';
    return 'handshake';
  }
  if (c.payload.orig || c.payload.resp || sequenceAdvanced(conn, rst, 'orig') || sequenceAdvanced(conn, rst, 'resp')) return 'data';
  if (c.handshake === 'complete') return 'established';
  return 'midstream';
}

/**
 * True when a side's sequence space advanced past its SYN before the RST: data flowed even
 * where the capture's snaplen cut the payload off (the tracker only counts payload it saw; the
 * IP header's length and the next sequence number still tell, as Wireshark's "TCP segment of a
 * reassembled PDU [Packet size limited during capture]" does).
 */
export function sequenceAdvanced(conn: FinishedConnection, rst: RstRecord, side: 'orig' | 'resp'): boolean {
  const c = rst.context;
  const start = (side === 'orig' ? conn.orig : conn.resp).startSeq;
  const next = c.nextSeq[side];
  if (start === null || next === null || c.handshake !== 'complete') return false;
  // From the ISN: the SYN takes one sequence number and a FIN one more.
  return seqDelta(next, start) > 1 + (c.fin[side] ? 1 : 0);
}

/** True when `p` (or an identical copy of it, as a router's `any` capture shows) is the connection's first packet. */
function opensTheConnection(conn: FinishedConnection, p: PacketRecord): boolean {
  for (const q of conn.packets) {
    if (q.frame > p.frame) break;
    if (q.direction !== p.direction || q.flags !== p.flags || q.seq !== p.seq) return false;
  }
  return true;
}
