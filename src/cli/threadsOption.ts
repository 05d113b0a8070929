/**
 * `--threads N` (analyze, explain, correlate): how many threads a run may use. With 2 or more,
 * a worker thread reads, decodes and tracks while the main thread explains and reports
 * (pipeline/threads.ts); the output is the same whatever N.
 */
import { availableParallelism } from 'node:os';

/** Help text shared by the commands that take the option. */
export const THREADS_HELP = `      --threads N    threads to use (default: 1 on one core, 2 with 3 or more; on 2 cores
                     chosen per run: 2 where 55 % or more of the TCP packets in the first
                     input's first 256 KiB open or reset a connection — a SYN flood, 0.83x
                     the time of one thread —
                     and no other process's thread is runnable, else 1, as on ordinary
                     traffic, where two threads take 1.15-1.3x the time; WHYRESET_THREAD_STATS=1
                     prints the choice): with 2 or more, one thread reads, decodes and tracks
                     while another explains and reports (more than 2 gain nothing more); the
                     output is the same for any N. Standard input, and inputs under 64 MiB in
                     all, are read on one thread`;

/**
 * Cores below which the default stays on one thread. A one-thread run already keeps about 1.5
 * cores busy: V8's background threads (TurboFan compiles, the GC's parallel and concurrent
 * helpers) spent 1.1–1.2 s of CPU beside the main thread's 1.63 s on the 512 MiB mix (per-thread
 * CPU from /proc). Two threads need more CPU in all (3.5–3.7 s: the worker's start, packing and
 * unpacking each finished connection, two isolates compiling and collecting), so on 2 cores they
 * cannot finish first (the quiet bench on main c49ae32: text 252 MB/s with 2 threads vs 256 with
 * 1, JSON 257 vs 264); a third core takes V8's background work off the two stages. Measured again
 * (callgrind, one file per thread, 64 MiB mix): V8's background threads are 96 % TurboFan's
 * concurrent compile, 2.16 G instructions beside one thread's 2.36 G; two threads 1.71 G + 1.87 G
 * + 3.50 G of V8's, so on 2 cores their total CPU over two cores exceeds one thread's critical path.
 * Session 9, after the worker stopped detaching ArrayBuffers (pipeline/trackWorker.ts flush: the
 * transfer deoptimised its whole track path) and the unpacked numbers became Smis (connPack.ts
 * stored): paired runs (farm-bench, 5-7 pairs, the runs given the CPU by a high-share cgroup on a
 * machine loaded by other work), two threads over one, median wall: 512 MiB mix text 0.965x
 * (0.917 vs 0.942 s; CPU 1.13x), JSON 0.84x (0.951 vs 1.130 s), but floods slower: 200k-connection
 * flood 1.05x, 1M-connection flood 1.19x (9.6 vs 8.1 s, CPU 1.26x) — there the main thread,
 * which explains every connection, is the bottleneck and unpacking each connection adds to it. So
 * the default stays one thread on 2 cores: a clear gain on the mix only for JSON, a loss on floods.
 * Since session 10 the floods gain on two threads (0.83× on 1M connections): session 12's default
 * on 2 cores chooses per run (defaultDecidesByCapture, pipeline/threadChoice.ts).
 */
export const MIN_CORES_FOR_TWO_THREADS = 3;

/** The default of `--threads` on a machine with `cores` cores: 2 where a third core is free for V8's own threads, else 1. */
export function defaultThreads(cores: number): number {
  return cores >= MIN_CORES_FOR_TWO_THREADS ? 2 : 1;
}

/**
 * Whether the default on `cores` cores decides from the capture (pipeline/threadChoice.ts): on 2
 * cores, where two threads lose on ordinary traffic (the mix above) but gain on a SYN flood (since
 * session 10: 1,000,000-connection flood 0.83× the wall time of one thread), the start of the
 * first input picks one or two. One core has no second; from three the default is 2 anyway.
 */
export function defaultDecidesByCapture(cores: number): boolean {
  return cores === 2;
}

/** Environment variable that lowers (or raises) the 64 MiB below which a run stays on one thread (tests use 0). */
export const THREADS_MIN_BYTES_ENV = 'WHYRESET_THREADS_MIN_BYTES';

/** Environment variable (any value but empty) that makes the default's choice of threads ignore the other work runnable on the machine (benchmarks in a high-share cgroup). */
export const THREADS_IGNORE_LOAD_ENV = 'WHYRESET_THREADS_IGNORE_LOAD';

/** What `--threads` (and the environment) ask of a run. */
export interface ThreadOptions {
  threads: number;
  threadsMinBytes: number | undefined;
  /** True for the default on 2 cores: two threads only where the capture's start says they gain (RunOptions.threadsByCapture). */
  threadsByCapture: boolean;
  /** THREADS_IGNORE_LOAD_ENV set: that choice does not look at the machine's other work (RunOptions.threadsIgnoreLoad). */
  threadsIgnoreLoad: boolean;
}

/** `--threads N`: a whole number from 1, defaultThreads(the cores available) when not given, or an error message. */
export function threadOptionsOf(value: string | undefined, env: NodeJS.ProcessEnv = process.env, cores: number = availableParallelism()): ThreadOptions | string {
  const byCapture = value === undefined && defaultDecidesByCapture(cores);
  const threads = value === undefined ? (byCapture ? 2 : defaultThreads(cores)) : Number(value);
  if (!Number.isInteger(threads) || threads < 1) return `--threads needs a whole number from 1, not "${value}"`;
  const minText = env[THREADS_MIN_BYTES_ENV];
  const threadsMinBytes = minText === undefined || minText === '' ? undefined : Number(minText);
  if (threadsMinBytes !== undefined && !(threadsMinBytes >= 0)) return `${THREADS_MIN_BYTES_ENV} needs a number of bytes from 0, not "${minText}"`;
  const ignoreLoad = env[THREADS_IGNORE_LOAD_ENV];
  return { threads, threadsMinBytes, threadsByCapture: byCapture, threadsIgnoreLoad: ignoreLoad !== undefined && ignoreLoad !== '' };
}
