/**
 * The command-line options of `analyze`, `explain` and `correlate` in one table: each option
 * once, with the commands that take it, so a shared option (--format, --out,
 * --inactivity-timeout, the --html family) cannot drift between commands. Each command's help
 * text describes its own use of them.
 */

/** The commands whose options are in the table. */
export type OptionCommand = 'analyze' | 'explain' | 'correlate';

/** One row of the table: a node:util parseArgs option, and the commands that take it. */
interface OptionRow {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The option may be given several times (parseArgs `multiple`). */
  readonly multiple?: boolean;
  readonly commands: readonly OptionCommand[];
}

const ALL = ['analyze', 'explain', 'correlate'] as const;

/** Every option, by long name. */
export const OPTION_TABLE = {
  format: { type: 'string', short: 'f', commands: ALL },
  out: { type: 'string', short: 'o', commands: ALL },
  color: { type: 'string', commands: ALL },
  'inactivity-timeout': { type: 'string', commands: ALL },
  verbose: { type: 'boolean', short: 'v', commands: ['analyze'] },
  'write-pcap': { type: 'string', commands: ['analyze'] },
  html: { type: 'string', commands: ['analyze', 'correlate'] },
  'html-ladders': { type: 'string', commands: ['analyze', 'correlate'] },
  'html-rows': { type: 'string', commands: ['analyze', 'correlate'] },
  order: { type: 'string', commands: ['correlate'] },
  conn: { type: 'string', short: 'c', commands: ['explain'] },
  reset: { type: 'string', commands: ['explain'] },
  frame: { type: 'string', commands: ['explain'] },
  packets: { type: 'string', short: 'n', commands: ['explain'] },
  'kernel-trace': { type: 'string', multiple: true, commands: ALL },
  'ignore-checksums': { type: 'boolean', short: 'C', commands: ['analyze', 'explain'] },
  stream: { type: 'boolean', commands: ['analyze'] },
  threads: { type: 'string', commands: ALL },

  'summary-every': { type: 'string', commands: ['analyze'] },
  host: { type: 'string', multiple: true, commands: ALL },
  net: { type: 'string', multiple: true, commands: ALL },
  port: { type: 'string', multiple: true, commands: ALL },
  since: { type: 'string', commands: ALL },
  until: { type: 'string', commands: ALL },
  help: { type: 'boolean', short: 'h', commands: ALL },
} as const satisfies Record<string, OptionRow>;

type Table = typeof OPTION_TABLE;

/** The parseArgs options of command C: the table's rows that name C, without the membership. */
export type OptionsOf<C extends OptionCommand> = {
  [K in keyof Table as C extends Table[K]['commands'][number] ? K : never]: Omit<Table[K], 'commands'>;
};

/** The parseArgs `options` of one command. */
export function optionsOf<C extends OptionCommand>(command: C): OptionsOf<C> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, row] of Object.entries(OPTION_TABLE) as [string, OptionRow][]) {
    if (!row.commands.includes(command)) continue;
    const { commands: _, ...parseOptions } = row;
    options[name] = parseOptions;
  }
  return options as OptionsOf<C>;
}
