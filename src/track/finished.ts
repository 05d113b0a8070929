/**
 * What the tracker hands on when a connection is done: one plain object per connection,
 * allocated only then. Everything the explain stage reads is here; nothing refers back to the
 * tracker's reused buffers.
 */
import type { Direction, TunnelLayer } from '../model/report.js';
import type { WeirdName } from './weirds.js';
import type { ConnState, EndpointStateName } from './zeekState.js';

/** Option bits of a recorded packet (`PacketRecord.options`). */
export const OPT_MSS = 1;
export const OPT_WSCALE = 2;
export const OPT_SACK_PERMITTED = 4;
export const OPT_TIMESTAMP = 8;
export const OPT_SACK = 16;
export const OPT_MPTCP = 32;
export const OPT_UNKNOWN = 64;

/** One packet as kept in a connection's ring (and for every recorded RST). */
export interface PacketRecord {
  frame: number;
  ts: number;
  /** Who sent it, relative to the connection's final orig/resp roles. */
  direction: Direction;
  /** TCP flag bits (TCP_FIN … TCP_NS from decode/packet.ts). */
  flags: number;
  seq: number;
  ack: number;
  /** Raw (unscaled) window field. */
  win: number;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl: number;
  /** IPv4 identification, or -1 for IPv6. */
  ipId: number;
  df: boolean;
  /** TCP payload length claimed by the IP header. */
  payloadLen: number;
  /** OPT_* bits of the TCP options present. */
  options: number;
}

/** Handshake progress as seen at the capture point. */
export type HandshakeStage = 'none' | 'syn' | 'syn_ack' | 'complete' | 'midstream';

/** State of the connection just before a RST was processed. */
export interface RstContext {
  /** Packets each side had sent before this RST (Zeek's per-direction packet counts). */
  pktsBefore: { orig: number; resp: number };
  /** Zeek endpoint states before the RST. */
  states: { orig: EndpointStateName; resp: EndpointStateName };
  handshake: HandshakeStage;
  /** Payload had flowed from that side. */
  payload: { orig: boolean; resp: boolean };
  /** That side had sent a FIN. */
  fin: { orig: boolean; resp: boolean };
  /** Time of the last packet from the RST's sender before it, or null. */
  lastFromSenderTs: number | null;
  /** Time of the last packet from the other side, or null if it never sent one. */
  lastFromOtherTs: number | null;
  /** Seconds since the other side's last packet, or null. */
  sinceOther: number | null;
  /** Seconds since the previous packet of the connection in either direction, or null. */
  sincePrevious: number | null;
  /** The largest silence (seconds) between two consecutive packets of the connection before this RST. */
  largestIdleGap: number;
  /**
   * Sequence number just after the last one each side sent (Zeek's `LastSeq()`), and the highest
   * acknowledgement the other side sent for it (`AckSeq()`); null before that side was seen.
   */
  nextSeq: { orig: number | null; resp: number | null };
  acked: { orig: number | null; resp: number | null };
  /** Window each side last advertised (scaled by the negotiated shift), null if never seen. */
  window: { orig: number | null; resp: number | null };
  /** Consecutive retransmissions of the same sequence number each side had just sent. */
  consecutiveRetransmissions: { orig: number; resp: number };
  /** The IP ID of the sender's previous packet (-1 for none or IPv6). */
  senderPrevIpId: number;
}

/** One RST packet of a connection. */
export interface RstRecord extends PacketRecord {
  /** 0-based position among the connection's RST packets. */
  index: number;
  /** The first bytes of the RST's payload (often a device's reason text), or null. */
  payload: Uint8Array | null;
  /** MP_TCPRST reason and flags (RFC 8684 §3.6), -1 when absent. */
  mptcpReason: number;
  mptcpFlags: number;
  /** The RST's TCP reserved bits (header byte 12, low nibble; RFC 9293 §3.1: zero when sent). */
  reserved: number;
  /** Under -C, the RST's checksum verdict (decode/checksum.ts: 0 good or not checked, 1 IPv4 header, 2 TCP); 0 otherwise (a bad one is not tracked). */
  badChecksum: number;
  /** The TCP checksum field as captured. */
  checksum: number;
  /** The capture point is the RST's sender (Linux cooked capture PACKET_OUTGOING, or a checksum-offload value in the field). */
  sentByCapturePoint: boolean;
  context: RstContext;
}

/** TTL baseline of one direction, from its non-RST packets. */
export interface TtlBaseline {
  /** Distinct values seen (up to 4), with how many packets carried each. */
  values: { ttl: number; count: number }[];
  /** Packets whose TTL was a fifth or later distinct value. */
  otherCount: number;
  mostCommon: number;
  /** Nearest common initial TTL (32, 64, 128, 255) at or above the most common value. */
  initial: number;
  /** initial - mostCommon. */
  hops: number;
}

/** How a side's IPv4 identification field behaved over its non-RST packets. */
export type IpIdBehaviour = 'incrementing' | 'zero' | 'random' | 'constant' | 'unknown' | 'none';

/** Per-direction summary. */
export interface EndpointSummary {
  state: EndpointStateName;
  prevState: EndpointStateName;
  /** Zeek's `TCP_Endpoint::Size()`: payload bytes in sequence space. */
  size: number;
  pkts: number;
  ipBytes: number;
  ttl: TtlBaseline | null;
  ipId: IpIdBehaviour;
  /** Zeek's retransmission count (`DidRxmit`), zero-window count, content gaps, bad checksums. */
  retransmissions: number;
  zeroWindows: number;
  gaps: number;
  badChecksums: number;
  finCount: number;
  rstCount: number;
  payloadSeen: boolean;
  /** Last raw window and the negotiated window-scale shift. */
  lastWindow: number | null;
  windowScale: number;
  /** First sequence number of the side (Zeek's StartSeq, ISN or guessed), null if never seen. */
  startSeq: number | null;
}

/** Why the connection left the table. */
export type EndReason =
  | 'closed' // Zeek's close/reset delete timer (tcp_close_delay after the close)
  | 'reset_timer' // tcp_reset_delay after a RST following a FIN
  | 'attempt' // tcp_attempt_delay: a SYN that got no answer
  | 'expire' // ExpireTimer: closed or never active, idle for tcp_connection_linger
  | 'inactivity' // the inactivity timeout
  | 'reused' // a new SYN on the same tuple started another connection
  | 'end_of_capture'
  | 'evicted'; // removed early because the table reached maxLiveConnections

/** Everything the tracker knows about a finished connection. */
export interface FinishedConnection {
  /** Deterministic id: `C<n>` for capture 0, `C<capture>-<n>` otherwise (n counts connections by first packet, from 1). */
  id: string;
  /** 1-based number of the connection within its capture, in order of first packet. */
  number: number;
  capture: number;
  ipVersion: 4 | 6;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  startTs: number;
  /** Zeek's last_time (frozen once both sides closed). */
  lastTs: number;
  /** Time of the very last packet seen in either direction. */
  lastPacketTs: number;
  connState: ConnState;
  history: string;
  orig: EndpointSummary;
  resp: EndpointSummary;
  /** Roles were flipped by Zeek's heuristics (`^` in history). */
  flipped: boolean;
  /** The connection was started by a SYN that reused the tuple of an earlier connection. */
  reusedTuple: boolean;
  handshake: {
    stage: HandshakeStage;
    synTs: number | null;
    synAckTs: number | null;
    ackTs: number | null;
    /** SYN → SYN-ACK and SYN-ACK → ACK at the capture point (seconds), null if not seen. */
    synToSynAck: number | null;
    synAckToAck: number | null;
  };
  largestIdleGap: number;
  missedBytes: number;
  weirds: WeirdName[];
  resets: RstRecord[];
  /** RST packets beyond the recorded ones (maxResetsPerConnection). */
  resetsNotRecorded: number;
  /**
   * The kept packets (first few, then the last ones per direction), in capture order. Built only
   * for a connection with recorded RSTs unless the tracker keeps them all
   * (`TrackerOptions.packetsFor`); otherwise empty, and the fields below say what explain reads of them.
   */
  packets: PacketRecord[];
  /** Packets the tracker kept for the connection (in `packets` when they were built). */
  keptPackets: number;
  /** First and last frame, and the first one's TCP flags, of the kept packets (0 when none was kept). */
  keptFirstFrame: number;
  keptLastFrame: number;
  keptFirstFlags: number;
  /**
   * Each side's kept non-RST packets seen as forwarded pairs and seen once (explain/context.ts
   * forwardingCounts, counted over the records as they are drained: track/recordPool.ts forwardingCountsOf).
   */
  origPairs: number;
  origSingles: number;
  respPairs: number;
  respSingles: number;
  /** Packets of the connection not kept. */
  packetsNotKept: number;
  endReason: EndReason;
  /** The outer layers of the connection's first tunnelled packet, outermost first (tunnelTable.ts), or null. */
  tunnel: TunnelLayer[] | null;
}
