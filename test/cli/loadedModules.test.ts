/**
 * Start-up: a command loads only the modules it uses (cli/main.ts imports each command when it
 * runs; the HTML renderer, --write-pcap's writer and built-ins such as node:crypto are loaded
 * where first needed). Every module parsed, and with Debian's node every built-in compiled from
 * source, is start-up time of every run. The bin loads the modules bundled (scripts/bundle.mjs:
 * a few files of dist/bundle, each command and the HTML page chunks of their own), and
 * dist/bundle/meta.json says which modules each file holds. The child records what it loaded: its
 * ES modules through a module.register load hook, its built-ins from process.moduleLoadList at exit.
 */
import assert from 'node:assert/strict';
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

/** Given to the child with --import: registers the hook (which runs on a worker thread of its own). */
const REGISTER_HOOK = `import { register } from 'node:module';
register('./hook.mjs', import.meta.url);
`;

/** Given to the child with --import instead: lists the built-ins at exit (without the hook's thread, which loads worker_threads). */
const LIST_BUILTINS = `import { appendFileSync } from 'node:fs';
process.on('exit', () => {
  appendFileSync(process.env.WHYRESET_LOADED_LOG, process.moduleLoadList.map((m) => \`builtin \${m}\\n\`).join(''));
});
`;

writeFileSync(join(dir.dir, 'hook.mjs'), HOOK);
writeFileSync(join(dir.dir, 'registerHook.mjs'), REGISTER_HOOK);
writeFileSync(join(dir.dir, 'listBuiltins.mjs'), LIST_BUILTINS);

/** The lines a run of `whyreset …args` wrote with the given --import file. */
async function logOf(name: string, importFile: string, args: readonly string[]): Promise<string[]> {
  const log = join(dir.dir, `${name}.log`);
  writeFileSync(log, '');
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${pathToFileURL(join(dir.dir, importFile)).href}`, WHYRESET_LOADED_LOG: log } });
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

/**
 * What `whyreset …args` loaded: the src/ modules (paths under dist/src; the bin loads them
 * bundled, so each loaded file of dist/bundle stands for the modules it holds), how many files of
 * dist/bundle and of dist/src it loaded, and, in a second run, the public built-ins.
 */
async function loadedBy(name: string, args: readonly string[]): Promise<{ modules: string[]; bundleFiles: number; srcFiles: number; builtins: string[] }> {
  const dist = `module ${pathToFileURL(join(REPO_ROOT, 'dist')).href}/`;
  const files = (await logOf(`${name}-modules`, 'registerHook.mjs', args)).filter((l) => l.startsWith(dist)).map((l) => `dist/${l.slice(dist.length)}`);
  const bundled = files.filter((f) => f.startsWith('dist/bundle/'));
  const direct = files.filter((f) => f.startsWith('dist/src/'));
  const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as BundleMeta;
  const modules = [...bundled.flatMap((f) => modulesIn(meta, f)), ...direct.map((f) => f.slice('dist/src/'.length))];
  const builtins = (await logOf(`${name}-builtins`, 'listBuiltins.mjs', args))
    .filter((l) => l.startsWith('builtin NativeModule '))
    .map((l) => l.slice('builtin NativeModule '.length));
  return { modules, bundleFiles: bundled.length, srcFiles: direct.length, builtins };
}

/** Modules of src/ that `analyze` with the text report has no use for. */
const NOT_FOR_ANALYZE = [/^cli\/(explain|correlate|trace|lab|ingest|query)\.js$/, /^correlate\//, /^report\/html\/(?!limits\.js)/, /^pipeline\/(writeResetPackets|runCorrelation)\.js$/, /^lab\//, /^store\//];
/** Built-ins a one-thread text analysis of a plain capture never calls. */
const UNUSED_BUILTINS = ['crypto', 'zlib', 'worker_threads', 'v8', 'perf_hooks'];

test('analyze (text, one thread, a plain capture) loads neither the other commands, the HTML page, nor unused built-ins', async () => {
  const { modules, bundleFiles, srcFiles, builtins } = await loadedBy('text', ['analyze', FIXTURE, '--threads', '1', '--out', '/dev/null']);
  // The modules come bundled (scripts/bundle.mjs): a few files of dist/bundle, none of dist/src.
  assert.equal(srcFiles, 0);
  assert.ok(bundleFiles > 0 && bundleFiles * 3 < modules.length, `${bundleFiles} files for ${modules.length} modules`);
  // The hook sees the modules at all: the pipeline and the text report are there.
  for (const used of ['cli/main.js', 'cli/analyze.js', 'pipeline/run.js', 'track/tracker.js', 'report/text.js']) assert.ok(modules.includes(used), used);
  assert.deepEqual(
    modules.filter((m) => NOT_FOR_ANALYZE.some((re) => re.test(m))),
    [],
  );
  assert.deepEqual(
    builtins.filter((b) => UNUSED_BUILTINS.includes(b)),
    [],
  );
});

test('what a run asks for is loaded then: --format json loads node:crypto (Community IDs), --html the page renderer', async () => {
  const html = join(dir.dir, 'page.html');
  const { modules, builtins } = await loadedBy('json-html', ['analyze', FIXTURE, '--threads', '1', '--format', 'json', '--html', html, '--out', '/dev/null']);
  assert.ok(builtins.includes('crypto'), builtins.join(' '));
  assert.ok(modules.includes('report/html/writeHtml.js'), modules.join(' '));
  assert.ok(!modules.includes('cli/explain.js'));
});

test('explain loads its own command and not analyze', async () => {
  const { modules } = await loadedBy('explain', ['explain', FIXTURE, '--conn', 'C1', '--threads', '1']);
  assert.ok(modules.includes('cli/explain.js'), modules.join(' '));
  assert.ok(!modules.includes('cli/analyze.js') && !modules.includes('cli/correlate.js'), modules.join(' '));
});
