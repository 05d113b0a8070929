import type { CaptureRecord } from '../capture/record.js';
/**
 * Each connection's packet ring, kept for explain (the ladder, the packets around a RST): the
 * first `headPackets` packets pinned, then the latest `ringPerDirection` per side. Records come
 * from the shared RecordPool (`state.ring`); when it is at its limit packets are counted, not kept.
 */
import type { DecodedPacket } from '../decode/packet.js';
import type { PacketRecord } from './finished.js';
import { REC_PINNED, REC_RESP, allocRecord, flipChain, freeRecord, packetOf, writeRecord } from './recordPool.js';
import type { TrackState } from './state.js';

/**
 * Appends a packet sent by endpoint `e` to the connection's ring, evicting that direction's oldest
 * unpinned one. Pinned packets all come before unpinned ones in capture order (once `headPackets`
 * are kept the total never drops below it), so the ring is the pinned chain followed by the two
 * direction chains merged by frame number (see drainRing).
 */
export function ringAdd(s: TrackState, slot: number, e: number, rec: CaptureRecord, pkt: DecodedPacket): void {
  const p = s.ring;
  const dirBit = (e & 1) === 1 ? REC_RESP : 0;
  // Counts kept beside the chains: walking them on every packet cost ~20 loads per packet.
  const shift = dirBit === 0 ? 10 : 20;
  let cnt = s.ringCnt[slot] ?? 0;
  let total = cnt & 1023;
  if (((cnt >>> shift) & 1023) >= s.ringPerDir) {
    // The direction chain's head is its oldest unpinned record: unlink it in O(1).
    const i = s.dirHead[e] ?? -1;
    if (i >= 0) {
      const nx = p.next[i] ?? -1;
      s.dirHead[e] = nx;
      if (nx < 0) s.dirTail[e] = -1;
      freeRecord(p, i);
      total--;
      cnt -= 1 + (1 << shift);
    }
  }
  const r = allocRecord(p);
  if (r < 0) {
    p.dropped++;
    s.ringCnt[slot] = cnt;
    return;
  }
  const pinned = total < s.headPackets;
  s.ringCnt[slot] = cnt + 1 + (pinned ? 0 : 1 << shift);
  writeRecord(p, r, rec, pkt, dirBit | (pinned ? REC_PINNED : 0));
  if (pinned) {
    const tail = s.ringTail[slot] ?? -1;
    if (tail < 0) s.ringHead[slot] = r;
    else p.next[tail] = r;
    s.ringTail[slot] = r;
  } else {
    const tail = s.dirTail[e] ?? -1;
    if (tail < 0) s.dirHead[e] = r;
    else p.next[tail] = r;
    s.dirTail[e] = r;
  }
}

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

/** The connection's kept packets in capture order; their records go back to the pool. */
export function drainRing(s: TrackState, slot: number): PacketRecord[] {
  const p = s.ring;
  const packets: PacketRecord[] = [];
  for (let i = s.ringHead[slot] ?? -1; i >= 0; ) {
    packets.push(packetOf(p, i));
    const nx = p.next[i] ?? -1;
    freeRecord(p, i);
    i = nx;
  }
  // The two direction chains, merged back into capture order (frame numbers only grow).
  for (let a = s.dirHead[slot * 2] ?? -1, b = s.dirHead[slot * 2 + 1] ?? -1; a >= 0 || b >= 0; ) {
    let i: number;
    if (b < 0 || (a >= 0 && (p.frame[a] ?? 0) < (p.frame[b] ?? 0))) {
      i = a;
      a = p.next[a] ?? -1;
    } else {
      i = b;
      b = p.next[b] ?? -1;
    }
    packets.push(packetOf(p, i));
    freeRecord(p, i);
  }
  return packets;
}
