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
import { decodeFrame } from '../decode/frame.js';
import { ISSUE_NAMES, ISSUE_UNKNOWN_LINKTYPE } from '../decode/issues.js';
import { DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { ExplainContext } from '../explain/context.js';
import { HostHopsWait } from '../explain/deferral.js';
import { type ExplainedConnection, explainConnection } from '../explain/explainConnection.js';
import { ladderOf } from '../explain/ladder.js';
import { findPatterns } from '../explain/patterns.js';
import { roundMicros } from '../explain/resetFields.js';
import type { Connection, InputSummary, Ladder, Pattern, Reset, Summary } from '../model/report.js';
import { ipv6ToString } from '../track/address.js';
import type { FinishedConnection } from '../track/finished.js';
import { Tracker } from '../track/tracker.js';

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
  const inputs: InputSummary[] = [];
  const unreadable: UnreadableInput[] = [];
  const pkt = new DecodedPacket();
  const issueCounts = new Float64Array(ISSUE_NAMES.length);
  let resetIds = 0;
  let bytesBefore = 0;
  const nextId = () => `R${++resetIds}`;

  for (let index = 0; index < paths.length; index++) {
    const path = paths[index] as string;
    issueCounts.fill(0);
    let tcpPackets = 0;
    let firstUnknownLinkOffset = -1;
    let unknownLinkType = -1;
    let resetPackets = 0;
    const captureIndex = inputs.length;
    const ctx = new ExplainContext();
    // A SYN refused in the name of a server the capture has not shown yet waits (bounded) for a
    // later connection to teach that server's hop distance (explain/deferral.ts).
    const waitForHops = new HostHopsWait(ctx, (conn: FinishedConnection): void => {
          const explained = explainConnection(conn, ctx, nextId);
          ctx.learnFrom(conn, explained.resets);
          options.onFinished?.(conn, explained);
          for (const r of explained.resets) {
            countReset(summary, r);
            sink.reset(r);
          }
          if (explained.resets.length > 0) {
            if (options.ladders) sink.ladder?.(ladderOf(conn, explained.resets));
            sink.resetConnection?.(spanOf(conn));
          }
          if (conn.resetsNotRecorded > 0) summary.resets_not_listed = (summary.resets_not_listed ?? 0) + conn.resetsNotRecorded;
          summary.connections++;
          sink.connection(explained.connection);
    });
    const tracker = new Tracker(
      { captureIndex, inactivityTimeout: options.inactivityTimeout, maxResetsPerConnection: MAX_RESETS_PER_CONNECTION },
      {
        onConnectionDone(conn: FinishedConnection): void {
          waitForHops.offer(conn);
        },
      },
    );

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
      const issue = decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
      if (issue !== 0) {
        issueCounts[issue] = (issueCounts[issue] ?? 0) + 1;
        if (issue === ISSUE_UNKNOWN_LINKTYPE && firstUnknownLinkOffset < 0) {
          firstUnknownLinkOffset = rec.fileOffset;
          unknownLinkType = rec.linkType;
        }
      }
      if (!pkt.isTcp) return;
      tcpPackets++;
      if ((pkt.flags & TCP_RST) !== 0) resetPackets++;
      else if ((pkt.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // IPv6: the tracker's cached text, so a recurring server is one string, not one per SYN-ACK.
        if (pkt.ipVersion === 4) ctx.noteSynAck4(pkt.src4 >>> 0, pkt.ttl);
        else ctx.noteSynAck6(ipv6ToString(pkt.src6[0] ?? 0, pkt.src6[1] ?? 0, pkt.src6[2] ?? 0, pkt.src6[3] ?? 0), pkt.ttl);
      }
      tracker.trackPacket(rec, pkt);
    };

    let facts: Awaited<ReturnType<typeof readCapture>>;
    try {
      facts = await readCapture(path, onRecord, { stdin: options.stdin, chunkSize: options.chunkSize });
    } catch (err) {
      unreadable.push({ path, message: describeOpenError(err) });
      continue;
    }
    // Peak table figures, measured before finish() empties the table (for `npm run bench`).
    const statsBeforeFinish = process.env.WHYRESET_TRACKER_STATS ? tracker.stats() : null;
    tracker.finish();
    waitForHops.flush();
    if (statsBeforeFinish !== null) process.stderr.write(`whyreset-tracker-stats ${JSON.stringify({ ...tracker.stats(), atEnd: statsBeforeFinish })}\n`);
    for (const p of findPatterns(ctx, captureIndex)) sink.pattern(p);
    summary.resets += resetPackets;
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
  return { inputs, summary, unreadable };
}
