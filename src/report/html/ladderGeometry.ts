/**
 * Where everything of a ladder (sequence) diagram goes, as numbers: one column per endpoint
 * (and, when correlation set `ladder.points` and `packet.seen_at`, one per capture point between
 * them), time going down, one arrow per packet. Kept apart from the SVG text so the layout is
 * tested as geometry.
 *
 * Vertical layout: every packet's own sighting (its "anchor", at the ladder's capture) gets a
 * row tall enough for its label; on top of that, time adds space in proportion to the gap since
 * the previous event, so bursts look tight and pauses look long. A pause longer than
 * SILENCE_AFTER_PX of scaled time (and MIN_SILENCE_S) is compressed to a labelled band, so a 120 s idle
 * timeout does not push the reset off the screen (the article's Figure 6 draws it the same way).
 */
import type { InputSummary, Ladder, LadderPacket } from '../../model/report.js';
import { durationText } from './timeText.js';

/** Height of the column headers. */
export const HEADER_HEIGHT = 48;
/** x of the first column (room on the left for the time and frame labels). */
export const LEFT = 150;
/** Room right of the last column (half an endpoint label). */
export const RIGHT = 100;
/** Distance between the two endpoint columns when there are no capture points. */
export const TWO_COLUMN_GAP = 440;
/** Distance between neighbouring columns when capture points are drawn. */
export const POINT_COLUMN_GAP = 240;
/** Least vertical distance between two packets' anchors (room for a label). */
export const ROW = 34;
/** Vertical drop of an arrow across the whole ladder (it arrives after it left). */
export const SLANT = 8;
/** Extra pixels the median gap between events gets: the time scale. */
export const BASE_PX = 6;
/** Scaled time above this many pixels is a silence, compressed to a band. */
export const SILENCE_AFTER_PX = 48;
/** A pause shorter than this is never drawn as a compressed silence (only capped at SILENCE_AFTER_PX). */
export const MIN_SILENCE_S = 0.05;
/** Height of a compressed silence or of the row of packets not kept. */
export const BAND_HEIGHT = 30;
/** Space below the last arrow. */
export const FOOT = 18;
/** Length and half-width of an arrowhead. */
export const HEAD_LENGTH = 9;
export const HEAD_HALF_WIDTH = 4;

/** A point of the drawing. */
export type Point = readonly [number, number];

/** One column: an endpoint or a capture point. */
export interface LadderColumn {
  x: number;
  title: string;
  subtitle: string;
  kind: 'endpoint' | 'point';
}

/** How an arrow is drawn: control packets, data, and RSTs by verdict. */
export type ArrowKind = 'ctl' | 'data' | 'rst' | 'rst-suspect' | 'rst-forged';

/** One packet's arrow. */
export interface LadderArrow {
  /** Index into `ladder.packets`. */
  index: number;
  kind: ArrowKind;
  /** The polyline, from where the packet was first known to where it arrived or vanished. */
  line: Point[];
  /** Arrowhead triangle at the end of the line; null when the packet vanished on the way. */
  head: Point[] | null;
  label: string;
  labelAt: Point;
  /** Full details for a tooltip. */
  tooltip: string;
  /** Where a forged packet was first seen (it starts there, not at the endpoint it claims). */
  born: Point | null;
  /** Where a packet stops when the next capture point never saw it. */
  lost: Point | null;
  /** The anchor row: time and frame labels go there. */
  y: number;
  timeText: string;
  frameText: string;
}

/** A horizontal band: a compressed silence or the packets the tracker did not keep. */
export interface LadderBand {
  kind: 'silence' | 'gap';
  y: number;
  height: number;
  text: string;
}

/** The whole layout of one ladder. */
export interface LadderGeometry {
  width: number;
  height: number;
  columns: LadderColumn[];
  arrows: LadderArrow[];
  bands: LadderBand[];
}

/** One sighting of a packet placed in the event order. */
interface LadderEvent {
  packet: number;
  /** Column index, or -1 in two-column mode (the capture point is somewhere between the ends). */
  column: number;
  ts: number;
  anchor: boolean;
  y: number;
}

/** The capture points to draw (indices into inputs), or [] for a plain two-column ladder. */
export function pointsOf(ladder: Ladder): number[] {
  const points = ladder.points ?? [];
  return points.length > 0 && points.includes(ladder.capture) ? points : [];
}

/** The columns, left to right: originator, capture points in path order, responder. */
export function columnsOf(ladder: Ladder, inputs: readonly InputSummary[]): LadderColumn[] {
  const points = pointsOf(ladder);
  const gap = points.length === 0 ? TWO_COLUMN_GAP : POINT_COLUMN_GAP;
  const cols: LadderColumn[] = [{ x: LEFT, title: ladder.orig, subtitle: 'originator (sent the SYN)', kind: 'endpoint' }];
  for (const p of points) {
    cols.push({ x: LEFT + cols.length * gap, title: `capture [${p}]`, subtitle: shortName(inputs[p]?.path ?? ''), kind: 'point' });
  }
  cols.push({ x: LEFT + cols.length * gap, title: ladder.resp, subtitle: 'responder', kind: 'endpoint' });
  return cols;
}

/** A file's base name, shortened to fit under a column. */
function shortName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.length > 30 ? `…${base.slice(-29)}` : base;
}

/** The arrow's text: flags, relative seq/ack, length, TTL, and the reset it is. */
export function arrowLabel(p: LadderPacket): string {
  const parts = [`[${p.flags.join(', ')}]`];
  if (p.seq !== null) parts.push(`seq=${p.seq}`);
  if (p.ack !== null) parts.push(`ack=${p.ack}`);
  parts.push(`len=${p.len}`, `ttl=${p.ttl}`);
  if (p.reset !== null) parts.push(p.verdict === 'genuine' || p.verdict === null ? `· ${p.reset}` : `· ${p.reset} ${p.verdict.toUpperCase()}`);
  return parts.join(' ');
}

/** How a packet's arrow is drawn. */
export function arrowKindOf(p: LadderPacket): ArrowKind {
  if (p.flags.includes('RST')) return p.verdict === 'forged' ? 'rst-forged' : p.verdict === 'suspect' ? 'rst-suspect' : 'rst';
  return p.len > 0 ? 'data' : 'ctl';
}

/**
 * Clock offsets of capture points (capture → seconds its clock is ahead of the path's first
 * point, `PathReport.points[].offset`): sightings are compared on the first point's clock.
 */
export type ClockOffsets = ReadonlyMap<number, number>;

/** Every sighting of every packet in time order on one clock (ties: capture order, then path order). */
function eventsOf(ladder: Ladder, points: readonly number[], clock: ClockOffsets): LadderEvent[] {
  const events: LadderEvent[] = [];
  ladder.packets.forEach((p, i) => {
    if (points.length === 0) {
      events.push({ packet: i, column: -1, ts: p.ts, anchor: true, y: 0 });
      return;
    }
    const seen = new Set<number>();
    for (const s of [{ capture: p.capture, ts: p.ts }, ...(p.seen_at ?? [])]) {
      const at = points.indexOf(s.capture);
      if (at < 0 || seen.has(at)) continue;
      seen.add(at);
      events.push({ packet: i, column: at + 1, ts: s.ts - (clock.get(s.capture) ?? 0), anchor: s.capture === p.capture, y: 0 });
    }
  });
  return events.sort((a, b) => a.ts - b.ts || a.packet - b.packet || a.column - b.column);
}

/** Pixels per second: the median gap between consecutive events gets BASE_PX. */
export function pixelsPerSecond(times: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const dt = (times[i] as number) - (times[i - 1] as number);
    if (dt > 0) gaps.push(dt);
  }
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1] as number;
  return BASE_PX / median;
}

/** Gives every event its y and collects the bands (silences, and `gaps`: packet index → text of a band after its anchor, -1 for the top). */
function placeEvents(events: LadderEvent[], gaps: ReadonlyMap<number, string>): LadderBand[] {
  const bands: LadderBand[] = [];
  const perSecond = pixelsPerSecond(events.map((e) => e.ts));
  let y = HEADER_HEIGHT + ROW - 10;
  let lastAnchor = Number.NEGATIVE_INFINITY;
  let prev: LadderEvent | null = null;
  const gapBand = (at: number, text: string) => {
    bands.push({ kind: 'gap', y: at + SLANT, height: BAND_HEIGHT, text });
    lastAnchor = at + BAND_HEIGHT;
    y = at + BAND_HEIGHT;
  };
  const top = gaps.get(-1);
  if (top !== undefined) gapBand(HEADER_HEIGHT - SLANT + 2, top);
  // A band goes in once every sighting of the packet it follows is placed: before the first event of a later packet.
  const pending = [...gaps.keys()].filter((k) => k >= 0).sort((a, b) => a - b);
  for (const e of events) {
    while (pending.length > 0 && (pending[0] as number) < e.packet) {
      const after = pending.shift() as number;
      gapBand(Math.max(y, lastAnchor), gaps.get(after) as string);
      prev = null;
    }
    let step = 0;
    if (prev !== null) {
      const scaled = Math.max(0, e.ts - prev.ts) * perSecond;
      if (scaled > SILENCE_AFTER_PX && e.ts - prev.ts >= MIN_SILENCE_S) {
        bands.push({ kind: 'silence', y: y + SLANT, height: BAND_HEIGHT, text: `${durationText(e.ts - prev.ts)} later (compressed)` });
        step = BAND_HEIGHT;
      } else step = Math.min(scaled, SILENCE_AFTER_PX);
    }
    y = e.anchor ? Math.max(y, lastAnchor + ROW) + step : y + step;
    e.y = Math.round(y);
    if (e.anchor) lastAnchor = y;
    prev = e;
  }
  return bands;
}

/**
 * A ladder cut to at most `max` packets (the first and last halves; a reset storm can list
 * thousands of RSTs in one connection), with the bands to draw: packet index → text.
 */
export function trimLadder(ladder: Ladder, max: number): { ladder: Ladder; gaps: Map<number, string> } {
  const gaps = new Map<number, string>();
  const n = ladder.packets.length;
  const keepHead = n > max ? Math.ceil(max / 2) : n;
  const cut = n > max ? n - max : 0;
  const newIndex = (i: number) => (i < keepHead ? i : i - cut);
  if (ladder.gap !== null && ladder.gap.packets > 0) {
    const after = ladder.gap.after;
    // A gap inside the cut part is folded into the cut's band.
    if (after < keepHead || after >= keepHead + cut) gaps.set(after < 0 ? -1 : newIndex(after), `⋮ ${ladder.gap.packets} packet(s) not kept by the tracker ⋮`);
  }
  if (cut === 0) return { ladder, gaps };
  const packets = [...ladder.packets.slice(0, keepHead), ...ladder.packets.slice(keepHead + cut)];
  const notKept = ladder.gap !== null && ladder.gap.after >= keepHead && ladder.gap.after < keepHead + cut ? ladder.gap.packets : 0;
  const text = `⋮ ${cut} packet(s) not drawn${notKept > 0 ? `, ${notKept} not kept by the tracker` : ''} ⋮`;
  gaps.set(keepHead - 1, gaps.has(keepHead - 1) ? `${gaps.get(keepHead - 1)} ${text}` : text);
  return { ladder: { ...ladder, packets }, gaps };
}

/** The arrowhead triangle at `to`, pointing along from → to. */
export function arrowHead(from: Point, to: Point): Point[] {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const bx = to[0] - ux * HEAD_LENGTH;
  const by = to[1] - uy * HEAD_LENGTH;
  return [to, [round1(bx - uy * HEAD_HALF_WIDTH), round1(by + ux * HEAD_HALF_WIDTH)], [round1(bx + uy * HEAD_HALF_WIDTH), round1(by - ux * HEAD_HALF_WIDTH)]];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Tooltip text of a packet: frame, time, window and where else it was seen. */
function tooltipOf(p: LadderPacket, t0: number): string {
  const seen = (p.seen_at ?? []).map((s) => `capture [${s.capture}] frame ${s.frame} at +${(s.ts - t0).toFixed(6)} s, ttl ${s.ttl}`);
  return [`frame ${p.frame} of capture [${p.capture}] at +${(p.ts - t0).toFixed(6)} s`, `win=${p.win}`, ...seen].join('; ');
}

/** The line of one packet across the columns, with its head, birth and loss markers. */
function routeOf(p: LadderPacket, sightings: LadderEvent[], columns: readonly LadderColumn[], anchorY: number) {
  const last = columns.length - 1;
  const fromCol = p.from === 'orig' ? 0 : last;
  const toCol = p.from === 'orig' ? last : 0;
  const x = (c: number) => (columns[c] as LadderColumn).x;
  if (sightings.length === 0 || sightings[0]?.column === -1) {
    const line: Point[] = [
      [x(fromCol), anchorY - SLANT / 2],
      [x(toCol), anchorY + SLANT / 2],
    ];
    return { line, head: arrowHead(line[0] as Point, line[1] as Point), born: null, lost: null };
  }
  const travel = [...sightings].sort((a, b) => (p.from === 'orig' ? a.column - b.column : b.column - a.column));
  const first = travel[0] as LadderEvent;
  const final = travel[travel.length - 1] as LadderEvent;
  const line: Point[] = [];
  // A forged packet starts where it was first seen: nothing shows it left the endpoint it claims.
  const forged = p.verdict === 'forged';
  if (!forged) line.push([x(fromCol), first.y - SLANT]);
  for (const s of travel) line.push([x(s.column), s.y]);
  const born: Point | null = forged ? [x(first.column), first.y] : null;
  const step = p.from === 'orig' ? 1 : -1;
  if (final.column + step === toCol) {
    line.push([x(toCol), final.y + SLANT]);
    return { line, head: arrowHead(line[line.length - 2] as Point, line[line.length - 1] as Point), born, lost: null };
  }
  // The next capture point on its way never saw it: it vanished in between.
  const lost: Point = [(x(final.column) + x(final.column + step)) / 2, final.y + SLANT / 2];
  line.push(lost);
  return { line, head: null, born, lost };
}

/** The y of a polyline at `x` (its first point's y when `x` is outside it): labels sit on their line. */
export function lineYAt(line: readonly Point[], x: number): number {
  for (let i = 1; i < line.length; i++) {
    const [x0, y0] = line[i - 1] as Point;
    const [x1, y1] = line[i] as Point;
    if ((x >= x0 && x <= x1) || (x >= x1 && x <= x0)) return x1 === x0 ? Math.min(y0, y1) : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return line[0]?.[1] ?? 0;
}

/** Packets drawn per ladder at most; the middle of a longer one is a band. */
export const MAX_LADDER_PACKETS = 160;

/** Sampling step (px) of the space already taken, when arrows are placed across capture points. */
const SAMPLE_PX = 2;
/** Least vertical room (px) between an arrow or its label and what is drawn above it. */
export const CLEARANCE = 5;
/** Width of one label character (11 px monospace: 0.6 em) plus the white halo around the text. */
export const LABEL_CHAR_PX = 6.7;
const LABEL_HALO_PX = 2;
/** A label's text box around its baseline (11 px font). */
export const LABEL_ASCENT = 9;
export const LABEL_DESCENT = 3;
/** Least distance between two anchors across capture points (the time and frame texts on the left). */
const ANCHOR_GAP = 15;
/** Least drop of an arrow between two capture points (it arrives after it left). */
const HOP_DROP = 2;

/** The box a label's text covers: [left, top, right, bottom]. */
export function labelBox(label: string, at: Point): [number, number, number, number] {
  const half = (label.length * LABEL_CHAR_PX) / 2 + LABEL_HALO_PX;
  return [at[0] - half, at[1] - LABEL_ASCENT, at[0] + half, at[1] + LABEL_DESCENT];
}

/** Where a label goes on its line: the middle of its span, a little above the line. */
function labelPoint(line: readonly Point[]): Point {
  const xs = line.map((pt) => pt[0]);
  const x = (Math.min(...xs) + Math.max(...xs)) / 2;
  return [x, Math.round(lineYAt(line, x)) - 6];
}

/**
 * Places every packet of a ladder drawn across capture points, one packet after the other, each
 * wholly below the lines and labels already drawn wherever it spans (a skyline sampled every
 * SAMPLE_PX): no arrow crosses another and no label lies over a line. Sightings at different
 * points differ by microseconds, and clock offsets are estimated to a few; ordering every point's
 * sightings by those times drew arrows across one another (issue 16). Within a packet, time still
 * goes down along its way (each hop drops by its scaled duration); the exact times are in each
 * arrow's tooltip. Silences and gaps are bands, as in placeEvents.
 */
function placeAcrossPoints(ladder: Ladder, byPacket: Map<number, LadderEvent[]>, columns: readonly LadderColumn[], gaps: ReadonlyMap<number, string>, perSecond: number): LadderBand[] {
  const bands: LadderBand[] = [];
  const left = (columns[0] as LadderColumn).x;
  const samples = Math.floor(((columns[columns.length - 1] as LadderColumn).x - left) / SAMPLE_PX) + 1;
  const floor = new Float64Array(samples).fill(HEADER_HEIGHT);
  const sampleRange = (x0: number, x1: number) => [Math.max(0, Math.floor((x0 - left) / SAMPLE_PX)), Math.min(samples - 1, Math.ceil((x1 - left) / SAMPLE_PX))] as const;
  const lowest = () => floor.reduce((a, b) => Math.max(a, b), HEADER_HEIGHT);
  const band = (kind: LadderBand['kind'], text: string, at: number) => {
    bands.push({ kind, y: at, height: BAND_HEIGHT, text });
    floor.fill(at + BAND_HEIGHT);
  };
  const top = gaps.get(-1);
  if (top !== undefined) band('gap', top, HEADER_HEIGHT - SLANT + 2);
  let lastTime: number | null = null;
  let lastFirstY = Number.NEGATIVE_INFINITY;
  let lastAnchor = Number.NEGATIVE_INFINITY;
  ladder.packets.forEach((p, i) => {
    const sightings = byPacket.get(i) ?? [];
    const travel = [...sightings].sort((a, b) => (p.from === 'orig' ? a.column - b.column : b.column - a.column));
    // The packet's own shape: 0 at its first sighting, each hop lower by its scaled duration.
    let rel = 0;
    travel.forEach((e, k) => {
      if (k > 0) rel += Math.min(Math.max(HOP_DROP, (e.ts - (travel[k - 1] as LadderEvent).ts) * perSecond), SILENCE_AFTER_PX);
      e.y = rel;
    });
    const first = Math.min(...travel.map((e) => e.ts));
    let step = 0;
    if (lastTime !== null) {
      const dt = first - lastTime;
      if (dt * perSecond > SILENCE_AFTER_PX && dt >= MIN_SILENCE_S) {
        band('silence', `${durationText(dt)} later (compressed)`, Math.max(lowest(), lastFirstY) + SLANT);
        lastFirstY = Number.NEGATIVE_INFINITY;
      } else step = Math.min(Math.max(0, dt) * perSecond, SILENCE_AFTER_PX);
    }
    const anchor = travel.find((e) => e.anchor) ?? travel[0];
    const route = routeOf(p, travel, columns, anchor?.y ?? 0);
    const shape = route.line;
    // A packet lost on its way is placed as if it reached the next column (its drawn half stays inside).
    const last = shape[shape.length - 1] as Point;
    const lostTo = route.lost !== null && shape.length > 1 ? 2 * last[0] - (shape[shape.length - 2] as Point)[0] : null;
    const envelope = lostTo === null ? shape : [...shape.slice(0, -1), [lostTo, last[1] + SLANT / 2] as Point];
    const reach = envelope.map((pt) => pt[0]);
    const labelAt = labelPoint(shape);
    const box = labelBox(arrowLabel(p), labelAt);
    let base = Math.max(lastFirstY + step, lastAnchor + ANCHOR_GAP - (anchor?.y ?? 0), HEADER_HEIGHT + ROW - 10);
    const [l0, l1] = sampleRange(Math.min(...reach), Math.max(...reach));
    for (let k = l0; k <= l1; k++) base = Math.max(base, (floor[k] as number) + CLEARANCE - lineYAt(envelope, left + k * SAMPLE_PX));
    const [b0, b1] = sampleRange(box[0], box[2]);
    for (let k = b0; k <= b1; k++) base = Math.max(base, (floor[k] as number) + CLEARANCE - box[1]);
    base = Math.ceil(base);
    for (const e of travel) e.y = Math.round(base + e.y);
    for (let k = l0; k <= l1; k++) floor[k] = Math.max(floor[k] as number, base + lineYAt(envelope, left + k * SAMPLE_PX));
    for (let k = b0; k <= b1; k++) floor[k] = Math.max(floor[k] as number, base + box[3]);
    lastFirstY = base;
    lastAnchor = anchor?.y ?? lastAnchor;
    lastTime = Math.max(lastTime ?? first, ...travel.map((e) => e.ts));
    const after = gaps.get(i);
    if (after !== undefined) {
      band('gap', after, lowest() + SLANT);
      lastFirstY = Number.NEGATIVE_INFINITY;
    }
  });
  return bands;
}

/** Lays out a ladder. `inputs` names the capture points; `clock` puts their times on one clock. */
export function ladderGeometry(full: Ladder, inputs: readonly InputSummary[] = [], clock: ClockOffsets = new Map(), maxPackets = MAX_LADDER_PACKETS): LadderGeometry {
  const { ladder, gaps } = trimLadder(full, maxPackets);
  const points = pointsOf(ladder);
  const columns = columnsOf(ladder, inputs);
  const events = eventsOf(ladder, points, clock);
  const byPacket = new Map<number, LadderEvent[]>();
  for (const e of events) {
    const list = byPacket.get(e.packet);
    if (list) list.push(e);
    else byPacket.set(e.packet, [e]);
  }
  const bands = points.length === 0 ? placeEvents(events, gaps) : placeAcrossPoints(ladder, byPacket, columns, gaps, pixelsPerSecond(events.map((e) => e.ts)));
  const t0 = ladder.packets[0]?.ts ?? 0;
  const arrows: LadderArrow[] = [];
  let bottom = HEADER_HEIGHT;
  ladder.packets.forEach((p, index) => {
    const sightings = byPacket.get(index) ?? [];
    const anchor = sightings.find((s) => s.anchor) ?? sightings[0];
    const y = anchor?.y ?? bottom + ROW;
    const route = routeOf(p, sightings, columns, y);
    arrows.push({
      index,
      kind: arrowKindOf(p),
      ...route,
      label: arrowLabel(p),
      labelAt: labelPoint(route.line),
      tooltip: tooltipOf(p, t0),
      y,
      timeText: (p.ts - t0).toFixed(6),
      frameText: `#${p.frame}`,
    });
    for (const pt of route.line) bottom = Math.max(bottom, pt[1]);
  });
  for (const b of bands) bottom = Math.max(bottom, b.y + b.height);
  const lastX = (columns[columns.length - 1] as LadderColumn).x;
  return { width: lastX + RIGHT, height: Math.ceil(bottom + FOOT), columns, arrows, bands };
}
