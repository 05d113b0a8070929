import { isoDate } from '../isoDate.js';
/**
 * "Resets over time, stacked by cause": resets counted into a fixed number of time bars while
 * the resets spool streams by (memory: bars × causes), then drawn as an SVG bar chart with a
 * legend and a tooltip per bar segment.
 */
import { causeColour } from './causeColours.js';
import { escapeHtml } from './escape.js';
import { durationText } from './timeText.js';

/** Most bars in the chart. */
export const MAX_BARS = 60;

/** Bar widths in seconds, smallest first: steps a reader can count in. */
const NICE_STEPS = [
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
  1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/** The smallest nice bar width that fits `span` seconds into at most `maxBars` bars. */
export function barWidthFor(span: number, maxBars = MAX_BARS): number {
  const want = span / maxBars;
  for (const step of NICE_STEPS) if (step >= want) return step;
  return Math.ceil(want / 86400) * 86400;
}

const W = 920;
const H = 270;
const PAD = { left: 52, right: 12, top: 12, bottom: 44 };

/** Resets per time bar and cause. */
export class ResetTimeChart {
  readonly start: number;
  readonly barWidth: number;
  readonly bars: number;
  private readonly counts = new Map<string, Float64Array>();
  total = 0;

  constructor(first: number, last: number, maxBars = MAX_BARS) {
    this.barWidth = barWidthFor(Math.max(0, last - first), maxBars);
    this.start = Math.floor(first / this.barWidth) * this.barWidth;
    this.bars = Math.max(1, Math.min(maxBars + 1, Math.floor((last - this.start) / this.barWidth) + 1));
  }

  /** Counts one reset. */
  add(ts: number, cause: string | null): void {
    const key = cause ?? 'unexplained';
    let row = this.counts.get(key);
    if (!row) {
      row = new Float64Array(this.bars);
      this.counts.set(key, row);
    }
    const bar = Math.min(this.bars - 1, Math.max(0, Math.floor((ts - this.start) / this.barWidth)));
    row[bar] = (row[bar] ?? 0) + 1;
    this.total++;
  }

  /** Causes by total, largest first, with their per-bar counts. */
  series(): { cause: string; total: number; counts: Float64Array }[] {
    return [...this.counts.entries()]
      .map(([cause, counts]) => ({ cause, total: counts.reduce((a, b) => a + b, 0), counts }))
      .sort((a, b) => b.total - a.total || (a.cause < b.cause ? -1 : 1));
  }

  /** The time label of a bar's start: more digits for narrow bars. */
  private tickText(t: number): string {
    const iso = isoDate(Math.round(t * 1000));
    if (this.barWidth >= 86400) return iso.slice(0, 10);
    if (this.barWidth >= 60) return iso.slice(11, 16);
    if (this.barWidth >= 1) return iso.slice(11, 19);
    if (this.barWidth >= 1e-3) return iso.slice(14, 23);
    return `+${((t - this.start) * 1e6).toFixed(0)} µs`;
  }

  /** The chart as SVG plus legend, or a sentence when there is nothing to draw. */
  html(): string {
    if (this.total === 0) return '<p>No resets to chart.</p>';
    const series = this.series();
    const sums = new Float64Array(this.bars);
    for (const s of series) for (let i = 0; i < this.bars; i++) sums[i] = (sums[i] ?? 0) + (s.counts[i] ?? 0);
    const peak = Math.max(...sums);
    const yMax = niceCeiling(peak);
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const barW = plotW / this.bars;
    const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
    const first = isoDate(this.start * 1000).replace('T', ' ').slice(0, 19);
    const label = `Resets over time by cause: ${this.total} resets from ${first} UTC, bars of ${durationText(this.barWidth)}, at most ${peak} in one bar`;
    const out = [`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>`];
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}"/><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmtCount(v)}</text>`);
    }
    const base = new Float64Array(this.bars);
    for (const s of series) {
      const colour = causeColour(s.cause);
      for (let i = 0; i < this.bars; i++) {
        const n = s.counts[i] ?? 0;
        if (n === 0) continue;
        const top = y((base[i] ?? 0) + n);
        const h = y(base[i] ?? 0) - top;
        const t0 = this.start + i * this.barWidth;
        const tip = `${s.cause}: ${n} reset(s) from ${this.tickText(t0)} for ${durationText(this.barWidth)}`;
        out.push(
          `<rect x="${r1(PAD.left + i * barW + 0.5)}" y="${r1(top)}" width="${r1(Math.max(1, barW - 1))}" height="${r1(Math.max(0.5, h))}" fill="${colour}"><title>${escapeHtml(tip)}</title></rect>`,
        );
        base[i] = (base[i] ?? 0) + n;
      }
    }
    out.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}"/>`);
    const every = Math.max(1, Math.ceil(this.bars / 8));
    for (let i = 0; i < this.bars; i += every) {
      const x = PAD.left + i * barW;
      out.push(`<line class="axis" x1="${r1(x)}" x2="${r1(x)}" y1="${y(0)}" y2="${y(0) + 5}"/><text x="${r1(x)}" y="${y(0) + 18}" text-anchor="middle">${escapeHtml(this.tickText(this.start + i * this.barWidth))}</text>`);
    }
    out.push(`<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">time (UTC), bars of ${escapeHtml(durationText(this.barWidth))}</text></svg>`);
    const legend = series.map((s) => `<li><span class="sw" style="background:${causeColour(s.cause)}"></span>${escapeHtml(s.cause)} (${s.total})</li>`);
    return `<figure>${out.join('')}<ul class="legend">${legend.join('')}</ul><figcaption>${escapeHtml(label)}.</figcaption></figure>`;
  }
}

function r1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A round number at or above `v` with four even ticks: 1, 2, 4, 5, 8, 10, 20, 40, 50, … */
export function niceCeiling(v: number): number {
  if (v <= 4) return 4;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}

function fmtCount(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
