/**
 * Why a RST most likely came (DESIGN.md "cause"): a decision table over the stage, who sent it,
 * what it answered, its shape and what the forgery tests found. Rows are tried in order; each
 * cites the RFC or kernel behaviour it rests on. When no row fits, the answer is `unexplained`
 * with the evidence that was seen, never a forced guess.
 */
import { TCP_ACK, TCP_SYN } from '../decode/packet.js';
import type { Cause, Evidence, Stage } from '../model/report.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { type ExplainContext, tupleKey } from './context.js';
import {
  EV_ACK_TO_SYN,
  EV_AFTER_HANDSHAKE,
  EV_BOTH_DIRECTIONS,
  EV_DATA_AFTER_FIN,
  EV_DATA_AFTER_RST,
  EV_EMPTY_HANDSHAKE,
  EV_FIN_BEFORE,
  EV_IDLE_GAP,
  EV_MANY_PORTS,
  EV_MIDSTREAM,
  EV_POLICY_REJECT,
  EV_PORT_OPEN_ELSEWHERE,
  EV_RECENT_CLOSE,
  EV_REPLY_TO_SYN,
  EV_RETRANSMISSIONS,
  EV_RST_BURST,
  EV_SYN_FLAGS,
  evidence,
} from './evidence.js';
import type { ForgeryAssessment } from './forgery.js';
import { oddProbeFlags } from './probes.js';
import { type RstTimeline, flagText, formatSeconds, hasAck, peerOf } from './timeline.js';

/** A silence counts as idle when it lasts at least this long (seconds)… */
export const IDLE_MIN_SECONDS = 1;
/** …and is this many times longer than any earlier gap of the connection and its round trip. */
export const IDLE_FACTOR = 10;
/** Consecutive retransmissions of the same data that mean a sender was giving up. */
export const RETRANSMISSIONS_GIVING_UP = 3;
/** A tuple closed this recently is still held in TIME_WAIT by Linux (TCP_TIMEWAIT_LEN, 60 s). */
export const TIME_WAIT_SECONDS = 60;
/** Distinct ports a source probes before its probes count as a scan. */
export const SCAN_PORTS = 5;
/** An originator that resets this soon after the handshake without sending data is probing. */
const EMPTY_HANDSHAKE_SECONDS = 1;

/** The cause with the evidence behind it and how sure the rule is. */
export interface CauseFinding {
  cause: Cause;
  confidence: number;
  evidence: Evidence[];
}

/** Facts about a RST that the rows share. */
export interface CauseInput {
  conn: FinishedConnection;
  rst: RstRecord;
  stage: Stage;
  timeline: RstTimeline;
  forgery: ForgeryAssessment;
  ctx: ExplainContext;
}

/** The silence that ended with this RST or with the packet it answers, if it counts as idle. */
export function idleGapBefore(input: CauseInput): { gap: number; endedBy: PacketRecord | RstRecord } | null {
  const { conn, rst, timeline } = input;
  const seq = [...timeline.before, rst];
  let gap = 0;
  let endedBy: PacketRecord | RstRecord = rst;
  let earlierMax = 0;
  // Look at the last two gaps: the one before the RST and the one before its trigger.
  for (let i = 1; i < seq.length; i++) {
    const d = (seq[i] as PacketRecord).ts - (seq[i - 1] as PacketRecord).ts;
    if (i >= seq.length - 2) {
      if (d > gap) {
        if (gap > earlierMax) earlierMax = gap;
        gap = d;
        endedBy = seq[i] as PacketRecord;
      } else if (d > earlierMax) earlierMax = d;
    } else if (d > earlierMax) earlierMax = d;
  }
  if (conn.packetsNotKept > 0) earlierMax = Math.max(earlierMax, Math.min(rst.context.largestIdleGap, gap === rst.context.largestIdleGap ? 0 : rst.context.largestIdleGap));
  const rtt = conn.handshake.synToSynAck ?? 0;
  if (gap >= IDLE_MIN_SECONDS && gap >= IDLE_FACTOR * earlierMax && gap >= IDLE_FACTOR * rtt) return { gap, endedBy };
  return null;
}

function who(conn: FinishedConnection, d: 'orig' | 'resp'): string {
  return d === 'orig' ? `the client ${conn.origAddr}` : `the server ${conn.respAddr}`;
}

/** Decides the cause of one RST. */
export function causeOf(input: CauseInput): CauseFinding {
  const { conn, rst, stage, timeline, forgery, ctx } = input;
  const sender = rst.direction;
  const peer = peerOf(sender);
  const c = rst.context;
  const trigger = timeline.trigger;
  const ev: Evidence[] = [];
  const found = (cause: Cause, confidence: number): CauseFinding => ({ cause, confidence, evidence: ev });
  const idle = idleGapBefore(input);
  const idleEvidence = () => {
    if (idle) ev.push(evidence(EV_IDLE_GAP, `${formatSeconds(idle.gap)} of silence before frame ${idle.endedBy.frame}, after gaps of at most ${formatSeconds(Math.max(0, c.largestIdleGap === idle.gap ? 0 : c.largestIdleGap))}`));
  };

  // A RST that itself carries SYN: a probe with impossible flags (SYN+RST), not a reply.
  if ((rst.flags & TCP_SYN) !== 0) {
    ev.push(evidence(EV_SYN_FLAGS, `the packet carries ${flagText(rst.flags)}: SYN and RST together make no sense`));
    return found('malformed_syn', 0.9);
  }

  // A device in the path, not the endpoint, sent it.
  if (forgery.verdict === 'forged') {
    const answersSyn = sender === 'resp' && trigger !== null && (trigger.flags & TCP_SYN) !== 0 && !hasAck(trigger) && stage === 'handshake';
    if (answersSyn) {
      // A firewall's REJECT (netfilter nf_send_reset) answers the SYN in the server's name.
      ev.push(evidence(EV_REPLY_TO_SYN, `it answers the SYN (frame ${trigger.frame}) in the name of ${who(conn, 'resp')}`));
      return found('firewall_reject', 0.9);
    }
    if (idle) {
      // A stateful middlebox that forgot an idle flow rejects its next packet (conntrack expiry
      // followed by `--ctstate INVALID -j REJECT --reject-with tcp-reset`).
      idleEvidence();
      return found('idle_timeout', 0.8);
    }
    // A firewall's policy reject mid-connection (netfilter REJECT after a string or protocol
    // match) is one RST in nf_send_reset's shape, and the offending packet never reached the
    // real peer, so no race follows; an injector lets the packet through and races the reply.
    const raced = forgery.evidence.some((e) => e.code === EV_DATA_AFTER_RST || e.code === EV_RST_BURST || e.code === EV_BOTH_DIRECTIONS);
    const sameSide = conn.resets.filter((r) => r.direction === sender).length;
    if (forgery.shape === 'no_socket' && !raced && sameSide === 1) {
      ev.push(evidence(EV_POLICY_REJECT, `one RST in the shape netfilter's REJECT makes, and ${who(conn, sender)} never answered after it: a filter dropped the packet and refused the connection`));
      return found('firewall_reject', 0.75);
    }
    return found('middlebox_injected', Math.min(0.95, 0.6 + 0.1 * forgery.score));
  }

  // ---- Before the handshake completed ----
  if (stage === 'handshake') {
    if (sender === 'resp') {
      if (trigger !== null && c.handshake === 'syn' && (trigger.flags & TCP_SYN) !== 0 && !hasAck(trigger)) {
        const odd = oddProbeFlags(trigger.flags);
        ev.push(evidence(EV_REPLY_TO_SYN, `it answers the SYN (frame ${trigger.frame}) from ${who(conn, 'orig')}`));
        if (odd) {
          // A listener drops nonsensical SYNs silently (tcp_rcv_state_process, LISTEN); only a
          // port with no listener answers them, so the probe itself was refused.
          ev.push(evidence(EV_SYN_FLAGS, `the SYN carried ${odd}`));
          return found('malformed_syn', 0.85);
        }
        const openAt = ctx.openSince(conn.respAddr, conn.respPort);
        if (openAt !== null) {
          ev.push(evidence(EV_PORT_OPEN_ELSEWHERE, `${conn.respAddr}:${conn.respPort} accepted a connection ${formatSeconds(Math.abs(rst.ts - openAt))} ${openAt <= rst.ts ? 'earlier' : 'later'} in this capture: a listener exists, so a filter refused this one`));
          return found('firewall_reject', 0.6);
        }
        // RFC 9293 §3.10.7.1: a SYN to a port in state CLOSED draws RST|ACK (tcp_v4_send_reset).
        return found('port_closed', forgery.verdict === 'genuine' ? 0.9 : 0.6);
      }
      if (trigger !== null && c.handshake !== 'complete' && oddProbeFlags(trigger.flags) !== null) {
        ev.push(evidence(EV_SYN_FLAGS, `it answers a probe with ${oddProbeFlags(trigger.flags)} (frame ${trigger.frame})`));
        return found('malformed_syn', 0.8);
      }
      return found('unexplained', 0.3);
    }
    // The originator reset before the handshake completed.
    if (trigger !== null && hasAck(trigger) && (trigger.flags & TCP_SYN) === 0 && c.handshake === 'syn') {
      // Linux in TIME_WAIT answers an old-looking SYN with the old connection's ACK
      // (tcp_timewait_state_process → TCP_TW_ACK); the client's SYN_SENT socket finds the ACK
      // unacceptable and resets (tcp_rcv_synsent_state_process), then retries the SYN.
      ev.push(evidence(EV_ACK_TO_SYN, `the responder answered the SYN with a bare ACK (frame ${trigger.frame}, ack ${trigger.ack}) instead of a SYN-ACK: it still holds an older connection on this tuple`));
      const closedAt = ctx.lastClose.get(tupleKey(conn));
      if (closedAt !== undefined && rst.ts - closedAt <= TIME_WAIT_SECONDS * 4) {
        ev.push(evidence(EV_RECENT_CLOSE, `a connection on the same four-tuple ended ${formatSeconds(rst.ts - closedAt)} before`));
      } else if (conn.reusedTuple) {
        ev.push(evidence(EV_RECENT_CLOSE, 'the SYN reused the four-tuple of an earlier connection in this capture'));
      }
      return found('port_reuse', 0.85);
    }
    if (trigger !== null && (trigger.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
      const probes = ctx.probesOf(conn.origAddr);
      if (probes && probes.ports.size >= SCAN_PORTS) {
        ev.push(evidence(EV_MANY_PORTS, `${conn.origAddr} had already probed ${probes.ports.size} ports on ${probes.targets.size} host(s)`));
      }
      const synsSent = conn.packets.filter((p) => p.direction === 'orig' && (p.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && p.frame < trigger.frame);
      const synRetransmitted = new Set(synsSent.map((p) => p.ts)).size > 1 && conn.handshake.synTs !== null && trigger.ts - conn.handshake.synTs > 1;
      // A SYN-ACK that comes long after the first SYN, which was retransmitted: the client gave
      // up waiting (connect() timed out) and its kernel resets the late answer. Scanners that
      // probe many ports are still scanners.
      if (synRetransmitted && !(probes && probes.ports.size >= SCAN_PORTS)) {
        ev.push(evidence(EV_RETRANSMISSIONS, `the SYN-ACK came ${formatSeconds(trigger.ts - (conn.handshake.synTs ?? trigger.ts))} after the first SYN, which was retransmitted`));
        return found('handshake_abort', 0.6);
      }
      // A raw-socket scanner's SYN has no socket behind it: the scanner's kernel answers the
      // SYN-ACK with a bare RST whose seq is the SYN-ACK's ack (tcp_v4_send_reset).
      ev.push(evidence(EV_REPLY_TO_SYN, `the originator reset right after the SYN-ACK (frame ${trigger.frame}) instead of completing the handshake`));
      return found('scan_probe', probes && probes.ports.size >= SCAN_PORTS ? 0.9 : 0.7);
    }
    ev.push(evidence(EV_REPLY_TO_SYN, 'the originator gave up before the handshake completed'));
    return found('handshake_abort', 0.5);
  }

  // ---- After a FIN ----
  if (stage === 'teardown') {
    const finText = [c.fin.orig ? 'the client' : null, c.fin.resp ? 'the server' : null].filter(Boolean).join(' and ');
    ev.push(evidence(EV_FIN_BEFORE, `${finText} had sent a FIN before this RST`));
    if (c.fin[sender] && trigger !== null && trigger.payloadLen > 0) {
      // Linux, FIN_WAIT after close(): data that arrives for a socket whose receive side is shut
      // is answered by a reset (tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA).
      ev.push(evidence(EV_DATA_AFTER_FIN, `${who(conn, peer)} sent ${trigger.payloadLen} bytes (frame ${trigger.frame}) after ${who(conn, sender)} had closed`));
      return found('data_after_close', 0.85);
    }
    // Nothing new arrived to reset: the side ended the connection with a RST after the FIN
    // instead of waiting the close out (load balancers and proxies skip TIME_WAIT this way).
    return found('fast_close', c.fin.orig && c.fin.resp ? 0.85 : 0.7);
  }

  // ---- Handshake done: established, data, or a connection whose start was missed ----
  const senderSide = sender === 'orig' ? conn.orig : conn.resp;
  const senderRetx = c.consecutiveRetransmissions[sender];

  // Accept queue overflow with net.ipv4.tcp_abort_on_overflow=1: the listener cannot queue the
  // child, so tcp_check_req resets the handshake's final ACK (or the first data) at once,
  // with no socket: a bare RST whose seq is that packet's ack; nothing was ever delivered.
  if (
    sender === 'resp' &&
    c.handshake === 'complete' &&
    !c.payload.resp &&
    trigger !== null &&
    trigger.direction === 'orig' &&
    forgery.shape === 'no_socket' &&
    conn.handshake.ackTs !== null &&
    rst.ts - conn.handshake.ackTs <= EMPTY_HANDSHAKE_SECONDS
  ) {
    ev.push(evidence(EV_AFTER_HANDSHAKE, `${who(conn, 'resp')} reset ${formatSeconds(rst.ts - conn.handshake.ackTs)} after the handshake's final ACK, before sending anything`));
    return found('accept_queue_overflow', 0.85);
  }

  // A connect() scan: handshake completed, no data, the originator resets at once.
  if (sender === 'orig' && stage === 'established' && c.handshake === 'complete' && conn.handshake.ackTs !== null && rst.ts - conn.handshake.ackTs <= EMPTY_HANDSHAKE_SECONDS) {
    ev.push(evidence(EV_EMPTY_HANDSHAKE, `the client reset ${formatSeconds(rst.ts - conn.handshake.ackTs)} after completing the handshake, without sending data`));
    const probes = ctx.probesOf(conn.origAddr);
    if (probes && probes.ports.size >= SCAN_PORTS) ev.push(evidence(EV_MANY_PORTS, `${conn.origAddr} had already probed ${probes.ports.size} ports`));
    return found('scan_probe', probes && probes.ports.size >= SCAN_PORTS ? 0.9 : 0.65);
  }

  // A sender that was retransmitting the same data and then reset: it gave up (stacks such as
  // Windows' send a RST when TcpMaxDataRetransmissions runs out).
  if (senderRetx >= RETRANSMISSIONS_GIVING_UP && forgery.shape !== 'no_socket') {
    ev.push(evidence(EV_RETRANSMISSIONS, `${who(conn, sender)} had retransmitted the same data ${senderRetx} times just before`));
    return found('retransmission_timeout', 0.8);
  }

  // A reset from a side that no longer has the connection: Linux gives up silently after
  // tcp_retries2 (tcp_write_timeout), so the RST only comes when the peer's next packet finds
  // no socket; likewise after a reboot, a failover or a lost NAT mapping.
  if (forgery.shape === 'no_socket' && trigger !== null) {
    if (senderSide.retransmissions >= RETRANSMISSIONS_GIVING_UP) {
      ev.push(evidence(EV_RETRANSMISSIONS, `${who(conn, sender)} had retransmitted ${senderSide.retransmissions} times earlier and gave up; this RST answers ${who(conn, peer)}'s later packet (frame ${trigger.frame})`));
      idleEvidence();
      return found('stale_connection', 0.8);
    }
    if (idle) {
      idleEvidence();
      // A long silence, then the first packet finds no socket: the endpoint dropped the idle
      // connection without a word (an idle reaper that closed silently, a reboot).
      return found(idle.endedBy === trigger ? 'stale_connection' : 'idle_timeout', 0.65);
    }
    ev.push(evidence(EV_MIDSTREAM, `${who(conn, sender)} answered ${who(conn, peer)}'s packet (frame ${trigger.frame}) as if it knew no such connection`));
    return found('stale_connection', stage === 'midstream' ? 0.6 : 0.7);
  }

  // A long silence, then a reset by the endpoint itself (an application's idle reaper).
  if (idle && (idle.endedBy === rst || trigger === null || trigger.ts < rst.ts - idle.gap)) {
    idleEvidence();
    return found('idle_timeout', 0.75);
  }

  // An endpoint aborted a live connection: SO_LINGER 0, close() with unread data (tcp_close →
  // tcp_send_active_reset), or the process died with data queued.
  if (forgery.shape === 'socket' || (hasAck(rst) && (senderSide.pkts > 1 || stage !== 'midstream'))) {
    if (idle) idleEvidence();
    return found('application_abort', forgery.shape === 'socket' ? 0.8 : 0.55);
  }

  if (stage === 'midstream') ev.push(evidence(EV_MIDSTREAM, "the connection's start is not in the capture"));
  return found('unexplained', 0.3);
}


