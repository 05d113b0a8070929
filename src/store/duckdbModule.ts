/**
 * Loads `@duckdb/node-api` on first use, with `require` rather than `import()`. The package is
 * CommonJS whose index re-exports ~120 files; an ES `import()` of it runs Node's CommonJS
 * export lexer over every one of them to find their names (node: lib/internal/modules/esm/
 * translators.js, cjsPreparseModuleExports), which measured 0.14-0.17 s of CPU here (1.38G
 * instructions under callgrind, most of it TurboFan compiling the lexer) against 0.07 s for
 * `require` of the same files. Only the store commands call this, so `analyze` never maps
 * DuckDB's native library.
 */
import { createRequire } from 'node:module';

type DuckDBModule = typeof import('@duckdb/node-api');

let loaded: DuckDBModule | null = null;

/** The `@duckdb/node-api` module, loaded once per process. */
export function duckdbModule(): DuckDBModule {
  loaded ??= createRequire(import.meta.url)('@duckdb/node-api') as DuckDBModule;
  return loaded;
}
