/**
 * Connection tracking exactly as Zeek does it: per-endpoint passive states, history letters,
 * conn_state, sequence-space sizes, content gaps and Zeek's session timers, all driven by
 * capture time. This file is the façade the pipeline uses; the logic is a line-by-line port of
 * Zeek's TCP analyzer, split as Zeek splits it (paths relative to the zeek/zeek repository):
 *
 *   connTable.ts      slots, free list, hash table, IPv6 pool   src/session/Manager.cc, IPBasedAnalyzer.cc (NewConn)
 *   sessionAdapter.ts the per-packet state machine              src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 *   endpoint.ts       per-side state, sizes, sequence wraps     src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}
 *   reassembly.ts     delivered ranges, gaps, EOF               src/analyzer/protocol/tcp/TCP_Reassembler.cc
 *   history.ts        the history letters                       src/Conn.cc CheckHistory, ScaledHistoryEntry
 *   timers.ts         attempt/expire/reset/delete/inactivity    TCPSessionAdapter.cc timers, init-bare.zeek tcp_*
 *   zeekState.ts      conn_state                                scripts/base/protocols/conn/main.zeek
 *   fastPath.ts       Process for the common packet (an in-window segment of an established
 *                     connection), with only the writes Process makes for it
 *   baselines.ts, packetRing.ts, rstLog.ts, recordPool.ts: what explain reads (TTL, IP ID, timing,
 *   the kept packets, every RST with a snapshot of its connection); finish.ts builds the record.
 *
 * Constants are imported by name: esbuild inlines an imported primitive `const` as a literal in
 * the bundle `analyze` runs (dist/bundle/analyze.cjs reads `(pkt.flags&CONTROL)!==16` in
 * inWindowSegment), where the module-local copies (`const { TCP_ACK } = packetModule`) that
 * sessions 7-8 kept for TurboFan stayed runtime reads from the namespace object; the plain
 * ES modules of dist/src (tests, the library entry) read an imported binding from its cell.
 *
 * Memory: state.ts holds every column once (structure-of-arrays over typed arrays, no object per
 * connection while it lives). The per-packet path allocates nothing, except for rare events
 * (out-of-order segments, RST payload bytes, histories longer than 15 letters).
 */
import type { CaptureRecord } from '../capture/record.js';
import { BAD_CHECKSUM_TCP } from '../decode/checksum.js';
import { type DecodedPacket, TCP_RST, TCP_SYN } from '../decode/packet.js';
import type { Direction } from '../model/report.js';
import { foldV6, tupleHashV4, tupleHashV6 } from '../net/flowHash.js';
import { observe } from './baselines.js';
import { columnBytes } from './columns.js';
import { lookup, newConn, senderSide } from './connTable.js';
import { inWindowSegment } from './fastPath.js';
import { connIdOf, finishAll, finishSlot } from './finish.js';
import { lookupHeld, noteClosing } from './heldConns.js';
import { H_BAD_CHECKSUM, scaled } from './history.js';
import { recordRst } from './rstLog.js';
import { isReuse, process } from './sessionAdapter.js';
import { F_REUSED, HELD_PER_SLOT, ORIG, RESP, type Side, TrackState, type TrackerOptions, type TrackerSink } from './state.js';
import { advance, evictOne, reschedule } from './timers.js';
import { W_BAD_CHECKSUM, setWeird } from './weirds.js';

export { initialTtlOf } from '../net/ttl.js';
export { ZEEK_LIKELY_SERVER_PORTS, type TrackerOptions, type TrackerSink } from './state.js';

/** What trackPacket says about one packet (a reused object, valid until the next call). */
export interface PacketVerdict {
  /** The packet was TCP and belongs to a connection. */
  tracked: boolean;
  /** 1-based connection number within the capture (see Tracker.connId). */
  connNumber: number;
  /** Sender's role at the time of the packet. */
  direction: Direction;
  isRst: boolean;
  /** 0-based index of this RST within its connection, -1 if not a RST. */
  rstIndex: number;
  /** The packet started a new connection (first packet or a reuse of the tuple). */
  newConnection: boolean;
}

/** Table statistics (for the benchmark and progress output). */
export interface TrackerStats {
  live: number;
  /** Most connections live at once. */
  peakLive: number;
  finished: number;
  capacity: number;
  /** Bytes of typed-array state per connection slot (table columns + hash share). */
  bytesPerConnection: number;
  /** All typed-array bytes held (table, hash, heap, pools). */
  totalBytes: number;
  ringRecords: number;
  ringRecordsDropped: number;
  rstRecords: number;
  evicted: number;
  packets: number;
  /** Packets that took the fast path (in-window segments of established connections). */
  fastPackets: number;
  /** Packets whose connection the last-tuple hint found without a table lookup. */
  hintPackets: number;
  /** Connections held packed in their close delay now (heldConns.ts), counted in `live`. */
  held: number;
  /** Bytes of the held connections' store (entries, hash table, arena, templates: heldStore.ts). */
  heldBytes: number;
  /** Bytes of packed connections in its arena. */
  heldArenaBytes: number;
  /** Connections packed so far (a connection may be packed more than once). */
  heldPacked: number;
  /** Held connections unpacked by a late packet. */
  heldUnpackedEarly: number;
}

/** Packets for which trackPacket calls the timers whether or not one is due (see there). */
const WARM_UP_PACKETS = 256;

/** ConnSize counts IP total_length; a zero (TSO) falls back to what the frame holds. */
function ipTotalLength(rec: CaptureRecord, pkt: DecodedPacket): number {
  if (pkt.ipTotalLength > 0) return pkt.ipTotalLength;
  return Math.max(0, rec.start + rec.caplen - pkt.ipOffset); // offsets include rec.start
}

/**
 * ConnSize_Analyzer::DeliverPacket on endpoint `role` (the sender's role after Process: see
 * trackPacket), then explain's per-packet statistics for the sender's endpoint `senderEp`.
 */
function countAndObserve(
  s: TrackState,
  slot: number,
  role: number,
  senderEp: number,
  rec: CaptureRecord,
  pkt: DecodedPacket,
): void {
  s.ePkts[role] = (s.ePkts[role] ?? 0) + 1;
  s.eIpBytes[role] = (s.eIpBytes[role] ?? 0) + ipTotalLength(rec, pkt);
  observe(s, slot, senderEp, rec, pkt);
}

/**
 * IPBasedAnalyzer::AnalyzePacket: a SYN that reuses the slot's tuple (IsReuse) finishes its
 * connection (connection_reused, removed) before a new one starts; true when it did. Apart
 * from trackPacket: the finishing call runs rarely, and a call site first reached after
 * TurboFan compiled its function deoptimises that function; here that is this small one.
 */
function finishIfReused(s: TrackState, slot: number, rec: CaptureRecord, pkt: DecodedPacket): boolean {
  if (!isReuse(s, slot, rec, pkt)) return false;
  finishSlot(s, slot, 'reused');
  return true;
}

/** The packet's IPv6 addresses are the last-tuple hint's (tracker.ts trackPacket). */
function sameAddresses6(s: TrackState, pkt: DecodedPacket): boolean {
  const a = s.hintSrc6;
  const b = s.hintDst6;
  const src = pkt.src6;
  const dst = pkt.dst6;
  return a[0] === src[0] && a[1] === src[1] && a[2] === src[2] && a[3] === src[3] && b[0] === dst[0] && b[1] === dst[1] && b[2] === dst[2] && b[3] === dst[3];
}

/** Makes an IPv6 packet's addresses the last-tuple hint's (see trackPacket). */
function setHintAddresses6(s: TrackState, pkt: DecodedPacket): void {
  s.hintSrc = 0.5;
  s.hintDst = 0.5;
  s.hintV6 = true;
  const a = s.hintSrc6;
  const b = s.hintDst6;
  const src = pkt.src6;
  const dst = pkt.dst6;
  a[0] = src[0] ?? 0;
  a[1] = src[1] ?? 0;
  a[2] = src[2] ?? 0;
  a[3] = src[3] ?? 0;
  b[0] = dst[0] ?? 0;
  b[1] = dst[1] ?? 0;
  b[2] = dst[2] ?? 0;
  b[3] = dst[3] ?? 0;
}

/** Connection tracker; see the file comment. */
export class Tracker {
  private readonly s: TrackState;
  private readonly verdict: PacketVerdict = {
    tracked: false,
    connNumber: 0,
    direction: 'orig',
    isRst: false,
    rstIndex: -1,
    newConnection: false,
  };

  constructor(options: TrackerOptions, sink: TrackerSink) {
    this.s = new TrackState(options, sink);
  }

  /** The whole state, for snapshot.ts (a sensor's open connections carried to its next file). */
  get state(): TrackState {
    return this.s;
  }

  /** The id of connection number `n` of this capture: `C<n>`, or `C<capture>-<n>` when captureIndex > 0. */
  connId(n: number): string {
    return connIdOf(this.s, n);
  }

  /** Feeds one decoded packet; non-TCP packets are ignored (verdict.tracked false). */
  trackPacket(rec: CaptureRecord, pkt: DecodedPacket): PacketVerdict {
    const s = this.s;
    const v = this.verdict;
    v.tracked = false;
    v.isRst = false;
    v.rstIndex = -1;
    v.newConnection = false;
    // `!== true`, not `!`: see recordPool.ts writeRecord (the generic ToBoolean per packet).
    if (pkt.isTcp !== true || (pkt.ipVersion !== 4 && pkt.ipVersion !== 6)) return v;
    s.packetCount++;
    // The time is read from the record where it is used, never held in a local: a local that
    // reaches a call was boxed (a HeapNumber) on every packet, before the fast path.
    // RunState dispatch: network time never goes back; timers due by then fire first.
    if (rec.ts > s.networkTime) s.networkTime = rec.ts;
    // Called only when a timer is due: a call per packet boxed the time (a double argument).
    // Also for the first WARM_UP_PACKETS (advance fires only timers due, so an early call is a
    // no-op): a call site that has never run has no type feedback, and the first timer, due after
    // TurboFan compiled this function, deoptimised it and had it compiled again
    // ("Insufficient type feedback for call"). V8 allocates a function's feedback only after
    // its first calls, so a call on the first packet alone records nothing.
    const heap = s.heap;
    if ((heap.size > 0 && (heap.time[0] ?? 0) <= s.networkTime) || s.heldNext <= s.networkTime || s.packetCount <= WARM_UP_PACKETS) advance(s);

    // The last-tuple hint: most packets (58-62 % of the IPv4 TCP packets of the bench's mix)
    // come in the same direction of the same connection as the one before, and then the slot is
    // known without the hash, the table probe and the tuple compare (~250 instructions a packet;
    // callgrind; an IPv6 packet's hash and compare cost ~600). The slot still holds that
    // connection while its generation is unchanged (newConn and freeSlot both bump it); a role
    // flip keeps the tuple and only changes which side sent it, read from the slot's key as
    // tupleSide does (forward first; senderSide for IPv6). SYNs always take the table: a reuse
    // finishes the slot and needs the hash for the new one.
    let hash = 0;
    let found = -1;
    const hint = s.hintSlot;
    const v4 = pkt.ipVersion === 4;
    const ports = (pkt.sport << 16) | pkt.dport;
    const hit =
      hint >= 0 &&
      ports === s.hintPorts &&
      (pkt.flags & TCP_SYN) === 0 &&
      (s.cGen[hint] ?? 0) === s.hintGen &&
      (v4 ? pkt.src4 === s.hintSrc && pkt.dst4 === s.hintDst : s.hintV6 === true && sameAddresses6(s, pkt));
    if (hit) {
      s.hintCount++;
      if (v4) {
        const forward = (s.kA[hint] ?? 0) === pkt.src4 >>> 0 && (s.kPorts[hint] ?? 0) >>> 16 === pkt.sport;
        found = hint * 2 + (forward ? ORIG : RESP);
      } else found = hint * 2 + senderSide(s, hint, pkt);
    } else {
      if (!v4) {
        hash = tupleHashV6(foldV6(pkt.src6, 0), pkt.sport, foldV6(pkt.dst6, 0), pkt.dport);
      } else {
        // int32 arguments and result: Smis cross the call, where uint32 values >= 2^31 were boxed.
        hash = tupleHashV4(pkt.src4 | 0, pkt.sport, pkt.dst4 | 0, pkt.dport);
      }
      found = lookup(s, hash, pkt);
      // A connection held packed in its close delay (heldConns.ts) comes back into a slot.
      if (found < 0 && s.heldLive > 0 && lookupHeld(s, hash, pkt)) found = lookup(s, hash, pkt);
    }
    let slot = found >> 1; // -1 stays -1
    let newConnection = false;
    let reused = false;
    // IsReuse looks only at SYNs: tested here first, so the other packets make no call that boxes the time.
    if (slot >= 0 && (pkt.flags & TCP_SYN) !== 0 && finishIfReused(s, slot, rec, pkt)) {
      reused = true;
      slot = -1;
    }
    // One call site for both (a reuse is rare: its own site would have no type feedback).
    if (slot < 0) {
      slot = this.open(hash, pkt, rec);
      // Stored for every new connection: a store only a reuse reached would have no feedback either.
      s.cFlags[slot] = (s.cFlags[slot] ?? 0) | (reused ? F_REUSED : 0);
      newConnection = true;
    }
    // The sender's side: the lookup's, or for a new connection the one NewConn's role guess gave it.
    const side = newConnection ? senderSide(s, slot, pkt) : ((found & 1) as Side);
    // A hit leaves the hint as it was (the same slot, generation and tuple). Written out for
    // IPv4: a call per missed packet cost ~30 instructions (callgrind, 128 MiB mix prefix).
    if (!hit && s.fastPath === true) {
      s.hintSlot = slot;
      s.hintGen = s.cGen[slot] ?? 0;
      s.hintPorts = ports;
      if (v4) {
        s.hintSrc = pkt.src4;
        s.hintDst = pkt.dst4;
        s.hintV6 = false;
      } else setHintAddresses6(s, pkt);
    }
    v.newConnection = newConnection;
    // The outer layers of the connection's first tunnelled packet (tunnelTable.ts): plain packets pay this test only.
    if (pkt.tunnelCount !== 0 && s.cTunnel[slot] === 0) s.cTunnel[slot] = s.tunnels.acquire(pkt);

    if (pkt.badChecksum === BAD_CHECKSUM_TCP) {
      // TCPAnalyzer::DeliverPacket (packet_analysis/protocol/tcp/TCP.cc) finds or makes the
      // connection first, then ValidateChecksum: weird bad_TCP_checksum, TCP_Endpoint::ChecksumError
      // ('C'/'c', logarithmic), and the packet goes no further (no state, no size, no packet count).
      // decode/checksum.ts verified it in the pipeline; -C leaves badChecksum 0.
      setWeird(s, slot, W_BAD_CHECKSUM);
      scaled(s, slot, slot * 2 + side, s.eChk, H_BAD_CHECKSUM);
      v.tracked = true;
      v.connNumber = s.cNumber[slot] ?? 0;
      v.direction = side === ORIG ? 'orig' : 'resp';
      reschedule(s, slot);
      return v;
    }

    const role = slot * 2 + side;
    // `=== true`: a pointer compare; a truth test of a call's result (not inlined, so untyped)
    // or of an untyped field compiled to the generic ToBoolean, on every packet.
    if (s.fastPath === true && !newConnection && inWindowSegment(s, slot, side, rec, pkt) === true) {
      s.fastCount++;
      // The common packet (fastPath.ts): counted and observed, no role change, and its timer
      // entry left where it is. When the capture's time goes back, inWindowSegment has already
      // moved lastTs earlier and the inactivity deadline with it, but the entry still waits for
      // the later time; runTimers then finds the connection due and expires it. That is Zeek's
      // own laziness: Connection::InactivityTimer (src/Conn.cc) is never moved earlier, and when
      // it fires it expires the connection if last_time + inactivity_timeout <= t, else re-adds
      // itself at that time. (A reschedule here, before session 10, compared lastTs after
      // inWindowSegment had written it, so it never ran.)
      countAndObserve(s, slot, role, role, rec, pkt);
      v.tracked = true;
      v.connNumber = s.cNumber[slot] ?? 0;
      v.direction = side === ORIG ? 'orig' : 'resp';
      return v;
    }

    const isRst = (pkt.flags & TCP_RST) !== 0;
    const rstIdx = isRst ? recordRst(s, slot, side, rec, pkt) : -1;

    const senderEp = process(s, slot, side, pkt, rec);
    // ConnSize_Analyzer::DeliverPacket, with the sender's role after Process: when Process flipped
    // the roles, TCPAnalyzer::DeliverPacket (TCP.cc) turns is_orig round before the children see
    // it ("the connection can flip from under us"); Zeek's btest core.tcp.flip-without-syn counts
    // the flipping packet on its sender's new role (orig_pkts 6, resp_pkts 7).
    countAndObserve(s, slot, senderEp, senderEp, rec, pkt);

    v.tracked = true;
    v.connNumber = s.cNumber[slot] ?? 0;
    v.direction = (senderEp & 1) === 0 ? 'orig' : 'resp';
    v.isRst = isRst;
    v.rstIndex = rstIdx;
    reschedule(s, slot);
    // Entered (or waits in) the close delay while the table is large: packed soon (heldConns.ts).
    if ((s.deleteAt[slot] ?? 0) !== Number.POSITIVE_INFINITY && s.liveCount - s.heldLive >= s.held.minLive) noteClosing(s, slot);
    return v;
  }

  /** End of capture: every live connection is finished, in order of first packet. */
  finish(): void {
    finishAll(this.s);
  }

  /** Table and memory statistics. */
  stats(): TrackerStats {
    const s = this.s;
    const tableBytes = columnBytes(s) + s.table.byteLength;
    const total =
      tableBytes +
      columnBytes(s.heap) +
      columnBytes(s.ring) +
      columnBytes(s.rst) +
      columnBytes(s.rstCtx) +
      s.v6Pool.byteLength +
      s.held.bytes();
    return {
      live: s.liveCount,
      peakLive: s.peakLive,
      finished: s.finishedCount,
      capacity: s.cap,
      bytesPerConnection: s.cap > 0 ? tableBytes / s.cap : 0,
      totalBytes: total,
      ringRecords: s.ring.live,
      ringRecordsDropped: s.ring.dropped,
      rstRecords: s.rst.live,
      evicted: s.evictedCount,
      packets: s.packetCount,
      fastPackets: s.fastCount,
      hintPackets: s.hintCount,
      held: s.heldLive,
      heldBytes: s.held.bytes(),
      heldArenaBytes: (s.held.arenaTail - s.held.arenaHead) >>> 0,
      heldPacked: s.held.packed,
      heldUnpackedEarly: s.held.unpackedEarly,
    };
  }

  /**
   * A new connection for `pkt`, first finishing the soonest-to-expire ones while the table is
   * full: a held connection counts as 1/HELD_PER_SLOT of one (what it costs).
   */
  private open(hash: number, pkt: DecodedPacket, rec: CaptureRecord): number {
    const s = this.s;
    while (s.liveCount - s.heldLive + s.heldLive / HELD_PER_SLOT >= s.maxLive && evictOne(s)) {
      // evictOne finished one
    }
    return newConn(s, hash, pkt, rec);
  }
}
