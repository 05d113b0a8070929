/**
 * SIGINT and SIGTERM during a command: the first one stops reading (capture/interrupt.ts) and
 * lets the command finish — explain what was read, print the report marked as interrupted,
 * remove its temporary files; a second one quits at once, still removing the temporary files
 * (report/tempFiles.ts), with the shell's exit status for the signal (128 + its number).
 */
import { resumeReading, stopReading } from '../capture/interrupt.js';
import { removeTempFiles } from '../pipeline/tempFiles.js';
import { warn } from './common.js';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Installed signal handlers; `interrupted` says whether a signal came. */
export interface InterruptWatch {
  readonly interrupted: boolean;
  dispose(): void;
}

/** Signals received during the current command (0 outside one). */
let signals = 0;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) {
    warn(`${signal}: reading stopped; reporting what was read (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again quits at once)`);
    stopReading();
    return;
  }
  removeTempFiles();
  process.exit(SIGNAL_EXIT[signal] ?? 130);
}

/**
 * Watches for SIGINT/SIGTERM during one command. The handlers stay installed for the life of the
 * process (once installed): a signal arriving while the command winds up still removes the
 * temporary files instead of killing the process with them in place.
 */
export function watchInterrupts(): InterruptWatch {
  if (!installed) {
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  signals = 0;
  resumeReading();
  return {
    get interrupted() {
      return signals > 0;
    },
    dispose() {
      // Later signals quit at once (the command is done).
      signals = Math.max(signals, 1);
    },
  };
}

/**
 * Lets reading continue after the live input was cut by a signal: the copy of standard input
 * made before the analysis holds what arrived, and all of it is analysed.
 */
export function analyseWhatWasCopied(): void {
  resumeReading();
}
