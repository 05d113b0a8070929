/**
 * What every bench run shares: one timed child process with its peak RSS (`measure`), files read
 * into the page cache (`warm`), a generated file's facts sidecar, a capture's prefix cut at a
 * record boundary, and the node options of a script's shebang line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes in a MiB. */
export const MiB = 1024 * 1024;

/** Sidecar facts about a generated file (so a later run need not regenerate to know them). */
export interface FileFacts {
  readonly bytes: number;
  readonly packets: number;
  readonly connections?: number;
  readonly resets?: number;
}

/** One timed run of a tool. */
export interface Measure {
  readonly label: string;
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly wallS: number;
  /** Peak resident set size in bytes, or null when it could not be measured. */
  readonly rss: number | null;
  readonly bytes: number;
  readonly packets: number;
  readonly stderrTail: string;
  /** Lines the tool wrote to stdout (for tshark: the RSTs it found). */
  readonly stdoutLines: number;
  /** Every run's wall time, in run order, when the measure is the median of several (measureRepeated). */
  readonly wallRuns?: readonly number[];
}

/** True when GNU time can report a child's peak RSS (`%M`). */
export const hasGnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%e', 'true'], { stdio: 'ignore' }).status === 0;

/** Runs `cmd args`, timing it and measuring its peak RSS; stdout is counted in lines, not kept. */
export async function measure(label: string, cmd: string, args: readonly string[], facts: FileFacts): Promise<Measure> {
  const timeFile = join(tmpdir(), `whyreset-bench-time-${process.pid}`);
  const outFile = join(tmpdir(), `whyreset-bench-out-${process.pid}`);
  const outFd = openSync(outFile, 'w');
  const argv = hasGnuTime ? ['-f', '%e %M', '-o', timeFile, cmd, ...args] : [...args];
  const exe = hasGnuTime ? '/usr/bin/time' : cmd;
  const t0 = process.hrtime.bigint();
  // WHYRESET_TRACKER_STATS: whyreset prints its connection table's figures on stderr (see trackerLine).
  const child = spawn(exe, argv, { stdio: ['ignore', outFd, 'pipe'], env: { ...process.env, WHYRESET_TRACKER_STATS: '1' } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  // Without GNU time: VmHWM (the kernel's own peak-RSS record) sampled until the child exits.
  let hwm = 0;
  const poll = hasGnuTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
        } catch {
          /* the child has exited */
        }
      }, 20);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poll) clearInterval(poll);
  closeSync(outFd);
  let rss: number | null = hwm > 0 ? hwm : null;
  let childExit = exitCode;
  if (hasGnuTime) {
    try {
      const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
      // GNU time prints "Command exited with non-zero status N" before the format line.
      const m = /^(\S+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
      if (m) rss = Number(m[2]) * 1024;
      const st = /non-zero status (\d+)/.exec(lines.join('\n'));
      childExit = st ? Number(st[1]) : exitCode;
    } catch {
      rss = null;
    }
    rmSync(timeFile, { force: true });
  }
  const stdoutLines = countLines(outFile);
  rmSync(outFile, { force: true });
  // whyreset exits 1 for "analysed with input errors": still a full run.
  const ok = childExit === 0 || (label.startsWith('whyreset') && childExit === 1);
  return { label, ok, exitCode: childExit, wallS, rss, bytes: facts.bytes, packets: facts.packets, stderrTail: stderr.trim(), stdoutLines };
}

/**
 * `measure` run `times` times in a row: the median wall time (one run on a 2-core machine is
 * easily 5-10 % off either way), the highest peak RSS, ok only if every run was. A failed run
 * ends the series (its Measure is returned: what failed is the figure).
 */
export async function measureRepeated(times: number, label: string, cmd: string, args: readonly string[], facts: FileFacts): Promise<Measure> {
  const all: Measure[] = [];
  for (let i = 0; i < Math.max(1, times); i++) {
    const m = await measure(label, cmd, args, facts);
    if (!m.ok) return m;
    all.push(m);
  }
  const walls = all.map((m) => m.wallS);
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? (sorted[(sorted.length - 1) / 2] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  const rss = all.every((m) => m.rss !== null) ? Math.max(...all.map((m) => m.rss as number)) : null;
  const last = all[all.length - 1] as Measure;
  return { ...last, wallS: median, rss, wallRuns: walls.length > 1 ? walls : undefined };
}

export function countLines(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    for (let i = 0; i < got; i++) if (buf[i] === 0x0a) n++;
  }
  closeSync(fd);
  return n;
}

/** Reads a file once so every tool finds it in the page cache (the first tool must not pay for the disk). */
export function warm(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(8 * MiB);
  while (readSync(fd, buf, 0, buf.length, null) > 0) {
    /* reading is the point */
  }
  closeSync(fd);
}

export function factsOf(path: string): FileFacts | undefined {
  try {
    return JSON.parse(readFileSync(`${path}.json`, 'utf8')) as FileFacts;
  } catch {
    return undefined;
  }
}

/** The first records of a classic pcap, cut at a record boundary at or after `limit` bytes. */
export function writePrefix(src: string, dst: string, limit: number): FileFacts {
  const fd = openSync(src, 'r');
  const size = statSync(src).size;
  const hdr = Buffer.alloc(24);
  readSync(fd, hdr, 0, 24, 0);
  const le = hdr.readUInt32LE(0) === 0xa1b2c3d4 || hdr.readUInt32LE(0) === 0xa1b23c4d;
  const rec = Buffer.alloc(16);
  let off = 24;
  let packets = 0;
  while (off < limit && off + 16 <= size) {
    readSync(fd, rec, 0, 16, off);
    const caplen = le ? rec.readUInt32LE(8) : rec.readUInt32BE(8);
    off += 16 + caplen;
    packets++;
  }
  const out = openSync(dst, 'w');
  const buf = Buffer.alloc(8 * MiB);
  for (let pos = 0; pos < off; ) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, off - pos), pos);
    if (got === 0) break;
    writeSync(out, buf, 0, got);
    pos += got;
  }
  closeSync(out);
  closeSync(fd);
  return { bytes: off, packets };
}

/**
 * The environment variables a script's `#!/usr/bin/env -S -u NAME … node …` line removes before
 * node starts (bin/whyreset.js drops NODE_EXTRA_CA_CERTS), so that the bench runs it as executing it does.
 */
export function shebangUnsetEnv(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) return [];
  const words = first.slice(2).trim().split(/\s+/);
  const names: string[] = [];
  for (let i = 0; i < words.length && !/(^|\/)node$/.test(words[i] as string); i++) {
    const w = words[i] as string;
    if ((w === '-u' || w === '--unset') && i + 1 < words.length) names.push(words[++i] as string);
    else if (w.startsWith('--unset=')) names.push(w.slice('--unset='.length));
  }
  return names;
}

/** The node options on a script's `#!/usr/bin/env -S node …` line (none for a plain `node` shebang). */
export function shebangNodeArgs(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*\bnode((?:\s+-[^\s]+)*)\s*$/.exec(first);
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}
