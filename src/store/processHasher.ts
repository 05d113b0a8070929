/**
 * A large capture's sha256 taken by a child process, `openssl dgst -sha256`, reading the file
 * through a descriptor this process opened and checked, instead of by a worker thread
 * (hashWorker.ts). The digest is the same (plain SHA-256 of the bytes, at the same hardware rate:
 * OpenSSL's SHA-NI code, which node:crypto uses too); what differs is the start. A worker thread
 * is a second V8 isolate whose built-ins compile from source under the bin's V8 flags (their
 * code cache is refused once any V8 flag is set): callgrind, all threads, Node 20 with the bin's
 * flags, a worker that loads node:crypto and node:fs and posts one message costs ~280-340 M
 * instructions (an ES module file ~343 M, an `eval` program ~294 M, with SHARE_ENV and no stdio
 * ~278 M); spawning openssl costs ~37 M in this process (node:child_process and the fork) and
 * ~11 M in the child (session 14). On the two-core machine that time is taken from the core that
 * V8's compiler and DuckDB need beside the analysis.
 *
 * The same file, the same bytes: the descriptor's identity (fileIdentity.ts) is checked before
 * the child starts and after it has ended, and the descriptor's offset, which the child's reads
 * moved (it shares the open file description), must be at the end of the file: a read there
 * gives nothing. The path's identity is checked again by digest() as for the thread.
 *
 * Used only where an `openssl` executable is found on PATH (opensslPath); otherwise, or when
 * WHYRESET_HASH_PROCESS=0, the worker thread hashes as before. A child that fails (missing
 * algorithm, killed, output not a digest) costs only time: digest() then hashes the file on this
 * thread, with the same checks, and the store keys the rows by that.
 */
import type { ChildProcess } from 'node:child_process';
import type { Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type FileIdentity, identityOf, sameIdentity } from './fileIdentity.js';
import type { HashThreadCpu } from './hashWorker.js';
import { schedstatMs } from './threadCpu.js';

/** What `openssl dgst -sha256 -r` prints first: the digest in lower-case hex (then ` *stdin`). */
const DIGEST = /^([0-9a-f]{64})\b/;

/**
 * The `openssl` executable on `env.PATH` that hashes a file for the store, or null: none found,
 * or WHYRESET_HASH_PROCESS=0 (the worker thread then hashes, as before session 14).
 */
export function opensslPath(env: NodeJS.ProcessEnv = process.env, isExecutable = executable): string | null {
  if (env.WHYRESET_HASH_PROCESS === '0') return null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, 'openssl');
    if (isExecutable(file)) return file;
  }
  return null;
}

/** Whether `file` is a regular file this process may execute. */
function executable(file: string): boolean {
  try {
    const { accessSync, constants } = process.getBuiltinModule('node:fs');
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Hashes the file by `openssl dgst -sha256` reading this process's checked descriptor; the analysis's reads are only counted (a hasher.ts ByteHasher, by its shape: hasher.ts imports this file). */
export class ProcessHasher {
  private readonly fd: number;
  private readonly child: ChildProcess | null;
  private readonly result: Promise<string>;
  private analysed = 0;
  private closed = false;
  threadCpu: HashThreadCpu | null = null;
  get early(): Promise<string> {
    return this.result;
  }

  /**
   * @param openssl the executable (opensslPath)
   * @param fallback hashes the file at `path` on this thread (hasher.ts hashFileFrom into a new sha256), when the child fails
   */
  constructor(
    openssl: string,
    private readonly path: string,
    private readonly identity: FileIdentity,
    private readonly fallback: (path: string) => Hash,
  ) {
    this.fd = openSync(path, 'r');
    let child: ChildProcess | null = null;
    try {
      if (!sameIdentity(identityOf(fstatSync(this.fd, { bigint: true })), identity)) throw this.changed('before it was hashed');
      const { spawn } = process.getBuiltinModule('node:child_process');
      child = spawn(openssl, ['dgst', '-sha256', '-r'], { stdio: [this.fd, 'pipe', 'ignore'], windowsHide: true });
    } catch (err) {
      this.close();
      throw err;
    }
    this.child = child;
    this.result = new Promise<string>((resolve, reject) => {
      let out = '';
      let cpuMs: number | null = null;
      child.stdout?.setEncoding('latin1');
      child.stdout?.on('data', (text: string) => {
        out += text;
        // Its CPU while it is still there (it exits right after printing the digest).
        if (cpuMs === null && child.pid !== undefined) cpuMs = schedstatMs(readFileSync, `/proc/${child.pid}/schedstat`);
      });
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (this.closed) {
          // Abandoned (or digested after a failure): the descriptor's number may be another file's by now.
          reject(new Error('the hash was abandoned'));
          return;
        }
        const digest = DIGEST.exec(out)?.[1];
        if (code !== 0 || digest === undefined) {
          reject(new Error(`openssl dgst ended (${signal ?? code}) without a digest`));
          return;
        }
        try {
          this.checkRead();
        } catch (err) {
          reject(err);
          return;
        }
        this.threadCpu = { startMs: null, libraryMs: null, hashMs: cpuMs, early: false, process: true };
        resolve(digest);
      });
    });
    // A failed analysis never asks for the digest; a failed child is hashed again by digest().
    this.result.catch(() => {});
    // Until the digest is asked for, the child must not keep the process alive (an analysis that throws never asks).
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private changed(when: string): Error {
    return new Error(`${this.path} changed while it was being read (${when}): not stored`);
  }

  /** After the child: the descriptor is the same file unchanged, and its offset is at the end (the child read every byte). */
  private checkRead(): void {
    if (!sameIdentity(identityOf(fstatSync(this.fd, { bigint: true })), this.identity)) throw this.changed('while it was hashed');
    if (readSync(this.fd, Buffer.alloc(1), 0, 1, null) !== 0) throw this.changed('not hashed to its end');
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  update(bytes: Uint8Array): void {
    this.analysed += bytes.length;
  }

  async digest(): Promise<string> {
    this.child?.ref();
    (this.child?.stdout as unknown as { ref?: () => void } | null)?.ref?.();
    try {
      let hex: string;
      try {
        hex = await this.result;
      } catch (err) {
        // The file changed: that is the answer. Anything else is the child's failure: hashed here.
        if (err instanceof Error && err.message.startsWith(`${this.path} changed`)) throw err;
        hex = this.fallback(this.path).digest('hex');
      }
      const now = identityOf(statSync(this.path, { bigint: true }));
      if (!sameIdentity(now, this.identity) || BigInt(this.analysed) > this.identity.size) throw this.changed('after the analysis');
      return hex;
    } finally {
      this.close();
    }
  }

  abandon(): void {
    this.child?.kill();
    this.close();
  }
}
