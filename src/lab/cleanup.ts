/**
 * Leaving nothing behind: on SIGINT / SIGTERM (and at process exit) every process the lab
 * started is killed and every namespace it made is deleted, synchronously, before the process
 * ends. Only the lab's own processes and namespaces are touched (tracked in liveProcesses and
 * liveNamespaces; a namespace's pids are the lab's since it made the namespace).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { labEnv, liveProcesses } from './exec.js';
import { liveNamespaces } from './topology.js';

/** Temporary files of a run (the agent program), removed on signals too. */
export const liveFiles = new Set<string>();

/** Synchronously kills the lab's processes, deletes its namespaces and its temporary files. */
export function cleanupNow(): void {
  for (const f of liveFiles) rmSync(f, { force: true });
  liveFiles.clear();
  for (const p of liveProcesses) p.killNow();
  for (const ns of liveNamespaces) {
    try {
      const pids = execFileSync('ip', ['netns', 'pids', ns], { timeout: 3000, encoding: 'utf8', env: labEnv() });
      for (const pid of pids.split(/\s+/).filter((x) => /^\d+$/.test(x))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch {
      // the namespace may already be gone
    }
    try {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 5000, stdio: 'ignore', env: labEnv() });
    } catch {
      // already gone
    }
    liveNamespaces.delete(ns);
  }
}

/** Installs the signal and exit handlers; returns a function that removes them. */
export function installCleanupHandlers(): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`whyreset lab: ${signal}, removing namespaces\n`);
    cleanupNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = (): void => cleanupNow();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}
