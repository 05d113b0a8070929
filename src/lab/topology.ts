/**
 * The lab network: three namespaces in a line, client — router — server, joined by veth pairs.
 *
 *   client ns            router ns                         server ns
 *   eth0 10.77.1.2  ==  eth-c 10.77.1.1 | eth-s 10.77.2.1  ==  eth0 10.77.2.2
 *        fd77:1::2        fd77:1::1        fd77:2::1             fd77:2::2
 *
 * Addresses live only inside these namespaces; the host's interfaces and routes are never
 * touched. Each host gets its own default TTL / hop limit (64 / 255 / 128 by default) so that
 * the TTL of every packet in the captures says who sent it. Offloads are switched off on every
 * veth so the captures show real segments with real checksums.
 */
import { inNamespace, mustRun, runCommand } from './exec.js';

/** The three hosts of the lab. */
export type Host = 'client' | 'router' | 'server';

/** All hosts, in path order. */
export const HOSTS: readonly Host[] = ['client', 'router', 'server'];

/** Initial TTL (IPv4) and hop limit (IPv6) of each host. */
export type TtlPlan = Record<Host, number>;

/** Default TTLs: Linux-like client, network-device router, Windows-like server. */
export const DEFAULT_TTLS: TtlPlan = { client: 64, router: 255, server: 128 };

/** Addresses of the lab (fixed: they exist only inside the lab's namespaces). */
export const ADDRESSES = {
  client4: '10.77.1.2',
  routerClientSide4: '10.77.1.1',
  routerServerSide4: '10.77.2.1',
  server4: '10.77.2.2',
  client6: 'fd77:1::2',
  routerClientSide6: 'fd77:1::1',
  routerServerSide6: 'fd77:2::1',
  server6: 'fd77:2::2',
} as const;

/** Interface names inside each namespace. */
export const IFACES = { client: 'eth0', server: 'eth0', routerToClient: 'eth-c', routerToServer: 'eth-s' } as const;

/** A built lab network. */
export interface Topology {
  /** Namespace name per host (unique per process and scenario). */
  ns: Record<Host, string>;
  ttl: TtlPlan;
}

/** Namespaces this process created and has not yet removed (for cleanup on signals). */
export const liveNamespaces = new Set<string>();

/** Unique namespace names for one scenario run: `wr<pid>-<seq>-c|r|s`. */
export function namespaceNames(pid: number, seq: number): Record<Host, string> {
  const base = `wr${pid}-${seq}`;
  return { client: `${base}-c`, router: `${base}-r`, server: `${base}-s` };
}

/** The host that owns an address of the lab, or null. */
export function hostOfAddress(addr: string): Host | null {
  switch (addr) {
    case ADDRESSES.client4:
    case ADDRESSES.client6:
      return 'client';
    case ADDRESSES.server4:
    case ADDRESSES.server6:
      return 'server';
    case ADDRESSES.routerClientSide4:
    case ADDRESSES.routerServerSide4:
    case ADDRESSES.routerClientSide6:
    case ADDRESSES.routerServerSide6:
      return 'router';
    default:
      return null;
  }
}

/** Sysctls every host gets: its TTL / hop limit, no DAD delay, and forwarding on the router. */
export function baseSysctls(host: Host, ttl: number): string[] {
  const common = [
    `net.ipv4.ip_default_ttl=${ttl}`,
    `net.ipv6.conf.all.hop_limit=${ttl}`,
    `net.ipv6.conf.default.hop_limit=${ttl}`,
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ];
  if (host !== 'router') return common;
  return [...common, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'];
}

/** Builds the three namespaces and their links; on failure removes what it made and rethrows. */
export async function createTopology(ns: Record<Host, string>, ttl: TtlPlan): Promise<Topology> {
  const topo: Topology = { ns, ttl };
  try {
    for (const host of HOSTS) {
      await mustRun('ip', ['netns', 'add', ns[host]]);
      liveNamespaces.add(ns[host]);
      await mustRun(...inNamespace(ns[host], 'sysctl', ['-q', '-w', ...baseSysctls(host, ttl[host])]));
      await mustRun('ip', ['-n', ns[host], 'link', 'set', 'lo', 'up']);
    }
    await mustRun('ip', ['-n', ns.client, 'link', 'add', IFACES.client, 'type', 'veth', 'peer', 'name', IFACES.routerToClient, 'netns', ns.router]);
    await mustRun('ip', ['-n', ns.server, 'link', 'add', IFACES.server, 'type', 'veth', 'peer', 'name', IFACES.routerToServer, 'netns', ns.router]);
    await configureInterface(ns.client, IFACES.client, ttl.client, [`${ADDRESSES.client4}/24`], [`${ADDRESSES.client6}/64`]);
    await configureInterface(ns.router, IFACES.routerToClient, ttl.router, [`${ADDRESSES.routerClientSide4}/24`], [`${ADDRESSES.routerClientSide6}/64`]);
    await configureInterface(ns.router, IFACES.routerToServer, ttl.router, [`${ADDRESSES.routerServerSide4}/24`], [`${ADDRESSES.routerServerSide6}/64`]);
    await configureInterface(ns.server, IFACES.server, ttl.server, [`${ADDRESSES.server4}/24`], [`${ADDRESSES.server6}/64`]);
    await mustRun('ip', ['-n', ns.client, 'route', 'add', 'default', 'via', ADDRESSES.routerClientSide4]);
    await mustRun('ip', ['-n', ns.client, '-6', 'route', 'add', 'default', 'via', ADDRESSES.routerClientSide6]);
    await mustRun('ip', ['-n', ns.server, 'route', 'add', 'default', 'via', ADDRESSES.routerServerSide4]);
    await mustRun('ip', ['-n', ns.server, '-6', 'route', 'add', 'default', 'via', ADDRESSES.routerServerSide6]);
    return topo;
  } catch (err) {
    await destroyTopology(topo);
    throw err;
  }
}

/** Addresses, hop limit and offloads of one veth end, then brings it up. */
async function configureInterface(ns: string, dev: string, ttl: number, v4: string[], v6: string[]): Promise<void> {
  for (const a of v4) await mustRun('ip', ['-n', ns, 'addr', 'add', a, 'dev', dev]);
  for (const a of v6) await mustRun('ip', ['-n', ns, '-6', 'addr', 'add', a, 'dev', dev, 'nodad']);
  await mustRun(...inNamespace(ns, 'sysctl', ['-q', '-w', `net.ipv6.conf.${dev}.hop_limit=${ttl}`]));
  // Without this the veth hands 64 KB "segments" and unfinished checksums to tcpdump.
  await mustRun(...inNamespace(ns, 'ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off']));
  await mustRun('ip', ['-n', ns, 'link', 'set', dev, 'up']);
}

/**
 * Removes the namespaces (their veths go with them). Processes still inside are killed first:
 * they are the lab's own (nothing else runs in a namespace it just made).
 */
export async function destroyTopology(topo: Topology): Promise<void> {
  for (const host of HOSTS) {
    const name = topo.ns[host];
    if (!liveNamespaces.has(name)) continue;
    const pids = await runCommand('ip', ['netns', 'pids', name], { timeoutMs: 3000 });
    for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await runCommand('ip', ['netns', 'del', name], { timeoutMs: 5000 });
    liveNamespaces.delete(name);
  }
}
