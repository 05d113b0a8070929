/**
 * Connection tracking exactly as Zeek does it: per-endpoint passive states, history letters,
 * conn_state, sequence-space sizes, content gaps and Zeek's session timers, all driven by
 * capture time. The logic is a line-by-line port of Zeek's TCP analyzer; every function cites
 * the Zeek function it mirrors (paths relative to the zeek/zeek repository):
 *
 *   src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc   Process, UpdateStateMachine, timers, IsReuse
 *   src/packet_analysis/protocol/tcp/TCP.cc                 WantConnection (role guess), ValidateChecksum
 *   src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc      AnalyzePacket (lookup, reuse), NewConn
 *   src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}           Size, SetState, CheckHistory, DidRxmit …
 *   src/analyzer/protocol/tcp/TCP_Reassembler.cc            DataSent, AckReceived, Undelivered, Gap
 *   src/Conn.cc / src/session/Session.h                     CheckHistory, ScaledHistoryEntry, FlipRoles
 *   scripts/base/init-bare.zeek                             tcp_* timer constants
 *   scripts/base/protocols/conn/main.zeek                   conn_state(), the conn.log record
 *
 * Memory: the table is structure-of-arrays over typed arrays (no object per connection while it
 * lives), indexed by a slot number; an open-addressing hash table (linear probing, backward-shift
 * deletion) maps the 5-tuple hash to the slot. Endpoint columns hold two entries per slot:
 * index slot*2 is the originator, slot*2+1 the responder (a role flip swaps them physically).
 * One lazily-invalidated binary heap holds each connection's earliest timer. The per-packet
 * path allocates nothing, except for rare events (out-of-order segments, RST payload bytes,
 * histories longer than 15 letters).
 */
import type { CaptureRecord } from '../capture/record.js';
import {
  type DecodedPacket,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from '../decode/packet.js';
import type { Direction } from '../report/model.js';
import { ipv4ToString, ipv6ToString } from './address.js';
import {
  type EndReason,
  type EndpointSummary,
  type FinishedConnection,
  type HandshakeStage,
  type IpIdBehaviour,
  OPT_MPTCP,
  OPT_MSS,
  OPT_SACK,
  OPT_SACK_PERMITTED,
  OPT_TIMESTAMP,
  OPT_UNKNOWN,
  OPT_WSCALE,
  type PacketRecord,
  type RstRecord,
  type TtlBaseline,
} from './finished.js';
import { foldV6, tupleHashV4, tupleHashV6 } from '../net/flowHash.js';
import { initialTtlOf } from '../net/ttl.js';
import { SEQ_SPACE, U64_SPACE, seqBetween, seqDelta } from './seq.js';
import {
  W_ABOVE_HOLE,
  W_ACK_UNDERFLOW,
  W_ACTIVE_CONNECTION_REUSE,
  W_BAD_CHECKSUM,
  W_BAD_SYN_ACK,
  W_BAROQUE_SYN,
  W_DATA_AFTER_RESET,
  W_DATA_BEFORE_ESTABLISHED,
  W_EXCESSIVE_DATA,
  W_FIN_ADVANCED_LAST_SEQ,
  W_FIN_AFTER_RESET,
  W_FIN_STORM,
  W_INAPPROPRIATE_FIN,
  W_ORIGINATOR_SYN_ACK,
  W_PENDING_DATA_WHEN_CLOSED,
  W_POSSIBLE_SPLIT_ROUTING,
  W_PREMATURE_CONNECTION_REUSE,
  W_REPEATED_SYN_REPLY_WO_ACK,
  W_REPEATED_SYN_WITH_ACK,
  W_RST_STORM,
  W_SCALE_RANGE,
  W_SEQ_UNDERFLOW,
  W_SIMULTANEOUS_OPEN,
  W_SPONTANEOUS_FIN,
  W_SPONTANEOUS_RST,
  W_SYN_AFTER_CLOSE,
  W_SYN_AFTER_PARTIAL,
  W_SYN_AFTER_RESET,
  W_SYN_INSIDE_CONNECTION,
  W_SYN_SEQ_JUMP,
  W_SYN_WITH_DATA,
  W_TCP_CHRISTMAS,
  W_TRUNCATED_PAYLOAD,
  W_UNSOLICITED_SYN_RESPONSE,
  weirdNames,
} from './weirds.js';
import {
  TCP_CLOSED,
  TCP_ESTABLISHED,
  TCP_INACTIVE,
  TCP_PARTIAL,
  TCP_RESET,
  TCP_SYN_ACK_SENT,
  TCP_SYN_SENT,
  connStateOf,
  endpointStateName,
  isHandshakeState,
} from './zeekState.js';

/**
 * Ports Zeek's default scripts add to `likely_server_ports` for TCP (each base/protocols/<x>/main.zeek
 * does `redef likely_server_ports += { ports }`). Used only to guess roles when a connection
 * starts without a SYN (TCP.cc WantConnection).
 */
export const ZEEK_LIKELY_SERVER_PORTS: readonly number[] = [
  21, 22, 23, 25, 53, 79, 80, 81, 88, 102, 110, 113, 135, 139, 143, 389, 443, 445, 502, 563, 585,
  587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389,
  5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000, 44818,
];

/** Tracker configuration. Times are seconds of capture time. */
export interface TrackerOptions {
  /** Index of the capture in the run's inputs; part of the connection id when > 0. */
  captureIndex: number;
  /** Zeek's tcp_inactivity_timeout (default 300 s); 0 disables. */
  inactivityTimeout?: number;
  /** Zeek's udp_inactivity_timeout, which Zeek applies to TCP connections still in their handshake (default 60 s). */
  handshakeInactivityTimeout?: number;
  /** tcp_close_delay (5 s): how long a closed or reset connection stays to collect late packets. */
  closeDelay?: number;
  /** tcp_reset_delay (5 s): after a RST that follows a FIN. */
  resetDelay?: number;
  /** tcp_attempt_delay (5 s): an unanswered SYN is given up after this. */
  attemptDelay?: number;
  /** tcp_SYN_timeout (5 s): first check of a new connection's ExpireTimer. */
  synTimeout?: number;
  /** tcp_session_timer (6 s): ExpireTimer period. */
  sessionTimer?: number;
  /** tcp_connection_linger (5 s). */
  connectionLinger?: number;
  /** Verify TCP checksums and drop bad ones as Zeek does by default; false behaves like `zeek -C` (default false). */
  verifyChecksums?: boolean;
  /** Ports treated as servers when a connection starts without a SYN (Zeek's likely_server_ports). */
  likelyServerPorts?: readonly number[];
  /** Packets kept at the start of each connection (never evicted from its ring), default 4. */
  headPackets?: number;
  /** Most recent packets kept per direction, default 8. */
  ringPerDirection?: number;
  /** RST packets recorded per connection (the rest are only counted), default 32. */
  maxResetsPerConnection?: number;
  /** RST payload bytes kept (reason text), default 128. */
  rstPayloadBytes?: number;
  /** Total packet records in the shared ring pool, default 4M; when exhausted packets are counted, not kept. */
  maxRingRecords?: number;
  /** Live connections allowed before the soonest-to-expire ones are finished early (default 1M, about 700 MB). */
  maxLiveConnections?: number;
}

/** Receives every finished connection, in the order Zeek would log them. */
export interface TrackerSink {
  onConnectionDone(conn: FinishedConnection): void;
}

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
}

// conn flags (cFlags)
const F_USED = 1;
const F_V6 = 2;
const F_PARTIAL = 4; // TCPSessionAdapter::is_partial
const F_FPS_ORIG = 8; // first_packet_seen & ORIG
const F_FPS_RESP = 16; // first_packet_seen & RESP
const F_ACTIVE = 32; // TCPSessionAdapter::is_active
const F_CLOSE_DEFERRED = 64;
const F_DEFERRED_GEN = 128;
const F_LEFT_HANDSHAKE = 256; // SetInactivityTimeout(tcp_inactivity_timeout) happened
const F_FLIPPED = 512;
const F_REUSED = 1024;
const F_SYN_BY_RESP = 2048; // the first pure SYN came from the endpoint now in the resp slot
const F_SAW_SYN = 4096;
const F_SAW_SYNACK = 8192;
const F_SAW_HSACK = 16384;

// endpoint misc bits (eMisc); low 4 bits hold the window-scale shift
const E_DID_CLOSE = 16;
const E_DID_EOF = 32;
const E_SKIP = 64; // reassembler skip_deliveries
const E_DATA = 128; // payload seen from this side

// history masks (TCP_Endpoint.h HistoryMasks); the responder's are shifted by 16
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

const HIST_INLINE = 15; // letters stored inline per connection (longer histories spill to a Map)
const TOO_LARGE_SEQ_DELTA = 1048576; // TCPSessionAdapter.cc
const TCP_STORM_THRESH = 1000; // init-bare.zeek tcp_storm_thresh
const TCP_STORM_INTERARRIVAL = 1; // tcp_storm_interarrival_thresh
const TCP_MAX_INITIAL_WINDOW = 16384; // tcp_max_initial_window
const TCP_MAX_ABOVE_HOLE = 16384; // tcp_max_above_hole_without_any_acks
const TCP_EXCESSIVE_DATA = 10 * 1024 * 1024; // tcp_excessive_data_without_further_acks

const CODE_UPPER_S = 83;

function growF64(a: Float64Array<ArrayBuffer>, n: number, fill?: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}
function growU32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growI32(a: Int32Array<ArrayBuffer>, n: number, fill?: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}
function growU16(a: Uint16Array<ArrayBuffer>, n: number): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(n);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}

const HANDSHAKE_STAGES: readonly HandshakeStage[] = ['none', 'syn', 'syn_ack', 'complete', 'midstream'];

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function nullIfNeg(x: number): number | null {
  return x < 0 ? null : x;
}

function isPow10(c: number): boolean {
  while (c >= 10 && c % 10 === 0) c /= 10;
  return c === 1;
}

export { initialTtlOf };

/** Connection tracker; see the file comment. */
export class Tracker {
  private readonly captureIndex: number;
  private readonly sink: TrackerSink;
  private readonly inactivityTimeout: number;
  private readonly handshakeTimeout: number;
  private readonly closeDelay: number;
  private readonly resetDelay: number;
  private readonly attemptDelay: number;
  private readonly synTimeout: number;
  private readonly sessionTimer: number;
  private readonly linger: number;
  private readonly verifyChecksums: boolean;
  private readonly serverPorts: Uint8Array;
  private readonly headPackets: number;
  private readonly ringPerDir: number;
  private readonly maxResets: number;
  private readonly rstPayloadBytes: number;
  private readonly maxRingRecords: number;
  private readonly maxLive: number;

  private readonly verdict: PacketVerdict = {
    tracked: false,
    connNumber: 0,
    direction: 'orig',
    isRst: false,
    rstIndex: -1,
    newConnection: false,
  };

  private networkTime = Number.NEGATIVE_INFINITY;
  private nextNumber = 1;
  private liveCount = 0;
  private peakLive = 0;
  private finishedCount = 0;
  private evictedCount = 0;
  private packetCount = 0;

  // ---- slots ----
  private cap = 0;
  private freeTop = 0;
  private freeSlots = new Int32Array(0);
  private highWater = 0;

  // hash table: slot+1, 0 = empty
  private table = new Int32Array(0);
  private tableMask = 0;

  // conn columns
  private kHash = new Int32Array(0); // int32 like the hashes (key.ts), so compares need no conversion
  private kA = new Uint32Array(0); // orig address (v4) or v6 pool index
  private kB = new Uint32Array(0); // resp address (v4) or v6 pool index
  private kPorts = new Uint32Array(0); // origPort << 16 | respPort
  private cFlags = new Uint32Array(0);
  private cNumber = new Uint32Array(0);
  private cGen = new Uint32Array(0);
  private histSeen = new Uint32Array(0);
  private hist = new Uint8Array(0); // [len, letters × 15] per slot
  private startTs = new Float64Array(0);
  private lastTs = new Float64Array(0); // Zeek's Connection::last_time
  private lastPktTs = new Float64Array(0); // last packet, any direction
  private expireAt = new Float64Array(0);
  private expire2At = new Float64Array(0);
  private deleteAt = new Float64Array(0);
  private attemptAt = new Float64Array(0);
  private resetAt = new Float64Array(0);
  private sched = new Float64Array(0);
  private missed = new Float64Array(0);
  private weird = new Uint32Array(0); // 2 words per slot
  private synTs = new Float64Array(0);
  private synAckTs = new Float64Array(0);
  private hsAckTs = new Float64Array(0);
  private idleMax = new Float32Array(0);
  /** The pinned head packets (first `headPackets` kept), in capture order. */
  private ringHead = new Int32Array(0);
  private ringTail = new Int32Array(0);
  /**
   * The unpinned packets each endpoint sent (2 per slot, like the endpoint columns), in capture
   * order: evicting a direction's oldest is then O(1) instead of a walk of the whole ring.
   */
  private dirHead = new Int32Array(0);
  private dirTail = new Int32Array(0);
  /** Kept records: total in bits 0-9, unpinned ones sent by the orig slot in 10-19, by the resp slot in 20-29. */
  private ringCnt = new Uint32Array(0);
  private rstHead = new Int32Array(0);
  private rstTail = new Int32Array(0);
  private rstCount = new Uint32Array(0);

  // endpoint columns (2 per slot)
  private eState = new Uint8Array(0); // state | prev << 4
  private eStart = new Uint32Array(0);
  private eLast = new Uint32Array(0);
  private eAck = new Uint32Array(0);
  private eSeqWraps = new Uint16Array(0);
  private eAckWraps = new Uint16Array(0);
  private eMisc = new Uint8Array(0);
  private eFin = new Uint16Array(0);
  private eRst = new Uint16Array(0);
  private eFinSeq = new Float64Array(0);
  private eHistSyn = new Uint32Array(0);
  private eHistFin = new Uint32Array(0);
  private eHistRst = new Uint32Array(0);
  private eRxmt = new Uint32Array(0);
  private eWin0 = new Uint32Array(0);
  private eGap = new Uint32Array(0);
  private eChk = new Uint32Array(0);
  private ePkts = new Uint32Array(0);
  private eIpBytes = new Float64Array(0);
  private eLastTime = new Float64Array(0);
  private eReassem = new Float64Array(0);
  private eTrim = new Float64Array(0);
  private eTtlVals = new Uint32Array(0); // 4 packed TTL values (value+1 per byte, 0 = empty)
  private eTtlCnt = new Uint16Array(0); // 4 per endpoint (saturating)
  private eTtlOther = new Uint32Array(0);
  private eIpIdLast = new Int32Array(0);
  private eIpIdStats = new Uint16Array(0); // 4 per endpoint: samples, zero, small increments, same
  private eRxmtConsec = new Uint16Array(0);
  private eRxmtSeq = new Uint32Array(0);
  private eWin = new Int32Array(0); // last raw window (non-RST), -1 none

  // rare side state
  private histSpill = new Map<number, string>();
  private blocks = new Map<number, number[]>(); // endpoint index -> [lo0, hi0, lo1, hi1, …] above a hole
  private v6Pool = new Uint32Array(0);
  private v6Free: number[] = [];
  private v6Next = 0;

  // timer heap
  private hTime = new Float64Array(0);
  private hSlot = new Int32Array(0);
  private hGen = new Uint32Array(0);
  private hSize = 0;

  // packet ring pool
  private pCap = 0;
  private pNextFree = -1;
  private pHigh = 0;
  private pLive = 0;
  private pDroppedTotal = 0;
  private pTs = new Float64Array(0);
  private pFrame = new Uint32Array(0);
  private pSeq = new Uint32Array(0);
  private pAck = new Uint32Array(0);
  private pWin = new Uint16Array(0);
  private pFlags = new Uint16Array(0); // bit 15: sent by the resp slot, bit 14: pinned head packet
  private pTtl = new Uint8Array(0);
  private pIpId = new Int32Array(0);
  private pLen = new Uint32Array(0);
  private pOpt = new Uint8Array(0); // OPT_* | df << 7
  private pNext = new Int32Array(0);

  // RST record pool (packet fields + context)
  private rCap = 0;
  private rNextFree = -1;
  private rHigh = 0;
  private rLive = 0;
  private rTs = new Float64Array(0);
  private rFrame = new Uint32Array(0);
  private rSeq = new Uint32Array(0);
  private rAck = new Uint32Array(0);
  private rWin = new Uint16Array(0);
  private rFlags = new Uint16Array(0);
  private rTtl = new Uint8Array(0);
  private rIpId = new Int32Array(0);
  private rLen = new Uint32Array(0);
  private rOpt = new Uint8Array(0);
  private rIndex = new Uint32Array(0);
  private rMptcp = new Int32Array(0); // reason | flags << 8, -1 none
  private rPktsO = new Uint32Array(0);
  private rPktsR = new Uint32Array(0);
  private rStates = new Uint8Array(0); // orig | resp << 4
  private rBits = new Uint8Array(0); // payload/fin per side, handshake stage
  private rLastSelf = new Float64Array(0);
  private rLastOther = new Float64Array(0);
  private rLastAny = new Float64Array(0);
  private rIdleMax = new Float32Array(0);
  private rNextO = new Float64Array(0); // -1 none
  private rNextR = new Float64Array(0);
  private rAckedO = new Float64Array(0);
  private rAckedR = new Float64Array(0);
  private rWinO = new Float64Array(0);
  private rWinR = new Float64Array(0);
  private rConsec = new Uint32Array(0); // orig | resp << 16
  private rPrevIpId = new Int32Array(0);
  private rNext = new Int32Array(0);
  private rPayload = new Map<number, Uint8Array>();

  // per-packet scratch (no allocation)
  private underflow = false;
  private doClose = false;
  private genEvent = false;

  constructor(options: TrackerOptions, sink: TrackerSink) {
    this.captureIndex = options.captureIndex;
    this.sink = sink;
    this.inactivityTimeout = options.inactivityTimeout ?? 300;
    this.handshakeTimeout = options.handshakeInactivityTimeout ?? 60;
    this.closeDelay = options.closeDelay ?? 5;
    this.resetDelay = options.resetDelay ?? 5;
    this.attemptDelay = options.attemptDelay ?? 5;
    this.synTimeout = options.synTimeout ?? 5;
    this.sessionTimer = options.sessionTimer ?? 6;
    this.linger = options.connectionLinger ?? 5;
    this.verifyChecksums = options.verifyChecksums ?? false;
    this.serverPorts = new Uint8Array(65536);
    for (const p of options.likelyServerPorts ?? ZEEK_LIKELY_SERVER_PORTS) this.serverPorts[p & 0xffff] = 1;
    // Bounded so the three counts fit their 10-bit fields in ringCnt.
    this.headPackets = Math.min(255, options.headPackets ?? 4);
    this.ringPerDir = Math.min(383, Math.max(1, options.ringPerDirection ?? 8));
    this.maxResets = options.maxResetsPerConnection ?? 32;
    this.rstPayloadBytes = options.rstPayloadBytes ?? 128;
    this.maxRingRecords = options.maxRingRecords ?? 4 * 1024 * 1024;
    this.maxLive = Math.max(16, options.maxLiveConnections ?? 1_000_000);
    this.resize(1024);
    this.table = new Int32Array(2048);
    this.tableMask = 2047;
    this.resizeHeap(1024);
  }

  /** The id of connection number `n` of this capture: `C<n>`, or `C<capture>-<n>` when captureIndex > 0. */
  connId(n: number): string {
    return this.captureIndex > 0 ? `C${this.captureIndex}-${n}` : `C${n}`;
  }

  /** Feeds one decoded packet; non-TCP packets are ignored (verdict.tracked false). */
  trackPacket(rec: CaptureRecord, pkt: DecodedPacket): PacketVerdict {
    const v = this.verdict;
    v.tracked = false;
    v.isRst = false;
    v.rstIndex = -1;
    v.newConnection = false;
    if (!pkt.isTcp || (pkt.ipVersion !== 4 && pkt.ipVersion !== 6)) return v;
    this.packetCount++;
    const t = rec.ts;
    // RunState dispatch: network time never goes back; timers due by then fire first.
    if (t > this.networkTime) this.networkTime = t;
    this.advance(this.networkTime);

    const v6 = pkt.ipVersion === 6;
    let hash: number;
    let fs = 0;
    let fd = 0;
    if (v6) {
      fs = foldV6(pkt.src6, 0);
      fd = foldV6(pkt.dst6, 0);
      hash = tupleHashV6(fs, pkt.sport, fd, pkt.dport);
    } else {
      // int32 arguments and result: Smis cross the call, where uint32 values >= 2^31 were boxed.
      hash = tupleHashV4(pkt.src4 | 0, pkt.sport, pkt.dst4 | 0, pkt.dport);
    }
    let slot = this.lookup(hash, pkt);
    const flags = pkt.flags;
    if (slot >= 0 && this.isReuse(slot, t, pkt)) {
      // IPBasedAnalyzer::AnalyzePacket: connection_reused, remove, start a new one.
      this.finishSlot(slot, 'reused');
      slot = this.newConn(hash, pkt, t);
      this.cFlags[slot] = (this.cFlags[slot] ?? 0) | F_REUSED;
      v.newConnection = true;
    } else if (slot < 0) {
      slot = this.newConn(hash, pkt, t);
      v.newConnection = true;
    }
    const isOrig = this.isOrigSender(slot, pkt);

    if (this.verifyChecksums && !this.checksumOk(rec, pkt)) {
      // TCPAnalyzer::ValidateChecksum: weird, 'C'/'c' (logarithmic), and the packet goes no further.
      const ep = slot * 2 + (isOrig ? 0 : 1);
      this.setWeird(slot, W_BAD_CHECKSUM);
      this.scaled(slot, ep, this.eChk, 67 /* C */);
      v.tracked = true;
      v.connNumber = this.cNumber[slot] ?? 0;
      v.direction = isOrig ? 'orig' : 'resp';
      this.reschedule(slot);
      return v;
    }

    const isRst = (flags & TCP_RST) !== 0;
    let rstIdx = -1;
    if (isRst) rstIdx = this.recordRst(slot, isOrig, rec, pkt, t);

    const senderEp = this.process(slot, isOrig, pkt, t);

    // ConnSize_Analyzer::DeliverPacket with the is_orig the packet arrived with (a SYN/SYN-ACK
    // reversal flips roles inside Process, and Zeek still counts that packet on the old role).
    const role = slot * 2 + (isOrig ? 0 : 1);
    this.ePkts[role] = (this.ePkts[role] ?? 0) + 1;
    this.eIpBytes[role] = (this.eIpBytes[role] ?? 0) + this.ipTotalLength(rec, pkt);

    this.observe(slot, senderEp, rec, pkt, t);

    v.tracked = true;
    v.connNumber = this.cNumber[slot] ?? 0;
    v.direction = (senderEp & 1) === 0 ? 'orig' : 'resp';
    v.isRst = isRst;
    v.rstIndex = rstIdx;
    this.reschedule(slot);
    return v;
  }

  /** End of capture: every live connection is finished, in order of first packet. */
  finish(): void {
    const live: number[] = [];
    for (let s = 0; s < this.highWater; s++) if (((this.cFlags[s] ?? 0) & F_USED) !== 0) live.push(s);
    live.sort((a, b) => (this.cNumber[a] ?? 0) - (this.cNumber[b] ?? 0));
    for (const s of live) this.finishSlot(s, 'end_of_capture');
    this.hSize = 0;
  }

  /** Table and memory statistics. */
  stats(): TrackerStats {
    const total = this.totalBytes();
    const tableBytes = this.slotBytes() * this.cap + this.table.byteLength;
    return {
      live: this.liveCount,
      peakLive: this.peakLive,
      finished: this.finishedCount,
      capacity: this.cap,
      bytesPerConnection: this.cap > 0 ? tableBytes / this.cap : 0,
      totalBytes: total,
      ringRecords: this.pLive,
      ringRecordsDropped: this.pDroppedTotal,
      rstRecords: this.rLive,
      evicted: this.evictedCount,
      packets: this.packetCount,
    };
  }

  // ------------------------------------------------------------------ table

  /** Bytes of typed-array state per slot: every per-connection and per-endpoint column. */
  private slotBytes(): number {
    const cols: ArrayBufferView[] = [
      this.kHash, this.kA, this.kB, this.kPorts, this.cFlags, this.cNumber, this.cGen, this.histSeen,
      this.hist, this.startTs, this.lastTs, this.lastPktTs, this.expireAt, this.expire2At, this.deleteAt,
      this.attemptAt, this.resetAt, this.sched, this.missed, this.weird, this.synTs, this.synAckTs,
      this.hsAckTs, this.idleMax, this.ringHead, this.ringTail, this.dirHead, this.dirTail, this.ringCnt, this.rstHead, this.rstTail,
      this.rstCount, this.eState, this.eStart, this.eLast, this.eAck, this.eSeqWraps, this.eAckWraps,
      this.eMisc, this.eFin, this.eRst, this.eFinSeq, this.eHistSyn, this.eHistFin, this.eHistRst, this.eRxmt,
      this.eWin0, this.eGap, this.eChk, this.ePkts, this.eIpBytes, this.eLastTime, this.eReassem, this.eTrim,
      this.eTtlVals, this.eTtlCnt, this.eTtlOther, this.eIpIdLast, this.eIpIdStats, this.eRxmtConsec,
      this.eRxmtSeq, this.eWin, this.freeSlots,
    ];
    let n = 0;
    for (const c of cols) n += c.byteLength;
    return this.cap > 0 ? n / this.cap : 0;
  }

  private totalBytes(): number {
    let n = this.slotBytes() * this.cap + this.table.byteLength;
    n += this.hTime.byteLength + this.hSlot.byteLength + this.hGen.byteLength;
    n += this.pCap * 38 + this.rCap * 120 + this.v6Pool.byteLength + this.freeSlots.byteLength;
    return n;
  }

  private resize(n: number): void {
    const e = n * 2;
    this.kHash = growI32(this.kHash, n);
    this.kA = growU32(this.kA, n);
    this.kB = growU32(this.kB, n);
    this.kPorts = growU32(this.kPorts, n);
    this.cFlags = growU32(this.cFlags, n);
    this.cNumber = growU32(this.cNumber, n);
    this.cGen = growU32(this.cGen, n);
    this.histSeen = growU32(this.histSeen, n);
    this.hist = growU8(this.hist, n * (HIST_INLINE + 1));
    this.startTs = growF64(this.startTs, n);
    this.lastTs = growF64(this.lastTs, n);
    this.lastPktTs = growF64(this.lastPktTs, n);
    this.expireAt = growF64(this.expireAt, n, Number.POSITIVE_INFINITY);
    this.expire2At = growF64(this.expire2At, n, Number.POSITIVE_INFINITY);
    this.deleteAt = growF64(this.deleteAt, n, Number.POSITIVE_INFINITY);
    this.attemptAt = growF64(this.attemptAt, n, Number.POSITIVE_INFINITY);
    this.resetAt = growF64(this.resetAt, n, Number.POSITIVE_INFINITY);
    this.sched = growF64(this.sched, n, Number.POSITIVE_INFINITY);
    this.missed = growF64(this.missed, n);
    this.weird = growU32(this.weird, n * 2);
    this.synTs = growF64(this.synTs, n);
    this.synAckTs = growF64(this.synAckTs, n);
    this.hsAckTs = growF64(this.hsAckTs, n);
    const im = new Float32Array(n);
    im.set(this.idleMax);
    this.idleMax = im;
    this.ringHead = growI32(this.ringHead, n, -1);
    this.ringTail = growI32(this.ringTail, n, -1);
    this.dirHead = growI32(this.dirHead, n * 2, -1);
    this.dirTail = growI32(this.dirTail, n * 2, -1);
    this.ringCnt = growU32(this.ringCnt, n);
    this.rstHead = growI32(this.rstHead, n, -1);
    this.rstTail = growI32(this.rstTail, n, -1);
    this.rstCount = growU32(this.rstCount, n);

    this.eState = growU8(this.eState, e);
    this.eStart = growU32(this.eStart, e);
    this.eLast = growU32(this.eLast, e);
    this.eAck = growU32(this.eAck, e);
    this.eSeqWraps = growU16(this.eSeqWraps, e);
    this.eAckWraps = growU16(this.eAckWraps, e);
    this.eMisc = growU8(this.eMisc, e);
    this.eFin = growU16(this.eFin, e);
    this.eRst = growU16(this.eRst, e);
    this.eFinSeq = growF64(this.eFinSeq, e);
    this.eHistSyn = growU32(this.eHistSyn, e);
    this.eHistFin = growU32(this.eHistFin, e);
    this.eHistRst = growU32(this.eHistRst, e);
    this.eRxmt = growU32(this.eRxmt, e);
    this.eWin0 = growU32(this.eWin0, e);
    this.eGap = growU32(this.eGap, e);
    this.eChk = growU32(this.eChk, e);
    this.ePkts = growU32(this.ePkts, e);
    this.eIpBytes = growF64(this.eIpBytes, e);
    this.eLastTime = growF64(this.eLastTime, e);
    this.eReassem = growF64(this.eReassem, e);
    this.eTrim = growF64(this.eTrim, e);
    this.eTtlVals = growU32(this.eTtlVals, e);
    this.eTtlCnt = growU16(this.eTtlCnt, e * 4);
    this.eTtlOther = growU32(this.eTtlOther, e);
    this.eIpIdLast = growI32(this.eIpIdLast, e, -1);
    this.eIpIdStats = growU16(this.eIpIdStats, e * 4);
    this.eRxmtConsec = growU16(this.eRxmtConsec, e);
    this.eRxmtSeq = growU32(this.eRxmtSeq, e);
    this.eWin = growI32(this.eWin, e, -1);

    const fs = new Int32Array(n);
    fs.set(this.freeSlots.subarray(0, this.freeTop));
    this.freeSlots = fs;
    this.cap = n;
  }

  private lookup(hash: number, pkt: DecodedPacket): number {
    const mask = this.tableMask;
    let i = hash & mask;
    const v6 = pkt.ipVersion === 6;
    for (;;) {
      const e = this.table[i] ?? 0;
      if (e === 0) return -1;
      const s = e - 1;
      if ((this.kHash[s] ?? 0) === hash && this.sameTuple(s, pkt, v6)) return s;
      i = (i + 1) & mask;
    }
  }

  private sameTuple(s: number, pkt: DecodedPacket, v6: boolean): boolean {
    const f = this.cFlags[s] ?? 0;
    if (((f & F_V6) !== 0) !== v6) return false;
    const ports = this.kPorts[s] ?? 0;
    const po = ports >>> 16;
    const pr = ports & 0xffff;
    if (!v6) {
      const a = this.kA[s] ?? 0;
      const b = this.kB[s] ?? 0;
      const src = pkt.src4 >>> 0;
      const dst = pkt.dst4 >>> 0;
      if (a === src && po === pkt.sport && b === dst && pr === pkt.dport) return true;
      return b === src && pr === pkt.sport && a === dst && po === pkt.dport;
    }
    const a = (this.kA[s] ?? 0) * 4;
    const b = (this.kB[s] ?? 0) * 4;
    if (po === pkt.sport && pr === pkt.dport && this.v6Eq(a, pkt.src6) && this.v6Eq(b, pkt.dst6)) return true;
    return pr === pkt.sport && po === pkt.dport && this.v6Eq(b, pkt.src6) && this.v6Eq(a, pkt.dst6);
  }

  private v6Eq(off: number, w: Uint32Array): boolean {
    const p = this.v6Pool;
    return p[off] === w[0] && p[off + 1] === w[1] && p[off + 2] === w[2] && p[off + 3] === w[3];
  }

  private v6Store(w: Uint32Array): number {
    let idx = this.v6Free.pop();
    if (idx === undefined) {
      idx = this.v6Next++;
      if (idx * 4 + 4 > this.v6Pool.length) {
        this.v6Pool = growU32(this.v6Pool, Math.max(64, this.v6Pool.length * 2));
      }
    }
    this.v6Pool.set(w, idx * 4);
    return idx;
  }

  private isOrigSender(slot: number, pkt: DecodedPacket): boolean {
    const ports = this.kPorts[slot] ?? 0;
    if (pkt.sport !== ports >>> 16) return false;
    // IPBasedAnalyzer::AnalyzePacket: is_orig = src addr and port are the originator's.
    if (pkt.ipVersion === 4) return (this.kA[slot] ?? 0) === pkt.src4 >>> 0;
    return this.v6Eq((this.kA[slot] ?? 0) * 4, pkt.src6);
  }

  private allocSlot(): number {
    if (this.liveCount >= this.maxLive) this.evictOne();
    let s: number;
    if (this.freeTop > 0) s = this.freeSlots[--this.freeTop] ?? 0;
    else {
      if (this.highWater >= this.cap) this.resize(this.cap * 2);
      s = this.highWater++;
    }
    this.liveCount++;
    if (this.liveCount > this.peakLive) this.peakLive = this.liveCount;
    if (this.liveCount * 4 > this.table.length * 3) this.rehash(this.table.length * 2);
    return s;
  }

  private rehash(n: number): void {
    this.table = new Int32Array(n);
    this.tableMask = n - 1;
    for (let s = 0; s < this.highWater; s++) {
      if (((this.cFlags[s] ?? 0) & F_USED) === 0) continue;
      this.tableInsert(s);
    }
  }

  private tableInsert(s: number): void {
    const mask = this.tableMask;
    let i = (this.kHash[s] ?? 0) & mask;
    while ((this.table[i] ?? 0) !== 0) i = (i + 1) & mask;
    this.table[i] = s + 1;
  }

  private tableRemove(s: number): void {
    const mask = this.tableMask;
    let i = (this.kHash[s] ?? 0) & mask;
    while ((this.table[i] ?? 0) !== s + 1) {
      if ((this.table[i] ?? 0) === 0) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps linear probing tombstone-free.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = this.table[j] ?? 0;
      if (e === 0) break;
      const k = (this.kHash[e - 1] ?? 0) & mask;
      const between = i <= j ? i < k && k <= j : i < k || k <= j;
      if (between) continue;
      this.table[i] = e;
      i = j;
    }
    this.table[i] = 0;
  }

  /** IPBasedAnalyzer::NewConn + TCPAnalyzer::WantConnection + TCPSessionAdapter constructor. */
  private newConn(hash: number, pkt: DecodedPacket, t: number): number {
    const s = this.allocSlot();
    const v6 = pkt.ipVersion === 6;
    const flags = pkt.flags;
    // WantConnection: a connection that starts without a SYN, or with a SYN-ACK, is partial;
    // guess the responder from the ports (partial_connection_ok and tcp_SYN_ack_ok are T).
    let flip = false;
    if ((flags & TCP_SYN) === 0 || (flags & TCP_ACK) !== 0) {
      if (this.serverPorts[pkt.sport] === 1) {
        if (this.serverPorts[pkt.dport] === 1) flip = (flags & TCP_SYN) === 0 && pkt.sport < pkt.dport;
        else flip = true;
      }
    }
    // NewConn: `if ( flip && ! id->dst_addr.IsBroadcast() )`.
    if (flip && !v6 && pkt.dst4 >>> 0 === 0xffffffff) flip = false;
    if (v6) {
      const a = this.v6Store(pkt.src6);
      const b = this.v6Store(pkt.dst6);
      this.kA[s] = flip ? b : a;
      this.kB[s] = flip ? a : b;
    } else {
      this.kA[s] = flip ? pkt.dst4 >>> 0 : pkt.src4 >>> 0;
      this.kB[s] = flip ? pkt.src4 >>> 0 : pkt.dst4 >>> 0;
    }
    this.kPorts[s] = (flip ? (pkt.dport << 16) | pkt.sport : (pkt.sport << 16) | pkt.dport) >>> 0;
    this.kHash[s] = hash;
    this.cFlags[s] = F_USED | F_ACTIVE | (v6 ? F_V6 : 0) | (flip ? F_FLIPPED : 0);
    this.cNumber[s] = this.nextNumber++;
    this.cGen[s] = ((this.cGen[s] ?? 0) + 1) >>> 0;
    this.histSeen[s] = 0;
    this.hist[s * (HIST_INLINE + 1)] = 0;
    this.startTs[s] = t;
    this.lastTs[s] = t;
    this.lastPktTs[s] = Number.NaN;
    // TCPSessionAdapter(): ExpireTimer at network_time + tcp_SYN_timeout.
    this.expireAt[s] = this.networkTime + this.synTimeout;
    this.expire2At[s] = Number.POSITIVE_INFINITY;
    this.deleteAt[s] = Number.POSITIVE_INFINITY;
    this.attemptAt[s] = Number.POSITIVE_INFINITY;
    this.resetAt[s] = Number.POSITIVE_INFINITY;
    this.sched[s] = Number.POSITIVE_INFINITY;
    this.missed[s] = 0;
    this.weird[s * 2] = 0;
    this.weird[s * 2 + 1] = 0;
    this.synTs[s] = Number.NaN;
    this.synAckTs[s] = Number.NaN;
    this.hsAckTs[s] = Number.NaN;
    this.idleMax[s] = 0;
    this.ringHead[s] = -1;
    this.ringTail[s] = -1;
    this.dirHead[s * 2] = -1;
    this.dirHead[s * 2 + 1] = -1;
    this.dirTail[s * 2] = -1;
    this.dirTail[s * 2 + 1] = -1;
    this.ringCnt[s] = 0;
    this.rstHead[s] = -1;
    this.rstTail[s] = -1;
    this.rstCount[s] = 0;
    for (let e = s * 2; e < s * 2 + 2; e++) this.resetEndpoint(e);
    this.tableInsert(s);
    // Connection::FlipRoles adds '^' to the history.
    if (flip) this.addHistory(s, 94 /* ^ */);
    return s;
  }

  private resetEndpoint(e: number): void {
    this.eState[e] = 0;
    this.eStart[e] = 0;
    this.eLast[e] = 0;
    this.eAck[e] = 0;
    this.eSeqWraps[e] = 0;
    this.eAckWraps[e] = 0;
    this.eMisc[e] = 0;
    this.eFin[e] = 0;
    this.eRst[e] = 0;
    this.eFinSeq[e] = 0;
    this.eHistSyn[e] = 0;
    this.eHistFin[e] = 0;
    this.eHistRst[e] = 0;
    this.eRxmt[e] = 0;
    this.eWin0[e] = 0;
    this.eGap[e] = 0;
    this.eChk[e] = 0;
    this.ePkts[e] = 0;
    this.eIpBytes[e] = 0;
    this.eLastTime[e] = 0;
    // Reassembler(1, …): relative sequence numbers start at 1, after the SYN.
    this.eReassem[e] = 1;
    this.eTrim[e] = 1;
    this.eTtlVals[e] = 0;
    const q = e * 4;
    this.eTtlCnt[q] = 0;
    this.eTtlCnt[q + 1] = 0;
    this.eTtlCnt[q + 2] = 0;
    this.eTtlCnt[q + 3] = 0;
    this.eTtlOther[e] = 0;
    this.eIpIdLast[e] = -1;
    this.eIpIdStats[q] = 0;
    this.eIpIdStats[q + 1] = 0;
    this.eIpIdStats[q + 2] = 0;
    this.eIpIdStats[q + 3] = 0;
    this.eRxmtConsec[e] = 0;
    this.eRxmtSeq[e] = 0;
    this.eWin[e] = -1;
    if (this.blocks.size > 0) this.blocks.delete(e);
  }

  // ------------------------------------------------------------------ Zeek endpoint helpers

  private st(e: number): number {
    return (this.eState[e] ?? 0) & 15;
  }
  private prev(e: number): number {
    return (this.eState[e] ?? 0) >>> 4;
  }

  /** TCP_Endpoint::SetState: also switches to tcp_inactivity_timeout when the handshake ends. */
  private setState(slot: number, e: number, ns: number): void {
    const s = this.st(e);
    if (ns === s) return;
    if (!isHandshakeState(ns) && isHandshakeState(s) && isHandshakeState(this.st(e ^ 1)))
      this.cFlags[slot] = (this.cFlags[slot] ?? 0) | F_LEFT_HANDSHAKE;
    this.eState[e] = (s << 4) | ns;
  }

  private didClose(e: number): boolean {
    return ((this.eMisc[e] ?? 0) & E_DID_CLOSE) !== 0;
  }

  private setWeird(slot: number, bit: number): void {
    const i = slot * 2 + (bit >= 32 ? 1 : 0);
    this.weird[i] = ((this.weird[i] ?? 0) | (1 << (bit & 31))) >>> 0;
  }

  private didWeird(slot: number): boolean {
    return (this.weird[slot * 2] ?? 0) !== 0 || (this.weird[slot * 2 + 1] ?? 0) !== 0;
  }

  private addHistory(slot: number, code: number): void {
    const base = slot * (HIST_INLINE + 1);
    const len = this.hist[base] ?? 0;
    if (len < HIST_INLINE) {
      this.hist[base + 1 + len] = code;
      this.hist[base] = len + 1;
    } else {
      this.histSpill.set(slot, (this.histSpill.get(slot) ?? '') + String.fromCharCode(code));
    }
  }

  private historyOf(slot: number): string {
    const base = slot * (HIST_INLINE + 1);
    const len = this.hist[base] ?? 0;
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.hist[base + 1 + i] ?? 0);
    return s + (this.histSpill.get(slot) ?? '');
  }

  /** TCP_Endpoint::CheckHistory + Connection::CheckHistory: returns true if already seen. */
  private checkHistory(slot: number, e: number, mask: number, upper: number): boolean {
    const resp = (e & 1) === 1;
    const m = resp ? (mask << 16) >>> 0 : mask;
    const seen = this.histSeen[slot] ?? 0;
    if ((seen & m) === 0) {
      this.histSeen[slot] = (seen | m) >>> 0;
      this.addHistory(slot, resp ? upper + 32 : upper);
      return false;
    }
    return true;
  }

  /** Connection::ScaledHistoryEntry with base 10: a letter at the 1st, 10th, 100th … event. */
  private scaled(slot: number, e: number, counter: Uint32Array, upper: number): void {
    const c = ((counter[e] ?? 0) + 1) >>> 0;
    counter[e] = c;
    if (isPow10(c)) this.addHistory(slot, (e & 1) === 1 ? upper + 32 : upper);
  }

  /**
   * TCPSessionAdapter::get_relative_seq (uint64 result; a negative delta maps above 2^63 as in C).
   * `cur` and `last` arrive as int32 (Smis, no HeapNumber per call) and are compared unsigned here.
   */
  private relativeSeq(e: number, cur: number, last: number, wraps: number): number {
    const ucur = cur >>> 0;
    const ulast = last >>> 0;
    const delta = seqDelta(ucur, ulast);
    if (delta < 0) {
      if (wraps > 0 && ucur > ulast) wraps--;
    } else if (delta > 0) {
      if (ucur < ulast) wraps++;
    }
    const start = this.eStart[e] ?? 0;
    if (wraps === 0) {
      const d = seqDelta(ucur, start);
      if (d < 0) {
        this.underflow = true;
        return d + U64_SPACE;
      }
      return d;
    }
    return wraps * SEQ_SPACE + ucur - start;
  }

  /** TCP_Endpoint::Size. */
  private size(e: number): number {
    if (
      this.prev(e) === TCP_SYN_SENT &&
      this.st(e) === TCP_RESET &&
      this.st(e ^ 1) === TCP_INACTIVE &&
      !this.noDataAcked(e)
    )
      // "This looks like a half-open connection was discovered and aborted."
      return 0;
    const last64 = (this.eSeqWraps[e] ?? 0) * SEQ_SPACE + (this.eLast[e] ?? 0);
    const ack64 = (this.eAckWraps[e] ?? 0) * SEQ_SPACE + (this.eAck[e] ?? 0);
    let size = (last64 > ack64 ? last64 : ack64) - (this.eStart[e] ?? 0);
    if (size < 0) size += U64_SPACE; // uint64 arithmetic in Zeek
    if (size !== 0) size--; // the SYN octet
    if ((this.eFin[e] ?? 0) > 0 && size !== 0) size--; // the FIN octet
    return size;
  }

  /** TCP_Endpoint::NoDataAcked. */
  private noDataAcked(e: number): boolean {
    const ack = (this.eAckWraps[e] ?? 0) * SEQ_SPACE + (this.eAck[e] ?? 0);
    const start = this.eStart[e] ?? 0;
    return ack === start || ack === start + 1;
  }

  /** `seq` arrives as int32 (a Smi across the call) and is compared unsigned. */
  private updateLastSeqRaw(e: number, seq: number): void {
    seq >>>= 0;
    // TCP_Endpoint::UpdateLastSeq: a numerically smaller value means the space wrapped.
    if (seq < (this.eLast[e] ?? 0)) this.eSeqWraps[e] = ((this.eSeqWraps[e] ?? 0) + 1) & 0xffff;
    this.eLast[e] = seq;
  }

  /** `seq` arrives as int32 (a Smi across the call) and is compared unsigned. */
  private updateAckSeqRaw(e: number, seq: number): void {
    seq >>>= 0;
    if (seq < (this.eAck[e] ?? 0)) this.eAckWraps[e] = ((this.eAckWraps[e] ?? 0) + 1) & 0xffff;
    this.eAck[e] = seq;
  }

  // ------------------------------------------------------------------ Process

  /**
   * TCPSessionAdapter::Process for one packet. Returns the sender's endpoint index after
   * processing (a SYN/SYN-ACK reversal flips the roles in the middle).
   */
  private process(slot: number, isOrig: boolean, pkt: DecodedPacket, t: number): number {
    const flags = pkt.flags;
    const SYN = (flags & TCP_SYN) !== 0;
    const FIN = (flags & TCP_FIN) !== 0;
    const RST = (flags & TCP_RST) !== 0;
    const ACK = (flags & TCP_ACK) !== 0;
    const baseSeq = pkt.seq >>> 0;
    const ackSeq = pkt.ack >>> 0;
    const len = pkt.payloadLength;
    let ep = slot * 2 + (isOrig ? 0 : 1);
    let peer = ep ^ 1;

    this.setPartialStatus(slot, SYN, ACK, isOrig);

    // get_segment_len: SYN and FIN take a sequence number; a RST's payload is not stream data.
    const segLen = len + (SYN ? 1 : 0) + (FIN ? 1 : 0) - (RST ? len : 0);
    const seqOnePast = (baseSeq + segLen) >>> 0;
    this.initEndpoint(slot, ep, SYN, baseSeq | 0, seqOnePast | 0);

    this.underflow = false;
    const relSeq = this.relativeSeq(ep, baseSeq | 0, (this.eLast[ep] ?? 0) | 0, this.eSeqWraps[ep] ?? 0);
    const seqUnderflow = this.underflow;
    if (seqUnderflow && !RST) this.setWeird(slot, W_SEQ_UNDERFLOW);

    this.updateHistory(slot, ep, SYN, FIN, RST, ACK, (baseSeq - (this.eStart[ep] ?? 0)) | 0, len);

    // update_window: a zero window is interesting unless it comes with/after a RST or after the peer's FIN.
    if (pkt.win === 0 && !RST && this.st(peer) !== TCP_CLOSED && this.st(ep) !== TCP_RESET)
      this.scaled(slot, ep, this.eWin0, 87 /* W */);

    if (!this.didClose(slot * 2) || !this.didClose(slot * 2 + 1)) this.lastTs[slot] = t;

    if (SYN) {
      // SynWeirds
      if (RST) this.setWeird(slot, W_TCP_CHRISTMAS);
      if ((flags & TCP_URG) !== 0) this.setWeird(slot, W_BAROQUE_SYN);
      if (len > 0) this.setWeird(slot, W_SYN_WITH_DATA);
      this.initWindow(slot, ep, peer, ACK, pkt.optWscale);
    }

    if (FIN) {
      const c = this.eFin[ep] ?? 0;
      if (c < 0xffff) this.eFin[ep] = c + 1;
      if (c + 1 >= TCP_STORM_THRESH && t < (this.eLastTime[ep] ?? 0) + TCP_STORM_INTERARRIVAL)
        this.setWeird(slot, W_FIN_STORM);
      this.eFinSeq[ep] = relSeq + segLen;
    }

    if (RST) {
      const c = this.eRst[ep] ?? 0;
      if (c < 0xffff) this.eRst[ep] = c + 1;
      if (c + 1 >= TCP_STORM_THRESH && t < (this.eLastTime[ep] ?? 0) + TCP_STORM_INTERARRIVAL)
        this.setWeird(slot, W_RST_STORM);
    }

    let relAck = 0;
    if (ACK) {
      if (this.st(peer) === TCP_INACTIVE) {
        relAck = 1;
        this.initPeer(slot, peer, ep, SYN, FIN, RST, ackSeq);
      } else {
        this.underflow = false;
        relAck = this.relativeSeq(peer, ackSeq | 0, (this.eAck[peer] ?? 0) | 0, this.eAckWraps[peer] ?? 0);
        if (this.underflow) {
          relAck = 0;
          this.setWeird(slot, W_ACK_UNDERFLOW);
        } else if (!RST) {
          // update_ack_seq. "Don't trust ack's in RST packets."
          const d = seqDelta(ackSeq, this.eAck[peer] ?? 0);
          if (ackSeq === 0 && d > TOO_LARGE_SEQ_DELTA) {
            // More likely a broken ack than a large connection landing on 0.
          } else if (d > 0) this.updateAckSeqRaw(peer, ackSeq | 0);
        }
      }
    }

    const deltaLast = this.updateLastSeq(slot, ep, seqOnePast, SYN, FIN, RST, len, baseSeq);
    this.eLastTime[ep] = t;

    this.doClose = false;
    this.genEvent = false;
    const st = this.st(ep);
    if (st === TCP_INACTIVE) {
      if (this.updateInactiveState(slot, t, ep, peer, baseSeq, ackSeq, len, isOrig, flags)) {
        ep ^= 1;
        peer ^= 1;
      }
    } else if (st === TCP_SYN_SENT || st === TCP_SYN_ACK_SENT) {
      this.updateSynSentState(slot, ep, peer, len, isOrig, flags);
    } else if (st === TCP_ESTABLISHED || st === TCP_PARTIAL) {
      this.updateEstablishedState(slot, ep, peer, flags);
    } else if (st === TCP_CLOSED) {
      this.updateClosedState(slot, t, ep, deltaLast, flags);
    } else {
      // UpdateResetState
      if (SYN) this.setWeird(slot, W_SYN_AFTER_RESET);
      if (FIN) this.setWeird(slot, W_FIN_AFTER_RESET);
      if (len > 0 && !RST) this.setWeird(slot, W_DATA_AFTER_RESET);
    }
    const doClose = this.doClose;
    const genEvent = this.genEvent;

    // "We wait on doing this until we've updated the state machine so that if the ack reveals
    // a content gap, we can tell whether it came at the very end of the connection."
    if (ACK) this.ackReceived(slot, peer, relAck);

    // CheckPIA_FirstPacket(is_orig): with the is_orig the packet arrived with.
    this.cFlags[slot] = (this.cFlags[slot] ?? 0) | (isOrig ? F_FPS_ORIG : F_FPS_RESP);

    if (len > 0 && !RST && !seqUnderflow) {
      const relDataSeq = SYN ? relSeq + 1 : relSeq;
      // TCP_Endpoint::DataSent: the reassembler gets the data only if the snaplen kept all of it.
      if (pkt.payloadCaptured >= len) this.dataSent(slot, ep, relDataSeq, len);
      else this.setWeird(slot, W_TRUNCATED_PAYLOAD);
    }

    this.checkEOF(slot, ep);
    if (doClose) this.connectionClosed(slot, ep, peer, genEvent);
    return ep;
  }

  /** TCPSessionAdapter::SetPartialStatus. */
  private setPartialStatus(slot: number, SYN: boolean, ACK: boolean, isOrig: boolean): void {
    const f = this.cFlags[slot] ?? 0;
    if (isOrig) {
      if ((f & F_FPS_ORIG) === 0) this.cFlags[slot] = !SYN || ACK ? f | F_PARTIAL : f & ~F_PARTIAL;
    } else if ((f & F_FPS_RESP) === 0 && (f & F_PARTIAL) === 0) {
      if (!SYN) this.cFlags[slot] = f | F_PARTIAL;
    }
  }

  /** init_endpoint (TCPSessionAdapter.cc). `first` and `last` arrive as int32 (Smis across the call). */
  private initEndpoint(slot: number, e: number, SYN: boolean, first: number, last: number): void {
    first >>>= 0;
    last >>>= 0;
    switch (this.st(e)) {
      case TCP_INACTIVE:
        if (SYN) {
          this.eAck[e] = first;
          this.eStart[e] = first;
        } else {
          // Partial connection: number as though a SYN had been seen, and don't mark the
          // first packet as a duplicate.
          this.eAck[e] = (first - 1) >>> 0;
          this.eStart[e] = (first - 1) >>> 0;
          last = first;
        }
        this.eLast[e] = last;
        break;
      case TCP_SYN_SENT:
      case TCP_SYN_ACK_SENT:
        if (SYN && first !== this.eStart[e]) {
          this.setWeird(slot, W_SYN_SEQ_JUMP);
          this.eStart[e] = first;
          this.eAck[e] = first;
          this.eLast[e] = last;
        }
        break;
      case TCP_ESTABLISHED:
      case TCP_PARTIAL:
        if (SYN) {
          if (this.size(e) > 0) this.setWeird(slot, W_SYN_INSIDE_CONNECTION);
          if (first !== this.eStart[e]) this.setWeird(slot, W_SYN_SEQ_JUMP);
          // "Make a guess that somehow the connection didn't get established, and this SYN will
          // be the one that actually sets it up."
          this.eStart[e] = first;
          this.eAck[e] = first;
          this.eLast[e] = last;
        }
        break;
      case TCP_RESET:
        if (SYN && this.prev(e) === TCP_INACTIVE) {
          // Sequence numbers came from a RST (maybe injected): re-initialise from the SYN.
          this.eStart[e] = first;
          this.eAck[e] = first;
          this.eLast[e] = last;
        }
        break;
      default:
        break;
    }
  }

  /** update_history (TCPSessionAdapter.cc). `key` is the low 32 bits of rel_seq (as int32: a Smi across the call). */
  private updateHistory(
    slot: number,
    e: number,
    SYN: boolean,
    FIN: boolean,
    RST: boolean,
    ACK: boolean,
    key: number,
    len: number,
  ): void {
    key >>>= 0;
    const bits = (SYN ? 1 : 0) + (FIN ? 1 : 0) + (RST ? 1 : 0);
    if (bits > 1) {
      if (FIN && RST) this.checkHistory(slot, e, HIST_FIN_RST_PKT, 73 /* I */);
      else this.checkHistory(slot, e, HIST_MULTI_FLAG_PKT, 81 /* Q */);
    } else if (bits === 1) {
      if (SYN) {
        const code = ACK ? 72 /* H */ : CODE_UPPER_S;
        if (this.checkHistory(slot, e, HIST_SYN_PKT, code) && key !== this.eHistSyn[e])
          this.addHistory(slot, (e & 1) === 1 ? code + 32 : code);
        this.eHistSyn[e] = key;
      }
      if (FIN) {
        // "For FIN's, the sequence number comes at the end of (any data in) the packet."
        const k = (key + len) >>> 0;
        if (this.checkHistory(slot, e, HIST_FIN_PKT, 70 /* F */) && k !== this.eHistFin[e])
          this.addHistory(slot, (e & 1) === 1 ? 102 : 70);
        this.eHistFin[e] = k;
      }
      if (RST) {
        if (this.checkHistory(slot, e, HIST_RST_PKT, 82 /* R */) && key !== this.eHistRst[e])
          this.addHistory(slot, (e & 1) === 1 ? 114 : 82);
        this.eHistRst[e] = key;
      }
    } else if (len) this.checkHistory(slot, e, HIST_DATA_PKT, 68 /* D */);
    else if (ACK) this.checkHistory(slot, e, HIST_ACK_PKT, 65 /* A */);
  }

  /** init_window: only the shift is kept (window recision is not tracked). */
  private initWindow(slot: number, e: number, peer: number, ACK: boolean, scale: number): void {
    const keepE = (this.eMisc[e] ?? 0) & 0xf0;
    if (scale < 0) {
      this.eMisc[e] = keepE;
      if (ACK) this.eMisc[peer] = (this.eMisc[peer] ?? 0) & 0xf0;
    } else {
      if (scale > 14) {
        if (!this.didWeird(slot)) this.setWeird(slot, W_SCALE_RANGE);
        scale = 14;
      }
      this.eMisc[e] = keepE | scale;
    }
  }

  /** init_peer. */
  private initPeer(
    slot: number,
    peer: number,
    e: number,
    SYN: boolean,
    FIN: boolean,
    RST: boolean,
    ackSeq: number,
  ): void {
    if (!SYN && !FIN && !RST) {
      const s = this.st(e);
      if (s === TCP_SYN_SENT || s === TCP_SYN_ACK_SENT || s === TCP_ESTABLISHED) {
        // "We've already sent a SYN, but that hasn't roused the other end, yet we're ack'ing their data."
        if (!this.didWeird(slot)) this.setWeird(slot, W_POSSIBLE_SPLIT_ROUTING);
      }
    }
    const v = (ackSeq - 1) >>> 0;
    this.eStart[peer] = v;
    this.eAck[peer] = v;
    this.eLast[peer] = v;
  }

  /** update_last_seq: returns delta_last; counts retransmissions ('T'/'t'). */
  private updateLastSeq(
    slot: number,
    e: number,
    lastSeq: number,
    SYN: boolean,
    FIN: boolean,
    RST: boolean,
    len: number,
    baseSeq: number,
  ): number {
    const delta = seqDelta(lastSeq, this.eLast[e] ?? 0);
    if ((SYN || RST) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
      // "perhaps trust RST seq #'s if initial and not too outlandish" — Zeek does not.
    } else if (FIN && (this.eLast[e] ?? 0) === ((this.eStart[e] ?? 0) + 1) >>> 0) {
      // Accommodate > 2 GB connections where only the SYN and the FIN were seen.
      this.updateLastSeqRaw(e, lastSeq | 0);
    } else if (this.st(e) === TCP_RESET) {
      // "don't trust any subsequent sequence numbers"
    } else if (delta > 0) {
      this.updateLastSeqRaw(e, lastSeq | 0);
      if (len > 0) this.eRxmtConsec[e] = 0;
    } else if (delta <= 0 && len > 0) {
      this.scaled(slot, e, this.eRxmt, 84 /* T */);
      // For explain: consecutive retransmissions of the same sequence number.
      if ((this.eRxmtConsec[e] ?? 0) > 0 && this.eRxmtSeq[e] === baseSeq)
        this.eRxmtConsec[e] = Math.min(0xffff, (this.eRxmtConsec[e] ?? 0) + 1);
      else this.eRxmtConsec[e] = 1;
      this.eRxmtSeq[e] = baseSeq;
    }
    return delta;
  }

  /** UpdateInactiveState. Returns true when it flipped the roles (SYN/SYN-ACK reversal). */
  private updateInactiveState(
    slot: number,
    t: number,
    ep: number,
    peer: number,
    baseSeq: number,
    ackSeq: number,
    len: number,
    isOrig: boolean,
    flags: number,
  ): boolean {
    const SYN = (flags & TCP_SYN) !== 0;
    const FIN = (flags & TCP_FIN) !== 0;
    const RST = (flags & TCP_RST) !== 0;
    const ACK = (flags & TCP_ACK) !== 0;
    let flipped = false;
    if (SYN) {
      if (isOrig) {
        if (ACK) {
          this.setWeird(slot, W_ORIGINATOR_SYN_ACK);
          this.setState(slot, ep, TCP_SYN_ACK_SENT);
        } else this.setState(slot, ep, TCP_SYN_SENT);
        // AttemptTimer at t + tcp_attempt_delay.
        if (this.attemptDelay > 0)
          this.attemptAt[slot] = Math.min(this.attemptAt[slot] ?? Number.POSITIVE_INFINITY, t + this.attemptDelay);
      } else {
        if (ACK) {
          const ps = this.st(peer);
          if (
            ps !== TCP_INACTIVE &&
            ps !== TCP_PARTIAL &&
            !seqBetween(ackSeq, this.eStart[peer] ?? 0, this.eLast[peer] ?? 0)
          )
            this.setWeird(slot, W_BAD_SYN_ACK);
        } else if (this.st(peer) === TCP_SYN_ACK_SENT && baseSeq === this.eStart[ep]) {
          // SYN/SYN-ACK reversal (see IsReuse): flip the endpoints and establish.
          this.cFlags[slot] = (this.cFlags[slot] ?? 0) & ~F_PARTIAL;
          this.flipRoles(slot);
          ep ^= 1;
          peer ^= 1;
          flipped = true;
          this.setState(slot, peer, TCP_ESTABLISHED);
          this.cFlags[slot] = (this.cFlags[slot] ?? 0) | F_FPS_ORIG; // SetFirstPacketSeen(true)
        } else this.setWeird(slot, W_SIMULTANEOUS_OPEN);

        if (this.st(peer) === TCP_SYN_SENT) this.setState(slot, peer, TCP_ESTABLISHED);
        else if (this.st(peer) === TCP_INACTIVE) this.setWeird(slot, W_UNSOLICITED_SYN_RESPONSE);
        this.setState(slot, ep, TCP_ESTABLISHED);
      }
    }

    if (FIN) {
      this.setState(slot, ep, TCP_CLOSED);
      this.doClose = true;
      this.genEvent = true;
      if (this.st(peer) !== TCP_PARTIAL && !SYN) this.setWeird(slot, W_SPONTANEOUS_FIN);
    }

    if (RST) {
      this.setState(slot, ep, TCP_RESET);
      let isReject = false;
      if (isOrig) {
        // "If our peer is established then we saw a SYN-ack but not SYN - so a reverse scan."
        if (this.st(peer) === TCP_ESTABLISHED) isReject = true;
      } else if (this.st(peer) === TCP_SYN_SENT || this.st(peer) === TCP_SYN_ACK_SENT) isReject = true;
      this.doClose = true;
      this.genEvent = !isReject;
      if (!isReject && this.st(peer) === TCP_INACTIVE) this.setWeird(slot, W_SPONTANEOUS_RST);
    }

    if (this.st(ep) === TCP_INACTIVE) {
      // No control flags changed the state.
      if (!isOrig && len === 0 && this.st(slot * 2) === TCP_SYN_SENT) {
        // "Some eccentric TCP's will ack an initial SYN prior to sending a SYN reply."
      } else if (ACK && this.st(peer) === TCP_ESTABLISHED) {
        // SYN-ACK seen, SYN missed, now a pure ACK: establish rather than call it partial.
        this.setState(slot, ep, TCP_ESTABLISHED);
        this.cFlags[slot] = ((this.cFlags[slot] ?? 0) & ~F_PARTIAL) | (isOrig ? F_FPS_ORIG : F_FPS_RESP);
      } else this.setState(slot, ep, TCP_PARTIAL);
    }
    return flipped;
  }

  /** UpdateSYN_SentState. */
  private updateSynSentState(
    slot: number,
    ep: number,
    peer: number,
    len: number,
    isOrig: boolean,
    flags: number,
  ): void {
    const SYN = (flags & TCP_SYN) !== 0;
    const FIN = (flags & TCP_FIN) !== 0;
    const RST = (flags & TCP_RST) !== 0;
    const ACK = (flags & TCP_ACK) !== 0;
    if (SYN) {
      if (isOrig) {
        if (ACK && !FIN && !RST && this.st(ep) !== TCP_SYN_ACK_SENT) this.setWeird(slot, W_REPEATED_SYN_WITH_ACK);
      } else if (!ACK && this.st(ep) !== TCP_SYN_SENT) this.setWeird(slot, W_REPEATED_SYN_REPLY_WO_ACK);
    }
    if (FIN) {
      const ps = this.st(peer);
      if (ps === TCP_INACTIVE || ps === TCP_SYN_SENT) this.setWeird(slot, W_INAPPROPRIATE_FIN);
      this.setState(slot, ep, TCP_CLOSED);
      this.doClose = true;
      this.genEvent = true;
    }
    if (RST) {
      this.setState(slot, ep, TCP_RESET);
      this.connectionReset(slot);
      this.doClose = true;
    } else if (len > 0) this.setWeird(slot, W_DATA_BEFORE_ESTABLISHED);
  }

  /** UpdateEstablishedState (also for PARTIAL). */
  private updateEstablishedState(slot: number, ep: number, peer: number, flags: number): void {
    const SYN = (flags & TCP_SYN) !== 0;
    const FIN = (flags & TCP_FIN) !== 0;
    const RST = (flags & TCP_RST) !== 0;
    const ACK = (flags & TCP_ACK) !== 0;
    if (SYN && this.st(ep) === TCP_PARTIAL && this.st(peer) === TCP_INACTIVE && !ACK) {
      this.setWeird(slot, W_SYN_AFTER_PARTIAL);
      this.setState(slot, ep, TCP_SYN_SENT);
    }
    if (FIN && !RST) {
      this.setState(slot, ep, TCP_CLOSED);
      // "The peer sent a FIN followed by a RST. Turn it back into CLOSED state, because this
      // was actually normal termination."
      if (this.st(peer) === TCP_RESET && this.prev(peer) === TCP_CLOSED) this.setState(slot, peer, TCP_CLOSED);
      this.doClose = true;
      this.genEvent = true;
    }
    if (RST) {
      this.setState(slot, ep, TCP_RESET);
      this.doClose = true;
      if (this.st(peer) !== TCP_RESET || this.prev(peer) !== TCP_ESTABLISHED) this.connectionReset(slot);
    }
  }

  /** UpdateClosedState. */
  private updateClosedState(slot: number, t: number, ep: number, deltaLast: number, flags: number): void {
    if ((flags & TCP_SYN) !== 0) this.setWeird(slot, W_SYN_AFTER_CLOSE);
    if ((flags & TCP_FIN) !== 0 && deltaLast > 0) this.setWeird(slot, W_FIN_ADVANCED_LAST_SEQ);
    // "If our peer was also closed, then don't change our state now on a RST, since this
    // connection has already seen a FIN exchange." (Hence a RST after both FINs leaves SF.)
    if ((flags & TCP_RST) !== 0 && this.st(ep ^ 1) !== TCP_CLOSED) {
      this.setState(slot, ep, TCP_RESET);
      if (!this.didClose(ep)) this.doClose = true; // RST after FIN
      // ResetTimer at t + tcp_reset_delay. Zeek < 6.1 added it only when a connection_reset
      // handler existed (btest core/tcp/fin-rst-timeout); current Zeek always does.
      this.resetAt[slot] = Math.min(this.resetAt[slot] ?? Number.POSITIVE_INFINITY, t + this.resetDelay);
    }
  }

  private connectionReset(slot: number): void {
    this.cFlags[slot] = (this.cFlags[slot] ?? 0) & ~F_ACTIVE;
  }

  /** Connection::FlipRoles + TCPSessionAdapter::FlipRoles. */
  private flipRoles(slot: number): void {
    const a = this.kA[slot] ?? 0;
    this.kA[slot] = this.kB[slot] ?? 0;
    this.kB[slot] = a;
    const p = this.kPorts[slot] ?? 0;
    this.kPorts[slot] = ((p << 16) | (p >>> 16)) >>> 0;
    const o = slot * 2;
    const r = o + 1;
    const swap8 = (x: Uint8Array) => {
      const v = x[o] ?? 0;
      x[o] = x[r] ?? 0;
      x[r] = v;
    };
    const swap16 = (x: Uint16Array) => {
      const v = x[o] ?? 0;
      x[o] = x[r] ?? 0;
      x[r] = v;
    };
    const swap32 = (x: Uint32Array | Int32Array) => {
      const v = x[o] ?? 0;
      x[o] = x[r] ?? 0;
      x[r] = v;
    };
    const swapF = (x: Float64Array) => {
      const v = x[o] ?? 0;
      x[o] = x[r] ?? 0;
      x[r] = v;
    };
    swap8(this.eState);
    swap32(this.eStart);
    swap32(this.eLast);
    swap32(this.eAck);
    swap16(this.eSeqWraps);
    swap16(this.eAckWraps);
    swap8(this.eMisc);
    swap16(this.eFin);
    swap16(this.eRst);
    swapF(this.eFinSeq);
    swap32(this.eHistSyn);
    swap32(this.eHistFin);
    swap32(this.eHistRst);
    swap32(this.eRxmt);
    swap32(this.eWin0);
    swap32(this.eGap);
    swap32(this.eChk);
    swap32(this.ePkts);
    swapF(this.eIpBytes);
    swapF(this.eLastTime);
    swapF(this.eReassem);
    swapF(this.eTrim);
    swap32(this.eTtlVals);
    for (let i = 0; i < 4; i++) {
      const v = this.eTtlCnt[o * 4 + i] ?? 0;
      this.eTtlCnt[o * 4 + i] = this.eTtlCnt[r * 4 + i] ?? 0;
      this.eTtlCnt[r * 4 + i] = v;
      const w = this.eIpIdStats[o * 4 + i] ?? 0;
      this.eIpIdStats[o * 4 + i] = this.eIpIdStats[r * 4 + i] ?? 0;
      this.eIpIdStats[r * 4 + i] = w;
    }
    swap32(this.eTtlOther);
    swap32(this.eIpIdLast);
    swap16(this.eRxmtConsec);
    swap32(this.eRxmtSeq);
    swap32(this.eWin);
    swap32(this.dirHead);
    swap32(this.dirTail);
    const bo = this.blocks.get(o);
    const br = this.blocks.get(r);
    this.blocks.delete(o);
    this.blocks.delete(r);
    if (bo) this.blocks.set(r, bo);
    if (br) this.blocks.set(o, br);
    // first_packet_seen swaps; is_partial resets; the SYN sender's side swaps.
    let f = this.cFlags[slot] ?? 0;
    const fo = (f & F_FPS_ORIG) !== 0;
    const fr = (f & F_FPS_RESP) !== 0;
    f &= ~(F_FPS_ORIG | F_FPS_RESP | F_PARTIAL);
    if (fo) f |= F_FPS_RESP;
    if (fr) f |= F_FPS_ORIG;
    if ((f & F_SAW_SYN) !== 0) f ^= F_SYN_BY_RESP;
    f |= F_FLIPPED;
    this.cFlags[slot] = f;
    // Recorded packets keep their true sender.
    for (let i = this.ringHead[slot] ?? -1; i >= 0; i = this.pNext[i] ?? -1)
      this.pFlags[i] = (this.pFlags[i] ?? 0) ^ 0x8000;
    for (let i = this.dirHead[o] ?? -1; i >= 0; i = this.pNext[i] ?? -1) this.pFlags[i] = (this.pFlags[i] ?? 0) ^ 0x8000;
    for (let i = this.dirHead[r] ?? -1; i >= 0; i = this.pNext[i] ?? -1) this.pFlags[i] = (this.pFlags[i] ?? 0) ^ 0x8000;
    const cnt = this.ringCnt[slot] ?? 0;
    this.ringCnt[slot] = (cnt & 1023) | (((cnt >>> 10) & 1023) << 20) | (((cnt >>> 20) & 1023) << 10);
    for (let i = this.rstHead[slot] ?? -1; i >= 0; i = this.rNext[i] ?? -1) {
      this.rFlags[i] = (this.rFlags[i] ?? 0) ^ 0x8000;
    }
    this.addHistory(slot, 94 /* ^ */);
  }

  // ------------------------------------------------------------------ reassembler model

  /**
   * TCP_Reassembler::DataSent + Reassembler::NewBlock/BlockInserted, tracking sequence ranges
   * only (no bytes): what was delivered in order (last_reassem_seq), what waits above a hole.
   */
  private dataSent(slot: number, e: number, seq: number, len: number): void {
    this.eMisc[e] = (this.eMisc[e] ?? 0) | E_DATA;
    if (((this.eMisc[e] ?? 0) & E_SKIP) !== 0) return;
    const ack = (this.eAckWraps[e] ?? 0) * SEQ_SPACE + (this.eAck[e] ?? 0) - (this.eStart[e] ?? 0);
    let upper = seq + len;
    if (seq < ack) {
      if (upper <= ack) return; // already delivered and acked
      seq = ack;
    }
    const trim = this.eTrim[e] ?? 1;
    if (upper <= trim) return;
    if (seq < trim) seq = trim;
    let reassem = this.eReassem[e] ?? 1;
    if (seq <= reassem) {
      if (upper > reassem) {
        reassem = upper;
        const bl = this.blocks.get(e);
        if (bl) {
          while (bl.length > 0 && (bl[0] ?? 0) <= reassem) {
            if ((bl[1] ?? 0) > reassem) reassem = bl[1] ?? 0;
            bl.splice(0, 2);
          }
          if (bl.length === 0) this.blocks.delete(e);
        }
        this.eReassem[e] = reassem;
        // BlockInserted: none of our data acked yet but a lot sent: stop holding it.
        if (this.noDataAcked(e) && this.size(e) > TCP_MAX_INITIAL_WINDOW) this.eTrim[e] = reassem;
      }
    } else {
      let bl = this.blocks.get(e);
      if (!bl) {
        bl = [];
        this.blocks.set(e, bl);
      }
      // Insert [seq, upper) into the sorted, merged list of ranges above the hole.
      let i = 0;
      while (i < bl.length && (bl[i + 1] ?? 0) < seq) i += 2;
      let j = i;
      while (j < bl.length && (bl[j] ?? 0) <= upper) {
        if ((bl[j] ?? 0) < seq) seq = bl[j] ?? 0;
        if ((bl[j + 1] ?? 0) > upper) upper = bl[j + 1] ?? 0;
        j += 2;
      }
      bl.splice(i, j - i, seq, upper);
    }
    const bl = this.blocks.get(e);
    if (bl && bl.length > 0) {
      const undelivered = (bl[bl.length - 1] ?? 0) - (this.eReassem[e] ?? 1);
      if (this.noDataAcked(e) && undelivered > TCP_MAX_ABOVE_HOLE) {
        this.setWeird(slot, W_ABOVE_HOLE);
        this.blocks.delete(e);
        this.eMisc[e] = (this.eMisc[e] ?? 0) | E_SKIP;
        return;
      }
    }
    let buffered = (this.eReassem[e] ?? 1) - (this.eTrim[e] ?? 1);
    if (bl) for (let i = 0; i < bl.length; i += 2) buffered += (bl[i + 1] ?? 0) - (bl[i] ?? 0);
    if (buffered > TCP_EXCESSIVE_DATA) {
      this.setWeird(slot, W_EXCESSIVE_DATA);
      this.blocks.delete(e);
      this.eMisc[e] = (this.eMisc[e] ?? 0) | E_SKIP;
    }
  }

  /** TCP_Reassembler::AckReceived + Reassembler::TrimToSeq for endpoint e's data. */
  private ackReceived(slot: number, e: number, seq: number): void {
    if ((this.eFin[e] ?? 0) > 0 && seq >= (this.eFinSeq[e] ?? 0)) seq = (this.eFinSeq[e] ?? 0) - 1;
    if (seq <= (this.eTrim[e] ?? 1)) return;
    if ((this.eReassem[e] ?? 1) < seq) this.undelivered(slot, e, seq);
    this.eTrim[e] = seq;
    const bl = this.blocks.get(e);
    if (bl) {
      while (bl.length > 0 && (bl[1] ?? 0) <= seq) bl.splice(0, 2);
      if (bl.length === 0) this.blocks.delete(e);
    }
    this.checkEOF(slot, e);
  }

  /** TCP_Reassembler::Undelivered: holes below up_to become content gaps. */
  private undelivered(slot: number, e: number, upTo: number): void {
    if (upTo <= 2 && ((this.cFlags[slot] ?? 0) & F_PARTIAL) !== 0) {
      // The faked-up ISN of a partial connection: ignore (and, as Zeek, don't advance).
      return;
    }
    let reassem = this.eReassem[e] ?? 1;
    if (((this.eMisc[e] ?? 0) & E_SKIP) === 0) {
      const bl = this.blocks.get(e);
      if (bl) {
        while (bl.length > 0) {
          const lo = bl[0] ?? 0;
          const hi = bl[1] ?? 0;
          if (lo >= upTo) break;
          if (lo > reassem) this.gap(slot, e, lo - reassem);
          if (hi > reassem) reassem = hi;
          bl.splice(0, 2);
        }
        if (bl.length === 0) this.blocks.delete(e);
      }
      if (upTo > reassem) this.gap(slot, e, upTo - reassem);
    }
    if (upTo > reassem) reassem = upTo;
    this.eReassem[e] = reassem;
  }

  /** TCP_Reassembler::Gap: 'G'/'g' and missed_bytes only while both sides are cleanly established or closing. */
  private gap(slot: number, e: number, len: number): void {
    const clean = (x: number) =>
      this.st(x) === TCP_ESTABLISHED || (this.st(x) === TCP_CLOSED && this.prev(x) === TCP_ESTABLISHED);
    if (clean(e) && clean(e ^ 1)) {
      this.scaled(slot, e, this.eGap, 71 /* G */);
      this.missed[slot] = (this.missed[slot] ?? 0) + len;
    }
  }

  /** TCP_Reassembler::DataPending. */
  private dataPending(e: number): boolean {
    if (((this.eMisc[e] ?? 0) & E_SKIP) !== 0) return false;
    const delivered = (this.eStart[e] ?? 0) + (this.eReassem[e] ?? 1);
    const last = (this.eSeqWraps[e] ?? 0) * SEQ_SPACE + (this.eLast[e] ?? 0);
    if (last < delivered) return false;
    if (delivered !== last - 1 && delivered !== last) return true;
    // "If we've sent RST, then we can't send ACKs any more."
    if (this.st(e) !== TCP_RESET && this.blocks.has(e ^ 1)) return true;
    return false;
  }

  /** TCP_Reassembler::CheckEOF. */
  private checkEOF(slot: number, e: number): void {
    const m = this.eMisc[e] ?? 0;
    if ((m & E_DID_EOF) !== 0) return;
    const s = this.st(e);
    if (((this.eFin[e] ?? 0) > 0 || s === TCP_CLOSED || s === TCP_RESET) && !this.dataPending(e)) {
      this.eMisc[e] = m | E_DID_EOF;
      // TCPSessionAdapter::EndpointEOF
      const f = this.cFlags[slot] ?? 0;
      if ((f & F_CLOSE_DEFERRED) !== 0) {
        if (this.dataPending(e) && this.didClose(slot * 2) && this.didClose(slot * 2 + 1))
          this.setWeird(slot, W_PENDING_DATA_WHEN_CLOSED);
        this.connectionClosed(slot, e, e ^ 1, (f & F_DEFERRED_GEN) !== 0);
        this.cFlags[slot] = (this.cFlags[slot] ?? 0) & ~F_CLOSE_DEFERRED;
      }
    }
  }

  /** TCPSessionAdapter::ConnectionClosed. */
  private connectionClosed(slot: number, e: number, peer: number, genEvent: boolean): void {
    let f = this.cFlags[slot] ?? 0;
    if (this.dataPending(e)) {
      // "Don't close out the connection yet, there's still data to deliver."
      f |= F_CLOSE_DEFERRED;
      if ((f & F_DEFERRED_GEN) === 0 && genEvent) f |= F_DEFERRED_GEN;
      this.cFlags[slot] = f;
      return;
    }
    f &= ~F_CLOSE_DEFERRED;
    this.cFlags[slot] = f;
    if (this.didClose(e)) return;
    this.eMisc[e] = (this.eMisc[e] ?? 0) | E_DID_CLOSE;
    const closeComplete = this.st(e) === TCP_RESET || this.didClose(peer) || this.st(peer) === TCP_INACTIVE;
    if (closeComplete) {
      if (this.prev(e) !== TCP_INACTIVE || this.st(peer) !== TCP_INACTIVE) {
        if ((f & F_DEFERRED_GEN) !== 0) {
          genEvent = true;
          f &= ~F_DEFERRED_GEN;
        }
        if (genEvent) f &= ~F_ACTIVE; // ConnectionFinished
        this.cFlags[slot] = f;
      }
      // CancelTimers(): the analyzer's timers; then ConnDeleteTimer at LastTime + tcp_close_delay.
      this.attemptAt[slot] = Number.POSITIVE_INFINITY;
      this.expireAt[slot] = Number.POSITIVE_INFINITY;
      this.expire2At[slot] = Number.POSITIVE_INFINITY;
      this.resetAt[slot] = Number.POSITIVE_INFINITY;
      this.deleteAt[slot] = (this.lastTs[slot] ?? 0) + this.closeDelay;
    } else if (this.prev(e) !== TCP_INACTIVE) {
      // ExpireTimer at LastTime + tcp_session_timer, to look for the other side closing too.
      // (For a side whose first packet was the FIN, Zeek only arms PartialCloseTimer when a
      // connection_partial_close handler exists; the default scripts have none.)
      this.expire2At[slot] = Math.min(
        this.expire2At[slot] ?? Number.POSITIVE_INFINITY,
        (this.lastTs[slot] ?? 0) + this.sessionTimer,
      );
    }
  }

  /** TCPSessionAdapter::IsReuse. */
  private isReuse(slot: number, t: number, pkt: DecodedPacket): boolean {
    const flags = pkt.flags;
    // "Reuse only occurs on initial SYN's, except for half connections it can occur on SYN-acks."
    if ((flags & TCP_SYN) === 0) return false;
    const o = slot * 2;
    const r = o + 1;
    let connOrig = o;
    if ((flags & TCP_ACK) !== 0) {
      if (this.st(o) !== TCP_INACTIVE) return false;
      connOrig = r;
    }
    const closed = this.didClose(o) || this.didClose(r);
    if (!closed) {
      const base = pkt.seq >>> 0;
      if (base === this.eStart[connOrig]) return false;
      if (
        (flags & TCP_ACK) === 0 &&
        this.st(connOrig) === TCP_SYN_ACK_SENT &&
        this.st(r) === TCP_INACTIVE &&
        base === this.eStart[r]
      )
        // SYN and SYN-ACK reversed (e.g. two interfaces): not a reuse; Process flips.
        return false;
      if (this.st(connOrig) === TCP_SYN_SENT) this.setWeird(slot, W_SYN_SEQ_JUMP);
      else this.setWeird(slot, W_ACTIVE_CONNECTION_REUSE);
    } else {
      const active = (e: number) => this.st(e) !== TCP_INACTIVE && !this.didClose(e);
      if ((active(o) || active(r)) && this.st(o) !== TCP_RESET && this.st(r) !== TCP_RESET)
        this.setWeird(slot, W_ACTIVE_CONNECTION_REUSE);
      else if (
        t - (this.lastTs[slot] ?? 0) < this.linger &&
        this.st(o) !== TCP_RESET &&
        this.st(r) !== TCP_RESET
      )
        this.setWeird(slot, W_PREMATURE_CONNECTION_REUSE);
    }
    return true;
  }

  // ------------------------------------------------------------------ timers

  private reschedule(slot: number): void {
    if (((this.cFlags[slot] ?? 0) & F_USED) === 0) return;
    const d = this.nextDeadline(slot);
    if (d < (this.sched[slot] ?? Number.POSITIVE_INFINITY)) {
      this.sched[slot] = d;
      this.heapPush(d, slot, this.cGen[slot] ?? 0);
    }
  }

  private inactivityDeadline(slot: number): number {
    const f = this.cFlags[slot] ?? 0;
    const to = (f & F_LEFT_HANDSHAKE) !== 0 ? this.inactivityTimeout : this.handshakeTimeout;
    if (to <= 0) return Number.POSITIVE_INFINITY;
    return (this.lastTs[slot] ?? 0) + to;
  }

  private nextDeadline(slot: number): number {
    return Math.min(
      this.expireAt[slot] ?? Number.POSITIVE_INFINITY,
      this.expire2At[slot] ?? Number.POSITIVE_INFINITY,
      this.deleteAt[slot] ?? Number.POSITIVE_INFINITY,
      this.attemptAt[slot] ?? Number.POSITIVE_INFINITY,
      this.resetAt[slot] ?? Number.POSITIVE_INFINITY,
      this.inactivityDeadline(slot),
    );
  }

  /** Fires every timer due at network time `now` (PQ_TimerMgr::DoAdvance: time <= now). */
  private advance(now: number): void {
    while (this.hSize > 0 && (this.hTime[0] ?? 0) <= now) {
      const t = this.hTime[0] ?? 0;
      const slot = this.hSlot[0] ?? 0;
      const gen = this.hGen[0] ?? 0;
      this.heapPop();
      if (((this.cFlags[slot] ?? 0) & F_USED) === 0 || this.cGen[slot] !== gen || this.sched[slot] !== t) continue;
      this.sched[slot] = Number.POSITIVE_INFINITY;
      this.runTimers(slot, now);
      this.reschedule(slot);
    }
  }

  /** Runs the due timers of one connection, earliest first. */
  private runTimers(slot: number, now: number): void {
    for (let guard = 0; guard < 16; guard++) {
      if (((this.cFlags[slot] ?? 0) & F_USED) === 0) return;
      const ex = this.expireAt[slot] ?? Number.POSITIVE_INFINITY;
      const ex2 = this.expire2At[slot] ?? Number.POSITIVE_INFINITY;
      const del = this.deleteAt[slot] ?? Number.POSITIVE_INFINITY;
      const att = this.attemptAt[slot] ?? Number.POSITIVE_INFINITY;
      const rst = this.resetAt[slot] ?? Number.POSITIVE_INFINITY;
      const ina = this.inactivityDeadline(slot);
      const m = Math.min(ex, ex2, del, att, rst, ina);
      if (m > now) return;
      const f = this.cFlags[slot] ?? 0;
      const active = (f & F_ACTIVE) !== 0;
      if (m === del) {
        // ConnDeleteTimer -> Connection::DeleteTimer: remove.
        this.finishSlot(slot, 'closed');
        return;
      }
      if (m === att) {
        this.attemptAt[slot] = Number.POSITIVE_INFINITY;
        // AttemptTimer: only a SYN (or SYN-ACK) from the originator, nothing back.
        const os = this.st(slot * 2);
        if (active && (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT) && this.st(slot * 2 + 1) === TCP_INACTIVE) {
          this.connectionReset(slot);
          this.finishSlot(slot, 'attempt');
          return;
        }
        continue;
      }
      if (m === rst) {
        this.resetAt[slot] = Number.POSITIVE_INFINITY;
        // ResetTimer
        if (!active) continue;
        this.finishSlot(slot, 'reset_timer');
        return;
      }
      if (m === ex || m === ex2) {
        if (m === ex) this.expireAt[slot] = Number.POSITIVE_INFINITY;
        else this.expire2At[slot] = Number.POSITIVE_INFINITY;
        if (!active) continue; // ExpireTimer: "if ( ! is_active ) return;" (not re-armed)
        if (this.expireTimer(slot, now)) return;
        const next = now + this.sessionTimer;
        if (m === ex) this.expireAt[slot] = next;
        else this.expire2At[slot] = next;
        continue;
      }
      // Connection::InactivityTimer: last_time + timeout <= t.
      this.finishSlot(slot, 'inactivity');
      return;
    }
  }

  /** TCPSessionAdapter::ExpireTimer body; true when it removed the connection. */
  private expireTimer(slot: number, now: number): boolean {
    if ((this.lastTs[slot] ?? 0) + this.linger < now) {
      const o = slot * 2;
      const r = o + 1;
      const os = this.st(o);
      const rs = this.st(r);
      if (this.didClose(o) || this.didClose(r)) {
        if (
          (this.didClose(o) && this.didClose(r)) ||
          os === TCP_RESET ||
          rs === TCP_RESET ||
          os === TCP_INACTIVE ||
          rs === TCP_INACTIVE
        ) {
          this.connectionReset(slot);
          this.finishSlot(slot, 'expire');
          return true;
        }
      }
      if (rs === TCP_INACTIVE && os === TCP_INACTIVE) {
        this.finishSlot(slot, 'expire');
        return true;
      }
    }
    return false;
  }

  /** Finishes the connection whose timer is soonest, to stay under maxLiveConnections. */
  private evictOne(): void {
    while (this.hSize > 0) {
      const t = this.hTime[0] ?? 0;
      const slot = this.hSlot[0] ?? 0;
      const gen = this.hGen[0] ?? 0;
      this.heapPop();
      if (((this.cFlags[slot] ?? 0) & F_USED) === 0 || this.cGen[slot] !== gen || this.sched[slot] !== t) continue;
      this.evictedCount++;
      this.finishSlot(slot, 'evicted');
      return;
    }
  }

  private resizeHeap(n: number): void {
    this.hTime = growF64(this.hTime, n);
    this.hSlot = growI32(this.hSlot, n);
    this.hGen = growU32(this.hGen, n);
  }

  private heapPush(t: number, slot: number, gen: number): void {
    if (this.hSize >= this.hTime.length) this.resizeHeap(this.hTime.length * 2);
    let i = this.hSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.hTime[p] ?? 0;
      if (pt <= t) break;
      this.hTime[i] = pt;
      this.hSlot[i] = this.hSlot[p] ?? 0;
      this.hGen[i] = this.hGen[p] ?? 0;
      i = p;
    }
    this.hTime[i] = t;
    this.hSlot[i] = slot;
    this.hGen[i] = gen;
  }

  private heapPop(): void {
    const n = --this.hSize;
    if (n <= 0) return;
    const t = this.hTime[n] ?? 0;
    const s = this.hSlot[n] ?? 0;
    const g = this.hGen[n] ?? 0;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (this.hTime[c + 1] ?? 0) < (this.hTime[c] ?? 0)) c++;
      if ((this.hTime[c] ?? 0) >= t) break;
      this.hTime[i] = this.hTime[c] ?? 0;
      this.hSlot[i] = this.hSlot[c] ?? 0;
      this.hGen[i] = this.hGen[c] ?? 0;
      i = c;
    }
    this.hTime[i] = t;
    this.hSlot[i] = s;
    this.hGen[i] = g;
  }

  // ------------------------------------------------------------------ explain-side observations

  private ipTotalLength(rec: CaptureRecord, pkt: DecodedPacket): number {
    // ConnSize counts IP total_length; a zero (TSO) falls back to what the frame holds.
    if (pkt.ipTotalLength > 0) return pkt.ipTotalLength;
    return Math.max(0, rec.start + rec.caplen - pkt.ipOffset); // offsets include rec.start
  }

  private optBits(pkt: DecodedPacket): number {
    let b = 0;
    if (pkt.optMss >= 0) b |= OPT_MSS;
    if (pkt.optWscale >= 0) b |= OPT_WSCALE;
    if (pkt.optSackPermitted) b |= OPT_SACK_PERMITTED;
    if (pkt.optTimestamp) b |= OPT_TIMESTAMP;
    if (pkt.optSackCount > 0) b |= OPT_SACK;
    if (pkt.optMptcpSubtype >= 0) b |= OPT_MPTCP;
    if (pkt.unknownOptionCount > 0) b |= OPT_UNKNOWN;
    if (pkt.df) b |= 0x80;
    return b;
  }

  /** Per-packet statistics for explain: TTL/IP-ID baselines, handshake timing, idle gaps, ring. */
  private observe(slot: number, e: number, rec: CaptureRecord, pkt: DecodedPacket, t: number): void {
    const flags = pkt.flags;
    const prevAny = this.lastPktTs[slot] ?? Number.NaN;
    if (!Number.isNaN(prevAny)) {
      const gap = t - prevAny;
      if (gap > (this.idleMax[slot] ?? 0)) this.idleMax[slot] = gap;
    }
    this.lastPktTs[slot] = t;
    if ((flags & TCP_RST) === 0) {
      this.eWin[e] = pkt.win;
      this.observeTtl(e, pkt.ttl & 255);
      if (pkt.ipVersion === 4) this.observeIpId(e, pkt.ipId & 0xffff);
    }
    // Handshake timing at the capture point.
    const SYN = (flags & TCP_SYN) !== 0;
    const ACK = (flags & TCP_ACK) !== 0;
    let f = this.cFlags[slot] ?? 0;
    const fromResp = (e & 1) === 1;
    if (SYN && !ACK && (flags & TCP_RST) === 0 && (f & F_SAW_SYN) === 0) {
      f |= F_SAW_SYN | (fromResp ? F_SYN_BY_RESP : 0);
      this.synTs[slot] = t;
    } else if (SYN && ACK && (f & F_SAW_SYN) !== 0 && (f & F_SAW_SYNACK) === 0) {
      if (fromResp !== ((f & F_SYN_BY_RESP) !== 0)) {
        f |= F_SAW_SYNACK;
        this.synAckTs[slot] = t;
      }
    } else if (!SYN && ACK && (f & F_SAW_SYNACK) !== 0 && (f & F_SAW_HSACK) === 0) {
      if (fromResp === ((f & F_SYN_BY_RESP) !== 0)) {
        f |= F_SAW_HSACK;
        this.hsAckTs[slot] = t;
      }
    }
    this.cFlags[slot] = f;
    this.ringAdd(slot, e, rec, pkt, t);
  }

  /** Up to four distinct TTL values per side with their counts (a slot is used when its count > 0). */
  private observeTtl(e: number, ttl: number): void {
    const packed = this.eTtlVals[e] ?? 0;
    for (let i = 0; i < 4; i++) {
      const c = this.eTtlCnt[e * 4 + i] ?? 0;
      if (c === 0) {
        this.eTtlVals[e] = ((packed & ~(255 << (i * 8))) | (ttl << (i * 8))) >>> 0;
        this.eTtlCnt[e * 4 + i] = 1;
        return;
      }
      if (((packed >>> (i * 8)) & 255) === ttl) {
        if (c < 0xffff) this.eTtlCnt[e * 4 + i] = c + 1;
        return;
      }
    }
    this.eTtlOther[e] = ((this.eTtlOther[e] ?? 0) + 1) >>> 0;
  }

  private observeIpId(e: number, id: number): void {
    const st = e * 4;
    const last = this.eIpIdLast[e] ?? -1;
    this.eIpIdStats[st] = Math.min(0xffff, (this.eIpIdStats[st] ?? 0) + 1);
    if (id === 0) this.eIpIdStats[st + 1] = Math.min(0xffff, (this.eIpIdStats[st + 1] ?? 0) + 1);
    if (last >= 0 && id !== 0) {
      const d = (id - last) & 0xffff;
      // A per-connection or global counter moves forward by a little between our packets.
      if (d >= 1 && d <= 2048) this.eIpIdStats[st + 2] = Math.min(0xffff, (this.eIpIdStats[st + 2] ?? 0) + 1);
      else if (d === 0) this.eIpIdStats[st + 3] = Math.min(0xffff, (this.eIpIdStats[st + 3] ?? 0) + 1);
    }
    this.eIpIdLast[e] = id;
  }

  private ringAlloc(): number {
    if (this.pNextFree >= 0) {
      const i = this.pNextFree;
      this.pNextFree = this.pNext[i] ?? -1;
      this.pLive++;
      return i;
    }
    if (this.pHigh >= this.pCap) {
      if (this.pCap >= this.maxRingRecords) return -1;
      const n = Math.min(this.maxRingRecords, Math.max(1024, this.pCap * 2));
      this.pTs = growF64(this.pTs, n);
      this.pFrame = growU32(this.pFrame, n);
      this.pSeq = growU32(this.pSeq, n);
      this.pAck = growU32(this.pAck, n);
      this.pWin = growU16(this.pWin, n);
      this.pFlags = growU16(this.pFlags, n);
      this.pTtl = growU8(this.pTtl, n);
      this.pIpId = growI32(this.pIpId, n);
      this.pLen = growU32(this.pLen, n);
      this.pOpt = growU8(this.pOpt, n);
      this.pNext = growI32(this.pNext, n);
      this.pCap = n;
    }
    this.pLive++;
    return this.pHigh++;
  }

  private ringFree(i: number): void {
    this.pNext[i] = this.pNextFree;
    this.pNextFree = i;
    this.pLive--;
  }

  /**
   * Appends a packet to the connection's ring, evicting that direction's oldest unpinned one.
   * Pinned packets all come before unpinned ones in capture order (once `headPackets` are kept the
   * total never drops below it), so the ring is the pinned chain followed by the two direction
   * chains merged by frame number (see finishSlot).
   */
  private ringAdd(slot: number, e: number, rec: CaptureRecord, pkt: DecodedPacket, t: number): void {
    const dirBit = (e & 1) === 1 ? 0x8000 : 0;
    // Counts kept beside the chains: walking them on every packet cost ~20 loads per packet.
    const shift = dirBit === 0 ? 10 : 20;
    let cnt = this.ringCnt[slot] ?? 0;
    let total = cnt & 1023;
    if (((cnt >>> shift) & 1023) >= this.ringPerDir) {
      // The direction chain's head is its oldest unpinned record: unlink it in O(1).
      const i = this.dirHead[e] ?? -1;
      if (i >= 0) {
        const nx = this.pNext[i] ?? -1;
        this.dirHead[e] = nx;
        if (nx < 0) this.dirTail[e] = -1;
        this.ringFree(i);
        total--;
        cnt -= 1 + (1 << shift);
      }
    }
    const r = this.ringAlloc();
    if (r < 0) {
      this.pDroppedTotal++;
      this.ringCnt[slot] = cnt;
      return;
    }
    const pinned = total < this.headPackets;
    this.ringCnt[slot] = cnt + 1 + (pinned ? 0 : 1 << shift);
    this.pTs[r] = t;
    this.pFrame[r] = rec.frame;
    this.pSeq[r] = pkt.seq >>> 0;
    this.pAck[r] = pkt.ack >>> 0;
    this.pWin[r] = pkt.win;
    this.pFlags[r] = (pkt.flags & 0x1ff) | dirBit | (pinned ? 0x4000 : 0);
    this.pTtl[r] = pkt.ttl;
    this.pIpId[r] = pkt.ipVersion === 4 ? pkt.ipId & 0xffff : -1;
    this.pLen[r] = pkt.payloadLength;
    this.pOpt[r] = this.optBits(pkt);
    this.pNext[r] = -1;
    if (pinned) {
      const tail = this.ringTail[slot] ?? -1;
      if (tail < 0) this.ringHead[slot] = r;
      else this.pNext[tail] = r;
      this.ringTail[slot] = r;
    } else {
      const tail = this.dirTail[e] ?? -1;
      if (tail < 0) this.dirHead[e] = r;
      else this.pNext[tail] = r;
      this.dirTail[e] = r;
    }
  }

  private rstAlloc(): number {
    if (this.rNextFree >= 0) {
      const i = this.rNextFree;
      this.rNextFree = this.rNext[i] ?? -1;
      this.rLive++;
      return i;
    }
    if (this.rHigh >= this.rCap) {
      const n = Math.max(256, this.rCap * 2);
      this.rTs = growF64(this.rTs, n);
      this.rFrame = growU32(this.rFrame, n);
      this.rSeq = growU32(this.rSeq, n);
      this.rAck = growU32(this.rAck, n);
      this.rWin = growU16(this.rWin, n);
      this.rFlags = growU16(this.rFlags, n);
      this.rTtl = growU8(this.rTtl, n);
      this.rIpId = growI32(this.rIpId, n);
      this.rLen = growU32(this.rLen, n);
      this.rOpt = growU8(this.rOpt, n);
      this.rIndex = growU32(this.rIndex, n);
      this.rMptcp = growI32(this.rMptcp, n);
      this.rPktsO = growU32(this.rPktsO, n);
      this.rPktsR = growU32(this.rPktsR, n);
      this.rStates = growU8(this.rStates, n);
      this.rBits = growU8(this.rBits, n);
      this.rLastSelf = growF64(this.rLastSelf, n);
      this.rLastOther = growF64(this.rLastOther, n);
      this.rLastAny = growF64(this.rLastAny, n);
      const im = new Float32Array(n);
      im.set(this.rIdleMax);
      this.rIdleMax = im;
      this.rNextO = growF64(this.rNextO, n);
      this.rNextR = growF64(this.rNextR, n);
      this.rAckedO = growF64(this.rAckedO, n);
      this.rAckedR = growF64(this.rAckedR, n);
      this.rWinO = growF64(this.rWinO, n);
      this.rWinR = growF64(this.rWinR, n);
      this.rConsec = growU32(this.rConsec, n);
      this.rPrevIpId = growI32(this.rPrevIpId, n);
      this.rNext = growI32(this.rNext, n);
      this.rCap = n;
    }
    this.rLive++;
    return this.rHigh++;
  }

  /** Records a RST with a snapshot of the connection just before it is processed. */
  private recordRst(slot: number, isOrig: boolean, rec: CaptureRecord, pkt: DecodedPacket, t: number): number {
    const idx = this.rstCount[slot] ?? 0;
    this.rstCount[slot] = idx + 1;
    if (idx >= this.maxResets) return idx;
    const r = this.rstAlloc();
    const o = slot * 2;
    const rr = o + 1;
    const e = isOrig ? o : rr;
    this.rTs[r] = t;
    this.rFrame[r] = rec.frame;
    this.rSeq[r] = pkt.seq >>> 0;
    this.rAck[r] = pkt.ack >>> 0;
    this.rWin[r] = pkt.win;
    this.rFlags[r] = (pkt.flags & 0x1ff) | (isOrig ? 0 : 0x8000);
    this.rTtl[r] = pkt.ttl;
    this.rIpId[r] = pkt.ipVersion === 4 ? pkt.ipId & 0xffff : -1;
    this.rLen[r] = pkt.payloadLength;
    this.rOpt[r] = this.optBits(pkt);
    this.rIndex[r] = idx;
    this.rMptcp[r] = pkt.optMptcpRstReason >= 0 ? (pkt.optMptcpRstReason & 255) | ((pkt.optMptcpRstFlags & 255) << 8) : -1;
    this.rPktsO[r] = this.ePkts[o] ?? 0;
    this.rPktsR[r] = this.ePkts[rr] ?? 0;
    this.rStates[r] = this.st(o) | (this.st(rr) << 4);
    const f = this.cFlags[slot] ?? 0;
    let stage = 0; // none
    if ((f & F_SAW_HSACK) !== 0) stage = 3;
    else if ((f & F_SAW_SYNACK) !== 0) stage = 2;
    else if ((f & F_SAW_SYN) !== 0) stage = 1;
    else if ((this.ePkts[o] ?? 0) + (this.ePkts[rr] ?? 0) > 0) stage = 4; // midstream
    this.rBits[r] =
      stage |
      (((this.eMisc[o] ?? 0) & E_DATA) !== 0 ? 8 : 0) |
      (((this.eMisc[rr] ?? 0) & E_DATA) !== 0 ? 16 : 0) |
      ((this.eFin[o] ?? 0) > 0 ? 32 : 0) |
      ((this.eFin[rr] ?? 0) > 0 ? 64 : 0);
    this.rLastSelf[r] = (this.ePkts[e] ?? 0) > 0 ? (this.eLastTime[e] ?? Number.NaN) : Number.NaN;
    this.rLastOther[r] = (this.ePkts[e ^ 1] ?? 0) > 0 ? (this.eLastTime[e ^ 1] ?? Number.NaN) : Number.NaN;
    this.rLastAny[r] = this.lastPktTs[slot] ?? Number.NaN;
    this.rIdleMax[r] = this.idleMax[slot] ?? 0;
    const seenO = this.st(o) !== TCP_INACTIVE;
    const seenR = this.st(rr) !== TCP_INACTIVE;
    this.rNextO[r] = seenO ? (this.eLast[o] ?? 0) : -1;
    this.rNextR[r] = seenR ? (this.eLast[rr] ?? 0) : -1;
    this.rAckedO[r] = seenO ? (this.eAck[o] ?? 0) : -1;
    this.rAckedR[r] = seenR ? (this.eAck[rr] ?? 0) : -1;
    const wo = this.eWin[o] ?? -1;
    const wr = this.eWin[rr] ?? -1;
    this.rWinO[r] = wo < 0 ? -1 : wo * 2 ** ((this.eMisc[o] ?? 0) & 15);
    this.rWinR[r] = wr < 0 ? -1 : wr * 2 ** ((this.eMisc[rr] ?? 0) & 15);
    this.rConsec[r] = ((this.eRxmtConsec[o] ?? 0) | ((this.eRxmtConsec[rr] ?? 0) << 16)) >>> 0;
    this.rPrevIpId[r] = this.eIpIdLast[e] ?? -1;
    this.rNext[r] = -1;
    if (pkt.payloadCaptured > 0 && this.rstPayloadBytes > 0) {
      const n = Math.min(pkt.payloadCaptured, this.rstPayloadBytes);
      const from = pkt.payloadOffset; // decoded offsets index rec.data directly
      this.rPayload.set(r, rec.data.slice(from, from + n));
    }
    const tail = this.rstTail[slot] ?? -1;
    if (tail < 0) this.rstHead[slot] = r;
    else this.rNext[tail] = r;
    this.rstTail[slot] = r;
    return idx;
  }

  /** TCP checksum over the pseudo-header and segment (RFC 9293 §3.1), as Zeek's ValidChecksum. */
  private checksumOk(rec: CaptureRecord, pkt: DecodedPacket): boolean {
    const segLen = pkt.tcpHeaderLength + pkt.payloadLength;
    const captured = pkt.l4End - pkt.l4Offset;
    // Zeek checks only when the whole segment was captured (caplen >= len).
    if (captured < segLen || pkt.ipTotalLength === 0) return true;
    const d = rec.data;
    const base = pkt.l4Offset; // decoded offsets index rec.data directly
    let sum = 0;
    if (pkt.ipVersion === 4) {
      sum += (pkt.src4 >>> 16) + (pkt.src4 & 0xffff) + (pkt.dst4 >>> 16) + (pkt.dst4 & 0xffff);
    } else {
      for (let i = 0; i < 4; i++) {
        const a = pkt.src6[i] ?? 0;
        const b = pkt.dst6[i] ?? 0;
        sum += (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
      }
    }
    sum += 6 + segLen;
    let i = 0;
    for (; i + 1 < segLen; i += 2) sum += ((d[base + i] ?? 0) << 8) | (d[base + i + 1] ?? 0);
    if (i < segLen) sum += (d[base + i] ?? 0) << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
    return sum === 0xffff;
  }

  // ------------------------------------------------------------------ finishing

  private addrString(slot: number, which: 'a' | 'b'): string {
    const v = which === 'a' ? (this.kA[slot] ?? 0) : (this.kB[slot] ?? 0);
    if (((this.cFlags[slot] ?? 0) & F_V6) === 0) return ipv4ToString(v);
    const p = this.v6Pool;
    const o = v * 4;
    return ipv6ToString(p[o] ?? 0, p[o + 1] ?? 0, p[o + 2] ?? 0, p[o + 3] ?? 0);
  }

  private ttlBaseline(e: number): TtlBaseline | null {
    const values: { ttl: number; count: number }[] = [];
    const packed = this.eTtlVals[e] ?? 0;
    for (let i = 0; i < 4; i++) {
      const c = this.eTtlCnt[e * 4 + i] ?? 0;
      if (c > 0) values.push({ ttl: (packed >>> (i * 8)) & 255, count: c });
    }
    if (values.length === 0) return null;
    let best = values[0] as { ttl: number; count: number };
    for (const v of values) if (v.count > best.count) best = v;
    const initial = initialTtlOf(best.ttl);
    return { values, otherCount: this.eTtlOther[e] ?? 0, mostCommon: best.ttl, initial, hops: initial - best.ttl };
  }

  private ipIdBehaviour(slot: number, e: number): IpIdBehaviour {
    if (((this.cFlags[slot] ?? 0) & F_V6) !== 0) return 'none';
    const st = e * 4;
    const n = this.eIpIdStats[st] ?? 0;
    if (n === 0) return 'unknown';
    const zero = this.eIpIdStats[st + 1] ?? 0;
    if (zero === n) return 'zero';
    if (n < 2) return 'unknown';
    const inc = this.eIpIdStats[st + 2] ?? 0;
    const same = this.eIpIdStats[st + 3] ?? 0;
    const pairs = n - 1;
    if (inc * 4 >= pairs * 3) return 'incrementing';
    if (same * 4 >= pairs * 3) return 'constant';
    return 'random';
  }

  private endpointSummary(slot: number, e: number): EndpointSummary {
    const seen = this.st(e) !== TCP_INACTIVE || (this.ePkts[e] ?? 0) > 0;
    const w = this.eWin[e] ?? -1;
    return {
      state: endpointStateName(this.st(e)),
      prevState: endpointStateName(this.prev(e)),
      size: this.size(e),
      pkts: this.ePkts[e] ?? 0,
      ipBytes: this.eIpBytes[e] ?? 0,
      ttl: this.ttlBaseline(e),
      ipId: this.ipIdBehaviour(slot, e),
      retransmissions: this.eRxmt[e] ?? 0,
      zeroWindows: this.eWin0[e] ?? 0,
      gaps: this.eGap[e] ?? 0,
      badChecksums: this.eChk[e] ?? 0,
      finCount: this.eFin[e] ?? 0,
      rstCount: this.eRst[e] ?? 0,
      payloadSeen: ((this.eMisc[e] ?? 0) & E_DATA) !== 0,
      lastWindow: w < 0 ? null : w,
      windowScale: (this.eMisc[e] ?? 0) & 15,
      startSeq: seen ? (this.eStart[e] ?? 0) : null,
    };
  }

  /** A kept packet of the ring as a PacketRecord. */
  private packetOf(i: number): PacketRecord {
    // Ring arrays only: a pool parameter (a ternary per field, its RST side unused) cost ~3% of all instructions.
    const fl = this.pFlags[i] ?? 0;
    const opt = this.pOpt[i] ?? 0;
    return {
      frame: this.pFrame[i] ?? 0,
      ts: this.pTs[i] ?? 0,
      direction: (fl & 0x8000) !== 0 ? 'resp' : 'orig',
      flags: fl & 0x1ff,
      seq: this.pSeq[i] ?? 0,
      ack: this.pAck[i] ?? 0,
      win: this.pWin[i] ?? 0,
      ttl: this.pTtl[i] ?? 0,
      ipId: this.pIpId[i] ?? -1,
      df: (opt & 0x80) !== 0,
      payloadLen: this.pLen[i] ?? 0,
      options: opt & 0x7f,
    };
  }

  private rstOf(i: number): RstRecord {
    const states = this.rStates[i] ?? 0;
    const bits = this.rBits[i] ?? 0;
    const fl = this.rFlags[i] ?? 0;
    const opt = this.rOpt[i] ?? 0;
    const ts = this.rTs[i] ?? 0;
    const mp = this.rMptcp[i] ?? -1;
    const lastOther = nullIfNaN(this.rLastOther[i] ?? Number.NaN);
    const lastAny = nullIfNaN(this.rLastAny[i] ?? Number.NaN);
    const consec = this.rConsec[i] ?? 0;
    return {
      frame: this.rFrame[i] ?? 0,
      ts,
      direction: (fl & 0x8000) !== 0 ? 'resp' : 'orig',
      flags: fl & 0x1ff,
      seq: this.rSeq[i] ?? 0,
      ack: this.rAck[i] ?? 0,
      win: this.rWin[i] ?? 0,
      ttl: this.rTtl[i] ?? 0,
      ipId: this.rIpId[i] ?? -1,
      df: (opt & 0x80) !== 0,
      payloadLen: this.rLen[i] ?? 0,
      options: opt & 0x7f,
      index: this.rIndex[i] ?? 0,
      payload: this.rPayload.get(i) ?? null,
      mptcpReason: mp < 0 ? -1 : mp & 255,
      mptcpFlags: mp < 0 ? -1 : (mp >>> 8) & 255,
      context: {
        pktsBefore: { orig: this.rPktsO[i] ?? 0, resp: this.rPktsR[i] ?? 0 },
        states: { orig: endpointStateName(states & 15), resp: endpointStateName(states >>> 4) },
        handshake: HANDSHAKE_STAGES[bits & 7] ?? 'none',
        payload: { orig: (bits & 8) !== 0, resp: (bits & 16) !== 0 },
        fin: { orig: (bits & 32) !== 0, resp: (bits & 64) !== 0 },
        lastFromSenderTs: nullIfNaN(this.rLastSelf[i] ?? Number.NaN),
        lastFromOtherTs: lastOther,
        sinceOther: lastOther === null ? null : ts - lastOther,
        sincePrevious: lastAny === null ? null : ts - lastAny,
        largestIdleGap: this.rIdleMax[i] ?? 0,
        nextSeq: { orig: nullIfNeg(this.rNextO[i] ?? -1), resp: nullIfNeg(this.rNextR[i] ?? -1) },
        acked: { orig: nullIfNeg(this.rAckedO[i] ?? -1), resp: nullIfNeg(this.rAckedR[i] ?? -1) },
        window: { orig: nullIfNeg(this.rWinO[i] ?? -1), resp: nullIfNeg(this.rWinR[i] ?? -1) },
        consecutiveRetransmissions: { orig: consec & 0xffff, resp: consec >>> 16 },
        senderPrevIpId: this.rPrevIpId[i] ?? -1,
      },
    };
  }

  /** Builds the FinishedConnection, hands it to the sink, and frees the slot. */
  private finishSlot(slot: number, reason: EndReason): void {
    const f = this.cFlags[slot] ?? 0;
    if ((f & F_USED) === 0) return;
    const o = slot * 2;
    const r = o + 1;
    const history = this.historyOf(slot);
    const origSize = this.size(o);
    const respSize = this.size(r);
    const connState = connStateOf(this.st(o), this.st(r), origSize, respSize, history);
    const number = this.cNumber[slot] ?? 0;
    const id = this.connId(number);
    const ports = this.kPorts[slot] ?? 0;
    const origAddr = this.addrString(slot, 'a');
    const respAddr = this.addrString(slot, 'b');
    const startTs = this.startTs[slot] ?? 0;
    const lastTs = this.lastTs[slot] ?? 0;
    const packets: PacketRecord[] = [];
    for (let i = this.ringHead[slot] ?? -1; i >= 0; ) {
      packets.push(this.packetOf(i));
      const nx = this.pNext[i] ?? -1;
      this.ringFree(i);
      i = nx;
    }
    // The two direction chains, merged back into capture order (frame numbers only grow).
    for (let a = this.dirHead[o] ?? -1, b = this.dirHead[r] ?? -1; a >= 0 || b >= 0; ) {
      let i: number;
      if (b < 0 || (a >= 0 && (this.pFrame[a] ?? 0) < (this.pFrame[b] ?? 0))) {
        i = a;
        a = this.pNext[a] ?? -1;
      } else {
        i = b;
        b = this.pNext[b] ?? -1;
      }
      packets.push(this.packetOf(i));
      this.ringFree(i);
    }
    const resets: RstRecord[] = [];
    for (let i = this.rstHead[slot] ?? -1; i >= 0; ) {
      resets.push(this.rstOf(i));
      const nx = this.rNext[i] ?? -1;
      if (this.rPayload.size > 0) this.rPayload.delete(i);
      this.rNext[i] = this.rNextFree;
      this.rNextFree = i;
      this.rLive--;
      i = nx;
    }
    const nan = (x: number) => (Number.isNaN(x) ? null : x);
    const synTs = nan(this.synTs[slot] ?? Number.NaN);
    const synAckTs = nan(this.synAckTs[slot] ?? Number.NaN);
    const ackTs = nan(this.hsAckTs[slot] ?? Number.NaN);
    let stage: HandshakeStage = 'none';
    if (ackTs !== null) stage = 'complete';
    else if (synAckTs !== null) stage = 'syn_ack';
    else if (synTs !== null) stage = 'syn';
    else stage = 'midstream';
    const orig = this.endpointSummary(slot, o);
    const resp = this.endpointSummary(slot, r);
    const totalPkts = orig.pkts + resp.pkts;
    const rstTotal = this.rstCount[slot] ?? 0;
    const missed = this.missed[slot] ?? 0;
    const fc: FinishedConnection = {
      id,
      number,
      capture: this.captureIndex,
      ipVersion: (f & F_V6) !== 0 ? 6 : 4,
      origAddr,
      origPort: ports >>> 16,
      respAddr,
      respPort: ports & 0xffff,
      startTs,
      lastTs,
      lastPacketTs: this.lastPktTs[slot] ?? lastTs,
      connState,
      history,
      connection: {
        id,
        ts: startTs,
        orig_h: origAddr,
        orig_p: ports >>> 16,
        resp_h: respAddr,
        resp_p: ports & 0xffff,
        duration: lastTs - startTs,
        orig_bytes: origSize,
        resp_bytes: respSize,
        orig_pkts: orig.pkts,
        resp_pkts: resp.pkts,
        conn_state: connState,
        history,
        resets: [],
        capture: this.captureIndex,
        proto: 'tcp',
        missed_bytes: missed,
        orig_ip_bytes: orig.ipBytes,
        resp_ip_bytes: resp.ipBytes,
      },
      orig,
      resp,
      flipped: (f & F_FLIPPED) !== 0,
      reusedTuple: (f & F_REUSED) !== 0,
      handshake: {
        stage,
        synTs,
        synAckTs,
        ackTs,
        synToSynAck: synTs !== null && synAckTs !== null ? synAckTs - synTs : null,
        synAckToAck: synAckTs !== null && ackTs !== null ? ackTs - synAckTs : null,
      },
      largestIdleGap: this.idleMax[slot] ?? 0,
      missedBytes: missed,
      weirds: weirdNames(this.weird[slot * 2] ?? 0, this.weird[slot * 2 + 1] ?? 0),
      resets,
      resetsNotRecorded: Math.max(0, rstTotal - resets.length),
      packets,
      packetsNotKept: Math.max(0, totalPkts - packets.length),
      endReason: reason,
    };
    // Free the slot before calling out, so a sink that throws leaves the table consistent.
    this.tableRemove(slot);
    if ((f & F_V6) !== 0) {
      this.v6Free.push(this.kA[slot] ?? 0, this.kB[slot] ?? 0);
    }
    if (this.histSpill.size > 0) this.histSpill.delete(slot);
    if (this.blocks.size > 0) {
      this.blocks.delete(o);
      this.blocks.delete(r);
    }
    this.cFlags[slot] = 0;
    this.cGen[slot] = ((this.cGen[slot] ?? 0) + 1) >>> 0;
    this.sched[slot] = Number.POSITIVE_INFINITY;
    this.ringHead[slot] = -1;
    this.ringTail[slot] = -1;
    this.dirHead[o] = -1;
    this.dirHead[r] = -1;
    this.dirTail[o] = -1;
    this.dirTail[r] = -1;
    this.rstHead[slot] = -1;
    this.rstTail[slot] = -1;
    this.freeSlots[this.freeTop++] = slot;
    this.liveCount--;
    this.finishedCount++;
    this.sink.onConnectionDone(fc);
  }
}

