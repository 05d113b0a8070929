/**
 * One connection that reset: its ladder diagram beside the reasoning for each of its resets
 * (stage, cause, verdict, origin, confidence, signature, reason text, evidence, hint).
 */
import type { InputSummary, Ladder, Reset } from '../../model/report.js';
import { underParents } from '../consequences.js';
import { kernelFindingText } from '../kernelText.js';
import { escapeHtml } from './escape.js';
import { type ClockOffsets, ladderGeometry } from './ladderGeometry.js';
import { ladderSvg } from './ladderSvg.js';
import { utcText } from './timeText.js';

/** Resets of one connection explained beside its ladder; the rest are in the table. */
export const RESETS_EXPLAINED_PER_CONNECTION = 6;

/** The id of a connection's section (the table's rows link to it). */
export function connectionAnchor(conn: string): string {
  return `conn-${conn}`;
}

/** The reasoning for one reset; `sameHint` (an earlier reset of the connection with the same hint) shortens the hint. */
export function resetReasonHtml(r: Reset, t0: number, sameHint: Reset | null = null): string {
  const e = escapeHtml;
  const facts: [string, string][] = [
    ['stage', r.stage ?? '-'],
    ['cause', r.cause ?? '-'],
    ['verdict', r.verdict ?? '-'],
    ['origin', r.origin ?? '-'],
    ['confidence', r.confidence === null ? '-' : r.confidence.toFixed(2)],
    ['signature', r.signature ?? '-'],
    ['sent', `${r.from ?? '?'} side, flags ${r.flags.join(',')}, TTL ${r.ttl}${r.ip_id === null ? '' : `, IP ID ${r.ip_id}`}, win ${r.win}, ${r.payload_len} byte(s) of payload`],
  ];
  const dl = facts.map(([k, v]) => `<dt>${k}</dt><dd${k === 'verdict' ? ` class="v-${e(v)}"` : ''}>${k === 'signature' ? `<code>${e(v)}</code>` : e(v)}</dd>`).join('');
  const parts = [
    `<section${r.parent ? ' class="consequence"' : ''}><h4>${e(r.id)} · frame ${r.frame} · +${(r.ts - t0).toFixed(6)} s <span class="muted">(${e(utcText(r.ts))} UTC)</span></h4>`,
    `<dl class="facts">${dl}</dl>`,
  ];
  if (r.reason_text !== null && r.reason_text !== '') parts.push(`<p class="reason"><strong>Reason text in the RST:</strong> <q class="mono">${e(r.reason_text)}</q></p>`);
  if (r.mptcp_reason !== null) parts.push(`<p class="reason"><strong>MP_TCPRST:</strong> ${e(r.mptcp_reason.name)} (code ${r.mptcp_reason.code}, flags ${r.mptcp_reason.flags})</p>`);
  if (r.kernel !== undefined) parts.push(`<p class="reason"><strong>Kernel:</strong> ${e(kernelFindingText(r.kernel))}</p>`);
  if (r.parent) parts.push(`<p class="reason"><strong>Follows ${e(r.parent.id)}</strong> (frame ${r.parent.frame}): a consequence of that reset, shown under it.</p>`);
  if (r.born) parts.push(`<p class="reason"><strong>Born:</strong> ${e(r.born.text)}</p>`);
  if (r.seen_at && r.seen_at.length > 0) {
    const seen = r.seen_at.map((s) => `capture [${s.capture}] frame ${s.frame} (TTL ${s.ttl})`).join(', ');
    parts.push(`<p class="muted">Seen at ${seen}.</p>`);
  }
  if (r.evidence.length > 0) parts.push(`<ul class="ev">${r.evidence.map((ev) => `<li><code>${e(ev.code)}</code> ${e(ev.detail)}</li>`).join('')}</ul>`);
  if (r.hint !== null) parts.push(`<p class="hint"><strong>Check next:</strong> ${sameHint !== null ? `as for ${e(sameHint.id)}.` : e(r.hint)}</p>`);
  parts.push('</section>');
  return parts.join('');
}

/** The section of one connection: heading, ladder, reasoning. `clock` relates capture points' clocks (correlation). */
export function connectionSectionHtml(ladder: Ladder, resets: readonly Reset[], inputs: readonly InputSummary[], clock: ClockOffsets = new Map()): string {
  const e = escapeHtml;
  const t0 = ladder.packets[0]?.ts ?? resets[0]?.ts ?? 0;
  const causes = [...new Set(resets.map((r) => r.cause ?? 'unexplained'))];
  const verdicts = [...new Set(resets.map((r) => r.verdict ?? '-'))];
  const badges = causes.map((c) => `<span class="badge">${e(c)}</span>`).join(', ');
  const verdictText = verdicts.map((v) => `<span class="v-${e(v)}">${e(v)}</span>`).join(', ');
  const input = inputs[ladder.capture];
  const shown = underParents(resets).slice(0, RESETS_EXPLAINED_PER_CONNECTION);
  const more = resets.length - shown.length;
  const reasons = shown.map((r, i) => resetReasonHtml(r, t0, shown.slice(0, i).find((x) => x.hint === r.hint) ?? null)).join('');
  const missing = resets.length === 0 ? '<p class="muted">The resets of this connection were not found in the findings.</p>' : '';
  const moreText = more > 0 ? `<p class="muted">${more} more reset(s) of this connection are in the table.</p>` : '';
  return [
    `<article class="conn" id="${e(connectionAnchor(ladder.conn))}" tabindex="-1">`,
    `<h3><a href="#${e(connectionAnchor(ladder.conn))}">${e(ladder.conn)}</a> <span class="mono">${e(ladder.orig)} → ${e(ladder.resp)}</span> — ${badges} — ${verdictText}</h3>`,
    `<p class="muted">capture [${ladder.capture}]${input ? ` ${e(input.path)}` : ''} · ${ladder.packets.length} packet(s) drawn · first at ${e(utcText(t0))} UTC</p>`,
    `<div class="pair"><div class="fig">${ladderSvg(ladder, ladderGeometry(ladder, inputs, clock))}</div><div class="why">${reasons}${moreText}${missing}</div></div>`,
    '</article>',
  ].join('\n');
}
