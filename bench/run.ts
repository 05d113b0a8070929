/**
 * `npm run bench`: whyreset against tshark, tcptrace and tcpdump on the same file in one run,
 * reported as ratios, for every report format and for 1 and N threads (when the CLI has
 * `--threads`); a size sweep; the connection flood in every format; the bars of issue 13 with
 * PASS/FAIL.
 *
 * Options: --size MiB (mixed capture, default 512)   --flood N (connections, default 5,000,000)
 *          --threads N (the N of "1 and N threads", default: the cores available; passed on only
 *          when `whyreset analyze --help` lists --threads)   --formats text,json,… (on the mix)
 *          --sweep [MiB,MiB,…] (default 20,512,2048)   --tshark-prefix MiB (default: the whole file)
 *          --seed N (default 1)   --skip-tshark   --skip-tcptrace   --skip-flood
 *          --only whyreset|tshark|tcptrace|tcpdump (comma-separated)
 *
 * Timing: wall clock with process.hrtime around each child process. Peak RSS: GNU time's %M
 * (`/usr/bin/time`, `apt-get install -y time`); without it, the child's VmHWM sampled from /proc.
 * Timings mean something only on a quiet machine; peak RSS does on any.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THREADS_MIN_BYTES } from '../src/pipeline/threads.js';
import { generateFlood } from './flood.js';
import { argValue, generate } from './gen.js';

const MB = 1e6;
const MiB = 1024 * 1024;
const DATA = 'bench/data';

/** Sidecar facts about a generated file (so a later run need not regenerate to know them). */
interface FileFacts {
  readonly bytes: number;
  readonly packets: number;
  readonly connections?: number;
  readonly resets?: number;
}

/** One timed run of a tool. */
interface Measure {
  readonly label: string;
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly wallS: number;
  /** Peak resident set size in bytes, or null when it could not be measured. */
  readonly rss: number | null;
  readonly bytes: number;
  readonly packets: number;
  readonly stderrTail: string;
  /** Lines the tool wrote to stdout (for tshark: the RSTs it found). */
  readonly stdoutLines: number;
}

const hasGnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%e', 'true'], { stdio: 'ignore' }).status === 0;

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function log(s = ''): void {
  process.stdout.write(`${s}\n`);
}

/** Runs `cmd args`, timing it and measuring its peak RSS; stdout is counted in lines, not kept. */
async function measure(label: string, cmd: string, args: readonly string[], facts: FileFacts): Promise<Measure> {
  const timeFile = join(tmpdir(), `whyreset-bench-time-${process.pid}`);
  const outFile = join(tmpdir(), `whyreset-bench-out-${process.pid}`);
  const outFd = openSync(outFile, 'w');
  const argv = hasGnuTime ? ['-f', '%e %M', '-o', timeFile, cmd, ...args] : [...args];
  const exe = hasGnuTime ? '/usr/bin/time' : cmd;
  const t0 = process.hrtime.bigint();
  // WHYRESET_TRACKER_STATS: whyreset prints its connection table's figures on stderr (see trackerLine).
  const child = spawn(exe, argv, { stdio: ['ignore', outFd, 'pipe'], env: { ...process.env, WHYRESET_TRACKER_STATS: '1' } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  // Without GNU time: VmHWM (the kernel's own peak-RSS record) sampled until the child exits.
  let hwm = 0;
  const poll = hasGnuTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
        } catch {
          /* the child has exited */
        }
      }, 20);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poll) clearInterval(poll);
  closeSync(outFd);
  let rss: number | null = hwm > 0 ? hwm : null;
  let childExit = exitCode;
  if (hasGnuTime) {
    try {
      const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
      // GNU time prints "Command exited with non-zero status N" before the format line.
      const m = /^(\S+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
      if (m) rss = Number(m[2]) * 1024;
      const st = /non-zero status (\d+)/.exec(lines.join('\n'));
      childExit = st ? Number(st[1]) : exitCode;
    } catch {
      rss = null;
    }
    rmSync(timeFile, { force: true });
  }
  const stdoutLines = countLines(outFile);
  rmSync(outFile, { force: true });
  // whyreset exits 1 for "analysed with input errors": still a full run.
  const ok = childExit === 0 || (label.startsWith('whyreset') && childExit === 1);
  return { label, ok, exitCode: childExit, wallS, rss, bytes: facts.bytes, packets: facts.packets, stderrTail: stderr.trim(), stdoutLines };
}

function countLines(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    for (let i = 0; i < got; i++) if (buf[i] === 0x0a) n++;
  }
  closeSync(fd);
  return n;
}

/** Reads a file once so every tool finds it in the page cache (the first tool must not pay for the disk). */
function warm(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(8 * MiB);
  while (readSync(fd, buf, 0, buf.length, null) > 0) {
    /* reading is the point */
  }
  closeSync(fd);
}

function factsOf(path: string): FileFacts | undefined {
  try {
    return JSON.parse(readFileSync(`${path}.json`, 'utf8')) as FileFacts;
  } catch {
    return undefined;
  }
}

/** The first records of a classic pcap, cut at a record boundary at or after `limit` bytes. */
function writePrefix(src: string, dst: string, limit: number): FileFacts {
  const fd = openSync(src, 'r');
  const size = statSync(src).size;
  const hdr = Buffer.alloc(24);
  readSync(fd, hdr, 0, 24, 0);
  const le = hdr.readUInt32LE(0) === 0xa1b2c3d4 || hdr.readUInt32LE(0) === 0xa1b23c4d;
  const rec = Buffer.alloc(16);
  let off = 24;
  let packets = 0;
  while (off < limit && off + 16 <= size) {
    readSync(fd, rec, 0, 16, off);
    const caplen = le ? rec.readUInt32LE(8) : rec.readUInt32BE(8);
    off += 16 + caplen;
    packets++;
  }
  const out = openSync(dst, 'w');
  const buf = Buffer.alloc(8 * MiB);
  for (let pos = 0; pos < off; ) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, off - pos), pos);
    if (got === 0) break;
    writeSync(out, buf, 0, got);
    pos += got;
  }
  closeSync(out);
  closeSync(fd);
  return { bytes: off, packets };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);
const mib = (b: number | null): string => (b === null ? 'n/a' : `${fmt(b / MiB)} MiB`);

function row(m: Measure): string {
  if (!m.ok) return `  ${m.label.padEnd(34)} FAILED (exit ${m.exitCode})${m.stderrTail ? `: ${m.stderrTail.split('\n').slice(-3).join(' | ')}` : ''}`;
  const mbs = m.bytes / MB / m.wallS;
  const pps = m.packets / m.wallS;
  return `  ${m.label.padEnd(34)} ${fmt(m.wallS, 2).padStart(8)} s ${fmt(mbs).padStart(9)} MB/s ${fmt(pps / 1e3).padStart(9)} kpkt/s   peak RSS ${mib(m.rss).padStart(11)}`;
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

/** The flood of `conns` connections (generated on first use, with a facts sidecar). */
function floodFile(conns: number): { path: string; facts: FileFacts } {
  const path = join(DATA, `flood-${conns}.pcap`);
  const known = existsSync(path) ? factsOf(path) : undefined;
  if (known) return { path, facts: known };
  log(`generating ${path} …`);
  const s = generateFlood(path, { conns });
  writeFileSync(`${path}.json`, JSON.stringify(s, null, 2));
  return { path, facts: { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets } };
}

/** A PASS/FAIL line; `note` says when the bar is defined on another input than the one measured. */
function barLine(pass: boolean | null, what: string, measured: string, note = ''): string {
  return `  [${bar(pass)}] ${what.padEnd(44)} measured ${measured}${note}`;
}

const USAGE =
  'usage: node dist/bench/run.js [--size MiB] [--flood N] [--threads N] [--formats text,json,…] [--sweep [MiB,MiB,…]] [--tshark-prefix MiB] [--skip-tshark] [--skip-tcptrace] [--skip-flood] [--only whyreset,tshark,tcptrace,tcpdump]';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizeMiB = Number(argValue(argv, '--size') ?? 512);
  const floodN = Number(argValue(argv, '--flood') ?? BAR_FLOOD_CONNECTIONS);
  // tshark reads the whole file by default: the same file as whyreset, so its peak RSS is comparable.
  const prefixArg = argValue(argv, '--tshark-prefix');
  const prefixMiB = prefixArg === undefined ? sizeMiB : Math.min(Number(prefixArg), sizeMiB);
  const wholeFile = prefixMiB >= sizeMiB;
  const seed = Number(argValue(argv, '--seed') ?? 1);
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
  if (!Number.isFinite(sizeMiB) || sizeMiB <= 0 || !Number.isFinite(floodN) || floodN <= 0 || !Number.isInteger(threadsN) || threadsN < 1 || sweep === null || badFormat !== undefined) {
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
          const m = await measure(runLabel(r), process.execPath, whyresetArgs(...analyzeArgs(mix, r)), mixFacts);
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
      const m = await measure('tcptrace -n', 'tcptrace', ['-n', mix], mixFacts);
      others.set('tcptrace', m);
      log(row(m));
    }
  }
  if (!skipTcpdump) {
    if (!haveTcpdump) log('  tcpdump                            not installed — skipped');
    else {
      // The bare filter: BPF tcp[] matches untagged IPv4 only, so it misses the IPv6 and VLAN resets.
      const plain = await measure('tcpdump (bare IPv4 filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', 'tcp[tcpflags] & tcp-rst != 0'], mixFacts);
      others.set('tcpdump', plain);
      log(row(plain));
      // The fair filter: the same RSTs whyreset sees — IPv4, IPv6 (no extension headers: TCP flags at 40 + 13) and both inside 802.1Q.
      const rst6 = 'ip6[6] = 6 and ip6[53] & 4 != 0';
      const fair = `(tcp[tcpflags] & tcp-rst != 0) or (${rst6}) or (vlan and ((tcp[tcpflags] & tcp-rst != 0) or (${rst6})))`;
      const m = await measure('tcpdump (IPv4+IPv6+VLAN filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', fair], mixFacts);
      others.set('tcpdump-fair', m);
      log(row(m));
    }
  }
  if (!skipTshark) {
    if (!haveTshark) log('  tshark                             not installed — skipped');
    else if (prefixFacts) {
      warm(prefix);
      const m = await measure(
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
    const flood = floodFile(floodN);
    floodFacts = flood.facts;
    const tiny = floodFile(1000);
    log('');
    log(`connection flood: ${flood.path} — ${floodN} connections (SYN → RST/ACK each), ${fmt(flood.facts.bytes / MiB)} MiB, ${flood.facts.packets} packets`);
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
  log(`targets (issue 13; ${fastest === null ? 'default threads' : `--threads ${fastest}`}; on a quiet machine only):`);
  for (const format of HEADLINE_FORMATS) {
    const w = runs.get(runKey({ format, threads: fastest }));
    const s = speed(w);
    log(barLine(s === null ? null : s >= BAR_MBS, `${format}: whole analyze ≥ ${BAR_MBS} MB/s`, s === null ? 'n/a' : `${fmt(s)} MB/s`));
    const rTs = ratio(s, speed(ts));
    log(barLine(rTs === null ? null : rTs >= BAR_TSHARK, `${format}: ≥ ${BAR_TSHARK}× tshark`, showRatio(rTs)));
    const rTt = ratio(s, speed(tt));
    log(barLine(rTt === null ? null : rTt >= BAR_TCPTRACE, `${format}: ≥ ${BAR_TCPTRACE}× tcptrace -n`, showRatio(rTt)));
  }
  for (const format of mixFormats) {
    const mr = ratio(mem(runs.get(runKey({ format, threads: fastest }))), mem(ts));
    log(barLine(mr === null ? null : mr <= BAR_RSS_SHARE_OF_TSHARK, `${format}: peak RSS ≤ ¼ of tshark's`, showRatio(mr)));
  }
  const floodNote = floodN === BAR_FLOOD_CONNECTIONS ? '' : ` (at ${floodN} connections; the bar is defined at ${BAR_FLOOD_CONNECTIONS})`;
  for (const format of FORMATS) {
    const m = floodRuns.get(format);
    const s = speed(m);
    const rss = mem(m);
    log(barLine(s === null ? null : s >= BAR_FLOOD_MBS, `flood ${format}: ≥ ${BAR_FLOOD_MBS} MB/s`, s === null ? 'n/a' : `${fmt(s)} MB/s`, m ? floodNote : ''));
    log(barLine(rss === null ? null : rss <= BAR_FLOOD_RSS, `flood ${format}: peak RSS ≤ 512 MiB`, mib(rss), m ? floodNote : ''));
  }
  if (floodFacts === undefined && !skipFlood) log('  (flood not run)');
}

/** The node options on a script's `#!/usr/bin/env -S node …` line (none for a plain `node` shebang). */
function shebangNodeArgs(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*\bnode((?:\s+-[^\s]+)*)\s*$/.exec(first);
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
