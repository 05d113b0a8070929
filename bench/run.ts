/**
 * `npm run bench`: whyreset against tshark, tcptrace and tcpdump on the same file in one run,
 * reported as ratios, for every report format and for 1 and N threads (when the CLI has
 * `--threads`); a size sweep; the connection flood in every format; the bars of issue 13 with
 * PASS/FAIL.
 *
 * Options: --size MiB (mixed capture, default 512)   --flood N (connections, default 5,000,000)
 *          --flood-rate N (its new connections per second of capture time, default 300,000)
 *          --threads N (the N of "1 and N threads", default: the cores available; passed on only
 *          when `whyreset analyze --help` lists --threads)   --formats text,json,… (on the mix)
 *          --sweep [MiB,MiB,…] (default 20,512,2048)   --tshark-prefix MiB (default: the whole file)
 *          --seed N (default 1)   --skip-tshark   --skip-tcptrace   --skip-flood
 *          --only whyreset|tshark|tcptrace|tcpdump (comma-separated)   --help
 *          --baseline DIR|COMMIT: only the same-run comparison of two builds (bench/compare.ts; HELP).
 *
 * Timing: wall clock with process.hrtime around each child process. Peak RSS: GNU time's %M
 * (`/usr/bin/time`, `apt-get install -y time`); without it, the child's VmHWM sampled from /proc.
 * Timings mean something only on a quiet machine; peak RSS does on any.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_THREADS_MIN_BYTES } from '../src/pipeline/threads.js';
import { type CompareOptions, parseCompareOptions, runComparison } from './compare.js';
import { DEFAULT_FLOOD_RATE, generateFlood } from './flood.js';
import { argValue, generate } from './gen.js';
import { type FileFacts, type Measure, MiB, factsOf, hasGnuTime, measure, measureRepeated, shebangNodeArgs, shebangUnsetEnv, warm, writePrefix } from './measure.js';

const MB = 1e6;
const DATA = 'bench/data';

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function log(s = ''): void {
  process.stdout.write(`${s}\n`);
}

const fmt = (x: number, d = 1): string => x.toFixed(d);
const mib = (b: number | null): string => (b === null ? 'n/a' : `${fmt(b / MiB)} MiB`);

function row(m: Measure): string {
  if (!m.ok) return `  ${m.label.padEnd(34)} FAILED (exit ${m.exitCode})${m.stderrTail ? `: ${m.stderrTail.split('\n').slice(-3).join(' | ')}` : ''}`;
  const mbs = m.bytes / MB / m.wallS;
  const pps = m.packets / m.wallS;
  const spread = m.wallRuns === undefined ? '' : `   (median of ${m.wallRuns.length}: ${fmt(Math.min(...m.wallRuns), 2)}–${fmt(Math.max(...m.wallRuns), 2)} s)`;
  return `  ${m.label.padEnd(34)} ${fmt(m.wallS, 2).padStart(8)} s ${fmt(mbs).padStart(9)} MB/s ${fmt(pps / 1e3).padStart(9)} kpkt/s   peak RSS ${mib(m.rss).padStart(11)}${spread}`;
}

/** The tracker figures whyreset printed on stderr (peak live connections, bytes per slot, pools), as one line. */
function trackerLine(m: Measure): string | null {
  const line = m.stderrTail.split('\n').find((l) => l.startsWith('whyreset-tracker-stats '));
  if (!line) return null;
  const s = JSON.parse(line.slice('whyreset-tracker-stats '.length)) as {
    finished: number; peakLive: number; capacity: number; bytesPerConnection: number; totalBytes: number; evicted: number; packets: number; fastPackets?: number;
    atEnd: { ringRecords: number; rstRecords: number; totalBytes: number };
  };
  const fast = s.fastPackets === undefined || s.packets === 0 ? '' : ` (${fmt((100 * s.fastPackets) / s.packets, 0)} % on the fast path)`;
  return `  tracker: ${s.packets} packets${fast}, ${s.finished} connections, peak ${s.peakLive} live (table of ${s.capacity} slots, ${fmt(s.bytesPerConnection, 0)} B per slot, ${mib(s.atEnd.totalBytes)} of typed arrays at the end), ${s.evicted} evicted early`;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

const speed = (m: Measure | undefined): number | null => (m?.ok ? m.bytes / MB / m.wallS : null);
const mem = (m: Measure | undefined): number | null => (m?.ok ? m.rss : null);
const showRatio = (r: number | null, unit = '×'): string => (r === null ? 'n/a' : `${fmt(r, 2)}${unit}`);
const bar = (pass: boolean | null): string => (pass === null ? 'n/a ' : pass ? 'PASS' : 'FAIL');

/** Every report format of `whyreset analyze`; the flood runs in each, the mix in each for peak RSS. */
const FORMATS = ['text', 'json', 'ndjson', 'csv', 'zeek', 'zeek-json'] as const;
type Format = (typeof FORMATS)[number];
/** The formats the speed ratios and bars are stated for (the default report and the JSON Report). */
const HEADLINE_FORMATS: readonly Format[] = ['text', 'json'];
/** Sizes of `--sweep` when no list is given (MiB): small, the bench's mix, and a big capture. */
const DEFAULT_SWEEP_MIB = [20, 512, 2048];
/** The bars of issue 13, measured side by side in one run. */
const BAR_MBS = 700;
const BAR_TSHARK = 25;
const BAR_TCPTRACE = 2.5;
const BAR_RSS_SHARE_OF_TSHARK = 0.25;
const BAR_FLOOD_MBS = 100;
const BAR_FLOOD_RSS = 512 * MiB;
const BAR_FLOOD_CONNECTIONS = 5_000_000;
/**
 * New connections per second of capture time in the bar's flood: a scanner's or a SYN flood's
 * rate (hundreds of thousands a second), so ~1.5M connections sit in Zeek's 5 s reset delay at
 * once and what a held connection costs shows in the peak RSS. (Until session 11 the flood ran at
 * 8,000/s, where only ~40k are held at a time: it measured speed, not the memory of the hold.)
 */
const BAR_FLOOD_RATE = 300_000;
/** Zeek's tcp_reset_delay (src/track/state.ts resetDelay): how long a reset connection is held. */
const RESET_DELAY_S = 5;

/** One whyreset configuration: a report format and a thread count (null: the CLI's default, no flag passed). */
interface WhyresetRun {
  readonly format: Format;
  readonly threads: number | null;
}

const runLabel = (r: WhyresetRun): string => `whyreset ${r.format}${r.threads === null ? '' : ` --threads ${r.threads}`}`;
const runKey = (r: WhyresetRun): string => `${r.format}/${r.threads ?? '-'}`;

/** The CLI arguments of one run on `file`, the report thrown away (`--out /dev/null`). */
function analyzeArgs(file: string, r: WhyresetRun): string[] {
  const args = ['analyze', file, '--format', r.format, '--out', '/dev/null'];
  if (r.threads !== null) args.push('--threads', String(r.threads));
  return args;
}

/** True when `whyreset analyze --help` documents `--threads` (a passthrough the bench skips otherwise). */
function cliHasThreads(nodeArgs: readonly string[]): boolean {
  const r = spawnSync(process.execPath, [...nodeArgs, 'bin/whyreset.js', 'analyze', '--help'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('--threads');
}

/** Parses "20,512,2048" (MiB); null for anything that is not a list of positive numbers. */
function sizeList(text: string): number[] | null {
  const sizes = text.split(',').map(Number);
  return sizes.length > 0 && sizes.every((n) => Number.isFinite(n) && n > 0) ? sizes : null;
}

/** The mixed capture of `sizeMiB` (generated on first use, with a facts sidecar). */
function mixFile(sizeMiB: number, seed: number): { path: string; facts: FileFacts } {
  const path = join(DATA, `mix-${sizeMiB}MiB-s${seed}.pcap`);
  const known = existsSync(path) ? factsOf(path) : undefined;
  if (known) return { path, facts: known };
  log(`generating ${path} …`);
  const t0 = process.hrtime.bigint();
  const s = generate(path, { sizeMiB, seed });
  writeFileSync(`${path}.json`, JSON.stringify(s, null, 2));
  log(`  ${s.packets} packets, ${s.connections} connections, ${s.resets} RSTs, ${fmt(s.lastTs - s.firstTs)} s of capture, up to ${s.maxConcurrent} concurrent (${fmt(Number(process.hrtime.bigint() - t0) / 1e9)} s)`);
  return { path, facts: { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets } };
}

/**
 * The flood of `conns` connections at `rate` new connections per second of capture time
 * (generated on first use, with a facts sidecar); flood-<conns>.pcap at flood.ts's default rate.
 */
function floodFile(conns: number, rate: number): { path: string; facts: FileFacts } {
  const path = join(DATA, rate === DEFAULT_FLOOD_RATE ? `flood-${conns}.pcap` : `flood-${conns}-r${rate}.pcap`);
  const known = existsSync(path) ? factsOf(path) : undefined;
  if (known) return { path, facts: known };
  log(`generating ${path} …`);
  const s = generateFlood(path, { conns, rate });
  writeFileSync(`${path}.json`, JSON.stringify(s, null, 2));
  return { path, facts: { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets } };
}

/** A PASS/FAIL line; `note` says when the bar is defined on another input than the one measured. */
function barLine(pass: boolean | null, what: string, measured: string, note = ''): string {
  return `  [${bar(pass)}] ${what.padEnd(44)} measured ${measured}${note}`;
}

const USAGE =
  'usage: node dist/bench/run.js [--size MiB] [--repeat N] [--flood N] [--flood-rate N] [--threads N] [--formats text,json,…] [--sweep [MiB,MiB,…]] [--tshark-prefix MiB] [--skip-tshark] [--skip-tcptrace] [--skip-flood] [--only whyreset,tshark,tcptrace,tcpdump]\n' +
  '       node dist/bench/run.js --baseline DIR|COMMIT [--callgrind] [--runs N] [--warmup N] [--file PCAP] [--size MiB] [--flood N] [--flood-rate N] [--slice MiB] [--formats F] [--args "…"] [--this-args "…"] [--baseline-args "…"] [--own-shebang] [--json FILE]\n' +
  '       node dist/bench/run.js --help';

/** `--help`: every option of both modes. */
export const HELP = `${USAGE}

Benchmark (default): whyreset against tshark, tcptrace -n and tcpdump on the same file in the same run.
  --size MiB            the generated mixed capture (default 512; bench/data/, reused)
  --seed N              its generator seed (default 1)
  --repeat N            runs of each tool on the mix, the median wall time and the highest peak RSS
                        reported (default 3; the flood and the size sweep run once)
  --flood N             connections of the flood (default 5000000)
  --flood-rate N        its new connections per second of capture time (default 300000, a
                        scanner's rate: ~1.5M connections held in the 5 s reset delay at once)
  --threads N           whyreset runs with --threads 1 and N (default: the cores available)
  --formats a,b         the formats run on the mix (default: every format)
  --sweep [MiB,…]       also the size sweep (default 20,512,2048)
  --tshark-prefix MiB   tshark reads only this prefix (default: the whole file)
  --skip-tshark --skip-tcptrace --skip-flood   --only whyreset,tshark,tcptrace,tcpdump

Same-run comparison of two builds (--baseline): only whyreset analyze, on the same file, interleaved
baseline/this tree, so both meet the same machine load.
  --baseline DIR        another checkout, already built (bin/whyreset.js, dist/src/cli/main.js)
  --baseline COMMIT     a commit of this repository: git archive into .tmp/bench-builds/<sha>/,
                        node_modules symlinked from this tree, npm run build there (once; reused)
  --runs N              measured runs per side (default 5; with --callgrind 1)
  --warmup N            unmeasured pairs first (default 1; timing only)
  --file PCAP           compare on this capture instead of the mix of --size
  --flood N             also compare on the flood of N connections (at --flood-rate, default 300000/s)
  --formats F           the report format of both sides (one; default text)
  --args "…"            extra analyze arguments for both sides; --this-args / --baseline-args for one
                        (e.g. --this-args -C: this tree without checksums, for a baseline that had none)
  --own-shebang         each side runs with its own bin's node options (default: this tree's for both)
  --callgrind           count instructions (valgrind --tool=callgrind, node --single-threaded) instead of
                        timing, on the first --slice MiB (default 16) of each file; prints both totals and the ratio
  --json FILE           also write the results as JSON
Prints min/median/max per side, the ratios this/baseline (min and median), peak RSS per side and its
ratio, and whether the median is within ±3%.`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    log(HELP);
    return;
  }
  const compare = parseCompareOptions(argv);
  if (typeof compare === 'string') {
    log(`bench: ${compare}`);
    log(USAGE);
    process.exitCode = 2;
    return;
  }
  if (compare !== undefined) {
    await compareBuilds(compare, argv);
    return;
  }
  const sizeMiB = Number(argValue(argv, '--size') ?? 512);
  const floodN = Number(argValue(argv, '--flood') ?? BAR_FLOOD_CONNECTIONS);
  const floodRate = Number(argValue(argv, '--flood-rate') ?? BAR_FLOOD_RATE);
  // tshark reads the whole file by default: the same file as whyreset, so its peak RSS is comparable.
  const prefixArg = argValue(argv, '--tshark-prefix');
  const prefixMiB = prefixArg === undefined ? sizeMiB : Math.min(Number(prefixArg), sizeMiB);
  const wholeFile = prefixMiB >= sizeMiB;
  const seed = Number(argValue(argv, '--seed') ?? 1);
  const repeat = Number(argValue(argv, '--repeat') ?? 3);
  const only = new Set((argValue(argv, '--only') ?? 'whyreset,tshark,tcptrace,tcpdump').split(','));
  const skipTshark = argv.includes('--skip-tshark') || !only.has('tshark');
  const skipTcptrace = argv.includes('--skip-tcptrace') || !only.has('tcptrace');
  const skipTcpdump = !only.has('tcpdump');
  const skipFlood = argv.includes('--skip-flood');
  const formatsArg = argValue(argv, '--formats');
  const mixFormats = (formatsArg === undefined ? [...FORMATS] : formatsArg.split(',')) as Format[];
  const threadsArg = argValue(argv, '--threads');
  const threadsN = threadsArg === undefined ? availableParallelism() : Number(threadsArg);
  // --sweep alone: the default sizes; --sweep 20,64: those sizes (a value never starts with "--").
  const sweepAt = argv.indexOf('--sweep');
  const sweepValue = sweepAt >= 0 && argv[sweepAt + 1] !== undefined && !argv[sweepAt + 1]?.startsWith('--') ? argv[sweepAt + 1] : undefined;
  const sweep = sweepAt < 0 ? [] : sweepValue === undefined ? DEFAULT_SWEEP_MIB : sizeList(sweepValue);
  const badFormat = mixFormats.find((f) => !(FORMATS as readonly string[]).includes(f));
  if (!Number.isFinite(sizeMiB) || sizeMiB <= 0 || !Number.isInteger(repeat) || repeat < 1 || !Number.isFinite(floodN) || floodN <= 0 || !(floodRate > 0) || !Number.isInteger(threadsN) || threadsN < 1 || sweep === null || badFormat !== undefined) {
    log(USAGE);
    process.exitCode = 2;
    return;
  }

  const whyresetBuilt = existsSync('dist/src/cli/main.js') && existsSync('bin/whyreset.js');
  const haveTshark = has('tshark');
  const haveTcpdump = has('tcpdump');
  const haveTcptrace = spawnSync('tcptrace', ['-v'], { stdio: 'ignore' }).error === undefined;
  // whyreset runs as executing bin/whyreset.js runs it: node with the options of its shebang line.
  const nodeArgs = shebangNodeArgs('bin/whyreset.js');
  // …and without the variables its shebang removes (NODE_EXTRA_CA_CERTS; the other tools never read them).
  for (const name of shebangUnsetEnv('bin/whyreset.js')) delete process.env[name];
  const whyresetArgs = (...args: string[]) => [...nodeArgs, 'bin/whyreset.js', ...args];
  const threadsKnown = whyresetBuilt && cliHasThreads(nodeArgs);
  // 1 and N threads when the CLI has --threads (N = the cores available unless --threads says); the default run otherwise.
  const threadSettings: (number | null)[] = !threadsKnown ? [null] : threadsN === 1 ? [1] : [1, threadsN];
  const fastest = threadSettings[threadSettings.length - 1] ?? null;

  log(`whyreset benchmark — ${new Date().toISOString()}, node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cores`);
  log(`peak RSS from ${hasGnuTime ? "GNU time (/usr/bin/time -f '%e %M')" : '/proc/<pid>/status VmHWM sampled every 20 ms (install GNU time for exact numbers: apt-get install -y time)'}`);
  log(
    threadsKnown
      ? `threads: whyreset runs with --threads 1${threadsN > 1 ? ` and --threads ${threadsN} (a capture under ${DEFAULT_THREADS_MIN_BYTES / 1024 / 1024} MiB is read on one thread whatever --threads says: src/pipeline/threads.ts)` : ''}`
      : 'threads: this whyreset has no --threads option — every run uses its default (single-threaded)',
  );
  log('figures are only meaningful on a quiet machine: run nothing else meanwhile');

  // 1. Files ------------------------------------------------------------------------------------
  const { path: mix, facts: mixFacts } = mixFile(sizeMiB, seed);
  const prefix = wholeFile ? mix : join(DATA, `mix-${sizeMiB}MiB-s${seed}.prefix${prefixMiB}MiB.pcap`);
  let prefixFacts = wholeFile ? mixFacts : existsSync(prefix) ? factsOf(prefix) : undefined;
  if (!skipTshark && haveTshark && !prefixFacts) {
    prefixFacts = writePrefix(mix, prefix, prefixMiB * MiB);
    writeFileSync(`${prefix}.json`, JSON.stringify(prefixFacts));
  }
  log(`mixed capture: ${mix} — ${fmt(mixFacts.bytes / MiB)} MiB, ${mixFacts.packets} packets, ${mixFacts.connections ?? '?'} connections, ${mixFacts.resets ?? '?'} RSTs`);

  // 2. Speed and memory on the mixed capture ---------------------------------------------------
  warm(mix);
  const runs = new Map<string, Measure>();
  log('');
  log('speed and memory on the same file (MB = 10^6 bytes):');
  if (only.has('whyreset')) {
    if (!whyresetBuilt) log('  whyreset                           missing: dist/src/cli/main.js is not built yet — skipped');
    else {
      for (const threads of threadSettings) {
        for (const format of mixFormats) {
          const r = { format, threads };
          const m = await measureRepeated(repeat, runLabel(r), process.execPath, whyresetArgs(...analyzeArgs(mix, r)), mixFacts);
          runs.set(runKey(r), m);
          log(row(m));
          const t = format === 'json' ? trackerLine(m) : null;
          if (t) log(t);
        }
      }
    }
  }
  const others = new Map<string, Measure>();
  if (!skipTcptrace) {
    if (!haveTcptrace) log('  tcptrace                           not installed — skipped (apt-get install -y tcptrace)');
    else {
      // Ostermann's tcptrace, a C connection analyser: -n skips name lookups (it prints one line per connection).
      const m = await measureRepeated(repeat, 'tcptrace -n', 'tcptrace', ['-n', mix], mixFacts);
      others.set('tcptrace', m);
      log(row(m));
    }
  }
  if (!skipTcpdump) {
    if (!haveTcpdump) log('  tcpdump                            not installed — skipped');
    else {
      // The bare filter: BPF tcp[] matches untagged IPv4 only, so it misses the IPv6 and VLAN resets.
      const plain = await measureRepeated(repeat, 'tcpdump (bare IPv4 filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', 'tcp[tcpflags] & tcp-rst != 0'], mixFacts);
      others.set('tcpdump', plain);
      log(row(plain));
      // The fair filter: the same RSTs whyreset sees — IPv4, IPv6 (no extension headers: TCP flags at 40 + 13) and both inside 802.1Q.
      const rst6 = 'ip6[6] = 6 and ip6[53] & 4 != 0';
      const fair = `(tcp[tcpflags] & tcp-rst != 0) or (${rst6}) or (vlan and ((tcp[tcpflags] & tcp-rst != 0) or (${rst6})))`;
      const m = await measureRepeated(repeat, 'tcpdump (IPv4+IPv6+VLAN filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', fair], mixFacts);
      others.set('tcpdump-fair', m);
      log(row(m));
    }
  }
  if (!skipTshark) {
    if (!haveTshark) log('  tshark                             not installed — skipped');
    else if (prefixFacts) {
      warm(prefix);
      const m = await measureRepeated(
        repeat,
        wholeFile ? 'tshark (whole file)' : `tshark (first ${fmt(prefixFacts.bytes / MiB, 0)} MiB)`,
        'tshark',
        ['-r', prefix, '-Y', 'tcp.flags.reset==1', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.srcport'],
        prefixFacts,
      );
      others.set('tshark', m);
      log(`${row(m)}   (${m.stdoutLines} RSTs listed)`);
    }
  }

  const ts = others.get('tshark');
  const tt = others.get('tcptrace');
  log('');
  log('ratios (whyreset / other; speed > 1 means whyreset is faster, memory < 1 means it uses less):');
  for (const threads of threadSettings) {
    for (const format of HEADLINE_FORMATS) {
      const w = runs.get(runKey({ format, threads }));
      if (!w) continue;
      const vs = (name: string, o: Measure | undefined) =>
        `    vs ${name.padEnd(24)} speed ${showRatio(ratio(speed(w), speed(o))).padStart(8)}   memory ${showRatio(ratio(mem(w), mem(o))).padStart(7)}`;
      log(`  ${runLabel({ format, threads })}:`);
      log(vs('tshark', ts));
      log(vs('tcptrace -n', tt));
      log(vs('tcpdump (bare filter)', others.get('tcpdump')));
      log(vs('tcpdump (fair filter)', others.get('tcpdump-fair')));
    }
  }
  if (ts?.ok && ts.bytes < mixFacts.bytes) log(`  note: tshark's RSS is from the ${fmt(ts.bytes / MiB, 0)} MiB prefix; on the whole file it would be higher, so the memory ratio is conservative.`);

  // 3. Size sweep: MB/s as the capture grows --------------------------------------------------
  const sweepRuns: { sizeMiB: number; format: Format; m: Measure }[] = [];
  if (sweep.length > 0 && only.has('whyreset') && whyresetBuilt) {
    log('');
    log(`size sweep (${sweep.map((s) => `${s} MiB`).join(', ')}; ${fastest === null ? 'default threads' : `--threads ${fastest}`}): MB/s should stay flat as the capture grows`);
    for (const size of sweep) {
      const { path, facts } = mixFile(size, seed);
      warm(path);
      for (const format of HEADLINE_FORMATS) {
        const m = await measure(`${runLabel({ format, threads: fastest })} ${size} MiB`, process.execPath, whyresetArgs(...analyzeArgs(path, { format, threads: fastest })), facts);
        sweepRuns.push({ sizeMiB: size, format, m });
        log(row(m));
      }
    }
    for (const format of HEADLINE_FORMATS) {
      const mine = sweepRuns.filter((s) => s.format === format);
      const first = mine[0];
      const last = mine[mine.length - 1];
      if (first && last && first !== last) log(`  ${format}: ${last.sizeMiB} MiB runs at ${showRatio(ratio(speed(last.m), speed(first.m)))} the MB/s of ${first.sizeMiB} MiB`);
    }
  }

  // 4. Flood: every format ---------------------------------------------------------------------
  const floodRuns = new Map<Format, Measure>();
  let floodFacts: FileFacts | undefined;
  if (!skipFlood && only.has('whyreset')) {
    const flood = floodFile(floodN, floodRate);
    floodFacts = flood.facts;
    const tiny = floodFile(1000, floodRate);
    log('');
    log(
      `connection flood: ${flood.path} — ${floodN} connections (SYN → RST/ACK each) at ${floodRate} new connections/s of capture time (~${fmt(Math.min(floodN, floodRate * RESET_DELAY_S), 0)} held in the ${RESET_DELAY_S} s reset delay at once), ${fmt(flood.facts.bytes / MiB)} MiB, ${flood.facts.packets} packets`,
    );
    if (!whyresetBuilt) log('  whyreset                           missing: dist/src/cli/main.js is not built yet — skipped');
    else {
      warm(flood.path);
      const base = await measure('whyreset json, 1,000 connections', process.execPath, whyresetArgs(...analyzeArgs(tiny.path, { format: 'json', threads: fastest })), tiny.facts);
      log(row(base));
      for (const format of FORMATS) {
        const m = await measure(runLabel({ format, threads: fastest }), process.execPath, whyresetArgs(...analyzeArgs(flood.path, { format, threads: fastest })), flood.facts);
        floodRuns.set(format, m);
        log(`${row(m)}   ${m.ok ? `${fmt((m.wallS / floodN) * 1e6, 2)} µs per connection` : ''}`);
        const t = format === 'json' ? trackerLine(m) : null;
        if (t) log(t);
        if (format === 'json' && m.ok && m.rss !== null) {
          const net = base.ok && base.rss !== null ? (m.rss - base.rss) / floodN : null;
          log(`  bytes per connection (json): ${fmt(m.rss / floodN, 0)} (peak RSS / connections)${net === null ? '' : `, ${fmt(net, 0)} above the 1,000-connection run`}`);
        }
      }
    }
  }

  // 5. Bars ------------------------------------------------------------------------------------
  log('');
  log(`targets (issue 13; the mix's bars for each thread setting measured; on a quiet machine only):`);
  for (const threads of threadSettings) {
    const label = threads === null ? 'default threads' : `--threads ${threads}`;
    for (const format of HEADLINE_FORMATS) {
      const w = runs.get(runKey({ format, threads }));
      const s = speed(w);
      log(barLine(s === null ? null : s >= BAR_MBS, `${format} ${label}: whole analyze ≥ ${BAR_MBS} MB/s`, s === null ? 'n/a' : `${fmt(s)} MB/s`));
      const rTs = ratio(s, speed(ts));
      log(barLine(rTs === null ? null : rTs >= BAR_TSHARK, `${format} ${label}: ≥ ${BAR_TSHARK}× tshark`, showRatio(rTs)));
      const rTt = ratio(s, speed(tt));
      log(barLine(rTt === null ? null : rTt >= BAR_TCPTRACE, `${format} ${label}: ≥ ${BAR_TCPTRACE}× tcptrace -n`, showRatio(rTt)));
    }
    for (const format of mixFormats) {
      const mr = ratio(mem(runs.get(runKey({ format, threads }))), mem(ts));
      log(barLine(mr === null ? null : mr <= BAR_RSS_SHARE_OF_TSHARK, `${format} ${label}: peak RSS ≤ ¼ of tshark's`, showRatio(mr)));
    }
  }
  const floodNote =
    floodN === BAR_FLOOD_CONNECTIONS && floodRate === BAR_FLOOD_RATE ? '' : ` (at ${floodN} connections, ${floodRate}/s; the bar is defined at ${BAR_FLOOD_CONNECTIONS}, ${BAR_FLOOD_RATE}/s)`;
  for (const format of FORMATS) {
    const m = floodRuns.get(format);
    const s = speed(m);
    const rss = mem(m);
    log(barLine(s === null ? null : s >= BAR_FLOOD_MBS, `flood ${format}: ≥ ${BAR_FLOOD_MBS} MB/s`, s === null ? 'n/a' : `${fmt(s)} MB/s`, m ? floodNote : ''));
    log(barLine(rss === null ? null : rss <= BAR_FLOOD_RSS, `flood ${format}: peak RSS ≤ 512 MiB`, mib(rss), m ? floodNote : ''));
  }
  if (floodFacts === undefined && !skipFlood) log('  (flood not run)');
}

/** `--baseline`: the same-run comparison on the mix of --size (or --file) and the flood when --flood is given. */
async function compareBuilds(o: CompareOptions, argv: readonly string[]): Promise<void> {
  const sizeMiB = Number(argValue(argv, '--size') ?? 512);
  const seed = Number(argValue(argv, '--seed') ?? 1);
  const repeat = Number(argValue(argv, '--repeat') ?? 3);
  const floodArg = argValue(argv, '--flood');
  const file = argValue(argv, '--file');
  if ((file === undefined && !(sizeMiB > 0)) || (floodArg !== undefined && !(Number(floodArg) > 0)) || (file !== undefined && !existsSync(file))) {
    log(USAGE);
    process.exitCode = 2;
    return;
  }
  const files: { path: string; facts: FileFacts }[] = [];
  files.push(file === undefined ? mixFile(sizeMiB, seed) : { path: file, facts: { bytes: statSync(file).size, packets: 0 } });
  const floodRate = Number(argValue(argv, '--flood-rate') ?? BAR_FLOOD_RATE);
  if (!(floodRate > 0)) {
    log(USAGE);
    process.exitCode = 2;
    return;
  }
  if (floodArg !== undefined) files.push(floodFile(Number(floodArg), floodRate));
  await runComparison(o, files, '.', DATA, log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
