/**
 * The Report model: the one shape every renderer (text, json, ndjson, csv, zeek, html) reads.
 * Field names are the contract of ../shared/DESIGN.md: extend, never rename or drop.
 * A leaf of the pipeline: capture, decode, track, explain, correlate and report import it.
 */

import type { Cause, Direction, Origin, Stage, Verdict } from './vocabulary.js';

export type { Cause, Direction, Origin, Stage, Verdict } from './vocabulary.js';

/** A named, documented piece of evidence (snake_case code) with a human detail naming the numbers. */
export interface Evidence {
  code: string;
  detail: string;
}

/** A decoding or reading problem with the byte offset where it was found. */
export interface InputError {
  offset: number;
  message: string;
}

/** One capture file read. */
export interface InputSummary {
  path: string;
  format: 'pcap' | 'pcapng';
  /** Link types seen (LINKTYPE_* numbers), in order of first appearance. */
  linktypes: number[];
  packets: number;
  bytes: number;
  first_ts: number | null;
  last_ts: number | null;
  /** The file was gzip-compressed. */
  compressed?: boolean;
  errors: InputError[];
  /** Decoder anomalies counted by code (truncated frames, bad headers, unknown link types, …). */
  decode_issues?: Record<string, number>;
}

/** MP_TCPRST option contents (RFC 8684 §3.6). */
export interface MptcpReason {
  code: number;
  name: string;
  flags: number;
}

/** One TCP packet with the RST flag set, and what whyreset concluded about it. */
export interface Reset {
  id: string;
  ts: number;
  capture: number;
  frame: number;
  conn: string | null;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  from: Direction | null;
  flags: string[];
  ttl: number;
  ip_id: number | null;
  seq: number;
  ack: number;
  win: number;
  payload_len: number;
  stage: Stage | null;
  cause: Cause | null;
  verdict: Verdict | null;
  origin: Origin | null;
  confidence: number | null;
  evidence: Evidence[];
  signature: string | null;
  hint: string | null;
  reason_text: string | null;
  mptcp_reason: MptcpReason | null;
  /** The connection's Community ID v1 (Corelight's spec; joins with Zeek, Suricata, Arkime), null when the addresses do not parse. */
  community_id?: string | null;
  /** The id of the cause rule that decided `cause` (explain/cause.ts CAUSE_RULES). */
  rule?: string;
  /** For `after_reset`: the reset this one follows (its id, capture and frame). */
  parent?: ResetRef;
  /** Capture duplicates of this RST folded into it (the same packet seen again within microseconds). */
  duplicates?: number;
  /** Every capture point where this same RST was seen, in path order from its sender (set by correlation only). */
  seen_at?: Sighting[];
  /** Where on the path the RST was born (set by correlation only). */
  born?: Born;
  /** What the sender's kernel said about this reset (set only with `--kernel-trace`, when its sender was traced). */
  kernel?: KernelFinding;
}

/**
 * A traced host's kernel's word on a reset (`--kernel-trace`, files of `whyreset trace`).
 * `event` is `send_reset` (its TCP stack sent it), `nf_send_reset` (its netfilter did), or `none`
 * (the host was traced and neither did: see the evidence, `kernel_absent` when proven forged).
 */
export interface KernelFinding {
  /** Linux's `sk_rst_reason` name (`NO_SOCKET`, `TCP_ABORT_ON_CLOSE`, …); null when the event has none. */
  reason: string | null;
  /** The socket's state when it sent the reset (`TCP_ESTABLISHED`, …); null without a socket. */
  state: string | null;
  /** The traced host (its name in the trace's header). */
  host: string;
  event: 'send_reset' | 'nf_send_reset' | 'none';
  /**
   * What the kernel did to whyreset's wire-only reading: `confirmed` (agreed), `corrected` (the
   * cause or verdict changed), `netfilter` (the host's firewall sent it: genuine firewall_reject),
   * `proven_forged` (kernel_absent), `unprovable` (no event, but something on the host that
   * bypasses the tracepoint could have sent it; `note` says what).
   */
  outcome: KernelOutcome;
  /** Why a missing event proves nothing (REJECT rules, raw sockets); absent otherwise. */
  note?: string;
}

/** See `KernelFinding.outcome`. */
export type KernelOutcome = 'confirmed' | 'corrected' | 'netfilter' | 'proven_forged' | 'unprovable';

/** How the kernel traces bore on the resets (`--kernel-trace`). */
export interface KernelSummary {
  /** Resets whose claimed sender was traced at the time. */
  traced: number;
  /** Matched to a kernel event and the wire's cause agreed with its reason. */
  confirmed: number;
  /** Matched, and the kernel's reason changed the cause or the verdict. */
  corrected: number;
  /** Matched to the host's own netfilter (a firewall reject, genuine). */
  netfilter: number;
  /** No event, and nothing else on the host could have sent it: forged, proven. */
  proven_forged: number;
  /** No event, but a REJECT rule (untraceable here) or a raw socket on the host could have sent it. */
  unprovable: number;
}

/** A reference to another reset of the report. */
export interface ResetRef {
  id: string;
  capture: number;
  frame: number;
}

/**
 * Where on the path a reset was born, from the capture points that saw it and those that should
 * have and did not (set by correlation only). Capture numbers index `inputs`.
 */
export interface Born {
  /** The capture point nearest the RST's claimed sender that saw it. */
  first_seen: number;
  /** Capture points the RST should have passed (they carried that traffic then) but never saw. */
  absent_from: number[];
  /** One sentence, e.g. "born between the server-side capture and the router: the server never sent it". */
  text: string;
  /**
   * The segment it was born on: the nearest point toward the claimed sender that should have seen
   * it and did not (null when there is none) and `first_seen`.
   */
  between?: [number | null, number];
  /** Whether the capture points settle who sent it (then `verdict` and `origin` follow them). */
  conclusive?: boolean;
}

/** One TCP connection, Zeek-style (conn_state and history exactly as Zeek defines them). */
export interface Connection {
  id: string;
  ts: number;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  duration: number;
  orig_bytes: number;
  resp_bytes: number;
  orig_pkts: number;
  resp_pkts: number;
  conn_state: string;
  history: string;
  resets: string[];
  capture: number;
  /** Community ID v1 of the 4-tuple (Corelight's spec): the same string Zeek, Suricata and Arkime log for this flow. */
  community_id?: string | null;
  /** Tunnels the connection's packets came through, outermost first (absent when none). */
  tunnel?: TunnelLayer[];
  [extra: string]: unknown;
}

/**
 * One tunnel layer around a connection (DESIGN.md "Extensions"): its type (`ip`, `gre`,
 * `erspan`, `vxlan`, `geneve`, `teredo`, `ayiya`, `gtpv1`), the outer IP addresses, the GRE key
 * or GTP TEID, and the VXLAN/Geneve VNI. The connection itself is the inner TCP one, as Zeek counts it.
 */
export interface TunnelLayer {
  type: string;
  src: string;
  dst: string;
  key?: number;
  vni?: number;
}

/** A cross-connection finding: scans, reset storms. */
export interface Pattern {
  type: string;
  [field: string]: unknown;
}

/** Counts for the summary block. */
export interface Summary {
  packets: number;
  tcp_packets: number;
  connections: number;
  resets: number;
  by_stage: Record<string, number>;
  by_cause: Record<string, number>;
  by_verdict: Record<string, number>;
  /** RST packets counted in `resets` but not listed one by one (a storm beyond the per-connection limit). */
  resets_not_listed?: number;
  /** Correlation only: RST packets at all capture points before the same RST seen at several points counts once in `resets`. */
  rst_sightings?: number;
  /** `--kernel-trace` only: how many resets the kernel confirmed, corrected or proved forged. */
  kernel?: KernelSummary;
  /** Present (true) only when SIGINT or SIGTERM stopped the reading: the report covers what was read before it. */
  interrupted?: boolean;
  /** Packets of link types whyreset does not decode, by link type number (absent when none). */
  undecoded?: Record<string, number>;
  /** Hosts whose every outgoing packet carried a bad checksum: the capture was taken on them and their NIC fills checksums in (absent when none). */
  checksum_offload?: string[];
  /** `--host/--net/--port/--since/--until` only: connections and resets left out of the report (the other counts are of what is reported). */
  filtered_out?: { connections: number; resets: number };
  /** Packets with a bad IPv4 header or TCP checksum, not tracked (Zeek's bad_IP_checksum / bad_TCP_checksum weirds; absent when none). */
  bad_checksums?: number;
}

/** Everything one `analyze` run found. */
export interface Report {
  tool: { name: 'whyreset'; version: string };
  inputs: InputSummary[];
  summary: Summary;
  resets: Reset[];
  connections: Connection[];
  patterns: Pattern[];
  /** Correlation only: the order of the capture points along the path and their clock offsets. */
  path?: PathReport;
}

/**
 * The clocks of two capture points compared on packets seen at both, assuming the same delay
 * both ways (as NTP does, RFC 5905 §8): a packet from `a` to `b` arrives at `b`'s clock at
 * ts_a + offset + delay, one from `b` to `a` at ts_b - offset + delay.
 */
export interface ClockOffset {
  a: number;
  b: number;
  /** Seconds to add to a time of `a`'s clock to get `b`'s; null when no packet was seen at both. */
  offset: number | null;
  /** One-way delay between the two points in seconds; null when packets matched in one direction only. */
  delay: number | null;
  /** Packets seen at both points used for the estimate, and how many passed `a` first and `b` first. */
  matched: number;
  a_to_b: number;
  b_to_a: number;
  /** `both_directions`, `one_direction` (the offset then includes the delay), `none`. */
  method: 'both_directions' | 'one_direction' | 'none';
}

/** One capture point on the path. */
export interface PathPoint {
  capture: number;
  /** The capture's file name without directory and extension, e.g. "router". */
  name: string;
  /** Seconds to add to a time of the first point in `order` to get this point's clock; null if unknown. */
  offset: number | null;
}

/** The capture points along the path and their clocks (correlation). Capture numbers index `inputs`. */
export interface PathReport {
  /** Capture points from the originators' side (who sent the SYNs) to the responders' side. */
  order: number[];
  /** `inferred` (from TTL decrements and timing) or `given` (`--order`). */
  order_source: 'inferred' | 'given';
  points: PathPoint[];
  /** Every pair of points: clock offset, one-way delay, packets matched. */
  offsets: ClockOffset[];
  /** What the inference could not settle, in words. */
  notes: string[];
}

/**
 * One packet of a ladder (sequence) diagram. `seq` and `ack` are relative to each side's first
 * sequence number (as Wireshark shows them), null when unknown (`ack` without the ACK flag).
 */
export interface LadderPacket {
  frame: number;
  capture: number;
  ts: number;
  from: Direction;
  flags: string[];
  seq: number | null;
  ack: number | null;
  len: number;
  ttl: number;
  win: number;
  /** The reset's id when this packet is a listed RST, else null. */
  reset: string | null;
  /** That reset's verdict (forged ones are drawn apart), else null. */
  verdict: Verdict | null;
  /** Where the same packet was seen at other capture points (set by correlation only). */
  seen_at?: Sighting[];
}

/** One capture point's sighting of a packet (correlation). `capture` indexes `inputs`. */
export interface Sighting {
  capture: number;
  frame: number;
  /** As that capture's clock recorded it (`path.points[].offset` relates the clocks). */
  ts: number;
  ttl: number;
  /** Linux cooked captures only: the copy the point's host received (`in`) or sent (`out`). */
  pkttype?: 'in' | 'out';
  /** The same packet leaving the point again, one hop lower (a forwarded packet's second copy in a `tcpdump -i any` capture). */
  forwarded?: { frame: number; ts: number; ttl: number };
}

/**
 * A connection drawn as a ladder: the packets kept for it in capture order. When packets were
 * not kept (a long connection), `gap` says after which entry of `packets` they belong and how many.
 */
export interface Ladder {
  conn: string;
  capture: number;
  /** "addr:port" of the originator and the responder ("[v6]:port" for IPv6). */
  orig: string;
  resp: string;
  /** Each side's first sequence number (the base of the relative numbers), null if never seen. */
  isn: { orig: number | null; resp: number | null };
  packets: LadderPacket[];
  gap: { after: number; packets: number } | null;
  /** Capture points (indices into `inputs`) in path order from the originator to the responder (set by correlation only). */
  points?: number[];
}
