/**
 * How every command ends on an error of its environment: an output that cannot be written (a
 * full disk, /dev/full) or a failing temporary directory ends with one line naming it and exit 2,
 * never a stack trace. Shared by main.ts and analyzeMain.ts (the bundled analyze entry).
 */
import { TempDirError } from '../pipeline/tempFiles.js';
import { OutputError } from '../report/output.js';
import { EXIT_USAGE, warn } from './common.js';

/** Runs a command; its output and temporary-directory errors become one line and exit 2. */
export async function guarded(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (err) {
    if (err instanceof OutputError || err instanceof TempDirError) {
      warn(err.message);
      return EXIT_USAGE;
    }
    throw err;
  }
}
