/**
 * What every command shares: exit codes (DESIGN.md: 0 analysed, 1 analysed with input errors,
 * 2 usage error or unreadable input) and one-line messages on stderr.
 */
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raceReadingStop } from '../capture/interrupt.js';
import type { InputSummary } from '../model/report.js';
import { TempDirError, inTempDir, registerTemp, removeTemp } from '../pipeline/tempFiles.js';
import { escapeControl } from '../report/terminalText.js';
import { closest, optionsOf } from './didYouMean.js';
import { wrapHelp } from './wrapHelp.js';

export const EXIT_OK = 0;
export const EXIT_INPUT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** Writes a line to stderr. */
export function warn(message: string): void {
  // File names and texts from captures can hold terminal escape sequences: never sent raw.
  process.stderr.write(`whyreset: ${escapeControl(message)}\n`);
}

/** Errors shown per input on stderr; all of them are in the JSON report. */
const ERRORS_SHOWN_PER_INPUT = 20;

/** Prints an input's reading errors (with byte offsets) on stderr. */
export function reportInputErrors(input: InputSummary): void {
  const shown = input.errors.slice(0, ERRORS_SHOWN_PER_INPUT);
  for (const e of shown) warn(`${input.path}: offset ${e.offset}: ${e.message}`);
  if (input.errors.length > shown.length) warn(`${input.path}: ${input.errors.length - shown.length} more error(s) in the report`);
}

/** Copies `stream` to `path` until it ends or SIGINT/SIGTERM stops the reading (capture/interrupt.ts). */
async function copyUntilStopped(stream: NodeJS.ReadableStream, path: string): Promise<void> {
  const fd = openSync(path, 'w');
  const chunks = (stream as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await raceReadingStop(chunks.next(), null);
      if (next === null || next.done) break;
      const bytes = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies a stream to a temporary file (standard input, to be read twice). */
export async function copyToTemp(stream: NodeJS.ReadableStream): Promise<{ path: string; remove(): void }> {
  const dir = inTempDir('copying standard input', () => mkdtempSync(join(tmpdir(), 'whyreset-stdin-')));
  // Removed on every way out, also on SIGINT/SIGTERM (report/tempFiles.ts).
  registerTemp(dir);
  const path = join(dir, 'stdin');
  try {
    await copyUntilStopped(stream, path);
  } catch (err) {
    removeTemp(dir);
    // A read error of standard input itself is not the temporary directory's fault.
    const code = (err as NodeJS.ErrnoException).code;
    if ((err as NodeJS.ErrnoException).syscall === 'write' || code === 'ENOSPC' || code === 'EDQUOT') {
      throw new TempDirError(`temporary directory ${tmpdir()} (copying standard input): ${(err as Error).message} — free space there or set TMPDIR`);
    }
    throw err;
  }
  return { path, remove: () => removeTemp(dir) };
}

/** One line for a parser error: whyreset's words, a "did you mean" when an option looks mistyped, and where the help is. */
export function usageLine(message: string, help: string): string {
  const command = /^Usage: whyreset (\w+)/.exec(help)?.[1] ?? '';
  const pointer = `(see "whyreset ${command} --help")`;
  const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
  if (unknown !== undefined) {
    const guess = closest(unknown.split('=')[0] ?? unknown, optionsOf(help));
    return `unknown option ${unknown}${guess === null ? '' : `; did you mean ${guess}?`} ${pointer}`;
  }
  // "--inactivity-timeout -5": Node calls the value ambiguous (it starts with "-").
  const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(message)?.[1];
  if (ambiguous !== undefined) {
    const option = ambiguous.split(' ').find((p) => p.startsWith('--')) ?? ambiguous;
    return `${option} needs a value; a value starting with "-" is written ${option}=VALUE ${pointer}`;
  }
  const missing = /Option '([^']+)' argument missing/.exec(message)?.[1];
  if (missing !== undefined) return `${missing.split(' ').find((p) => p.startsWith('--')) ?? missing} needs a value ${pointer}`;
  return `${message.split('\n')[0]} ${pointer}`;
}

/**
 * Parses a command's arguments: the parsed values, or an exit code when it is already done
 * (a usage error, reported with the help; or --help, printed).
 */
export function parseCommandLine<T extends { values: { help?: boolean } }>(parse: () => T, help: string): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (err) {
    warn(usageLine((err as Error).message, help));
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    process.stdout.write(wrapHelp(help));
    return EXIT_OK;
  }
  return parsed;
}

/** `--inactivity-timeout S`: seconds above 0, undefined when not given, or an error message. */
export function inactivityTimeoutOf(value: string | undefined): number | undefined | string {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return seconds > 0 ? seconds : `--inactivity-timeout needs a number of seconds above 0, not "${value}"`;
}
