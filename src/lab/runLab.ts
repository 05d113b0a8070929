/**
 * The lab runner: for each scenario a fresh client — router — server network, three captures,
 * the scenario's story, then the captures are read back and matched against what the scenario
 * said would happen. Writes `<outDir>/<scenario>/{client,router,server}.pcap` and `labels.json`.
 * Every scenario is bounded in time; everything it made is removed whatever happens.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TraceSession } from '../kernel/traceSession.js';
import { TraceUnavailable } from '../kernel/tracefs.js';
import { VERSION } from '../version.js';
import { agentSource } from './agentSource.js';
import { type RunningCapture, captureFile, droppedByKernel, startCaptures, stopCaptures } from './capture.js';
import { installCleanupHandlers, liveFiles } from './cleanup.js';
import { type LabProcess, LabProcess as Process, inNamespace, mustRun, runCommand } from './exec.js';
import type { ResetExpectation } from './expect.js';
import { attachKernel, kernelFindings, kernelProblems, kernelTracePath, labHosts } from './kernelLabels.js';
import { type PointCount, type ScenarioLabels, writeLabels } from './labels.js';
import { type ResetReader, defaultReader, readResets } from './resets.js';
import { DEFAULT_SETTINGS, type Scenario, type ScenarioContext, type ScenarioSettings, TOOLS } from './scenario.js';
import { SCENARIOS, scenarioNamed } from './scenarios/index.js';
import { ADDRESSES, DEFAULT_TTLS, HOSTS, type Host, type Topology, type TtlPlan, createTopology, destroyTopology, namespaceNames } from './topology.js';
import { verifyResets } from './verify.js';

/** Longest a scenario's story may take before it is cut off (the issue allows 30 s in all). */
export const SCENARIO_TIME_LIMIT_MS = 25_000;

/** Options of a lab run. */
export interface LabOptions {
  /** The scenarios to run, in order, as objects or names (default: all of SCENARIOS). */
  scenarios?: readonly (Scenario | string)[];
  outDir: string;
  ttl?: Partial<TtlPlan>;
  settings?: Partial<ScenarioSettings>;
  reader?: ResetReader;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** Trace the hosts' kernels and label each RST with the kernel's reason (default true; see kernelLabels.ts). */
  kernelTrace?: boolean;
}

/** How one scenario went. */
export interface ScenarioResult {
  name: string;
  dir: string;
  verified: boolean;
  problems: string[];
  counts: Record<Host, PointCount>;
  durationMs: number;
}

/** How the whole run went. */
export interface LabRun {
  results: ScenarioResult[];
  durationMs: number;
  reader: ResetReader;
}

/** Tools every scenario needs (namespaces, captures, the agent) plus the chosen reader. */
export function baseTools(reader: ResetReader): Scenario['needs'] {
  const base = [TOOLS.ip, TOOLS.sysctl, TOOLS.tcpdump, TOOLS.ethtool, TOOLS.python3];
  return reader === 'tshark' ? [...base, TOOLS.tshark] : base;
}

/** Runs the scenarios one after another (the caller checked preflight). */
export async function runLab(options: LabOptions): Promise<LabRun> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const ttl: TtlPlan = { ...DEFAULT_TTLS, ...options.ttl };
  const settings: ScenarioSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const reader = options.reader ?? defaultReader();
  const scenarios = resolveScenarios(options.scenarios ?? SCENARIOS);
  await mkdir(options.outDir, { recursive: true });
  const agentPath = join(options.outDir, '.whyreset-lab-agent.py');
  const uninstall = installCleanupHandlers();
  liveFiles.add(agentPath);
  await writeFile(agentPath, agentSource());
  const results: ScenarioResult[] = [];
  try {
    let seq = 0;
    for (const scenario of scenarios) {
      seq++;
      log(`lab: ${scenario.name} ...`);
      const kernelTrace = options.kernelTrace !== false;
      const result = await runScenario(scenario, { seq, outDir: options.outDir, agentPath, ttl, settings, reader, log, kernelTrace });
      const status = result.verified ? 'verified' : 'FAILED';
      log(`lab: ${scenario.name} ${status} in ${(result.durationMs / 1000).toFixed(1)} s`);
      for (const p of result.problems) log(`lab:   ${p}`);
      results.push(result);
    }
  } finally {
    await rm(agentPath, { force: true });
    liveFiles.delete(agentPath);
    uninstall();
  }
  return { results, durationMs: Date.now() - started, reader };
}

/** Scenario objects for names (throws on an unknown name, before anything is built). */
export function resolveScenarios(list: readonly (Scenario | string)[]): Scenario[] {
  return list.map((s) => {
    if (typeof s !== 'string') return s;
    const found = scenarioNamed(s);
    if (!found) throw new Error(`unknown lab scenario ${JSON.stringify(s)}`);
    return found;
  });
}

interface RunSetup {
  seq: number;
  outDir: string;
  agentPath: string;
  ttl: TtlPlan;
  settings: ScenarioSettings;
  reader: ResetReader;
  log: (line: string) => void;
  kernelTrace: boolean;
}

/** Starts the kernel trace of a scenario's hosts; null (with a log line) where tracing cannot run. */
async function startKernelTrace(topo: Topology, dir: string, setup: RunSetup): Promise<TraceSession | null> {
  if (!setup.kernelTrace) return null;
  try {
    return await TraceSession.start({ hosts: labHosts(topo), out: { path: kernelTracePath(dir) }, badChecksums: false, toolVersion: VERSION });
  } catch (err) {
    if (!(err instanceof TraceUnavailable)) throw err;
    setup.log(`lab: no kernel trace: ${err.message}`);
    return null;
  }
}

/** One scenario, start to finish; never throws (a failure is a result with problems). */
async function runScenario(scenario: Scenario, setup: RunSetup): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = join(setup.outDir, scenario.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const problems: string[] = [];
  const processes: LabProcess[] = [];
  let topo: Topology | null = null;
  let captures: RunningCapture[] = [];
  let expectations: ResetExpectation[] = [];
  let ran = false;
  let trace: TraceSession | null = null;
  let traced = false;
  try {
    topo = await createTopology(namespaceNames(process.pid, setup.seq), setup.ttl);
    trace = await startKernelTrace(topo, dir, setup);
    captures = await startCaptures(topo, dir);
    const ctx = contextFor(topo, setup, processes);
    expectations = await withTimeLimit(scenario.run(ctx), SCENARIO_TIME_LIMIT_MS, scenario.name);
    ran = true;
  } catch (err) {
    problems.push(`scenario did not run: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await stopCaptures(captures);
    for (const c of captures) {
      const dropped = droppedByKernel(c.process.stderr);
      if (dropped > 0) problems.push(`the ${c.point} capture lost ${dropped} packets (tcpdump: dropped by kernel)`);
    }
    await Promise.all(processes.map((p) => p.stop('SIGTERM', 1000)));
    if (trace !== null) {
      try {
        await trace.stop();
        traced = true;
      } catch (err) {
        problems.push(`kernel trace did not complete: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (topo) await destroyTopology(topo);
    await writeFile(join(dir, 'programs.log'), programsLog([...captures.map((c) => c.process), ...processes]));
  }
  const counts = emptyCounts();
  let labels: ScenarioLabels['resets'] = [];
  if (ran) {
    try {
      const found = await readAllResets(dir, setup.reader);
      const v = verifyResets(expectations, found);
      problems.push(...v.problems);
      labels = v.labels;
      if (traced) {
        attachKernel(labels, await kernelFindings(dir));
        problems.push(...kernelProblems(labels));
      }
      Object.assign(counts, v.counts);
    } catch (err) {
      problems.push(`captures could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const verified = problems.length === 0;
  await writeLabels(dir, {
    scenario: scenario.name,
    summary: scenario.summary,
    captures: { client: 'client.pcap', router: 'router.pcap', server: 'server.pcap' },
    ttl: setup.ttl,
    addresses: { ...ADDRESSES },
    verified,
    problems,
    counts,
    resets: labels,
  });
  return { name: scenario.name, dir, verified, problems, counts, durationMs: Date.now() - started };
}

/** What every program of the scenario printed: kept beside the captures for people and for debugging. */
function programsLog(processes: readonly LabProcess[]): string {
  return processes
    .map((p) => {
      const out = p.lines.map((l) => `  ${l}\n`).join('');
      const err = p.stderr.trim() ? p.stderr.trim().split('\n').map((l) => `  ! ${l}\n`).join('') : '';
      return `== ${p.label} (exit ${p.exitCode})\n${out}${err}`;
    })
    .join('');
}

function emptyCounts(): Record<Host, PointCount> {
  return { client: { labelled: 0, found: 0 }, router: { labelled: 0, found: 0 }, server: { labelled: 0, found: 0 } };
}

async function readAllResets(dir: string, reader: ResetReader) {
  const [client, router, server] = await Promise.all(HOSTS.map((h) => readResets(captureFile(dir, h), reader)));
  return { client: client ?? [], router: router ?? [], server: server ?? [] };
}

/** Rejects when `promise` takes longer than `ms`. */
function withTimeLimit<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The ScenarioContext of one run: commands in the namespaces, tracked processes. */
function contextFor(topo: Topology, setup: RunSetup, processes: LabProcess[]): ScenarioContext {
  const start = (host: Host, label: string, cmd: string, args: readonly string[]): LabProcess => {
    const p = new Process(`${label}@${host}`, ...inNamespace(topo.ns[host], cmd, args));
    processes.push(p);
    return p;
  };
  const agent = (host: Host, label: string, args: readonly string[]): LabProcess =>
    start(host, label, TOOLS.python3.command, ['-u', setup.agentPath, ...args]);
  return {
    topo,
    ttl: topo.ttl,
    settings: setup.settings,
    sh: (host, cmd, args) => mustRun(...inNamespace(topo.ns[host], cmd, args)),
    run: (host, cmd, args, timeoutMs = 10_000) => runCommand(...inNamespace(topo.ns[host], cmd, args), { timeoutMs }),
    sysctl: async (host, ...settings) => {
      await mustRun(...inNamespace(topo.ns[host], 'sysctl', ['-q', '-w', ...settings]));
    },
    start,
    agent,
    serve: async (host, e) => {
      const p = agent(host, `server:${e.port}`, [
        'serve',
        String(e.family ?? 4),
        e.addr,
        String(e.port),
        String(e.backlog ?? 16),
        String(e.accepts ?? 1),
        e.steps.join(','),
      ]);
      await p.waitForLine(/^READY$/, 10_000);
      return p;
    },
    connect: (host, e) =>
      agent(host, `client:${e.port}`, [
        'connect',
        String(e.family ?? 4),
        e.addr,
        String(e.port),
        String(e.bindPort ?? 0),
        String(e.count ?? 1),
        e.steps.join(','),
      ]),
    log: setup.log,
  };
}
