/**
 * Matches the resets of a capture to the kernel events of traced hosts. A reset whose source
 * address belongs to a traced host, inside the traced interval, is looked up among that host's
 * `send_reset` events with the same 4-tuple in the same direction, at a time the clock mapping
 * allows (the event fires before the packet leaves, so it may precede the capture by the path's
 * delay but follow it only by the mapping's uncertainty), taking events in order: several RSTs on
 * one 4-tuple meet their events one by one. When none is found it is either proven forged (the
 * host's TCP stack sent nothing, and nothing else on it could have) or, honestly, not provable.
 */
import type { LoadedTrace } from './traceFile.js';
import type { KernelEventRecord, TracedHost } from './traceRecord.js';

/** What the kernel traces say about one reset. */
export type KernelMatch =
  /** The claimed sender was not traced then: the kernel says nothing. */
  | { kind: 'untraced' }
  /** The host's TCP stack sent it (`send_reset`). */
  | { kind: 'sent'; event: KernelEventRecord; host: string }
  /** The host's own netfilter sent it (kprobe on nf_send_reset): a firewall reject, genuine. */
  | { kind: 'netfilter'; event: KernelEventRecord; host: string }
  /** Proven forged: traced, no event, no REJECT rule or raw socket that could have sent it. */
  | { kind: 'absent'; host: string; from: number; to: number }
  /** No TCP event, but something on the host that bypasses the tracepoint could have sent it. */
  | { kind: 'unprovable'; host: string; why: string };

/** The fields of a reset the matcher reads. */
export interface ResetToMatch {
  capture: number;
  ts: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  seq: number;
  ack: number;
}

/**
 * Seconds a capture may see a reset after its kernel event: the packet's way from the stack to
 * the capture point (the same host: microseconds; a capture a few hops away: milliseconds; a
 * loaded router's queue: more). Forgery proofs are conservative with a longer allowance.
 */
export const MAX_PATH_DELAY = 1;
/** Seconds added to the clock mapping's uncertainty: timestamping in the driver vs. the tracepoint. */
export const STAMP_SLACK = 0.002;

interface HostTrace {
  host: TracedHost;
  trace: LoadedTrace;
}

/** Matches resets against one or more loaded traces; keeps which events were used, per capture. */
export class KernelMatcher {
  private readonly owners = new Map<string, HostTrace[]>();
  private readonly sendEvents = new Map<string, KernelEventRecord[]>();
  private readonly nfEvents: { trace: LoadedTrace; event: KernelEventRecord }[] = [];
  private readonly traceOfEvent = new Map<KernelEventRecord, LoadedTrace>();
  /** Per capture and event: the seq/ack of the reset it was matched to (a copy of one packet may match again). */
  private readonly used = new Map<number, Map<KernelEventRecord, string>>();

  constructor(readonly traces: readonly LoadedTrace[]) {
    for (const trace of traces) {
      for (const host of trace.header.hosts) {
        for (const addr of host.addresses) {
          const list = this.owners.get(addr) ?? [];
          list.push({ host, trace });
          this.owners.set(addr, list);
        }
      }
      for (const e of trace.events) {
        this.traceOfEvent.set(e, trace);
        if (e.event === 'send_reset' && e.src !== null) {
          // A reset sent through a listening socket (tcp_check_req's embryonic_reset for a full
          // accept queue) is printed from the listener: the peer is 0.0.0.0:0 or [::]:0, so it
          // can stand for any peer of that local port.
          const key = isWildcard(e) ? listenerKey(e.src, e.sport) : tupleKey(e.src, e.sport, e.dst, e.dport);
          const list = this.sendEvents.get(key) ?? [];
          list.push(e);
          this.sendEvents.set(key, list);
        } else if (e.event === 'nf_send_reset') this.nfEvents.push({ trace, event: e });
      }
    }
    for (const list of this.sendEvents.values()) list.sort((a, b) => a.ts - b.ts);
  }

  /** Whether any trace was given. */
  get active(): boolean {
    return this.traces.length > 0;
  }

  /** What the traces say about one reset (call in capture order per capture: events are consumed). */
  match(r: ResetToMatch): KernelMatch {
    const owners = (this.owners.get(r.src) ?? []).filter(({ trace }) => covers(trace, r.ts));
    if (owners.length === 0) return { kind: 'untraced' };
    const hostName = owners.map((o) => o.host.name).join('|');
    const event = this.takeSendEvent(r);
    if (event !== null) return { kind: 'sent', event, host: event.host ?? hostName };
    const nf = this.netfilterEvent(r, owners);
    if (nf !== null) return { kind: 'netfilter', event: nf, host: nf.host ?? hostName };
    const why = owners.map(({ host, trace }) => bypassReason(host, trace)).find((w) => w !== null);
    if (why !== undefined && why !== null) return { kind: 'unprovable', host: hostName, why };
    const first = owners[0] as HostTrace;
    return { kind: 'absent', host: hostName, from: first.trace.started, to: first.trace.ended };
  }

  /** The first unused send_reset event of the reset's 4-tuple in the allowed time window. */
  private takeSendEvent(r: ResetToMatch): KernelEventRecord | null {
    return this.takeFrom(this.sendEvents.get(tupleKey(r.src, r.sport, r.dst, r.dport)), r) ?? this.takeFrom(this.sendEvents.get(listenerKey(r.src, r.sport)), r);
  }

  private takeFrom(list: readonly KernelEventRecord[] | undefined, r: ResetToMatch): KernelEventRecord | null {
    if (list === undefined) return null;
    let used = this.used.get(r.capture);
    if (used === undefined) {
      used = new Map();
      this.used.set(r.capture, used);
    }
    const packet = `${r.seq}/${r.ack}`;
    for (const e of list) {
      if (!inWindow(e, r.ts, tolerance(this.traceOfEvent.get(e)))) continue;
      const by = used.get(e);
      // The same packet seen twice in one capture (a router's `-i any` in and out) matches its event again.
      if (by !== undefined && by !== packet) continue;
      used.set(e, packet);
      return e;
    }
    return null;
  }

  /** A netfilter reset on an owning host at the reset's time (kprobe events carry no tuple: time and host only). */
  private netfilterEvent(r: ResetToMatch, owners: readonly HostTrace[]): KernelEventRecord | null {
    for (const { trace, event } of this.nfEvents) {
      if (!owners.some((o) => o.trace === trace && (event.host === null || event.host === o.host.name))) continue;
      if (inWindow(event, r.ts, tolerance(trace))) return event;
    }
    return null;
  }
}

/** Seconds of clock error allowed when comparing an event with a capture time. */
export function tolerance(trace: LoadedTrace | undefined): number {
  return (trace?.header.clock.uncertainty ?? 0) + STAMP_SLACK;
}

/** Whether a capture time can be the packet of an event: not before it (beyond the error), not long after. */
export function inWindow(e: Pick<KernelEventRecord, 'ts'>, captureTs: number, tol: number): boolean {
  return captureTs >= e.ts - tol && captureTs <= e.ts + tol + MAX_PATH_DELAY;
}

/** Whether a time lies inside the traced interval, by a margin of the clock's error. */
function covers(trace: LoadedTrace, ts: number): boolean {
  const tol = tolerance(trace);
  return ts >= trace.started + tol && ts <= trace.ended - tol;
}

/**
 * What on a host could have sent a RST without its TCP stack (and without a tracepoint): its own
 * netfilter REJECT rules when their resets are not traced (nf_send_reset builds the RST itself,
 * net/ipv4/netfilter/nf_reject_ipv4.c), or a raw socket. null when nothing could.
 */
export function bypassReason(host: TracedHost, trace: LoadedTrace): string | null {
  const caps = trace.header.capabilities;
  if (!caps.netfilter_traceable) {
    if (!host.rules_read) return `${host.name}'s firewall rules could not be read and its netfilter resets are not traceable here`;
    if (host.reject_rules.length > 0) {
      return `${host.name} has ${host.reject_rules.length} REJECT rule(s) with a TCP reset and this kernel cannot trace netfilter's resets`;
    }
  }
  if (host.raw_sockets > 0) {
    return `${host.name} had ${host.raw_sockets} raw or packet socket(s) that can send any RST (${host.socket_holders.slice(0, 3).join(', ')})`;
  }
  return null;
}

function tupleKey(src: string, sport: number | null, dst: string | null, dport: number | null): string {
  return `${src} ${sport} ${dst} ${dport}`;
}

function listenerKey(src: string, sport: number | null): string {
  return `${src} ${sport} *`;
}

/** An event printed from a listening socket: no peer. */
function isWildcard(e: KernelEventRecord): boolean {
  return e.dport === 0 && (e.dst === '0.0.0.0' || e.dst === '::');
}
