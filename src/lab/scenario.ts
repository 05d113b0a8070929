/**
 * What a scenario is and what it can do while it runs: commands inside the three namespaces,
 * the Python agent (servers, clients, crafted packets, the injector), sysctls. Every process a
 * scenario starts is tracked and stopped by the runner after the captures have stopped, so the
 * captures hold exactly the story the scenario tells.
 */
import type { CommandResult, LabProcess } from './exec.js';
import type { ResetExpectation } from './expect.js';
import type { Host, Topology, TtlPlan } from './topology.js';

/** A program a scenario needs, and the Debian package that provides it. */
export interface Tool {
  /** Command looked up on PATH (or an absolute path). */
  command: string;
  debianPackage: string;
}

/** Tools by short name. */
export const TOOLS = {
  ip: { command: 'ip', debianPackage: 'iproute2' },
  sysctl: { command: 'sysctl', debianPackage: 'procps' },
  tcpdump: { command: 'tcpdump', debianPackage: 'tcpdump' },
  ethtool: { command: 'ethtool', debianPackage: 'ethtool' },
  python3: { command: '/usr/bin/python3', debianPackage: 'python3' },
  scapy: { command: '/usr/bin/python3', debianPackage: 'python3-scapy' },
  iptables: { command: 'iptables', debianPackage: 'iptables' },
  ip6tables: { command: 'ip6tables', debianPackage: 'iptables' },
  nft: { command: 'nft', debianPackage: 'nftables' },
  nmap: { command: 'nmap', debianPackage: 'nmap' },
  tshark: { command: 'tshark', debianPackage: 'tshark' },
} as const satisfies Record<string, Tool>;

/** Knobs a user can turn from the command line. */
export interface ScenarioSettings {
  /** Seconds of silence before the idle reaper / conntrack expire a connection. */
  idleSeconds: number;
  /** tcp_retries2 on the server for the retransmission-timeout scenario. */
  retries2: number;
}

/** Defaults for ScenarioSettings: short, so the whole set stays well under five minutes. */
export const DEFAULT_SETTINGS: ScenarioSettings = { idleSeconds: 2, retries2: 3 };

/** Options of one agent connection script (see agent.py for the step language). */
export interface AgentEndpoint {
  family?: 4 | 6;
  addr: string;
  port: number;
  steps: readonly string[];
}

/** What a running scenario can do. */
export interface ScenarioContext {
  readonly topo: Topology;
  readonly ttl: TtlPlan;
  readonly settings: ScenarioSettings;
  /** Runs a command inside a host's namespace; rejects when it fails. */
  sh(host: Host, cmd: string, args: readonly string[]): Promise<string>;
  /** Runs a command inside a host's namespace and returns however it ended. */
  run(host: Host, cmd: string, args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** Sets sysctls inside a host's namespace. */
  sysctl(host: Host, ...settings: string[]): Promise<void>;
  /** Starts a program inside a host's namespace; the runner stops it after the captures. */
  start(host: Host, label: string, cmd: string, args: readonly string[]): LabProcess;
  /** Starts the Python agent with a mode and its arguments. */
  agent(host: Host, label: string, args: readonly string[]): LabProcess;
  /** Starts a listening server and resolves once it listens. */
  serve(host: Host, endpoint: AgentEndpoint & { backlog?: number; accepts?: number }): Promise<LabProcess>;
  /** Starts `count` parallel client connections (a fixed source port when `bindPort` is set). */
  connect(host: Host, endpoint: AgentEndpoint & { bindPort?: number; count?: number }): LabProcess;
  log(message: string): void;
}

/** One reproducible reset story. */
export interface Scenario {
  name: string;
  /** One line for `whyreset lab --list`: what happens. */
  summary: string;
  needs: readonly Tool[];
  /** Makes the resets happen (captures are running) and says which ones to expect. */
  run(ctx: ScenarioContext): Promise<ResetExpectation[]>;
}
