/**
 * Resets grouped for people: the same cause against the same server endpoint is one line with a
 * count, whatever the number of clients. Counting only: the analysis is the resets' own.
 */
import { endpointText } from '../decode/address.js';
import type { Reset, Verdict } from '../model/report.js';

/** Distinct groups kept; resets of further groups are counted per cause in `ResetGroups.overflow`. */
export const MAX_GROUPS = 20_000;
/** Distinct clients counted per group (so groups × clients stays bounded: 20,000 × 64 addresses at most). */
export const CLIENTS_COUNTED = 64;
/** Example frames and connection ids kept per group. */
const EXAMPLES = 5;

/** Resets of one cause against one server endpoint. */
export interface ResetGroup {
  cause: string;
  /** "addr:port" of the server (the connection's responder) the resets concern. */
  server: string;
  count: number;
  verdicts: Record<Verdict, number>;
  firstTs: number;
  lastTs: number;
  /** The first few resets' "capture:frame" (or frame) and connection ids, in report order. */
  frames: string[];
  conns: string[];
  /** Evidence codes by how many resets of the group carry them. */
  evidence: Map<string, number>;
  /** The first reset's hint and signature. */
  hint: string | null;
  signature: string | null;
  /** Distinct clients (at most CLIENTS_COUNTED; `clientsCapped` then). */
  clients: Set<string>;
  clientsCapped: boolean;
}

/** The server endpoint a reset concerns: the responder of its connection (the destination when unknown). */
export function serverOf(r: Reset): string {
  return r.from === 'resp' ? endpointText(r.src, r.sport) : endpointText(r.dst, r.dport);
}

/** The client endpoint's address. */
function clientOf(r: Reset): string {
  return r.from === 'resp' ? r.dst : r.src;
}

/** The group of `cause` among one server endpoint's groups (a handful: one per cause). */
function groupOfCause(groups: readonly ResetGroup[] | undefined, cause: string): ResetGroup | undefined {
  if (groups === undefined) return undefined;
  for (const g of groups) if (g.cause === cause) return g;
  return undefined;
}

/** Accumulates resets into groups, in bounded memory. */
export class ResetGroups {
  private readonly groups = new Map<string, ResetGroup>();
  /**
   * The same groups by server address, then port, then cause: the addresses are strings the
   * tracker reuses per host (their hash is cached), so finding a reset's group builds no text,
   * where the "cause server" key took two strings built, flattened and hashed per reset.
   */
  private readonly byServer = new Map<string, Map<number, ResetGroup[]>>();
  /** Resets that fell beyond MAX_GROUPS, by cause. */
  readonly overflow = new Map<string, number>();
  total = 0;

  constructor(private readonly multiCapture: boolean) {}

  /** Adds one reset. */
  add(r: Reset): void {
    this.total++;
    const cause = r.cause ?? 'unexplained';
    const fromResp = r.from === 'resp';
    const addr = fromResp ? r.src : r.dst;
    const port = fromResp ? r.sport : r.dport;
    let ports = this.byServer.get(addr);
    let g = groupOfCause(ports?.get(port), cause);
    if (g === undefined) {
      if (this.groups.size >= MAX_GROUPS) {
        this.overflow.set(cause, (this.overflow.get(cause) ?? 0) + 1);
        return;
      }
      const server = serverOf(r);
      g = {
        cause,
        server,
        count: 0,
        verdicts: { genuine: 0, suspect: 0, forged: 0 },
        firstTs: r.ts,
        lastTs: r.ts,
        frames: [],
        conns: [],
        evidence: new Map(),
        hint: r.hint,
        signature: r.signature,
        clients: new Set(),
        clientsCapped: false,
      };
      this.groups.set(`${cause} ${server}`, g);
      if (ports === undefined) {
        ports = new Map();
        this.byServer.set(addr, ports);
      }
      const causes = ports.get(port);
      if (causes === undefined) ports.set(port, [g]);
      else causes.push(g);
    }
    g.count++;
    if (r.verdict !== null) g.verdicts[r.verdict]++;
    if (r.ts < g.firstTs) g.firstTs = r.ts;
    if (r.ts > g.lastTs) g.lastTs = r.ts;
    if (g.frames.length < EXAMPLES) g.frames.push(this.multiCapture ? `${r.capture}:${r.frame}` : String(r.frame));
    if (r.conn !== null && g.conns.length < EXAMPLES && !g.conns.includes(r.conn)) g.conns.push(r.conn);
    for (const e of r.evidence) g.evidence.set(e.code, (g.evidence.get(e.code) ?? 0) + 1);
    if (g.clients.size < CLIENTS_COUNTED) g.clients.add(clientOf(r));
    else if (!g.clients.has(clientOf(r))) g.clientsCapped = true;
  }

  /** Groups, largest first (forged before genuine at equal counts, then by first time). */
  sorted(): ResetGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || b.verdicts.forged - a.verdicts.forged || a.firstTs - b.firstTs);
  }

  get size(): number {
    return this.groups.size;
  }
}
