/**
 * Each connection's packet ring, kept for explain (the ladder, the packets around a RST): the
 * first `headPackets` packets pinned, then the latest `ringPerDirection` per side. Records come
 * from the shared RecordPool (`state.ring`); when it is at its limit packets are counted, not kept.
 * Packets are appended by baselines.ts observe (written out there: a call per packet less).
 *
 * Pinned packets all come before unpinned ones in capture order (once `headPackets` are kept the
 * total never drops below it), so the ring is the pinned chain followed by the two direction
 * chains merged by frame number (see drainRing). A direction's chain holds its latest packets,
 * oldest first, so evicting the oldest is O(1).
 */
import type { PacketRecord } from './finished.js';
import { REC_RESP, flagsOf, flipChain, forwardingCountsOf, frameOf, freeRecord, nextOf, packetOf } from './recordPool.js';
import type { TrackState } from './state.js';

/** Role flip: the recorded packets keep their true sender, and the per-direction counts swap. */
export function flipRing(s: TrackState, slot: number): void {
  const p = s.ring;
  flipChain(p, s.ringHead[slot] ?? -1);
  // The direction chains were already swapped with the other per-side columns.
  flipChain(p, s.dirHead[slot * 2] ?? -1);
  flipChain(p, s.dirHead[slot * 2 + 1] ?? -1);
  const cnt = s.ringCnt[slot] ?? 0;
  s.ringCnt[slot] = (cnt & 1023) | (((cnt >>> 10) & 1023) << 20) | (((cnt >>> 20) & 1023) << 10);
}

/** What a drain learns of the kept packets besides the objects (FinishedConnection's kept* and forwarding fields). */
export class KeptPackets {
  count = 0;
  firstFrame = 0;
  lastFrame = 0;
  firstFlags = 0;
  /** Forwarded pairs and single packets of the orig side, then of the resp side (forwardingCountsOf). */
  readonly orig = new Int32Array(2);
  readonly resp = new Int32Array(2);
}

/** The records of the connection being drained, in capture order (reused: a drain allocates nothing for them). */
let order = new Int32Array(64);

/** Appends record `i` to `order` at `n`, growing it; returns the new length. */
function push(n: number, i: number): number {
  if (n === order.length) {
    const grown = new Int32Array(n * 2);
    grown.set(order);
    order = grown;
  }
  order[n] = i;
  return n + 1;
}

/** The records of the connection's ring in capture order, into `order`; returns how many. */
function ringOrder(s: TrackState, slot: number): number {
  const p = s.ring;
  let n = 0;
  for (let i = s.ringHead[slot] ?? -1; i >= 0; i = nextOf(p, i)) n = push(n, i);
  // The two direction chains, merged back into capture order (frame numbers only grow).
  for (let a = s.dirHead[slot * 2] ?? -1, b = s.dirHead[slot * 2 + 1] ?? -1; a >= 0 || b >= 0; ) {
    if (b < 0 || (a >= 0 && frameOf(p, a) < frameOf(p, b))) {
      n = push(n, a);
      a = nextOf(p, a);
    } else {
      n = push(n, b);
      b = nextOf(p, b);
    }
  }
  return n;
}

/**
 * Drains the connection's kept packets: fills `kept` with what explain reads of them, returns
 * them in capture order as objects when `build` (else an empty array), and gives their records
 * back to the pool. A connection explain has no RST to explain for needs only `kept`: building
 * its dozen objects was the largest allocation of a run (16.6 of 106 MB sampled on the bench's mix).
 */
export function drainRing(s: TrackState, slot: number, build: boolean, kept: KeptPackets): PacketRecord[] {
  const p = s.ring;
  const n = ringOrder(s, slot);
  kept.count = n;
  if (n === 0) {
    kept.firstFrame = 0;
    kept.lastFrame = 0;
    kept.firstFlags = 0;
  } else {
    const head = order[0] ?? 0;
    let first = frameOf(p, head);
    let last = first;
    for (let k = 1; k < n; k++) {
      const f = frameOf(p, order[k] ?? 0);
      if (f < first) first = f;
      if (f > last) last = f;
    }
    kept.firstFrame = first;
    kept.lastFrame = last;
    kept.firstFlags = flagsOf(p, head) & 0x1ff;
  }
  forwardingCountsOf(p, order, n, 0, kept.orig);
  forwardingCountsOf(p, order, n, REC_RESP, kept.resp);
  // Sized once (a push onto an empty array reserves room for 17).
  const packets: PacketRecord[] = build && n > 0 ? new Array<PacketRecord>(n) : [];
  for (let k = 0; k < n; k++) {
    const i = order[k] ?? 0;
    if (build) packets[k] = packetOf(p, i);
    freeRecord(p, i);
  }
  return packets;
}
