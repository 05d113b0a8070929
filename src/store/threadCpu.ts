/**
 * CPU time per thread, for `WHYRESET_INGEST_STATS` (src/cli/ingest.ts): Linux's scheduler
 * statistics, /proc/<task>/schedstat, whose first field is the nanoseconds the thread has run.
 * On two shared cores a thread's CPU says what it costs the others wherever it runs, which the
 * process's total (user + system) and a wall-clock profile of one thread cannot tell apart.
 * Elsewhere (no /proc) every figure is null.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The CPU milliseconds of the thread whose schedstat file this is, or null when it cannot be read. */
export function schedstatMs(read: (path: string, encoding: 'utf8') => string, file: string): number | null {
  try {
    const ns = Number(read(file, 'utf8').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** The calling thread's CPU milliseconds so far, or null. */
export function threadCpuMs(): number | null {
  return schedstatMs(readFileSync, '/proc/thread-self/schedstat');
}

/** Every live thread of this process (tid, CPU ms), the main thread's tid being the pid; empty without /proc. */
export function processThreadsCpuMs(): { tid: number; cpuMs: number }[] {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const threads: { tid: number; cpuMs: number }[] = [];
  for (const tid of tids) {
    const ms = schedstatMs(readFileSync, `/proc/self/task/${tid}/schedstat`);
    if (ms !== null) threads.push({ tid: Number(tid), cpuMs: ms });
  }
  return threads.sort((a, b) => a.tid - b.tid);
}
