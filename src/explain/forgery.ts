/**
 * Who really sent a RST: the endpoint it claims to come from, or a device in the path.
 *
 * FORGERY_SIGNALS is a table of signals `{code, weight, test}`, read like a state table: each
 * test looks at one RST and either finds nothing or a sign of a third party, with a detail that
 * names the numbers. The verdict adds the weights: `forged` at 3 or more, `suspect` at 2,
 * `genuine` below. Strong signs (3) are ones no endpoint stack produces: a hop distance its own
 * packets never had, the claimed sender still talking after its RST, a burst of RSTs with jumped
 * sequence numbers, an answer faster than the path allows, a RST that beat the real SYN-ACK.
 * Weaker signs (1–2) only add up. Following Weaver, Sommer and Paxson ("Detecting Forged TCP
 * Reset Packets", NDSS 2009), a miss is preferred to a false alarm: nothing here fires on the
 * resets Linux itself sends (tcp_v4_send_reset, tcp_send_active_reset). Signals of weight 0 only
 * say what was seen (the shape of the stack that made the RST).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { Evidence, Origin, Verdict } from '../model/report.js';
import { hopsOf, initialTtlOf } from '../net/ttl.js';
import type { FinishedConnection, RstRecord } from '../track/finished.js';
import { seqAdd, seqDelta } from '../track/seq.js';
import { checksumEvidence } from './checksumEvidence.js';
import { type ExplainContext, type HopRange, TWINS_NEEDED, forwardingCounts, isForwardedTwin } from './context.js';
import {
  EV_ACK_MISMATCH,
  EV_ACK_UNACCEPTABLE,
  EV_BAD_CHECKSUM,
  EV_BOTH_DIRECTIONS,
  EV_CHALLENGE_ACK,
  EV_DATA_AFTER_RST,
  EV_IPID_COPIED,
  EV_IPID_MISMATCH,
  EV_MADE_AT_POINT,
  EV_NO_ACK_FLAG,
  EV_NO_SOCKET_RESET,
  EV_OPTIONS_PRESENT,
  EV_RACES_SYNACK,
  EV_RESERVED_BITS,
  EV_RST_BURST,
  EV_SEQ_EXACT,
  EV_SEQ_OUT_OF_WINDOW,
  EV_SOCKET_RESET,
  EV_TOO_FAST,
  EV_TTL_MISMATCH,
  EV_WINDOW_NONZERO,
  evidence,
} from './evidence.js';
import { IPID_COUNTER_STEP, type RstShape, distinctPacketsFrom, ipIdCounterBefore, roundTripTo, rstShapeOf } from './senderPackets.js';
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
/** Packets of the sender, at one hop distance, before a one-hop difference counts as strong evidence. */
export const HOP_SAMPLES = 3;
/** The reserved bits of TCP header byte 12 no extension has taken (the fourth, 0x01, is NS/AE). */
export const RESERVED_UNASSIGNED = 0x0e;
/** A real SYN-ACK this soon after a RST in the server's name shows the RST raced it (seconds). */
const RACE_WINDOW = 2;


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

/** What every signal may read about one RST. */
export interface SignalFacts {
  conn: FinishedConnection;
  rst: RstRecord;
  timeline: RstTimeline;
  ctx: ExplainContext;
  sender: 'orig' | 'resp';
  peer: 'orig' | 'resp';
  shape: RstShape;
  /**
   * Where the claimed sender's own packets came from, as hop distances; from this connection
   * (`hopsHere`) its `packets` are not yet cut to distinct segments (hopPackets does).
   */
  hops: HopRange | null;
  /** `hops` comes from this connection (else from the host's other connections). */
  hopsHere: boolean;
  /** The RST's burst (burstOf), once a signal asked for it. */
  burst: readonly RstRecord[] | null;
}

/** A signal that found something: the detail, and a weight when it differs from the table's. */
export interface SignalHit {
  detail: string;
  weight?: number;
  /** A hit whose detail never varies carries its evidence entry, shared by every RST that shows it. */
  entry?: Evidence;
}

/**
 * A hit whose text never varies (the shape of the stack that made the RST): one entry, frozen and
 * shared, instead of a hit and an entry per RST (a flood of a million refused SYNs shows one).
 */
function fixedHit(code: string, detail: string): SignalHit {
  return { detail, entry: Object.freeze(evidence(code, detail)) };
}

const NO_SOCKET_HIT = fixedHit(
  EV_NO_SOCKET_RESET,
  "the shape of a reset sent with no socket (Linux tcp_v4_send_reset or netfilter's REJECT): window 0, no options, sequence numbers taken from the packet it answers",
);
const SOCKET_HIT = fixedHit(EV_SOCKET_RESET, "the shape of a reset from a live socket (tcp_send_active_reset): a real window and the connection's options");
const OPTIONS_HIT = fixedHit(EV_OPTIONS_PRESENT, 'the RST carries TCP options, as a live socket does');

/** One row of the forgery table. */
export interface ForgerySignal {
  code: string;
  /** Added to the score when the test finds the sign (0: only said, never counted against). */
  weight: number;
  /**
   * What the test cannot fire without (NEED_* bits, 0: nothing), checked before it is called: a
   * test whose needs are not all among the RST's facts (factsOf) would return null, so it is not
   * called (a flood's refused SYN calls 3 of the 21 tests instead of 16). Each bit repeats the
   * test's own first check, which stays in the test.
   */
  needs: number;
  test(f: SignalFacts): SignalHit | null;
}

/** A kept packet after the RST. */
export const NEED_LATER_PACKET = 1 << 0;
/** Another RST in the connection. */
export const NEED_OTHER_RESET = 1 << 1;
/** The claimed sender's hop range (senderHops not null). */
export const NEED_HOPS = 1 << 2;
/** The RST carries ACK. */
export const NEED_ACK = 1 << 3;
/** The RST carries no ACK. */
export const NEED_NO_ACK = 1 << 4;
/** The RST has a trigger (the packet it answers). */
export const NEED_TRIGGER = 1 << 5;
/** The connection's handshake stage is complete or midstream (synchronisedNext may be a number). */
export const NEED_SYNCHRONISED = 1 << 6;
/** A nonzero IPv4 ID on the RST. */
export const NEED_IPID = 1 << 7;
/** Unassigned reserved bits set (RESERVED_UNASSIGNED). */
export const NEED_RESERVED = 1 << 8;
/** A wrong checksum the capture point did not make (checksumEvidence's first check). */
export const NEED_BAD_CHECKSUM = 1 << 9;
/** The shapes of rstShapeOf. */
export const NEED_NO_SOCKET_SHAPE = 1 << 10;
export const NEED_SOCKET_SHAPE = 1 << 11;
/** A nonzero window on the RST. */
export const NEED_WINDOW = 1 << 12;
/** TCP options on the RST. */
export const NEED_OPTIONS = 1 << 13;
/**
 * The sender may be forwarded here: none of its packets seen once, and either two seen in pairs
 * or some host known as forwarded (the made-at-point test's `forwarded`).
 */
export const NEED_MAY_BE_FORWARDED = 1 << 14;

/** The NEED_* bits the facts of one RST hold (`hops`: senderHops, `shape`: rstShapeOf). */
export function factsOf(conn: FinishedConnection, rst: RstRecord, timeline: RstTimeline, ctx: ExplainContext, hops: HopRange | null, shape: RstShape): number {
  let have = 0;
  if (timeline.after.length > 0) have |= NEED_LATER_PACKET;
  if (conn.resets.length > 1) have |= NEED_OTHER_RESET;
  if (hops !== null) have |= NEED_HOPS;
  have |= hasAck(rst) ? NEED_ACK : NEED_NO_ACK;
  if (timeline.trigger !== null) have |= NEED_TRIGGER;
  const stage = conn.handshake.stage;
  if (stage === 'complete' || stage === 'midstream') have |= NEED_SYNCHRONISED;
  if (rst.ipId > 0) have |= NEED_IPID;
  if ((rst.reserved & RESERVED_UNASSIGNED) !== 0) have |= NEED_RESERVED;
  if (rst.badChecksum !== 0 && !rst.sentByCapturePoint) have |= NEED_BAD_CHECKSUM;
  if (shape === 'no_socket') have |= NEED_NO_SOCKET_SHAPE;
  else if (shape === 'socket') have |= NEED_SOCKET_SHAPE;
  if (rst.win !== 0) have |= NEED_WINDOW;
  if (rst.options !== 0) have |= NEED_OPTIONS;
  const fromOrig = rst.direction === 'orig';
  const singles = fromOrig ? conn.origSingles : conn.respSingles;
  const pairs = fromOrig ? conn.origPairs : conn.respPairs;
  if (singles === 0 && (pairs >= TWINS_NEEDED || ctx.forwardedHere.size > 0)) have |= NEED_MAY_BE_FORWARDED;
  return have;
}

/** Describes a TTL with its inferred initial value and hop distance. */
function ttlText(ttl: number): string {
  return `TTL ${ttl} (initial ${initialTtlOf(ttl)}, ${hopsOf(ttl)} hop${hopsOf(ttl) === 1 ? '' : 's'} away)`;
}

/** "2 hops" or "1-2 hops" for a range. */
function rangeText(r: HopRange): string {
  return `${r.min === r.max ? r.min : `${r.min}-${r.max}`} hop${r.max === 1 && r.min === 1 ? '' : 's'}`;
}

/**
 * The claimed sender's hop distances: from its own packets in this connection, else from the
 * host's other connections. From this connection, `packets` is the count of the sender's packets
 * before the distinct-segment cut (hopPackets makes it): only a TTL signal that fires reads it.
 */
function senderHops(conn: FinishedConnection, rst: RstRecord, ctx: ExplainContext): HopRange | null {
  const side = rst.direction === 'orig' ? conn.orig : conn.resp;
  if (side.ttl !== null) {
    // Written into one scratch range, not a fresh object and array per RST: nothing keeps it
    // past assessForgery (the TTL signal's detail is text by then).
    const range = HOPS_HERE;
    range.min = 255;
    range.max = 0;
    range.initials.length = 0;
    range.packets = 0;
    const values = side.ttl.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as { ttl: number; count: number };
      const initial = initialTtlOf(v.ttl);
      const h = initial - v.ttl;
      if (h < range.min) range.min = h;
      if (h > range.max) range.max = h;
      if (!range.initials.includes(initial)) range.initials.push(initial);
      range.packets += v.count;
    }
    if (side.ttl.otherCount > 0) range.min = 0; // more than four TTLs: the spread is wide, trust only the initial TTL
    return range;
  }
  return ctx.hopsOf(rst.direction === 'orig' ? conn.origAddr : conn.respAddr);
}

/** senderHops' range from the connection's own packets: one, rewritten for each RST. */
const HOPS_HERE: HopRange = { min: 255, max: 0, initials: [0, 0, 0, 0], packets: 0 };

/** Packets behind the sender's hop range: from this connection, distinct segments, not packets (a router's `any` capture shows each one twice). */
function hopPackets(f: SignalFacts, hops: HopRange): number {
  return f.hopsHere ? Math.min(hops.packets, distinctPacketsFrom(f.conn, f.sender)) : hops.packets;
}

/** "the client 10.0.0.1" or "the server 10.0.0.2": the RST's claimed sender, for a detail (built only when a signal fires). */
function senderNameOf(f: SignalFacts): string {
  return f.sender === 'orig' ? `the client ${f.conn.origAddr}` : `the server ${f.conn.respAddr}`;
}

/** RSTs of the same sender within the burst window, this one included (found once per RST: two signals ask). */
function burstOf(f: SignalFacts): readonly RstRecord[] {
  if (f.burst === null) f.burst = f.conn.resets.length === 1 ? f.conn.resets : f.conn.resets.filter((r) => r.direction === f.sender && Math.abs(r.ts - f.rst.ts) <= BURST_WINDOW);
  return f.burst;
}

/** The TTL signal: the RST's hop distance against the range the sender's own packets taught. */
function hopDistanceSignal(f: SignalFacts): SignalHit | null {
  const { rst, hops, hopsHere } = f;
  if (hops === null) return null;
  const initial = initialTtlOf(rst.ttl);
  const h = initial - rst.ttl;
  if (!hops.initials.includes(initial)) {
    // Another initial TTL: another stack. One packet is a thin baseline: scanners craft their
    // SYNs with arbitrary TTLs (nmap picks one at random), and the kernel's RST carries the default.
    const packets = hopPackets(f, hops);
    return { weight: packets < 2 && hopsHere ? 1 : 3, detail: `${ttlText(rst.ttl)}, but ${hopsWhere(f)} came from initial TTL ${hops.initials.join('/')} at ${hopsLearned(hops, packets)}` };
  }
  if (h >= hops.min && h <= hops.max) return null;
  const gap = h < hops.min ? hops.min - h : h - hops.max;
  // A consistent hop distance, learned with its spread (ECMP, several paths, a load-balanced
  // address answered by several machines all widen it), and a RST outside it: a device nearer
  // or farther than the sender made it. One hop is enough when the range rests on several packets.
  // A range learned from fewer packets here is thin: scanners craft their probes' TTLs.
  const packets = hopPackets(f, hops);
  const strong = packets >= HOP_SAMPLES || (gap >= 2 && !hopsHere);
  return {
    weight: strong ? 3 : 1,
    detail: `hop distance ${h} (${ttlText(rst.ttl)}), but ${hopsWhere(f)} were ${hopsLearned(hops, packets)} away: ${gap} hop${gap === 1 ? '' : 's'} ${h < hops.min ? 'nearer' : 'farther'}`,
  };
}

/** Where the sender's hop range was learned, for the TTL signal's detail. */
function hopsWhere(f: SignalFacts): string {
  return f.hopsHere ? `${senderNameOf(f)}'s other packets here` : `${senderNameOf(f)}'s packets in other connections`;
}

/** The learned range with its initial TTLs and packet count, for the TTL signal's detail. */
function hopsLearned(hops: HopRange, packets: number): string {
  return `${rangeText(hops)} (initial ${hops.initials.join('/')}, ${packets} packet${packets === 1 ? '' : 's'})`;
}

/** The table: every sign of a third party, and the signs of the real stack (weight 0). */
export const FORGERY_SIGNALS: readonly ForgerySignal[] = [
  // TTL: a stack uses one initial TTL; every router on the path takes one off. A RST from the
  // same host over the same path comes from the same hop distance as its other packets.
  { code: EV_TTL_MISMATCH, weight: 3, needs: NEED_HOPS, test: hopDistanceSignal },
  {
    // A router's `tcpdump -i any` shows every forwarded packet twice (in, then out one TTL lower);
    // a RST seen once, in the name of a host whose packets are all seen twice, left from here:
    // the capturing box made it (ip_forward → ip_decrease_ttl; nf_send_reset → ip_local_out).
    code: EV_MADE_AT_POINT,
    weight: 3,
    needs: NEED_MAY_BE_FORWARDED,
    test: (f) => {
      const { conn, rst, sender } = f;
      const { pairs, singles } = forwardingCounts(conn, sender);
      const addr = sender === 'orig' ? conn.origAddr : conn.respAddr;
      // This connection decides when it shows enough; with none of the sender's packets (a SYN
      // refused in its name) the host's other connections do.
      const forwarded = singles > 0 ? false : pairs >= TWINS_NEEDED ? true : (f.ctx.forwardedHere.get(addr) ?? false);
      if (!forwarded) return null;
      const twin = conn.resets.some((r) => r !== rst && (isForwardedTwin(r, rst) || isForwardedTwin(rst, r)));
      if (twin) return null;
      return { detail: `every packet of ${senderNameOf(f)} was seen here twice (arriving, then forwarded one TTL lower); this RST only once, leaving: the capturing box made it` };
    },
  },
  {
    // IPv4 ID: a live socket numbers its packets from a per-socket counter (inet_id). A RST from
    // that socket continues it; only a counter proven by the sender's own packets is compared, and
    // never a socketless reset (ID 0 since Linux 4.17, hashed per destination before).
    code: EV_IPID_MISMATCH,
    weight: 2,
    needs: NEED_IPID,
    test: (f) => {
      const { rst, conn, shape } = f;
      if (rst.ipId <= 0 || shape === 'no_socket') return null;
      const prev = ipIdCounterBefore(conn, rst);
      if (prev === null) return null;
      const delta = (rst.ipId - prev) & 0xffff;
      if (delta !== 0 && delta <= IPID_JUMP) return null;
      return { detail: `IP ID ${rst.ipId} does not continue ${senderNameOf(f)}'s counter (its packets counted up in steps of at most ${IPID_COUNTER_STEP}, the last one ${prev})` };
    },
  },
  {
    // An injector that builds its RST from the packet it answers may copy the IP header's ID;
    // a stack numbers its own packets (inet_id, or 0 without a socket).
    code: EV_IPID_COPIED,
    weight: 2,
    needs: NEED_TRIGGER | NEED_IPID,
    test: (f) => {
      const t = f.timeline.trigger;
      // Not when the sender's own last packet carried that ID too (a constant ID, crafted traffic):
      // then it is the sender's number, not a copy.
      if (t === null || f.rst.ipId <= 0 || t.ipId !== f.rst.ipId || f.rst.context.senderPrevIpId === f.rst.ipId) return null;
      return { detail: `IP ID ${f.rst.ipId} is the ID of the packet it answers (frame ${t.frame}), copied from it` };
    },
  },
  {
    // RFC 9293 §3.1: the reserved header bits must be zero in generated segments. Stacks build
    // a RST's header from zero (Linux: tcp_v4_send_reset memsets it; tcp_transmit_skb writes
    // only the data offset and the flags), so set bits come from a tool that crafts headers (an
    // injector, a scanner, a fuzzer) or a box that rewrote the segment. Bit 0 of the nibble is
    // left out: it was NS (RFC 3540) and is AccECN's AE flag (draft-ietf-tcpm-accurate-ecn).
    // Weight 2: alone it makes the RST suspect, not forged (a corrupting link whose checksum the
    // capture did not check sets bits too); with any other sign it is forged.
    code: EV_RESERVED_BITS,
    weight: 2,
    needs: NEED_RESERVED,
    test: (f) => {
      const bits = f.rst.reserved & RESERVED_UNASSIGNED;
      if (bits === 0) return null;
      return { detail: `reserved TCP header bits 0x${bits.toString(16).padStart(2, '0')} are set (header byte 12 low nibble 0x${f.rst.reserved.toString(16)}): RFC 9293 §3.1 says a sender sets them to zero, and no stack's RST carries them` };
    },
  },
  {
    // RFC 1122 §4.2.2.7 / RFC 9293 §3.1: a receiver MUST verify the checksum and drops a segment
    // whose checksum is wrong, so such a RST reset nothing: corruption on the path, or an injector
    // that never computed it. Only known under -C (verified for RSTs only, checksumGate.ts
    // verifyRstChecksum; without -C the packet is not tracked at all) and only where the capture
    // point is not the sender (SLL outgoing, or the offload value: a NIC fills it in later).
    // Weight 1: corruption happens on real paths, so alone it is not even suspect.
    code: EV_BAD_CHECKSUM,
    weight: 1,
    needs: NEED_BAD_CHECKSUM,
    test: (f) => {
      const e = checksumEvidence(f.rst);
      return e === null ? null : { detail: e.detail };
    },
  },
  {
    // The claimed sender goes on talking after its own RST: the real endpoint never saw it
    // (Weaver et al. §4: the race an out-of-path injector cannot win).
    code: EV_DATA_AFTER_RST,
    weight: 2,
    needs: NEED_LATER_PACKET,
    test: (f) => {
      const { rst, sender } = f;
      const late = f.timeline.after.find((p) => p.direction === sender && (p.flags & (TCP_RST | TCP_SYN)) === 0 && p.ts - rst.ts <= AFTER_RST_WINDOW);
      if (!late) return null;
      const heavy = late.payloadLen > 0 || (late.flags & TCP_FIN) !== 0;
      return {
        weight: heavy ? 3 : 2,
        detail: `${senderNameOf(f)} sent ${late.payloadLen > 0 ? `${late.payloadLen} bytes of data` : flagText(late.flags)} (frame ${late.frame}) ${formatSeconds(late.ts - rst.ts)} after this RST: the real endpoint did not know of it`,
      };
    },
  },
  {
    // A RST in the server's name answering the SYN, and then the server's real SYN-ACK for that
    // same SYN: the server never refused it; something nearer raced it.
    code: EV_RACES_SYNACK,
    weight: 3,
    needs: NEED_LATER_PACKET | NEED_TRIGGER,
    test: (f) => {
      const { rst, timeline } = f;
      const t = timeline.trigger;
      if (f.sender !== 'resp' || t === null || (t.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return null;
      const synAck = timeline.after.find(
        (p) => p.direction === 'resp' && (p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && p.ack === seqAdd(t.seq, 1) && p.ts - rst.ts <= RACE_WINDOW,
      );
      if (!synAck) return null;
      return { detail: `the server's real SYN-ACK for the same SYN arrived ${formatSeconds(synAck.ts - rst.ts)} after this RST (frame ${synAck.frame})` };
    },
  },
  {
    // A burst of RSTs whose sequence numbers jump beyond anything the sender had sent: an
    // injector spraying the window (Weaver et al.: seq jump > 2 within 2 s).
    code: EV_RST_BURST,
    weight: 3,
    needs: NEED_OTHER_RESET,
    test: (f) => {
      const burst = burstOf(f);
      if (burst.length < 2) return null;
      const sentUpTo = f.rst.context.nextSeq[f.sender];
      const first = burst[0] as RstRecord;
      const jumped = burst.some((r) => seqDelta(r.seq, first.seq) > BURST_SEQ_JUMP && (sentUpTo === null || seqDelta(r.seq, seqAdd(sentUpTo, BURST_SEQ_JUMP)) > 0));
      if (!jumped) return null;
      return { detail: `${burst.length} RSTs from ${senderNameOf(f)} within ${formatSeconds(BURST_WINDOW)}, sequence numbers ${burstSeqText(burst)}: they jump past anything it had sent` };
    },
  },
  {
    // RSTs of one burst that acknowledge different numbers: a stack's RST|ACK carries rcv_nxt.
    code: EV_ACK_MISMATCH,
    weight: 2,
    needs: NEED_OTHER_RESET,
    test: (f) => {
      const burst = burstOf(f);
      if (burst.length < 2) return null;
      // Two different acknowledgements decide; the set of them is built only for the detail.
      let firstAck = -1;
      let differ = false;
      for (let i = 0; i < burst.length && !differ; i++) {
        const r = burst[i] as RstRecord;
        if ((r.flags & TCP_ACK) === 0) continue;
        if (firstAck < 0) firstAck = r.ack;
        else differ = r.ack !== firstAck;
      }
      if (!differ) return null;
      const alone = f.conn.resets.every((r) => r.direction === f.sender || Math.abs(r.ts - f.rst.ts) > BURST_WINDOW);
      if (!alone) return null;
      const acks = new Set(burst.filter((r) => (r.flags & TCP_ACK) !== 0).map((r) => r.ack));
      return { detail: `RSTs of one burst acknowledge different numbers (${[...acks].join(', ')})` };
    },
  },
  {
    // An ACK number a real stack never sends: answering a SYN, RST|ACK acknowledges ISN+1
    // (tcp_v4_send_reset: ack = seq + syn + fin + len; RFC 9293 §3.10.7.1); later, it never
    // acknowledges bytes the peer has not sent (RFC 9293 §3.10.7.3: such an ACK is unacceptable).
    code: EV_ACK_UNACCEPTABLE,
    weight: 2,
    needs: NEED_ACK,
    test: (f) => {
      const { rst, timeline, peer } = f;
      if (!hasAck(rst)) return null;
      const t = timeline.trigger;
      if (t !== null && (t.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && f.sender === 'resp' && rst.context.handshake === 'syn') {
        const want = seqAdd(t.seq, seqLength(t));
        if (rst.ack === want) return null;
        return { weight: 3, detail: `it acknowledges ${rst.ack} in answer to the SYN (frame ${t.frame}, seq ${t.seq}): a stack acknowledges ${want} (ISN+1)` };
      }
      const sent = rst.context.nextSeq[peer];
      if (sent === null || (rst.context.handshake !== 'complete' && rst.context.handshake !== 'midstream')) return null;
      const beyond = seqDelta(rst.ack, sent);
      if (beyond <= 0) return null;
      return { detail: `it acknowledges ${rst.ack}, ${beyond} bytes beyond anything its peer had sent (${sent})` };
    },
  },
  {
    // RSTs toward both ends at once: one device resetting the connection both ways.
    code: EV_BOTH_DIRECTIONS,
    weight: 2,
    needs: NEED_OTHER_RESET,
    test: (f) => {
      const other = f.conn.resets.find((r) => r.direction === f.peer && Math.abs(r.ts - f.rst.ts) <= BOTH_DIRECTIONS_WINDOW);
      return other ? { detail: `another RST went the other way (frame ${other.frame}) ${formatSeconds(Math.abs(other.ts - f.rst.ts))} apart` } : null;
    },
  },
  {
    // Timing: a RST that answers the trigger (it acknowledges it) cannot reach the capture point
    // sooner than a round trip to its claimed sender.
    code: EV_TOO_FAST,
    weight: 3,
    needs: NEED_TRIGGER,
    test: (f) => {
      const { rst, conn } = f;
      const t = f.timeline.trigger;
      if (t === null) return null;
      const knowsTrigger = (hasAck(rst) && seqLength(t) > 0 && seqDelta(rst.ack, seqAdd(t.seq, seqLength(t))) >= 0) || (!hasAck(rst) && hasAck(t) && rst.seq === t.ack);
      if (!knowsTrigger) return null;
      // The round trip (a walk over the kept packets) only for a RST that answers its trigger.
      const rtt = roundTripTo(conn, f.sender);
      if (rtt === null || rtt < MIN_RTT_FOR_TIMING) return null;
      const delay = rst.ts - t.ts;
      if (delay >= rtt / 2) return null;
      return { detail: `it answers frame ${t.frame} after ${formatSeconds(delay)}, but a round trip to ${senderNameOf(f)} takes ${formatSeconds(rtt)} from here` };
    },
  },
  {
    // Sequence number against what the receiver expects (RFC 5961 §3.2): out-of-window RSTs are
    // ignored by a real receiver, so a stack never sends one on purpose.
    code: EV_SEQ_OUT_OF_WINDOW,
    weight: 1,
    needs: NEED_SYNCHRONISED,
    test: (f) => {
      const expected = synchronisedNext(f);
      if (expected === null || f.rst.seq === expected) return null;
      const window = f.rst.context.window[f.peer] ?? 65535;
      const ahead = seqDelta(f.rst.seq, expected);
      if (ahead >= 0 && ahead < Math.max(window, 1)) return null;
      return { detail: `sequence number ${f.rst.seq} is ${ahead} from the expected ${expected}, outside the receiver's window of ${window}` };
    },
  },
  {
    // RFC 5961 §3.2 / tcp_validate_incoming → tcp_send_challenge_ack: an in-window RST that is
    // not exact draws an ACK instead of closing; the receiver did not accept it.
    code: EV_CHALLENGE_ACK,
    weight: 1,
    needs: NEED_LATER_PACKET | NEED_SYNCHRONISED,
    test: (f) => {
      const expected = synchronisedNext(f);
      if (expected === null || seqDelta(f.rst.seq, expected) <= 0) return null;
      const challenge = f.timeline.after.find((p) => p.direction === f.peer && p.payloadLen === 0 && (p.flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && hasAck(p) && p.ts - f.rst.ts <= 1);
      return challenge ? { detail: `the receiver answered with an ACK (frame ${challenge.frame}) instead of closing: it did not accept this RST (RFC 5961 §3.2)` } : null;
    },
  },
  {
    // A bare RST the stack would not have made: not an answer to an ACK-bearing trigger.
    code: EV_NO_ACK_FLAG,
    weight: 1,
    needs: NEED_NO_ACK | NEED_TRIGGER,
    test: (f) => {
      const t = f.timeline.trigger;
      if (hasAck(f.rst) || f.shape === 'no_socket' || t === null || !hasAck(t) || f.rst.seq === t.ack) return null;
      return { detail: `a RST without ACK whose sequence number ${f.rst.seq} is not the acknowledgement ${t.ack} it would answer` };
    },
  },
  // Signs of the real stack: said, never counted.
  {
    code: EV_SEQ_EXACT,
    weight: 0,
    needs: NEED_SYNCHRONISED,
    test: (f) => (synchronisedNext(f) === f.rst.seq ? { detail: `sequence number ${f.rst.seq} is exactly the next one ${senderNameOf(f)} would send` } : null),
  },
  { code: EV_NO_SOCKET_RESET, weight: 0, needs: NEED_NO_SOCKET_SHAPE, test: (f) => (f.shape === 'no_socket' ? NO_SOCKET_HIT : null) },
  { code: EV_SOCKET_RESET, weight: 0, needs: NEED_SOCKET_SHAPE, test: (f) => (f.shape === 'socket' ? SOCKET_HIT : null) },
  { code: EV_WINDOW_NONZERO, weight: 0, needs: NEED_WINDOW, test: (f) => (f.rst.win !== 0 ? { detail: `window ${f.rst.win}: a live socket's window` } : null) },
  { code: EV_OPTIONS_PRESENT, weight: 0, needs: NEED_OPTIONS, test: (f) => (f.rst.options !== 0 ? OPTIONS_HIT : null) },
];

/** The sequence number the receiver expects from the sender once both are synchronised, or null. */
function synchronisedNext(f: SignalFacts): number | null {
  const stage = f.conn.handshake.stage;
  if (stage !== 'complete' && stage !== 'midstream') return null;
  return f.rst.context.nextSeq[f.sender];
}

/**
 * assessForgery's facts: one object, rewritten for each RST. The signals only read it while
 * assessForgery runs (none keeps it), so a flood's million resets need no facts object each.
 */
const SIGNAL_FACTS: SignalFacts = {
  conn: null as unknown as FinishedConnection,
  rst: null as unknown as RstRecord,
  timeline: null as unknown as RstTimeline,
  ctx: null as unknown as ExplainContext,
  sender: 'orig',
  peer: 'resp',
  shape: 'other',
  hops: null,
  hopsHere: false,
  burst: null,
};

/** assessForgery's hits as it finds them (one slot per signal; emptied after each RST). */
const FOUND: (Evidence | null)[] = [];

/** Weighs every sign of a third party for one RST of `conn` (FORGERY_SIGNALS, in order). */
export function assessForgery(conn: FinishedConnection, rst: RstRecord, timeline: RstTimeline, ctx: ExplainContext): ForgeryAssessment {
  const sender = rst.direction;
  const hops = senderHops(conn, rst, ctx);
  const facts = SIGNAL_FACTS;
  facts.conn = conn;
  facts.rst = rst;
  facts.timeline = timeline;
  facts.ctx = ctx;
  facts.sender = sender;
  facts.peer = peerOf(sender);
  facts.shape = rstShapeOf(rst, timeline.trigger);
  facts.hops = hops;
  facts.hopsHere = (sender === 'orig' ? conn.orig : conn.resp).ttl !== null;
  facts.burst = null;
  // Hits go to a scratch list and are copied out at their exact count: a fresh array pushed onto
  // reserved room for 17 (152 bytes per RST, most of which find one or two signs).
  let hits = 0;
  let score = 0;
  let ttlMismatch = false;
  const have = factsOf(conn, rst, timeline, ctx, hops, facts.shape);
  for (let i = 0; i < FORGERY_SIGNALS.length; i++) {
    const signal = FORGERY_SIGNALS[i] as ForgerySignal;
    if ((signal.needs & ~have) !== 0) continue;
    const hit = signal.test(facts);
    if (hit === null) continue;
    const weight = hit.weight ?? signal.weight;
    score += weight;
    FOUND[hits++] = hit.entry ?? evidence(signal.code, hit.detail);
    if (signal.code === EV_TTL_MISMATCH && weight >= SUSPECT_AT) ttlMismatch = true;
  }
  const verdict: Verdict = score >= FORGED_AT ? 'forged' : score >= SUSPECT_AT ? 'suspect' : 'genuine';
  const origin: Origin = verdict === 'forged' ? 'middlebox' : verdict === 'suspect' ? 'unknown' : sender;
  const found = FOUND.slice(0, hits) as Evidence[];
  for (let i = 0; i < hits; i++) FOUND[i] = null;
  facts.burst = null;
  return { verdict, origin, score, evidence: found, shape: facts.shape, ttlCompared: hops !== null, ttlMismatch };
}

/** Sequence numbers listed in rst_burst evidence: beyond this, first, last and a few examples (issue 16: every reset of a 1M-RST burst listed them all). */
export const BURST_SEQS_LISTED = 5;

/** The burst's sequence numbers, all of them when few, else a bounded summary (the detail stays O(1) per reset). */
export function burstSeqText(burst: readonly { seq: number }[]): string {
  if (burst.length <= BURST_SEQS_LISTED) return burst.map((r) => r.seq).join(', ');
  const examples = burst.slice(1, BURST_SEQS_LISTED - 1).map((r) => r.seq);
  return `first ${burst[0]?.seq}, last ${burst[burst.length - 1]?.seq}, e.g. ${examples.join(', ')}`;
}
