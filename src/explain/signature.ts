/**
 * The connection's packet pattern up to the reset, in the notation of passive tampering studies
 * (Sundara Raman et al., "Global, Passive Detection of Connection Tampering", SIGCOMM 2023):
 * the originator's packets before the first RST, collapsed to SYN, ACK (an empty ACK) and PSH
 * (a packet with payload), joined by ";", then "→", then the RSTs that ended it: RST (bare),
 * RST+ACK, and RST0 for a RST whose acknowledgement number is 0.
 * Examples: `SYN→RST+ACK` (closed port), `SYN;ACK→RST`, `PSH→RST;RST0`.
 */
import { TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { FinishedConnection, PacketRecord, RstRecord } from '../track/finished.js';

/** Originator packet kinds kept in the left-hand side; more are summarised by their last kinds. */
const MAX_LEFT = 4;
/** RSTs shown on the right-hand side. */
const MAX_RIGHT = 4;

/** Originator packet kinds as codes (2 bits each): none, SYN, ACK, PSH. */
const KIND_TEXT = ['', 'SYN', 'ACK', 'PSH'] as const;
/** RST kinds as codes (2 bits each): RST (bare), RST+ACK, RST0. */
const RST_TEXT = ['', 'RST', 'RST+ACK', 'RST0'] as const;

function originatorKind(p: PacketRecord): number {
  if ((p.flags & TCP_RST) !== 0) return 0;
  if ((p.flags & TCP_SYN) !== 0) return 1;
  if (p.payloadLen > 0) return 3;
  if ((p.flags & TCP_ACK) !== 0) return 2;
  return 0;
}

function rstKind(r: { flags: number; ack: number }): number {
  if ((r.flags & TCP_ACK) !== 0) return r.ack === 0 ? 3 : 2;
  return r.ack === 0 ? 3 : 1;
}

/**
 * Each signature's text, by its code: a flood of millions of resets has a handful of distinct
 * signatures, so the text is built once each instead of from arrays and joins per reset.
 */
const signatureTexts = new Map<number, string>();

/** The signature of the connection up to (and including the burst of) the given RST. */
export function signatureOf(conn: FinishedConnection, rst: RstRecord): string {
  const first = conn.resets[0] ?? rst;
  // The originator's kinds: the last MAX_LEFT (2 bits each, newest lowest) and how many in all.
  let left = 0;
  let leftCount = 0;
  let lastKind = 0;
  for (const p of conn.packets) {
    if (p.frame >= first.frame) break;
    if (p.direction !== 'orig') continue;
    const kind = originatorKind(p);
    // Repeated kinds collapse (a run of data packets is one PSH; SYN retransmissions one SYN).
    if (kind !== 0 && kind !== lastKind) {
      left = ((left << 2) | kind) & ((1 << (2 * MAX_LEFT)) - 1);
      leftCount++;
      lastKind = kind;
    }
  }
  // The burst: the first MAX_RIGHT RSTs within 2 s of the first, up to this one (or this one alone).
  let right = 0;
  let rightCount = 0;
  const lastFrame = Math.max(rst.frame, first.frame);
  for (const r of conn.resets) {
    if (rightCount === MAX_RIGHT) break;
    if (r.ts - first.ts <= 2 && r.frame <= lastFrame) {
      right = (right << 2) | rstKind(r);
      rightCount++;
    }
  }
  if (rightCount === 0) {
    right = rstKind(rst);
    rightCount = 1;
  }
  const shown = Math.min(leftCount, MAX_LEFT);
  const code = ((((((leftCount > MAX_LEFT ? 1 : 0) << 3) | shown) << 8) | left) << 3 | rightCount) * 256 + right;
  let text = signatureTexts.get(code);
  if (text === undefined) {
    text = signatureText(leftCount > MAX_LEFT, shown, left, rightCount, right);
    signatureTexts.set(code, text);
  }
  return text;
}

/** The text of a signature code: the left kinds (oldest first, "…" before when some were cut), "→", the RSTs. */
function signatureText(cut: boolean, leftCount: number, left: number, rightCount: number, right: number): string {
  const lhs: string[] = cut ? ['…'] : [];
  for (let i = leftCount - 1; i >= 0; i--) lhs.push(KIND_TEXT[(left >> (2 * i)) & 3] as string);
  const rhs: string[] = [];
  for (let i = rightCount - 1; i >= 0; i--) rhs.push(RST_TEXT[(right >> (2 * i)) & 3] as string);
  return `${lhs.length > 0 ? lhs.join(';') : '∅'}→${rhs.join(';')}`;
}

/**
 * Cloudflare Radar's tampering category of a connection that ended in RSTs: `post_syn` (after
 * only a SYN), `post_ack` (after the handshake's ACK, no data), `post_psh` (after the first data
 * packet), `later_in_flow` (after more than that).
 */
export function radarCategoryOf(conn: FinishedConnection): 'post_syn' | 'post_ack' | 'post_psh' | 'later_in_flow' | null {
  const first = conn.resets[0];
  if (!first) return null;
  let syn = false;
  let ack = false;
  let dataPackets = 0;
  for (const p of conn.packets) {
    if (p.frame >= first.frame) break;
    if (p.direction !== 'orig') continue;
    if ((p.flags & TCP_SYN) !== 0) syn = true;
    else if (p.payloadLen > 0) dataPackets++;
    else if ((p.flags & TCP_ACK) !== 0) ack = true;
  }
  if (dataPackets > 1 || (dataPackets > 0 && first.context.pktsBefore.orig > (syn ? 3 : 2))) return 'later_in_flow';
  if (dataPackets === 1) return 'post_psh';
  if (ack) return 'post_ack';
  if (syn) return 'post_syn';
  return 'later_in_flow';
}
