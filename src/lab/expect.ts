/**
 * What a scenario says it will make happen: each reset it expects, described by who physically
 * sends it, what the packet looks like, how many of them, and the truth about it in DESIGN.md's
 * vocabulary. From the sender and the path the lab knows where each reset must appear and with
 * which TTL: a host's own packets leave with its initial TTL, the router's forwarding lowers it
 * by one, and a router capture on `any` sees a forwarded packet twice (in, then out).
 */
import type { Cause, Origin, Stage, Verdict } from '../model/report.js';
import type { CapturePoint } from './capture.js';
import { type Host, type TtlPlan, hostOfAddress } from './topology.js';

/** Who physically emitted a reset: a host's stack, or the injector process on the router. */
export type Sender = Host | 'injector';

/** The program or kernel part that produced it (for people reading the labels). */
export type Component = 'kernel_tcp' | 'netfilter' | 'application' | 'scapy' | 'nmap' | 'injector';

/** The truth about one kind of reset, as DESIGN.md names it. */
export interface ResetTruth {
  stage: Stage;
  cause: Cause;
  verdict: Verdict;
  origin: Origin;
}

/** One kind of reset a scenario makes happen. */
export interface ResetExpectation extends ResetTruth {
  /** Short name used in labels, e.g. `server-refuses-syn`. */
  id: string;
  sentBy: Sender;
  component: Component;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** Exact TCP flag bits (TCP_RST | TCP_ACK, …). */
  flags: number;
  /** TTL / hop limit the sender put in the packet. */
  ttl: number;
  /** Allowed sequence numbers, when the scenario knows them. */
  seq?: readonly number[];
  /** How far it travels: to its destination (default) or dropped by the router. */
  reach?: 'destination' | 'router';
  /** How many such packets the sender emits: [min, max]. */
  count: readonly [number, number];
  /** One sentence: the kernel or program behaviour that sends it. */
  why: string;
}

/** Where a packet of an expectation shows up: for each capture point, the TTLs of its frames there. */
export type Appearances = Partial<Record<CapturePoint, number[]>>;

/** The host whose NIC a sender's packets leave from. */
export function senderHost(sender: Sender): Host {
  return sender === 'injector' ? 'router' : sender;
}

const POSITION: Record<Host, number> = { client: 0, router: 1, server: 2 };

/**
 * The frames one emitted packet produces at each capture point, with their TTLs.
 * Hosts sit in a line; the router forwards (TTL - 1) anything not addressed to itself.
 */
export function appearancesOf(e: Pick<ResetExpectation, 'sentBy' | 'dst' | 'ttl' | 'reach'>): Appearances {
  const from = senderHost(e.sentBy);
  const to = hostOfAddress(e.dst);
  if (to === null) throw new Error(`address ${e.dst} is not in the lab`);
  const seen: Appearances = {};
  seen[from] = [e.ttl];
  if (from === to) return seen;
  if (from === 'router') {
    seen[to] = [e.ttl];
    return seen;
  }
  // From an end host: through the router (in on one veth, out on the other one TTL lower).
  if (to === 'router' || e.reach === 'router') {
    seen.router = [e.ttl];
    return seen;
  }
  if (Math.abs(POSITION[to] - POSITION[from]) !== 2) throw new Error(`no path ${from} -> ${to}`);
  seen.router = [e.ttl, e.ttl - 1];
  seen[to] = [e.ttl - 1];
  return seen;
}

/** TTL a host's packets carry when its kernel sends them. */
export function ttlOf(plan: TtlPlan, host: Host): number {
  return plan[host];
}
