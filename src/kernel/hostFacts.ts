/**
 * What a traced host is and what on it could send a RST without its TCP stack: its addresses
 * (`ip -j addr`), its netfilter REJECT rules with a TCP reset (`nft list ruleset`,
 * `iptables-save`, `ip6tables-save`), and its raw and packet sockets (/proc/net/raw, raw6,
 * packet). A host is a network namespace: the one whyreset runs in, or a named one
 * (`ip netns`), read through `ip netns exec`.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { normalAddress } from './traceLine.js';
import type { TracedHost } from './traceRecord.js';

/** A host to trace: a name for people and its namespace (null: the current one). */
export interface HostSpec {
  name: string;
  netns: string | null;
}

/** Output of a command, or null when it could not run or failed. */
export function commandOutput(cmd: string, args: readonly string[], timeoutMs = 5000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout) => resolve(err ? null : stdout));
  });
}

/** The command line that runs `cmd` in a host's namespace. */
function inHost(host: HostSpec, cmd: string, args: readonly string[]): [string, string[]] {
  return host.netns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', host.netns, cmd, ...args]];
}

/** The current namespace as a host, named after the machine. */
export function currentHost(): HostSpec {
  return { name: hostname() || 'localhost', netns: null };
}

/** The current namespace and every named one (`ip netns list`), for `--all-netns`. */
export async function allNamespaces(): Promise<HostSpec[]> {
  const out = (await commandOutput('ip', ['netns', 'list'])) ?? '';
  const names = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
  return [currentHost(), ...names.map((n) => ({ name: n, netns: n }))];
}

/** Local addresses from `ip -j addr show` output. */
export function addressesFromIpJson(json: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out = new Set<string>();
  for (const link of parsed as { addr_info?: { local?: string }[] }[]) {
    for (const a of link.addr_info ?? []) if (typeof a.local === 'string') out.add(normalAddress(a.local));
  }
  return [...out];
}

/**
 * The rules that answer with a TCP reset: nft `reject with tcp reset`, iptables
 * `-j REJECT --reject-with tcp-reset` (both end in nf_send_reset / nf_send_reset6).
 */
export function rejectRulesIn(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /reject with tcp reset/.test(l) || (/-j REJECT\b/.test(l) && /--reject-with tcp-reset/.test(l)));
}

/** Sockets listed in a /proc/net table (every line after the header). */
export function socketLines(table: string): number {
  const lines = table.split('\n').filter((l) => l.trim() !== '');
  return Math.max(0, lines.length - 1);
}

/**
 * Programs whose packet sockets only capture: tcpdump and Wireshark's dumpcap never transmit
 * through them (an assumption the README states), so their sockets do not stop a proof.
 */
export const CAPTURE_ONLY = new Set(['tcpdump', 'dumpcap', 'tshark']);

/** The inode column of a /proc/net/{raw,raw6,packet} table (the last numeric field of each row). */
export function socketInodes(table: string, kind: 'raw' | 'packet'): number[] {
  const rows = table.split('\n').slice(1).filter((l) => l.trim() !== '');
  // raw: "sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops" (inode is 10th);
  // packet: "sk RefCnt Type Proto Iface R Rmem User Inode" (inode is last).
  return rows.map((l) => {
    const f = l.trim().split(/\s+/);
    return Number(kind === 'raw' ? f[9] : f[f.length - 1]);
  });
}

/** The network namespace inode of a host (`net:[N]`), null when it cannot be read. */
export function netnsInode(host: HostSpec): number | null {
  try {
    if (host.netns === null) return nsInodeOf('self');
    return statSync(`/run/netns/${host.netns}`).ino;
  } catch {
    return null;
  }
}

/** The network namespace inode of a process, null when it is gone. */
export function nsInodeOf(pid: number | 'self'): number | null {
  try {
    const m = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** A process's name, null when it is gone. */
export function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The name to judge the creator of a raw or packet socket by: the live name in /proc while the
 * process runs, else the one the trace printed. ftrace prints the comm its saved_cmdlines cache
 * holds for the pid (`__trace_find_cmdline`, kernel/trace/trace.c; trace_sched_switch.c since
 * 6.x): `<...>` when the cache missed, and a name from before an exec when the task was recorded
 * before it — the lab's tcpdump, forked by node and exec'd through nsenter, showed as `node` and
 * counted as a packet socket that can send any RST (seen in CI: an injected RST "unprovable").
 */
export function socketCreatorName(traced: string, live: string | null): string {
  return live !== null && live !== '' ? live : traced;
}

/** The programs holding the given socket inodes, among the processes of a namespace. */
function socketOwners(nsInode: number | null, inodes: ReadonlySet<number>): Map<number, string> {
  const owners = new Map<number, string>();
  if (inodes.size === 0) return owners;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return owners;
  }
  for (const p of pids) {
    const pid = Number(p);
    if (nsInode !== null && nsInodeOf(pid) !== nsInode) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(Number(m[1]))) owners.set(Number(m[1]), `${commOf(pid) ?? '?'}[${pid}]`);
    }
  }
  return owners;
}

/** Sockets of a host that can put any packet on the wire, and who holds them. */
export interface SendingSockets {
  /** Raw IP sockets and packet sockets not held by a capture-only program. */
  raw: number;
  /** Every packet socket, capture-only ones included. */
  packet: number;
  /** `comm[pid] kind` of each counted socket. */
  holders: string[];
}

/** Raw and packet sockets open in a host's namespace now. */
export async function socketsOf(host: HostSpec): Promise<SendingSockets> {
  const read = (file: string) => commandOutput(...inHost(host, 'cat', [file]));
  const [raw, raw6, packet] = await Promise.all([read('/proc/net/raw'), read('/proc/net/raw6'), read('/proc/net/packet')]);
  return sendingSockets(host, raw ?? '', raw6 ?? '', packet ?? '');
}

/** The sending sockets among a namespace's /proc/net/{raw,raw6,packet} tables. */
function sendingSockets(host: HostSpec, raw: string, raw6: string, packet: string): SendingSockets {
  const rawInodes = [...socketInodes(raw, 'raw'), ...socketInodes(raw6, 'raw')];
  const packetInodes = socketInodes(packet, 'packet');
  const owners = socketOwners(netnsInode(host), new Set([...rawInodes, ...packetInodes]));
  const holders: string[] = [];
  for (const ino of rawInodes) holders.push(`${owners.get(ino) ?? 'unknown'} raw socket`);
  for (const ino of packetInodes) {
    const owner = owners.get(ino);
    const comm = owner?.replace(/\[\d+\]$/, '');
    if (comm === undefined || !CAPTURE_ONLY.has(comm)) holders.push(`${owner ?? 'unknown'} packet socket`);
  }
  return { raw: holders.length, packet: packetInodes.length, holders };
}

/** What one look at a host runs, each command's output after a `@@whyreset <n> <status>` line. */
const SNAPSHOT_COMMANDS = [
  'ip -j addr show',
  'nft list ruleset',
  'iptables-save',
  'ip6tables-save',
  'cat /proc/net/raw',
  'cat /proc/net/raw6',
  'cat /proc/net/packet',
] as const;

/** The script of one look: one shell in the namespace instead of a process per question (nsenter is lighter than `ip netns exec`). */
function snapshotScript(): string {
  return SNAPSHOT_COMMANDS.map((c, i) => `out=$(${c} 2>/dev/null); s=$?; echo "@@whyreset ${i} $s"; printf '%s\n' "$out"`).join('\n');
}

/** Splits a snapshot's output into each command's output, null for a command that failed. */
export function snapshotSections(text: string): (string | null)[] {
  const out: (string | null)[] = SNAPSHOT_COMMANDS.map(() => null);
  const parts = text.split(/^@@whyreset (\d+) (\d+)$/m);
  for (let i = 1; i + 2 < parts.length + 1; i += 3) {
    const index = Number(parts[i]);
    if (parts[i + 1] === '0') out[index] = (parts[i + 2] ?? '').replace(/^\n/, '');
  }
  return out;
}

/** Everything known of a host now. */
export async function hostFacts(host: HostSpec): Promise<TracedHost> {
  const script = snapshotScript();
  const text =
    host.netns === null
      ? await commandOutput('sh', ['-c', script], 10_000)
      : ((await commandOutput('nsenter', [`--net=/run/netns/${host.netns}`, 'sh', '-c', script], 10_000)) ??
        (await commandOutput('ip', ['netns', 'exec', host.netns, 'sh', '-c', script], 10_000)));
  const [addr, nft, ipt, ip6t, raw, raw6, packet] = snapshotSections(text ?? '');
  const rulesRead = nft !== null || ipt !== null || ip6t !== null;
  const rules = [...new Set([nft, ipt, ip6t].flatMap((o) => (o === null || o === undefined ? [] : rejectRulesIn(o))))];
  const addresses = addressesFromIpJson(addr ?? '[]');
  const sockets = sendingSockets(host, raw ?? '', raw6 ?? '', packet ?? '');
  return {
    name: host.name,
    netns: host.netns,
    addresses,
    reject_rules: rules,
    rules_read: rulesRead,
    raw_sockets: sockets.raw,
    packet_sockets: sockets.packet,
    socket_holders: sockets.holders,
  };
}

/**
 * Two looks at a host merged: addresses and rules seen at either (a rule added during the
 * trace counts), the most sockets seen at any look.
 */
export function mergeFacts(a: TracedHost, b: TracedHost): TracedHost {
  return {
    ...a,
    addresses: [...new Set([...a.addresses, ...b.addresses])],
    reject_rules: [...new Set([...a.reject_rules, ...b.reject_rules])],
    rules_read: a.rules_read && b.rules_read,
    raw_sockets: Math.max(a.raw_sockets, b.raw_sockets),
    packet_sockets: Math.max(a.packet_sockets, b.packet_sockets),
    socket_holders: [...new Set([...a.socket_holders, ...b.socket_holders])],
  };
}

/** The host that owns an address, when exactly one does. */
export function ownerOf(hosts: readonly TracedHost[], addr: string | null): string | null {
  if (addr === null) return null;
  const owners = hosts.filter((h) => h.addresses.includes(addr));
  return owners.length === 1 ? (owners[0]?.name ?? null) : null;
}
