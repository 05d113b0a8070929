/**
 * Resets grouped for people: the same cause against the same server endpoint is one line with a
 * count, whatever the number of clients. Counting only: the analysis is the resets' own.
 *
 * A port scan makes one reset per probed port, so one group per port: seventeen lines that say
 * one thing. Which clients scanned is known only at the end (explain's `port_scan` patterns), so
 * a probe's reset (a connection that reset before any data: stage handshake or established) is
 * kept in a group of its own client until then; `view(scanSources)` folds the scanners' groups
 * into one `ScanFold` each and merges every other client's back into its cause-and-server group,
 * exactly as if it had never been apart.
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
  /** The probing client when the group holds one client's probe resets (see the top of this file), else null. */
  client: string | null;
  /** Order of the group's first reset, and of each example frame and connection (to merge groups in report order). */
  firstSeq: number;
  frameSeqs: number[];
  connSeqs: number[];
}

/** The resets one scanning client caused, folded into one line (the report shows these instead of one group per port). */
export interface ScanFold {
  /** The scanner's address. */
  source: string;
  /** Its probe resets merged: count, verdicts, times, examples, evidence. */
  resets: ResetGroup;
  /** Resets by cause (`port_closed`: a closed port answered; `scan_probe`: the scanner reset an open port's SYN-ACK …). */
  byCause: Map<string, number>;
  /** Server endpoints ("addr:port") each cause concerned, first few (EXAMPLES × 4) per cause. */
  serversByCause: Map<string, string[]>;
}

/** What the text report shows: the groups left after folding, and the scans. */
export interface GroupView {
  groups: ResetGroup[];
  scans: ScanFold[];
}

/** True when a reset ended a connection before any data: a probe's (a scanner's SYN answered or reset). */
export function isProbeReset(r: Reset): boolean {
  return r.parent === undefined && (r.stage === 'handshake' || r.stage === 'established');
}

/** Recent reset ids remembered with their group key, so a consequence finds its parent's group. */
const PARENTS_REMEMBERED = 65_536;

/** The server endpoint a reset concerns: the responder of its connection (the destination when unknown). */
export function serverOf(r: Reset): string {
  return r.from === 'resp' ? endpointText(r.src, r.sport) : endpointText(r.dst, r.dport);
}

/** The client endpoint's address. */
export function clientOf(r: Reset): string {
  return r.from === 'resp' ? r.dst : r.src;
}

/** One server endpoint's groups of one cause: the shared one, and the probing clients' own (at most CLIENTS_COUNTED). */
interface CauseSlot {
  cause: string;
  shared: ResetGroup | undefined;
  /** Client address → its probe resets' group (addresses are the tracker's reused strings). */
  probes: Map<string, ResetGroup> | undefined;
}

/** The slot of `cause` among one server endpoint's (a handful: one per cause). */
function slotOfCause(slots: readonly CauseSlot[] | undefined, cause: string): CauseSlot | undefined {
  if (slots === undefined) return undefined;
  for (const s of slots) if (s.cause === cause) return s;
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
  private readonly byServer = new Map<string, Map<number, CauseSlot[]>>();
  /** The group of each of the most recent resets, for their consequences (ResetIdRing). */
  private readonly groupOfReset = new ResetIdRing<ResetGroup>(PARENTS_REMEMBERED);
  /** Resets that fell beyond MAX_GROUPS, by cause. */
  readonly overflow = new Map<string, number>();
  total = 0;

  constructor(private readonly multiCapture: boolean) {}

  /** Adds one reset. */
  add(r: Reset): void {
    const seq = this.total++;
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
    let slot = slotOfCause(this.byServer.get(addr)?.get(port), cause);
    // A probe's reset stays in its client's own group until the scans are known (see the top of this file).
    let client: string | null = null;
    let g: ResetGroup | undefined;
    if (isProbeReset(r)) {
      const c = clientOf(r);
      g = slot?.probes?.get(c);
      if (g !== undefined || (slot?.probes?.size ?? 0) < CLIENTS_COUNTED) client = c;
    }
    if (client === null) g = slot?.shared;
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
        client,
        firstSeq: seq,
        frameSeqs: [],
        connSeqs: [],
      };
      if (slot === undefined) slot = this.newSlot(addr, port, cause);
      if (client === null) {
        this.groups.set(`${cause} ${server}`, g);
        slot.shared = g;
      } else {
        this.groups.set(`${cause} ${server} ${client}`, g);
        if (slot.probes === undefined) slot.probes = new Map();
        slot.probes.set(client, g);
      }
    }
    this.groupOfReset.set(r.id, g);
    g.count++;
    if (r.verdict !== null) g.verdicts[r.verdict]++;
    if (r.ts < g.firstTs) g.firstTs = r.ts;
    if (r.ts > g.lastTs) g.lastTs = r.ts;
    if (g.frames.length < EXAMPLES) {
      g.frames.push(this.multiCapture ? `${r.capture}:${r.frame}` : String(r.frame));
      g.frameSeqs.push(seq);
    }
    if (r.conn !== null && g.conns.length < EXAMPLES && !g.conns.includes(r.conn)) {
      g.conns.push(r.conn);
      g.connSeqs.push(seq);
    }
    for (const e of r.evidence) g.evidence.set(e.code, (g.evidence.get(e.code) ?? 0) + 1);
    if (g.clients.size < CLIENTS_COUNTED) g.clients.add(clientOf(r));
    else if (!g.clients.has(clientOf(r))) g.clientsCapped = true;
  }

  /** A new slot for `cause` at server endpoint addr:port. */
  private newSlot(addr: string, port: number, cause: string): CauseSlot {
    const slot: CauseSlot = { cause, shared: undefined, probes: undefined };
    let ports = this.byServer.get(addr);
    if (ports === undefined) {
      ports = new Map();
      this.byServer.set(addr, ports);
    }
    const slots = ports.get(port);
    if (slots === undefined) ports.set(port, [slot]);
    else slots.push(slot);
    return slot;
  }

  /** Groups, largest first (forged before genuine at equal counts, then by first time), with no scan folded. */
  sorted(): ResetGroup[] {
    return this.view(new Set()).groups;
  }

  /** The groups with the probe resets of `scanSources` (addresses) folded into one ScanFold per source, both largest first. */
  view(scanSources: ReadonlySet<string>): GroupView {
    const shown = new Map<string, ResetGroup[]>();
    const scanned = new Map<string, ResetGroup[]>();
    for (const g of this.groups.values()) {
      if (g.client !== null && scanSources.has(g.client)) pushTo(scanned, g.client, g);
      else pushTo(shown, `${g.cause} ${g.server}`, g);
    }
    const groups = [...shown.values()].map((parts) => mergeGroups(parts, parts[0]?.cause ?? '', parts[0]?.server ?? ''));
    groups.sort(largestFirst);
    const scans = [...scanned.entries()].map(([source, parts]) => scanFoldOf(source, parts));
    scans.sort((a, b) => largestFirst(a.resets, b.resets));
    return { groups, scans };
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

/** Largest first, forged before genuine at equal counts, then the earliest; finally report order. */
function largestFirst(a: ResetGroup, b: ResetGroup): number {
  return b.count - a.count || b.verdicts.forged - a.verdicts.forged || a.firstTs - b.firstTs || a.firstSeq - b.firstSeq;
}

function pushTo(map: Map<string, ResetGroup[]>, key: string, g: ResetGroup): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [g]);
  else list.push(g);
}

/** One scanner's probe groups as a ScanFold. */
function scanFoldOf(source: string, parts: readonly ResetGroup[]): ScanFold {
  const byCause = new Map<string, number>();
  const serversByCause = new Map<string, string[]>();
  for (const g of [...parts].sort((a, b) => a.firstSeq - b.firstSeq)) {
    byCause.set(g.cause, (byCause.get(g.cause) ?? 0) + g.count);
    const servers = serversByCause.get(g.cause) ?? [];
    serversByCause.set(g.cause, servers);
    if (servers.length < EXAMPLES * 4 && !servers.includes(g.server)) servers.push(g.server);
  }
  return { source, resets: mergeGroups(parts, 'port_scan', source), byCause, serversByCause };
}

/** Several groups as one: counts and evidence summed, clients joined (capped), examples and hint of the first resets in report order. */
function mergeGroups(parts: readonly ResetGroup[], cause: string, server: string): ResetGroup {
  const first = parts.length === 1 ? parts[0] : undefined;
  if (first !== undefined && first.cause === cause && first.server === server) return first;
  const ordered = [...parts].sort((a, b) => a.firstSeq - b.firstSeq);
  const head = ordered[0];
  const g: ResetGroup = {
    cause,
    server,
    count: 0,
    verdicts: { genuine: 0, suspect: 0, forged: 0 },
    firstTs: Number.POSITIVE_INFINITY,
    lastTs: Number.NEGATIVE_INFINITY,
    frames: [],
    conns: [],
    evidence: new Map(),
    hint: head?.hint ?? null,
    signature: head?.signature ?? null,
    clients: new Set(),
    clientsCapped: false,
    consequences: 0,
    client: null,
    firstSeq: head?.firstSeq ?? 0,
    frameSeqs: [],
    connSeqs: [],
  };
  const frames: Array<[number, string]> = [];
  const conns: Array<[number, string]> = [];
  for (const p of ordered) {
    g.count += p.count;
    g.consequences += p.consequences;
    g.verdicts.genuine += p.verdicts.genuine;
    g.verdicts.suspect += p.verdicts.suspect;
    g.verdicts.forged += p.verdicts.forged;
    g.firstTs = Math.min(g.firstTs, p.firstTs);
    g.lastTs = Math.max(g.lastTs, p.lastTs);
    p.frames.forEach((f, i) => frames.push([p.frameSeqs[i] ?? 0, f]));
    p.conns.forEach((c, i) => conns.push([p.connSeqs[i] ?? 0, c]));
    for (const [code, n] of p.evidence) g.evidence.set(code, (g.evidence.get(code) ?? 0) + n);
    g.clientsCapped ||= p.clientsCapped;
    for (const c of p.clients) {
      if (g.clients.size < CLIENTS_COUNTED) g.clients.add(c);
      else if (!g.clients.has(c)) g.clientsCapped = true;
    }
  }
  frames.sort((a, b) => a[0] - b[0]);
  for (const [seq, f] of frames.slice(0, EXAMPLES)) {
    g.frames.push(f);
    g.frameSeqs.push(seq);
  }
  conns.sort((a, b) => a[0] - b[0]);
  for (const [seq, c] of conns) {
    if (g.conns.length >= EXAMPLES) break;
    if (g.conns.includes(c)) continue;
    g.conns.push(c);
    g.connSeqs.push(seq);
  }
  return g;
}
