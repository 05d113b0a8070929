/**
 * Stopping the readers early: after SIGINT or SIGTERM the command line asks every capture being
 * read to end as if its file ended there, so that what was read is still explained and reported
 * (a live `tcpdump -w - | whyreset analyze -` keeps its report on Ctrl-C). Checked only where a
 * reader refills its window, never per packet.
 */

let stopped = false;
/** Waiters of raceReadingStop(), each removed when its own promise settles (none pile up). */
const stopListeners = new Set<() => void>();

/** Ends every capture being read at its next refill (and any refill now waiting for bytes). */
export function stopReading(): void {
  stopped = true;
  for (const listener of [...stopListeners]) listener();
  stopListeners.clear();
}

/** True once stopReading() was called. */
export function readingStopped(): boolean {
  return stopped;
}

/**
 * `pending`, or `onStop` as soon as stopReading() is called, whichever comes first. Its listener
 * is removed when `pending` settles: a Promise.race against one long-lived "stopped" promise
 * kept a reaction per refill alive until the stop (700 MB over the gzip fuzz run).
 */
export function raceReadingStop<T, S>(pending: Promise<T>, onStop: S): Promise<T | S> {
  if (stopped) return Promise.resolve(onStop);
  return new Promise<T | S>((resolve, reject) => {
    const listener = (): void => resolve(onStop);
    stopListeners.add(listener);
    pending.then(
      (value) => {
        stopListeners.delete(listener);
        resolve(value);
      },
      (err: unknown) => {
        stopListeners.delete(listener);
        reject(err);
      },
    );
  });
}

/** Undoes stopReading() (for tests that run several analyses in one process). */
export function resumeReading(): void {
  stopped = false;
}
