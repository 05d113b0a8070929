/**
 * Labels from the kernel: each lab scenario runs under a kernel trace of its three namespaces
 * (`<scenario>/kernel.ndjson`), and every labelled RST gets what the kernel recorded for it
 * (`kernel` in labels.json). A scenario whose kernel contradicts its label fails: a reset the
 * scenario says a host's TCP stack sent must be a `tcp_send_reset` of that host with a reason
 * that fits the labelled cause; one it says a third party or a crafting program sent must not
 * be; and a genuine reset must never come out proven forged.
 */
import { join } from 'node:path';
import { analyze } from '../index.js';
import type { HostSpec } from '../kernel/hostFacts.js';
import { KernelMatcher } from '../kernel/match.js';
import { causeAgrees } from '../kernel/reasonCauses.js';
import { loadTraceFile } from '../kernel/traceFile.js';
import type { KernelFinding } from '../model/report.js';
import { captureFile } from './capture.js';
import type { Component } from './expect.js';
import type { ResetLabel } from './labels.js';
import { HOSTS, type Topology } from './topology.js';

/** The trace file in a scenario directory. */
export const KERNEL_TRACE_FILE = 'kernel.ndjson';

/** The trace's path in a scenario directory. */
export function kernelTracePath(scenarioDir: string): string {
  return join(scenarioDir, KERNEL_TRACE_FILE);
}

/** The lab's hosts as traced hosts: one namespace each, named client, router, server. */
export function labHosts(topo: Topology): HostSpec[] {
  return HOSTS.map((h) => ({ name: h, netns: topo.ns[h] }));
}

/** Components whose resets a host's TCP stack sends (the application or nmap only asked it to). */
const KERNEL_SENT: ReadonlySet<Component> = new Set(['kernel_tcp', 'application', 'nmap']);

/**
 * The kernel's finding for every RST frame of every capture point: `analyze --kernel-trace` on
 * each capture (events consumed per capture), keyed `point:frame`; null where the claimed sender
 * was not traced.
 */
export async function kernelFindings(scenarioDir: string): Promise<Map<string, KernelFinding | null>> {
  const trace = loadTraceFile(kernelTracePath(scenarioDir));
  const out = new Map<string, KernelFinding | null>();
  for (const point of HOSTS) {
    const report = await analyze([captureFile(scenarioDir, point)], { kernel: new KernelMatcher([trace]) });
    for (const r of report.resets) out.set(`${point}:${r.frame}`, r.kernel ?? null);
  }
  return out;
}

/** Sets `kernel` on each label from the findings. */
export function attachKernel(labels: ResetLabel[], findings: ReadonlyMap<string, KernelFinding | null>): void {
  for (const l of labels) l.kernel = findings.get(`${l.capture}:${l.frame}`) ?? null;
}

/** Where the kernel contradicts a label (empty when it agrees or says nothing). */
export function kernelProblems(labels: readonly ResetLabel[]): string[] {
  const problems: string[] = [];
  for (const l of labels) {
    const k = l.kernel;
    if (k === undefined || k === null) continue;
    const at = `${l.expectation} (${l.capture} frame ${l.frame})`;
    const ownStack = KERNEL_SENT.has(l.component) && l.sent_by === l.claimed_by;
    if (l.verdict === 'genuine' && k.outcome === 'proven_forged') problems.push(`${at}: a genuine reset came out proven forged by the kernel trace`);
    if (ownStack) {
      if (k.event !== 'send_reset') problems.push(`${at}: labelled as sent by ${l.sent_by}'s TCP stack, but its kernel recorded no such reset`);
      else if (k.reason !== null && !causeAgrees(k.reason, l.cause)) problems.push(`${at}: the kernel's reason ${k.reason} contradicts the labelled cause ${l.cause}`);
    } else if (k.event === 'send_reset') {
      problems.push(`${at}: labelled as sent by ${l.sent_by} (${l.component}), but ${k.host}'s kernel sent it (${k.reason ?? 'no reason'})`);
    }
  }
  return problems;
}
