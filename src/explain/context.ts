/**
 * What the explain stage remembers across connections, in bounded memory: the hop distances each
 * host's packets arrive with (a baseline when a connection has no packet of its own from the
 * RST's claimed sender), which server ports accepted connections, when each 4-tuple last closed (port reuse),
 * and which sources probe many ports (scans). Pure data; explain functions read it, and
 * `learnFrom` is the only writer.
 */
import { TCP_RST } from '../decode/packet.js';
import type { Reset } from '../model/report.js';
import { ipv4Strict } from '../net/ipv4Text.js';
import type { FinishedConnection, PacketRecord } from '../track/finished.js';
import { initialTtlOf } from '../track/tracker.js';
import { CloseTimes } from './closeTimes.js';
import { type HopRange, HostHops } from './hostHops.js';
import { ipv6WordsInto } from './ipv6Words.js';
import { LastResets } from './lastResets.js';
import { NONE, RecentKeys, widen } from './recentKeys.js';

export type { HopRange } from './hostHops.js';

/** Bound on each map: oldest entries are dropped first (Map keeps insertion order). */
export const CONTEXT_LIMIT = 200_000;
/** Ports remembered per scanning source. */
const PORTS_PER_SOURCE = 4096;

/** One source's probing so far. */
export interface SourceProbes {
  ports: Set<number>;
  targets: Set<string>;
  first: number;
  last: number;
  probes: number;
  /** Probes by kind: `syn` (half-open), `connect` (full handshake, no data), `odd_flags`. */
  kinds: Record<string, number>;
  /** Probes answered by a RST from the target (closed ports). */
  refused: number;
}

/** Resets counted per second of capture time, for storm detection. */
export const STORM_BUCKETS_LIMIT = 1_000_000;

/** One kept iterator per bounded map: it rests just past the last evicted (oldest) key. */
const oldestKeys = new WeakMap<Map<unknown, unknown>, Iterator<unknown>>();

/** Sets `key` as the newest entry of `map`, dropping the oldest when `limit` entries are held. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  // delete() says whether the key was there: one lookup instead of has() and then delete().
  if (!map.delete(key) && map.size >= limit) {
    // Resuming a kept iterator finds the oldest key at once; a fresh map.keys() steps over every
    // entry deleted since V8 last compacted the table, which made floods quadratic. Everything
    // before the iterator was evicted or deleted, so its next key is still the oldest one.
    let keys = oldestKeys.get(map) as Iterator<K> | undefined;
    let oldest = keys?.next();
    if (keys === undefined || oldest === undefined || oldest.done) {
      keys = map.keys();
      oldestKeys.set(map, keys);
      oldest = keys.next();
    }
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** Cross-connection memory of one capture. */
export class ExplainContext {
  /** Hop-distance range per host (see HopRange); bounded as the maps are. */
  readonly hostHops: HostHops;
  /**
   * Hosts whose packets this capture point saw twice each (arriving, then forwarded one TTL
   * lower), mapped to true. Only `true` is kept: readers take a missing host for false, so a
   * host's `false` verdict deletes its entry instead of writing one (a Map delete and set
   * per side of most connections of an ordinary capture, none now). The bound keeps the CONTEXT_LIMIT hosts most
   * recently found forwarded; within the bound every answer equals that of the Map of every
   * verdict this was, and past it a forwarded host is remembered longer, never shorter.
   */
  readonly forwardedHere = new Map<string, boolean>();
  /** 4-tuple (either orientation) → the last root reset on it; bounded as the maps are. */
  readonly lastReset: LastResets;
  /**
   * Responders that answered a SYN with a SYN-ACK (address and port; an IPv6 address as four
   * words and the port, a wide key; other text by "addr|port"),
   * in the order last seen accepting, bounded as the maps are; `openPortTimes` by slot: when.
   */
  readonly openPorts: RecentKeys;
  private openPortTimes = new Float64Array(0);
  /** 4-tuple (its `tupleKey` text) → time the last connection on it ended (FIN or RST); bounded as the maps are. */
  readonly lastClose: CloseTimes;
  readonly sources = new Map<string, SourceProbes>();
  /** Resets per whole second of capture time, and the most frequent sender per second. */
  readonly resetsPerSecond = new Map<number, { count: number; senders: Map<string, number> }>();

  /**
   * TTL of the latest SYN-ACK each IPv4 host sent, learned live (key: the address as an int32,
   * `addr | 0`: a Smi, where an unsigned address from 128.0.0.0 up is a heap number boxed per call).
   */
  readonly synAckTtl4 = new Map<number, number>();
  /** The same for IPv6 hosts (key: the address as text). */
  readonly synAckTtl6 = new Map<string, number>();

  /** `limit`: entries each table keeps at most (tests use a small one). */
  constructor(private readonly limit = CONTEXT_LIMIT) {
    this.hostHops = new HostHops(limit);
    this.lastReset = new LastResets(limit);
    this.openPorts = new RecentKeys(limit, 5);
    this.lastClose = new CloseTimes(limit);
  }

  /**
   * Notes the TTL of a SYN-ACK as it passes: a host's kernel answers SYNs itself, so its SYN-ACK
   * carries the host's real TTL over this path (crafted SYNs from scanners carry anything and
   * are not used). Learned per packet, not per finished connection, so a long-lived connection
   * vouches for its server while it is still open.
   */
  noteSynAck4(addr: number, ttl: number): void {
    const key = addr | 0;
    if (this.synAckTtl4.get(key) !== ttl) remember(this.synAckTtl4, key, ttl, this.limit);
  }

  /** IPv6 form of noteSynAck4. */
  noteSynAck6(addr: string, ttl: number): void {
    if (this.synAckTtl6.get(addr) !== ttl) remember(this.synAckTtl6, addr, ttl, this.limit);
  }

  /** The hop-distance range of a host from other connections (and SYN-ACKs seen so far), or null. */
  hopsOf(addr: string): HopRange | null {
    const known = this.hostHops.get(addr);
    if (known) return known;
    const live = addr.includes(':') ? this.synAckTtl6.get(addr) : this.synAckTtl4.get(ipv4Number(addr) | 0);
    if (live === undefined) return null;
    const hops = initialTtlOf(live) - live;
    return { min: hops, max: hops, initials: [initialTtlOf(live)], packets: 1 };
  }

  /**
   * `hopsOf(addr)?.packets ?? 0` without building the range (explain/deferral.ts asks it of every
   * connection refused in a server's name: two objects per ask, and per connection in a SYN flood).
   */
  hopPacketsOf(addr: string): number {
    const known = this.hostHops.packetsOf(addr);
    if (known >= 0) return known;
    const live = addr.includes(':') ? this.synAckTtl6.get(addr) : this.synAckTtl4.get(ipv4Number(addr) | 0);
    return live === undefined ? 0 : 1;
  }

  /** Time the server port was last seen accepting (SYN-ACK), or null. */
  openSince(addr: string, port: number): number | null {
    const n = ipv4Strict(addr);
    let slot: number;
    if (n >= 0) slot = this.openPorts.find(n, port, 0);
    else if (this.wideOpenPort(addr, port)) slot = this.openPorts.findWide();
    else slot = this.openPorts.findText(`${addr}|${port}`);
    return slot === NONE ? null : (this.openPortTimes[slot] as number);
  }

  /** Distinct ports this source had probed on its targets so far. */
  probesOf(addr: string): SourceProbes | null {
    return this.sources.get(addr) ?? null;
  }

  /** Records what a finished connection teaches about its hosts, ports and tuple (`explained`: its resets, for split-off connections). */
  learnFrom(conn: FinishedConnection, explained: readonly Reset[] = []): void {
    for (let i = explained.length - 1; i >= 0; i--) {
      const r = explained[i] as Reset;
      if (r.parent !== undefined) continue;
      this.lastReset.remember(conn, r.id, r.capture, r.frame, r.ts, r.hint);
      break;
    }
    // Two plain calls, not a loop over [[addr, side], …]: that allocated three arrays per connection.
    if (conn.orig.ttl !== null) this.hostHops.learn(conn.origAddr, conn.orig.ttl);
    if (conn.resp.ttl !== null) this.hostHops.learn(conn.respAddr, conn.resp.ttl);
    this.learnForwarding(conn, 'orig');
    this.learnForwarding(conn, 'resp');
    if (conn.handshake.synAckTs !== null) this.learnOpenPort(conn.respAddr, conn.respPort, conn.handshake.synAckTs);
    const resets = conn.resets;
    // All three read for every connection (no short-circuit): a read first reached after TurboFan
    // compiled this function (the first connection closed by the responder's FIN alone) had no
    // type feedback and deoptimised it (--trace-deopt on the bench's mix: up to three times a run).
    const closed = (resets.length > 0 ? 1 : 0) + (conn.orig.finCount > 0 ? 1 : 0) + (conn.resp.finCount > 0 ? 1 : 0) > 0;
    if (closed) this.lastClose.set(conn, conn.lastPacketTs);
    if (resets.length > 0) this.learnResets(conn);
    // A connection in which no data flowed either way counts as a probe by its originator.
    if (conn.orig.size === 0 && conn.resp.size === 0) {
      const refused = answeredByResponder(resets);
      if (conn.handshake.synTs !== null || refused) this.learnProbe(conn, refused);
    }
  }

  /** Notes that the server port accepted at `ts` (it becomes the newest entry, as a Map's delete and set made it). */
  private learnOpenPort(addr: string, port: number, ts: number): void {
    const n = ipv4Strict(addr);
    let slot: number;
    if (n >= 0) slot = this.openPorts.claim(n, port, 0);
    else if (this.wideOpenPort(addr, port)) slot = this.openPorts.claimWide();
    else slot = this.openPorts.claimText(`${addr}|${port}`);
    if (slot >= this.openPortTimes.length) this.openPortTimes = widen(this.openPortTimes, this.openPorts.capacity);
    this.openPortTimes[slot] = ts;
  }

  /** Writes an IPv6 server port's wide key (the address's four words, the port) to openPorts' `wide`; false when `addr` is not IPv6 as the tracker writes it. */
  private wideOpenPort(addr: string, port: number): boolean {
    const w = this.openPorts.wide;
    if (!ipv6WordsInto(addr, w, 0)) return false;
    w[4] = port;
    return true;
  }

  /** Notes whether every packet of one side was seen twice here (a router's `any` capture); see `forwardedHere`. */
  private learnForwarding(conn: FinishedConnection, side: 'orig' | 'resp'): void {
    const twinned = twinnedSegments(conn, side);
    if (twinned === null) return;
    const addr = side === 'orig' ? conn.origAddr : conn.respAddr;
    if (twinned) remember(this.forwardedHere, addr, true, this.limit);
    else if (this.forwardedHere.size > 0) this.forwardedHere.delete(addr);
  }

  /** Counts the connection's RSTs per second of capture time and per sender. */
  private learnResets(conn: FinishedConnection): void {
    for (const r of conn.resets) {
      const second = Math.floor(r.ts);
      let bucket = this.resetsPerSecond.get(second);
      if (!bucket) {
        if (this.resetsPerSecond.size >= STORM_BUCKETS_LIMIT) continue;
        bucket = { count: 0, senders: new Map() };
        this.resetsPerSecond.set(second, bucket);
      }
      bucket.count++;
      const senderAddr = r.direction === 'orig' ? conn.origAddr : conn.respAddr;
      // One lookup for a sender already counted (most: a storm's resets come from a few hosts).
      const known = bucket.senders.get(senderAddr);
      if (known !== undefined) bucket.senders.set(senderAddr, known + 1);
      else if (bucket.senders.size < 64) bucket.senders.set(senderAddr, 1);
    }
  }

  /** Counts a connection without data as a probe by its originator (`refused`: the target answered with a RST). */
  private learnProbe(conn: FinishedConnection, refused: boolean): void {
    let s = this.sources.get(conn.origAddr);
    if (!s) {
      s = { ports: new Set(), targets: new Set(), first: conn.startTs, last: conn.startTs, probes: 0, kinds: {}, refused: 0 };
      remember(this.sources, conn.origAddr, s, this.limit);
    }
    const firstFlags = conn.keptFirstFlags;
    const kind = (firstFlags & 0x02) === 0 || (firstFlags & 0x05) !== 0 ? 'odd_flags' : conn.handshake.ackTs !== null ? 'connect' : 'syn';
    s.kinds[kind] = (s.kinds[kind] ?? 0) + 1;
    if (refused) s.refused++;
    if (s.ports.size < PORTS_PER_SOURCE) s.ports.add(conn.respPort);
    if (s.targets.size < 64) s.targets.add(conn.respAddr);
    s.probes++;
    s.first = Math.min(s.first, conn.startTs);
    s.last = Math.max(s.last, conn.startTs);
  }
}

/** True when one of the RSTs came from the responder (a loop: `some` with an arrow allocated a closure per probe). */
function answeredByResponder(resets: FinishedConnection['resets']): boolean {
  for (let i = 0; i < resets.length; i++) if (resets[i]?.direction === 'resp') return true;
  return false;
}

/** The connection's 4-tuple as a key. */
export function tupleKey(conn: { origAddr: string; origPort: number; respAddr: string; respPort: number }): string {
  return `${conn.origAddr}|${conn.origPort}|${conn.respAddr}|${conn.respPort}`;
}

/** True when a packet record is a RST. */
export function isRst(p: { flags: number }): boolean {
  return (p.flags & TCP_RST) !== 0;
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number (NaN-free: bad text gives 0). */
export function ipv4Number(addr: string): number {
  // A plain dotted quad is read in place: split() made an array and four strings per reset looked up.
  const n = ipv4Strict(addr);
  return n >= 0 ? n : ipv4NumberOfOddText(addr);
}

/** ipv4Number's rule for anything but a plain dotted quad: each dot-separated part as a Number, low byte. */
function ipv4NumberOfOddText(addr: string): number {
  const parts = addr.split('.');
  let n = 0;
  for (const p of parts) n = (n * 256 + (Number(p) & 0xff)) >>> 0;
  return n >>> 0;
}

/** Packets of one side that a forwarding capture point shows twice are this many, at least, before the side counts as forwarded here. */
export const TWINS_NEEDED = 2;

/** True when `q` is `p` seen again after one forwarding hop: same segment and IP ID, TTL one lower, within a second. */
export function isForwardedTwin(p: PacketRecord, q: PacketRecord): boolean {
  return (
    p.direction === q.direction &&
    p.seq === q.seq &&
    p.ack === q.ack &&
    p.flags === q.flags &&
    p.ipId === q.ipId &&
    p.payloadLen === q.payloadLen &&
    q.ttl === p.ttl - 1 &&
    Math.abs(q.ts - p.ts) < 1
  );
}

/**
 * Whether the kept non-RST packets of `side` all came in forwarded pairs (true), or none did
 * (false); null when too few packets or a mix say nothing. A Linux `tcpdump -i any` on a router
 * records a forwarded packet on the way in and again on the way out, one TTL lower
 * (ip_forward → ip_decrease_ttl); the router's own packets appear once, leaving.
 */
export function twinnedSegments(conn: FinishedConnection, side: 'orig' | 'resp'): boolean | null {
  const pairs = side === 'orig' ? conn.origPairs : conn.respPairs;
  const singles = side === 'orig' ? conn.origSingles : conn.respSingles;
  if (pairs >= TWINS_NEEDED && singles === 0) return true;
  if (singles >= TWINS_NEEDED && pairs === 0) return false;
  return null;
}

/**
 * Kept non-RST packets of `side` seen as forwarded pairs (the packet, then its twin one TTL lower
 * right after it: isForwardedTwin), and seen once. Counted by the tracker as it drains the
 * connection's records (track/recordPool.ts forwardingCountsOf), so that a connection needs no
 * packet objects for it.
 */
export function forwardingCounts(conn: FinishedConnection, side: 'orig' | 'resp'): { pairs: number; singles: number } {
  return side === 'orig' ? { pairs: conn.origPairs, singles: conn.origSingles } : { pairs: conn.respPairs, singles: conn.respSingles };
}
