/**
 * Bundles the command line (dist/src/cli/main.js, which tsc has just built) and the track
 * worker's entry (dist/src/pipeline/trackWorker.js) into a few ES modules under dist/bundle/,
 * which bin/whyreset.js loads. Why: Node 20 resolves every ES module it imports one by one
 * (URL parsing, a package.json scope lookup, realpathSync of the file, a module job and link
 * step); for the 129 modules of a tiny `analyze` that was about a fifth of the run's
 * instructions. The commands main.ts imports with import() stay separate chunks (esbuild's code
 * splitting), loaded only when that command runs, and so do the HTML page and --write-pcap.
 * The tests and the library entry (package.json "main") keep importing dist/src/ directly.
 *
 * A module that finds a file beside itself with `new URL(path, import.meta.url)` (version.ts's
 * package.json, the HTML page's browser scripts, the lab's agent.py, DuckDB's createRequire)
 * still finds it: each such `import.meta.url` becomes the URL of that module's own file under
 * dist/src, computed from the chunk's URL, so the relative paths keep their meaning. The one
 * exception is the track worker, `new URL('./trackWorker.js', import.meta.url)`, left as it is
 * so that it names the worker's bundled entry beside the chunk.
 *
 * `analyze` (the command nearly every run is) also comes as one CommonJS script,
 * dist/bundle/analyze.cjs, with V8's code cache of it beside it (analyze.cjs.cache), made here at
 * build time by scripts/codeCache.cjs; see there and bin/analyzeBundle.cjs.
 *
 * dist/bundle/meta.json is esbuild's metafile: which dist/src modules each output file holds
 * (test/cli/loadedModules.test.ts reads it to prove that `analyze` loads no other command).
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
const OUT = join(ROOT, 'dist', 'bundle');
/** Entries of the bundle: the name of the output file -> the tsc output it starts from. */
const ENTRIES = { main: join(SRC, 'cli', 'main.js'), trackWorker: join(SRC, 'pipeline', 'trackWorker.js') };
/** `new URL('./<entry>.js', import.meta.url)`: a reference to a bundle entry, kept as it is. */
const ENTRY_URL = /new URL\((['"])\.\/(\w+)\.js\1, import\.meta\.url\)/g;

/** `import.meta.url` in the module at `file` rewritten to that file's own URL, found from the chunk's. */
function ownUrlOf(file) {
  const fromOut = relative(OUT, file).split('\\').join('/');
  return `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`;
}

/**
 * An esbuild plugin that gives each dist/src module that reads import.meta.url its own file's URL;
 * a reference to a bundle entry stays as it is, or becomes `entryFiles[name]` (a path from the
 * bundle's directory) where given.
 */
const ownImportMetaUrl = (entryFiles = {}) => ({
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const kept = [];
      const marked = text.replace(ENTRY_URL, (whole, _q, name) => {
        if (!(name in ENTRIES)) return whole;
        kept.push(name in entryFiles ? `new URL(${JSON.stringify(entryFiles[name])}, import.meta.url)` : whole);
        return `\u0000ENTRY${kept.length - 1}\u0000`;
      });
      const rewritten = marked
        .replaceAll('import.meta.url', ownUrlOf(args.path))
        .replace(/\u0000ENTRY(\d+)\u0000/g, (_w, i) => kept[Number(i)]);
      return { contents: rewritten, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
});

/** esbuild's options for one bundle; the main entry and the worker's are built apart (see below). */
const COMMON = {
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // npm packages (pg, DuckDB) stay where npm put them, loaded when a store command runs.
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  metafile: true,
  // Less source to scan at each start (names stay: stack traces and function names read as in dist/src).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [ownImportMetaUrl()],
};

await rm(OUT, { recursive: true, force: true });
// Two builds: chunks shared by the command line and the worker would split the analyze path
// into more files (each shared set of modules its own chunk); the worker's entry has its own copy.
const cli = await build({ ...COMMON, entryPoints: { main: ENTRIES.main } });
const worker = await build({ ...COMMON, entryPoints: { trackWorker: ENTRIES.trackWorker }, splitting: false });
// `analyze` alone as one CommonJS script (its --html page and --write-pcap inside: with the code
// cache below, code that a run does not call costs little more than reading it). bin/whyreset.js
// compiles it with node:vm and the cache, without Node's ES module loader (an empty .mjs costs
// ~40 M instructions more than an empty .cjs). import.meta.url becomes the script's own URL.
// The analyze script's track worker (a run on two threads, pipeline/threads.ts) the same way:
// one CommonJS script with its own code cache, started by bin/trackWorkerBundle.cjs, so that the
// worker neither starts Node's ES module loader (its internal modules compile from source under
// the bin's V8 flags) nor parses and compiles the track modules at each start.
const workerScript = await build({
  ...COMMON,
  entryPoints: { trackWorker: ENTRIES.trackWorker },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  splitting: false,
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'var importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
const analyzeLike = {
  ...COMMON,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  splitting: false,
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'var importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [ownImportMetaUrl({ trackWorker: '../../bin/trackWorkerBundle.cjs' })],
};
const analyze = await build({ ...analyzeLike, entryPoints: { analyze: join(SRC, 'cli', 'analyzeMain.js') } });
// `ingest` the same way (its own script and cache): through the ES module bundle its start-up
// cost ~0.08 s of CPU more than analyze's, most of it Node's ES module loader and the built-ins
// an ES import of node:fs and node:crypto pulls in (fs/promises, readline, webcrypto).
const ingest = await build({ ...analyzeLike, entryPoints: { ingest: join(SRC, 'cli', 'ingestMain.js') } });
const builds = [cli, worker, workerScript, analyze, ingest];
const metafile = {
  inputs: Object.assign({}, ...builds.map((b) => b.metafile.inputs)),
  outputs: Object.assign({}, ...builds.map((b) => b.metafile.outputs)),
};
await writeFile(join(OUT, 'meta.json'), JSON.stringify(metafile));

// The code cache: made by a node started with the bin's own V8 flags (V8 takes a cache only from
// a run with the same flags and version), after one warm-up analysis of an example capture so
// that it holds the functions an analysis compiles, not only the top level.
const shebang = (await readFile(join(ROOT, 'bin', 'whyreset.js'), 'utf8')).split('\n', 1)[0];
const nodeFlags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));
const made = spawnSync(process.execPath, [...nodeFlags, join(ROOT, 'scripts', 'codeCache.cjs')], { cwd: ROOT, stdio: 'inherit' });
if (made.status !== 0) throw new Error(`scripts/codeCache.cjs failed (${made.status ?? made.signal})`);
