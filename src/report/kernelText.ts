/**
 * How the kernel's word on a reset (`--kernel-trace`) reads in the text reports: one line per
 * reset (verbose, explain) and one line for the run (how many resets the kernel confirmed,
 * corrected or proved forged). Rendering only.
 */
import type { KernelFinding, KernelSummary } from '../model/report.js';

/** One line, e.g. "server's kernel sent it: TCP_ABORT_ON_CLOSE (socket TCP_CLOSE) — confirmed". */
export function kernelFindingText(k: KernelFinding): string {
  switch (k.event) {
    case 'send_reset': {
      const state = k.state === null ? 'no socket' : `socket ${k.state}`;
      return `${k.host}'s kernel sent it: ${k.reason ?? 'no reason recorded'} (${state}) — ${k.outcome}`;
    }
    case 'nf_send_reset':
      return `${k.host}'s own firewall sent it (nf_send_reset) — genuine firewall reject`;
    case 'none':
      return k.outcome === 'proven_forged'
        ? `${k.host} was traced and never sent it — forged, proven`
        : `${k.host}'s TCP stack never sent it, but ${k.note ?? 'something else on it could have'}`;
  }
}

/** The run's line: "kernel traces: 12 of 14 resets from traced hosts — 9 confirmed, 1 corrected, 2 proven forged". */
export function kernelSummaryText(s: KernelSummary): string {
  const parts = [`${s.confirmed} confirmed`, `${s.corrected} corrected`, `${s.proven_forged} proven forged`];
  if (s.netfilter > 0) parts.push(`${s.netfilter} sent by the host's own firewall`);
  if (s.unprovable > 0) parts.push(`${s.unprovable} not sent by the TCP stack but not provably forged (REJECT rules or raw sockets on the host)`);
  return `kernel traces: ${s.traced} reset${s.traced === 1 ? '' : 's'} claimed by traced hosts — ${parts.join(', ')}`;
}
