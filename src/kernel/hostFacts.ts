/**
 * What a traced host is and what on it could send a RST without its TCP stack: its addresses
 * (`ip -j addr`), its netfilter REJECT rules with a TCP reset (`nft list ruleset`,
 * `iptables-save`, `ip6tables-save`), and its raw and packet sockets (/proc/net/raw, raw6,
 * packet). A host is a network namespace: the one whyreset runs in, or a named one
 * (`ip netns`), read through `ip netns exec`.
 */
import { execFile } from 'node:child_process';
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

/** Addresses of a host. */
async function addressesOf(host: HostSpec): Promise<string[]> {
  const [cmd, args] = host.netns === null ? ['ip', ['-j', 'addr', 'show']] : ['ip', ['-n', host.netns, '-j', 'addr', 'show']];
  return addressesFromIpJson((await commandOutput(cmd, args as string[])) ?? '[]');
}

/** REJECT rules with a TCP reset, and whether any rule set could be read. */
async function rejectRulesOf(host: HostSpec): Promise<{ rules: string[]; read: boolean }> {
  const outputs = await Promise.all([
    commandOutput(...inHost(host, 'nft', ['list', 'ruleset'])),
    commandOutput(...inHost(host, 'iptables-save', [])),
    commandOutput(...inHost(host, 'ip6tables-save', [])),
  ]);
  const read = outputs.some((o) => o !== null);
  return { rules: [...new Set(outputs.flatMap((o) => (o === null ? [] : rejectRulesIn(o))))], read };
}

/** Raw and packet sockets open in a host's namespace now. */
export async function socketsOf(host: HostSpec): Promise<{ raw: number; packet: number }> {
  const read = (file: string) => commandOutput(...inHost(host, 'cat', [file]));
  const [raw, raw6, packet] = await Promise.all([read('/proc/net/raw'), read('/proc/net/raw6'), read('/proc/net/packet')]);
  return { raw: socketLines(raw ?? '') + socketLines(raw6 ?? ''), packet: socketLines(packet ?? '') };
}

/** Everything known of a host now. */
export async function hostFacts(host: HostSpec): Promise<TracedHost> {
  const [addresses, rules, sockets] = await Promise.all([addressesOf(host), rejectRulesOf(host), socketsOf(host)]);
  return {
    name: host.name,
    netns: host.netns,
    addresses,
    reject_rules: rules.rules,
    rules_read: rules.read,
    raw_sockets: sockets.raw,
    packet_sockets: sockets.packet,
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
  };
}

/** The host that owns an address, when exactly one does. */
export function ownerOf(hosts: readonly TracedHost[], addr: string | null): string | null {
  if (addr === null) return null;
  const owners = hosts.filter((h) => h.addresses.includes(addr));
  return owners.length === 1 ? (owners[0]?.name ?? null) : null;
}
