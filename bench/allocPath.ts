/**
 * Allocation on the per-packet path (issue 13 item 1: "no per-packet allocation, prove it"):
 * reads a capture with the real reader, decodes, checksum-gates and tracks every packet as the
 * track stage does, and reads V8's new-space usage before and after each `trackPacket` call. A
 * packet "allocates" when the difference exceeds that of two reads with nothing between (the
 * measurement's own objects). Packets are told apart by the path they took: the fast path
 * (track/fastPath.ts), the full state machine, or a new connection. Allocations above
 * FINISH_BYTES are a connection finished by a timer during the call (FinishedConnection and its
 * parts: per connection, not per packet) and are counted apart.
 *
 * Run the capture several times (`--passes`): the first pass runs in V8's interpreter and
 * baseline tiers, where a uint32 above 2^31 or a double is a heap object wherever it goes; the
 * later passes show the optimised code. The new space is made large enough that no scavenge
 * runs in between (a scavenge makes a difference negative; such calls are counted as skipped).
 *
 *   node --single-threaded --max-semi-space-size=256 dist/bench/allocPath.js FILE [--passes 3]
 */
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { readCapture } from '../src/capture/open.js';
import type { CaptureRecord } from '../src/capture/record.js';
import { decodeFrame } from '../src/decode/frame.js';
import { DecodedPacket } from '../src/decode/packet.js';
import { ChecksumGate } from '../src/pipeline/checksumGate.js';
import { Tracker } from '../src/track/tracker.js';
import { argValue } from './gen.js';

/** Above this many bytes in one call, the call finished a connection (FinishedConnection, its endpoints, records …). */
export const FINISH_BYTES = 1024;

/** What one path's packets allocated in one pass. */
export interface PathAllocations {
  packets: number;
  /** Packets whose call allocated something, up to FINISH_BYTES. */
  allocating: number;
  /** Bytes those allocated (above the measurement's own). */
  bytes: number;
  /** Calls that also finished a connection (more than FINISH_BYTES). */
  finishing: number;
}

/** One pass over the capture. */
export interface PassAllocations {
  fast: PathAllocations;
  slow: PathAllocations;
  newConnection: PathAllocations;
  /** Calls during which a scavenge ran (not measurable). */
  skipped: number;
  /** Bytes two reads of the new space differ by with nothing between them. */
  overhead: number;
}

/** Bytes in V8's new space now. */
function newSpaceUsed(): number {
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_used_size;
  return 0;
}

/** The most common difference between two reads of the new space with nothing between them. */
function measurementOverhead(): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < 2000; i++) {
    const a = newSpaceUsed();
    const b = newSpaceUsed();
    counts.set(b - a, (counts.get(b - a) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = -1;
  for (const [d, n] of counts) {
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

function emptyPath(): PathAllocations {
  return { packets: 0, allocating: 0, bytes: 0, finishing: 0 };
}

/** Tracks the capture at `path` once, measuring each trackPacket call. */
export async function measurePass(path: string): Promise<PassAllocations> {
  const overhead = measurementOverhead();
  const pass: PassAllocations = { fast: emptyPath(), slow: emptyPath(), newConnection: emptyPath(), skipped: 0, overhead };
  const pkt = new DecodedPacket();
  const gate = new ChecksumGate();
  const tracker = new Tracker({ captureIndex: 0, packetsFor: 'resets' }, { onConnectionDone(): void {} });
  const state = tracker.state;
  const onRecord = (rec: CaptureRecord): void => {
    decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    if (!pkt.isTcp) return;
    // As the track stage: a bad checksum that is not excused still reaches the tracker when it is the TCP one.
    if (!gate.admit(rec.view, pkt) && pkt.badChecksum === 0) return;
    const fastBefore = state.fastCount;
    const before = newSpaceUsed();
    const verdict = tracker.trackPacket(rec, pkt);
    const after = newSpaceUsed();
    const kind = state.fastCount !== fastBefore ? pass.fast : verdict.newConnection ? pass.newConnection : pass.slow;
    kind.packets++;
    const bytes = after - before - overhead;
    if (after < before) pass.skipped++;
    else if (bytes > FINISH_BYTES) kind.finishing++;
    else if (bytes > 0) {
      kind.allocating++;
      kind.bytes += bytes;
    }
  };
  await readCapture(path, onRecord);
  tracker.finish();
  return pass;
}

function pathLine(name: string, p: PathAllocations): string {
  const share = p.packets > 0 ? ((100 * p.allocating) / p.packets).toFixed(2) : '0.00';
  return `${name} ${p.packets} packets, ${p.allocating} allocating (${share} %), ${p.bytes} B; ${p.finishing} finished a connection`;
}

async function main(argv: readonly string[]): Promise<void> {
  const file = argv[0];
  if (file === undefined || file.startsWith('--')) {
    process.stdout.write('usage: node --single-threaded --max-semi-space-size=256 dist/bench/allocPath.js FILE [--passes N]\n');
    return;
  }
  const passes = Number(argValue(argv, '--passes') ?? 3);
  for (let i = 0; i < passes; i++) {
    const p = await measurePass(file);
    process.stdout.write(
      `pass ${i + 1}: ${pathLine('fast', p.fast)} | ${pathLine('slow', p.slow)} | ${pathLine('new connection', p.newConnection)} | skipped ${p.skipped}\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
