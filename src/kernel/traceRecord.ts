/**
 * The NDJSON that `whyreset trace` writes and `analyze --kernel-trace` reads: one header record,
 * one record per kernel event, and (when the trace streams to standard output) an end record.
 * Field names are part of whyreset's contract (docs/contract.md "Kernel trace").
 */

/** The kinds of kernel event a trace records. */
export type KernelEventKind = 'send_reset' | 'receive_reset' | 'nf_send_reset' | 'bad_csum';

/**
 * One kernel event. `src`/`dst` are the addresses of the RST packet itself: for `send_reset` the
 * traced host is `src`; for `receive_reset` the host that accepted the RST is `dst` (the
 * tracepoint prints the socket's own address as `saddr`, we turn it round). IPv4-mapped IPv6
 * addresses are written as IPv4, as captures show them.
 */
export interface KernelEventRecord {
  type: 'event';
  /** Wall-clock epoch seconds (trace clock + the measured offset). */
  ts: number;
  /** The trace clock's own time in seconds (kept so that a reader can map it again). */
  trace_ts: number;
  event: KernelEventKind;
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
  /** The socket state the tracepoint printed (`TCP_ESTABLISHED`, …), null when none. */
  state: string | null;
  /** Linux's `sk_rst_reason` name (`NO_SOCKET`, `TCP_ABORT_ON_CLOSE`, …), null when the event has none. */
  reason: string | null;
  /** The traced host whose address is `src` (`dst` for `receive_reset`); null when none or several own it. */
  host: string | null;
  /** The task that was running when the event fired (softirq context: often not the socket's owner). */
  comm: string | null;
}

/** One sample of the trace clock against the wall clock (a marker written between two wall-clock reads). */
export interface ClockSample {
  /** Wall-clock epoch seconds just before and just after the marker was written. */
  wall_before: number;
  wall_after: number;
  /** The marker's timestamp in the trace clock, seconds. */
  trace_ts: number;
}

/** The trace clock's offset to the wall clock (wall = trace + offset). */
export interface ClockMapping {
  /** The tracefs `trace_clock` used (`mono`). */
  clock: string;
  start: ClockSample;
  end: ClockSample | null;
  /** Seconds to add to a trace time to get epoch seconds. */
  offset: number;
  /** Half-width in seconds of the interval the true offset lies in (both samples, and their drift). */
  uncertainty: number;
}

/** One traced host: a network namespace and what could send resets from it. */
export interface TracedHost {
  /** A name for people (`client`, the netns name, or the hostname for the initial namespace). */
  name: string;
  /** The network namespace (`ip netns` name), null for the namespace `whyreset trace` ran in. */
  netns: string | null;
  /** Its local addresses (IPv4 dotted, IPv6 compressed; loopback included). */
  addresses: string[];
  /** REJECT rules with a TCP reset in its netfilter (`nft list ruleset`, `iptables-save`, `ip6tables-save`). */
  reject_rules: string[];
  /** Whether the rules could be read at all (false: `nft`/`iptables-save` missing or failed). */
  rules_read: boolean;
  /**
   * Sockets that can send any RST, seen at any look during the trace or created during it: raw
   * IP sockets (/proc/net/raw, raw6) and packet sockets not held by a capture-only program
   * (tcpdump, dumpcap). Any of them makes a missing kernel event prove nothing.
   */
  raw_sockets: number;
  /** Every packet socket at the most crowded look (/proc/net/packet, tcpdump's own included). */
  packet_sockets: number;
  /** Who held or created the counted sockets, `comm[pid] raw socket` / `comm[pid] packet socket`. */
  socket_holders: string[];
}

/** What the trace could see: whether each event could be enabled, and why not. */
export interface TraceCapabilities {
  /** The kernel's tcp_send_reset carries `reason` (Linux 6.10 and later). */
  reason_field: boolean;
  /** `sk_rst_reason` names read from the event's `print fmt`, by value. */
  reason_names: Record<string, string>;
  events: KernelEventKind[];
  /** Raw and packet sockets created during the trace are seen (syscalls:sys_enter_socket), not only those open at a look. */
  socket_watch: boolean;
  /** Netfilter's own resets (nf_send_reset, nf_send_reset6) are traced through kprobes. */
  netfilter_traceable: boolean;
  /** Why netfilter's resets cannot be traced, when they cannot. */
  netfilter_note: string | null;
  /** Everything else a reader should know (missing events, older kernels). */
  notes: string[];
}

/** The first record of a trace file. */
export interface TraceHeader {
  type: 'header';
  tool: { name: 'whyreset'; version: string };
  /** Linux release (`uname -r`). */
  kernel: string;
  /** Wall-clock epoch seconds at which tracing started and ended (end null while streaming). */
  started: number;
  ended: number | null;
  clock: ClockMapping;
  hosts: TracedHost[];
  capabilities: TraceCapabilities;
  /** The command run under the trace (`-- COMMAND…`), if any, and its exit status. */
  command: string[] | null;
  command_status: number | null;
}

/** Written last when the trace went to standard output (the header could not be rewritten). */
export interface TraceEnd {
  type: 'end';
  ended: number;
  clock: ClockMapping;
  hosts: TracedHost[];
  command_status: number | null;
  events: number;
}

/** Any line of a trace file. */
export type TraceRecord = TraceHeader | KernelEventRecord | TraceEnd;
