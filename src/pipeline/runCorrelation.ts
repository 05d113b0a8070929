/**
 * Drives correlation: every capture is analysed on its own (runAnalysis), then read once more
 * to collect what correlation needs of each point (correlate/pointCollector.ts: bounded); the
 * points are ordered and their clocks compared, each RST seen at several points becomes one
 * reset located on the path, and the findings go to the sink as runAnalysis's do.
 *
 * One reset per physical RST: the one explained from the sighting nearest its claimed sender
 * (the first point that saw it, in the order it travelled). That point's view of the connection
 * is the sender's: the trigger as it reached the sender, the TTL not yet decremented, timings
 * without the downstream delay, which is what the single-point rules (forgery.ts, cause.ts)
 * were written for. `capture` and `frame` point at that sighting; `seen_at` lists them all.
 */
import { readCapture } from '../capture/open.js';
import type { CaptureRecord } from '../capture/record.js';
import { applyLocation } from '../correlate/applyLocation.js';
import { flowInterest } from '../correlate/flowInterest.js';
import { ladderAcrossPoints, ladderPacketKey } from '../correlate/ladderAcrossPoints.js';
import { type Location, locateReset } from '../correlate/locate.js';
import { matchResets } from '../correlate/match.js';
import { pointName } from '../correlate/order.js';
import { buildPath } from '../correlate/path.js';
import { PointCollector, type RstSighting } from '../correlate/pointCollector.js';
import { decodeFrame } from '../decode/frame.js';
import { DecodedPacket } from '../decode/packet.js';
import { countKernel, emptyKernelSummary, reassertKernel } from '../explain/kernelEvidence.js';
import { EV_AFTER_RESET } from '../model/evidenceCodes.js';
import type { Connection, Direction, Ladder, PathReport, Reset, Summary, Verdict } from '../model/report.js';
import { type AnalysisSink, type RunOptions, type RunResult, runAnalysis } from './run.js';
import { Spool } from './spool.js';

/** Options of a correlation run. */
export interface CorrelationOptions extends RunOptions {
  /** The points' order from the openers' side (`--order`), every input index once; inferred when absent. */
  order?: readonly number[];
}

/** What a correlation run found besides the streamed findings. */
export interface CorrelationResult extends RunResult {
  path: PathReport | null;
}

/** Reads one capture again and feeds its TCP packets to a collector (following `follow`'s flows packet by packet). */
async function collectPoint(path: string, capture: number, options: RunOptions, follow: ReadonlySet<number> | null): Promise<PointCollector> {
  const point = new PointCollector(capture);
  if (follow !== null) point.follow(follow);
  const pkt = new DecodedPacket();
  await readCapture(
    path,
    (rec: CaptureRecord) => {
      decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
      if (pkt.isTcp) point.add(rec, pkt);
    },
    { chunkSize: options.chunkSize },
  );
  return point;
}

const keyOf = (capture: number, frame: number) => `${capture}:${frame}`;

/** The resets and connections of a run, held in spools until correlation is done. */
class Held {
  readonly resets = new Spool();
  readonly connections = new Spool();
  readonly ladders = new Spool();
  dispose(): void {
    this.resets.dispose();
    this.connections.dispose();
    this.ladders.dispose();
  }
}

/** Every (capture, frame) of a physical RST's sightings, forwarded copies included. */
function framesOf(s: RstSighting): string[] {
  const keys = [keyOf(s.capture, s.frame)];
  if (s.forwarded !== null) keys.push(keyOf(s.capture, s.forwarded.frame));
  return keys;
}

/** Counts one reset into the summary's breakdowns. */
function countReset(summary: Summary, r: Reset): void {
  if (r.stage) summary.by_stage[r.stage] = (summary.by_stage[r.stage] ?? 0) + 1;
  if (r.cause) summary.by_cause[r.cause] = (summary.by_cause[r.cause] ?? 0) + 1;
  if (r.verdict) summary.by_verdict[r.verdict] = (summary.by_verdict[r.verdict] ?? 0) + 1;
  if (summary.kernel !== undefined) countKernel(summary.kernel, r);
}

/**
 * Analyses `paths` (files: standard input cannot be read twice) as captures of the same traffic
 * at different points, streaming one reset per physical RST, every connection and every pattern
 * to `sink`.
 */
export async function runCorrelation(paths: readonly string[], options: CorrelationOptions, sink: AnalysisSink): Promise<CorrelationResult> {
  if (paths.includes('-')) throw new Error('correlation reads each capture twice: standard input ("-") cannot be one of them');
  const held = new Held();
  try {
    const ladders = options.ladders === true && sink.ladder !== undefined;
    // Correlated captures are separate points, never pieces of one stream.
    const result = await runAnalysis(paths, { ...options, ladders, stream: false }, {
      reset: (r) => held.resets.push(JSON.stringify(r)),
      connection: (c) => held.connections.push(JSON.stringify(c)),
      pattern: (p) => sink.pattern(p),
      ladder: (l) => held.ladders.push(JSON.stringify(l)),
    });
    if (result.inputs.length === 0) return { ...result, path: null };

    // What each listed reset says of its own direction (and, for ladders, the flows to follow).
    const resetAt = new Map<string, { id: string; from: Direction | null }>();
    const tuples: { src: string; sport: number; dst: string; dport: number }[] = [];
    for (const line of held.resets.lines()) {
      const r = JSON.parse(line) as Reset;
      resetAt.set(keyOf(r.capture, r.frame), { id: r.id, from: r.from });
      if (ladders) tuples.push({ src: r.src, sport: r.sport, dst: r.dst, dport: r.dport });
    }
    const follow = ladders ? flowInterest(tuples) : null;
    const points: PointCollector[] = [];
    for (let i = 0; i < result.inputs.length; i++) points.push(await collectPoint((result.inputs[i] as { path: string }).path, i, options, follow));
    const names = uniqueNames(result.inputs.map((i) => pointName(i.path)));
    const spans = result.inputs.map((i) => ({ first: i.first_ts, last: i.last_ts }));
    const given = options.order && options.order.length === points.length ? options.order : null;
    const path = buildPath(points, names, spans, given);
    const physical = matchResets(points, path.ctx.clocks, path.maxDelay);

    const groupOf = new Map<string, number>();
    const locations: Location[] = physical.map((g, gi) => {
      for (const s of g.sightings) for (const k of framesOf(s)) groupOf.set(k, gi);
      return locateReset(path.ctx, g, (s) => resetAt.get(keyOf(s.capture, s.frame))?.from ?? null);
    });
    // The representative of each physical RST: the first sighting along its way that was listed.
    const representative = locations.map((loc) => {
      for (const s of loc.seenAt) {
        const listed = resetAt.get(keyOf(s.capture, s.frame)) ?? (s.forwarded ? resetAt.get(keyOf(s.capture, s.forwarded.frame)) : undefined);
        if (listed !== undefined) return listed.id;
      }
      return null;
    });
    const alias = new Map<string, string>();
    const listed: Reset[] = [];
    for (const line of held.resets.lines()) {
      const r = JSON.parse(line) as Reset;
      const g = groupOf.get(keyOf(r.capture, r.frame));
      if (g === undefined) listed.push(r);
      else if (representative[g] === r.id) listed.push(reassertKernel(applyLocation(r, locations[g] as Location)));
      else alias.set(r.id, representative[g] as string);
    }
    const clocks = path.ctx.clocks;
    const referenceTime = (r: Reset) => r.ts - (clocks[r.capture] ?? 0);
    listed.sort((x, y) => referenceTime(x) - referenceTime(y));
    const listedBefore = new Set(listed.map((r) => r.id));
    // Every id of the per-capture analyses → the final id of the reset it stands for.
    const finalOf = renumberInTimeOrder(listed, alias);
    const idOf = (id: string) => finalOf.get(id) ?? id;

    const summary: Summary = {
      ...result.summary,
      resets: listed.length + (result.summary.resets_not_listed ?? 0),
      by_stage: {},
      by_cause: {},
      by_verdict: {},
      rst_sightings: result.summary.resets,
    };
    if (summary.kernel !== undefined) summary.kernel = emptyKernelSummary();
    for (const r of listed) {
      countReset(summary, r);
      sink.reset(r);
    }
    for (const line of held.connections.lines()) {
      const c = JSON.parse(line) as Connection;
      if (c.resets.length > 0) c.resets = [...new Set(c.resets.map(idOf))];
      sink.connection(c);
    }
    if (ladders) {
      const verdictOf = new Map<string, Verdict | null>(listed.map((r) => [r.id, r.verdict]));
      for (const line of chosenLadders(held.ladders, path.ctx, listedBefore)) {
        sink.ladder?.(ladderAcrossPoints(JSON.parse(line) as Ladder, path.ctx, { verdictOf, alias: finalOf }, path.maxDelay));
      }
    }
    return { ...result, summary, path: path.report };
  } finally {
    held.dispose();
  }
}

/**
 * Gives the listed resets (already in time order on the first point's clock) the ids R1, R2, …
 * in that order, as a single capture's are in frame order (pipeline/resetOrder.ts): each was
 * numbered by its own capture, so the listing read R4, R9, R5 … Parents and the hints that name
 * them follow. `alias`: ids of other sightings → the listed id standing for them. Returns every
 * old id (listed or aliased) → its final id.
 */
export function renumberInTimeOrder(listed: Reset[], alias: ReadonlyMap<string, string>): Map<string, string> {
  const finalId = new Map<string, string>();
  listed.forEach((r, i) => finalId.set(r.id, `R${i + 1}`));
  for (const [from, to] of alias) {
    const final = finalId.get(to);
    if (final !== undefined) finalId.set(from, final);
  }
  for (const r of listed) {
    r.id = finalId.get(r.id) as string;
    const parent = r.parent;
    const renamed = parent === undefined ? undefined : finalId.get(parent.id);
    if (parent !== undefined && renamed !== undefined) {
      const named = new RegExp(`\\b${parent.id}\\b`, 'g');
      if (r.hint !== null) r.hint = r.hint.replace(named, renamed);
      r.evidence = r.evidence.map((e) => (e.code === EV_AFTER_RESET ? { ...e, detail: e.detail.replace(named, renamed) } : e));
      parent.id = renamed;
    }
  }
  return finalId;
}

/**
 * One ladder per connection seen at several points: the capture holding most of its listed
 * resets (they are explained from there). A connection is known by its endpoints and the
 * fingerprint of its first kept packet, the same at every point.
 */
function chosenLadders(spool: Spool, ctx: Parameters<typeof ladderPacketKey>[0], listed: ReadonlySet<string>): string[] {
  const best = new Map<string, { line: string; score: number }>();
  for (const line of spool.lines()) {
    const l = JSON.parse(line) as Ladder;
    const first = l.packets[0];
    const id = first === undefined ? undefined : ladderPacketKey(ctx, first);
    const group = `${l.orig}|${l.resp}|${id ?? `${l.capture}:${l.conn}`}`;
    const score = l.packets.filter((p) => p.reset !== null && listed.has(p.reset)).length;
    const seen = best.get(group);
    if (seen === undefined || score > seen.score) best.set(group, { line, score });
  }
  return [...best.values()].filter((b) => b.score > 0).map((b) => b.line);
}

/** Short names made unique ("router", "router#2") so a report never names two points alike. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}#${k}`;
  });
}
