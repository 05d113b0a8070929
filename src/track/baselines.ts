/**
 * What explain compares a RST against, gathered per packet without allocating: each side's TTL
 * values (up to four distinct, with counts) and IP ID behaviour, the handshake's timing at the
 * capture point, and the largest idle gap. Not Zeek's: Zeek has no forgery analysis; the TTL and
 * IP ID tests follow the injected-RST literature cited in explain/forgery.ts.
 */
import type { CaptureRecord } from '../capture/record.js';
import { type DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { initialTtlOf } from '../net/ttl.js';
import type { IpIdBehaviour, TtlBaseline } from './finished.js';
import { REC_PINNED, REC_RESP, allocRecord, writeRecord } from './recordPool.js';
import { F_SAW_HSACK, F_SAW_SYN, F_SAW_SYNACK, F_SYN_BY_RESP, F_V6, type TrackState } from './state.js';

/** Per-packet statistics for explain, for a packet sent by endpoint `e`: TTL/IP-ID baselines, handshake timing, idle gaps, and the packet ring (packetRing.ts). */
export function observe(s: TrackState, slot: number, e: number, rec: CaptureRecord, pkt: DecodedPacket): void {
  const flags = pkt.flags;
  // The time is read from the record, not passed: a double argument is boxed per call.
  const t = rec.ts;
  const lastPktTs = s.lastPktTs;
  const prevAny = lastPktTs[slot] ?? Number.NaN;
  if (!Number.isNaN(prevAny)) {
    const gap = t - prevAny;
    const idleMax = s.idleMax;
    if (gap > (idleMax[slot] ?? 0)) idleMax[slot] = gap;
  }
  lastPktTs[slot] = t;
  if ((flags & TCP_RST) === 0) {
    s.eWin[e] = pkt.win;
    // Written out here rather than called: TurboFan's inlining budget for this hot function goes
    // to the ring (callgrind: two calls per packet cost ~15M instructions on a 64 MiB capture).
    // Up to four distinct TTL values per side with their counts (a value slot is used when its count > 0).
    // Columns read into locals once (here and below): a column read again after a store to
    // it was loaded from the state again (its field, then the view's length and data pointer).
    const ttl = pkt.ttl & 255;
    const ttlCnt = s.eTtlCnt;
    const packed = s.eTtlVals[e] ?? 0;
    let i = 0;
    for (; i < 4; i++) {
      const c = ttlCnt[e * 4 + i] ?? 0;
      if (c === 0) {
        s.eTtlVals[e] = ((packed & ~(255 << (i * 8))) | (ttl << (i * 8))) >>> 0;
        ttlCnt[e * 4 + i] = 1;
        break;
      }
      if (((packed >>> (i * 8)) & 255) === ttl) {
        if (c < 0xffff) ttlCnt[e * 4 + i] = c + 1;
        break;
      }
    }
    // Stored for every packet (adding 0 but for a fifth value): a store only a fifth TTL reached
    // would have no type feedback, and reaching it after optimisation deoptimised this function.
    const ttlOther = s.eTtlOther;
    ttlOther[e] = ((ttlOther[e] ?? 0) + (i === 4 ? 1 : 0)) >>> 0;
    // IP ID samples: count, zero, small forward steps, repeats (what ipIdBehaviour reads).
    if (pkt.ipVersion === 4) {
      const id = pkt.ipId & 0xffff;
      const q = e * 4;
      const idLast = s.eIpIdLast;
      const idStats = s.eIpIdStats;
      const last = idLast[e] ?? -1;
      idStats[q] = Math.min(0xffff, (idStats[q] ?? 0) + 1);
      // A per-connection or global counter moves forward by a little between our packets.
      const d = (id - last) & 0xffff;
      const step = last < 0 ? 0 : d >= 1 && d <= 2048 ? 2 : d === 0 ? 3 : 0;
      // One store for the zero, step and repeat counts (q+1, q+2, q+3): a zero ID or a repeat is
      // rare, and a store only it reached had no type feedback, so the first one met after
      // TurboFan compiled this function deoptimised it ("Insufficient type feedback").
      const which = id === 0 ? 1 : step;
      if (which !== 0) {
        const k = q + which;
        idStats[k] = Math.min(0xffff, (idStats[k] ?? 0) + 1);
      }
      idLast[e] = id;
    }
  }
  // Handshake timing at the capture point.
  const SYN = (flags & TCP_SYN) !== 0;
  const ACK = (flags & TCP_ACK) !== 0;
  let f = s.cFlags[slot] ?? 0;
  const fromResp = (e & 1) === 1;
  if (SYN && !ACK && (flags & TCP_RST) === 0 && (f & F_SAW_SYN) === 0) {
    f |= F_SAW_SYN | (fromResp ? F_SYN_BY_RESP : 0);
    s.synTs[slot] = t;
  } else if (SYN && ACK && (f & F_SAW_SYN) !== 0 && (f & F_SAW_SYNACK) === 0) {
    if (fromResp !== ((f & F_SYN_BY_RESP) !== 0)) {
      f |= F_SAW_SYNACK;
      s.synAckTs[slot] = t;
    }
  } else if (!SYN && ACK && (f & F_SAW_SYNACK) !== 0 && (f & F_SAW_HSACK) === 0) {
    if (fromResp === ((f & F_SYN_BY_RESP) !== 0)) {
      f |= F_SAW_HSACK;
      s.hsAckTs[slot] = t;
    }
  }
  s.cFlags[slot] = f;

  // The packet ring (packetRing.ts), written out here rather than called: a call per packet.
  // Appends the packet to the connection's ring, evicting that direction's oldest unpinned one.
  const p = s.ring;
  const dirBit = fromResp ? REC_RESP : 0;
  // Counts kept beside the chains (total | orig << 10 | resp << 20): walking them cost ~20 loads a packet.
  const shift = fromResp ? 20 : 10;
  let cnt = s.ringCnt[slot] ?? 0;
  let total = cnt & 1023;
  let r = -1;
  const dirHead = s.dirHead;
  const dirTail = s.dirTail;
  if (((cnt >>> shift) & 1023) >= s.ringPerDir) {
    // The direction chain's head is its oldest unpinned record: unlinked in O(1), and its record
    // holds the new packet (what freeRecord then allocRecord gave, the free list being LIFO).
    const i = dirHead[e] ?? -1;
    if (i >= 0) {
      const nx = p.d[i * 8 + 7] ?? -1; // R_NEXT
      dirHead[e] = nx;
      if (nx < 0) dirTail[e] = -1;
      r = i;
      total--;
      cnt -= 1 + (1 << shift);
    }
  }
  if (r < 0) r = allocRecord(p);
  if (r < 0) {
    p.dropped++;
    s.ringCnt[slot] = cnt;
    return;
  }
  const pinned = total < s.headPackets;
  s.ringCnt[slot] = cnt + 1 + (pinned ? 0 : 1 << shift);
  writeRecord(p, r, rec, pkt, dirBit | (pinned ? REC_PINNED : 0));
  // Linked at the tail of the pinned chain or of the direction's chain.
  const tail = pinned ? (s.ringTail[slot] ?? -1) : (dirTail[e] ?? -1);
  if (tail >= 0) p.d[tail * 8 + 7] = r; // R_NEXT
  else if (pinned) s.ringHead[slot] = r;
  else dirHead[e] = r;
  if (pinned) s.ringTail[slot] = r;
  else dirTail[e] = r;
}

/** Packets up to which a side that sent one TTL only has its baseline shared (SHARED_TTL_BASELINES). */
const SHARED_TTL_COUNT = 16;

/**
 * The baselines of a side that sent fewer than SHARED_TTL_COUNT packets, all with one TTL, built
 * once each when first met and shared (frozen: no reader writes a baseline): a SYN flood's or a
 * scan's every side is one, and each built anew was three objects (baseline, array, value) of
 * ~180 bytes per side.
 */
const SHARED_TTL_BASELINES: (TtlBaseline | undefined)[] = new Array<TtlBaseline | undefined>(256 * SHARED_TTL_COUNT).fill(undefined);

/** The baseline of one TTL seen `count` times and no other. */
function singleTtlBaseline(ttl: number, count: number): TtlBaseline {
  const initial = initialTtlOf(ttl);
  return { values: [{ ttl, count }], otherCount: 0, mostCommon: ttl, initial, hops: initial - ttl };
}

/** The shared baseline of one TTL seen `count` (< SHARED_TTL_COUNT) times. */
function sharedTtlBaseline(ttl: number, count: number): TtlBaseline {
  const k = ttl * SHARED_TTL_COUNT + count;
  let b = SHARED_TTL_BASELINES[k];
  if (b === undefined) {
    const fresh = singleTtlBaseline(ttl, count);
    Object.freeze(fresh.values[0]);
    Object.freeze(fresh.values);
    b = Object.freeze(fresh);
    SHARED_TTL_BASELINES[k] = b;
  }
  return b;
}

/** The side's TTL values and the hop distance of the most common one, or null if it sent nothing countable. */
export function ttlBaseline(s: TrackState, e: number): TtlBaseline | null {
  // Sized first: pushing onto an empty array reserved room for 17 (152 bytes per side).
  let n = 0;
  let only = 0;
  for (let i = 0; i < 4; i++) {
    if ((s.eTtlCnt[e * 4 + i] ?? 0) > 0) {
      n++;
      only = i;
    }
  }
  if (n === 0) return null;
  const packed = s.eTtlVals[e] ?? 0;
  const other = s.eTtlOther[e] ?? 0;
  if (n === 1 && other === 0) {
    const c = s.eTtlCnt[e * 4 + only] ?? 0;
    const ttl = (packed >>> (only * 8)) & 255;
    return c < SHARED_TTL_COUNT ? sharedTtlBaseline(ttl, c) : singleTtlBaseline(ttl, c);
  }
  const values = new Array<{ ttl: number; count: number }>(n);
  for (let i = 0, k = 0; i < 4; i++) {
    const c = s.eTtlCnt[e * 4 + i] ?? 0;
    if (c > 0) values[k++] = { ttl: (packed >>> (i * 8)) & 255, count: c };
  }
  let best = values[0] as { ttl: number; count: number };
  for (const v of values) if (v.count > best.count) best = v;
  const initial = initialTtlOf(best.ttl);
  return { values, otherCount: other, mostCommon: best.ttl, initial, hops: initial - best.ttl };
}

/** How the side's IPv4 IP IDs moved: a counter, always zero, random, or constant. */
export function ipIdBehaviour(s: TrackState, slot: number, e: number): IpIdBehaviour {
  if (((s.cFlags[slot] ?? 0) & F_V6) !== 0) return 'none';
  const st = e * 4;
  const n = s.eIpIdStats[st] ?? 0;
  if (n === 0) return 'unknown';
  const zero = s.eIpIdStats[st + 1] ?? 0;
  if (zero === n) return 'zero';
  if (n < 2) return 'unknown';
  const inc = s.eIpIdStats[st + 2] ?? 0;
  const same = s.eIpIdStats[st + 3] ?? 0;
  const pairs = n - 1;
  if (inc * 4 >= pairs * 3) return 'incrementing';
  if (same * 4 >= pairs * 3) return 'constant';
  return 'random';
}
