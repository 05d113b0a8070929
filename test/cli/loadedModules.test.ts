/**
 * Start-up: a command loads only the modules it uses (cli/main.ts imports each command when it
 * runs; the HTML renderer, --write-pcap's writer and built-ins such as node:crypto are loaded
 * where first needed). Every module parsed, and with Debian's node every built-in compiled from
 * source, is start-up time of every run. The bin loads the modules bundled (scripts/bundle.mjs):
 * `analyze` as one script, dist/bundle/analyze.cjs, compiled with node:vm; every other command
 * from a few ES module files of dist/bundle, each command and the HTML page chunks of their own.
 * dist/bundle/meta.json says which modules each file holds. The child records what it loaded: its
 * ES modules through a module.register load hook, the files it read with readFileSync (the
 * analyze script), its built-ins from process.moduleLoadList at exit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'public', 'zeek-single-rst.pcap');

const dir = tempDir('whyreset-loaded-');
after(() => dir.remove());

/** The load hook, run on the hooks thread: one line per module URL loaded. */
const HOOK = `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.WHYRESET_LOADED_LOG, \`module \${url}\\n\`);
  return nextLoad(url, context);
}
`;

/**
 * Given to the child with --import: registers the hook (which runs on a worker thread of its own)
 * and logs each file read with fs.readFileSync (bin/analyzeBundle.cjs reads the analyze script so).
 */
const REGISTER_HOOK = `import { register } from 'node:module';
import fs from 'node:fs';
register('./hook.mjs', import.meta.url);
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (typeof path === 'string') fs.appendFileSync(process.env.WHYRESET_LOADED_LOG, \`read \${path}\\n\`);
  return readFileSync.call(this, path, ...rest);
};
`;

/**
 * Given to the child with --require instead: lists the built-ins at exit. CommonJS, so that
 * neither the hook's thread (which loads worker_threads) nor Node's ES module loader (which
 * loads Node's streams) is started by the listing itself.
 */
const LIST_BUILTINS = `const { appendFileSync } = require('node:fs');
process.on('exit', () => {
  appendFileSync(process.env.WHYRESET_LOADED_LOG, process.moduleLoadList.map((m) => \`builtin \${m}\\n\`).join(''));
});
`;

writeFileSync(join(dir.dir, 'hook.mjs'), HOOK);
writeFileSync(join(dir.dir, 'registerHook.mjs'), REGISTER_HOOK);
writeFileSync(join(dir.dir, 'listBuiltins.cjs'), LIST_BUILTINS);

/** The lines a run of `whyreset …args` wrote with the given preloaded file (--import for .mjs, --require for .cjs). */
async function logOf(name: string, preload: string, args: readonly string[]): Promise<string[]> {
  const log = join(dir.dir, `${name}.log`);
  writeFileSync(log, '');
  const path = join(dir.dir, preload);
  const option = preload.endsWith('.cjs') ? `--require=${path}` : `--import=${pathToFileURL(path).href}`;
  const r = await runCli(args, { env: { NODE_OPTIONS: option, WHYRESET_LOADED_LOG: log } });
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return readFileSync(log, 'utf8').split('\n');
}

/** esbuild's metafile (scripts/bundle.mjs): the dist/src modules each file of dist/bundle holds. */
interface BundleMeta {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** The dist/src modules (paths under dist/src) that the loaded bundle file `file` (path under the repository) holds. */
function modulesIn(meta: BundleMeta, file: string): string[] {
  const output = meta.outputs[file];
  assert.ok(output, `${file} is not in dist/bundle/meta.json`);
  return Object.keys(output.inputs)
    .filter((i) => i.startsWith('dist/src/'))
    .map((i) => i.slice('dist/src/'.length));
}

/** What a run loaded. */
interface Loaded {
  /** The src/ modules (paths under dist/src) it ran, bundled or not. */
  modules: string[];
  /** Files of dist/bundle it imported as ES modules. */
  esmFiles: number;
  /** Whether it compiled the analyze script, dist/bundle/analyze.cjs. */
  analyzeScript: boolean;
  /** Modules of dist/src it imported directly. */
  srcFiles: number;
  /** The public built-ins it loaded (a second run). */
  builtins: string[];
}

/** What `whyreset …args` loaded; each file of dist/bundle stands for the modules it holds. */
async function loadedBy(name: string, args: readonly string[]): Promise<Loaded> {
  const dist = join(REPO_ROOT, 'dist');
  const distUrl = `module ${pathToFileURL(dist).href}/`;
  const lines = await logOf(`${name}-modules`, 'registerHook.mjs', args);
  const imported = lines.filter((l) => l.startsWith(distUrl)).map((l) => `dist/${l.slice(distUrl.length)}`);
  const esm = imported.filter((f) => f.startsWith('dist/bundle/'));
  const direct = imported.filter((f) => f.startsWith('dist/src/'));
  const analyzeScript = lines.includes(`read ${join(dist, 'bundle', 'analyze.cjs')}`);
  const meta = JSON.parse(readFileSync(join(dist, 'bundle', 'meta.json'), 'utf8')) as BundleMeta;
  const bundled = analyzeScript ? [...esm, 'dist/bundle/analyze.cjs'] : esm;
  const modules = [...bundled.flatMap((f) => modulesIn(meta, f)), ...direct.map((f) => f.slice('dist/src/'.length))];
  const builtins = (await logOf(`${name}-builtins`, 'listBuiltins.cjs', args))
    .filter((l) => l.startsWith('builtin NativeModule '))
    .map((l) => l.slice('builtin NativeModule '.length));
  return { modules, esmFiles: esm.length, analyzeScript, srcFiles: direct.length, builtins };
}

/**
 * Modules of src/ that `analyze` has no use for. (Its --html page and --write-pcap writer are in
 * the analyze script, compiled only if called; the ES module bundle keeps them chunks of their
 * own, which the correlate test below proves lazy.)
 */
const NOT_FOR_ANALYZE = [/^cli\/(main|explain|correlate|trace|lab|ingest|query|export|submit|worker)\.js$/, /^correlate\//, /^pipeline\/runCorrelation\.js$/, /^lab\//, /^store\//, /^kernel\/traceSession\.js$/];
/**
 * Built-ins a one-thread text analysis of a plain capture, written to a file (--out) with stderr
 * not a terminal, never calls: nor Node's streams, which process.stdin/stdout/stderr would load.
 */
const UNUSED_BUILTINS = ['crypto', 'zlib', 'worker_threads', 'v8', 'perf_hooks', 'stream', 'net', 'tty'];

test('analyze (text, one thread, a plain capture) runs the analyze script alone: no ES module of ours, no other command, no unused built-in', async () => {
  const { modules, esmFiles, analyzeScript, srcFiles, builtins } = await loadedBy('text', ['analyze', FIXTURE, '--threads', '1', '--out', '/dev/null']);
  assert.ok(analyzeScript);
  assert.deepEqual({ esmFiles, srcFiles }, { esmFiles: 0, srcFiles: 0 });
  // The script holds the pipeline and the text report.
  for (const used of ['cli/analyzeMain.js', 'cli/analyze.js', 'pipeline/run.js', 'track/tracker.js', 'report/text.js']) assert.ok(modules.includes(used), used);
  assert.deepEqual(
    modules.filter((m) => NOT_FOR_ANALYZE.some((re) => re.test(m))),
    [],
  );
  assert.deepEqual(
    builtins.filter((b) => UNUSED_BUILTINS.includes(b)),
    [],
  );
});

test('analyze writing its report to a pipe (standard output) loads none of Node\'s stream modules: fd 1 is written with write(2)', async () => {
  const { builtins } = await loadedBy('piped', ['analyze', FIXTURE, '--threads', '1']);
  assert.deepEqual(
    builtins.filter((b) => UNUSED_BUILTINS.includes(b)),
    [],
  );
});

test('--format json and ndjson load no node:crypto: their Community IDs hash with net/sha1.ts (loading node:crypto cost ~40 M instructions)', async () => {
  for (const format of ['json', 'ndjson']) {
    const { builtins } = await loadedBy(format, ['analyze', FIXTURE, '--threads', '1', '--format', format, '--out', '/dev/null']);
    assert.deepEqual(
      builtins.filter((b) => UNUSED_BUILTINS.includes(b)),
      [],
      format,
    );
  }
});

test('the other commands come from the ES module bundle, a few files, each command and the HTML page its own chunk', async () => {
  const lab = join(REPO_ROOT, 'test', 'fixtures', 'lab');
  const captures = [join(lab, 'middlebox-injection.client.pcap'), join(lab, 'middlebox-injection.router.pcap')];
  const text = await loadedBy('correlate', ['correlate', ...captures, '--out', '/dev/null']);
  assert.ok(!text.analyzeScript);
  assert.equal(text.srcFiles, 0);
  assert.ok(text.esmFiles > 0 && text.esmFiles * 3 < text.modules.length, `${text.esmFiles} files for ${text.modules.length} modules`);
  assert.ok(text.modules.includes('cli/correlate.js'), text.modules.join(' '));
  assert.ok(!text.modules.includes('report/html/writeHtml.js') && !text.modules.includes('cli/explain.js'), text.modules.join(' '));
  const html = await loadedBy('correlate-html', ['correlate', ...captures, '--html', join(dir.dir, 'page.html'), '--out', '/dev/null']);
  assert.ok(html.modules.includes('report/html/writeHtml.js'), html.modules.join(' '));
});

test('ingest runs its own script (dist/bundle/ingest.cjs, no ES module of ours): nor Node\'s ES module loader, nor the built-ins an ES import of node:fs pulls in', async () => {
  const db = join(dir.dir, 'loaded.duckdb');
  const lines = await logOf('ingest-modules', 'registerHook.mjs', ['ingest', FIXTURE, '--db', db]);
  const distUrl = `module ${pathToFileURL(join(REPO_ROOT, 'dist')).href}/`;
  assert.deepEqual(
    lines.filter((l) => l.startsWith(distUrl)),
    [],
  );
  assert.ok(lines.includes(`read ${join(REPO_ROOT, 'dist', 'bundle', 'ingest.cjs')}`), lines.join('\n'));
  const builtins = (await logOf('ingest-builtins', 'listBuiltins.cjs', ['ingest', FIXTURE, '--db', db]))
    .filter((l) => l.startsWith('builtin NativeModule '))
    .map((l) => l.slice('builtin NativeModule '.length));
  assert.deepEqual(
    // (esm/utils, assert and loader are part of every start; translators and module_job load ES modules.)
    builtins.filter((b) => ['internal/modules/esm/translators', 'internal/modules/esm/module_job', 'internal/fs/promises', 'internal/fs/rimraf', 'internal/readline/interface'].includes(b)),
    [],
  );
});

test('explain loads its own command and not analyze', async () => {
  const { modules, analyzeScript } = await loadedBy('explain', ['explain', FIXTURE, '--conn', 'C1', '--threads', '1']);
  assert.ok(modules.includes('cli/explain.js'), modules.join(' '));
  assert.ok(!analyzeScript && !modules.includes('cli/analyze.js') && !modules.includes('cli/correlate.js'), modules.join(' '));
});

/** Given with --require: logs, per thread, each file of dist/bundle read with fs.readFileSync. */
const LOG_BUNDLE_READS = `const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (typeof path === 'string' && path.includes('bundle')) fs.appendFileSync(process.env.WHYRESET_LOADED_LOG, \`\${isMainThread ? 'main' : 'worker'} read \${path}\\n\`);
  return readFileSync.call(this, path, ...rest);
};
`;
writeFileSync(join(dir.dir, 'logBundleReads.cjs'), LOG_BUNDLE_READS);

test('analyze on two threads: its worker runs the track worker script (dist/bundle/trackWorker.cjs) with its code cache, not the ES module bundle', async () => {
  const log = join(dir.dir, 'worker-reads.log');
  writeFileSync(log, '');
  const env = { NODE_OPTIONS: `--require=${join(dir.dir, 'logBundleReads.cjs')}`, WHYRESET_LOADED_LOG: log, WHYRESET_THREADS_MIN_BYTES: '0' };
  const r = await runCli(['analyze', FIXTURE, '--threads', '2', '--out', '/dev/null'], { env });
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  const bundle = join(REPO_ROOT, 'dist', 'bundle');
  const workerReads = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('worker read '));
  assert.deepEqual(workerReads, [`worker read ${join(bundle, 'trackWorker.cjs.cache')}`, `worker read ${join(bundle, 'trackWorker.cjs')}`]);
});

test("the code caches the build made are taken by a node started with the bin's V8 flags (the analyze script's and its track worker's)", () => {
  const shebang = readFileSync(join(REPO_ROOT, 'bin', 'whyreset.js'), 'utf8').split('\n', 1)[0] as string;
  const flags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));
  const probe = `const b = require(${JSON.stringify(join(REPO_ROOT, 'bin', 'analyzeBundle.cjs'))});
process.stdout.write(JSON.stringify({ analyze: b.loadAnalyze().cacheRefused, trackWorker: b.loadTrackWorker().cacheRefused }));`;
  const out = execFileSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.deepEqual(JSON.parse(out), { analyze: false, trackWorker: false });
});
