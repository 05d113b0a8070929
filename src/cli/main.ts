/**
 * The command line: which command runs. Each command lives in its own file, loaded with import()
 * only when that command runs (see dispatch); no analysis here.
 */
import { existsSync } from 'node:fs';
import { VERSION } from '../version.js';
import { EXIT_OK, EXIT_USAGE, warn } from './common.js';
import { closest } from './didYouMean.js';
import { guarded } from './guard.js';
import { wrapHelp } from './wrapHelp.js';

export { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE } from './common.js';

const MAIN_HELP = `whyreset ${VERSION} — explains every TCP reset in a packet capture

Usage:
  whyreset analyze <capture...> [options]   list and explain the resets in one or more captures
  whyreset explain <capture...> --conn <id | addr:port-addr:port>
                                            one connection as a ladder diagram, with the reasoning
  whyreset correlate <capture> <capture> [...] [options]
                                            the same traffic captured at several points: where each reset was born
  whyreset lab [--list] [--scenario NAME] [--out DIR]
                                            reproduce reset scenarios on real Linux TCP stacks
  whyreset trace [--out FILE] [--duration S] [--all-netns] [-- COMMAND...]
                                            record why this Linux host's kernel sent each reset (root)
  whyreset ingest <capture|dir|glob...> [--db FILE] [--sensor NAME] [--force]
                                            analyse into the embedded store (DuckDB, no server)
  whyreset query ["SQL"] [--db FILE | --pg URL] [--top servers|clients|causes] [--by-day]
                                            ask the store: SQL or a named report
  whyreset export --parquet DIR [--db FILE] every table of the store as DIR/<table>.parquet
  whyreset submit --pg URL <capture|dir|glob...> [--sensor NAME]
                                            queue captures as jobs in PostgreSQL (scale out)
  whyreset worker --pg URL [--once] [--idle-exit S]
                                            analyse queued captures into PostgreSQL (run on N machines)
  whyreset --version | --help

Run "whyreset <command> --help" for a command's options.
`;

const COMMANDS = ['analyze', 'explain', 'correlate', 'lab', 'help'];

/** One line for an unknown command: a capture given without a command, a typo (analyse), or neither. */
function unknownCommandLine(command: string): string {
  if (/\.(pcap|pcapng|cap|gz)$/i.test(command) || existsSync(command)) {
    return `"${command}" is not a command; to analyse it: whyreset analyze ${command} (see "whyreset --help")`;
  }
  const guess = closest(command, COMMANDS);
  return `unknown command "${command}"${guess === null ? '' : `; did you mean "${guess}"?`} (see "whyreset --help")`;
}

/** `whyreset lab`: delegated to the lab module, loaded only when asked for. */
async function labCommand(argv: string[]): Promise<number> {
  const lab = await import('../lab/main.js');
  return lab.labMain(argv);
}

/**
 * The store commands (src/cli/ingest.ts, query.ts, export.ts, submit.ts, worker.ts), each loaded
 * only when asked for: `analyze` alone never loads DuckDB or pg.
 */
async function storeCommand(command: string, argv: string[]): Promise<number> {
  if (command === 'ingest') return (await import('./ingest.js')).ingestCommand(argv);
  if (command === 'query') return (await import('./query.js')).queryCommand(argv);
  if (command === 'export') return (await import('./export.js')).exportCommand(argv);
  if (command === 'submit') return (await import('./submit.js')).submitCommand(argv);
  return (await import('./worker.js')).workerCommand(argv);
}

/**
 * Entry point: returns the exit code. An output that cannot be written (a full disk, /dev/full)
 * or a failing temporary directory ends with one line naming it and exit 2, never a stack trace.
 */
export function main(argv: string[]): Promise<number> {
  return guarded(() => dispatch(argv));
}

/**
 * Runs the command. Each command's module is imported when it runs, not before: `analyze` then
 * parses and compiles only what it uses, not explain's ladders, correlate or the kernel tracer
 * (with the HTML page and --write-pcap also loaded on demand, analyze of a tiny capture loads
 * 129 modules of src/ instead of 170: 1,192 M instructions -> 1,078 M under callgrind).
 */
async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'analyze':
      // `analyze --correlate`: the same report as `correlate` (src/cli/correlate.ts).
      if (rest.includes('--correlate')) return (await import('./correlate.js')).correlateCommand(rest.filter((a) => a !== '--correlate'));
      return (await import('./analyze.js')).analyzeCommand(rest);
    case 'explain':
      return (await import('./explain.js')).explainCommand(rest);
    case 'correlate':
      return (await import('./correlate.js')).correlateCommand(rest);
    case 'lab':
      return labCommand(rest);
    case 'trace':
      return (await import('./trace.js')).traceCommand(rest);
    case 'ingest':
    case 'query':
    case 'export':
    case 'submit':
    case 'worker':
      return storeCommand(command, rest);
    case '--version':
    case '-V':
      process.stdout.write(`${VERSION}\n`);
      return EXIT_OK;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(wrapHelp(MAIN_HELP));
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    default:
      warn(unknownCommandLine(command));
      return EXIT_USAGE;
  }
}
