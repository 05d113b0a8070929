/**
 * Files whyreset creates for itself — spools, the copy of standard input, an output being
 * written — are registered here and removed on every way out: normal end, an error, and (with
 * the process's 'exit' hook) SIGINT or SIGTERM handled by the command line. An output is written
 * to a temporary file beside its target and renamed into place only when complete (rename(2) is
 * atomic within a file system), so a failed or interrupted run never leaves a half-written or
 * truncated file where the user asked for one.
 */
import { realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const registered = new Set<string>();
let hooked = false;

/** Removes every registered temporary path now (synchronous: safe in an 'exit' handler). */
export function removeTempFiles(): void {
  for (const path of registered) rmSync(path, { recursive: true, force: true });
  registered.clear();
}

/** Registers a temporary file or directory to be removed at exit if nobody removed it before. */
export function registerTemp(path: string): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', removeTempFiles);
  }
  registered.add(path);
}

/** Removes a registered temporary path and forgets it. */
export function removeTemp(path: string): void {
  registered.delete(path);
  rmSync(path, { recursive: true, force: true });
}

/** Forgets a registered path without removing it (it was renamed into place). */
function forgetTemp(path: string): void {
  registered.delete(path);
}

/** Temporary paths still registered (tests check that none are left behind). */
export function tempFilesLeft(): number {
  return registered.size;
}

/** The temporary directory failed (full, missing, read-only): not the input's fault, not the output's. */
export class TempDirError extends Error {}

/** Runs `work` on the temporary directory; a filesystem error there becomes a TempDirError naming the directory. */
export function inTempDir<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw new TempDirError(`temporary directory ${tmpdir()} (${what}): ${(err as Error).message} — free space there or set TMPDIR`);
  }
}

/** An output file written beside its target and renamed into place once complete. */
export interface AtomicOutput {
  /** Where to write. */
  readonly writePath: string;
  /** Renames the written file into place. */
  commit(): void;
  /** Removes what was written; the target is left as it was. */
  abort(): void;
}

/** True for an existing path that is not a regular file (/dev/null, /dev/full, a FIFO): written in place, never replaced. */
function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** The target with symbolic links resolved (a link to a file is written through, not replaced). */
function resolvedTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Prepares to write `path` atomically (devices and FIFOs are written directly). */
export function atomicOutput(path: string): AtomicOutput {
  if (isSpecialFile(path)) return { writePath: path, commit: () => {}, abort: () => {} };
  const target = resolvedTarget(path);
  const temp = join(dirname(target), `.${basename(target)}.whyreset-${process.pid}-${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`);
  registerTemp(temp);
  return {
    writePath: temp,
    commit: () => {
      renameSync(temp, target);
      forgetTemp(temp);
    },
    abort: () => removeTemp(temp),
  };
}
