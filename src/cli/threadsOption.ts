/**
 * `--threads N` (analyze, explain, correlate): how many threads a run may use. With 2 or more,
 * a worker thread reads, decodes and tracks while the main thread explains and reports
 * (pipeline/threads.ts); the output is the same whatever N.
 */
import { availableParallelism } from 'node:os';

/** Help text shared by the commands that take the option. */
export const THREADS_HELP = `      --threads N    threads to use (default: the cores available): with 2 or more,
                     one thread reads, decodes and tracks while another explains and
                     reports (more than 2 gain nothing more); the output is the same for any N.
                     Standard input, and inputs under 64 MiB in all, are read on one thread`;

/** Environment variable that lowers (or raises) the 64 MiB below which a run stays on one thread (tests use 0). */
export const THREADS_MIN_BYTES_ENV = 'WHYRESET_THREADS_MIN_BYTES';

/** What `--threads` (and the environment) ask of a run. */
export interface ThreadOptions {
  threads: number;
  threadsMinBytes: number | undefined;
}

/** `--threads N`: a whole number from 1, the cores available when not given, or an error message. */
export function threadOptionsOf(value: string | undefined, env: NodeJS.ProcessEnv = process.env): ThreadOptions | string {
  const threads = value === undefined ? availableParallelism() : Number(value);
  if (!Number.isInteger(threads) || threads < 1) return `--threads needs a whole number from 1, not "${value}"`;
  const minText = env[THREADS_MIN_BYTES_ENV];
  const threadsMinBytes = minText === undefined || minText === '' ? undefined : Number(minText);
  if (threadsMinBytes !== undefined && !(threadsMinBytes >= 0)) return `${THREADS_MIN_BYTES_ENV} needs a number of bytes from 0, not "${minText}"`;
  return { threads, threadsMinBytes };
}
