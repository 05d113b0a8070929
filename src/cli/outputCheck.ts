/**
 * Every output a command will write (--out, --html, --write-pcap), checked before anything is
 * read or opened for writing: never the same file as an input (device and inode compared, so a
 * hard link, a symbolic link or another spelling of the path is caught), never an existing
 * capture taken for a report target (`analyze --html a.pcap b.pcap`), never two outputs on one
 * file, and only where a file can be created (an existing directory that we may write in).
 */
import { constants, type Stats, accessSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One output option and its path ("-" is standard output). */
export interface PlannedOutput {
  option: string;
  path: string;
  /** A report (text, JSON, HTML): an existing capture there is a mistaken argument, not a target. */
  report: boolean;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** True when the file starts with a pcap, pcapng or gzip magic number. */
function looksLikeCapture(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
    const le = head.readUInt32LE(0);
    const be = head.readUInt32BE(0);
    const pcap = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];
    return pcap.includes(le) || pcap.includes(be) || le === 0x0a0d0d0a || (head[0] === 0x1f && head[1] === 0x8b);
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Why `output` cannot be written, or null when it can. */
function targetProblem(output: PlannedOutput, inputs: readonly { path: string; stat: Stats }[]): string | null {
  const { option, path } = output;
  if (path === '') return `${option} needs a file name`;
  const st = statOrNull(path);
  if (st !== null) {
    if (st.isDirectory()) return `${option} ${path}: is a directory, not a file`;
    const same = inputs.find((i) => i.stat.dev === st.dev && i.stat.ino === st.ino);
    if (same !== undefined) {
      return `${option} ${path}: is the same file as the input ${same.path}; refusing to overwrite a capture`;
    }
    if (st.isFile() && output.report && looksLikeCapture(path)) {
      return `${option} ${path}: the file is a packet capture; refusing to overwrite it (was it meant as an input?)`;
    }
    if (!st.isFile()) {
      try {
        accessSync(path, constants.W_OK);
      } catch {
        return `${option} ${path}: not writable`;
      }
      return null;
    }
  }
  const dir = dirname(resolve(path));
  const dirStat = statOrNull(dir);
  if (dirStat === null) return `${option} ${path}: the directory ${dir} does not exist`;
  if (!dirStat.isDirectory()) return `${option} ${path}: ${dir} is not a directory`;
  try {
    // The file is written beside its target and renamed into place: the directory must be writable.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `${option} ${path}: cannot create files in ${dir} (permission denied or read-only)`;
  }
  return null;
}

/**
 * The first problem with the planned outputs, as one line, or null when all of them can be
 * written. Inputs that cannot be statted are skipped (reading them reports why).
 */
export function outputsProblem(inputPaths: readonly string[], outputs: readonly PlannedOutput[]): string | null {
  const inputs = inputPaths.filter((p) => p !== '-').flatMap((path) => {
    const stat = statOrNull(path);
    return stat === null ? [] : [{ path, stat }];
  });
  const toStdout = outputs.filter((o) => o.path === '-');
  if (toStdout.length > 1) return `${toStdout.map((o) => o.option).join(' and ')} cannot all go to standard output`;
  const files = outputs.filter((o) => o.path !== '-');
  const seen: { output: PlannedOutput; key: string }[] = [];
  for (const output of files) {
    const problem = targetProblem(output, inputs);
    if (problem !== null) return problem;
    const st = statOrNull(output.path);
    const key = st === null ? resolve(output.path) : `${st.dev}:${st.ino}`;
    const clash = seen.find((s) => s.key === key);
    if (clash !== undefined) return `${clash.output.option} and ${output.option} name the same file ${output.path}`;
    seen.push({ output, key });
  }
  return null;
}
