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

function originatorKind(p: PacketRecord): string | null {
  if ((p.flags & TCP_RST) !== 0) return null;
  if ((p.flags & TCP_SYN) !== 0) return 'SYN';
  if (p.payloadLen > 0) return 'PSH';
  if ((p.flags & TCP_ACK) !== 0) return 'ACK';
  return null;
}

function rstKind(r: { flags: number; ack: number }): string {
  if ((r.flags & TCP_ACK) !== 0) return r.ack === 0 ? 'RST0' : 'RST+ACK';
  return r.ack === 0 ? 'RST0' : 'RST';
}

/** The signature of the connection up to (and including the burst of) the given RST. */
export function signatureOf(conn: FinishedConnection, rst: RstRecord): string {
  const first = conn.resets[0] ?? rst;
  const left: string[] = [];
  for (const p of conn.packets) {
    if (p.frame >= first.frame) break;
    if (p.direction !== 'orig') continue;
    const kind = originatorKind(p);
    // Repeated kinds collapse (a run of data packets is one PSH; SYN retransmissions one SYN).
    if (kind !== null && left[left.length - 1] !== kind) left.push(kind);
  }
  const shownLeft = left.length > MAX_LEFT ? ['…', ...left.slice(-MAX_LEFT)] : left;
  const burst = conn.resets.filter((r) => r.ts - first.ts <= 2 && r.frame <= Math.max(rst.frame, first.frame)).slice(0, MAX_RIGHT);
  const right = (burst.length > 0 ? burst : [rst]).map(rstKind);
  return `${shownLeft.length > 0 ? shownLeft.join(';') : '∅'}→${right.join(';')}`;
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
