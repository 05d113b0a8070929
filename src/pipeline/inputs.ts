/**
 * Input paths as the user gave them, made into the list of captures to read: a directory stands
 * for the capture files in it, a glob (`*`, `?`, `[...]` in the file name part, for shells that
 * pass it on quoted) for the files it matches; either way in time order — by each file's first
 * packet, then by name with numbers compared as numbers (`cap2` before `cap10`), the order
 * `tcpdump -C/-G/-W`, dumpcap ring buffers and `editcap -c` write pieces in.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../capture/open.js';

/** Files considered in a directory or glob at most (a typo'd path must not read a whole disk). */
export const MAX_EXPANDED_FILES = 100_000;
/** Bytes read from each file to find its first packet's time. */
export const PROBE_CHUNK = 64 << 10;

/** Thrown from the record handler to stop reading after the first record. */
class FirstRecord extends Error {
  constructor(readonly ts: number) {
    super('first record');
  }
}

/** What a look at the start of an input found: its first packet's time, no packet, or not a capture at all. */
export type InputPeek = number | 'empty' | 'unreadable';

/** Reads an input only up to its first record (at most a few chunks): see InputPeek. */
export async function peekInput(path: string): Promise<InputPeek> {
  try {
    await readCapture(
      path,
      (rec) => {
        throw new FirstRecord(rec.ts);
      },
      { chunkSize: PROBE_CHUNK },
    );
    return 'empty';
  } catch (err) {
    return err instanceof FirstRecord ? err.ts : 'unreadable';
  }
}

/** The first packet's time of a capture, or null when it has none or is not a capture. */
export async function firstPacketTime(path: string): Promise<number | null> {
  const peek = await peekInput(path);
  return typeof peek === 'number' ? peek : null;
}

/** Compares names with runs of digits taken as numbers. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function hasGlob(name: string): boolean {
  return /[*?[]/.test(name);
}

/** A glob of one path component as a regular expression (`*`, `?`, `[...]`; `[!...]` negates). */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let set = glob.slice(i + 1, close);
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        re += `[${set.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Regular, non-hidden files of `dir` whose names match `pattern`. */
function filesIn(dir: string, pattern: RegExp | null): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort(naturalCompare)) {
    if (out.length >= MAX_EXPANDED_FILES) break;
    if (name.startsWith('.') && pattern === null) continue;
    if (pattern !== null && !pattern.test(name)) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) out.push(path);
    } catch {
      // Vanished or unreadable: left out, as a shell glob would.
    }
  }
  return out;
}

/** Sorts capture files by their first packet's time (files without one last), then by name. */
async function inTimeOrder(paths: string[]): Promise<string[]> {
  const times = new Map<string, number>();
  for (const p of paths) times.set(p, (await firstPacketTime(p)) ?? Number.POSITIVE_INFINITY);
  return paths
    .filter((p) => (times.get(p) ?? Number.POSITIVE_INFINITY) !== Number.POSITIVE_INFINITY)
    .sort((a, b) => (times.get(a) ?? 0) - (times.get(b) ?? 0) || naturalCompare(a, b));
}

/**
 * Expands directories and globs into capture files in time order (files that hold no packet or
 * are not captures are left out of a directory or glob); other paths are kept as given.
 */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(path);
      continue;
    }
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    if (hasGlob(name)) {
      const dir = slash < 0 ? '.' : path.slice(0, slash) || '/';
      let matches: string[] = [];
      try {
        matches = filesIn(dir, globRegExp(name)).map((p) => (slash < 0 ? p.replace(/^\.\//, '') : p));
      } catch {
        matches = [];
      }
      if (matches.length === 0) out.push(path);
      else out.push(...(await inTimeOrder(matches)));
      continue;
    }
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) out.push(...(await inTimeOrder(filesIn(path, null))));
    else out.push(path);
  }
  return out;
}
