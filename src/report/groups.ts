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

/**
 * Resets of one cause against one server endpoint. Lean while it counts (issue 13: the groups
 * were a third of what survived the young generation on the bench's 512 MiB mix, 6,888 groups
 * and 9 MB promoted, 4,932 of them of one reset, most a port scan's probes): the counters are
 * fields, the first reset's example, connection and client too, its evidence codes an array
 * shared by the groups whose first resets carry the same codes; the arrays of examples,
 * connections, clients and evidence counts are made with a second reset. What the report reads
 * of a group (`frames`, `verdicts`, `evidence`, `clients`, `server`) is built when it reads it,
 * for the few groups it shows.
 */
export class ResetGroup {
  count = 1;
  genuine = 0;
  suspect = 0;
  forged = 0;
  firstTs: number;
  lastTs: number;
  clientsCapped = false;
  /** `after_reset` consequences folded under this group's resets (their parents are here). */
  consequences = 0;
  /** "addr:port" of the server, once read (or given, for a merged group or a scan). */
  private serverText: string | null;
  /** The first reset's capture, frame, connection id and client. */
  private readonly capture0: number;
  private readonly frame0: number;
  private readonly conn0: string | null;
  private readonly client0: string;
  /** Evidence codes, first seen first (shared and frozen until `spread`). */
  private codes: string[];
  /** Made by `spread` (with a second reset, or for a merged group); null while the first reset's fields say it all. */
  private ex: number[] | null = null;
  private cs: string[] | null = null;
  private css: number[] | null = null;
  private counts: number[] | null = null;
  private cl: string[] | null = null;

  constructor(
    readonly cause: string,
    /** The server endpoint's address and port (the connection's responder). */
    private readonly addr: string,
    private readonly port: number,
    serverText: string | null,
    r: Reset | null,
    /** The probing client when the group holds one client's probe resets (see the top of this file), else null. */
    readonly client: string | null,
    /** Order of the group's first reset (to merge groups in report order). */
    readonly firstSeq: number,
    /** The first reset's hint and signature. */
    readonly hint: string | null,
    readonly signature: string | null,
    /** Several captures: example frames read "capture:frame". */
    readonly multiCapture: boolean,
  ) {
    this.serverText = serverText;
    if (r === null) {
      // A merged group (mergeGroups fills it).
      this.count = 0;
      this.firstTs = Number.POSITIVE_INFINITY;
      this.lastTs = Number.NEGATIVE_INFINITY;
      this.capture0 = 0;
      this.frame0 = 0;
      this.conn0 = null;
      this.client0 = '';
      this.codes = stringList([]);
      this.ex = [];
      this.cs = [];
      this.css = [];
      this.counts = [];
      this.cl = [];
      return;
    }
    if (r.verdict !== null) this.countVerdict(r.verdict);
    this.firstTs = r.ts;
    this.lastTs = r.ts;
    this.capture0 = r.capture;
    this.frame0 = r.frame;
    this.conn0 = r.conn;
    this.client0 = clientOf(r);
    this.codes = sharedCodes(r.evidence);
  }

  /** Counts one more reset of the group (the `seq`th of the report). */
  add(r: Reset, seq: number): void {
    if (this.ex === null) this.spread();
    this.count++;
    if (r.verdict !== null) this.countVerdict(r.verdict);
    if (r.ts < this.firstTs) this.firstTs = r.ts;
    if (r.ts > this.lastTs) this.lastTs = r.ts;
    const ex = this.ex as number[];
    if (ex.length < EXAMPLES * 3) ex.push(seq, r.capture, r.frame);
    const cs = this.cs as string[];
    if (r.conn !== null && cs.length < EXAMPLES && !cs.includes(r.conn)) {
      cs.push(r.conn);
      (this.css as number[]).push(seq);
    }
    // Indexed: a for-of here allocated an iterator result per evidence entry (~100 bytes per reset
    // of a flood's text run): the lists come in several shapes (made to measure, a digest's frozen one).
    const evidence = r.evidence;
    for (let i = 0; i < evidence.length; i++) this.countEvidence((evidence[i] as { code: string }).code, 1);
    this.countClient(clientOf(r));
  }

  /** The arrays the first reset's fields stood for, made for more. */
  private spread(): void {
    this.ex = [this.firstSeq, this.capture0, this.frame0];
    this.cs = this.conn0 === null ? [] : [this.conn0];
    this.css = this.conn0 === null ? [] : [this.firstSeq];
    this.codes = stringList(this.codes);
    this.counts = new Array<number>(this.codes.length).fill(1);
    this.cl = [this.client0];
  }

  /** One more reset with verdict `v`. */
  private countVerdict(v: Verdict): void {
    if (v === 'genuine') this.genuine++;
    else if (v === 'suspect') this.suspect++;
    else this.forged++;
  }

  /** `n` more resets carrying evidence `code` (a spread or merged group). */
  private countEvidence(code: string, n: number): void {
    const counts = this.counts as number[];
    const at = this.codes.indexOf(code);
    if (at < 0) {
      this.codes.push(code);
      counts.push(n);
    } else counts[at] = (counts[at] ?? 0) + n;
  }

  /** A client of one more reset (a spread or merged group): counted while under CLIENTS_COUNTED, else only noted as capped. */
  private countClient(c: string): void {
    const cl = this.cl as string[];
    if (cl.includes(c)) return;
    if (cl.length < CLIENTS_COUNTED) cl.push(c);
    else this.clientsCapped = true;
  }

  /** Folds `p` into this merged group: counts, times, evidence and clients (examples and connections: mergeGroups, in report order). */
  absorb(p: ResetGroup): void {
    this.count += p.count;
    this.consequences += p.consequences;
    this.genuine += p.genuine;
    this.suspect += p.suspect;
    this.forged += p.forged;
    this.firstTs = Math.min(this.firstTs, p.firstTs);
    this.lastTs = Math.max(this.lastTs, p.lastTs);
    const counts = p.evidenceCounts;
    p.evidenceCodes.forEach((code, i) => this.countEvidence(code, counts[i] ?? 0));
    this.clientsCapped ||= p.clientsCapped;
    for (const c of p.clientList) this.countClient(c);
  }

  /** The first EXAMPLES resets' report order, capture and frame, three numbers each, in report order (a merged group's may be pushed to). */
  get examples(): number[] {
    return this.ex ?? [this.firstSeq, this.capture0, this.frame0];
  }

  /** The first few distinct connection ids, in report order (a merged group's may be pushed to). */
  get conns(): string[] {
    return this.cs ?? (this.conn0 === null ? [] : [this.conn0]);
  }

  /** The report order of the reset each of `conns` came with. */
  get connSeqs(): number[] {
    return this.css ?? (this.conn0 === null ? [] : [this.firstSeq]);
  }

  /** Evidence codes, first seen first. */
  get evidenceCodes(): readonly string[] {
    return this.codes;
  }

  /** How many resets of the group carry each of `evidenceCodes`. */
  get evidenceCounts(): readonly number[] {
    return this.counts ?? this.codes.map(() => 1);
  }

  /** Distinct clients, first seen first (at most CLIENTS_COUNTED; `clientsCapped` then). */
  get clientList(): readonly string[] {
    return this.cl ?? [this.client0];
  }

  /** "addr:port" of the server (the connection's responder) the resets concern. */
  get server(): string {
    if (this.serverText === null) this.serverText = endpointText(this.addr, this.port);
    return this.serverText;
  }

  /** Resets by verdict. */
  get verdicts(): Record<Verdict, number> {
    return { genuine: this.genuine, suspect: this.suspect, forged: this.forged };
  }

  /** The first few resets' "capture:frame" (or frame), in report order. */
  get frames(): string[] {
    const ex = this.examples;
    const out: string[] = [];
    for (let i = 0; i < ex.length; i += 3) out.push(this.multiCapture ? `${ex[i + 1]}:${ex[i + 2]}` : String(ex[i + 2]));
    return out;
  }

  /** The report order of each example frame. */
  get frameSeqs(): number[] {
    const ex = this.examples;
    const out: number[] = [];
    for (let i = 0; i < ex.length; i += 3) out.push(ex[i] as number);
    return out;
  }

  /** Evidence codes by how many resets of the group carry them (first seen first). */
  get evidence(): Map<string, number> {
    const counts = this.evidenceCounts;
    return new Map(this.codes.map((code, i) => [code, counts[i] ?? 0]));
  }

  /** Distinct clients (at most CLIENTS_COUNTED; `clientsCapped` then). */
  get clients(): Set<string> {
    return new Set(this.clientList);
  }
}

/** Evidence code lists shared by groups (frozen), by their codes joined; bounded (sharing is only a saving). */
const CODE_LISTS = new Map<string, string[]>();
const CODE_LISTS_KEPT = 4096;

/**
 * A copy of `codes` that is a list of strings even when empty (made from a one-string literal,
 * emptied: an array never goes back to a narrower kind of elements). A slice of an empty list
 * was a list of small integers until its first push: a second map for the code that reads a
 * group's codes, and the first group whose first reset had no evidence, spread after TurboFan
 * compiled ResetGroups.add (which inlines countEvidence), deoptimised it ("wrong map",
 * --trace-deopt on the bench's mix, text).
 */
function stringList(codes: readonly string[]): string[] {
  const list = [''];
  list.length = 0;
  for (let i = 0; i < codes.length; i++) list.push(codes[i] as string);
  return list;
}

/** The distinct evidence codes of one reset, in its order: one frozen array shared by every group whose first reset carries the same. */
function sharedCodes(evidence: readonly { code: string }[]): string[] {
  let key = '';
  for (const e of evidence) key += `${e.code} `;
  const known = CODE_LISTS.get(key);
  if (known !== undefined) return known;
  const codes: string[] = [];
  for (const e of evidence) if (!codes.includes(e.code)) codes.push(e.code);
  const list = Object.freeze(codes.slice()) as string[];
  if (CODE_LISTS.size < CODE_LISTS_KEPT) CODE_LISTS.set(key, list);
  return list;
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
  /** The probing clients' groups (at most CLIENTS_COUNTED, searched by client: most slots have one, a Map each was most of a scan's memory). */
  probes: ResetGroup[] | undefined;
}

/** The slot of `cause` among one server endpoint's (a handful: one per cause). */
function slotOfCause(slots: readonly CauseSlot[] | undefined, cause: string): CauseSlot | undefined {
  if (slots === undefined) return undefined;
  for (const s of slots) if (s.cause === cause) return s;
  return undefined;
}

/** The probing client `client`'s group among a slot's, if any. */
function probeGroupOf(probes: readonly ResetGroup[] | undefined, client: string): ResetGroup | undefined {
  if (probes === undefined) return undefined;
  for (const g of probes) if (g.client === client) return g;
  return undefined;
}

/** Accumulates resets into groups, in bounded memory. */
export class ResetGroups {
  /** Every group, in the order of its first reset. */
  private readonly groups: ResetGroup[] = [];
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
  /**
   * The group the last reset went to, and what found it: server address and port, cause, and the
   * probing client (null for a reset that is not a probe's). A flood's or a scan's resets come
   * one group at a time, and a reset with the same four finds the same group (groups are never
   * dropped nor re-keyed, and a slot's shared group, once made, stays), so it is taken without
   * the two Map lookups and the walk over the slot's probing clients (up to CLIENTS_COUNTED).
   */
  private lastGroup: ResetGroup | undefined = undefined;
  private lastAddr = '';
  private lastPort = -1;
  private lastCause = '';
  private lastClient: string | null = null;

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
    const probeClient = isProbeReset(r) ? clientOf(r) : null;
    const last = this.lastGroup;
    if (last !== undefined && addr === this.lastAddr && port === this.lastPort && cause === this.lastCause && probeClient === this.lastClient) {
      last.add(r, seq);
      this.groupOfReset.set(r.id, last);
      return;
    }
    let slot = slotOfCause(this.byServer.get(addr)?.get(port), cause);
    // A probe's reset stays in its client's own group until the scans are known (see the top of this file).
    let client: string | null = null;
    let g: ResetGroup | undefined;
    if (probeClient !== null) {
      g = probeGroupOf(slot?.probes, probeClient);
      if (g !== undefined || (slot?.probes?.length ?? 0) < CLIENTS_COUNTED) client = probeClient;
    }
    if (client === null) g = slot?.shared;
    if (g !== undefined) {
      g.add(r, seq);
    } else {
      if (this.groups.length >= MAX_GROUPS) {
        this.overflow.set(cause, (this.overflow.get(cause) ?? 0) + 1);
        return;
      }
      g = new ResetGroup(cause, addr, port, null, r, client, seq, r.hint, r.signature, this.multiCapture);
      this.groups.push(g);
      if (slot === undefined) slot = this.newSlot(addr, port, cause);
      if (client === null) slot.shared = g;
      else if (slot.probes === undefined) slot.probes = [g];
      else slot.probes.push(g);
    }
    this.groupOfReset.set(r.id, g);
    this.lastGroup = g;
    this.lastAddr = addr;
    this.lastPort = port;
    this.lastCause = cause;
    this.lastClient = probeClient;
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
    for (const g of this.groups) {
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
    return this.groups.length;
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
  return b.count - a.count || b.forged - a.forged || a.firstTs - b.firstTs || a.firstSeq - b.firstSeq;
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
  const g = new ResetGroup(cause, '', 0, server, null, null, head?.firstSeq ?? 0, head?.hint ?? null, head?.signature ?? null, head?.multiCapture ?? false);
  const examples: number[][] = [];
  const conns: Array<[number, string]> = [];
  for (const p of ordered) {
    g.absorb(p);
    const ex = p.examples;
    for (let i = 0; i < ex.length; i += 3) examples.push(ex.slice(i, i + 3));
    const seqs = p.connSeqs;
    p.conns.forEach((c, i) => conns.push([seqs[i] ?? 0, c]));
  }
  examples.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
  for (const ex of examples.slice(0, EXAMPLES)) g.examples.push(...ex);
  conns.sort((a, b) => a[0] - b[0]);
  for (const [seq, c] of conns) {
    if (g.conns.length >= EXAMPLES) break;
    if (g.conns.includes(c)) continue;
    g.conns.push(c);
    g.connSeqs.push(seq);
  }
  return g;
}
