/**
 * The argument parsing every store command shares (ingest, query, submit, worker, export):
 * node's parseArgs, strict, with `-h/--help`; a usage error or the help is handled here.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseCommandLine } from './common.js';

/** A command's options, without `--help` (added here). */
type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives for these options and `--help`. */
export type StoreArgs<O extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: boolean; strict: true; options: O & { help: { type: 'boolean'; short: 'h' } } }>
>;

/** Parses `argv` with `options` and `-h/--help`: the values and positionals, or the exit code once it printed a usage error or the help. */
export function parseStoreArgs<const O extends CommandOptions>(argv: string[], options: O, help: string, allowPositionals = true): StoreArgs<O> | number {
  const config = { args: argv, allowPositionals, strict: true as const, options: { ...options, help: { type: 'boolean' as const, short: 'h' } } };
  return parseCommandLine(() => parseArgs(config), help);
}
