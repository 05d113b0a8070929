/**
 * What correlation keeps of one capture point, in memory bounded whatever the capture's size:
 * - every RST sighting (up to MAX_RST_SIGHTINGS), with its fingerprint and the fields a report shows;
 * - a hash-based sample of all TCP packets for the clock estimate: trajectory sampling (Duffield
 *   and Grossglauser, "Trajectory sampling for direct traffic observation", SIGCOMM 2000) keeps a
 *   packet when a hash of its invariant fields falls under a threshold, so every point keeps the
 *   *same* packets and the samples still match; the threshold halves whenever the sample is full;
 * - per directed host pair and per directed flow: first and last time seen, packets, SYNs, TTLs,
 *   so that a point that never carried a connection is never called "absent" (asymmetric routing).
 *
 * A Linux cooked capture on a router (`tcpdump -i any`) holds a forwarded packet twice: as it
 * came in and as it went out one TTL lower (packet type PACKET_OUTGOING, linux/if_packet.h). The
 * two copies are one sighting at that point: the first is kept, the second noted as `forwarded`.
 */
import type { CaptureRecord } from '../capture/record.js';
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { type DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { Fingerprint, fingerprintPacket } from './fingerprint.js';

/** Packets of followed flows (the ladders' connections) kept per capture. */
export const MAX_FOLLOWED_PACKETS = 1_000_000;
/** RST sightings kept per capture; beyond, RSTs are still analysed but not correlated. */
export const MAX_RST_SIGHTINGS = 200_000;
/** Sampled packets kept per capture for the clock estimate. */
export const MAX_SAMPLE = 65_536;
/** Directed host pairs and directed flows tracked per capture; beyond, presence is "unknown", never "absent". */
export const MAX_HOST_PAIRS = 100_000;
export const MAX_FLOWS = 500_000;
/**
 * How far apart (seconds) the in and out copies of a forwarded packet may be. Forwarding takes
 * microseconds; a loaded router's queue can hold a packet for tens of milliseconds.
 */
export const FORWARD_WINDOW_S = 0.2;
/** Recent packets remembered to find the second copy of a forwarded packet. */
const RECENT_SLOTS = 8192;
/** linux/if_packet.h PACKET_OUTGOING: the capture point's host sent this copy. */
const PACKET_OUTGOING = 4;

/** One RST as one capture point saw it. */
export interface RstSighting {
  capture: number;
  frame: number;
  ts: number;
  ttl: number;
  key: number;
  payload: number;
  payloadKnown: boolean;
  flow: number;
  hosts: number;
  reverseHosts: number;
  /** Linux cooked captures: the host received (`in`) or sent (`out`) the first copy. */
  pkttype: 'in' | 'out' | null;
  /** The second copy of a forwarded RST at the same point. */
  forwarded: { frame: number; ts: number; ttl: number } | null;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
}

/** One sampled packet (see the file comment). `count` > 1: the fingerprint repeated at this point (ambiguous, not used for clocks). */
export interface SampledPacket {
  ts: number;
  ttl: number;
  hosts: number;
  sample: number;
  count: number;
}

/** Traffic of one directed host pair at one point. */
export interface HostPairStats {
  src: string;
  dst: string;
  reverse: number;
  first: number;
  last: number;
  packets: number;
  /** Pure SYNs (no ACK): who opens connections. */
  syns: number;
  minTtl: number;
  maxTtl: number;
  /** Packets seen twice, in and out (the point forwards this traffic: it is a router, not the sender). */
  forwarded: number;
}

/** One packet of a followed flow at one point. */
export interface FollowedPacket {
  frame: number;
  ts: number;
  ttl: number;
}

/** Traffic of one directed flow at one point (non-RST packets only in `packets`). */
export interface FlowStats {
  first: number;
  last: number;
  packets: number;
}

/** Collects one capture point's packets for correlation; feed it every decoded TCP packet. */
export class PointCollector {
  readonly rsts: RstSighting[] = [];
  rstsNotKept = 0;
  readonly sample = new Map<number, SampledPacket>();
  /** Packets are sampled when their `sample` hash is below this (2^32: all). */
  sampleThreshold = 0x100000000;
  readonly hostPairs = new Map<number, HostPairStats>();
  hostPairsOverflow = false;
  private readonly flowSlot = new Map<number, number>();
  private flowFirst = new Float64Array(1024);
  private flowLast = new Float64Array(1024);
  private flowPackets = new Uint32Array(1024);
  flowsOverflow = false;
  /** Forwarded packets merged (second copies). */
  forwardedCopies = 0;
  tcpPackets = 0;
  /** Followed flows (see `follow`): every packet by fingerprint, each frame's fingerprint, and the frames that were forwarded second copies. */
  readonly followed = new Map<number, FollowedPacket[]>();
  readonly followedKeyOf = new Map<number, number>();
  readonly secondCopies = new Set<number>();
  private followedCount = 0;
  private interest: ReadonlySet<number> | null = null;

  private readonly fp = new Fingerprint();
  private readonly recentIndex = new Map<number, number>();
  private readonly recentKey = new Float64Array(RECENT_SLOTS);
  private readonly recentTs = new Float64Array(RECENT_SLOTS);
  private readonly recentTtl = new Int16Array(RECENT_SLOTS);
  private readonly recentOut = new Uint8Array(RECENT_SLOTS);
  private readonly recentMerged = new Uint8Array(RECENT_SLOTS);
  private readonly recentHosts = new Float64Array(RECENT_SLOTS);
  /** Index into `rsts` of a recent RST, -1 otherwise. */
  private readonly recentRst = new Int32Array(RECENT_SLOTS).fill(-1);
  private recentNext = 0;

  constructor(readonly capture: number) {}

  /** Keeps every packet of these directed flows (hashes as fingerprint.ts computes them), up to MAX_FOLLOWED_PACKETS. */
  follow(flows: ReadonlySet<number>): void {
    this.interest = flows;
  }

  private noteFollowed(key: number, rec: CaptureRecord, ttl: number, secondCopy: boolean): void {
    if (this.followedCount >= MAX_FOLLOWED_PACKETS) return;
    this.followedCount++;
    this.followedKeyOf.set(rec.frame, key);
    if (secondCopy) {
      this.secondCopies.add(rec.frame);
      return;
    }
    const entry = { frame: rec.frame, ts: rec.ts, ttl };
    const list = this.followed.get(key);
    if (list === undefined) this.followed.set(key, [entry]);
    else list.push(entry);
  }

  /** Takes one decoded TCP packet (`pkt.isTcp`) of record `rec`. */
  add(rec: CaptureRecord, pkt: DecodedPacket): void {
    this.tcpPackets++;
    const fp = this.fp;
    fingerprintPacket(pkt, rec.data, fp);
    const out = pkt.sllPacketType === PACKET_OUTGOING;
    const followed = this.interest?.has(fp.flow) === true;
    if (this.mergeForwardedCopy(fp.key, rec, pkt, out)) {
      if (followed) this.noteFollowed(fp.key, rec, pkt.ttl, true);
      return;
    }
    if (followed) this.noteFollowed(fp.key, rec, pkt.ttl, false);

    const ts = rec.ts;
    const ttl = pkt.ttl;
    const rst = (pkt.flags & TCP_RST) !== 0;
    this.notePair(fp, pkt, ts, ttl);
    if (!rst) this.noteFlow(fp.flow, ts);
    let rstIndex = -1;
    if (rst) {
      if (this.rsts.length < MAX_RST_SIGHTINGS) {
        rstIndex = this.rsts.length;
        this.rsts.push({
          capture: this.capture,
          frame: rec.frame,
          ts,
          ttl,
          key: fp.key,
          payload: fp.payload,
          payloadKnown: fp.payloadKnown,
          flow: fp.flow,
          hosts: fp.hosts,
          reverseHosts: fp.reverseHosts,
          pkttype: pkt.sllPacketType < 0 ? null : out ? 'out' : 'in',
          forwarded: null,
          src: pkt.ipVersion === 4 ? formatIpv4(pkt.src4 >>> 0) : formatIpv6(pkt.src6),
          dst: pkt.ipVersion === 4 ? formatIpv4(pkt.dst4 >>> 0) : formatIpv6(pkt.dst6),
          sport: pkt.sport,
          dport: pkt.dport,
          seq: pkt.seq >>> 0,
          ack: pkt.ack >>> 0,
          flags: pkt.flags,
        });
      } else this.rstsNotKept++;
    }
    this.noteSample(fp, ts, ttl);
    this.remember(fp.key, ts, ttl, out, fp.hosts, rstIndex);
  }

  /**
   * A forwarded packet's second copy: the same fingerprint within FORWARD_WINDOW_S, one TTL lower
   * (ip_forward() decrements it, RFC 1812 §5.3.1) or marked outgoing after an incoming copy.
   * Returns true when `rec` was such a copy (and was noted on the first).
   */
  private mergeForwardedCopy(key: number, rec: CaptureRecord, pkt: DecodedPacket, out: boolean): boolean {
    const slot = this.recentIndex.get(key);
    if (slot === undefined || this.recentMerged[slot] === 1) return false;
    const dt = rec.ts - (this.recentTs[slot] as number);
    if (dt < 0 || dt > FORWARD_WINDOW_S) return false;
    const firstTtl = this.recentTtl[slot] as number;
    const sllInThenOut = pkt.sllPacketType >= 0 && out && this.recentOut[slot] === 0;
    if (!(firstTtl - pkt.ttl === 1 || (sllInThenOut && firstTtl - pkt.ttl >= 0))) return false;
    this.recentMerged[slot] = 1;
    this.forwardedCopies++;
    const pair = this.hostPairs.get(this.recentHosts[slot] as number);
    if (pair !== undefined) {
      pair.forwarded++;
      if (pkt.ttl < pair.minTtl) pair.minTtl = pkt.ttl;
    }
    const rstIndex = this.recentRst[slot] as number;
    const rst = rstIndex >= 0 ? this.rsts[rstIndex] : undefined;
    if (rst !== undefined) rst.forwarded = { frame: rec.frame, ts: rec.ts, ttl: pkt.ttl };
    return true;
  }

  /** Remembers a packet for a while, to recognise its forwarded copy. */
  private remember(key: number, ts: number, ttl: number, out: boolean, hosts: number, rstIndex: number): void {
    const slot = this.recentNext;
    this.recentNext = (slot + 1) % RECENT_SLOTS;
    const old = this.recentKey[slot] as number;
    if (this.recentIndex.get(old) === slot) this.recentIndex.delete(old);
    this.recentKey[slot] = key;
    this.recentTs[slot] = ts;
    this.recentTtl[slot] = ttl;
    this.recentOut[slot] = out ? 1 : 0;
    this.recentMerged[slot] = 0;
    this.recentHosts[slot] = hosts;
    this.recentRst[slot] = rstIndex;
    this.recentIndex.set(key, slot);
  }

  private notePair(fp: Fingerprint, pkt: DecodedPacket, ts: number, ttl: number): void {
    let pair = this.hostPairs.get(fp.hosts);
    if (pair === undefined) {
      if (this.hostPairs.size >= MAX_HOST_PAIRS) {
        this.hostPairsOverflow = true;
        return;
      }
      pair = {
        src: pkt.ipVersion === 4 ? formatIpv4(pkt.src4 >>> 0) : formatIpv6(pkt.src6),
        dst: pkt.ipVersion === 4 ? formatIpv4(pkt.dst4 >>> 0) : formatIpv6(pkt.dst6),
        reverse: fp.reverseHosts,
        first: ts,
        last: ts,
        packets: 0,
        syns: 0,
        minTtl: ttl,
        maxTtl: ttl,
        forwarded: 0,
      };
      this.hostPairs.set(fp.hosts, pair);
    }
    pair.packets++;
    if (ts < pair.first) pair.first = ts;
    if (ts > pair.last) pair.last = ts;
    if ((pkt.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) pair.syns++;
    if (ttl < pair.minTtl) pair.minTtl = ttl;
    if (ttl > pair.maxTtl) pair.maxTtl = ttl;
  }

  private noteFlow(flow: number, ts: number): void {
    let slot = this.flowSlot.get(flow);
    if (slot === undefined) {
      if (this.flowSlot.size >= MAX_FLOWS) {
        this.flowsOverflow = true;
        return;
      }
      slot = this.flowSlot.size;
      if (slot >= this.flowFirst.length) this.growFlows();
      this.flowSlot.set(flow, slot);
      this.flowFirst[slot] = ts;
      this.flowLast[slot] = ts;
    }
    if (ts < (this.flowFirst[slot] as number)) this.flowFirst[slot] = ts;
    if (ts > (this.flowLast[slot] as number)) this.flowLast[slot] = ts;
    this.flowPackets[slot] = (this.flowPackets[slot] as number) + 1;
  }

  private growFlows(): void {
    const n = this.flowFirst.length * 2;
    const first = new Float64Array(n);
    first.set(this.flowFirst);
    const last = new Float64Array(n);
    last.set(this.flowLast);
    const packets = new Uint32Array(n);
    packets.set(this.flowPackets);
    this.flowFirst = first;
    this.flowLast = last;
    this.flowPackets = packets;
  }

  /** The non-RST traffic of a directed flow at this point; null if never seen (or not tracked). */
  flow(flow: number): FlowStats | null {
    const slot = this.flowSlot.get(flow);
    if (slot === undefined) return null;
    return { first: this.flowFirst[slot] as number, last: this.flowLast[slot] as number, packets: this.flowPackets[slot] as number };
  }

  /** Directed flows tracked. */
  get flowCount(): number {
    return this.flowSlot.size;
  }

  private noteSample(fp: Fingerprint, ts: number, ttl: number): void {
    if (fp.sample >= this.sampleThreshold) return;
    const seen = this.sample.get(fp.key);
    if (seen !== undefined) {
      seen.count++;
      return;
    }
    this.sample.set(fp.key, { ts, ttl, hosts: fp.hosts, sample: fp.sample, count: 1 });
    if (this.sample.size > MAX_SAMPLE) this.halveSample();
  }

  /** Halves the sampling threshold and drops what no longer falls under it. */
  private halveSample(): void {
    while (this.sample.size > MAX_SAMPLE) {
      this.sampleThreshold = Math.floor(this.sampleThreshold / 2);
      for (const [key, entry] of this.sample) if (entry.sample >= this.sampleThreshold) this.sample.delete(key);
    }
  }
}
