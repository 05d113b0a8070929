import type { Ladder, Reset } from '../../model/report.js';
/**
 * "TTL per source" for resets that look forged or suspect: for each claimed sender, the TTLs of
 * its forged/suspect RSTs against the TTLs the same sender used in its ordinary packets of those
 * connections (from the ladders), with the hop distance each implies. A device in the path
 * forging a reset rarely sits as many hops away as the endpoint it impersonates (the article's
 * Figure 8), so the marks fall apart on the TTL axis. Memory: at most MAX_SOURCES × 2 histograms.
 */
import { hopsOf } from '../../net/ttl.js';
import { escapeHtml } from './escape.js';

/** Claimed senders tracked (the chart shows the top CHART_ROWS of them). */
export const MAX_SOURCES = 2000;
/** Rows of the chart. */
export const CHART_ROWS = 12;

interface SourceTtls {
  forged: Uint32Array;
  suspect: Uint32Array;
  normal: Uint32Array;
  flagged: number;
}

/** The address part of "addr:port" or "[v6]:port". */
export function hostOfEndpoint(endpoint: string): string {
  if (endpoint.startsWith('[')) return endpoint.slice(1, endpoint.indexOf(']'));
  const colon = endpoint.lastIndexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/** The most frequent TTL of a histogram, or -1 when it is empty. */
export function modeOf(hist: Uint32Array): number {
  let best = -1;
  let n = 0;
  for (let t = 0; t < hist.length; t++) {
    if ((hist[t] ?? 0) > n) {
      n = hist[t] ?? 0;
      best = t;
    }
  }
  return best;
}

/** "1 hop", "5 hops": the distance an observed TTL implies. */
function hopsText(ttl: number): string {
  const h = hopsOf(ttl);
  return h === 1 ? '1 hop' : `${h} hops`;
}

const W = 920;
const ROW_H = 30;
const LABEL_W = 220;
const NOTE_W = 270;

/** TTLs per claimed sender of forged and suspect resets. */
export class SpoofTtlChart {
  private readonly sources = new Map<string, SourceTtls>();
  /** Forged or suspect resets whose sender was not tracked (past MAX_SOURCES). */
  untracked = 0;

  /** Counts a reset's TTL when it is forged or suspect. */
  addReset(r: Reset): void {
    this.addResetFields(r.verdict, r.src, r.ttl);
  }

  /** addReset from the reset's verdict, source and TTL. */
  addResetFields(verdict: string | null, src: string, ttl: number): void {
    if (verdict !== 'forged' && verdict !== 'suspect') return;
    let s = this.sources.get(src);
    if (!s) {
      if (this.sources.size >= MAX_SOURCES) {
        this.untracked++;
        return;
      }
      s = { forged: new Uint32Array(256), suspect: new Uint32Array(256), normal: new Uint32Array(256), flagged: 0 };
      this.sources.set(src, s);
    }
    const hist = verdict === 'forged' ? s.forged : s.suspect;
    hist[ttl & 255] = (hist[ttl & 255] ?? 0) + 1;
    s.flagged++;
  }

  /** Whether a ladder (as JSON text) may hold a forged or suspect RST: a cheap test before parsing it. */
  static mayConcern(ladderJson: string): boolean {
    return ladderJson.includes('"verdict":"forged"') || ladderJson.includes('"verdict":"suspect"');
  }

  /** Counts the ordinary (non-RST) packets' TTLs of each side that a forged or suspect RST claims. */
  addLadder(ladder: Ladder): void {
    const sides = new Set<'orig' | 'resp'>();
    for (const p of ladder.packets) if (p.reset !== null && (p.verdict === 'forged' || p.verdict === 'suspect')) sides.add(p.from);
    for (const side of sides) {
      const s = this.sources.get(hostOfEndpoint(ladder[side]));
      if (!s) continue;
      for (const p of ladder.packets) {
        if (p.from === side && !p.flags.includes('RST')) s.normal[p.ttl & 255] = (s.normal[p.ttl & 255] ?? 0) + 1;
      }
    }
  }

  /** Sources by flagged resets, most first. */
  rows(): { source: string; ttls: SourceTtls }[] {
    return [...this.sources.entries()].map(([source, ttls]) => ({ source, ttls })).sort((a, b) => b.ttls.flagged - a.ttls.flagged || (a.source < b.source ? -1 : 1));
  }

  /** The chart, or a sentence when no reset looks forged or suspect. */
  html(): string {
    const all = this.rows();
    if (all.length === 0) return '<p>No reset looks forged or suspect.</p>';
    const rows = all.slice(0, CHART_ROWS);
    let lo = 255;
    let hi = 0;
    for (const { ttls } of rows) {
      for (let t = 0; t < 256; t++) {
        if ((ttls.forged[t] ?? 0) + (ttls.suspect[t] ?? 0) + (ttls.normal[t] ?? 0) > 0) {
          lo = Math.min(lo, t);
          hi = Math.max(hi, t);
        }
      }
    }
    lo = Math.max(0, lo - 6);
    hi = Math.min(255, hi + 6);
    const x0 = LABEL_W;
    const x1 = W - NOTE_W;
    const x = (t: number) => Math.round((x0 + ((t - lo) / Math.max(1, hi - lo)) * (x1 - x0)) * 10) / 10;
    const H = 30 + rows.length * ROW_H + 44;
    const label = `TTL of forged and suspect resets against the TTL of the same sender's other packets, for ${rows.length} of ${all.length} claimed sender(s)`;
    const out = [`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>`];
    out.push(`<text x="8" y="16" font-weight="600">claimed sender</text><text x="${x1 + 12}" y="16" font-weight="600">most common TTL (hops away)</text>`);
    rows.forEach(({ source, ttls }, i) => {
      const cy = 30 + i * ROW_H + ROW_H / 2;
      const shown = source.length > 30 ? `${source.slice(0, 29)}…` : source;
      out.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${cy}" y2="${cy}"/><text x="8" y="${cy + 4}"><title>${escapeHtml(source)}</title>${escapeHtml(shown)}</text>`);
      for (let t = 0; t < 256; t++) {
        const n = ttls.normal[t] ?? 0;
        if (n > 0) out.push(`<circle class="ttl-normal" cx="${x(t)}" cy="${cy}" r="${Math.min(9, 3 + Math.log2(n))}"><title>${n} ordinary packet(s) with TTL ${t} (${hopsText(t)})</title></circle>`);
      }
      for (const [verdict, hist] of [
        ['suspect', ttls.suspect],
        ['forged', ttls.forged],
      ] as const) {
        for (let t = 0; t < 256; t++) {
          const n = hist[t] ?? 0;
          if (n === 0) continue;
          const d = 6;
          const mark = verdict === 'forged' ? `M${x(t) - d},${cy - d}l${2 * d},${2 * d}m0,${-2 * d}l${-2 * d},${2 * d}` : `M${x(t) - d},${cy}h${2 * d}m${-d},${-d}v${2 * d}`;
          out.push(`<path class="ttl-${verdict}" d="${mark}"><title>${n} ${verdict} RST(s) with TTL ${t} (${hopsText(t)})</title></path>`);
        }
      }
      const normal = modeOf(ttls.normal);
      const rst = modeOf(ttls.forged.some((n) => n > 0) ? ttls.forged : ttls.suspect);
      const note = `${normal < 0 ? 'no other packets' : `packets ${normal} (${hopsOf(normal)})`} · RST ${rst} (${hopsOf(rst)})`;
      out.push(`<text x="${x1 + 12}" y="${cy + 4}">${escapeHtml(note)}</text>`);
    });
    const axisY = 30 + rows.length * ROW_H + 4;
    out.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${axisY}" y2="${axisY}"/>`);
    const step = hi - lo > 120 ? 32 : hi - lo > 40 ? 10 : hi - lo > 16 ? 4 : 1;
    const ticks: number[] = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
    // 255 is where network devices start: worth a tick of its own.
    if (hi === 255 && (ticks[ticks.length - 1] ?? 0) < 255 - step / 2) ticks.push(255);
    for (const t of ticks) {
      out.push(`<line class="axis" x1="${x(t)}" x2="${x(t)}" y1="${axisY}" y2="${axisY + 4}"/><text x="${x(t)}" y="${axisY + 16}" text-anchor="middle">${t}</text>`);
    }
    out.push(`<text x="${(x0 + x1) / 2}" y="${H - 2}" text-anchor="middle">IP TTL / IPv6 hop limit as captured</text></svg>`);
    const more = all.length > rows.length ? ` ${all.length - rows.length} more sender(s) not drawn.` : '';
    const untracked = this.untracked > 0 ? ` ${this.untracked} forged or suspect reset(s) from further senders were not tracked.` : '';
    return `<figure>${out.join('')}<ul class="legend"><li>● ordinary packets of the sender (size: count)</li><li><span class="v-forged">×</span> forged RST</li><li><span class="v-suspect">+</span> suspect RST</li></ul><figcaption>${escapeHtml(label)}.${more}${untracked}</figcaption></figure>`;
  }
}
