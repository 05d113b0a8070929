/**
 * Stopping the readers early: after SIGINT or SIGTERM the command line asks every capture being
 * read to end as if its file ended there, so that what was read is still explained and reported
 * (a live `tcpdump -w - | whyreset analyze -` keeps its report on Ctrl-C). Checked only where a
 * reader refills its window, never per packet.
 */

let stopped = false;
let wake: () => void = () => {};
let woken: Promise<void> = new Promise((resolve) => {
  wake = resolve;
});

/** Ends every capture being read at its next refill (and any refill now waiting for bytes). */
export function stopReading(): void {
  stopped = true;
  wake();
}

/** True once stopReading() was called. */
export function readingStopped(): boolean {
  return stopped;
}

/** Resolves when stopReading() is called. */
export function whenReadingStops(): Promise<void> {
  return woken;
}

/** Undoes stopReading() (for tests that run several analyses in one process). */
export function resumeReading(): void {
  stopped = false;
  woken = new Promise((resolve) => {
    wake = resolve;
  });
}
