/**
 * Progress on stderr for long inputs, only when stderr is a terminal: one line redrawn in place
 * (bytes read, MB/s, ETA when the size is known). Pipes and CI logs see nothing.
 */
import { fstatSync } from 'node:fs';
import type { ReadProgress } from '../pipeline/run.js';

/** Seconds before the first progress line (short runs stay quiet). */
const QUIET_FOR_S = 1;

/** Bytes as MB with one decimal (powers of 1000). */
function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The progress line for `p` after `elapsedS` seconds of reading (pure, for tests). */
export function progressLine(p: ReadProgress, elapsedS: number): string {
  const done = p.bytesBefore + p.bytesRead;
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const which = p.inputs > 1 ? `[${p.input + 1}/${p.inputs}] ` : '';
  let line = `whyreset: ${which}${p.path}: ${mb(p.bytesRead)}`;
  if (p.totalBytes !== null && p.totalBytes > 0) {
    const share = Math.min(1, p.bytesRead / p.totalBytes);
    line += ` of ${mb(p.totalBytes)} (${Math.floor(share * 100)}%)`;
  }
  line += `, ${(rate / 1e6).toFixed(0)} MB/s`;
  if (p.totalBytes !== null && rate > 0 && p.bytesRead <= p.totalBytes) {
    const eta = (p.totalBytes - p.bytesRead) / rate;
    line += `, ETA ${eta < 60 ? `${Math.ceil(eta)} s` : `${Math.floor(eta / 60)} min ${String(Math.ceil(eta % 60)).padStart(2, '0')} s`}`;
  }
  return line;
}

/**
 * A monotonic clock in milliseconds. Not performance.now(): the global \`performance\` loads
 * node:perf_hooks on first use (~15 M instructions at start), for every run, terminal or not.
 */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The stream a progress line is drawn on. */
type ProgressStream = Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'write'>;

/**
 * Standard error when it is a terminal, else null. process.stderr is read only for a character
 * device (a terminal is one; a file or a pipe is not): reading it creates the stream, which loads
 * ~20 of Node's stream modules, compiled from source under the bin's V8 flags (a tiny analyze
 * under callgrind: ~45 M instructions); node:tty's isatty would load node:net, as costly.
 */
function stderrIfTerminal(): ProgressStream | null {
  let characterDevice: boolean;
  try {
    characterDevice = fstatSync(2).isCharacterDevice();
  } catch {
    return null;
  }
  return characterDevice && process.stderr.isTTY ? process.stderr : null;
}

/** A progress reporter bound to a stream; `report` does nothing unless the stream is a terminal. */
export class Progress {
  private readonly started = monotonicMs();
  private shown = false;
  private readonly stream: ProgressStream | null;

  /** `stream`: standard error when not given (then looked at once, here). */
  constructor(stream?: ProgressStream, private readonly quietForS = QUIET_FOR_S) {
    this.stream = stream === undefined ? stderrIfTerminal() : stream;
  }

  /** Whether progress will be drawn at all. */
  get enabled(): boolean {
    return Boolean(this.stream?.isTTY);
  }

  /** Redraws the line (after the first second). */
  report(p: ReadProgress): void {
    if (this.stream === null || !this.stream.isTTY) return;
    const elapsed = (monotonicMs() - this.started) / 1000;
    if (elapsed < this.quietForS) return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r${progressLine(p, elapsed).slice(0, width)}\x1b[K`);
    this.shown = true;
  }

  /** Clears the line before the report is printed. */
  done(): void {
    if (this.shown) this.stream?.write('\r\x1b[K');
    this.shown = false;
  }
}
