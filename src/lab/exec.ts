/**
 * Running programs for the lab: one-shot commands with a time limit, and long-lived processes
 * (servers, captures, injectors) whose output lines can be awaited. Nothing here throws on a
 * failing program; callers decide what a non-zero exit means.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The environment of every program the lab starts: PATH also searches the sbin directories,
 * where Debian keeps ip, sysctl, iptables and tcpdump (a user's PATH often lacks them).
 */
export function labEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = (env.PATH ?? '').split(':').filter((d) => d !== '');
  for (const dir of ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (!path.includes(dir)) path.push(dir);
  return { ...env, PATH: path.join(':') };
}

/** What a finished command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The argv that runs `cmd args` inside network namespace `ns`. */
export function inNamespace(ns: string, cmd: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', ns, cmd, ...args]];
}

/** Runs a command to completion, killing it after `timeoutMs`; resolves even when it fails. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: labEnv() });
    } catch (err) {
      resolve({ code: -1, stdout, stderr: String(err), timedOut });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, timedOut });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs a command and rejects with its stderr when it exits non-zero (setup steps that must work). */
export async function mustRun(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  const r = await runCommand(cmd, args, { timeoutMs });
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.stderr.trim() || `exit ${r.code}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}`);
  }
  return r.stdout;
}

/** Every long-lived process the lab started and has not yet reaped, so a signal can end them. */
export const liveProcesses = new Set<LabProcess>();

/** A long-lived program: its stdout lines are kept and can be awaited; stdin takes lines. */
export class LabProcess {
  readonly lines: string[] = [];
  stderr = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private partial = '';

  constructor(
    readonly label: string,
    cmd: string,
    args: readonly string[],
  ) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: labEnv() });
    liveProcesses.add(this);
    this.child.stdout?.on('data', (d: Buffer) => this.onStdout(d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > 65_536) this.stderr = this.stderr.slice(-32_768);
      this.wake();
    });
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.stderr += String(err);
      });
      this.child.on('close', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        liveProcesses.delete(this);
        this.wake();
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === null && liveProcesses.has(this);
  }

  /** Sends one line to the program's stdin. */
  sendLine(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Resolves with the first stdout line matching `pattern` (already seen or future); rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return this.waitFor(() => this.lines.find((l) => pattern.test(l)), `a line matching ${pattern}`, timeoutMs);
  }

  /** Resolves once stderr contains `text` (tcpdump reports readiness there). */
  waitForStderr(text: string, timeoutMs: number): Promise<string> {
    return this.waitFor(() => (this.stderr.includes(text) ? text : undefined), `"${text}" on stderr`, timeoutMs);
  }

  /** Counts stdout lines matching `pattern`. */
  countLines(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  /** Ends the process: `signal` first, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<void> {
    if (this.exitCode !== null || !liveProcesses.has(this)) return;
    this.child.kill(signal);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** Kills at once, without waiting (signal handlers use this). */
  killNow(): void {
    this.child.kill('SIGKILL');
  }

  private onStdout(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (this.lines.length < 100_000) this.lines.push(line.trimEnd());
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private waitFor<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = probe();
        if (found !== undefined) {
          done();
          resolve(found);
          return true;
        }
        if (this.exitCode !== null || !liveProcesses.has(this)) {
          done();
          reject(new Error(`${this.label} exited before ${what}: ${this.stderr.trim().slice(-300)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.trim().slice(-300)}`));
      }, timeoutMs);
      const waiter = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      check();
    });
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
