/**
 * `--host`, `--net`, `--port`, `--since`, `--until`: which connections and resets are reported.
 * The tracker still sees every packet (so every explanation keeps its context: hop distances,
 * scans, the resets before); the filter only selects findings on their way to the sink, and the
 * summary counts what it left out. Addresses are matched as BPF's `host`/`net` primitives do
 * (pcap-filter(7): either endpoint), with Node's net.BlockList for IPv4 and IPv6 prefixes, so no
 * libpcap is needed. Repeating one kind means OR; different kinds (address, port, time) all apply.
 */
import type { BlockList } from 'node:net';
import type { Connection, Ladder, Reset, Summary } from '../model/report.js';
import type { AnalysisSink } from './run.js';

/** node:net (isIP, BlockList), loaded when a filter option is given: a run without one never needs it. */
function net(): typeof import('node:net') {
  return process.getBuiltinModule('node:net');
}

/** A bound of `--since`/`--until`: an absolute time, or seconds after the capture's first packet. */
export type TimeBound = { absolute: number } | { afterFirstPacket: number };

/** What the options asked for, parsed. */
export interface FilterSpec {
  hosts: readonly string[];
  nets: readonly string[];
  ports: readonly number[];
  since: TimeBound | null;
  until: TimeBound | null;
}

/** Seconds per unit of a relative time ("90s", "30m", "2h", "1d"). */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/**
 * Parses a time bound: a duration with a unit ("2h", "30m", "1.5d": that long after the
 * capture's first packet), epoch seconds ("1700000000.25"), or an ISO 8601 date and time (UTC
 * unless it names its zone: "2024-05-01T10:00:00", "2024-05-01 10:00+02:00").
 */
export function parseTimeBound(text: string): TimeBound | null {
  const relative = /^(\d+(?:\.\d+)?)(ms|s|min|m|h|d)$/.exec(text.trim());
  if (relative) return { afterFirstPacket: Number(relative[1]) * (UNIT_SECONDS[relative[2] as string] as number) };
  if (/^\d+(?:\.\d+)?$/.test(text.trim())) return { absolute: Number(text) };
  let iso = text.trim().replace(' ', 'T');
  // A date and time without a zone is UTC, as every time whyreset prints.
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(iso)) iso += iso.includes('T') ? 'Z' : 'T00:00:00Z';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? { absolute: ms / 1000 } : null;
}

/** Parses `--net` ("10.0.0.0/8", "2001:db8::/32", or one address): [address, prefix, family] or null. */
export function parseNet(text: string): [string, number, 'ipv4' | 'ipv6'] | null {
  const [addr = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const version = net().isIP(addr);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return null;
  return [addr, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

/** How many connections and resets the filter left out (summary.filtered_out). */
export interface FilteredOut {
  connections: number;
  resets: number;
}

/** Selects the findings the options asked for and counts the rest. */
export class FindingFilter {
  private readonly addresses: BlockList | null;
  private readonly ports: ReadonlySet<number>;
  private firstPacket: number | null = null;
  private readonly dropped: FilteredOut = { connections: 0, resets: 0 };
  /** The breakdowns of the resets left out, subtracted from the summary's at the end. */
  private readonly droppedBy = { by_stage: {} as Record<string, number>, by_cause: {} as Record<string, number>, by_verdict: {} as Record<string, number> };

  constructor(private readonly spec: FilterSpec) {
    if (spec.hosts.length + spec.nets.length === 0) this.addresses = null;
    else {
      const list = new (net().BlockList)();
      for (const text of [...spec.hosts, ...spec.nets]) {
        const net = parseNet(text);
        if (net !== null) list.addSubnet(net[0], net[1], net[2]);
      }
      this.addresses = list;
    }
    this.ports = new Set(spec.ports);
  }

  /** The first packet's time of the first capture: relative --since/--until count from it (the first call wins). */
  noteFirstPacket(ts: number): void {
    if (this.firstPacket === null && Number.isFinite(ts)) this.firstPacket = ts;
  }

  /** True when a connection between these endpoints is asked for (either endpoint matches each kind given). */
  endpointsMatch(a: string, aPort: number, b: string, bPort: number): boolean {
    if (this.addresses !== null && !this.addressMatches(a) && !this.addressMatches(b)) return false;
    return this.ports.size === 0 || this.ports.has(aPort) || this.ports.has(bPort);
  }

  /** A reset is reported when its endpoints match and its time lies within --since/--until. */
  resetMatches(r: Reset): boolean {
    return this.endpointsMatch(r.src, r.sport, r.dst, r.dport) && this.within(r.ts, r.ts);
  }

  /** A connection is reported when its endpoints match and its span overlaps --since/--until. */
  connectionMatches(c: Connection): boolean {
    return this.endpointsMatch(c.orig_h, c.orig_p, c.resp_h, c.resp_p) && this.within(c.ts, c.ts + Math.max(0, c.duration ?? 0));
  }

  /** A sink that passes on what matches, counting what does not; a connection's ladder goes with its connection. */
  wrap(sink: AnalysisSink): AnalysisSink {
    let ladder: Ladder | null = null;
    return {
      reset: (r) => {
        if (this.resetMatches(r)) sink.reset(r);
        else this.dropReset(r);
      },
      connection: (c) => {
        const pending = ladder;
        ladder = null;
        if (!this.connectionMatches(c)) {
          this.dropped.connections++;
          return;
        }
        // The pipeline hands a connection's ladder over just before the connection itself.
        if (pending !== null && pending.conn === c.id) sink.ladder?.(pending);
        sink.connection(c);
      },
      pattern: (p) => sink.pattern(p),
      ladder:
        sink.ladder === undefined
          ? undefined
          : (l) => {
              ladder = l;
            },
      resetConnection:
        sink.resetConnection === undefined
          ? undefined
          : (span) => {
              if (this.endpointsMatch(span.origAddr, span.origPort, span.respAddr, span.respPort)) sink.resetConnection?.(span);
            },
    };
  }

  /** Makes the summary count what was reported, and say how much was left out (`filtered_out`). */
  adjust(summary: Summary): void {
    summary.connections = Math.max(0, summary.connections - this.dropped.connections);
    summary.resets = Math.max(0, summary.resets - this.dropped.resets);
    for (const key of ['by_stage', 'by_cause', 'by_verdict'] as const) {
      for (const [name, n] of Object.entries(this.droppedBy[key])) {
        const left = (summary[key][name] ?? 0) - n;
        if (left > 0) summary[key][name] = left;
        else delete summary[key][name];
      }
    }
    summary.filtered_out = { ...this.dropped };
  }

  private dropReset(r: Reset): void {
    this.dropped.resets++;
    const by = this.droppedBy;
    if (r.stage) by.by_stage[r.stage] = (by.by_stage[r.stage] ?? 0) + 1;
    if (r.cause) by.by_cause[r.cause] = (by.by_cause[r.cause] ?? 0) + 1;
    if (r.verdict) by.by_verdict[r.verdict] = (by.by_verdict[r.verdict] ?? 0) + 1;
  }

  private addressMatches(addr: string): boolean {
    const bare = addr.startsWith('[') ? addr.slice(1, -1) : addr;
    const version = net().isIP(bare);
    return version !== 0 && (this.addresses as BlockList).check(bare, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** True when [from, to] overlaps [since, until] (an open bound is no limit). */
  private within(from: number, to: number): boolean {
    const since = this.resolve(this.spec.since);
    const until = this.resolve(this.spec.until);
    return (since === null || to >= since) && (until === null || from <= until);
  }

  private resolve(bound: TimeBound | null): number | null {
    if (bound === null) return null;
    if ('absolute' in bound) return bound.absolute;
    // Relative to the first packet; before any packet nothing can be reported anyway.
    return this.firstPacket === null ? null : this.firstPacket + bound.afterFirstPacket;
  }
}

/** The filter options' values as parseArgs gives them. */
export interface FilterOptionValues {
  host?: string[];
  net?: string[];
  port?: string[];
  since?: string;
  until?: string;
}

/** Builds the filter from the options: null when none is given, a one-line message when one is wrong. */
export function filterOf(values: FilterOptionValues): FindingFilter | null | string {
  const hosts = values.host ?? [];
  const nets = values.net ?? [];
  const portTexts = values.port ?? [];
  if (hosts.length + nets.length + portTexts.length === 0 && values.since === undefined && values.until === undefined) return null;
  for (const h of hosts) if (net().isIP(h.trim()) === 0) return `--host needs an IPv4 or IPv6 address, not "${h}"`;
  for (const n of nets) if (parseNet(n) === null) return `--net needs an address and a prefix length, e.g. 10.0.0.0/8 or 2001:db8::/32, not "${n}"`;
  const ports: number[] = [];
  for (const p of portTexts) {
    const port = Number(p);
    if (!/^\d+$/.test(p.trim()) || port > 65535) return `--port needs a port number 0-65535, not "${p}"`;
    ports.push(port);
  }
  const since = values.since === undefined ? null : parseTimeBound(values.since);
  if (values.since !== undefined && since === null) return `--since needs a time (2024-05-01T10:00:00, epoch seconds) or a duration after the first packet (90s, 30m, 2h, 1d), not "${values.since}"`;
  const until = values.until === undefined ? null : parseTimeBound(values.until);
  if (values.until !== undefined && until === null) return `--until needs a time (2024-05-01T10:00:00, epoch seconds) or a duration after the first packet (90s, 30m, 2h, 1d), not "${values.until}"`;
  return new FindingFilter({ hosts: hosts.map((h) => h.trim()), nets, ports, since, until });
}
