/**
 * Running whyreset as a user does: `node bin/whyreset.js …` in a child process, with stdin fed
 * from bytes or a stream, stdout and stderr collected, and a time limit so that a hang fails the
 * test instead of stalling the suite. Plus a temporary directory that cleans up after itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry point users run. */
export const BIN = join(REPO_ROOT, 'bin', 'whyreset.js');

/** What a finished CLI run left behind. */
export interface CliResult {
  /** Exit code, or null when a signal (or the time limit) ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The run was killed at the time limit. */
  timedOut: boolean;
  ms: number;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  /** Bytes written to stdin (then closed), or a stream piped into it; default: stdin closed at once. */
  input?: Uint8Array | Readable;
  /** Extra environment (NO_COLOR and FORCE_COLOR are removed unless given here). */
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this long; default 30 s. */
  timeoutMs?: number;
  cwd?: string;
}

/** Starts `node bin/whyreset.js …args` with piped stdio (for callers that drive stdin themselves). */
export function spawnCli(args: readonly string[], options: Omit<RunCliOptions, 'input' | 'timeoutMs'> = {}): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.NODE_TEST_CONTEXT; // a child must not think it is part of this test run
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and exit; kills it at the time limit. */
export function finish(child: ChildProcess, timeoutMs = 30_000): Promise<CliResult> {
  const started = performance.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: performance.now() - started,
      });
    });
  });
}

/** Runs `whyreset …args` to completion. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  const done = finish(child, options.timeoutMs);
  const stdin = child.stdin;
  if (stdin) {
    // A CLI that exits before reading all of stdin is not an error of the test.
    stdin.on('error', () => {});
    const input = options.input;
    if (input === undefined) stdin.end();
    else if (input instanceof Uint8Array) stdin.end(input);
    else input.pipe(stdin);
  }
  return done;
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = 'whyreset-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
