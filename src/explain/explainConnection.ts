import { TCP_RST } from '../decode/packet.js';
import type { Connection, Evidence, MptcpReason, Reset, ResetRef } from '../model/report.js';
import { tcpCommunityId } from '../net/communityId.js';
import { hopsOf } from '../net/ttl.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';
import { type ParentReset, causeOfReset } from './cause.js';
import { connectionRecordOf } from './connectionRecord.js';
import { type ExplainContext, isForwardedTwin } from './context.js';
import { EV_CAPTURE_DUPLICATE, EV_MPTCP_REASON, EV_REASON_TEXT, evidence } from './evidence.js';
import { assessForgery } from './forgery.js';
import { type HintFacts, hintFor } from './hints.js';
/**
 * Explains every RST of one finished connection: stage, cause, verdict, origin, confidence,
 * evidence, signature and hint, plus the Reset fields read straight from the packet and the
 * connection's Community ID (src/net/communityId.ts). Pure: it
 * reads the tracker's FinishedConnection and the cross-connection context, and changes neither
 * (the caller teaches the context afterwards with `ctx.learnFrom`).
 */
import { flagNames, mptcpReasonOf, reasonText, roundMicros } from './resetFields.js';
import { radarCategoryOf, signatureOf } from './signature.js';
import { stageOf } from './stage.js';
import { type RstTimeline, seqLength, timelineOf } from './timeline.js';

/**
 * Which findings get a Community ID: a SHA-1 per connection, worth it only where the output
 * prints the ID (JSON and ndjson: resets and connections; CSV: resets; the text report, the Zeek
 * logs and the HTML page never show it). `all` (the library's default), `resets` (only
 * connections that reset, for their resets), `none` (the field stays null).
 */
export type CommunityIdScope = 'all' | 'resets' | 'none';

/** The explained resets and the connection entry that lists them. */
export interface ExplainedConnection {
  resets: Reset[];
  connection: Connection;
}

/** Confidence in [0.05, 0.99] from the cause rule's own and the verdict's certainty (exported for test/track/warmPaths.test.ts). */
export function combinedConfidence(causeConfidence: number, verdict: Reset['verdict'], score: number, ttlCompared: boolean): number {
  // Every operation made for every reset, the verdict choosing only the operands: a
  // multiplication or a call read only for a rarer verdict (a genuine RST without a TTL baseline,
  // a forged one) had no type feedback when TurboFan compiled explainReset, which inlines this,
  // and deoptimised it on the first such reset (--trace-deopt on the bench's 128 MiB mix).
  // `* 1` and the maximum with 0 leave the confidence as it is (it is never negative).
  const factor = verdict === 'suspect' ? 0.7 : verdict === 'genuine' && !ttlCompared ? 0.9 : 1; // genuine without a baseline to confirm the sender
  const forgedFloor = Math.min(0.97, 0.55 + 0.1 * score);
  const c = Math.max(causeConfidence * factor, verdict === 'forged' ? forgedFloor : 0);
  return Math.max(0.05, Math.min(0.99, Math.round(c * 100) / 100));
}

/** A later connection on the same tuple without a SYN counts as split off an earlier one reset this long before (seconds). */
export const SPLIT_WINDOW = 120;
/** Two RSTs this close together with identical headers are one packet captured twice (seconds). */
export const DUPLICATE_WINDOW = 0.001;

/** An earlier reset of the connection (or of its tuple) with the reset it roots in. */
export interface EarlierReset {
  rst: RstRecord | null;
  /** The packet that reset answered (its timeline's trigger), or null. */
  trigger: PacketRecord | null;
  ref: ResetRef;
  /** The root reset (itself, or its parent for an `after_reset`), and the root's hint. */
  root: ResetRef;
  rootHint: string | null;
  /** The reset was judged forged: it came from a third party, not from the side it names. */
  forged?: boolean;
}

/**
 * The root reset a RST may be a consequence of: the earliest earlier reset of the connection
 * before the packet the RST answers (that packet arrived after it), else the last reset of an
 * earlier connection on the same tuple that this one was split off (no SYN of its own).
 */
export function parentOf(conn: FinishedConnection, rst: RstRecord, trigger: PacketRecord | null, earlier: readonly EarlierReset[], ctx: ExplainContext): ParentReset | null {
  if (trigger === null) return null;
  const triggerTs = trigger.ts;
  // Indexed: a for-of over the shared frozen empty list allocated an iterator per RST.
  for (let i = 0; i < earlier.length; i++) {
    const e = earlier[i] as EarlierReset;
    if (e.rst === null) continue;
    // A forged RST in this sender's own name went to the peer: this sender never sent nor
    // received it, so its socket is as alive as before (zeek's rst-inject-rae.pcap: the server
    // aborts on its own later, after an injected RST the client ignored).
    if (e.forged === true && e.rst.direction === rst.direction) continue;
    const parentFrame = e.rst.frame;
    // What arrived after the reset (in capture order) finds no socket. A copy of a segment that
    // came before the reset (a retransmitted ACK a listener answers again) is the same question
    // asked twice, not something still in flight after it.
    const arrivedAfter = parentFrame < trigger.frame && !conn.packets.some((p) => p.frame < parentFrame && sameSegment(p, trigger));
    // The sender itself reset earlier and answers more distinct segments than it had reset
    // before: segments already in flight crossed its first RST on the wire, whatever order a
    // capture point nearer the peer saw them in.
    const sentByItself = e.rst.direction !== trigger.direction && answersAnotherSegment(conn, rst);
    if (arrivedAfter || sentByItself) return { ref: e.root, hint: e.rootHint };
  }
  if (conn.handshake.synTs !== null || earlier.length > 0) return null;
  const last = ctx.lastReset.get(conn);
  if (last === undefined || last.capture !== conn.capture || last.ts > triggerTs || conn.startTs - last.ts > SPLIT_WINDOW) return null;
  return { ref: { id: last.id, capture: last.capture, frame: last.frame }, hint: last.hint };
}

/**
 * True when, since the RST sender's last ordinary packet, its peer sent more distinct segments
 * that call for a RST than the sender had answered with RSTs before this one: this RST answers
 * one the earlier RSTs did not (a socketless kernel answers each arriving segment once,
 * tcp_v4_send_reset). Before the sender's first RST its socket was alive and answered only
 * segments that carry sequence space; after it, a bare ACK finds no socket too.
 */
function answersAnotherSegment(conn: FinishedConnection, rst: RstRecord): boolean {
  const segments: PacketRecord[] = [];
  let resets = 0;
  let prevRst: PacketRecord | null = null;
  for (const p of conn.packets) {
    if (p.frame >= rst.frame) break;
    if (p.direction === rst.direction) {
      if ((p.flags & TCP_RST) === 0) {
        segments.length = 0;
        resets = 0;
        prevRst = null;
        continue;
      }
      // A router's `any` capture shows a forwarded RST twice, the copies adjacent: count it once.
      if (prevRst === null || !isForwardedTwin(prevRst, p)) resets++;
      prevRst = p;
      continue;
    }
    if ((p.flags & TCP_RST) !== 0 || (resets === 0 && seqLength(p) === 0)) continue;
    if (!segments.some((q) => sameSegment(p, q))) segments.push(p);
  }
  // This RST's own arriving copy is not an earlier answer.
  if (prevRst !== null && isForwardedTwin(prevRst, rst)) resets--;
  return resets > 0 && segments.length > resets;
}

/** True when two packets are the same segment (a retransmitted or duplicated copy). */
function sameSegment(p: PacketRecord, q: PacketRecord): boolean {
  return p.direction === q.direction && p.seq === q.seq && p.ack === q.ack && p.flags === q.flags && p.payloadLen === q.payloadLen;
}

/**
 * True when `b` is `a` captured again (a port mirror, `-i any` on the receiving host): every
 * header field the same, microseconds apart. Only with a nonzero IPv4 ID: a socketless kernel
 * reset carries ID 0 and answers each copy of a retransmitted trigger with an identical RST
 * (tcp_v4_send_reset), so two ID-0 RSTs may be two real packets; IPv6 has no ID to tell.
 */
export function isCaptureDuplicate(a: RstRecord, b: RstRecord): boolean {
  return (
    a.ipId > 0 &&
    a.direction === b.direction &&
    a.seq === b.seq &&
    a.ack === b.ack &&
    a.flags === b.flags &&
    a.ipId === b.ipId &&
    a.ttl === b.ttl &&
    a.win === b.win &&
    a.payloadLen === b.payloadLen &&
    Math.abs(b.ts - a.ts) <= DUPLICATE_WINDOW
  );
}

/** explainReset's hint facts: one object rewritten per reset, not a literal per reset. */
const HINT_FACTS: HintFacts = {
  parent: null,
  parentHint: null,
  cause: 'unexplained',
  verdict: 'genuine',
  origin: 'unknown',
  client: '',
  server: '',
  serverPort: 0,
  claimedSender: '',
  hopsCloser: null,
  reasonText: null,
};

/**
 * The reset's evidence: the cause's, then the forgery tests', then what the packet itself says,
 * copied into one array of the exact size (Array.prototype.concat took 1.2% of a flood's text
 * run: the generic path that checks each argument's Symbol.isConcatSpreadable and species).
 */
function evidenceList(cause: readonly Evidence[], forgery: readonly Evidence[], text: string | null, mptcp: MptcpReason | null): Evidence[] {
  const ev = new Array<Evidence>(cause.length + forgery.length + (text !== null ? 1 : 0) + (mptcp !== null ? 1 : 0));
  let n = 0;
  for (let i = 0; i < cause.length; i++) ev[n++] = cause[i] as Evidence;
  for (let i = 0; i < forgery.length; i++) ev[n++] = forgery[i] as Evidence;
  if (text !== null) ev[n++] = evidence(EV_REASON_TEXT, `the RST carries the text "${text}"`);
  if (mptcp !== null) ev[n++] = evidence(EV_MPTCP_REASON, `MP_TCPRST reason ${mptcp.code} (${mptcp.name})`);
  return ev;
}

/** Explains one RST. */
export function explainReset(
  conn: FinishedConnection,
  rst: RstRecord,
  ctx: ExplainContext,
  id: string,
  earlier: readonly EarlierReset[] = [],
  timeline: RstTimeline = timelineOf(conn, rst),
  communityId: string | null = null,
): Reset {
  const stage = stageOf(conn, rst, timeline.trigger);
  const forgery = assessForgery(conn, rst, timeline, ctx);
  const parent = parentOf(conn, rst, timeline.trigger, earlier, ctx);
  const finding = causeOfReset(conn, rst, stage, timeline, forgery, ctx, parent);
  const fromOrig = rst.direction === 'orig';
  const text = rst.payload !== null && rst.payload.length > 0 ? reasonText(rst.payload, 0, rst.payload.length) : null;
  const mptcp = mptcpReasonOf(rst.mptcpReason, rst.mptcpFlags);
  const ev = evidenceList(finding.evidence, forgery.evidence, text, mptcp);
  const baseline = (fromOrig ? conn.orig : conn.resp).ttl;
  const hopsCloser = forgery.verdict === 'forged' && baseline !== null ? Math.max(0, baseline.hops - hopsOf(rst.ttl)) : null;
  const followed = finding.cause === 'after_reset' && parent !== null ? parent.ref : null;
  // One facts object, rewritten per reset (hintFor copies what it keeps).
  const facts = HINT_FACTS;
  facts.parent = followed;
  facts.parentHint = followed !== null && parent !== null ? parent.hint : null;
  facts.cause = finding.cause;
  facts.verdict = forgery.verdict;
  facts.origin = forgery.origin;
  facts.client = conn.origAddr;
  facts.server = conn.respAddr;
  facts.serverPort = conn.respPort;
  facts.claimedSender = fromOrig ? conn.origAddr : conn.respAddr;
  facts.hopsCloser = hopsCloser;
  facts.reasonText = text;
  const hint = hintFor(facts);
  facts.parent = null;
  // One literal, one map for every reset (resetShape below): with or without a parent, a
  // duplicate count or not, the same properties in the same order, absent ones undefined (no
  // report writes an undefined member). Two literals (a parent's and the rest) gave resets two
  // maps, and a reset with a parent or a duplicate count first seen after TurboFan compiled the
  // code that reads resets deoptimised it ("wrong map": release, the text report's add, the
  // explain stage's counts; --trace-deopt on the bench's mix); properties added afterwards also
  // migrated every reset's map (JSObject::MigrateToMap, 1.4% of a flood's instructions).
  const ts = roundMicros(rst.ts);
  const confidence = combinedConfidence(finding.confidence, forgery.verdict, forgery.score, forgery.ttlCompared);
  const signature = signatureOf(conn, rst);
  return {
    id,
    ts,
    capture: conn.capture,
    frame: rst.frame,
    conn: conn.id,
    src: fromOrig ? conn.origAddr : conn.respAddr,
    sport: fromOrig ? conn.origPort : conn.respPort,
    dst: fromOrig ? conn.respAddr : conn.origAddr,
    dport: fromOrig ? conn.respPort : conn.origPort,
    from: rst.direction,
    flags: flagNames(rst.flags),
    ttl: rst.ttl,
    ip_id: conn.ipVersion === 4 ? rst.ipId : null,
    seq: rst.seq,
    ack: rst.ack,
    win: rst.win,
    payload_len: rst.payloadLen,
    stage,
    cause: finding.cause,
    verdict: forgery.verdict,
    origin: forgery.origin,
    confidence,
    evidence: ev,
    signature,
    hint,
    reason_text: text,
    mptcp_reason: mptcp,
    rule: finding.rule,
    parent: followed === null ? undefined : followed,
    duplicates: undefined,
    community_id: communityId,
  };
}

/**
 * Two resets of the one map of resets (explainReset's literal, resetOrder.ts digestOf and resetShape
 * list the same properties in the same order), made once when this module loads, before any reset:
 * between them every field that some reset holds as null, undefined or a fraction and another
 * as a small integer or an object already has its general representation. A field that first
 * held only small integers (`duplicates`, `ip_id`, `confidence` of a digest) and then null, or a
 * double and then null, changed its representation mid-run, deprecating the map of every reset
 * and deoptimising the code that reads them.
 */
export const RESET_SHAPE_PRIMERS: readonly Reset[] = [resetShape(null), resetShape('')];

/** A reset of the one map of resets, `text` in its texts and nullable fields (RESET_SHAPE_PRIMERS). */
function resetShape(text: string | null): Reset {
  // A frozen list and a fresh one: evidence and flags lists come in both kinds.
  const empty: Evidence[] = text === null ? (Object.freeze([]) as unknown as Evidence[]) : [];
  return {
    id: '',
    ts: 0.5,
    capture: 0,
    frame: 0,
    conn: text,
    src: '',
    sport: 0,
    dst: '',
    dport: 0,
    from: 'orig',
    flags: empty as unknown as string[],
    ttl: 0,
    ip_id: text === null ? null : 0,
    seq: 0.5,
    ack: 0.5,
    win: 0,
    payload_len: 0,
    stage: text as Reset['stage'],
    cause: text as Reset['cause'],
    verdict: text as Reset['verdict'],
    origin: text as Reset['origin'],
    confidence: text === null ? null : 0.5,
    evidence: empty,
    signature: text,
    hint: text,
    reason_text: text,
    mptcp_reason: text === null ? null : { code: 0, name: '', flags: 0 },
    rule: text === null ? undefined : text,
    parent: text === null ? undefined : { id: '', capture: 0, frame: 0 },
    duplicates: text === null ? undefined : 0,
    community_id: text,
  };
}

/**
 * Explains every recorded RST of `conn`; `nextId` hands out reset ids in order. The resets carry
 * the Community ID as far as `communityIds` asks; the connection's entry is left to the caller
 * (explainConnection builds it; a report that lists no connection needs none).
 */
export function explainResets(conn: FinishedConnection, ctx: ExplainContext, nextId: () => string, communityIds: CommunityIdScope = 'all'): Reset[] {
  // Shared (frozen): most connections never reset, and nothing writes the list of none.
  if (conn.resets.length === 0) return NO_RESETS;
  return explainedResets(conn, ctx, nextId, communityIdOf(conn, communityIds));
}

/**
 * Explains every recorded RST of `conn`; `nextId` hands out reset ids in order. The
 * connection entry gains the reset ids and its Cloudflare Radar category; resets and entry carry
 * the Community ID as far as `communityIds` asks.
 */
export function explainConnection(conn: FinishedConnection, ctx: ExplainContext, nextId: () => string, communityIds: CommunityIdScope = 'all'): ExplainedConnection {
  const cid = communityIdOf(conn, communityIds);
  // Most connections never reset: only their entry (no reset lists, no Radar category).
  if (conn.resets.length === 0) return { resets: [], connection: connectionRecordOf(conn, [], null, cid) };
  const resets = explainedResets(conn, ctx, nextId, cid);
  const connection: Connection = connectionRecordOf(conn, resets.map((r) => r.id), radarCategoryOf(conn), cid);
  return { resets, connection };
}

/**
 * The connection's Community ID when `communityIds` asks for it: one per connection (it is
 * direction-free), shared by its resets: one SHA-1 per connection, none per reset, and none where
 * the output does not print it.
 */
function communityIdOf(conn: FinishedConnection, communityIds: CommunityIdScope): string | null {
  const wanted = communityIds === 'all' || (communityIds === 'resets' && conn.resets.length > 0);
  return wanted ? tcpCommunityId(conn.origAddr, conn.origPort, conn.respAddr, conn.respPort) : null;
}

/** No resets: shared by the connections that never reset (frozen). */
const NO_RESETS: Reset[] = Object.freeze([]) as unknown as Reset[];

/** The earlier resets before a connection's first RST: shared (frozen, never written). */
const NO_EARLIER: EarlierReset[] = Object.freeze([]) as unknown as EarlierReset[];

/** explainedResets' timeline: nothing keeps it past the reset it was split for. */
const TIMELINE: RstTimeline = { trigger: null, after: [], upTo: [], beforeCount: 0 };

/** The explained resets of a connection with at least one recorded RST, each carrying `cid`. */
function explainedResets(conn: FinishedConnection, ctx: ExplainContext, nextId: () => string, cid: string | null): Reset[] {
  // At most one entry per recorded RST: sized once (pushing onto an empty array reserved room
  // for 17), cut to the count at the end.
  const count = conn.resets.length;
  const resets = new Array<Reset>(count);
  let explainedCount = 0;
  // The earlier resets, built only where a later RST reads them (a single RST needs none).
  let earlier: EarlierReset[] = NO_EARLIER;
  for (let k = 0; k < count; k++) {
    const rst = conn.resets[k] as RstRecord;
    if (earlier.length > 0) {
      // A capture duplicate is one reset seen twice: counted on the first, not listed again.
      const first = earlier.find((e) => e.rst !== null && isCaptureDuplicate(e.rst, rst));
      const firstReset = first === undefined ? undefined : resets.find((r, i) => i < explainedCount && r.id === first.ref.id);
      if (firstReset !== undefined) {
        // `duplicates` has its place before the Community ID in every reset already (explainReset).
        firstReset.duplicates = (firstReset.duplicates ?? 0) + 1;
        if (firstReset.duplicates === 1) firstReset.evidence.push(evidence(EV_CAPTURE_DUPLICATE, `the same packet appears again as frame ${rst.frame}, ${Math.round(Math.abs(rst.ts - firstReset.ts) * 1e6)} µs later (a port mirror or \`-i any\`): one reset, reported once`));
        continue;
      }
    }
    // On a router's `any` capture the RST's own arriving copy comes just before it: judge the
    // forwarded copy as that one was judged, not as its consequence.
    // (On an empty list, earlier[-1] is a named-property lookup of "-1", not an element read.)
    const prev = earlier.length > 0 ? earlier[earlier.length - 1] : undefined;
    const visible = prev?.rst && isForwardedTwin(prev.rst, rst) ? earlier.slice(0, -1) : earlier;
    // One timeline object for every reset, rewritten: its `earlier` entry keeps only the trigger.
    const timeline = timelineOf(conn, rst, TIMELINE);
    const reset = explainReset(conn, rst, ctx, nextId(), visible, timeline, cid);
    resets[explainedCount++] = reset;
    // Nothing reads the last RST's `earlier` entry.
    if (k === count - 1) break;
    if (earlier === NO_EARLIER) earlier = [];
    const ref = { id: reset.id, capture: reset.capture, frame: reset.frame };
    const parent = reset.parent === undefined ? null : earlier.find((e) => e.root.id === reset.parent?.id);
    earlier.push({ rst, trigger: timeline.trigger, ref, root: reset.parent ?? ref, rootHint: parent ? parent.rootHint : reset.parent === undefined ? reset.hint : (ctx.lastReset.get(conn)?.hint ?? null), forged: reset.verdict === 'forged' });
  }
  if (explainedCount < count) resets.length = explainedCount;
  return resets;
}
