/**
 * The first half of the pipeline: every input read, decoded, checksum-gated and tracked, the
 * packets grouped into streams (stream.ts). What the second half (explainStage.ts) needs comes
 * out as events, in exactly the order the single loop of run.ts used to call it: a SYN-ACK's TTL
 * before the packet is tracked, a RST's place in the report order, a finished connection, the
 * end of a stream, the summary of an input. The events go to the explain stage directly (one
 * thread) or are batched to it from a worker thread (threads.ts, trackWorker.ts); nothing is
 * sent per packet except for the rare ones that carry such an event.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { readCapture } from '../capture/open.js';
import { NotACaptureError } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import type { ReadLength, ReadPace } from '../capture/window.js';
import { BAD_CHECKSUM_TCP } from '../decode/checksum.js';
import { decodeFrame } from '../decode/frame.js';
import { ISSUE_NAMES, ISSUE_UNKNOWN_LINKTYPE } from '../decode/issues.js';
import { DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { roundMicros } from '../explain/resetFields.js';
import type { InputSummary } from '../model/report.js';
import { ipv6ToString } from '../track/address.js';
import type { FinishedConnection } from '../track/finished.js';
import { Tracker, type TrackerOptions } from '../track/tracker.js';
import { ChecksumGate, verifyRstChecksum } from './checksumGate.js';
import type { InputPlan } from './inputOrder.js';
import { StreamPieces, continuesStream } from './stream.js';

/** RST packets explained one by one per connection; a storm beyond this is counted in the summary. */
export const MAX_RESETS_PER_CONNECTION = 4096;

/** Zeek's tcp_inactivity_timeout (seconds), the tracker's default. */
export const DEFAULT_INACTIVITY_TIMEOUT = 300;

/** Records between two looks at the clock for progress. */
const PROGRESS_EVERY_RECORDS = 4096;
/** Least time between two progress callbacks. */
const PROGRESS_INTERVAL_MS = 250;

/** How far reading has got, for a progress line. */
export interface ReadProgress {
  /** Index of the input being read. */
  input: number;
  inputs: number;
  path: string;
  /** Bytes of the file consumed so far (compressed bytes for gzip), and its size when known. */
  bytesRead: number;
  totalBytes: number | null;
  /** Bytes consumed by earlier inputs. */
  bytesBefore: number;
}

/** What the track stage reads and how (the part of RunOptions it needs; plain data, so a worker can take it). */
export interface TrackOptions {
  /** Bytes per read (tests shrink it). */
  chunkSize?: number;
  /** Zeek's tcp_inactivity_timeout in seconds of capture time (default 300). */
  inactivityTimeout?: number;
  /** Track packets whatever their checksums say (Zeek's `-C`). */
  ignoreChecksums?: boolean;
  /** Inputs as pieces of one capture: see RunOptions.stream. */
  stream?: boolean;
  /** Report reading progress (TrackEvents.progress). */
  progress?: boolean;
  /** Which finished connections carry their kept packets as objects (TrackerOptions.packetsFor; default all). */
  packetsFor?: 'all' | 'resets';
  /** Reading order and capture indices (inputOrder.ts); without it the inputs are read as given. */
  plan?: InputPlan;
}

/** One input's outcome, as the explain stage folds it into the run's result. */
export interface InputOutcome {
  input: InputSummary;
  /** Its capture index (its place among the readable inputs as given, whatever the reading order). */
  captureIndex: number;
  tcpPackets: number;
  resetPackets: number;
  badChecksums: number;
}

/** What the track stage tells the explain stage, in the order it happens. */
export interface TrackEvents {
  /** A new stream (one tracker) starts with input `captureIndex`. */
  openStream(captureIndex: number): void;
  /** The first record of an input was read, at capture time `ts` (the filters' relative times count from the run's first). */
  firstRecord(ts: number): void;
  /** Input `captureIndex` is the stream's next piece; its frames are numbered after `offset` while tracked. */
  piece(captureIndex: number, offset: number): void;
  /** A SYN-ACK from an IPv4 host (address as a number) with this TTL, before it is tracked. */
  synAck4(addr: number, ttl: number): void;
  /** A SYN-ACK from an IPv6 host (the tracker's text of its address). */
  synAck6(addr: string, ttl: number): void;
  /** The tracker took a RST: its place in the report's order (resetOrder.ts). */
  rst(frame: number, connNumber: number): void;
  /** The tracker finished a connection. */
  connectionDone(conn: FinishedConnection): void;
  /** The stream ended (its tracker finished); `stats` is the WHYRESET_TRACKER_STATS line or null. */
  closeStream(stats: string | null): void;
  /** An input could not be read at all. */
  unreadable(path: string, message: string): void;
  /** An input was read to its end (or its damage). */
  inputDone(outcome: InputOutcome): void;
  /** Reading progress (only with TrackOptions.progress). */
  progress(progress: ReadProgress): void;
  /** Every input read: link types not decoded, and the hosts whose checksums were left to the NIC. */
  end(undecoded: [number, number][], checksumOffload: string[]): void;
}

/** Size of a plain (not gzip) capture file, for an ETA; null for stdin, gzip or an unreadable path. */
/**
 * Measurement knobs of the tracker's held connections (src/track/heldConns.ts), read from the
 * environment for the benchmark and the identity checks, never needed in use (docs/scale.md):
 * WHYRESET_HOLD_AT_LIVE (connections in slots from which delayed ones are packed; 0 packs every
 * one, `off` none), WHYRESET_HOLD_QUIET, WHYRESET_MAX_LIVE (maxLiveConnections).
 */
function heldKnobs(): Partial<TrackerOptions> {
  const knobs: Partial<TrackerOptions> = {};
  const num = (name: string): number | undefined => {
    const v = process.env[name];
    if (v === undefined || v === '') return undefined;
    if (v === 'off') return Number.POSITIVE_INFINITY;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const at = num('WHYRESET_HOLD_AT_LIVE');
  if (at !== undefined) knobs.holdAtLive = at;
  const quiet = num('WHYRESET_HOLD_QUIET');
  if (quiet !== undefined && quiet < Number.POSITIVE_INFINITY) knobs.holdQuiet = quiet;
  const max = num('WHYRESET_MAX_LIVE');
  if (max !== undefined) knobs.maxLiveConnections = max;
  return knobs;
}

function plainFileSize(path: string): number | null {
  if (path === '-') return null;
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(2);
      // gzip (RFC 1952 §2.3.1: 1f 8b): record offsets count decompressed bytes, so no ETA.
      if (readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * The error a run ends with when its caller asked it to stop (LocalTrackHooks.stopRequested):
 * the rest of the input unread, the tracked connections neither finished nor explained, so no
 * finding reaches the sink after the stop (runAnalysis rejects with it).
 */
export class AnalysisStopped extends Error {
  constructor(path: string) {
    super(`${path}: analysis stopped`);
    this.name = 'AnalysisStopped';
  }
}

/** Turns a filesystem error into a one-line message. */
export function describeOpenError(err: unknown): string {
  if (err instanceof NotACaptureError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory, not a capture';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ? e.message : String(err);
}

/**
 * What only a run on the calling thread can give the track stage (functions and streams cannot
 * cross to a worker): standard input, a tap on the raw bytes (the store's sha256), and the hooks
 * that carry a stream from one run to the next (carry.ts).
 */
export interface LocalTrackHooks {
  stdin?: Readable;
  /** Sees every byte of input `index` as read (compressed bytes for gzip), once, in order. */
  onRawBytes?: (bytes: Uint8Array, index: number) => void;
  /** Called once before the first input with a fresh stream (capture 0) to restore a carried one into. */
  resume?: (tracker: Tracker, pieces: StreamPieces, gate: ChecksumGate | null) => void;
  /** When set, the last stream is handed here unfinished (its open connections carried) instead of finished. */
  keep?: (tracker: Tracker, pieces: StreamPieces, gate: ChecksumGate | null) => void;
  /** Awaited before each chunk of input is read (capture/window.ts ReadPace). */
  pace?: ReadPace;
  /** Asked before each chunk of input is read: at most this many bytes (capture/window.ts ReadLength). */
  readLength?: ReadLength;
  /** Asked as each chunk of input is read: true ends the run there with AnalysisStopped (RunOptions.stopRequested). */
  stopRequested?: () => boolean;
  /** Called when input `index` has been read to its end and its records tracked, before its stream is finished (RunOptions.onInputRead). */
  onInputRead?: (index: number) => void;
}

/** The stream being tracked: one tracker over one or more consecutive inputs. */
interface Stream {
  tracker: Tracker;
  pieces: StreamPieces;
}

/** One input's state while its records are handed on (see runTrackStage's onRecord). */
class InputProgress {
  /** The stream this input's records go to, from its first record on. */
  stream: Stream | null = null;
  /** Added to the frame numbers of this input's records while tracked (the stream's earlier pieces). */
  frameOffset = 0;
  /** The last record's frame number within this input. */
  lastFrame = 0;
  tcpPackets = 0;
  resetPackets = 0;
  badChecksums = 0;
}

/** Reads, decodes and tracks every input (in `options.plan`'s order, else as given), telling `events` what the explain stage needs. */
export async function runTrackStage(paths: readonly string[], options: TrackOptions, events: TrackEvents, local: LocalTrackHooks = {}): Promise<void> {
  const { stdin, onRawBytes, stopRequested } = local;
  let bytesBefore = 0;
  const pkt = new DecodedPacket();
  const issueCounts = new Float64Array(ISSUE_NAMES.length);
  const undecoded = new Map<number, number>();
  const gate = options.ignoreChecksums ? null : new ChecksumGate();
  const maxGap = options.inactivityTimeout ?? DEFAULT_INACTIVITY_TIMEOUT;
  /** Inputs before the current one that could not be read (they take no capture index). */
  let unreadableSoFar = 0;

  let current: Stream | null = null;

  const openStream = (captureIndex: number): Stream => {
    events.openStream(captureIndex);
    const tracker = new Tracker(
      { captureIndex, inactivityTimeout: options.inactivityTimeout, maxResetsPerConnection: MAX_RESETS_PER_CONNECTION, packetsFor: options.packetsFor, ...heldKnobs() },
      {
        onConnectionDone(conn: FinishedConnection): void {
          events.connectionDone(conn);
        },
      },
    );
    return { tracker, pieces: new StreamPieces() };
  };

  const closeStream = (): void => {
    if (current === null) return;
    const { tracker } = current;
    // Peak table figures, measured before finish() empties the table (for `npm run bench`).
    const statsBeforeFinish = process.env.WHYRESET_TRACKER_STATS ? tracker.stats() : null;
    tracker.finish();
    events.closeStream(statsBeforeFinish === null ? null : `whyreset-tracker-stats ${JSON.stringify({ ...tracker.stats(), atEnd: statsBeforeFinish })}\n`);
    current = null;
  };

  if (local.resume !== undefined) {
    current = openStream(0);
    local.resume(current.tracker, current.pieces, gate);
  }

  const { plan } = options;
  for (let step = 0; step < paths.length; step++) {
    // The argument read at this step: the plan orders inputs by their first packet's time.
    const index = plan === undefined ? step : (plan.order[step] as number);
    const path = paths[index] as string;
    issueCounts.fill(0);
    let firstUnknownLinkOffset = -1;
    let unknownLinkType = -1;
    // Inputs that could not be read take no index (run.ts numbers the inputs it reports); the
    // plan counted them by a peek (a pipe it could not peek at that fails here leaves a gap).
    const planned = plan === undefined ? -1 : (plan.captureIndex[index] ?? -1);
    const captureIndex = planned >= 0 ? planned : index - unreadableSoFar;
    // What onRecord updates per record, as fields of one object: `let`s that onRecord captured
    // were context slots, each read tested for the temporal dead zone's hole on every record
    // (callgrind with --print-opt-code: five such tests in onRecord's common path).
    const input = new InputProgress();

    /** The first record of this input decides whether it continues the current stream. */
    const startPiece = (rec: CaptureRecord): Stream => {
      events.firstRecord(rec.ts);
      if (current !== null && options.stream !== true && (options.stream === false || !continuesStream(current.pieces, path, rec.ts, rec.linkType, maxGap))) closeStream();
      if (current === null) current = openStream(captureIndex);
      input.frameOffset = current.pieces.add(captureIndex);
      events.piece(captureIndex, input.frameOffset);
      current.pieces.lastPath = path;
      return current;
    };

    const progress = options.progress === true;
    const totalBytes = progress ? plainFileSize(path) : null;
    let untilProgress = PROGRESS_EVERY_RECORDS;
    let lastProgressMs = 0;
    const onRecord = (rec: CaptureRecord): void => {
      if (progress && --untilProgress === 0) {
        // A clock read per few thousand records, a callback at most every PROGRESS_INTERVAL_MS.
        untilProgress = PROGRESS_EVERY_RECORDS;
        const now = performance.now();
        if (now - lastProgressMs >= PROGRESS_INTERVAL_MS) {
          lastProgressMs = now;
          events.progress({ input: step, inputs: paths.length, path, bytesRead: rec.fileOffset, totalBytes, bytesBefore });
        }
      }
      if (input.stream === null) input.stream = startPiece(rec);
      const stream = input.stream;
      input.lastFrame = rec.frame;
      // Frames count across the pieces of a stream while the tracker runs (mapped back in mapToFiles).
      if (input.frameOffset !== 0) rec.frame += input.frameOffset;
      stream.pieces.lastTs = rec.ts;
      stream.pieces.lastLinkType = rec.linkType;
      const issue = decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
      if (issue !== 0) {
        issueCounts[issue] = (issueCounts[issue] ?? 0) + 1;
        if (issue === ISSUE_UNKNOWN_LINKTYPE) {
          undecoded.set(rec.linkType, (undecoded.get(rec.linkType) ?? 0) + 1);
          if (firstUnknownLinkOffset < 0) {
            firstUnknownLinkOffset = rec.fileOffset;
            unknownLinkType = rec.linkType;
          }
        }
      }
      if (pkt.isTcp !== true) return; // a pointer compare (see track/recordPool.ts writeRecord)
      input.tcpPackets++;
      // Zeek drops a packet whose IPv4 header checksum is wrong (checksumGate.ts).
      if (gate !== null && !gate.admit(rec.view, pkt)) {
        input.badChecksums++;
        // A wrong TCP checksum still marks its connection with 'C'/'c' and bad_TCP_checksum, and
        // goes no further (the tracker's checksum branch; Zeek's TCPAnalyzer::DeliverPacket).
        if (pkt.badChecksum === BAD_CHECKSUM_TCP) stream.tracker.trackPacket(rec, pkt);
        return;
      }
      if ((pkt.flags & TCP_RST) !== 0) {
        input.resetPackets++;
        if (gate === null) verifyRstChecksum(rec.view, pkt);
      } else if ((pkt.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // IPv6: the tracker's cached text, so a recurring server is one string, not one per SYN-ACK.
        if (pkt.ipVersion === 4) events.synAck4(pkt.src4 >>> 0, pkt.ttl);
        else events.synAck6(ipv6ToString(pkt.src6[0] ?? 0, pkt.src6[1] ?? 0, pkt.src6[2] ?? 0, pkt.src6[3] ?? 0), pkt.ttl);
      }
      const verdict = stream.tracker.trackPacket(rec, pkt);
      // Every RST the tracker takes holds a place in the order of the report (resetOrder.ts).
      // `=== true`: a pointer compare, where a truth test of the field was a generic ToBoolean.
      if ((pkt.flags & TCP_RST) !== 0 && verdict.tracked === true) events.rst(rec.frame, verdict.connNumber);
    };

    // The stop is asked with each chunk's bytes, before its records are tracked; the error it
    // throws leaves the reader as its own errors do (the source closed) and is not an unreadable input.
    const tap =
      stopRequested === undefined
        ? onRawBytes && ((bytes: Uint8Array) => onRawBytes(bytes, index))
        : (bytes: Uint8Array) => {
            if (stopRequested()) throw new AnalysisStopped(path);
            onRawBytes?.(bytes, index);
          };
    let facts: Awaited<ReturnType<typeof readCapture>> | null = null;
    try {
      facts = await readCapture(path, onRecord, { stdin, chunkSize: options.chunkSize, onRawBytes: tap, pace: local.pace, readLength: local.readLength });
    } catch (err) {
      // Stopped: nothing is finished (no tracker.finish, no closeStream event), so nothing is explained.
      if (err instanceof AnalysisStopped) throw err;
      events.unreadable(path, describeOpenError(err));
    }
    if (facts !== null) local.onInputRead?.(index);
    // The next piece of the stream numbers its frames after this one's.
    const mine = input.stream;
    if (mine !== null && mine === (current as Stream | null)) mine.pieces.frames += input.lastFrame;
    if (facts === null) {
      unreadableSoFar++;
      continue;
    }
    if (options.stream === false) closeStream();
    const state = facts.state;
    if (firstUnknownLinkOffset >= 0) {
      state.error(
        firstUnknownLinkOffset,
        `link type ${unknownLinkType} is not one whyreset decodes: ${issueCounts[ISSUE_UNKNOWN_LINKTYPE]} frames were counted but not analysed`,
      );
    }
    const decodeIssues: Record<string, number> = { ...state.anomalies };
    for (let code = 1; code < ISSUE_NAMES.length; code++) {
      const n = issueCounts[code] ?? 0;
      if (n > 0) decodeIssues[ISSUE_NAMES[code] as string] = n;
    }
    const summary: InputSummary = {
      path,
      format: state.format,
      linktypes: state.linktypes,
      packets: state.packets,
      bytes: state.bytes,
      first_ts: state.firstTs === null ? null : roundMicros(state.firstTs),
      last_ts: state.lastTs === null ? null : roundMicros(state.lastTs),
      compressed: facts.compressed,
      errors: state.errors,
      decode_issues: decodeIssues,
    };
    bytesBefore += state.bytes;
    events.inputDone({ input: summary, captureIndex, tcpPackets: input.tcpPackets, resetPackets: input.resetPackets, badChecksums: input.badChecksums });
  }
  if (local.keep !== undefined && current !== null && paths.length > 0) {
    const kept = current as Stream;
    local.keep(kept.tracker, kept.pieces, gate);
    current = null;
  } else closeStream();
  events.end([...undecoded], gate?.offloadHosts() ?? []);
}
