/**
 * `whyreset lab`: the command-line entry point. Parses its arguments, checks the machine
 * (Linux, root, tools), runs the scenarios and prints one line per scenario.
 * Exit codes: 0 every scenario verified, 1 a scenario failed verification, 2 usage error or the
 * lab cannot run here (the message names the missing piece and its Debian package).
 */
import { preflight } from './preflight.js';
import { type ResetReader, defaultReader } from './resets.js';
import { type LabRun, baseTools, runLab } from './runLab.js';
import type { Scenario, ScenarioSettings } from './scenario.js';
import { SCENARIOS, scenarioNamed } from './scenarios/index.js';
import type { TtlPlan } from './topology.js';

const HELP = `usage: whyreset lab [--list] [--scenario NAME]... [--out DIR] [options]

Reproduces TCP resets with real Linux TCP stacks in network namespaces
(client - router - server), captures them at the client, the router and the server,
and writes DIR/<scenario>/{client,router,server}.pcap and labels.json. Where the kernel can be
traced (tracefs, Linux 6.10+ for reasons), each scenario runs under "whyreset trace" of its three
namespaces (kernel.ndjson), labels.json gives each RST the kernel's reason, and a scenario whose
kernel contradicts its labels fails.
Needs Linux and root (sudo); Debian packages: iproute2 procps tcpdump ethtool
iptables nftables nmap python3-scapy (tshark for --reader tshark). See docs/lab.md.

options:
  --list                 list the scenarios and exit
  --scenario NAME        run only NAME (repeatable; default: all)
  --out DIR              output directory (default: lab-out)
  --ttl-client N         initial TTL / hop limit of the client (default 64)
  --ttl-router N         ... of the router (default 255)
  --ttl-server N         ... of the server (default 128)
  --idle SECONDS         idle time before the reaper / conntrack expiry (default 2)
  --retries2 N           the server's net.ipv4.tcp_retries2 in retransmission-timeout (default 3)
  --reader whyreset|tshark   how captures are read back for verification (default whyreset)
  --help                 this text
`;

/** Parsed `whyreset lab` arguments. */
export interface LabArgs {
  list: boolean;
  help: boolean;
  scenarios: Scenario[];
  outDir: string;
  ttl: Partial<TtlPlan>;
  settings: Partial<ScenarioSettings>;
  reader?: ResetReader;
}

/** Parses argv (after `lab`) or returns a one-line usage error. */
export function parseLabArgs(argv: readonly string[]): LabArgs | string {
  const args: LabArgs = { list: false, help: false, scenarios: [], outDir: 'lab-out', ttl: {}, settings: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string | undefined => argv[++i];
    const int = (name: string, lo: number, hi: number): number | string => {
      const v = value();
      const n = Number(v);
      return v !== undefined && Number.isInteger(n) && n >= lo && n <= hi ? n : `${name} needs an integer ${lo}..${hi}`;
    };
    switch (arg) {
      case '--list':
        args.list = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--scenario': {
        const name = value();
        const s = name === undefined ? undefined : scenarioNamed(name);
        if (!s) return `unknown scenario ${JSON.stringify(name ?? '')} (see whyreset lab --list)`;
        if (!args.scenarios.includes(s)) args.scenarios.push(s);
        break;
      }
      case '--out': {
        const dir = value();
        if (!dir) return '--out needs a directory';
        args.outDir = dir;
        break;
      }
      case '--ttl-client':
      case '--ttl-router':
      case '--ttl-server': {
        const n = int(arg, 2, 255);
        if (typeof n === 'string') return n;
        const host = arg.slice('--ttl-'.length) as keyof TtlPlan;
        args.ttl[host] = n;
        break;
      }
      case '--idle': {
        const n = int(arg, 1, 10);
        if (typeof n === 'string') return n;
        args.settings.idleSeconds = n;
        break;
      }
      case '--retries2': {
        const n = int(arg, 1, 5);
        if (typeof n === 'string') return n;
        args.settings.retries2 = n;
        break;
      }
      case '--reader': {
        const r = value();
        if (r !== 'whyreset' && r !== 'tshark') return '--reader is whyreset or tshark';
        args.reader = r;
        break;
      }
      default:
        return `unknown option ${JSON.stringify(arg)} (see whyreset lab --help)`;
    }
  }
  if (args.scenarios.length === 0) args.scenarios = [...SCENARIOS];
  return args;
}

/** One line per scenario: name and what happens. */
export function listText(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return SCENARIOS.map((s) => `${s.name.padEnd(width)}  ${s.summary}\n`).join('');
}

/** The per-scenario result table. */
export function resultTable(run: LabRun): string {
  const rows = run.results.map((r) => {
    const c = r.counts;
    const points = `client ${c.client.labelled}/${c.client.found}  router ${c.router.labelled}/${c.router.found}  server ${c.server.labelled}/${c.server.found}`;
    return `${r.verified ? 'ok  ' : 'FAIL'} ${r.name.padEnd(34)} ${points}  ${(r.durationMs / 1000).toFixed(1)} s\n`;
  });
  const ok = run.results.filter((r) => r.verified).length;
  return `${rows.join('')}${ok}/${run.results.length} scenarios verified in ${(run.durationMs / 1000).toFixed(1)} s (RSTs labelled/found per capture point)\n`;
}

/** `whyreset lab` entry point; returns the exit code. */
export async function labMain(argv: string[]): Promise<number> {
  const args = parseLabArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`whyreset lab: ${args}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.list) {
    process.stdout.write(listText());
    return 0;
  }
  const reader = args.reader ?? defaultReader();
  const problem = await preflight([...baseTools(reader), ...args.scenarios.flatMap((s) => s.needs)]);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  const run = await runLab({
    scenarios: args.scenarios,
    outDir: args.outDir,
    ttl: args.ttl,
    settings: args.settings,
    reader,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(resultTable(run));
  return run.results.every((r) => r.verified) ? 0 : 1;
}
