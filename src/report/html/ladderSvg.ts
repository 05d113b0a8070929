/**
 * A ladder's geometry as inline SVG. Looks come from the page's style sheet (classes only, so a
 * ladder costs few bytes and prints in black and white with dashes telling forged from genuine).
 * Every text is escaped: endpoint and file names come from the captures.
 */
import type { Ladder } from '../../model/report.js';
import { escapeHtml } from './escape.js';
import type { LadderGeometry, Point } from './ladderGeometry.js';
import { HEADER_HEIGHT } from './ladderGeometry.js';

function pointsText(points: readonly Point[]): string {
  return points.map((p) => `${p[0]},${p[1]}`).join(' ');
}

/** The SVG element of one ladder; its root carries `data-conn` with the connection id. */
export function ladderSvg(ladder: Ladder, g: LadderGeometry): string {
  const resets = ladder.packets.filter((p) => p.reset !== null).length;
  const title = `Ladder diagram of connection ${ladder.conn}, ${ladder.orig} to ${ladder.resp}: ${ladder.packets.length} packets drawn, ${resets} reset(s)`;
  const out: string[] = [
    `<svg class="ladder" data-conn="${escapeHtml(ladder.conn)}" viewBox="0 0 ${g.width} ${g.height}" width="${g.width}" height="${g.height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text class="th" x="6" y="${HEADER_HEIGHT - 6}">time (s)</text><text class="th fr" x="${(g.columns[0]?.x ?? 0) - 14}" y="${HEADER_HEIGHT - 6}">frame</text>`,
  ];
  for (const c of g.columns) {
    out.push(
      `<text class="ct" x="${c.x}" y="16">${escapeHtml(c.title)}</text><text class="cs" x="${c.x}" y="31">${escapeHtml(c.subtitle)}</text>`,
      `<line class="life${c.kind === 'point' ? ' pt' : ''}" x1="${c.x}" y1="${HEADER_HEIGHT - 8}" x2="${c.x}" y2="${g.height - 4}"/>`,
    );
  }
  const left = (g.columns[0]?.x ?? 0) - 20;
  const right = (g.columns[g.columns.length - 1]?.x ?? 0) + 20;
  for (const b of g.bands) {
    out.push(
      `<g class="band ${b.kind}"><rect x="${left}" y="${b.y}" width="${right - left}" height="${b.height}"/><text x="${(left + right) / 2}" y="${b.y + b.height / 2 + 4}">${escapeHtml(b.text)}</text></g>`,
    );
  }
  for (const a of g.arrows) {
    const parts = [`<g class="pk k-${a.kind}"><title>${escapeHtml(a.tooltip)}</title>`];
    parts.push(`<text class="tm" x="6" y="${a.y + 4}">${a.timeText}</text><text class="fr" x="${(g.columns[0]?.x ?? 0) - 14}" y="${a.y + 4}">${a.frameText}</text>`);
    parts.push(`<polyline points="${pointsText(a.line)}"/>`);
    if (a.head) parts.push(`<polygon points="${pointsText(a.head)}"/>`);
    if (a.born) parts.push(`<circle class="born" cx="${a.born[0]}" cy="${a.born[1]}" r="5"><title>first seen here: forged in the path before this point</title></circle>`);
    if (a.lost) parts.push(`<path class="lost" d="M${a.lost[0] - 4},${a.lost[1] - 4}l8,8m0,-8l-8,8"><title>not seen at the next capture point</title></path>`);
    parts.push(`<text class="lbl" x="${a.labelAt[0]}" y="${a.labelAt[1]}">${escapeHtml(a.label)}</text></g>`);
    out.push(parts.join(''));
  }
  out.push('</svg>');
  return out.join('\n');
}
