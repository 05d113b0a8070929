/**
 * The flows whose every packet correlation follows across points, for the ladders of the
 * connections that reset (one column per capture point): the directed flow hashes of both
 * directions of each reset's 4-tuple, computed as fingerprint.ts computes them from a packet.
 */
import { DecodedPacket } from '../decode/packet.js';
import { dottedQuadNumber } from '../net/ipv4Text.js';
import { ipv6Groups } from '../net/ipv6Text.js';
import { Fingerprint, fingerprintPacket } from './fingerprint.js';

/** The eight 16-bit groups of an IPv6 address being read (ipv6Groups). */
const GROUPS = new Int32Array(8);

/** IPv6 text (net/ipv6Text's reading) into four 32-bit words, as the decoder holds them; false if it is not one. */
function ipv6Words(text: string, out: Uint32Array): boolean {
  if (!ipv6Groups(text, GROUPS)) return false;
  for (let i = 0; i < 4; i++) out[i] = (((GROUPS[2 * i] as number) << 16) | (GROUPS[2 * i + 1] as number)) >>> 0;
  return true;
}

/** One endpoint pair as a report names it. */
export interface FourTuple {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/** The directed flow hashes (both directions) of every 4-tuple in `tuples`; unparsable addresses are skipped. */
export function flowInterest(tuples: Iterable<FourTuple>): Set<number> {
  const pkt = new DecodedPacket();
  const fp = new Fingerprint();
  const none = new Uint8Array(0);
  const flows = new Set<number>();
  const add = (src: string, sport: number, dst: string, dport: number): void => {
    pkt.reset(0);
    const s4 = dottedQuadNumber(src);
    const d4 = dottedQuadNumber(dst);
    if (s4 >= 0 && d4 >= 0) {
      pkt.ipVersion = 4;
      pkt.src4 = s4;
      pkt.dst4 = d4;
    } else if (ipv6Words(src, pkt.src6) && ipv6Words(dst, pkt.dst6)) pkt.ipVersion = 6;
    else return;
    pkt.sport = sport;
    pkt.dport = dport;
    fingerprintPacket(pkt, none, fp);
    flows.add(fp.flow);
  };
  for (const t of tuples) {
    add(t.src, t.sport, t.dst, t.dport);
    add(t.dst, t.dport, t.src, t.sport);
  }
  return flows;
}
