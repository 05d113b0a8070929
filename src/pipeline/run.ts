/**
 * Drives the pipeline over every input: capture → decode → (track → explain) and hands each
 * finding to a sink as soon as it is final, so that the CLI can stream a 10 GB capture and the
 * library can collect a Report. Nothing here formats output.
 */
import type { Readable } from 'node:stream';
import { readCapture } from '../capture/open.js';
import { NotACaptureError } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import { decodeFrame } from '../decode/frame.js';
import { ISSUE_NAMES, ISSUE_UNKNOWN_LINKTYPE } from '../decode/issues.js';
import { DecodedPacket, TCP_RST } from '../decode/packet.js';
import type { Connection, InputSummary, Pattern, Reset, Summary } from '../report/model.js';
import { resetFromPacket, roundMicros } from './resetFields.js';

/** Receives findings as they become final. */
export interface AnalysisSink {
  reset(reset: Reset): void;
  connection(connection: Connection): void;
  pattern(pattern: Pattern): void;
}

/** Options of one analysis run. */
export interface RunOptions {
  /** Stream read for the path `-`. */
  stdin?: Readable;
  /** Bytes per read (tests shrink it). */
  chunkSize?: number;
  /** Called after each input with its summary (for progress and error messages). */
  onInputDone?: (input: InputSummary, index: number) => void;
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

  for (let index = 0; index < paths.length; index++) {
    const path = paths[index] as string;
    issueCounts.fill(0);
    let tcpPackets = 0;
    let firstUnknownLinkOffset = -1;
    let unknownLinkType = -1;

    const onRecord = (rec: CaptureRecord): void => {
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
      if ((pkt.flags & TCP_RST) !== 0) {
        summary.resets++;
        sink.reset(resetFromPacket(`R${summary.resets}`, inputs.length, rec, pkt));
      }
    };

    let facts: Awaited<ReturnType<typeof readCapture>>;
    try {
      facts = await readCapture(path, onRecord, { stdin: options.stdin, chunkSize: options.chunkSize });
    } catch (err) {
      unreadable.push({ path, message: describeOpenError(err) });
      continue;
    }
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
    summary.packets += state.packets;
    summary.tcp_packets += tcpPackets;
    inputs.push(input);
    options.onInputDone?.(input, inputs.length - 1);
  }
  return { inputs, summary, unreadable };
}
