import type { Pattern } from '../model/report.js';
import { SCAN_PORTS } from './cause.js';
import type { ExplainContext } from './context.js';
/**
 * Findings no single reset shows: port scans (one source probing many ports) and reset storms
 * (many resets within a short time). Computed from the explain context at the end of a capture.
 */
import { roundMicros } from './resetFields.js';

/** Resets within one second that make a storm. */
export const STORM_RESETS_PER_SECOND = 100;
/** Ports listed in a port_scan pattern (the count is always exact up to the tracking bound). */
const PORTS_LISTED = 64;

/** Port scans of one capture: sources whose connections without data reached many ports. */
export function findScans(ctx: ExplainContext, captureIndex: number): Pattern[] {
  const out: Pattern[] = [];
  for (const [source, s] of ctx.sources) {
    if (s.ports.size < SCAN_PORTS) continue;
    const kinds = Object.entries(s.kinds).sort((a, b) => b[1] - a[1]);
    const kind = kinds.length === 1 ? (kinds[0]?.[0] ?? 'syn') : 'mixed';
    const ports = [...s.ports].sort((a, b) => a - b);
    out.push({
      type: 'port_scan',
      capture: captureIndex,
      source,
      targets: [...s.targets],
      ports: ports.length,
      ports_sample: ports.slice(0, PORTS_LISTED),
      probes: s.probes,
      refused: s.refused,
      kind,
      kinds: s.kinds,
      first_ts: roundMicros(s.first),
      last_ts: roundMicros(s.last),
      text: `${source} probed ${ports.length} ports on ${s.targets.size} host(s) in ${Math.max(0, s.last - s.first).toFixed(1)} s (${kind} scan); ${s.refused} probe(s) were refused with a RST`,
    });
  }
  return out;
}

/** Reset storms: runs of consecutive seconds with at least STORM_RESETS_PER_SECOND resets each. */
export function findStorms(ctx: ExplainContext, captureIndex: number): Pattern[] {
  const seconds = [...ctx.resetsPerSecond.entries()].filter(([, b]) => b.count >= STORM_RESETS_PER_SECOND).sort((a, b) => a[0] - b[0]);
  const out: Pattern[] = [];
  let i = 0;
  while (i < seconds.length) {
    let j = i;
    while (j + 1 < seconds.length && (seconds[j + 1]?.[0] ?? 0) === (seconds[j]?.[0] ?? 0) + 1) j++;
    const run = seconds.slice(i, j + 1);
    const senders = new Map<string, number>();
    let resets = 0;
    for (const [, b] of run) {
      resets += b.count;
      for (const [addr, n] of b.senders) senders.set(addr, (senders.get(addr) ?? 0) + n);
    }
    const top = [...senders.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const start = run[0]?.[0] ?? 0;
    const end = (run[run.length - 1]?.[0] ?? 0) + 1;
    out.push({
      type: 'reset_storm',
      capture: captureIndex,
      first_ts: start,
      last_ts: end,
      resets,
      peak_per_second: Math.max(...run.map(([, b]) => b.count)),
      top_senders: top.map(([addr, n]) => ({ addr, resets: n })),
      text: `${resets} resets in ${end - start} s (peak ${Math.max(...run.map(([, b]) => b.count))}/s), mostly from ${top.map(([a]) => a).join(', ')}`,
    });
    i = j + 1;
  }
  return out;
}

/** Every cross-connection pattern of one capture. */
export function findPatterns(ctx: ExplainContext, captureIndex: number): Pattern[] {
  return [...findScans(ctx, captureIndex), ...findStorms(ctx, captureIndex)];
}
