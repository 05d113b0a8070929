/**
 * A DuckDB connection through `@duckdb/node-bindings` alone (the C API as Node functions), for
 * the statements of `ingest`: loading `@duckdb/node-api` on top of the bindings costs ~0.065 s
 * of CPU per process (its index requires ~160 files: 0.083 s against 0.019 s for the bindings),
 * a fixed cost that was a quarter of what storing added to analysing a 64 MiB capture.
 * `DuckStore.query` still hands this connection to node-api, loaded only then.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Connection, Database, PreparedStatement, Result } from '@duckdb/node-bindings';
import { sqlString } from './duckdbSql.js';

type Bindings = typeof import('@duckdb/node-bindings');

/** A statement parameter: text, a number (integers bound as BIGINT), bytes (BLOB) or NULL. */
export type RawParam = string | number | Uint8Array | null;

let loaded: Bindings | null = null;

/**
 * `@duckdb/node-bindings`, loaded once per process. The package's own loader (its duckdb.js) asks
 * detect-libc whether the C library is musl, which reads this executable's ELF header and loads
 * child_process and more (~4.5 ms of CPU per process, measured here); the platform's glibc build
 * is what it then loads, so that build is loaded straight away, resolved from the package's
 * folder exactly as its loader resolves it (one module, shared with node-api), and the loader runs
 * only when that build is absent or does not load (a musl system).
 */
function bindings(): Bindings {
  if (loaded !== null) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const fromPackage = createRequire(require.resolve('@duckdb/node-bindings'));
    loaded = fromPackage(platformBuild()) as Bindings;
  } catch {
    loaded = require('@duckdb/node-bindings') as Bindings;
  }
  return loaded;
}

/** The platform's build of the bindings, as the package's loader names it. */
function platformBuild(): string {
  return `@duckdb/node-bindings-${process.platform}-${process.arch}/duckdb.node`;
}

/**
 * The file of the platform's build of the bindings (the native library DuckDB comes in), or null
 * when it cannot be found, for a thread to load ahead of this one (see StoreOpenOptions.libraryLoaded).
 */
export function bindingsFile(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return createRequire(require.resolve('@duckdb/node-bindings')).resolve(platformBuild());
  } catch {
    return null;
  }
}

/** Binds one parameter (1-based `index`) by its JavaScript type. */
function bind(b: Bindings, statement: PreparedStatement, index: number, value: RawParam): void {
  if (value === null) b.bind_null(statement, index);
  else if (typeof value === 'string') b.bind_varchar(statement, index, value);
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) b.bind_int64(statement, index, BigInt(value));
    else b.bind_double(statement, index, value);
  } else b.bind_blob(statement, index, value);
}

const utf8 = new TextDecoder();

/**
 * Row `row` of a VARCHAR vector's data: DuckDB's string_t is 16 bytes, a 32-bit length, then the
 * text inline when it is 12 bytes or shorter, else a 4-byte prefix and a pointer to it
 * (duckdb: src/include/duckdb/common/types/string_type.hpp; node-api's dataAccessors.getString).
 */
function stringAt(b: Bindings, data: Uint8Array, row: number): string {
  const at = row * 16;
  const length = new DataView(data.buffer, data.byteOffset + at, 16).getUint32(0, true);
  const bytes = length <= 12 ? data.subarray(at + 4, at + 4 + length) : b.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + at + 8, length);
  return utf8.decode(bytes);
}

/** Default store file, in the current directory; `WHYRESET_DB` overrides it, `--db` both. */
export const DEFAULT_DB = 'whyreset.duckdb';

/** The store file to use: `--db`, else WHYRESET_DB, else ./whyreset.duckdb. */
export function dbPathOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.WHYRESET_DB || DEFAULT_DB);
}

/** How the store is opened: `create` a missing file, `singleThreaded` for ingest (see DuckStore.open). */
export interface StoreOpenOptions {
  create: boolean;
  singleThreaded?: boolean;
  /**
   * Settles once another thread has loaded the bindings' native library (bindingsFile): loading
   * it here waits for that, then finds it loaded. dlopen of DuckDB's 70 MB library (relocations,
   * static constructors) took ~10 ms of CPU, on a thread busy analysing (ingest's hash thread
   * loads it before hashing, hashWorker.ts).
   */
  libraryLoaded?: Promise<void>;
  /**
   * Rows per row group written by this process (DuckDB's default 122,880; ingest's:
   * INGEST_ROW_GROUP_SIZE): the store is then attached to an in-memory database with that
   * ROW_GROUP_SIZE, and made the default one (USE), with write_buffer_row_group_count = 1 (a full
   * group is written at once).
   */
  rowGroupSize?: number;
}

/**
 * The storage format DuckDB writes the store in. Its default (v0.10.2) keeps a file readable by
 * DuckDB 0.10.2 and later; the store is written and read by the DuckDB this package pins (1.5),
 * so it takes v1.3.0's format, whose checkpoint costs less and writes less (128 MiB bench prefix,
 * 9,361 rows, median of 5-7: the COMMIT that checkpoints 25 -> 17 ms of CPU, the file 3.4 ->
 * 2.6 MB; v1.2.0's: 20 ms, 3.2 MB). A store written with the older format stays readable, and
 * DuckDB 1.3 or later (its CLI included) reads the new one.
 */
const STORAGE_VERSION = 'v1.3.0';

/**
 * Rows per row group that `ingest` writes (DuckDB's default: 122,880). DuckDB writes (compresses)
 * a full row group to the file while the transaction's inserts go on ("optimistic writes"), and
 * the rest at COMMIT's checkpoint, which runs after the analysis, in series: with groups of
 * 8,192 most of that work moves into the inserts, beside the analysis. The 512 MiB bench mix
 * (session 13, DuckDB's CPU for its rows inserted alone, insert + COMMIT): 122,880 rows 87 + 68
 * ms, 16,384 103 + 50, 8,192 143 + 20. In `ingest` (session 14, loaded machine, 3 alternating
 * runs each): the tail after the analysis 101-110 -> 63-68 ms of CPU (16,384: 85-90), the store
 * 6.30 -> 7.09 MB (+12.5 %; 16,384: 6.57 MB). The size is an ATTACH option only (not a setting,
 * not kept in the file): a store opened plainly later writes 122,880-row groups again.
 */
export const INGEST_ROW_GROUP_SIZE = 8192;

/** The store's name when it is attached to an in-memory database (StoreOpenOptions.rowGroupSize). */
const ATTACHED = 'whyreset_store';

/**
 * Opens the store file with the store's settings (its tables are DuckStore's business). Apart from
 * loading the bindings (~8 ms), the work is on DuckDB's side of a promise, so `ingest` starts it
 * before it loads the analysis and both proceed at once (src/cli/ingest.ts).
 */
export async function openStoreFile(path: string, options: StoreOpenOptions): Promise<RawDuck> {
  if (!options.create && !existsSync(path)) throw new Error(`no store at ${path} (create one with "whyreset ingest")`);
  // Loaded here if the other thread failed to.
  await options.libraryLoaded?.catch(() => {});
  const rowGroups = options.rowGroupSize;
  const conn = await RawDuck.open(rowGroups === undefined ? path : ':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    storage_compatibility_version: STORAGE_VERSION,
    ...(options.singleThreaded ? { threads: '1' } : {}),
    // An in-memory database spills to ".tmp" in the working directory; a store file's own
    // default is "<file>.tmp" beside it (DuckDB's temp_directory setting), kept when attached.
    ...(rowGroups === undefined ? {} : { write_buffer_row_group_count: '1', temp_directory: `${path}.tmp` }),
  });
  if (rowGroups !== undefined) {
    try {
      await conn.run(`ATTACH ${sqlString(path)} AS ${ATTACHED} (ROW_GROUP_SIZE ${rowGroups}, STORAGE_VERSION '${STORAGE_VERSION}'); USE ${ATTACHED}`);
    } catch (err) {
      conn.close();
      throw err;
    }
  }
  // FSST string compression builds a symbol table for every string column of every row group it
  // writes (duckdb: FSSTStorage::StringFinalAnalyze, at each checkpoint), ~8M instructions each,
  // whatever the rows: 156M of a 4-row ingest, 280M of a 64 MiB one. The store's strings are
  // addresses, hex/base64 keys and short codes (dictionary compression takes the repeated ones),
  // so it is turned off for the writes of this process; files written with it stay readable.
  try {
    await conn.run("SET TimeZone = 'UTC'; SET disabled_compression_methods = 'fsst'");
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

/** An open database and one connection to it. */
export class RawDuck {
  private constructor(
    private readonly b: Bindings,
    readonly db: Database,
    readonly conn: Connection,
  ) {}

  /** Opens (or creates) the database file with these configuration options. */
  static async open(path: string, options: Record<string, string>): Promise<RawDuck> {
    const b = bindings();
    const config = b.create_config();
    for (const [name, value] of Object.entries(options)) b.set_config(config, name, value);
    const db = await b.open(path, config);
    return new RawDuck(b, db, await b.connect(db));
  }

  /** Runs one statement with `$1…` parameters. */
  async run(sql: string, params: readonly RawParam[] = []): Promise<Result> {
    if (params.length === 0) return this.b.query(this.conn, sql);
    const statement = await this.b.prepare(this.conn, sql);
    try {
      params.forEach((value, i) => bind(this.b, statement, i + 1, value));
      return await this.b.execute_prepared(statement);
    } finally {
      this.b.destroy_prepare_sync(statement);
    }
  }

  /** The rows of a query whose every column is VARCHAR (the SQL casts), NULL as null. */
  async texts(sql: string, params: readonly RawParam[] = []): Promise<(string | null)[][]> {
    const b = this.b;
    const result = await this.run(sql, params);
    const rows: (string | null)[][] = [];
    for (let chunk = await b.fetch_chunk(result); chunk !== null; chunk = await b.fetch_chunk(result)) {
      const size = b.data_chunk_get_size(chunk);
      if (size === 0) break;
      const columns = b.data_chunk_get_column_count(chunk);
      const first = rows.length;
      for (let r = 0; r < size; r++) rows.push(new Array<string | null>(columns).fill(null));
      for (let c = 0; c < columns; c++) {
        const vector = b.data_chunk_get_vector(chunk, c);
        const data = b.vector_get_data(vector, size * 16);
        // The validity mask: one bit per row, little-endian 64-bit words; absent when all are valid.
        const validity = b.vector_get_validity(vector, Math.ceil(size / 64) * 8);
        for (let r = 0; r < size; r++) {
          if (validity && ((validity[r >> 3] as number) & (1 << (r & 7))) === 0) continue;
          (rows[first + r] as (string | null)[])[c] = stringAt(b, data, r);
        }
      }
    }
    return rows;
  }

  /** Closes the connection and the database. */
  close(): void {
    this.b.disconnect_sync(this.conn);
    this.b.close_sync(this.db);
  }
}
