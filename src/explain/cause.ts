/**
 * Why a RST most likely came (DESIGN.md "cause"): CAUSE_RULES is an ordered table of rules
 * `{id, when, cause, confidence, why}` over the stage, who sent it, what it answered, its shape
 * and what the forgery tests found. Rows are tried in order and the first that matches decides;
 * its id is the reset's `rule`. Each row's `why` cites the RFC or kernel behaviour it rests on.
 * When no row fits, the answer is `unexplained` with the evidence that was seen, never a guess.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { Cause, Evidence, ResetRef, Stage } from '../model/report.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { seqDelta } from '../track/seq.js';
import { type ExplainContext, type SourceProbes, tupleKey } from './context.js';
import {
  EV_ACK_TO_SYN,
  EV_AFTER_HANDSHAKE,
  EV_AFTER_RESET,
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
  EV_RACES_SYNACK,
  EV_RECENT_CLOSE,
  EV_REPLY_TO_SYN,
  EV_RETRANSMISSIONS,
  EV_RST_BURST,
  EV_SYN_FLAGS,
  EV_UNSOLICITED_SYNACK,
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

/** The cause with the evidence behind it, how sure the rule is, and which rule decided. */
export interface CauseFinding {
  cause: Cause;
  confidence: number;
  evidence: Evidence[];
  rule: string;
}

/** An earlier reset this one may follow (set by explainConnection; null when there is none). */
export interface ParentReset {
  ref: ResetRef;
  /** The root reset's hint (its "who started it"). */
  hint: string | null;
}

/** Facts about a RST that the rows share. */
export interface CauseInput {
  conn: FinishedConnection;
  rst: RstRecord;
  stage: Stage;
  timeline: RstTimeline;
  forgery: ForgeryAssessment;
  ctx: ExplainContext;
  /** The root reset whose aftermath this RST may answer: the trigger arrived after it. */
  parent: ParentReset | null;
}

/** The silence that ended with this RST or with the packet it answers, if it counts as idle. */
export function idleGapBefore(input: CauseInput): { gap: number; endedBy: PacketRecord | RstRecord } | null {
  const { conn, rst, timeline } = input;
  // The packets before the RST, then the RST itself (read in place: no array, no closure per reset).
  const before = timeline.upTo;
  const count = timeline.beforeCount;
  const length = count + 1;
  let gap = 0;
  let endedBy: PacketRecord | RstRecord = rst;
  let earlierMax = 0;
  // Look at the last two gaps: the one before the RST and the one before its trigger.
  for (let i = 1; i < length; i++) {
    const at = i < count ? (before[i] as PacketRecord) : rst;
    const d = at.ts - (before[i - 1] as PacketRecord).ts;
    if (i >= length - 2) {
      if (d > gap) {
        if (gap > earlierMax) earlierMax = gap;
        gap = d;
        endedBy = at;
      } else if (d > earlierMax) earlierMax = d;
    } else if (d > earlierMax) earlierMax = d;
  }
  if (conn.packetsNotKept > 0) earlierMax = Math.max(earlierMax, Math.min(rst.context.largestIdleGap, gap === rst.context.largestIdleGap ? 0 : rst.context.largestIdleGap));
  // The three tests made for every RST (no short-circuit): the round-trip product, reached only
  // after a long silence, had seen only the small-integer 0 of a connection without handshake
  // when TurboFan compiled this, and a fractional round trip deoptimised it ("not a Smi").
  const rtt = conn.handshake.synToSynAck ?? 0;
  const longEnough = gap >= IDLE_MIN_SECONDS;
  const overEarlier = gap >= IDLE_FACTOR * earlierMax;
  const overRtt = gap >= IDLE_FACTOR * rtt;
  if (longEnough && overEarlier && overRtt) return { gap, endedBy };
  return null;
}

function who(conn: FinishedConnection, d: 'orig' | 'resp'): string {
  return d === 'orig' ? `the client ${conn.origAddr}` : `the server ${conn.respAddr}`;
}

/** What every rule may read: the input, and facts derived from it once. */
export interface CauseFacts extends CauseInput {
  sender: 'orig' | 'resp';
  peer: 'orig' | 'resp';
  trigger: PacketRecord | null;
  /** The silence before the RST, if it counts as idle (idleGapBefore). */
  readonly idle: { gap: number; endedBy: PacketRecord | RstRecord } | null;
}

/**
 * One row of the cause table: when `when` finds its pattern it returns the evidence it rests on
 * (possibly none), and the row's cause wins; otherwise it returns null and the next row is tried.
 */
export interface CauseRule {
  id: string;
  cause: Cause;
  /** How sure the row is; calibrated on the lab's captures (README "Confidence"). */
  confidence: number | ((f: CauseFacts) => number);
  /** The RFC section, kernel function or study the row rests on. */
  why: string;
  /**
   * What the row cannot match without, checked before `when` is called (most resets are genuine
   * and follow no earlier one: they skip these rows): `forged`, a forged verdict; `parent`, an
   * earlier reset this one may follow.
   */
  needs?: 'forged' | 'parent';
  when(f: CauseFacts): Evidence[] | null;
}

/** The idle-gap evidence for a rule that found a silence. */
function idleEvidence(f: CauseFacts): Evidence[] {
  const { idle } = f;
  if (idle === null) return [];
  const c = f.rst.context;
  return [evidence(EV_IDLE_GAP, `${formatSeconds(idle.gap)} of silence before frame ${idle.endedBy.frame}, after gaps of at most ${formatSeconds(Math.max(0, c.largestIdleGap === idle.gap ? 0 : c.largestIdleGap))}`)];
}

/** The last client named by answersSyn, and its detail's tail (") from the client 10.0.0.1"). */
let synClient = '';
let synTail = '';

/**
 * The `reply_to_syn` evidence of a RST answering the client's SYN. A flood or a scan refuses
 * many SYNs of one client in a row: the tail that names it is built once for the run of them.
 */
function answersSyn(syn: PacketRecord, conn: FinishedConnection): Evidence {
  if (conn.origAddr !== synClient || synTail === '') {
    synClient = conn.origAddr;
    synTail = `) from ${who(conn, 'orig')}`;
  }
  return evidence(EV_REPLY_TO_SYN, `it answers the SYN (frame ${syn.frame}${synTail}`);
}

/** True when the trigger is a plain SYN (no ACK). */
function triggerIsSyn(f: CauseFacts): boolean {
  return f.trigger !== null && (f.trigger.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
}

/** True for a RST explained before the handshake completed, after a FIN, or otherwise. */
const handshake = (f: CauseFacts): boolean => f.stage === 'handshake';
const teardown = (f: CauseFacts): boolean => f.stage === 'teardown';
const forged = (f: CauseFacts): boolean => f.forgery.verdict === 'forged';

/** The FIN evidence every teardown rule carries. */
function finBefore(f: CauseFacts): Evidence {
  const c = f.rst.context;
  const finText = c.fin.orig ? (c.fin.resp ? 'the client and the server' : 'the client') : c.fin.resp ? 'the server' : '';
  return evidence(EV_FIN_BEFORE, `${finText} had sent a FIN before this RST`);
}

/** A packet of the peer with payload sent after the RST's sender had closed (its first FIN), or null. */
function dataAfterSenderFin(f: CauseFacts): PacketRecord | null {
  let finTs: number | null = null;
  let data: PacketRecord | null = null;
  const { upTo, beforeCount } = f.timeline;
  for (let i = 0; i < beforeCount; i++) {
    const p = upTo[i] as PacketRecord;
    if (p.direction === f.sender && (p.flags & TCP_FIN) !== 0 && finTs === null) finTs = p.ts;
    else if (finTs !== null && p.direction === f.peer && p.payloadLen > 0 && (p.flags & TCP_RST) === 0) data = p;
  }
  return data;
}

/** True when the client's SYNs before `p` were sent at two or more distinct times (a retransmitted SYN). */
function synRetransmittedBefore(conn: FinishedConnection, p: PacketRecord): boolean {
  let firstTs: number | null = null;
  for (const q of conn.packets) {
    if (q.direction !== 'orig' || (q.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN || q.frame >= p.frame) continue;
    if (firstTs === null) firstTs = q.ts;
    else if (q.ts !== firstTs) return true;
  }
  return false;
}

/** The probes a source had sent so far, when they count as a scan. */
function scanOf(f: CauseFacts): SourceProbes | null {
  const probes = f.ctx.probesOf(f.conn.origAddr);
  return probes && probes.ports.size >= SCAN_PORTS ? probes : null;
}

/** The ordered table: the first row whose `when` matches decides the cause. */
export const CAUSE_RULES: readonly CauseRule[] = [
  {
    id: 'syn_with_rst',
    cause: 'malformed_syn',
    confidence: 0.9,
    why: 'a RST that itself carries SYN is a probe with impossible flags, not a reply',
    when: (f) => ((f.rst.flags & TCP_SYN) !== 0 ? [evidence(EV_SYN_FLAGS, `the packet carries ${flagText(f.rst.flags)}: SYN and RST together make no sense`)] : null),
  },
  {
    id: 'after_reset',
    cause: 'after_reset',
    confidence: 0.9,
    why: 'the socket was gone after the earlier reset (tcp_reset / tcp_done); its kernel answers every later segment of the peer without a socket (tcp_v4_rcv → no_tcp_socket → tcp_v4_send_reset)',
    needs: 'parent',
    when: (f) => {
      const p = f.parent;
      if (p === null || forged(f) || f.forgery.shape === 'socket' || f.trigger === null) return null;
      return [evidence(EV_AFTER_RESET, `it answers frame ${f.trigger.frame} from ${who(f.conn, f.peer)}, which arrived after reset ${p.ref.id} (frame ${p.ref.frame}${p.ref.capture !== f.conn.capture ? `, capture ${p.ref.capture}` : ''}): the socket was already gone`)];
    },
  },
  // ---- A device in the path, not the endpoint, sent it ----
  {
    id: 'forged_answers_syn',
    cause: 'firewall_reject',
    confidence: 0.9,
    why: "a firewall's REJECT (netfilter nf_send_reset) answers the SYN in the server's name and drops it; when the server's real SYN-ACK follows (races_synack) the SYN got through and the RST was injected beside it",
    needs: 'forged',
    when: (f) =>
      forged(f) && f.sender === 'resp' && handshake(f) && triggerIsSyn(f) && f.trigger !== null && !f.forgery.evidence.some((e) => e.code === EV_RACES_SYNACK)
        ? [evidence(EV_REPLY_TO_SYN, `it answers the SYN (frame ${f.trigger.frame}) in the name of ${who(f.conn, 'resp')}`)]
        : null,
  },
  {
    id: 'forged_after_idle',
    cause: 'idle_timeout',
    confidence: 0.8,
    why: 'a stateful middlebox that forgot an idle flow rejects its next packet (conntrack expiry, then --ctstate INVALID -j REJECT --reject-with tcp-reset)',
    needs: 'forged',
    when: (f) => (forged(f) && f.idle !== null ? idleEvidence(f) : null),
  },
  {
    id: 'forged_policy_reject',
    cause: 'firewall_reject',
    confidence: 0.75,
    why: "a firewall's policy reject mid-connection is one RST in nf_send_reset's shape; the offending packet never reached the peer, so no race follows (an injector lets it through and races the reply)",
    needs: 'forged',
    when: (f) => {
      if (!forged(f) || f.forgery.shape !== 'no_socket') return null;
      const raced = f.forgery.evidence.some((e) => e.code === EV_DATA_AFTER_RST || e.code === EV_RST_BURST || e.code === EV_BOTH_DIRECTIONS);
      const sameSide = f.conn.resets.filter((r) => r.direction === f.sender).length;
      if (raced || sameSide !== 1) return null;
      return [
        evidence(EV_POLICY_REJECT, `one RST in the shape netfilter's REJECT makes, and ${who(f.conn, f.sender)} never answered after it: a filter dropped the packet and refused the connection`),
      ];
    },
  },
  {
    id: 'forged_injection',
    cause: 'middlebox_injected',
    confidence: (f) => Math.min(0.95, 0.6 + 0.1 * f.forgery.score),
    why: 'Weaver, Sommer and Paxson (NDSS 2009): a RST whose TTL, timing, sequence or race the claimed sender cannot explain was injected',
    needs: 'forged',
    when: (f) => (forged(f) ? [] : null),
  },
  // ---- Before the handshake completed, from the responder ----
  {
    id: 'odd_syn_refused',
    cause: 'malformed_syn',
    confidence: 0.85,
    why: 'a listener drops nonsensical SYNs silently (tcp_rcv_state_process, LISTEN); only a port with no listener answers them',
    when: (f) => {
      if (!handshake(f) || f.sender !== 'resp' || !triggerIsSyn(f) || f.rst.context.handshake !== 'syn' || f.trigger === null) return null;
      const odd = oddProbeFlags(f.trigger.flags);
      return odd ? [answersSyn(f.trigger, f.conn), evidence(EV_SYN_FLAGS, `the SYN carried ${odd}`)] : null;
    },
  },
  {
    id: 'syn_refused_port_open_elsewhere',
    cause: 'firewall_reject',
    confidence: 0.6,
    why: 'the same server port accepted other connections: a listener exists, so a filter on the host refused this one',
    when: (f) => {
      if (!handshake(f) || f.sender !== 'resp' || !triggerIsSyn(f) || f.rst.context.handshake !== 'syn' || f.trigger === null) return null;
      const openAt = f.ctx.openSince(f.conn.respAddr, f.conn.respPort);
      if (openAt === null) return null;
      return [
        answersSyn(f.trigger, f.conn),
        evidence(
          EV_PORT_OPEN_ELSEWHERE,
          `${f.conn.respAddr}:${f.conn.respPort} accepted a connection ${formatSeconds(Math.abs(f.rst.ts - openAt))} ${openAt <= f.rst.ts ? 'earlier' : 'later'} in this capture: a listener exists, so a filter refused this one`,
        ),
      ];
    },
  },
  {
    id: 'syn_refused',
    cause: 'port_closed',
    confidence: (f) => (f.forgery.verdict === 'genuine' ? 0.9 : 0.6),
    why: 'RFC 9293 §3.10.7.1: a SYN to a port in state CLOSED draws RST|ACK (tcp_v4_send_reset)',
    when: (f) =>
      handshake(f) && f.sender === 'resp' && triggerIsSyn(f) && f.rst.context.handshake === 'syn' && f.trigger !== null
        ? [answersSyn(f.trigger, f.conn)]
        : null,
  },
  {
    id: 'odd_probe_refused',
    cause: 'malformed_syn',
    confidence: 0.8,
    why: 'a NULL, Xmas or lone-FIN probe to a closed port draws RST (RFC 9293 §3.10.7.1); open ports drop it',
    when: (f) => {
      if (!handshake(f) || f.sender !== 'resp' || f.trigger === null || f.rst.context.handshake === 'complete') return null;
      const odd = oddProbeFlags(f.trigger.flags);
      return odd ? [evidence(EV_SYN_FLAGS, `it answers a probe with ${odd} (frame ${f.trigger.frame})`)] : null;
    },
  },
  {
    id: 'handshake_responder_other',
    cause: 'unexplained',
    confidence: 0.3,
    why: 'the responder reset during the handshake, but not in answer to a SYN or a probe',
    when: (f) => (handshake(f) && f.sender === 'resp' ? [] : null),
  },
  // ---- Before the handshake completed, from the originator ----
  {
    id: 'time_wait_ack',
    cause: 'port_reuse',
    confidence: 0.85,
    why: "Linux in TIME_WAIT answers an old-looking SYN with the old connection's ACK (tcp_timewait_state_process → TCP_TW_ACK); the client's SYN_SENT socket finds it unacceptable and resets (tcp_rcv_synsent_state_process)",
    when: (f) => {
      const t = f.trigger;
      if (!handshake(f) || t === null || !hasAck(t) || (t.flags & TCP_SYN) !== 0 || f.rst.context.handshake !== 'syn') return null;
      const ev = [evidence(EV_ACK_TO_SYN, `the responder answered the SYN with a bare ACK (frame ${t.frame}, ack ${t.ack}) instead of a SYN-ACK: it still holds an older connection on this tuple`)];
      const closedAt = f.ctx.lastClose.get(tupleKey(f.conn));
      if (closedAt !== undefined && f.rst.ts - closedAt <= TIME_WAIT_SECONDS * 4) ev.push(evidence(EV_RECENT_CLOSE, `a connection on the same four-tuple ended ${formatSeconds(f.rst.ts - closedAt)} before`));
      else if (f.conn.reusedTuple) ev.push(evidence(EV_RECENT_CLOSE, 'the SYN reused the four-tuple of an earlier connection in this capture'));
      return ev;
    },
  },
  {
    id: 'unsolicited_synack',
    cause: 'backscatter',
    confidence: 0.8,
    why: "RFC 9293 §3.10.7.1/§3.10.7.2: a SYN-ACK for no connection, or one reaching a listener, draws <SEQ=SEG.ACK><CTL=RST> (tcp_v4_rcv no_tcp_socket / tcp_rcv_state_process TCP_LISTEN → tcp_v4_send_reset); with no SYN from this host in the capture it asked for nothing: backscatter of a SYN flood that spoofed its address (Moore, Voelker and Savage, USENIX Security 2001), or a SYN-ACK probe",
    when: (f) => {
      const t = f.trigger;
      if (!handshake(f) || f.sender !== 'orig' || t === null || t.direction !== 'resp' || (t.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) return null;
      // Only a bare RST whose seq is the SYN-ACK's ack is the kernel's answer to it; and only a
      // connection whose every packet was kept can show that no SYN was sent.
      if (hasAck(f.rst) || f.rst.seq !== t.ack || f.conn.packetsNotKept > 0 || f.conn.handshake.synTs !== null) return null;
      if (f.conn.packets.some((p) => p.direction === 'orig' && (p.flags & TCP_SYN) !== 0)) return null;
      return [evidence(EV_UNSOLICITED_SYNACK, `it answers the SYN-ACK (frame ${t.frame}, ack ${t.ack}) from ${who(f.conn, 'resp')}, and the capture holds no SYN from ${f.conn.origAddr} on this four-tuple`)];
    },
  },
  {
    id: 'late_synack_after_connect_timeout',
    cause: 'handshake_abort',
    confidence: 0.6,
    why: 'a SYN-ACK that comes long after a retransmitted SYN: connect() timed out and the kernel resets the late answer; scanners that probe many ports are still scanners',
    when: (f) => {
      const t = f.trigger;
      if (!handshake(f) || t === null || (t.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK) || scanOf(f) !== null) return null;
      const { conn } = f;
      const synTs = conn.handshake.synTs;
      if (synTs === null || t.ts - synTs <= 1 || !synRetransmittedBefore(conn, t)) return null;
      return [evidence(EV_RETRANSMISSIONS, `the SYN-ACK came ${formatSeconds(t.ts - synTs)} after the first SYN, which was retransmitted`)];
    },
  },
  {
    id: 'synack_reset_by_prober',
    cause: 'scan_probe',
    confidence: (f) => (scanOf(f) !== null ? 0.9 : 0.7),
    why: "a raw-socket scanner's SYN has no socket behind it: the scanner's kernel answers the SYN-ACK with a bare RST whose seq is the SYN-ACK's ack (tcp_v4_send_reset)",
    when: (f) => {
      const t = f.trigger;
      if (!handshake(f) || t === null || (t.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) return null;
      const probes = scanOf(f);
      const ev = probes ? [evidence(EV_MANY_PORTS, `${f.conn.origAddr} had already probed ${probes.ports.size} ports on ${probes.targets.size} host(s)`)] : [];
      ev.push(evidence(EV_REPLY_TO_SYN, `the originator reset right after the SYN-ACK (frame ${t.frame}) instead of completing the handshake`));
      return ev;
    },
  },
  {
    id: 'handshake_given_up',
    cause: 'handshake_abort',
    confidence: 0.5,
    why: 'the originator reset before the handshake completed for no reason the packets show',
    when: (f) => (handshake(f) ? [evidence(EV_REPLY_TO_SYN, 'the originator gave up before the handshake completed')] : null),
  },
  // ---- After a FIN ----
  {
    id: 'data_after_fin',
    cause: 'data_after_close',
    confidence: 0.85,
    why: 'Linux, FIN_WAIT after close(): data that arrives for a socket whose receive side is shut is answered by a reset (tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA), whether the RST answers the data or the FIN after it',
    when: (f) => {
      if (!teardown(f) || !f.rst.context.fin[f.sender]) return null;
      const data = dataAfterSenderFin(f);
      if (data === null) return null;
      return [finBefore(f), evidence(EV_DATA_AFTER_FIN, `${who(f.conn, f.peer)} sent ${data.payloadLen} bytes (frame ${data.frame}) after ${who(f.conn, f.sender)} had closed`)];
    },
  },
  {
    id: 'teardown_no_socket',
    cause: 'stale_connection',
    confidence: 0.6,
    why: "a socketless reset from a side that never closed, answering the peer's FIN or data: the sender no longer had the connection (tcp_v4_send_reset)",
    when: (f) => (teardown(f) && !f.rst.context.fin[f.sender] && f.forgery.shape === 'no_socket' ? [finBefore(f)] : null),
  },
  {
    id: 'rst_instead_of_close_wait',
    cause: 'fast_close',
    confidence: (f) => (f.rst.context.fin.orig && f.rst.context.fin.resp ? 0.85 : 0.7),
    why: 'a side that had closed (FIN_WAIT) or whose peer had closed and been acknowledged (CLOSE_WAIT) ends with a RST instead of waiting the close out (tcp_disconnect → tcp_send_active_reset; load balancers and proxies skip TIME_WAIT so)',
    when: (f) => {
      if (!teardown(f)) return null;
      const c = f.rst.context;
      const acked = c.acked[f.peer];
      // The peer's FIN counts only when this RST acknowledges nothing new but that FIN (one
      // sequence number): a RST|ACK that is first to acknowledge the peer's data was sent by a
      // close() with that data unread (tcp_close → tcp_send_active_reset).
      const fresh = acked === null || !hasAck(f.rst) ? 0 : seqDelta(f.rst.ack, acked);
      return c.fin[f.sender] || (c.fin[f.peer] && fresh <= 1) ? [finBefore(f)] : null;
    },
  },
  {
    id: 'teardown_abort_unread',
    cause: 'application_abort',
    confidence: 0.75,
    why: 'close() with unread data sends a RST instead of a FIN (tcp_close → tcp_send_active_reset, RFC 2525 §2.17); its ACK is the first to cover what the peer sent',
    when: (f) => (teardown(f) ? [finBefore(f)] : null),
  },
  // ---- Handshake done: established, data, or a connection whose start was missed ----
  {
    id: 'accept_queue_full',
    cause: 'accept_queue_overflow',
    confidence: 0.85,
    why: 'with net.ipv4.tcp_abort_on_overflow=1 the listener cannot queue the child, so tcp_check_req resets the final ACK (or the first data) at once, with no socket',
    when: (f) => {
      const { conn, rst } = f;
      const c = rst.context;
      if (f.sender !== 'resp' || c.handshake !== 'complete' || c.payload.resp || f.trigger === null || f.trigger.direction !== 'orig') return null;
      if (f.forgery.shape !== 'no_socket' || conn.handshake.ackTs === null || rst.ts - conn.handshake.ackTs > EMPTY_HANDSHAKE_SECONDS) return null;
      return [evidence(EV_AFTER_HANDSHAKE, `${who(conn, 'resp')} reset ${formatSeconds(rst.ts - conn.handshake.ackTs)} after the handshake's final ACK, before sending anything`)];
    },
  },
  {
    id: 'connect_scan',
    cause: 'scan_probe',
    confidence: (f) => (scanOf(f) !== null ? 0.9 : 0.65),
    why: 'a connect() scan: the handshake completes, no data, the originator resets at once (nmap -sT closes with SO_LINGER 0)',
    when: (f) => {
      const { conn, rst } = f;
      if (f.sender !== 'orig' || f.stage !== 'established' || rst.context.handshake !== 'complete' || conn.handshake.ackTs === null) return null;
      if (rst.ts - conn.handshake.ackTs > EMPTY_HANDSHAKE_SECONDS) return null;
      const ev = [evidence(EV_EMPTY_HANDSHAKE, `the client reset ${formatSeconds(rst.ts - conn.handshake.ackTs)} after completing the handshake, without sending data`)];
      const probes = scanOf(f);
      if (probes) ev.push(evidence(EV_MANY_PORTS, `${conn.origAddr} had already probed ${probes.ports.size} ports`));
      return ev;
    },
  },
  {
    id: 'gave_up_retransmitting',
    cause: 'retransmission_timeout',
    confidence: 0.8,
    why: "a sender that retransmitted the same data and then reset gave up (Windows' TcpMaxDataRetransmissions)",
    when: (f) => {
      const n = f.rst.context.consecutiveRetransmissions[f.sender];
      if (n < RETRANSMISSIONS_GIVING_UP || f.forgery.shape === 'no_socket') return null;
      return [evidence(EV_RETRANSMISSIONS, `${who(f.conn, f.sender)} had retransmitted the same data ${n} times just before`)];
    },
  },
  {
    id: 'no_socket_after_giving_up',
    cause: 'stale_connection',
    confidence: 0.8,
    why: "Linux gives up silently after tcp_retries2 (tcp_write_timeout): the RST only comes when the peer's next packet finds no socket",
    when: (f) => {
      const side = f.sender === 'orig' ? f.conn.orig : f.conn.resp;
      if (f.forgery.shape !== 'no_socket' || f.trigger === null || side.retransmissions < RETRANSMISSIONS_GIVING_UP) return null;
      return [
        evidence(EV_RETRANSMISSIONS, `${who(f.conn, f.sender)} had retransmitted ${side.retransmissions} times earlier and gave up; this RST answers ${who(f.conn, f.peer)}'s later packet (frame ${f.trigger.frame})`),
        ...idleEvidence(f),
      ];
    },
  },
  {
    id: 'no_socket_after_silence',
    cause: 'stale_connection',
    confidence: 0.65,
    why: 'a long silence, then the first packet finds no socket: the endpoint dropped the idle connection without a word (an idle reaper that closed silently, a reboot)',
    when: (f) => (f.forgery.shape === 'no_socket' && f.trigger !== null && f.idle !== null && f.idle.endedBy === f.trigger ? idleEvidence(f) : null),
  },
  {
    id: 'no_socket_idle_reset',
    cause: 'idle_timeout',
    confidence: 0.65,
    why: 'a long silence ended by the RST itself, in the no-socket shape: the endpoint timed the connection out',
    when: (f) => (f.forgery.shape === 'no_socket' && f.trigger !== null && f.idle !== null ? idleEvidence(f) : null),
  },
  {
    id: 'no_socket',
    cause: 'stale_connection',
    confidence: (f) => (f.stage === 'midstream' ? 0.6 : 0.7),
    why: 'a RST in tcp_v4_send_reset shape answering a packet: the sender no longer knew the connection (a reboot, a failover, a lost NAT mapping)',
    when: (f) =>
      f.forgery.shape === 'no_socket' && f.trigger !== null
        ? [evidence(EV_MIDSTREAM, `${who(f.conn, f.sender)} answered ${who(f.conn, f.peer)}'s packet (frame ${f.trigger.frame}) as if it knew no such connection`)]
        : null,
  },
  {
    id: 'idle_then_abort',
    cause: 'idle_timeout',
    confidence: 0.75,
    why: "a long silence, then a reset by the endpoint itself (an application's idle reaper)",
    when: (f) => {
      const { idle, trigger, rst } = f;
      if (idle === null || !(idle.endedBy === rst || trigger === null || trigger.ts < rst.ts - idle.gap)) return null;
      return idleEvidence(f);
    },
  },
  {
    id: 'live_socket_abort',
    cause: 'application_abort',
    confidence: (f) => (f.forgery.shape === 'socket' ? 0.8 : 0.55),
    why: 'an endpoint aborted a live connection: SO_LINGER 0, close() with unread data (tcp_close → tcp_send_active_reset), or the process died with data queued',
    when: (f) => {
      const side = f.sender === 'orig' ? f.conn.orig : f.conn.resp;
      if (!(f.forgery.shape === 'socket' || (hasAck(f.rst) && (side.pkts > 1 || f.stage !== 'midstream')))) return null;
      return idleEvidence(f);
    },
  },
  {
    id: 'nothing_fits',
    cause: 'unexplained',
    confidence: 0.3,
    why: 'no row fits: the evidence says what was seen, never a forced guess',
    when: (f) => (f.stage === 'midstream' ? [evidence(EV_MIDSTREAM, "the connection's start is not in the capture")] : []),
  },
];

/** Decides the cause of one RST: the first row of CAUSE_RULES that matches. */
export function causeOf(input: CauseInput): CauseFinding {
  return causeOfReset(input.conn, input.rst, input.stage, input.timeline, input.forgery, input.ctx, input.parent);
}

/**
 * causeOf's facts: one object, rewritten for each RST. The rows only read it while causeOf runs
 * (none keeps it), so a flood's million resets need no facts object each. The idle gap is
 * found when a row first asks: a refused SYN is decided before any row does.
 */
class ResetFacts implements CauseFacts {
  conn = null as unknown as FinishedConnection;
  rst = null as unknown as RstRecord;
  stage: Stage = 'midstream';
  timeline = null as unknown as RstTimeline;
  forgery = null as unknown as ForgeryAssessment;
  ctx = null as unknown as ExplainContext;
  parent: ParentReset | null = null;
  sender: 'orig' | 'resp' = 'orig';
  peer: 'orig' | 'resp' = 'resp';
  trigger: PacketRecord | null = null;
  /** `idle` was found for this RST (else idleValue is stale). */
  idleKnown = false;
  idleValue: { gap: number; endedBy: PacketRecord | RstRecord } | null = null;

  get idle(): { gap: number; endedBy: PacketRecord | RstRecord } | null {
    if (!this.idleKnown) {
      this.idleValue = idleGapBefore(this);
      this.idleKnown = true;
    }
    return this.idleValue;
  }
}

const FACTS = new ResetFacts();

/** causeOf with the input as arguments (explainReset's call: no input object per RST). */
export function causeOfReset(
  conn: FinishedConnection,
  rst: RstRecord,
  stage: Stage,
  timeline: RstTimeline,
  forgery: ForgeryAssessment,
  ctx: ExplainContext,
  parent: ParentReset | null,
): CauseFinding {
  const facts = FACTS;
  facts.conn = conn;
  facts.rst = rst;
  facts.stage = stage;
  facts.timeline = timeline;
  facts.forgery = forgery;
  facts.ctx = ctx;
  facts.parent = parent;
  facts.sender = rst.direction;
  facts.peer = peerOf(rst.direction);
  facts.trigger = timeline.trigger;
  facts.idleKnown = false;
  facts.idleValue = null;
  const forgedVerdict = forgery.verdict === 'forged';
  for (const rule of CAUSE_RULES) {
    if (rule.needs !== undefined && !(rule.needs === 'forged' ? forgedVerdict : parent !== null)) continue;
    const ev = rule.when(facts);
    if (ev === null) continue;
    const confidence = typeof rule.confidence === 'number' ? rule.confidence : rule.confidence(facts);
    return { cause: rule.cause, confidence, evidence: ev, rule: rule.id };
  }
  // The last row always matches; this line only satisfies the type checker.
  return { cause: 'unexplained', confidence: 0.3, evidence: [], rule: 'nothing_fits' };
}
