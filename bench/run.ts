/**
 * `npm run bench`: whyreset against tshark and tcpdump on the same file in one run, reported as
 * ratios, plus the connection-flood memory test and the target bars with PASS/FAIL.
 *
 * Options: --size MiB (mixed capture, default 512)   --flood N (connections, default 5,000,000)
 *          --tshark-prefix MiB (default: the whole file) --seed N (default 1)
 *          --skip-tshark   --skip-flood   --only whyreset|tshark|tcpdump (comma-separated)
 *
 * Timing: wall clock with process.hrtime around each child process. Peak RSS: GNU time's %M
 * (`/usr/bin/time`, `apt-get install -y time`); without it, the child's VmHWM sampled from /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFlood } from './flood.js';
import { argValue, generate } from './gen.js';

const MB = 1e6;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
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
    finished: number; peakLive: number; capacity: number; bytesPerConnection: number; totalBytes: number; evicted: number; packets: number;
    atEnd: { ringRecords: number; rstRecords: number; totalBytes: number };
  };
  return `  tracker: ${s.packets} packets, ${s.finished} connections, peak ${s.peakLive} live (table of ${s.capacity} slots, ${fmt(s.bytesPerConnection, 0)} B per slot, ${mib(s.atEnd.totalBytes)} of typed arrays at the end), ${s.evicted} evicted early`;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

const speed = (m: Measure | undefined): number | null => (m?.ok ? m.bytes / MB / m.wallS : null);
const mem = (m: Measure | undefined): number | null => (m?.ok ? m.rss : null);
const showRatio = (r: number | null, unit = '×'): string => (r === null ? 'n/a' : `${fmt(r, 2)}${unit}`);
const bar = (pass: boolean | null): string => (pass === null ? 'n/a ' : pass ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizeMiB = Number(argValue(argv, '--size') ?? 512);
  const floodN = Number(argValue(argv, '--flood') ?? 5_000_000);
  // tshark reads the whole file by default: the same file as whyreset, so its peak RSS is comparable.
  const prefixArg = argValue(argv, '--tshark-prefix');
  const prefixMiB = prefixArg === undefined ? sizeMiB : Math.min(Number(prefixArg), sizeMiB);
  const wholeFile = prefixMiB >= sizeMiB;
  const seed = Number(argValue(argv, '--seed') ?? 1);
  const only = new Set((argValue(argv, '--only') ?? 'whyreset,tshark,tcpdump').split(','));
  const skipTshark = argv.includes('--skip-tshark') || !only.has('tshark');
  const skipTcpdump = !only.has('tcpdump');
  const skipFlood = argv.includes('--skip-flood');
  if (!Number.isFinite(sizeMiB) || sizeMiB <= 0 || !Number.isFinite(floodN) || floodN <= 0) {
    log('usage: node dist/bench/run.js [--size MiB] [--flood N] [--tshark-prefix MiB] [--skip-tshark] [--skip-flood] [--only whyreset,tshark,tcpdump]');
    process.exitCode = 2;
    return;
  }

  const whyresetBuilt = existsSync('dist/src/cli/main.js') && existsSync('bin/whyreset.js');
  const haveTshark = has('tshark');
  const haveTcpdump = has('tcpdump');
  log(`whyreset benchmark — ${new Date().toISOString()}, node ${process.version}, ${process.platform}/${process.arch}`);
  log(`peak RSS from ${hasGnuTime ? "GNU time (/usr/bin/time -f '%e %M')" : '/proc/<pid>/status VmHWM sampled every 20 ms (install GNU time for exact numbers: apt-get install -y time)'}`);

  // 1. Files ------------------------------------------------------------------------------------
  const mix = join(DATA, `mix-${sizeMiB}MiB-s${seed}.pcap`);
  let mixFacts = existsSync(mix) ? factsOf(mix) : undefined;
  if (!mixFacts) {
    log(`generating ${mix} …`);
    const t0 = process.hrtime.bigint();
    const s = generate(mix, { sizeMiB, seed });
    mixFacts = { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets };
    writeFileSync(`${mix}.json`, JSON.stringify(s, null, 2));
    log(`  ${s.packets} packets, ${s.connections} connections, ${s.resets} RSTs, ${fmt(s.lastTs - s.firstTs)} s of capture, up to ${s.maxConcurrent} concurrent (${fmt(Number(process.hrtime.bigint() - t0) / 1e9)} s)`);
  }
  const prefix = wholeFile ? mix : join(DATA, `mix-${sizeMiB}MiB-s${seed}.prefix${prefixMiB}MiB.pcap`);
  let prefixFacts = wholeFile ? mixFacts : existsSync(prefix) ? factsOf(prefix) : undefined;
  if (!skipTshark && haveTshark && !prefixFacts) {
    prefixFacts = writePrefix(mix, prefix, prefixMiB * MiB);
    writeFileSync(`${prefix}.json`, JSON.stringify(prefixFacts));
  }
  log(`mixed capture: ${mix} — ${fmt(mixFacts.bytes / MiB)} MiB, ${mixFacts.packets} packets, ${mixFacts.connections ?? '?'} connections, ${mixFacts.resets ?? '?'} RSTs`);

  // 2. Speed on the mixed capture --------------------------------------------------------------
  // whyreset runs as executing bin/whyreset.js runs it: node with the options of its shebang line.
  const nodeArgs = shebangNodeArgs('bin/whyreset.js');
  const whyresetArgs = (...args: string[]) => [...nodeArgs, 'bin/whyreset.js', ...args];
  warm(mix);
  const results = new Map<string, Measure>();
  log('');
  log('speed and memory on the same file (MB = 10^6 bytes):');
  if (only.has('whyreset')) {
    if (!whyresetBuilt) log('  whyreset                           missing: dist/src/cli/main.js is not built yet (the CLI is in progress) — skipped');
    else {
      const m = await measure('whyreset analyze --format json', process.execPath, whyresetArgs('analyze', mix, '--format', 'json', '--out', '/dev/null'), mixFacts);
      results.set('whyreset', m);
      log(row(m));
      const t = trackerLine(m);
      if (t) log(t);
      // The default report (text): what a user typing "whyreset analyze capture" waits for.
      const text = await measure('whyreset analyze (text)', process.execPath, whyresetArgs('analyze', mix, '--out', '/dev/null'), mixFacts);
      results.set('whyreset-text', text);
      log(row(text));
    }
  }
  if (!skipTcpdump) {
    if (!haveTcpdump) log('  tcpdump                            not installed — skipped');
    else {
      // As briefed: BPF tcp[] matches untagged IPv4 only, so this filter misses IPv6 and VLAN resets.
      const plain = await measure('tcpdump (IPv4 only filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', 'tcp[tcpflags] & tcp-rst != 0'], mixFacts);
      results.set('tcpdump', plain);
      log(row(plain));
      // The fair filter: the same RSTs whyreset sees — IPv4, IPv6 (no extension headers: TCP flags at 40 + 13) and both inside 802.1Q.
      const rst6 = 'ip6[6] = 6 and ip6[53] & 4 != 0';
      const fair = `(tcp[tcpflags] & tcp-rst != 0) or (${rst6}) or (vlan and ((tcp[tcpflags] & tcp-rst != 0) or (${rst6})))`;
      const m = await measure('tcpdump (IPv4+IPv6+VLAN filter)', 'tcpdump', ['-r', mix, '-w', '/dev/null', fair], mixFacts);
      results.set('tcpdump-fair', m);
      log(row(m));
    }
  }
  if (!skipTshark) {
    if (!haveTshark) log('  tshark                             not installed — skipped');
    else if (prefixFacts) {
      warm(prefix);
      // tshark runs at ~20 MB/s: it reads only the first part of the same file; its MB/s is from that part.
      const m = await measure(
        wholeFile ? 'tshark (whole file)' : `tshark (first ${fmt(prefixFacts.bytes / MiB, 0)} MiB)`,
        'tshark',
        ['-r', prefix, '-Y', 'tcp.flags.reset==1', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.srcport'],
        prefixFacts,
      );
      results.set('tshark', m);
      log(`${row(m)}   (${m.stdoutLines} RSTs listed)`);
    }
  }

  const w = results.get('whyreset');
  const ts = results.get('tshark');
  const td = results.get('tcpdump-fair');
  const tdPlain = results.get('tcpdump');
  log('');
  log('ratios (whyreset / other; speed > 1 means whyreset is faster, memory < 1 means it uses less):');
  log(`  vs tshark:                 speed ${showRatio(ratio(speed(w), speed(ts)))}   memory ${showRatio(ratio(mem(w), mem(ts)))}   (json report)`);
  const wt = results.get('whyreset-text');
  if (wt) log(`  vs tshark, text report:    speed ${showRatio(ratio(speed(wt), speed(ts)))}   memory ${showRatio(ratio(mem(wt), mem(ts)))}`);
  log(`  vs tcpdump (fair filter):  speed ${showRatio(ratio(speed(w), speed(td)))}   memory ${showRatio(ratio(mem(w), mem(td)))}`);
  log(`  vs tcpdump (IPv4 filter):  speed ${showRatio(ratio(speed(w), speed(tdPlain)))}   memory ${showRatio(ratio(mem(w), mem(tdPlain)))}`);
  if (ts?.ok && ts.bytes < mixFacts.bytes) log(`  note: tshark's RSS is from the ${fmt(ts.bytes / MiB, 0)} MiB prefix; on the whole file it would be higher, so the memory ratio is conservative.`);

  // 3. Flood -----------------------------------------------------------------------------------
  let floodRss: number | null = null;
  let perConn: number | null = null;
  if (!skipFlood && only.has('whyreset')) {
    const flood = join(DATA, `flood-${floodN}.pcap`);
    let ff = existsSync(flood) ? factsOf(flood) : undefined;
    if (!ff) {
      log('');
      log(`generating ${flood} …`);
      const s = generateFlood(flood, { conns: floodN });
      ff = { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets };
      writeFileSync(`${flood}.json`, JSON.stringify(s, null, 2));
    }
    const tiny = join(DATA, 'flood-1000.pcap');
    let tf = existsSync(tiny) ? factsOf(tiny) : undefined;
    if (!tf) {
      const s = generateFlood(tiny, { conns: 1000 });
      tf = { bytes: s.bytes, packets: s.packets, connections: s.connections, resets: s.resets };
      writeFileSync(`${tiny}.json`, JSON.stringify(s, null, 2));
    }
    log('');
    log(`connection flood: ${flood} — ${floodN} connections (SYN → RST/ACK each), ${fmt(ff.bytes / MiB)} MiB, ${ff.packets} packets`);
    if (!whyresetBuilt) log('  whyreset                           missing: dist/src/cli/main.js is not built yet — skipped');
    else {
      warm(flood);
      const base = await measure('whyreset (1,000 connections)', process.execPath, whyresetArgs('analyze', tiny, '--format', 'json', '--out', '/dev/null'), tf);
      const m = await measure(`whyreset (${floodN} connections)`, process.execPath, whyresetArgs('analyze', flood, '--format', 'json', '--out', '/dev/null'), ff);
      log(row(base));
      log(row(m));
      const t = trackerLine(m);
      if (t) log(t);
      if (m.ok && m.rss !== null) {
        floodRss = m.rss;
        perConn = m.rss / floodN;
        const net = base.ok && base.rss !== null ? (m.rss - base.rss) / floodN : null;
        log(`  bytes per connection: ${fmt(perConn, 0)} (peak RSS / connections)${net === null ? '' : `, ${fmt(net, 0)} above the 1,000-connection run`}`);
        if (floodN !== 5_000_000) log(`  linear estimate for 5,000,000 connections: ${mib((net ?? perConn) * 5_000_000 + (base.rss ?? 0))}`);
      }
    }
  }

  // 4. Bars ------------------------------------------------------------------------------------
  const sp = ratio(speed(w), speed(ts));
  const mr = ratio(mem(w), mem(ts));
  log('');
  log('targets:');
  log(`  [${bar(sp === null ? null : sp >= 40)}] speed ≥ 40× tshark            measured ${showRatio(sp)}`);
  log(`  [${bar(mr === null ? null : mr <= 0.25)}] memory ≤ ¼ of tshark           measured ${showRatio(mr)}`);
  const floodPass = floodRss === null || floodN !== 5_000_000 ? null : floodRss < GiB;
  log(
    `  [${bar(floodPass)}] 5M connections < 1 GiB         measured ${floodRss === null ? 'n/a' : `${mib(floodRss)} for ${floodN} connections`}${floodN !== 5_000_000 && floodRss !== null ? ' (bar is defined at 5,000,000)' : ''}`,
  );
  if (perConn !== null) log(`        (${fmt(perConn, 0)} bytes per connection)`);
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
