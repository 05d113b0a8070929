/**
 * Who really sent a RST: the endpoint it claims to come from, or a device in the path.
 *
 * Each test below adds a weight when it finds a sign of a third party; the verdict is
 * `forged` at 3 or more, `suspect` at 2, `genuine` below. Strong signs (3) are ones no endpoint
 * stack produces: a TTL from another distance than the sender's own packets, the claimed sender
 * still talking after its RST, a burst of RSTs with jumped sequence numbers, an answer faster
 * than the path allows. Weaker signs (1–2) only add up. Following Weaver, Sommer and Paxson
 * ("Detecting Forged TCP Reset Packets", NDSS 2009), a miss is preferred to a false alarm:
 * nothing here fires on the resets Linux itself sends (tcp_v4_send_reset, tcp_send_active_reset).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { Evidence, Origin, Verdict } from '../model/report.js';
import { hopsOf, initialTtlOf } from '../net/ttl.js';
import type { FinishedConnection, PacketRecord, RstRecord, TtlBaseline } from '../track/finished.js';
import { seqAdd, seqDelta } from '../track/seq.js';
import type { ExplainContext } from './context.js';
import {
  EV_ACK_MISMATCH,
  EV_BOTH_DIRECTIONS,
  EV_CHALLENGE_ACK,
  EV_DATA_AFTER_RST,
  EV_IPID_MISMATCH,
  EV_NO_ACK_FLAG,
  EV_NO_SOCKET_RESET,
  EV_OPTIONS_PRESENT,
  EV_RST_BURST,
  EV_SEQ_EXACT,
  EV_SEQ_OUT_OF_WINDOW,
  EV_SOCKET_RESET,
  EV_TOO_FAST,
  EV_TTL_MISMATCH,
  EV_WINDOW_NONZERO,
  evidence,
} from './evidence.js';
import { type RstTimeline, flagText, formatSeconds, hasAck, peerOf, seqLength } from './timeline.js';

export const FORGED_AT = 3;
export const SUSPECT_AT = 2;
/** Weaver et al.: RSTs of one burst arrive within this many seconds. */
const BURST_WINDOW = 2;
/** Weaver et al.: a sequence jump of more than this between RSTs of one burst. */
const BURST_SEQ_JUMP = 2;
/** Packets from the RST's sender this long after it still count as "after its own RST". */
const AFTER_RST_WINDOW = 10;
/** Timing is trusted only when the measured round trip is at least this long (seconds). */
const MIN_RTT_FOR_TIMING = 0.002;
/** RSTs in both directions within this interval look like one device resetting both ends. */
const BOTH_DIRECTIONS_WINDOW = 0.05;
/** IP ID distance beyond which a RST does not continue its sender's per-socket counter. */
const IPID_JUMP = 2048;

/** The shape of a RST as the Linux stack would have made it. */
export type RstShape = 'no_socket' | 'socket' | 'other';

/** The result of the forgery tests for one RST. */
export interface ForgeryAssessment {
  verdict: Verdict;
  origin: Origin;
  score: number;
  evidence: Evidence[];
  shape: RstShape;
  /** The TTL test compared against a baseline (and what it found). */
  ttlCompared: boolean;
  ttlMismatch: boolean;
}

/** Describes a TTL with its inferred initial value and hop distance. */
function ttlText(ttl: number): string {
  return `TTL ${ttl} (initial ${initialTtlOf(ttl)}, ${hopsOf(ttl)} hop${hopsOf(ttl) === 1 ? '' : 's'} away)`;
}

/**
 * Classifies a RST against the two ways Linux sends one. Without a socket (tcp_v4_send_reset,
 * also netfilter's nf_send_reset): window 0, no options, IPv4 ID 0; if the trigger carried ACK
 * a bare RST with seq = the trigger's ack, else RST|ACK with seq 0 and ack = trigger seq + its
 * length (SYN and FIN count one). From a live socket (tcp_send_active_reset, SO_LINGER 0 or
 * close with unread data): RST|ACK with the socket's window, options and running IP ID.
 */
export function rstShapeOf(rst: RstRecord, trigger: PacketRecord | null): RstShape {
  const bare = (rst.flags & TCP_ACK) === 0;
  if (rst.win === 0 && rst.options === 0 && rst.ipId <= 0) {
    if (trigger === null) return 'no_socket';
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
  const samples: number[] = [];
  const hs = side === 'resp' ? conn.handshake.synToSynAck : conn.handshake.synAckToAck;
  if (hs !== null) samples.push(hs);
  const packets = conn.packets;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i] as PacketRecord;
    if (p.direction === side || p.payloadLen === 0 || (p.flags & TCP_RST) !== 0) continue;
    const end = seqAdd(p.seq, seqLength(p));
    for (let j = i + 1; j < packets.length; j++) {
      const q = packets[j] as PacketRecord;
      if (q.direction !== side || (q.flags & TCP_RST) !== 0) continue;
      if (hasAck(q) && seqDelta(q.ack, end) >= 0) {
        samples.push(q.ts - p.ts);
        break;
      }
    }
  }
  return samples.length >= 2 ? Math.min(...samples) : null;
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
  return p.seq === q.seq && p.ack === q.ack && p.flags === q.flags && p.ipId === q.ipId && p.payloadLen === q.payloadLen;
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

/** The TTL baseline of the RST's claimed sender: its own packets here, else the host elsewhere. */
function senderTtl(conn: FinishedConnection, rst: RstRecord, ctx: ExplainContext): { baseline: TtlBaseline | null; hostTtl: number | null; addr: string } {
  const side = rst.direction === 'orig' ? conn.orig : conn.resp;
  const addr = rst.direction === 'orig' ? conn.origAddr : conn.respAddr;
  if (side.ttl !== null) return { baseline: side.ttl, hostTtl: null, addr };
  const host = ctx.ttlOf(addr);
  return { baseline: null, hostTtl: host ? host.ttl : null, addr };
}

/** Weighs every sign of a third party for one RST of `conn`. */
export function assessForgery(conn: FinishedConnection, rst: RstRecord, timeline: RstTimeline, ctx: ExplainContext): ForgeryAssessment {
  const found: Evidence[] = [];
  let score = 0;
  const add = (weight: number, code: string, detail: string) => {
    score += weight;
    found.push(evidence(code, detail));
  };
  const sender = rst.direction;
  const peer = peerOf(sender);
  const senderName = sender === 'orig' ? `the client ${conn.origAddr}` : `the server ${conn.respAddr}`;
  const { trigger, after } = timeline;
  const shape = rstShapeOf(rst, trigger);

  // TTL: a stack uses one initial TTL; every router on the path takes one off. A RST from the
  // same host over the same path carries a TTL its other packets carried.
  let ttlCompared = false;
  let ttlMismatch = false;
  const { baseline, hostTtl, addr } = senderTtl(conn, rst, ctx);
  if (baseline !== null) {
    ttlCompared = true;
    const seen = baseline.values.some((v) => v.ttl === rst.ttl);
    const samples = distinctPacketsFrom(conn, sender);
    if (!seen && samples < 2) {
      // One packet is a thin baseline: scanners craft their SYNs with arbitrary TTLs (nmap
      // picks one at random), and the kernel's RST then carries the real default.
      add(1, EV_TTL_MISMATCH, `${ttlText(rst.ttl)}, but the only other packet of ${senderName} here had ${ttlText(baseline.mostCommon)}`);
    } else if (!seen) {
      const hopGap = Math.abs(hopsOf(rst.ttl) - baseline.hops);
      const initialDiffers = initialTtlOf(rst.ttl) !== baseline.initial;
      if (initialDiffers || hopGap >= 2) {
        ttlMismatch = true;
        add(3, EV_TTL_MISMATCH, `${ttlText(rst.ttl)}, but ${senderName}'s other packets here had ${ttlText(baseline.mostCommon)}`);
      } else if (hopGap === 1 || Math.abs(rst.ttl - baseline.mostCommon) >= 1) {
        ttlMismatch = true;
        add(2, EV_TTL_MISMATCH, `${ttlText(rst.ttl)}, one hop off ${senderName}'s other packets here (${ttlText(baseline.mostCommon)})`);
      }
    }
  } else if (hostTtl !== null && hostTtl !== rst.ttl) {
    ttlCompared = true;
    const initialDiffers = initialTtlOf(rst.ttl) !== initialTtlOf(hostTtl);
    const hopGap = Math.abs(hopsOf(rst.ttl) - hopsOf(hostTtl));
    if (initialDiffers || hopGap >= 2) {
      ttlMismatch = true;
      add(3, EV_TTL_MISMATCH, `${ttlText(rst.ttl)}, but ${addr}'s packets in other connections had ${ttlText(hostTtl)}`);
    }
  }

  // IPv4 ID: a live socket numbers its packets from a per-socket counter (inet_id); Linux's
  // socketless resets carry 0. A RST whose ID fits neither did not come from that stack.
  const side = sender === 'orig' ? conn.orig : conn.resp;
  if (rst.ipId > 0) {
    const prev = rst.context.senderPrevIpId;
    if (side.ipId === 'incrementing' && prev >= 0) {
      const delta = (rst.ipId - prev) & 0xffff;
      if (delta === 0 || delta > IPID_JUMP) add(2, EV_IPID_MISMATCH, `IP ID ${rst.ipId} does not continue ${senderName}'s counter (its previous packet had ${prev})`);
    } else if (side.ipId === 'zero') {
      add(2, EV_IPID_MISMATCH, `IP ID ${rst.ipId}, but every other packet of ${senderName} here had IP ID 0`);
    }
  }

  // The claimed sender goes on talking after its own RST: the real endpoint never saw it
  // (Weaver et al. §4: the race an out-of-path injector cannot win).
  const lateTalk = after.find((p) => p.direction === sender && (p.flags & (TCP_RST | TCP_SYN)) === 0 && p.ts - rst.ts <= AFTER_RST_WINDOW);
  if (lateTalk) {
    const heavy = lateTalk.payloadLen > 0 || (lateTalk.flags & TCP_FIN) !== 0;
    add(
      heavy ? 3 : 2,
      EV_DATA_AFTER_RST,
      `${senderName} sent ${lateTalk.payloadLen > 0 ? `${lateTalk.payloadLen} bytes of data` : flagText(lateTalk.flags)} (frame ${lateTalk.frame}) ${formatSeconds(lateTalk.ts - rst.ts)} after this RST: the real endpoint did not know of it`,
    );
  }

  // A burst of RSTs whose sequence numbers jump beyond anything the sender had sent: an
  // injector spraying the window (Weaver et al.: seq jump > 2 within 2 s).
  const sameSide = conn.resets.filter((r) => r.direction === sender && Math.abs(r.ts - rst.ts) <= BURST_WINDOW);
  if (sameSide.length >= 2) {
    const sentUpTo = rst.context.nextSeq[sender];
    const first = sameSide[0] as RstRecord;
    const jumped = sameSide.filter((r) => seqDelta(r.seq, first.seq) > BURST_SEQ_JUMP && (sentUpTo === null || seqDelta(r.seq, seqAdd(sentUpTo, BURST_SEQ_JUMP)) > 0));
    if (jumped.length > 0) {
      add(3, EV_RST_BURST, `${sameSide.length} RSTs from ${senderName} within ${formatSeconds(BURST_WINDOW)}, sequence numbers ${burstSeqText(sameSide)}: they jump past anything it had sent`);
    }
    const acks = new Set(sameSide.filter((r) => (r.flags & TCP_ACK) !== 0).map((r) => r.ack));
    if (acks.size >= 2 && conn.resets.every((r) => r.direction === sender || Math.abs(r.ts - rst.ts) > BURST_WINDOW)) {
      add(2, EV_ACK_MISMATCH, `RSTs of one burst acknowledge different numbers (${[...acks].join(', ')})`);
    }
  }

  // RSTs toward both ends at once: one device resetting the connection both ways.
  const otherWay = conn.resets.find((r) => r.direction === peer && Math.abs(r.ts - rst.ts) <= BOTH_DIRECTIONS_WINDOW);
  if (otherWay) add(2, EV_BOTH_DIRECTIONS, `another RST went the other way (frame ${otherWay.frame}) ${formatSeconds(Math.abs(otherWay.ts - rst.ts))} apart`);

  // Timing: a RST that answers the trigger (it acknowledges it) cannot reach the capture point
  // sooner than a round trip to its claimed sender.
  const rtt = roundTripTo(conn, sender);
  if (trigger !== null && rtt !== null && rtt >= MIN_RTT_FOR_TIMING) {
    const delay = rst.ts - trigger.ts;
    const knowsTrigger = (hasAck(rst) && seqLength(trigger) > 0 && seqDelta(rst.ack, seqAdd(trigger.seq, seqLength(trigger))) >= 0) || (!hasAck(rst) && hasAck(trigger) && rst.seq === trigger.ack);
    if (knowsTrigger && delay < rtt / 2) {
      add(3, EV_TOO_FAST, `it answers frame ${trigger.frame} after ${formatSeconds(delay)}, but a round trip to ${senderName} takes ${formatSeconds(rtt)} from here`);
    }
  }

  // Sequence number against what the receiver expects (RFC 5961 §3.2): exact resets are
  // accepted at once; out-of-window ones are ignored; in-window ones draw a challenge ACK.
  const receiverSynced = conn.handshake.stage === 'complete' || conn.handshake.stage === 'midstream';
  const expected = rst.context.nextSeq[sender];
  if (receiverSynced && expected !== null) {
    if (rst.seq === expected) {
      found.push(evidence(EV_SEQ_EXACT, `sequence number ${rst.seq} is exactly the next one ${senderName} would send`));
    } else {
      const window = rst.context.window[peer] ?? 65535;
      const ahead = seqDelta(rst.seq, expected);
      if (ahead < 0 || ahead >= Math.max(window, 1)) {
        add(1, EV_SEQ_OUT_OF_WINDOW, `sequence number ${rst.seq} is ${ahead} from the expected ${expected}, outside the receiver's window of ${window}`);
      }
      const challenge = after.find((p) => p.direction === peer && p.payloadLen === 0 && (p.flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && hasAck(p) && p.ts - rst.ts <= 1);
      if (challenge && ahead > 0) add(1, EV_CHALLENGE_ACK, `the receiver answered with an ACK (frame ${challenge.frame}) instead of closing: it did not accept this RST (RFC 5961 §3.2)`);
    }
  }

  // A bare RST the stack would not have made: not an answer to an ACK-bearing trigger.
  if (!hasAck(rst) && shape !== 'no_socket' && trigger !== null && hasAck(trigger) && rst.seq !== trigger.ack) {
    add(1, EV_NO_ACK_FLAG, `a RST without ACK whose sequence number ${rst.seq} is not the acknowledgement ${trigger.ack} it would answer`);
  }

  // Signs of the real stack (no weight against, only said).
  if (shape === 'no_socket') found.push(evidence(EV_NO_SOCKET_RESET, "the shape of a reset sent with no socket (Linux tcp_v4_send_reset or netfilter's REJECT): window 0, no options, sequence numbers taken from the packet it answers"));
  else if (shape === 'socket') found.push(evidence(EV_SOCKET_RESET, 'the shape of a reset from a live socket (tcp_send_active_reset): a real window and the connection\'s options'));
  if (rst.win !== 0) found.push(evidence(EV_WINDOW_NONZERO, `window ${rst.win}: a live socket's window`));
  if (rst.options !== 0) found.push(evidence(EV_OPTIONS_PRESENT, 'the RST carries TCP options, as a live socket does'));

  const verdict: Verdict = score >= FORGED_AT ? 'forged' : score >= SUSPECT_AT ? 'suspect' : 'genuine';
  const origin: Origin = verdict === 'forged' ? 'middlebox' : verdict === 'suspect' ? 'unknown' : sender;
  return { verdict, origin, score, evidence: found, shape, ttlCompared, ttlMismatch };
}

/** Sequence numbers listed in rst_burst evidence: beyond this, first, last and a few examples (issue 16: every reset of a 1M-RST burst listed them all). */
const BURST_SEQS_LISTED = 5;

/** The burst's sequence numbers, all of them when few, else a bounded summary (the detail stays O(1) per reset). */
export function burstSeqText(burst: readonly { seq: number }[]): string {
  if (burst.length <= BURST_SEQS_LISTED) return burst.map((r) => r.seq).join(', ');
  const examples = burst.slice(1, BURST_SEQS_LISTED - 1).map((r) => r.seq);
  return `first ${burst[0]?.seq}, last ${burst[burst.length - 1]?.seq}, e.g. ${examples.join(', ')}`;
}
