import type { Connection, Evidence, Reset } from '../model/report.js';
import type { FinishedConnection, RstRecord } from '../track/finished.js';
import { causeOf } from './cause.js';
import type { ExplainContext } from './context.js';
import { EV_MPTCP_REASON, EV_REASON_TEXT, evidence } from './evidence.js';
import { assessForgery } from './forgery.js';
import { hintFor } from './hints.js';
/**
 * Explains every RST of one finished connection: stage, cause, verdict, origin, confidence,
 * evidence, signature and hint, plus the Reset fields read straight from the packet. Pure: it
 * reads the tracker's FinishedConnection and the cross-connection context, and changes neither
 * (the caller teaches the context afterwards with `ctx.learnFrom`).
 */
import { flagNames, mptcpReasonOf, reasonText, roundMicros } from './resetFields.js';
import { radarCategoryOf, signatureOf } from './signature.js';
import { stageOf } from './stage.js';
import { timelineOf } from './timeline.js';
import { hopsOf } from './ttl.js';

/** The explained resets and the connection entry that lists them. */
export interface ExplainedConnection {
  resets: Reset[];
  connection: Connection;
}

/** Confidence in [0.05, 0.99] from the cause rule's own and the verdict's certainty. */
function combinedConfidence(causeConfidence: number, verdict: Reset['verdict'], score: number, ttlCompared: boolean): number {
  let c = causeConfidence;
  if (verdict === 'suspect') c *= 0.7;
  else if (verdict === 'genuine' && !ttlCompared) c *= 0.9; // no baseline to confirm the sender
  else if (verdict === 'forged') c = Math.max(c, Math.min(0.97, 0.55 + 0.1 * score));
  return Math.max(0.05, Math.min(0.99, Math.round(c * 100) / 100));
}

/** Explains one RST. */
export function explainReset(conn: FinishedConnection, rst: RstRecord, ctx: ExplainContext, id: string): Reset {
  const timeline = timelineOf(conn, rst);
  const stage = stageOf(conn, rst, timeline.trigger);
  const forgery = assessForgery(conn, rst, timeline, ctx);
  const finding = causeOf({ conn, rst, stage, timeline, forgery, ctx });
  const fromOrig = rst.direction === 'orig';
  const text = rst.payload !== null && rst.payload.length > 0 ? reasonText(rst.payload, 0, rst.payload.length) : null;
  const mptcp = mptcpReasonOf(rst.mptcpReason, rst.mptcpFlags);
  const ev: Evidence[] = [...finding.evidence, ...forgery.evidence];
  if (text !== null) ev.push(evidence(EV_REASON_TEXT, `the RST carries the text "${text}"`));
  if (mptcp !== null) ev.push(evidence(EV_MPTCP_REASON, `MP_TCPRST reason ${mptcp.code} (${mptcp.name})`));
  const baseline = (fromOrig ? conn.orig : conn.resp).ttl;
  const hopsCloser = forgery.verdict === 'forged' && baseline !== null ? Math.max(0, baseline.hops - hopsOf(rst.ttl)) : null;
  const hint = hintFor({
    cause: finding.cause,
    verdict: forgery.verdict,
    origin: forgery.origin,
    client: conn.origAddr,
    server: conn.respAddr,
    serverPort: conn.respPort,
    claimedSender: fromOrig ? conn.origAddr : conn.respAddr,
    hopsCloser,
    reasonText: text,
  });
  return {
    id,
    ts: roundMicros(rst.ts),
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
    confidence: combinedConfidence(finding.confidence, forgery.verdict, forgery.score, forgery.ttlCompared),
    evidence: ev,
    signature: signatureOf(conn, rst),
    hint,
    reason_text: text,
    mptcp_reason: mptcp,
  };
}

/**
 * Explains every recorded RST of `conn`; `nextId` hands out reset ids in order. The
 * connection entry gains the reset ids and its Cloudflare Radar category.
 */
export function explainConnection(conn: FinishedConnection, ctx: ExplainContext, nextId: () => string): ExplainedConnection {
  const resets = conn.resets.map((rst) => explainReset(conn, rst, ctx, nextId()));
  return { resets, connection: connectionEntry(conn, resets) };
}

/**
 * The connection's Connection entry: the tracker's, with the duration rounded, the reset ids and
 * the Radar category last. Written field by field in the tracker's order, as one literal per
 * shape: a spread copy (with a property added after it) took a fresh map transition per
 * connection, 5–7% of a 200k-connection flood's profile. A test holds the keys to the tracker's.
 */
export function connectionEntry(conn: FinishedConnection, resets: readonly Reset[]): Connection {
  const c = conn.connection;
  const duration = roundMicros(c.duration);
  const ids = resets.map((r) => r.id);
  const category = radarCategoryOf(conn);
  if (category === null) {
    return {
      id: c.id,
      ts: c.ts,
      orig_h: c.orig_h,
      orig_p: c.orig_p,
      resp_h: c.resp_h,
      resp_p: c.resp_p,
      duration,
      orig_bytes: c.orig_bytes,
      resp_bytes: c.resp_bytes,
      orig_pkts: c.orig_pkts,
      resp_pkts: c.resp_pkts,
      conn_state: c.conn_state,
      history: c.history,
      resets: ids,
      capture: c.capture,
      proto: c.proto,
      missed_bytes: c.missed_bytes,
      orig_ip_bytes: c.orig_ip_bytes,
      resp_ip_bytes: c.resp_ip_bytes,
    };
  }
  return {
    id: c.id,
    ts: c.ts,
    orig_h: c.orig_h,
    orig_p: c.orig_p,
    resp_h: c.resp_h,
    resp_p: c.resp_p,
    duration,
    orig_bytes: c.orig_bytes,
    resp_bytes: c.resp_bytes,
    orig_pkts: c.orig_pkts,
    resp_pkts: c.resp_pkts,
    conn_state: c.conn_state,
    history: c.history,
    resets: ids,
    capture: c.capture,
    proto: c.proto,
    missed_bytes: c.missed_bytes,
    orig_ip_bytes: c.orig_ip_bytes,
    resp_ip_bytes: c.resp_ip_bytes,
    radar_category: category,
  };
}
