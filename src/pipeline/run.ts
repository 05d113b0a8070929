/**
 * Drives the pipeline over every input: capture → decode → (track → explain) and hands each
 * finding to a sink as soon as it is final, so that the CLI can stream a 10 GB capture and the
 * library can collect a Report. Nothing here formats output.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { readCapture } from '../capture/open.js';
import { NotACaptureError } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import { BAD_CHECKSUM_TCP } from '../decode/checksum.js';
import { decodeFrame } from '../decode/frame.js';
import { ISSUE_NAMES, ISSUE_UNKNOWN_LINKTYPE } from '../decode/issues.js';
import { DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { ExplainContext } from '../explain/context.js';
import { HostHopsWait } from '../explain/deferral.js';
import { type ExplainedConnection, explainConnection } from '../explain/explainConnection.js';
import { applyKernelTrace, countKernel, emptyKernelSummary } from '../explain/kernelEvidence.js';
import { ladderOf } from '../explain/ladder.js';
import { findPatterns } from '../explain/patterns.js';
import { roundMicros } from '../explain/resetFields.js';
import type { KernelMatcher } from '../kernel/match.js';
import type { Connection, InputSummary, Ladder, Pattern, Reset, Summary } from '../model/report.js';
import { ipv6ToString } from '../track/address.js';
import type { FinishedConnection } from '../track/finished.js';
import { Tracker } from '../track/tracker.js';
import { ChecksumGate } from './checksumGate.js';
import { type HeldConnection, ResetOrder } from './resetOrder.js';
import { StreamPieces, continuesStream } from './stream.js';
import { TunnelBook } from './tunnels.js';

/** Receives findings as they become final. */
export interface AnalysisSink {
  reset(reset: Reset): void;
  connection(connection: Connection): void;
  pattern(pattern: Pattern): void;
  /** The ladder of each connection that reset (only when `RunOptions.ladders` is set). */
  ladder?(ladder: Ladder): void;
  /** Where each connection that reset lies in its capture (for `--write-pcap`). */
  resetConnection?(span: ConnectionSpan): void;
}

/** A connection's 4-tuple and the capture time its packets span, to find them again in the file. */
export interface ConnectionSpan {
  capture: number;
  conn: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  /**
   * First and last frame numbers of the connection in its capture (file order, which stays
   * monotonic where timestamps may not: pcapng interfaces with their own offsets, clock steps).
   */
  firstFrame: number;
  lastFrame: number;
}

/** Where a finished connection lies in its captures: one span per file of its stream that holds its frames. */
function spansOf(conn: FinishedConnection, pieces: StreamPieces): ConnectionSpan[] {
  const span = spanOf(conn);
  if (!pieces.spansFiles) return [span];
  return pieces.split(span.firstFrame, span.lastFrame).map((range) => ({ ...span, ...range }));
}

/** Where a finished connection lies in its capture: its tuple and frames. */
export function spanOf(conn: FinishedConnection): ConnectionSpan {
  return {
    capture: conn.capture,
    conn: conn.id,
    origAddr: conn.origAddr,
    origPort: conn.origPort,
    respAddr: conn.respAddr,
    respPort: conn.respPort,
    ...frameSpanOf(conn),
  };
}

/** The frames a finished connection spans, from the packets the tracker kept (first ones always are). */
export function frameSpanOf(conn: FinishedConnection): { firstFrame: number; lastFrame: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const p of conn.packets) {
    if (p.frame < first) first = p.frame;
    if (p.frame > last) last = p.frame;
  }
  for (const r of conn.resets) {
    if (r.frame < first) first = r.frame;
    if (r.frame > last) last = r.frame;
  }
  // When the tracker's shared ring was exhausted, packets were counted but not kept: take
  // every frame of the tuple from the start of the file rather than miss some.
  if (conn.packets.length === 0) first = 1;
  return { firstFrame: first, lastFrame: last };
}

/** Options of one analysis run. */
export interface RunOptions {
  /** Stream read for the path `-`. */
  stdin?: Readable;
  /** Bytes per read (tests shrink it). */
  chunkSize?: number;
  /** Called after each input with its summary (for progress and error messages). */
  onInputDone?: (input: InputSummary, index: number) => void;
  /** Zeek's tcp_inactivity_timeout in seconds of capture time (default 300). */
  inactivityTimeout?: number;
  /**
   * Called with every finished connection and its explanation, before the sink sees them (for
   * `explain`, which picks one connection and needs what the tracker knew of it).
   */
  onFinished?: (conn: FinishedConnection, explained: ExplainedConnection) => void;
  /** Draw a ladder for every connection that reset and hand it to `sink.ladder`. */
  ladders?: boolean;
  /** Called now and then while reading (bytes read so far of the current input, its size if known). */
  onProgress?: (progress: ReadProgress) => void;
  /** Kernel traces of the hosts (`--kernel-trace`): each reset a traced host sent gets the kernel's word. */
  kernel?: KernelMatcher;
  /** Track packets whatever their checksums say (Zeek's `-C`); by default bad ones are not tracked. */
  ignoreChecksums?: boolean;
  /**
   * Inputs as pieces of one capture: true tracks them all as one stream (`--stream`), false
   * gives each its own tracker, undefined (default) joins an input to the one before when it
   * continues it (stream.ts continuesStream).
   */
  stream?: boolean;
}

/** Zeek's tcp_inactivity_timeout (seconds), the tracker's default. */
const DEFAULT_INACTIVITY_TIMEOUT = 300;

/** A reset as the report shows it: (capture, frame in that file) instead of the stream frame. */
function resetInFiles(pieces: StreamPieces, r: Reset): Reset {
  const out: Reset = { ...r, capture: pieces.captureOf(r.frame), frame: pieces.fileFrameOf(r.frame) };
  // `parent` (DESIGN.md: a reset that follows an earlier one) once explain sets it.
  const parent = (r as { parent?: { id: string; capture: number; frame: number } | null }).parent;
  if (parent && typeof parent.frame === 'number') {
    (out as { parent?: unknown }).parent = { ...parent, capture: pieces.captureOf(parent.frame), frame: pieces.fileFrameOf(parent.frame) };
  }
  return out;
}

/** Rewrites a ladder's stream frame numbers to (capture, frame in that file). */
function mapLadderToFiles(pieces: StreamPieces, ladder: Ladder): void {
  for (const p of ladder.packets) {
    const frame = p.frame;
    p.capture = pieces.captureOf(frame);
    p.frame = pieces.fileFrameOf(frame);
  }
}

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

/** RST packets explained one by one per connection; a storm beyond this is counted in the summary. */
export const MAX_RESETS_PER_CONNECTION = 4096;

/** Records between two looks at the clock for progress. */
const PROGRESS_EVERY_RECORDS = 4096;
/** Least time between two progress callbacks. */
const PROGRESS_INTERVAL_MS = 250;

/** Size of a plain (not gzip) capture file, for an ETA; null for stdin, gzip or an unreadable path. */
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

/** Counts one explained reset into the summary's breakdowns. */
function countReset(summary: Summary, r: Reset): void {
  if (r.stage) summary.by_stage[r.stage] = (summary.by_stage[r.stage] ?? 0) + 1;
  if (r.cause) summary.by_cause[r.cause] = (summary.by_cause[r.cause] ?? 0) + 1;
  if (r.verdict) summary.by_verdict[r.verdict] = (summary.by_verdict[r.verdict] ?? 0) + 1;
  if (summary.kernel !== undefined) countKernel(summary.kernel, r);
}

/** An input that could not be read at all (missing file, not a capture). */
export interface UnreadableInput {
  path: string;
  message: string;
}

/** What a run found besides the streamed findings. */
export interface RunResult {
  inputs: InputSummary[];
  summary: Summary;
  unreadable: UnreadableInput[];
}

/** Turns a filesystem error into a one-line message. */
function describeOpenError(err: unknown): string {
  if (err instanceof NotACaptureError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory, not a capture';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ? e.message : String(err);
}

/** Analyses every input in order, streaming resets, connections and patterns to `sink`. */
export async function runAnalysis(paths: readonly string[], options: RunOptions, sink: AnalysisSink): Promise<RunResult> {
  const summary: Summary = { packets: 0, tcp_packets: 0, connections: 0, resets: 0, by_stage: {}, by_cause: {}, by_verdict: {} };
  const kernel = options.kernel;
  if (kernel !== undefined) summary.kernel = emptyKernelSummary();
  const inputs: InputSummary[] = [];
  const unreadable: UnreadableInput[] = [];
  const pkt = new DecodedPacket();
  const issueCounts = new Float64Array(ISSUE_NAMES.length);
  const undecoded = new Map<number, number>();
  const gate = options.ignoreChecksums ? null : new ChecksumGate();
  const tunnels = new TunnelBook();
  const maxGap = options.inactivityTimeout ?? DEFAULT_INACTIVITY_TIMEOUT;
  let provisionalIds = 0;
  let bytesBefore = 0;
  const provisionalId = () => `P${++provisionalIds}`;
  /** The pieces of the stream whose findings are being released (for frame numbers per file). */
  let releasing = new StreamPieces();
  const order = new ResetOrder({
    reset(r: Reset): void {
      countReset(summary, r);
      sink.reset(releasing.spansFiles ? resetInFiles(releasing, r) : r);
    },
    connection(held: HeldConnection): void {
      const { conn, explained } = held;
      options.onFinished?.(conn, explained);
      if (explained.resets.length > 0 && options.ladders && sink.ladder) {
        const ladder = ladderOf(conn, explained.resets);
        if (releasing.spansFiles) mapLadderToFiles(releasing, ladder);
        sink.ladder(ladder);
      }
      sink.connection(explained.connection);
    },
  });

  /** The stream being tracked: one tracker over one or more consecutive inputs. */
  interface Stream {
    captureIndex: number;
    ctx: ExplainContext;
    tracker: Tracker;
    pieces: StreamPieces;
    /** Connections whose server's hop distance a later connection may still teach (explain/deferral.ts). */
    waitForHops: HostHopsWait;
  }
  let current: Stream | null = null;

  const openStream = (captureIndex: number): Stream => {
    const ctx = new ExplainContext();
    const pieces = new StreamPieces();
    // A SYN refused in the name of a server the capture has not shown yet waits (bounded) for a
    // later connection to teach that server's hop distance (explain/deferral.ts).
    const waitForHops = new HostHopsWait(ctx, (conn: FinishedConnection): void => {
          // Reset ids are provisional here: ResetOrder numbers them in frame order as it releases them.
          const explained = explainConnection(conn, ctx, provisionalId);
          if (kernel !== undefined) for (const r of explained.resets) applyKernelTrace(r, kernel);
          ctx.learnFrom(conn, explained.resets);
          const tunnel = tunnels.take(conn.origAddr, conn.origPort, conn.respAddr, conn.respPort);
          if (tunnel !== undefined) explained.connection.tunnel = tunnel;
          if (pieces.spansFiles) explained.connection.capture = pieces.captureOf(frameSpanOf(conn).firstFrame);
          if (explained.resets.length > 0 && sink.resetConnection) for (const span of spansOf(conn, pieces)) sink.resetConnection(span);
          if (conn.resetsNotRecorded > 0) summary.resets_not_listed = (summary.resets_not_listed ?? 0) + conn.resetsNotRecorded;
          summary.connections++;
          order.finish(conn, explained);
    });
    const tracker = new Tracker(
      { captureIndex, inactivityTimeout: options.inactivityTimeout, maxResetsPerConnection: MAX_RESETS_PER_CONNECTION },
      {
        onConnectionDone(conn: FinishedConnection): void {
          waitForHops.offer(conn);
        },
      },
    );
    return { captureIndex, ctx, tracker, pieces, waitForHops };
  };

  const closeStream = (): void => {
    if (current === null) return;
    const { tracker, ctx, captureIndex, waitForHops } = current;
    // Peak table figures, measured before finish() empties the table (for `npm run bench`).
    const statsBeforeFinish = process.env.WHYRESET_TRACKER_STATS ? tracker.stats() : null;
    tracker.finish();
    waitForHops.flush();
    order.flush();
    if (statsBeforeFinish !== null) process.stderr.write(`whyreset-tracker-stats ${JSON.stringify({ ...tracker.stats(), atEnd: statsBeforeFinish })}\n`);
    for (const p of findPatterns(ctx, captureIndex)) sink.pattern(p);
    tunnels.clear();
    current = null;
  };

  for (let index = 0; index < paths.length; index++) {
    const path = paths[index] as string;
    issueCounts.fill(0);
    let tcpPackets = 0;
    let firstUnknownLinkOffset = -1;
    let unknownLinkType = -1;
    let resetPackets = 0;
    let badChecksums = 0;
    const captureIndex = inputs.length;
    let stream: Stream | null = null;
    let frameOffset = 0;
    let lastFrame = 0;

    /** The first record of this input decides whether it continues the current stream. */
    const startPiece = (rec: CaptureRecord): Stream => {
      if (current !== null && options.stream !== true && (options.stream === false || !continuesStream(current.pieces, path, rec.ts, rec.linkType, maxGap))) closeStream();
      if (current === null) {
        current = openStream(captureIndex);
        releasing = current.pieces;
      }
      frameOffset = current.pieces.add(captureIndex);
      current.pieces.lastPath = path;
      return current;
    };

    const progress = options.onProgress;
    const totalBytes = progress === undefined ? null : plainFileSize(path);
    let untilProgress = PROGRESS_EVERY_RECORDS;
    let lastProgressMs = 0;
    const onRecord = (rec: CaptureRecord): void => {
      if (progress !== undefined && --untilProgress === 0) {
        // A clock read per few thousand records, a callback at most every PROGRESS_INTERVAL_MS.
        untilProgress = PROGRESS_EVERY_RECORDS;
        const now = performance.now();
        if (now - lastProgressMs >= PROGRESS_INTERVAL_MS) {
          lastProgressMs = now;
          progress({ input: index, inputs: paths.length, path, bytesRead: rec.fileOffset, totalBytes, bytesBefore });
        }
      }
      if (stream === null) stream = startPiece(rec);
      lastFrame = rec.frame;
      // Frames count across the pieces of a stream while the tracker runs (mapped back in mapToFiles).
      if (frameOffset !== 0) rec.frame += frameOffset;
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
      if (!pkt.isTcp) return;
      tcpPackets++;
      // Zeek drops a packet whose IPv4 header checksum is wrong; a wrong TCP checksum still marks
      // its connection with 'C'/'c' and bad_TCP_checksum, and goes no further (checksumGate.ts).
      if (gate !== null && !gate.admit(rec.view, pkt)) {
        badChecksums++;
        if (pkt.badChecksum === BAD_CHECKSUM_TCP) {
          if (pkt.tunnelCount !== 0) tunnels.note(pkt);
          stream.tracker.trackPacket(rec, pkt);
        }
        return;
      }
      if ((pkt.flags & TCP_RST) !== 0) resetPackets++;
      else if ((pkt.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // IPv6: the tracker's cached text, so a recurring server is one string, not one per SYN-ACK.
        if (pkt.ipVersion === 4) stream.ctx.noteSynAck4(pkt.src4 >>> 0, pkt.ttl);
        else stream.ctx.noteSynAck6(ipv6ToString(pkt.src6[0] ?? 0, pkt.src6[1] ?? 0, pkt.src6[2] ?? 0, pkt.src6[3] ?? 0), pkt.ttl);
      }
      if (pkt.tunnelCount !== 0) tunnels.note(pkt);
      const verdict = stream.tracker.trackPacket(rec, pkt);
      // Every RST the tracker takes holds a place in the order of the report (resetOrder.ts).
      if (verdict.tracked && (pkt.flags & TCP_RST) !== 0) order.noteRst(rec.frame, verdict.connNumber);
    };

    let facts: Awaited<ReturnType<typeof readCapture>> | null = null;
    try {
      facts = await readCapture(path, onRecord, { stdin: options.stdin, chunkSize: options.chunkSize });
    } catch (err) {
      unreadable.push({ path, message: describeOpenError(err) });
    }
    // The next piece of the stream numbers its frames after this one's.
    const mine = stream as Stream | null;
    if (mine !== null && mine === (current as Stream | null)) mine.pieces.frames += lastFrame;
    if (facts === null) continue;
    if (options.stream === false) closeStream();
    summary.resets += resetPackets;
    if (badChecksums > 0) summary.bad_checksums = (summary.bad_checksums ?? 0) + badChecksums;
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
    const input: InputSummary = {
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
    summary.packets += state.packets;
    summary.tcp_packets += tcpPackets;
    inputs.push(input);
    options.onInputDone?.(input, inputs.length - 1);
  }
  closeStream();
  if (undecoded.size > 0) {
    summary.undecoded = {};
    for (const [linkType, n] of undecoded) summary.undecoded[String(linkType)] = n;
  }
  const offload = gate?.offloadHosts() ?? [];
  if (offload.length > 0) summary.checksum_offload = offload;
  return { inputs, summary, unreadable };
}
