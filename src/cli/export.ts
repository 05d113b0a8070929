/**
 * `whyreset export --parquet DIR`: every table of the embedded store as a Parquet file.
 */
import { mkdirSync } from 'node:fs';
import { EXIT_OK, EXIT_USAGE, warn } from './common.js';
import { parseStoreArgs } from './storeArgs.js';

const EXPORT_HELP = `Usage: whyreset export --parquet DIR [--db FILE]

Writes every table of the embedded store (captures, connections, resets, patterns) as
DIR/<table>.parquet with DuckDB's COPY, creating DIR if missing, for Spark, pandas, DuckDB on
shared storage or any Parquet reader.

Options:
      --parquet DIR  where the files go (required)
      --db FILE      the store (default: $WHYRESET_DB, else ./whyreset.duckdb)
  -h, --help         this help
Exit codes: 0 written, 2 usage error or no store.
`;

/** `whyreset export`. */
export async function exportCommand(argv: string[]): Promise<number> {
  const parsed = parseStoreArgs(argv, { parquet: { type: 'string' }, db: { type: 'string' } }, EXPORT_HELP, false);
  if (typeof parsed === 'number') return parsed;
  const dir = parsed.values.parquet;
  if (dir === undefined) {
    warn(`export needs --parquet DIR\n${EXPORT_HELP}`);
    return EXIT_USAGE;
  }
  const { DuckStore, dbPathOf } = await import('../store/duckdb.js');
  const dbPath = dbPathOf(parsed.values.db);
  try {
    mkdirSync(dir, { recursive: true });
    const store = await DuckStore.open(dbPath, { create: false });
    try {
      for (const file of await store.exportParquet(dir)) process.stdout.write(`${file}\n`);
    } finally {
      store.close();
    }
  } catch (err) {
    warn(`${dbPath}: ${(err as Error).message}`);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}
