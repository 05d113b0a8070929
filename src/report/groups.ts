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
  /** `after_reset` consequences folded under this group's resets (their parents are here). */
  consequences: number;
}

/** Recent reset ids remembered with their group key, so a consequence finds its parent's group. */
const PARENTS_REMEMBERED = 65_536;

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
   * tracker reuses per host, so finding a reset's group builds no text, where the "cause server"
   * key took two strings built, flattened and hashed per reset (and kept one per remembered id).
   */
  private readonly byServer = new Map<string, Map<number, ResetGroup[]>>();
  /** The group of each of the most recent resets, for their consequences (ResetIdRing). */
  private readonly groupOfReset = new ResetIdRing<ResetGroup>(PARENTS_REMEMBERED);
  /** Resets that fell beyond MAX_GROUPS, by cause. */
  readonly overflow = new Map<string, number>();
  total = 0;

  constructor(private readonly multiCapture: boolean) {}

  /** Adds one reset. */
  add(r: Reset): void {
    this.total++;
    // A consequence is folded under its parent's group: it points at the same root cause.
    const parentGroup = r.parent === undefined ? undefined : this.groupOfReset.get(r.parent.id);
    if (parentGroup !== undefined) {
      parentGroup.consequences++;
      return;
    }
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
        consequences: 0,
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
    this.groupOfReset.set(r.id, g);
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

/**
 * A value per reset id for the most recent `size` resets, in fixed memory: ids are "R<n>", so a
 * ring indexed by n holds them (a Map kept one id string per reset, and evicting its oldest
 * key by `keys().next()` stepped over every entry deleted since V8 last compacted the table,
 * per reset). Any other id goes to a Map, bounded the same way.
 */
export class ResetIdRing<T> {
  private readonly numbers: Float64Array;
  private readonly values: (T | undefined)[];
  private readonly other = new Map<string, T | undefined>();

  constructor(private readonly size: number) {
    this.numbers = new Float64Array(size).fill(-1);
    this.values = new Array<T | undefined>(size).fill(undefined);
  }

  set(id: string, value: T | undefined): void {
    const n = resetNumber(id);
    if (n < 0) {
      this.other.delete(id);
      if (this.other.size >= this.size) this.other.delete(this.other.keys().next().value as string);
      this.other.set(id, value);
      return;
    }
    const slot = n % this.size;
    this.numbers[slot] = n;
    this.values[slot] = value;
  }

  get(id: string): T | undefined {
    const n = resetNumber(id);
    if (n < 0) return this.other.get(id);
    const slot = n % this.size;
    return this.numbers[slot] === n ? this.values[slot] : undefined;
  }
}

/** n of a reset id "R<n>" (a plain decimal below 10^9), or -1. */
function resetNumber(id: string): number {
  if (id.length < 2 || id.length > 10 || id.charCodeAt(0) !== 0x52 || id.charCodeAt(1) === 0x30) return -1;
  let n = 0;
  for (let i = 1; i < id.length; i++) {
    const d = id.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
