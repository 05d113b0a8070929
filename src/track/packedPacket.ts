/**
 * A kept packet (PacketRecord, finished.ts) as PACKET_NUMBERS numbers of a Float64Array, and back:
 * the one layout that the track worker's batches (pipeline/connPack.ts) and the hop-distance
 * deferral's packed rows (explain/heldPack.ts) both write.
 */
import type { PacketRecord } from './finished.js';

/** Numbers of one packet record. */
export const PACKET_NUMBERS = 12;

/**
 * A number read back from a Float64Array as the tracker holds it: an integer of int32 range as
 * V8's small integer (Smi), anything else (a timestamp, a sequence number past 2^31) as it is. A
 * value read from a Float64Array is a double, and an object literal stores a double as a boxed
 * HeapNumber (16 bytes each); stored where the tracker's objects hold Smis it also generalises
 * those fields' representation, in the tracker's objects too (`%DebugPrint` of an endpoint
 * summary: pkts 9 vs HeapNumber 9.0; seen as ~10 µs per flood connection). Missing reads as 0.
 */
export function smiOrDouble(x: number | undefined): number {
  const v = x ?? 0;
  const i = v | 0;
  return i === v ? i : v;
}

/** Writes a packet record's PACKET_NUMBERS numbers at `o` (room already made). */
export function writePacket(d: Float64Array, o: number, p: PacketRecord): void {
  d[o] = p.frame;
  d[o + 1] = p.ts;
  d[o + 2] = p.direction === 'resp' ? 1 : 0;
  d[o + 3] = p.flags;
  d[o + 4] = p.seq;
  d[o + 5] = p.ack;
  d[o + 6] = p.win;
  d[o + 7] = p.ttl;
  d[o + 8] = p.ipId;
  d[o + 9] = p.df ? 1 : 0;
  d[o + 10] = p.payloadLen;
  d[o + 11] = p.options;
}

/** Reads a packet record written by writePacket at `o`, its fields in the tracker's order (recordPool.ts packetOf). */
export function readPacket(d: Float64Array, o: number): PacketRecord {
  return {
    frame: smiOrDouble(d[o]),
    ts: smiOrDouble(d[o + 1]),
    direction: d[o + 2] === 1 ? 'resp' : 'orig',
    flags: smiOrDouble(d[o + 3]),
    seq: smiOrDouble(d[o + 4]),
    ack: smiOrDouble(d[o + 5]),
    win: smiOrDouble(d[o + 6]),
    ttl: smiOrDouble(d[o + 7]),
    ipId: smiOrDouble(d[o + 8]),
    df: d[o + 9] === 1,
    payloadLen: smiOrDouble(d[o + 10]),
    options: smiOrDouble(d[o + 11]),
  };
}

/** Rewrites packet record `p` in place with the packet written at `o` (readPacket's fields, no new object). */
export function refillPacket(p: PacketRecord, d: Float64Array, o: number): PacketRecord {
  p.frame = smiOrDouble(d[o]);
  p.ts = smiOrDouble(d[o + 1]);
  p.direction = d[o + 2] === 1 ? 'resp' : 'orig';
  p.flags = smiOrDouble(d[o + 3]);
  p.seq = smiOrDouble(d[o + 4]);
  p.ack = smiOrDouble(d[o + 5]);
  p.win = smiOrDouble(d[o + 6]);
  p.ttl = smiOrDouble(d[o + 7]);
  p.ipId = smiOrDouble(d[o + 8]);
  p.df = d[o + 9] === 1;
  p.payloadLen = smiOrDouble(d[o + 10]);
  p.options = smiOrDouble(d[o + 11]);
  return p;
}
