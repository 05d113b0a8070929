/**
 * A ladder (sequence) diagram for the terminal, as the article's figures draw a connection: the
 * two endpoints as columns, time going down, one arrow per packet labelled with its flags,
 * relative seq/ack, length and TTL, the resets highlighted (forged ones marked), long silences
 * and packets not shown as separator rows. Renders a Ladder only.
 */
import type { Ladder, LadderPacket, Reset } from '../model/report.js';
import type { Style } from './style.js';
import { durationText } from './text.js';

/** Options of the terminal ladder. */
export interface LadderTextOptions {
  /** Width of the arrow between the two endpoint bars (default 64). */
  arrowWidth?: number;
  /** A silence at least this long (seconds) gets its own row (default 1). */
  silence?: number;
  /** Further rows of packets not shown, besides `ladder.gap` (after entry `after`, `packets` of them). */
  gaps?: readonly { after: number; packets: number }[];
}

/** The label on a packet's arrow: "SYN,ACK seq=0 ack=1 len=0 ttl=64". */
export function arrowLabel(p: LadderPacket): string {
  const parts = [p.flags.length > 0 ? p.flags.join(',') : 'none'];
  if (p.seq !== null) parts.push(`seq=${p.seq}`);
  if (p.ack !== null) parts.push(`ack=${p.ack}`);
  parts.push(`len=${p.len}`, `ttl=${p.ttl}`);
  if (p.flags.includes('RST') || p.flags.includes('SYN')) parts.push(`win=${p.win}`);
  return parts.join(' ');
}

/** An arrow of `width` characters with the label in it, pointing right (orig → resp) or left. */
export function arrow(label: string, width: number, towardsRight: boolean, heavy: boolean): string {
  const line = heavy ? '━' : '─';
  const text = ` ${label} `;
  const room = width - 2; // the two ends
  const body = text.length >= room ? text.slice(0, room) : text;
  const left = Math.max(1, Math.floor((room - body.length) / 2));
  const right = Math.max(0, room - body.length - left);
  const fill = (n: number) => line.repeat(Math.max(0, n));
  return towardsRight ? `${line}${fill(left - 1)}${body}${fill(right)}${line}▶` : `◀${line}${fill(left - 1)}${body}${fill(right)}${line}`;
}

/** Relative time "+12.345678" since the first packet. */
function relTime(ts: number, t0: number): string {
  return `+${(ts - t0).toFixed(6)}`;
}

/** The ladder as lines of text (with `style` colours for resets). */
export function ladderText(ladder: Ladder, resets: ReadonlyMap<string, Reset>, style: Style, options: LadderTextOptions = {}): string[] {
  const width = options.arrowWidth ?? 64;
  const silence = options.silence ?? 1;
  const packets = ladder.packets;
  const t0 = packets[0]?.ts ?? 0;
  const frameWidth = Math.max(5, ...packets.map((p) => String(p.frame).length));
  const timeWidth = Math.max(10, ...packets.map((p) => relTime(p.ts, t0).length));
  const lead = ' '.repeat(frameWidth + 2 + timeWidth + 2);
  const lines: string[] = [];
  const left = ladder.orig;
  const right = ladder.resp;
  lines.push(style.bold(`${'frame'.padStart(frameWidth)}  ${'time'.padEnd(timeWidth)}  ${left.padEnd(width + 1 - right.length)}${right}`));
  lines.push(`${lead}│${' '.repeat(width)}│`);
  const gaps = new Map<number, number>();
  for (const g of [...(ladder.gap ? [ladder.gap] : []), ...(options.gaps ?? [])]) gaps.set(g.after, (gaps.get(g.after) ?? 0) + g.packets);
  let prevTs: number | null = null;
  packets.forEach((p, i) => {
    if (prevTs !== null && p.ts - prevTs >= silence) {
      lines.push(style.dim(`${lead}┆${` ${durationText(p.ts - prevTs)} of silence `.padStart(Math.floor(width / 2) + 8).padEnd(width)}┆`));
    } else if (prevTs !== null && p.ts < prevTs) {
      // A packet stamped before the one above it (the capture clock stepped back): said, not hidden.
      lines.push(style.yellow(`${lead}┆${` clock stepped back ${durationText(prevTs - p.ts)} `.padStart(Math.floor(width / 2) + 8).padEnd(width)}┆`));
    }
    prevTs = p.ts;
    const reset = p.reset === null ? undefined : resets.get(p.reset);
    const isRst = p.flags.includes('RST');
    let label = arrowLabel(p);
    if (reset) label += `  ${reset.id}${reset.verdict === 'forged' ? ' FORGED' : reset.verdict === 'suspect' ? ' suspect' : ''}`;
    const body = arrow(label, width, p.from === 'orig', isRst);
    let row = `${String(p.frame).padStart(frameWidth)}  ${relTime(p.ts, t0).padEnd(timeWidth)}  │${body}│`;
    if (isRst) row = reset?.verdict === 'forged' ? style.red(style.bold(row)) : reset?.verdict === 'suspect' ? style.yellow(style.bold(row)) : style.bold(row);
    lines.push(row);
    const hidden = gaps.get(i);
    if (hidden !== undefined && hidden > 0) {
      lines.push(style.dim(`${lead}┆${` … ${hidden} packet${hidden === 1 ? '' : 's'} not shown … `.padStart(Math.floor(width / 2) + 14).padEnd(width)}┆`));
      prevTs = null;
    }
  });
  lines.push(`${lead}│${' '.repeat(width)}│`);
  return lines;
}
