/**
 * The options that `analyze`, `explain` and `correlate` check the same way — colour, Zeek's
 * inactivity timeout, threads, kernel traces and the finding filters — checked once here, so the
 * three commands cannot drift apart in what they accept or in the message a wrong value gets
 * (issue 11: one option table for the three, options.ts; this is its checking half).
 */
import type { KernelMatcher } from '../kernel/match.js';
import { type FilterOptionValues, type FindingFilter, filterOf } from '../pipeline/filter.js';
import type { ColourMode } from '../report/style.js';
import { colourModeOf } from './colourOption.js';
import { EXIT_USAGE, inactivityTimeoutOf, parseCommandLine, warn } from './common.js';
import { kernelMatcherOf } from './kernelTraceOption.js';
import { type ThreadOptions, threadOptionsOf } from './threadsOption.js';

/** The parsed values the shared options come from. */
export interface SharedOptionValues extends FilterOptionValues {
  color?: string;
  'inactivity-timeout'?: string;
  threads?: string;
  'kernel-trace'?: string[];
}

/** The shared options, checked. */
export interface SharedRunOptions {
  colour: ColourMode;
  inactivity: number | undefined;
  threads: ThreadOptions;
  kernel: KernelMatcher | undefined;
  filter: FindingFilter | null;
}

/** The shared options of a command line, or the one-line message for the first that is wrong. */
export function sharedRunOptionsOf(values: SharedOptionValues): SharedRunOptions | string {
  const colour = colourModeOf(values.color);
  if (typeof colour !== 'string') return colour.error;
  const inactivity = inactivityTimeoutOf(values['inactivity-timeout']);
  if (typeof inactivity === 'string') return inactivity;
  const threads = threadOptionsOf(values.threads);
  if (typeof threads === 'string') return threads;
  const filter = filterOf(values);
  if (typeof filter === 'string') return filter;
  const kernel = kernelMatcherOf(values['kernel-trace']);
  if (typeof kernel === 'string') return kernel;
  return { colour, inactivity, threads, kernel, filter };
}

/**
 * Parses an analysing command's arguments and checks its shared options: the values, the
 * positionals and the shared options, or the exit code when it is already done (--help, or a
 * usage error reported in one line).
 */
export function parseRunCommand<T extends { values: SharedOptionValues & { help?: boolean } }>(parse: () => T, help: string): (T & { shared: SharedRunOptions }) | number {
  const parsed = parseCommandLine(parse, help);
  if (typeof parsed === 'number') return parsed;
  const shared = sharedRunOptionsOf(parsed.values);
  if (typeof shared === 'string') {
    warn(shared);
    return EXIT_USAGE;
  }
  return { ...parsed, shared };
}
