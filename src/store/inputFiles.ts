/**
 * `ingest` and `submit` take captures, directories and globs: this expands them into files, in
 * a stable order (sorted within each argument, arguments in the order given, no file twice).
 * Globs are expanded here because a quoted glob (`'/data/sensor1/*.pcap'`) reaches us unexpanded;
 * `*` and `?` match within one path segment, `**` any number of segments.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Whether a path segment has glob characters. */
function isPattern(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A glob segment as a regular expression (`*`, `?`, `[...]`). */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Directory entries, empty when it cannot be read. */
function entries(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .map((d) => ({ name: d.name, dir: d.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

/** Files under `dir`, recursively, sorted, hidden entries skipped. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of entries(dir)) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.dir) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Paths matching the glob segments below `base`. */
function matchSegments(base: string, segments: readonly string[]): string[] {
  if (segments.length === 0) return [base];
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '**') {
    const out = matchSegments(base, rest);
    for (const e of entries(base)) if (e.dir && !e.name.startsWith('.')) out.push(...matchSegments(join(base, e.name), segments));
    return out;
  }
  if (!isPattern(head)) return matchSegments(join(base, head), rest);
  const re = segmentRegExp(head);
  const out: string[] = [];
  for (const e of entries(base)) {
    if (e.name.startsWith('.') && !head.startsWith('.')) continue;
    if (re.test(e.name) && (rest.length === 0 || e.dir)) out.push(...matchSegments(join(base, e.name), rest));
  }
  return out;
}

/** One argument's files: a file, every file under a directory, or a glob's matches; empty when nothing matches. */
export function expandInput(arg: string): string[] {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(arg);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) return filesUnder(arg);
  if (st !== undefined || !isPattern(arg)) return st === undefined ? [] : [arg];
  const absolute = arg.startsWith('/');
  const segments = arg.split('/').filter((s) => s !== '' && s !== '.');
  return matchSegments(absolute ? '/' : '.', segments)
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    })
    .map((p) => (absolute ? p : p.replace(/^\.\//, '')));
}

/** Every argument's files in order, each file once (by absolute path); `missing` lists the arguments that matched nothing. */
export function expandInputs(args: readonly string[]): { files: string[]; missing: string[] } {
  const seen = new Set<string>();
  const files: string[] = [];
  const missing: string[] = [];
  for (const arg of args) {
    const found = expandInput(arg);
    if (found.length === 0) missing.push(arg);
    for (const f of found) {
      const key = resolve(f);
      if (seen.has(key)) continue;
      seen.add(key);
      files.push(f);
    }
  }
  return { files, missing };
}
