/**
 * The tracker's whole state in one object: its configuration, its counters, and the connection
 * table as structure-of-arrays columns indexed by slot (no object per connection while it lives).
 * Endpoint columns are per-side: entry `slot*2` is the originator, `slot*2+1` the responder (a
 * role flip swaps them). Behaviour lives in module functions over `(state, slot, …)`, so a column
 * read costs what a field read of a class costs.
 */
import { RowClearer, column, growColumns, sideColumn } from './columns.js';
import type { FinishedConnection } from './finished.js';
import { HeldStore } from './heldStore.js';
import { RecordPool, RstSnapshots } from './recordPool.js';
import { TimerHeap } from './timerHeap.js';
import { TunnelTable } from './tunnelTable.js';

/** The originator's side of a connection (endpoint index `slot*2 + ORIG`). */
export const ORIG = 0;
/** The responder's side (endpoint index `slot*2 + RESP`). */
export const RESP = 1;
/** A side of a connection: ORIG or RESP, never a boolean. */
export type Side = typeof ORIG | typeof RESP;

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
  /**
   * Live connections allowed before the soonest-to-expire ones are finished early (default 1M,
   * about 700 MB). A connection held packed in its close delay (heldConns.ts) counts as
   * 1/HELD_PER_SLOT of one: what it costs.
   */
  maxLiveConnections?: number;
  /**
   * Connections in slots from which a connection that only waits for its delete timer (Zeek's
   * close or reset delay) is packed into a few dozen bytes until the timer fires or a late packet
   * comes (heldConns.ts); default HOLD_AT_LIVE. 0 holds every such connection (tests);
   * Infinity none.
   */
  holdAtLive?: number;
  /** Connections that enter the close delay after one before it is packed (default HOLD_QUIET; 0: at once). */
  holdQuiet?: number;
  /**
   * Take the per-packet fast path (fastPath.ts) for in-window segments of established
   * connections (default true); false sends every packet through the full state machine, which
   * must give the same result (test/track/fastPath.test.ts compares the two). Also the
   * last-tuple hint (tracker.ts trackPacket): false looks every packet up in the hash table.
   */
  fastPath?: boolean;
  /**
   * Which finished connections get their kept packets built as objects (FinishedConnection.packets):
   * `all` (default), or `resets`, only those with recorded RSTs, the only ones explain reads them
   * for (the others carry the few values it reads of them instead: keptFirstFrame, origPairs …).
   */
  packetsFor?: 'all' | 'resets';
}

// conn flags (cFlags)
export const F_USED = 1;
export const F_V6 = 2;
export const F_PARTIAL = 4; // TCPSessionAdapter::is_partial
export const F_FPS_ORIG = 8; // first_packet_seen & ORIG
export const F_FPS_RESP = 16; // first_packet_seen & RESP
export const F_ACTIVE = 32; // TCPSessionAdapter::is_active
export const F_CLOSE_DEFERRED = 64;
export const F_DEFERRED_GEN = 128;
export const F_LEFT_HANDSHAKE = 256; // SetInactivityTimeout(tcp_inactivity_timeout) happened
export const F_FLIPPED = 512;
export const F_REUSED = 1024;
export const F_SYN_BY_RESP = 2048; // the first pure SYN came from the endpoint now in the resp slot
export const F_SAW_SYN = 4096;
export const F_SAW_SYNACK = 8192;
export const F_SAW_HSACK = 16384;

// endpoint misc bits (eMisc); low 4 bits hold the window-scale shift
export const E_DID_CLOSE = 16;
export const E_DID_EOF = 32;
export const E_SKIP = 64; // reassembler skip_deliveries
export const E_DATA = 128; // payload seen from this side

/** Letters stored inline per connection; longer histories spill to a Map (see history.ts). */
export const HIST_INLINE = 15;

const INF = Number.POSITIVE_INFINITY;

/** Default TrackerOptions.holdAtLive (see there; docs/scale.md "Held connections" for the measurements). */
export const HOLD_AT_LIVE = 60_000;
/** Default TrackerOptions.holdQuiet. */
export const HOLD_QUIET = 4096;
/** A held connection's share of maxLiveConnections: a slot and its records cost about this many held ones. */
export const HELD_PER_SLOT = 8;

/** Receives every finished connection, in the order Zeek would log them. */
export interface TrackerSink {
  onConnectionDone(conn: FinishedConnection): void;
}

/** The tracker's state; see the file comment. Every typed-array field is a column (columns.ts). */
export class TrackState {
  // ---- configuration
  readonly captureIndex: number;
  readonly sink: TrackerSink;
  readonly inactivityTimeout: number;
  readonly handshakeTimeout: number;
  readonly closeDelay: number;
  readonly resetDelay: number;
  readonly attemptDelay: number;
  readonly synTimeout: number;
  readonly sessionTimer: number;
  readonly linger: number;
  readonly serverPorts: Uint8Array;
  readonly headPackets: number;
  readonly ringPerDir: number;
  readonly maxResets: number;
  readonly rstPayloadBytes: number;
  readonly maxLive: number;
  readonly fastPath: boolean;
  /** Build every finished connection's packets (TrackerOptions.packetsFor `all`). */
  readonly allPackets: boolean;

  // ---- counters
  networkTime = Number.NEGATIVE_INFINITY;
  nextNumber = 1;
  liveCount = 0;
  peakLive = 0;
  finishedCount = 0;
  evictedCount = 0;
  packetCount = 0;
  /** Packets the fast path took (fastPath.ts). */
  fastCount = 0;
  /** Packets whose connection the last-tuple hint found (no hash, no table probe; tracker.ts). */
  hintCount = 0;
  /** Connections held packed (heldConns.ts), counted in liveCount too. */
  heldLive = 0;
  /** The first held connection's deadline (Infinity when none): read per packet with the heap's top. */
  heldNext = INF;

  // ---- the last-tuple hint (tracker.ts): the previous packet's tuple as sent and the slot it
  // belonged to, with that slot's generation then (hintSlot -1: none). IPv4 addresses are kept as
  // the packet holds them (doubles: DecodedPacket's src4/dst4 fields are), compared without a
  // conversion; 0.5 (no address) makes the fields doubles from the start, so the first store of
  // an address changes no field representation under optimised code, and marks a hint that is
  // an IPv6 packet's (no IPv4 address equals it). IPv6 addresses are their four words each, valid
  // while hintV6 is true.
  hintSlot = -1;
  hintGen = 0;
  hintSrc = 0.5;
  hintDst = 0.5;
  hintV6 = false;
  readonly hintSrc6 = new Uint32Array(4);
  readonly hintDst6 = new Uint32Array(4);
  /** sport << 16 | dport (int32). */
  hintPorts = 0;

  // ---- slots and the open-addressing hash table (slot+1, 0 = empty)
  cap = 0;
  freeTop = 0;
  highWater = 0;
  // Both set in the constructor, not here: a field stored only once is constant to V8, optimised
  // code depends on that, and the first rehash (a new array and mask) deoptimised trackPacket mid-run.
  table = new Int32Array(0);
  tableMask = 0;

  // ---- rare side state
  readonly histSpill = new Map<number, string>();
  /** endpoint index -> [lo0, hi0, lo1, hi1, …]: ranges waiting above a hole (reassembly.ts). */
  readonly blocks = new Map<number, number[]>();
  v6Pool = new Uint32Array(0);
  readonly v6Free: number[] = [];
  v6Next = 0;

  // ---- the timer heap and the record pools
  readonly heap = new TimerHeap();
  /** Packet records of every connection's ring. */
  readonly ring: RecordPool;
  /** RST records (the packet fields) … */
  readonly rst = new RecordPool(Number.POSITIVE_INFINITY, 256);
  /** … and each RST record's snapshot of its connection, indexed like `rst`. */
  readonly rstCtx = new RstSnapshots();
  readonly rstPayload = new Map<number, Uint8Array>();
  /** The distinct outer-layer descriptions of tunnelled connections (tunnelTable.ts), referenced by `cTunnel`. */
  readonly tunnels = new TunnelTable();
  /** Connections held packed in their close delay (heldConns.ts). */
  readonly held: HeldStore;

  // ---- per-packet scratch (no allocation)
  underflow = false;
  doClose = false;
  genEvent = false;

  // ---- connection columns (one entry per slot unless said)
  kHash = column(Int32Array); // int32 like the hashes (net/flowHash.ts), so compares need no conversion
  kA = column(Uint32Array); // orig address (v4) or v6 pool index
  kB = column(Uint32Array); // resp address (v4) or v6 pool index
  kPorts = column(Uint32Array); // origPort << 16 | respPort
  cFlags = column(Uint32Array);
  cNumber = column(Uint32Array);
  cGen = column(Uint32Array, 1, 0, { keep: true }); // generation: outlives the slot's connections
  histSeen = column(Uint32Array);
  hist = column(Uint8Array, HIST_INLINE + 1); // [len, letters × 15]
  startTs = column(Float64Array);
  lastTs = column(Float64Array); // Zeek's Connection::last_time
  lastPktTs = column(Float64Array, 1, Number.NaN); // last packet, any direction
  expireAt = column(Float64Array, 1, INF);
  expire2At = column(Float64Array, 1, INF);
  deleteAt = column(Float64Array, 1, INF);
  attemptAt = column(Float64Array, 1, INF);
  resetAt = column(Float64Array, 1, INF);
  sched = column(Float64Array, 1, INF);
  /** The slot's place in the timer heap (timerHeap.ts), -1 for none: kept by the heap, and -1 whenever the slot is free. */
  heapPos = column(Int32Array, 1, -1, { keep: true });
  missed = column(Float64Array);
  weird = column(Uint32Array, 2); // a 64-bit mask in two words
  synTs = column(Float64Array, 1, Number.NaN);
  synAckTs = column(Float64Array, 1, Number.NaN);
  hsAckTs = column(Float64Array, 1, Number.NaN);
  idleMax = column(Float32Array);
  /** The pinned head packets (first `headPackets` kept), in capture order. */
  ringHead = column(Int32Array, 1, -1);
  ringTail = column(Int32Array, 1, -1);
  /**
   * The unpinned packets each endpoint sent, in capture order: evicting a direction's oldest is
   * then O(1) instead of a walk of the whole ring.
   */
  dirHead = sideColumn(Int32Array, 1, -1);
  dirTail = sideColumn(Int32Array, 1, -1);
  /** Kept records: total in bits 0-9, unpinned ones sent by the orig slot in 10-19, by the resp slot in 20-29. */
  ringCnt = column(Uint32Array);
  rstHead = column(Int32Array, 1, -1);
  rstTail = column(Int32Array, 1, -1);
  rstCount = column(Uint32Array);
  /** 1 + the connection's entry in `tunnels` (its first tunnelled packet's outer layers), 0 for none. */
  cTunnel = column(Uint16Array);
  /** Stack of free slots (freeTop entries used). */
  freeSlots = column(Int32Array, 1, 0, { keep: true });

  // ---- endpoint columns (one entry per side)
  eState = sideColumn(Uint8Array); // state | prev << 4
  eStart = sideColumn(Uint32Array);
  eLast = sideColumn(Uint32Array);
  eAck = sideColumn(Uint32Array);
  eSeqWraps = sideColumn(Uint16Array);
  eAckWraps = sideColumn(Uint16Array);
  eMisc = sideColumn(Uint8Array);
  eFin = sideColumn(Uint16Array);
  eRst = sideColumn(Uint16Array);
  eFinSeq = sideColumn(Float64Array);
  eHistSyn = sideColumn(Uint32Array);
  eHistFin = sideColumn(Uint32Array);
  eHistRst = sideColumn(Uint32Array);
  eRxmt = sideColumn(Uint32Array);
  eWin0 = sideColumn(Uint32Array);
  eGap = sideColumn(Uint32Array);
  eChk = sideColumn(Uint32Array);
  ePkts = sideColumn(Uint32Array);
  eIpBytes = sideColumn(Float64Array);
  eLastTime = sideColumn(Float64Array);
  // Reassembler(1, …): relative sequence numbers start at 1, after the SYN.
  eReassem = sideColumn(Float64Array, 1, 1);
  eTrim = sideColumn(Float64Array, 1, 1);
  eTtlVals = sideColumn(Uint32Array); // 4 packed TTL values
  eTtlCnt = sideColumn(Uint16Array, 4); // 4 per endpoint (saturating)
  eTtlOther = sideColumn(Uint32Array);
  eIpIdLast = sideColumn(Int32Array, 1, -1);
  eIpIdStats = sideColumn(Uint16Array, 4); // 4 per endpoint: samples, zero, small increments, same
  eRxmtConsec = sideColumn(Uint16Array);
  eRxmtSeq = sideColumn(Uint32Array);
  eWin = sideColumn(Int32Array, 1, -1); // last raw window (non-RST), -1 none

  /** Clears a slot's row in one pass over the columns (rebuilt whenever they grow). */
  clearer: RowClearer;

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
    this.serverPorts = new Uint8Array(65536);
    for (const p of options.likelyServerPorts ?? ZEEK_LIKELY_SERVER_PORTS) this.serverPorts[p & 0xffff] = 1;
    // Bounded so the three counts fit their 10-bit fields in ringCnt.
    this.headPackets = Math.min(255, options.headPackets ?? 4);
    this.ringPerDir = Math.min(383, Math.max(1, options.ringPerDirection ?? 8));
    this.maxResets = options.maxResetsPerConnection ?? 32;
    this.rstPayloadBytes = options.rstPayloadBytes ?? 128;
    this.ring = new RecordPool(options.maxRingRecords ?? 4 * 1024 * 1024, 1024);
    this.maxLive = Math.max(16, options.maxLiveConnections ?? 1_000_000);
    this.fastPath = options.fastPath ?? true;
    this.allPackets = (options.packetsFor ?? 'all') === 'all';
    this.held = new HeldStore(options.holdAtLive ?? HOLD_AT_LIVE, options.holdQuiet ?? HOLD_QUIET);
    this.clearer = new RowClearer(this);
    // A small first hash table, so that its first growth (connTable.ts allocSlot's one growth
    // call) comes within the first hundred connections, while allocSlot still runs unoptimised and
    // the call collects feedback: from 2,048 cells the first growth came after TurboFan had compiled
    // allocSlot and deoptimised it ("Insufficient type feedback for call", --trace-deopt on the mix).
    this.tableMask = 127;
    this.table = new Int32Array(this.tableMask + 1);
    resizeTable(this, 1024);
  }
}

/** Grows every slot column to `n` slots. */
export function resizeTable(s: TrackState, n: number): void {
  growColumns(s, n);
  s.clearer = new RowClearer(s);
  s.cap = n;
}
