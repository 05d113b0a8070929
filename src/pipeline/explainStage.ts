/**
 * The second half of the pipeline: what the track stage (trackStage.ts) tells, turned into
 * findings. Each finished connection is explained against the stream's ExplainContext (which
 * learns from SYN-ACKs as the tracker sees them and from every explained connection), waits if
 * its server's hop distance is still unknown (explain/deferral.ts), is put in report order
 * (resetOrder.ts) and handed to the sink. It runs on the main thread whether the track stage
 * runs beside it or in a worker, so the findings are the same either way.
 */
import { ExplainContext } from '../explain/context.js';
import { HostHopsWait } from '../explain/deferral.js';
import { type CommunityIdScope, type ExplainedConnection, explainConnection, explainResets } from '../explain/explainConnection.js';
import { applyKernelTrace, countKernel, emptyKernelSummary } from '../explain/kernelEvidence.js';
import { ladderOf } from '../explain/ladder.js';
import { findPatterns } from '../explain/patterns.js';
import type { KernelMatcher } from '../kernel/match.js';
import type { Connection, InputSummary, Ladder, Pattern, Reset, Summary } from '../model/report.js';
import type { FinishedConnection } from '../track/finished.js';
import type { CarriedStream } from './carry.js';
import { type HeldConnection, ResetOrder } from './resetOrder.js';
import { StreamPieces } from './stream.js';
import type { InputOutcome, ReadProgress, TrackEvents } from './trackStage.js';

/** Receives findings as they become final. */
export interface AnalysisSink {
  reset(reset: Reset): void;
  connection(connection: Connection): void;
  /**
   * True when `connection` ignores what it is given (the text and CSV reports): a connection
   * waiting for report order is then held without its entry, and the entry is not handed over.
   */
  connectionsUnread?: boolean;
  /**
   * True when `reset` reads only what pipeline/resetOrder.ts digestOf keeps (the text report's
   * digest): a reset waiting for report order is then held as that.
   */
  resetsDigestOnly?: boolean;
  pattern(pattern: Pattern): void;
  /** The ladder of each connection that reset (only when `RunOptions.ladders` is set). */
  ladder?(ladder: Ladder): void;
  /**
   * Asked before a connection's ladder is built: true when the sink has noted the connection
   * without needing its ladder (the HTML report past its ladders per cause), which is then not
   * built. Its resets have all gone to `reset` already.
   */
  ladderLeftOut?(conn: string, resets: readonly Reset[]): boolean;
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

/** What the explain stage does with what it is told (the part of RunOptions it needs). */
export interface ExplainOptions {
  /** Called after each input with its summary (for progress and error messages). */
  onInputDone?: (input: InputSummary, index: number) => void;
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
  /** Called with the capture time of each input's first record (the filters' relative --since/--until). */
  onFirstPacket?: (ts: number) => void;
  /** Which findings carry a Community ID (explain/explainConnection.ts CommunityIdScope; default `all`). */
  communityIds?: CommunityIdScope;
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
  /** The last stream, unfinished, when `RunOptions.carry` was set and an input was read (carry.ts). */
  carried?: CarriedStream;
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
  // The kept packets' span, whether or not they were built as objects (track/packetRing.ts drainRing).
  let first = conn.keptPackets > 0 ? conn.keptFirstFrame : Number.POSITIVE_INFINITY;
  let last = conn.keptPackets > 0 ? conn.keptLastFrame : 0;
  for (const r of conn.resets) {
    if (r.frame < first) first = r.frame;
    if (r.frame > last) last = r.frame;
  }
  // When the tracker's shared ring was exhausted, packets were counted but not kept: take
  // every frame of the tuple from the start of the file rather than miss some.
  if (conn.keptPackets === 0) first = 1;
  return { firstFrame: first, lastFrame: last };
}

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

/** Counts one explained reset into the summary's breakdowns. */
function countReset(summary: Summary, r: Reset): void {
  if (r.stage) summary.by_stage[r.stage] = (summary.by_stage[r.stage] ?? 0) + 1;
  if (r.cause) summary.by_cause[r.cause] = (summary.by_cause[r.cause] ?? 0) + 1;
  if (r.verdict) summary.by_verdict[r.verdict] = (summary.by_verdict[r.verdict] ?? 0) + 1;
  if (summary.kernel !== undefined) countKernel(summary.kernel, r);
}

/** The explain side of one stream: its context, its pieces (for frame numbers per file), its waiting connections. */
interface ExplainStream {
  captureIndex: number;
  ctx: ExplainContext;
  pieces: StreamPieces;
  /** Connections whose server's hop distance a later connection may still teach (explain/deferral.ts). */
  waitForHops: HostHopsWait;
}

/** Explains, orders and hands on what the track stage reports; `result` once it told `end`. */
export class ExplainStage implements TrackEvents {
  readonly summary: Summary = { packets: 0, tcp_packets: 0, connections: 0, resets: 0, by_stage: {}, by_cause: {}, by_verdict: {} };
  readonly inputs: InputSummary[] = [];
  readonly unreadableInputs: UnreadableInput[] = [];
  private readonly order: ResetOrder;
  private current: ExplainStream | null = null;
  /** The pieces of the stream whose findings are being released (for frame numbers per file). */
  private releasing = new StreamPieces();
  private provisionalIds = 0;
  /** Files of the current stream that earlier runs analysed (a stream resumed from carry.ts). */
  filesBefore = 0;
  private readonly provisionalId = (): string => `P${++this.provisionalIds}`;

  constructor(
    private readonly options: ExplainOptions,
    private readonly sink: AnalysisSink,
  ) {
    if (options.kernel !== undefined) this.summary.kernel = emptyKernelSummary();
    this.order = new ResetOrder({
      reset: (r: Reset): void => {
        countReset(this.summary, r);
        sink.reset(this.releasing.spansFiles ? resetInFiles(this.releasing, r) : r);
      },
      connection: (held: HeldConnection): void => {
        const { conn, explained } = held;
        if (explained === null) return;
        if (conn === null) {
          sink.connection(explained.connection);
          return;
        }
        options.onFinished?.(conn, explained);
        if (explained.resets.length > 0 && options.ladders && sink.ladder && sink.ladderLeftOut?.(conn.id, explained.resets) !== true) {
          const ladder = ladderOf(conn, explained.resets);
          if (this.releasing.spansFiles) mapLadderToFiles(this.releasing, ladder);
          sink.ladder(ladder);
        }
        sink.connection(explained.connection);
      },
    }, sink.resetsDigestOnly === true);
  }

  /** What the run found besides the streamed findings. */
  result(): RunResult {
    // Inputs sit at their capture index (read in time order, inputOrder.ts); a gap (an input a
    // peek took for a capture that was none) closes up.
    return { inputs: this.inputs.filter((input) => input !== undefined), summary: this.summary, unreadable: this.unreadableInputs };
  }

  /**
   * The explain side of the open stream and of the run, for carry.ts to save or restore (null when
   * no stream is open): the context, the hop waits, the pieces, the report order.
   */
  carryParts(): { ctx: ExplainContext; waitForHops: HostHopsWait; pieces: StreamPieces; order: ResetOrder; provisionalIds: number } | null {
    const stream = this.current;
    if (stream === null) return null;
    return { ctx: stream.ctx, waitForHops: stream.waitForHops, pieces: stream.pieces, order: this.order, provisionalIds: this.provisionalIds };
  }

  /** A resumed stream's provisional id counter and earlier files (carry.ts restoreStream). */
  resumed(provisionalIds: number, filesBefore: number): void {
    this.provisionalIds = provisionalIds;
    this.filesBefore = filesBefore;
  }

  openStream(captureIndex: number): void {
    const ctx = new ExplainContext();
    const pieces = new StreamPieces();
    // A SYN refused in the name of a server the capture has not shown yet waits (bounded) for a
    // later connection to teach that server's hop distance (explain/deferral.ts).
    // `explain` keeps a connection only for onFinished and ladders; without them a released one may be written into a spare graph (heldPack.ts).
    const waitForHops = new HostHopsWait(ctx, (conn: FinishedConnection): void => this.explain(conn, ctx, pieces), !this.keepsConnections());
    this.current = { captureIndex, ctx, pieces, waitForHops };
    this.releasing = pieces;
  }

  /** Explains one finished connection of the stream and queues it in report order. */
  private explain(conn: FinishedConnection, ctx: ExplainContext, pieces: StreamPieces): void {
    const { kernel } = this.options;
    const summary = this.summary;
    const sink = this.sink;
    // The held connection is kept only for those who read it when it is released.
    const keepConn = this.keepsConnections();
    const keepEntry = sink.connectionsUnread !== true;
    // Reset ids are provisional here: ResetOrder numbers them in frame order as it releases them.
    // The connection's entry only where someone reads it (the text and CSV reports list none).
    const explained = keepConn || keepEntry ? explainConnection(conn, ctx, this.provisionalId, this.options.communityIds) : null;
    const resets = explained === null ? explainResets(conn, ctx, this.provisionalId, this.options.communityIds) : explained.resets;
    if (kernel !== undefined) for (const r of resets) applyKernelTrace(r, kernel);
    ctx.learnFrom(conn, resets);
    if (explained !== null) {
      // The outer layers the tracker kept for the connection (track/tunnelTable.ts).
      if (conn.tunnel !== null) explained.connection.tunnel = conn.tunnel;
      if (pieces.spansFiles) explained.connection.capture = pieces.captureOf(frameSpanOf(conn).firstFrame);
    }
    if (resets.length > 0 && sink.resetConnection) for (const span of spansOf(conn, pieces)) sink.resetConnection(span);
    if (conn.resetsNotRecorded > 0) summary.resets_not_listed = (summary.resets_not_listed ?? 0) + conn.resetsNotRecorded;
    summary.connections++;
    this.order.finish(conn, explained ?? resets, keepConn, keepEntry);
  }

  /** True when a finished connection is read after `explain` returns (by onFinished, or for its ladder). */
  private keepsConnections(): boolean {
    return this.options.onFinished !== undefined || (this.options.ladders === true && this.sink.ladder !== undefined);
  }

  firstRecord(ts: number): void {
    this.options.onFirstPacket?.(ts);
  }

  piece(captureIndex: number, offset: number): void {
    this.current?.pieces.addAt(captureIndex, offset);
  }

  synAck4(addr: number, ttl: number): void {
    this.current?.ctx.noteSynAck4(addr, ttl);
  }

  synAck6(addr: string, ttl: number): void {
    this.current?.ctx.noteSynAck6(addr, ttl);
  }

  rst(frame: number, connNumber: number): void {
    this.order.noteRst(frame, connNumber);
  }

  connectionDone(conn: FinishedConnection): void {
    this.current?.waitForHops.offer(conn);
  }

  closeStream(stats: string | null): void {
    const stream = this.current;
    if (stream === null) return;
    stream.waitForHops.flush();
    this.order.flush();
    if (stats !== null) process.stderr.write(stats);
    for (const p of findPatterns(stream.ctx, stream.captureIndex)) this.sink.pattern(p);
    this.current = null;
    this.filesBefore = 0;
  }

  unreadable(path: string, message: string): void {
    this.unreadableInputs.push({ path, message });
  }

  inputDone(outcome: InputOutcome): void {
    const { summary } = this;
    const { input } = outcome;
    summary.resets += outcome.resetPackets;
    if (outcome.badChecksums > 0) summary.bad_checksums = (summary.bad_checksums ?? 0) + outcome.badChecksums;
    summary.packets += input.packets;
    summary.tcp_packets += outcome.tcpPackets;
    this.inputs[outcome.captureIndex] = input;
    this.options.onInputDone?.(input, outcome.captureIndex);
  }

  progress(progress: ReadProgress): void {
    this.options.onProgress?.(progress);
  }

  end(undecoded: [number, number][], checksumOffload: string[]): void {
    if (undecoded.length > 0) {
      this.summary.undecoded = {};
      for (const [linkType, n] of undecoded) this.summary.undecoded[String(linkType)] = n;
    }
    if (checksumOffload.length > 0) this.summary.checksum_offload = checksumOffload;
  }
}
