/**
 * Same-run comparison of two builds of whyreset (`npm run bench -- --baseline DIR|COMMIT`): this
 * tree's `analyze` against a baseline's on the same file, interleaved (baseline, this, baseline,
 * this, …), so that both meet the same machine load; min and median wall time and peak RSS per
 * side and their ratios. `--callgrind` counts instructions instead (valgrind's callgrind, node
 * --single-threaded, on a slice of the file): a figure that a shared, noisy machine does not move.
 *
 * A baseline is either a directory holding another built checkout (bin/whyreset.js and
 * dist/src/cli/main.js), or a git commit of this repository, which is exported with `git archive`
 * into .tmp/bench-builds/<sha>/ (git-ignored), given this tree's node_modules as a symlink (nothing
 * is downloaded) and built there with its own `npm run build`; later runs reuse the build.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { argValue } from './gen.js';
import { type FileFacts, type Measure, MiB, measure, shebangNodeArgs, warm, writePrefix } from './measure.js';

/** What `--baseline` mode was asked to do. */
export interface CompareOptions {
  /** A built checkout's directory or a git commit (anything `git rev-parse` resolves). */
  readonly baseline: string;
  /** Measured runs per side (timed: default 5; callgrind: default 1). */
  readonly runs: number;
  /** Unmeasured runs per side before the measured ones (timed only; default 1). */
  readonly warmup: number;
  /** Count instructions with callgrind instead of timing. */
  readonly callgrind: boolean;
  /** Callgrind reads only a prefix of this many MiB of each file (default 16). */
  readonly sliceMiB: number;
  /** Report format passed to both sides (default text). */
  readonly format: string;
  /** Extra `analyze` arguments for both sides, for this tree only, for the baseline only. */
  readonly args: readonly string[];
  readonly thisArgs: readonly string[];
  readonly baselineArgs: readonly string[];
  /** Each side runs with its own bin's shebang node options instead of this tree's for both. */
  readonly ownShebang: boolean;
  /** Where to write the results as JSON (none: text only). */
  readonly json: string | undefined;
}

/**
 * Where commits are built: git-ignored (/.tmp/) and outside every folder that tsc, biome and the
 * architecture test read (a checkout under bench/ would be compiled into this tree's dist).
 */
export const BUILDS_DIR = '.tmp/bench-builds';

/** The defaults of every comparison option but `--baseline` itself. */
const DEFAULTS = { timedRuns: 5, callgrindRuns: 1, warmup: 1, sliceMiB: 16, format: 'text' } as const;
/** A ratio within this distance of 1 is "within ±3%", issue 11's speed bar for the restructuring. */
export const WITHIN = 0.03;

/** Splits an option's value on blanks ("-C --threads 1" → two arguments; none → []). */
function words(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\s+/).filter((w) => w.length > 0);
}

/** A whole number ≥ min, or null. */
function count(text: string | undefined, fallback: number, min: number): number | null {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n >= min ? n : null;
}

/**
 * Reads the comparison options from the bench's argv; undefined when `--baseline` is absent (the
 * usual bench), a message when an option is wrong.
 */
export function parseCompareOptions(argv: readonly string[]): CompareOptions | string | undefined {
  if (!argv.includes('--baseline')) return undefined;
  const baseline = argValue(argv, '--baseline');
  if (baseline === undefined || baseline.startsWith('--')) return '--baseline needs a directory or a git commit';
  const callgrind = argv.includes('--callgrind');
  const runs = count(argValue(argv, '--runs'), callgrind ? DEFAULTS.callgrindRuns : DEFAULTS.timedRuns, 1);
  if (runs === null) return '--runs needs a whole number ≥ 1';
  const warmup = count(argValue(argv, '--warmup'), DEFAULTS.warmup, 0);
  if (warmup === null) return '--warmup needs a whole number ≥ 0';
  const sliceText = argValue(argv, '--slice');
  const sliceMiB = sliceText === undefined ? DEFAULTS.sliceMiB : Number(sliceText);
  if (!Number.isFinite(sliceMiB) || sliceMiB <= 0) return '--slice needs a size in MiB > 0';
  const formats = argValue(argv, '--formats');
  if (formats?.includes(',')) return '--baseline compares one format: give --formats a single one';
  return {
    baseline,
    runs,
    warmup,
    callgrind,
    sliceMiB,
    format: formats ?? DEFAULTS.format,
    args: words(argValue(argv, '--args')),
    thisArgs: words(argValue(argv, '--this-args')),
    baselineArgs: words(argValue(argv, '--baseline-args')),
    ownShebang: argv.includes('--own-shebang'),
    json: argValue(argv, '--json'),
  };
}

/** Smallest, median (the mean of the middle two for an even count) and largest of some numbers. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** The spread of a non-empty list of numbers. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf: no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { min: s[0] as number, median, max: s[s.length - 1] as number };
}

/** One side's measured values: seconds or instructions per run, peak RSS per run (bytes, null: unknown). */
export interface Side {
  readonly label: string;
  readonly values: readonly number[];
  readonly rss: readonly (number | null)[];
}

/** Both sides on one file, with what was measured. */
export interface Comparison {
  readonly file: string;
  readonly unit: 'seconds' | 'instructions';
  readonly baseline: Side;
  readonly current: Side;
}

/** this ÷ baseline, or null when the baseline's figure is not positive. */
export function ratioOf(current: number, baseline: number): number | null {
  return baseline > 0 && Number.isFinite(current) ? current / baseline : null;
}

/** "1.023× (+2.3%)": a ratio and the change it is. */
export function ratioText(r: number | null): string {
  if (r === null) return 'n/a';
  const pct = (r - 1) * 100;
  return `${r.toFixed(3)}× (${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%)`;
}

const seconds = (s: number): string => `${s.toFixed(3)} s`;
const millions = (n: number): string => `${(n / 1e6).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}M`;
const mibText = (b: number | null): string => (b === null ? 'n/a' : `${(b / MiB).toFixed(1)} MiB`);
const known = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

/** The peak RSS of a side's runs (their largest), or null when none was measured. */
export function peakRss(side: Side): number | null {
  const rs = known(side.rss);
  return rs.length === 0 ? null : Math.max(...rs);
}

/** The lines that report one comparison: each side's spread, the ratios, and the ±3% verdict on the median. */
export function comparisonLines(c: Comparison): string[] {
  const show = c.unit === 'seconds' ? seconds : millions;
  const lines = [`  ${c.file} (${c.unit}; ${c.current.values.length} run${c.current.values.length === 1 ? '' : 's'} per side):`];
  for (const side of [c.baseline, c.current]) {
    const s = spreadOf(side.values);
    const rss = c.unit === 'seconds' ? `   peak RSS ${mibText(peakRss(side))}` : '';
    lines.push(`    ${side.label.padEnd(22)} min ${show(s.min).padStart(10)}   median ${show(s.median).padStart(10)}   max ${show(s.max).padStart(10)}${rss}`);
  }
  const b = spreadOf(c.baseline.values);
  const t = spreadOf(c.current.values);
  const median = ratioOf(t.median, b.median);
  lines.push(`    ratio this/baseline    min ${ratioText(ratioOf(t.min, b.min))}   median ${ratioText(median)}`);
  if (c.unit === 'seconds') lines.push(`    peak RSS this/baseline ${ratioText(ratioOf(peakRss(c.current) ?? Number.NaN, peakRss(c.baseline) ?? 0))}`);
  if (median !== null) lines.push(`    within ±${WITHIN * 100}% on the median: ${Math.abs(median - 1) <= WITHIN ? 'yes' : 'no'}`);
  return lines;
}

/** A built whyreset: its directory and how the comparison names it. */
export interface Build {
  readonly dir: string;
  readonly label: string;
}

/** Runs a command, throwing its stderr's tail when it fails. */
function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  return r.stdout;
}

/** True when `dir` holds a built whyreset (the bin and the compiled CLI it loads). */
export function isBuilt(dir: string): boolean {
  return existsSync(join(dir, 'bin', 'whyreset.js')) && existsSync(join(dir, 'dist', 'src', 'cli', 'main.js'));
}

/**
 * The baseline's build: a directory as it is (it must be built), or a commit exported and built
 * under `buildsDir` (reused when already built there). `say` reports the slow steps.
 */
export function resolveBaseline(spec: string, repoRoot: string, buildsDir: string, say: (s: string) => void): Build {
  if (existsSync(join(spec, 'bin', 'whyreset.js'))) {
    if (!isBuilt(spec)) throw new Error(`${spec} is a whyreset checkout but is not built: run npm run build there first`);
    return { dir: resolve(spec), label: 'baseline' };
  }
  const found = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`], { cwd: repoRoot, encoding: 'utf8' });
  const sha = found.status === 0 ? found.stdout.trim() : '';
  if (sha === '') throw new Error(`--baseline ${spec}: neither a built whyreset checkout nor a commit of this repository`);
  const dir = resolve(buildsDir, sha);
  const label = `baseline ${sha.slice(0, 7)}`;
  const done = join(dir, '.whyreset-bench-built');
  if (existsSync(done) && isBuilt(dir)) return { dir, label };
  say(`building ${sha.slice(0, 7)} into ${dir} (git archive, node_modules symlinked from this tree, npm run build) …`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = join(tmpdir(), `whyreset-bench-${process.pid}-${sha.slice(0, 12)}.tar`);
  run('git', ['archive', '--format=tar', '-o', tar, sha], repoRoot);
  run('tar', ['-xf', tar, '-C', dir], repoRoot);
  rmSync(tar, { force: true });
  symlinkSync(resolve(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const lock = (d: string) => (existsSync(join(d, 'package-lock.json')) ? readFileSync(join(d, 'package-lock.json'), 'utf8') : '');
  if (lock(dir) !== lock(repoRoot)) say(`  note: ${sha.slice(0, 7)}'s package-lock.json differs from this tree's; its build uses this tree's node_modules`);
  run('npm', ['run', 'build', '--silent'], dir);
  if (!isBuilt(dir)) throw new Error(`${sha.slice(0, 7)} built without bin/whyreset.js or dist/src/cli/main.js`);
  writeFileSync(done, `${sha}\n`);
  return { dir, label };
}

/** The classic-pcap magic numbers (µs and ns, either byte order): only these can be cut into a slice. */
const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1]);

function isClassicPcap(path: string): boolean {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4);
  const got = readSync(fd, head, 0, 4, 0);
  closeSync(fd);
  return got === 4 && PCAP_MAGICS.has(head.readUInt32LE(0));
}

/** The file callgrind reads: the first `sliceMiB` of a classic pcap (cached beside it in `dataDir`), or the file itself. */
export function sliceOf(path: string, sliceMiB: number, dataDir: string): string {
  if (statSync(path).size <= sliceMiB * MiB || !isClassicPcap(path)) return path;
  const out = join(dataDir, `${basename(path, '.pcap')}.slice${sliceMiB}MiB.pcap`);
  if (!existsSync(out)) {
    mkdirSync(dataDir, { recursive: true });
    writePrefix(path, out, sliceMiB * MiB);
  }
  return out;
}

/** How one side runs `analyze`: node, its options, the bin, and the arguments after `analyze FILE`. */
interface Runner {
  readonly side: Build;
  readonly nodeArgs: readonly string[];
  readonly extra: readonly string[];
}

function analyzeArgv(r: Runner, file: string, format: string): string[] {
  return [...r.nodeArgs, join(r.side.dir, 'bin', 'whyreset.js'), 'analyze', file, '--format', format, '--out', '/dev/null', ...r.extra];
}

/** Callgrind's instruction total of one run (node --single-threaded: no JIT or GC threads to count). */
function instructionsOf(r: Runner, file: string, format: string): number {
  const out = join(tmpdir(), `whyreset-bench-${process.pid}.callgrind`);
  const argv = ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', ...analyzeArgv(r, file, format)];
  const res = spawnSync('valgrind', argv, { encoding: 'utf8', maxBuffer: 64 * MiB });
  rmSync(out, { force: true });
  const m = /Collected\s*:\s*(\d+)/.exec(res.stderr ?? '');
  if (res.error || !m || (res.status !== 0 && res.status !== 1)) {
    throw new Error(`callgrind of ${r.side.label} failed (exit ${res.status}): ${(res.stderr ?? res.error?.message ?? '').trim().split('\n').slice(-4).join(' | ')}`);
  }
  return Number(m[1]);
}

/** Whether valgrind can run (the callgrind mode needs it: `apt-get install -y valgrind`). */
export function hasValgrind(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Measures both sides on `file`, interleaved: baseline then this tree, `runs` times (after
 * `warmup` unmeasured pairs when timing). Timed runs report seconds and peak RSS; callgrind runs
 * report instructions on the file's slice.
 */
export async function compareOn(file: string, facts: FileFacts, baseline: Runner, current: Runner, o: CompareOptions, dataDir: string): Promise<Comparison> {
  const values: [number[], number[]] = [[], []];
  const rss: [(number | null)[], (number | null)[]] = [[], []];
  const runners = [baseline, current] as const;
  const input = o.callgrind ? sliceOf(file, o.sliceMiB, dataDir) : file;
  warm(input);
  for (let i = 0; i < (o.callgrind ? 0 : o.warmup) + o.runs; i++) {
    for (const k of [0, 1] as const) {
      const r = runners[k];
      if (o.callgrind) {
        values[k].push(instructionsOf(r, input, o.format));
        continue;
      }
      const m: Measure = await measure(`whyreset ${r.side.label}`, process.execPath, analyzeArgv(r, input, o.format), facts);
      if (!m.ok) throw new Error(`${r.side.label} failed (exit ${m.exitCode}): ${m.stderrTail.split('\n').slice(-3).join(' | ')}`);
      if (i < o.warmup) continue;
      values[k].push(m.wallS);
      rss[k].push(m.rss);
    }
  }
  const sideOf = (k: 0 | 1): Side => ({ label: runners[k].side.label, values: values[k], rss: rss[k] });
  return { file: input, unit: o.callgrind ? 'instructions' : 'seconds', baseline: sideOf(0), current: sideOf(1) };
}

/** Everything `--baseline` prints and returns, over the files given (the mix, and the flood when asked). */
export async function runComparison(
  o: CompareOptions,
  files: readonly { path: string; facts: FileFacts }[],
  repoRoot: string,
  dataDir: string,
  say: (s: string) => void,
): Promise<Comparison[]> {
  if (o.callgrind && !hasValgrind()) throw new Error('--callgrind needs valgrind (apt-get install -y valgrind)');
  const base = resolveBaseline(o.baseline, repoRoot, join(repoRoot, BUILDS_DIR), say);
  const here: Build = { dir: resolve(repoRoot), label: 'this tree' };
  const mine = shebangNodeArgs(join(here.dir, 'bin', 'whyreset.js'));
  const baseline: Runner = { side: base, nodeArgs: o.ownShebang ? shebangNodeArgs(join(base.dir, 'bin', 'whyreset.js')) : mine, extra: [...o.args, ...o.baselineArgs] };
  const current: Runner = { side: here, nodeArgs: mine, extra: [...o.args, ...o.thisArgs] };
  say(`same-run comparison: ${base.label} (${base.dir}) against this tree (${here.dir})`);
  say(`  ${o.callgrind ? `callgrind instruction counts on the first ${o.sliceMiB} MiB of each file (node --single-threaded)` : `wall time and peak RSS, interleaved baseline/this, ${o.warmup} warm-up pair${o.warmup === 1 ? '' : 's'} not counted`}`);
  say(`  node options: baseline ${baseline.nodeArgs.join(' ') || '(none)'}; this tree ${current.nodeArgs.join(' ') || '(none)'}${o.ownShebang ? ' (each its own shebang)' : ' (this tree’s shebang for both)'}`);
  say(`  analyze … --format ${o.format} --out /dev/null; baseline extra: ${baseline.extra.join(' ') || '(none)'}; this tree extra: ${current.extra.join(' ') || '(none)'}`);
  const results: Comparison[] = [];
  for (const f of files) {
    const c = await compareOn(f.path, f.facts, baseline, current, o, dataDir);
    results.push(c);
    for (const line of comparisonLines(c)) say(line);
  }
  if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify({ baseline: base, current: here, options: o, results }, null, 2)}\n`);
  return results;
}
