import { ipIdBehaviour, ttlBaseline } from './baselines.js';
/**
 * A connection's end: everything the tracker knows about it becomes one FinishedConnection
 * (conn_state and history derived by the pure functions of zeekState.ts and history.ts, as Zeek's
 * conn/main.zeek does at the end), its records go back to the pools, and its slot is freed.
 */
import { addressOf, freeSlot } from './connTable.js';
import { prev, size, st } from './endpoint.js';
import type { EndReason, EndpointSummary, FinishedConnection, HandshakeStage } from './finished.js';
import { dropHeldTable, heldByNumber, releaseHeldEntries, unhold } from './heldConns.js';
import { historyOf } from './history.js';
import { KeptPackets, drainRing } from './packetRing.js';
import { drainResets } from './rstLog.js';
import { E_DATA, F_FLIPPED, F_REUSED, F_USED, F_V6, ORIG, RESP, type TrackState } from './state.js';
import { heapClear } from './timerHeap.js';
import { type WeirdName, weirdNames } from './weirds.js';
import { TCP_INACTIVE, connStateOf, endpointStateName } from './zeekState.js';

/** The id of connection number `n` of this capture: `C<n>`, or `C<capture>-<n>` when captureIndex > 0. */
export function connIdOf(s: TrackState, n: number): string {
  return s.captureIndex > 0 ? `C${s.captureIndex}-${n}` : `C${n}`;
}

/** null for a time never set (NaN in its column). */
function nan(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/**
 * One side as the FinishedConnection reports it; `seqSize` is its TCP_Endpoint::Size (finishSlot
 * has it already). Exported for test/track/warmPaths.test.ts.
 */
export function endpointSummary(s: TrackState, slot: number, e: number, seqSize: number): EndpointSummary {
  // The packet count read and compared for every side (no short-circuit): read only for a side
  // still inactive, it had no type feedback until the first such side and deoptimised this function.
  const pkts = s.ePkts[e] ?? 0;
  const sent = pkts > 0;
  const seen = st(s, e) !== TCP_INACTIVE || sent;
  const w = s.eWin[e] ?? -1;
  return {
    state: endpointStateName(st(s, e)),
    prevState: endpointStateName(prev(s, e)),
    size: seqSize,
    pkts,
    ipBytes: s.eIpBytes[e] ?? 0,
    ttl: ttlBaseline(s, e),
    ipId: ipIdBehaviour(s, slot, e),
    retransmissions: s.eRxmt[e] ?? 0,
    zeroWindows: s.eWin0[e] ?? 0,
    gaps: s.eGap[e] ?? 0,
    badChecksums: s.eChk[e] ?? 0,
    finCount: s.eFin[e] ?? 0,
    rstCount: s.eRst[e] ?? 0,
    payloadSeen: ((s.eMisc[e] ?? 0) & E_DATA) !== 0,
    lastWindow: w < 0 ? null : w,
    windowScale: (s.eMisc[e] ?? 0) & 15,
    startSeq: seen ? (s.eStart[e] ?? 0) : null,
  };
}

/**
 * Two sides of the one map of endpoint summaries (endpointSummary's literal and heldPack.ts's and
 * connPack.ts's unpackers list the same properties in the same order), made when this module
 * loads: between them the fields a side holds as null or as a number (`ttl`, `lastWindow`,
 * `startSeq`) have their general representation before any connection finishes. A side never
 * seen (`startSeq` null, most often the responder of an unanswered SYN) first finished after
 * TurboFan compiled endpointSummary found the field holding only numbers and deoptimised it
 * ("not a heap number", --trace-deopt on the bench's 128 MiB mix), deprecating the map of every
 * summary made before.
 */
export const ENDPOINT_SUMMARY_PRIMERS: readonly EndpointSummary[] = [summaryShape(false), summaryShape(true)];

/** An endpoint summary of the one map, its nullable fields null or not (ENDPOINT_SUMMARY_PRIMERS). */
function summaryShape(known: boolean): EndpointSummary {
  return {
    state: 'inactive',
    prevState: 'inactive',
    size: 0,
    pkts: 0,
    ipBytes: 0,
    ttl: known ? { values: [], otherCount: 0, mostCommon: 0, initial: 0, hops: 0 } : null,
    ipId: 'none',
    retransmissions: 0,
    zeroWindows: 0,
    gaps: 0,
    badChecksums: 0,
    finCount: 0,
    rstCount: 0,
    payloadSeen: false,
    lastWindow: known ? 0 : null,
    windowScale: 0,
    startSeq: known ? 0 : null,
  };
}

/** The weirds of a connection that had none: shared (frozen: no reader writes a connection's weirds). */
const NO_WEIRDS: WeirdName[] = Object.freeze([]) as unknown as WeirdName[];

/** The names of the weirds a connection raised (most raise none: no array each then). */
function weirdsOf(s: TrackState, slot: number): WeirdName[] {
  const lo = s.weird[slot * 2] ?? 0;
  const hi = s.weird[slot * 2 + 1] ?? 0;
  return lo === 0 && hi === 0 ? NO_WEIRDS : weirdNames(lo, hi);
}

/** What the last drain learned of a connection's kept packets (reused). */
const kept = new KeptPackets();

/** Builds the FinishedConnection, hands it to the sink, and frees the slot. */
export function finishSlot(s: TrackState, slot: number, reason: EndReason): void {
  const f = s.cFlags[slot] ?? 0;
  if ((f & F_USED) === 0) return;
  const o = slot * 2;
  const r = o + 1;
  const history = historyOf(s, slot);
  const origSize = size(s, o);
  const respSize = size(s, r);
  const connState = connStateOf(st(s, o), st(s, r), origSize, respSize, history);
  const number = s.cNumber[slot] ?? 0;
  const id = connIdOf(s, number);
  const ports = s.kPorts[slot] ?? 0;
  const origAddr = addressOf(s, slot, ORIG);
  const respAddr = addressOf(s, slot, RESP);
  const startTs = s.startTs[slot] ?? 0;
  const lastTs = s.lastTs[slot] ?? 0;
  const resets = drainResets(s, slot);
  const packets = drainRing(s, slot, s.allPackets || resets.length > 0, kept);
  const synTs = nan(s.synTs[slot] ?? Number.NaN);
  const synAckTs = nan(s.synAckTs[slot] ?? Number.NaN);
  const ackTs = nan(s.hsAckTs[slot] ?? Number.NaN);
  let stage: HandshakeStage = 'none';
  if (ackTs !== null) stage = 'complete';
  else if (synAckTs !== null) stage = 'syn_ack';
  else if (synTs !== null) stage = 'syn';
  else stage = 'midstream';
  const orig = endpointSummary(s, slot, o, origSize);
  const resp = endpointSummary(s, slot, r, respSize);
  const totalPkts = orig.pkts + resp.pkts;
  const rstTotal = s.rstCount[slot] ?? 0;
  const missed = s.missed[slot] ?? 0;
  const fc: FinishedConnection = {
    id,
    number,
    capture: s.captureIndex,
    ipVersion: (f & F_V6) !== 0 ? 6 : 4,
    origAddr,
    origPort: ports >>> 16,
    respAddr,
    respPort: ports & 0xffff,
    startTs,
    lastTs,
    lastPacketTs: s.lastPktTs[slot] ?? lastTs,
    connState,
    history,
    orig,
    resp,
    flipped: (f & F_FLIPPED) !== 0,
    reusedTuple: (f & F_REUSED) !== 0,
    handshake: {
      stage,
      synTs,
      synAckTs,
      ackTs,
      synToSynAck: synTs !== null && synAckTs !== null ? synAckTs - synTs : null,
      synAckToAck: synAckTs !== null && ackTs !== null ? ackTs - synAckTs : null,
    },
    largestIdleGap: s.idleMax[slot] ?? 0,
    missedBytes: missed,
    weirds: weirdsOf(s, slot),
    resets,
    resetsNotRecorded: Math.max(0, rstTotal - resets.length),
    packets,
    keptPackets: kept.count,
    keptFirstFrame: kept.firstFrame,
    keptLastFrame: kept.lastFrame,
    keptFirstFlags: kept.firstFlags,
    origPairs: kept.orig[0] ?? 0,
    origSingles: kept.orig[1] ?? 0,
    respPairs: kept.resp[0] ?? 0,
    respSingles: kept.resp[1] ?? 0,
    packetsNotKept: Math.max(0, totalPkts - kept.count),
    endReason: reason,
    tunnel: s.tunnels.layersOf(s.cTunnel[slot] ?? 0),
  };
  // Free the slot before calling out, so a sink that throws leaves the table consistent.
  freeSlot(s, slot);
  s.sink.onConnectionDone(fc);
}

/** End of capture: every live connection is finished, in order of first packet. */
export function finishAll(s: TrackState): void {
  const live: number[] = [];
  for (let slot = 0; slot < s.highWater; slot++) if (((s.cFlags[slot] ?? 0) & F_USED) !== 0) live.push(slot);
  live.sort((a, b) => (s.cNumber[a] ?? 0) - (s.cNumber[b] ?? 0));
  // The heap emptied at once: no timer fires from here on, and no finish takes its entry out one by one.
  heapClear(s.heap, s.heapPos);
  // Held connections (heldConns.ts) in the same order, each unpacked into a slot as its turn comes.
  const h = s.held;
  // No packet comes after this: the held table goes before the sorted ids are made (heldConns.ts dropHeldTable).
  if (s.heldLive > 0) dropHeldTable(h);
  const held = s.heldLive > 0 ? heldByNumber(s) : new Float64Array(0);
  let j = 0;
  for (const slot of live) {
    const n = s.cNumber[slot] ?? 0;
    while (j < held.length && (h.eNum[(held[j] ?? 0) & h.mask] ?? 0) < n) finishSlot(s, unhold(s, held[j++] ?? 0, false), 'end_of_capture');
    finishSlot(s, slot, 'end_of_capture');
  }
  while (j < held.length) finishSlot(s, unhold(s, held[j++] ?? 0, false), 'end_of_capture');
  releaseHeldEntries(h);
}
