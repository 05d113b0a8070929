/**
 * `whyreset query`: SQL or a named report over the embedded store (DuckDB) or PostgreSQL.
 */
import type { QueryResult } from '../store/queryResult.js';
import { EXIT_OK, EXIT_USAGE, warn } from './common.js';
import { parseStoreArgs } from './storeArgs.js';

const QUERY_HELP = `Usage: whyreset query ["SQL"] [options]

Runs SQL on the store that "whyreset ingest" (DuckDB) or "whyreset worker" (PostgreSQL) fills,
or a named report. Tables: captures (one row per capture file, key sha256), connections,
resets, patterns (each row with capture_sha256 and day, the UTC day of ts). Columns are the
JSON fields of "analyze --format json"; community_id joins with Zeek, Suricata and Arkime.

Named reports (instead of SQL):
      --top servers|clients|causes   resets per server, client or cause in the window, with
                     the count of the window of the same length before it and the forged ones
      --since WHEN   the window: a duration back from now (90m, 12h, 2d, 1w) or a date or
                     time (2026-12-01, 2026-12-01T08:00:00Z); default 1d for --top
      --by-day       resets per UTC day (since --since when given)
      --limit N      rows of a --top report (default 20)

Options:
      --db FILE      the DuckDB store (default: $WHYRESET_DB, else ./whyreset.duckdb)
      --pg URL       a PostgreSQL store instead (postgresql://user@host/db, or
                     postgresql:///db?host=/socket/dir)
  -f, --format FMT   table (default), csv, or json (an array of objects keyed by column name)
  -h, --help         this help

Examples:
  whyreset query "SELECT cause, count(*) FROM resets GROUP BY cause ORDER BY 2 DESC"
  whyreset query --top servers --since 2d
  whyreset query --by-day --format csv
Exit codes: 0 answered, 2 usage error, no store, or an SQL error.
`;

const FORMATS = ['table', 'csv', 'json'] as const;

/** What the arguments ask: the SQL to run, or a usage error. */
async function sqlOf(values: { top?: string; since?: string; 'by-day'?: boolean; limit?: string }, positionals: string[]): Promise<string> {
  const { TOP_REPORTS, byDaySql, sinceEpoch, topSql } = await import('../store/reports.js');
  const named = values.top !== undefined || values['by-day'];
  if (named && positionals.length > 0) throw new Error('give either SQL or a named report (--top, --by-day), not both');
  if (values.top !== undefined && values['by-day']) throw new Error('--top and --by-day are two reports: choose one');
  if (!named) {
    if (positionals.length !== 1) throw new Error(`query needs one SQL statement (quoted) or a named report\n${QUERY_HELP}`);
    return positionals[0] as string;
  }
  const nowS = Date.now() / 1000;
  const since = values.since === undefined ? null : sinceEpoch(values.since, nowS);
  if (values.since !== undefined && since === null) throw new Error(`--since needs a duration (2d, 12h) or a date, not "${values.since}"`);
  if (values['by-day']) return byDaySql(since);
  if (!(TOP_REPORTS as readonly string[]).includes(values.top as string)) throw new Error(`--top needs one of ${TOP_REPORTS.join(', ')}`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!(limit >= 1)) throw new Error(`--limit needs a number of rows, not "${values.limit}"`);
  return topSql(values.top as (typeof TOP_REPORTS)[number], since ?? nowS - 86400, nowS, limit);
}

/** Runs `sql` on the store the options name. */
async function runOn(values: { db?: string; pg?: string }, sql: string): Promise<QueryResult> {
  if (values.pg !== undefined) {
    const { PgStore } = await import('../store/pg.js');
    const store = await PgStore.connect(values.pg);
    try {
      return await store.query(sql);
    } finally {
      await store.close();
    }
  }
  const { DuckStore, dbPathOf } = await import('../store/duckdb.js');
  const store = await DuckStore.open(dbPathOf(values.db), { create: false });
  try {
    return await store.query(sql);
  } finally {
    store.close();
  }
}

/** `whyreset query`. */
export async function queryCommand(argv: string[]): Promise<number> {
  const parsed = parseStoreArgs(
    argv,
    {
      db: { type: 'string' },
      pg: { type: 'string' },
      format: { type: 'string', short: 'f' },
      top: { type: 'string' },
      since: { type: 'string' },
      'by-day': { type: 'boolean' },
      limit: { type: 'string' },
    },
    QUERY_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const format = values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    warn(`unknown format "${format}": use one of ${FORMATS.join(', ')}`);
    return EXIT_USAGE;
  }
  if (values.db !== undefined && values.pg !== undefined) {
    warn('--db and --pg name two stores: choose one');
    return EXIT_USAGE;
  }
  let sql: string;
  try {
    sql = await sqlOf(values, positionals);
  } catch (err) {
    warn((err as Error).message);
    return EXIT_USAGE;
  }
  let result: QueryResult;
  try {
    result = await runOn(values, sql);
  } catch (err) {
    warn((err as Error).message);
    return EXIT_USAGE;
  }
  const { renderCsv, renderJson, renderTable } = await import('../store/queryResult.js');
  process.stdout.write(format === 'json' ? renderJson(result) : format === 'csv' ? renderCsv(result) : renderTable(result));
  return EXIT_OK;
}
