import type { Connection, Pattern, Report, Reset } from './model/report.js';
/**
 * whyreset's library API: `analyze(inputs, options)` reads captures and returns the Report of
 * DESIGN.md. For captures too large to hold every finding in memory, use `runAnalysis` with a
 * sink that streams (as the CLI does).
 */
import { type RunOptions, runAnalysis } from './pipeline/run.js';
import { VERSION } from './version.js';

export type { AnalysisSink, RunOptions, RunResult, UnreadableInput } from './pipeline/run.js';
export { runAnalysis } from './pipeline/run.js';
export type { CorrelationOptions, CorrelationResult } from './pipeline/runCorrelation.js';
/** Several captures of the same traffic: one reset per physical RST with `seen_at` and `born`, and the path (see README, Correlating captures). */
export { runCorrelation } from './pipeline/runCorrelation.js';
export type * from './model/report.js';
export { VERSION } from './version.js';

/** Options of `analyze`. */
export interface AnalyzeOptions extends RunOptions {
  /** Reject when an input cannot be read at all (default true); false records it and goes on. */
  strict?: boolean;
}

/** An input could not be read at all. */
export class UnreadableInputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Reads every capture in `inputs` (paths, `-` for stdin) and returns the whole Report.
 * Damaged captures still yield what was read, with their errors in `inputs[].errors`.
 */
export async function analyze(inputs: readonly string[], options: AnalyzeOptions = {}): Promise<Report> {
  const resets: Reset[] = [];
  const connections: Connection[] = [];
  const patterns: Pattern[] = [];
  const result = await runAnalysis(inputs, options, {
    reset: (r) => resets.push(r),
    connection: (c) => connections.push(c),
    pattern: (p) => patterns.push(p),
  });
  const first = result.unreadable[0];
  if (first && options.strict !== false) throw new UnreadableInputError(first.path, first.message);
  return {
    tool: { name: 'whyreset', version: VERSION },
    inputs: result.inputs,
    summary: result.summary,
    resets,
    connections,
    patterns,
  };
}
