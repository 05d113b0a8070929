/**
 * The Report model: the one shape every renderer (text, json, ndjson, csv, zeek, html) reads.
 * Field names are the contract of ../shared/DESIGN.md: extend, never rename or drop.
 */

/** Where in the connection's life a reset came (DESIGN.md "stage"). */
export type Stage = 'handshake' | 'established' | 'data' | 'teardown' | 'midstream';

/** The most likely reason for a reset (DESIGN.md "cause"). */
export type Cause =
  | 'port_closed'
  | 'accept_queue_overflow'
  | 'port_reuse'
  | 'malformed_syn'
  | 'firewall_reject'
  | 'scan_probe'
  | 'handshake_abort'
  | 'retransmission_timeout'
  | 'idle_timeout'
  | 'application_abort'
  | 'data_after_close'
  | 'fast_close'
  | 'middlebox_injected'
  | 'stale_connection'
  | 'unexplained';

/** Whether a reset is consistent with the endpoint it claims to come from. */
export type Verdict = 'genuine' | 'forged' | 'suspect';

/** Who really sent a reset. */
export type Origin = 'orig' | 'resp' | 'middlebox' | 'unknown';

/** Direction relative to the side that sent the first SYN. */
export type Direction = 'orig' | 'resp';

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
  [extra: string]: unknown;
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
}

/** Everything one `analyze` run found. */
export interface Report {
  tool: { name: 'whyreset'; version: string };
  inputs: InputSummary[];
  summary: Summary;
  resets: Reset[];
  connections: Connection[];
  patterns: Pattern[];
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
  ts: number;
  ttl: number;
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
