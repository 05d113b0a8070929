/**
 * The flows whose every packet correlation follows across points, for the ladders of the
 * connections that reset (one column per capture point): the directed flow hashes of both
 * directions of each reset's 4-tuple, computed as fingerprint.ts computes them from a packet.
 */
import { DecodedPacket } from '../decode/packet.js';
import { Fingerprint, fingerprintPacket } from './fingerprint.js';

/** IPv4 text to its 32-bit number, or null. */
function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** IPv6 text (RFC 4291 §2.2: "::" compression, an embedded IPv4 tail) into four 32-bit words; false if malformed. */
export function parseIpv6(text: string, out: Uint32Array): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out16: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out16.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out16.push(Number.parseInt(p, 16));
      else return null;
    }
    return out16;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === null || tail === null) return false;
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return false;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let i = 0; i < 4; i++) out[i] = (((all[2 * i] as number) << 16) | (all[2 * i + 1] as number)) >>> 0;
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
    const s4 = parseIpv4(src);
    const d4 = parseIpv4(dst);
    if (s4 !== null && d4 !== null) {
      pkt.ipVersion = 4;
      pkt.src4 = s4;
      pkt.dst4 = d4;
    } else if (parseIpv6(src, pkt.src6) && parseIpv6(dst, pkt.dst6)) pkt.ipVersion = 6;
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
