/**
 * The peer whyreset is checked against, and the captures both tools read.
 *
 * - `tsharkView(file)` runs tshark once over a capture and returns its frame count and, for every
 *   frame whose TCP header has RST set, the fields of DESIGN.md's Reset as tshark decodes them.
 * - `whyresetView(report)` turns whyreset's resets into the same shape, so that a test compares
 *   the two with one `assert.deepEqual` and a failure shows the differing field.
 * - `corpusGroups()` / `corpusCaptures()` build the synthetic captures of the cross-check: every
 *   link type, encapsulation and container variant issue 2 names, with RSTs and non-RST traffic
 *   interleaved. test/fuzz.test.ts mutates the same captures.
 *
 * The tshark command is the one of issue 2:
 *   tshark -r FILE -Y tcp.flags.reset==1 -T fields -E separator=/t -e frame.number -e ip.src …
 * run without -Y, with tcp.flags.reset as an extra field, so that one run gives both the frame
 * count and the RST rows (a row with reset == 1 is exactly what the -Y filter keeps).
 */
import { execFile, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { Report, Reset } from '../../src/index.js';
import { type ByteOrder, DSB_TLS_KEYLOG, PcapngWriter, numberOption, writePcap } from '../../testkit/captureWriter.js';
import {
  ACK,
  AF_INET,
  AF_INET6_BSD,
  AF_INET6_DARWIN,
  AF_INET6_FREEBSD,
  CWR,
  ECE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  FIN,
  IPPROTO_UDP,
  type Ipv6ExtHeader,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  NS,
  PSH,
  RST,
  SLL_HOST,
  SLL_OUTGOING,
  SYN,
  type TcpOption,
  type TcpSegmentSpec,
  URG,
  ethernet,
  internetChecksum,
  ipv4,
  ipv6,
  nullLoopback,
  sll,
  sll2,
  tcp4Frame,
  tcp6Frame,
  tcpSegment,
} from '../../testkit/frames.js';

// ---------------------------------------------------------------------------------------------
// tshark

/** True when a `tshark` binary runs. */
export const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).error === undefined;

/** The fields of issue 2's command, then the extra ones this helper needs (see `tsharkView`). */
export const TSHARK_FIELDS = [
  'frame.number',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'ip.dst',
  'ipv6.dst',
  'tcp.dstport',
  'ip.ttl',
  'ipv6.hlim',
  'ip.id',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.window_size_value',
  'tcp.len',
  'frame.time_epoch',
  // Extra: the flags, the text a device put in the RST (tshark's "Reset cause") and MP_TCPRST,
  // all compared too; the filter's own field; ICMP (see `tsharkView`).
  'tcp.flags',
  'tcp.reset_cause',
  'tcp.options.mptcp.rst_reason',
  'tcp.options.mptcp.flags',
  'tcp.flags.reset',
  'icmp.type',
  'icmpv6.type',
] as const;

/**
 * Preferences: IP reassembly off (a first fragment is dissected on its own, as whyreset does),
 * TCP sequence analysis and reassembly off (raw numbers, no state across frames).
 */
export const TSHARK_PREFS = [
  '-n',
  '-o',
  'ip.defragment:FALSE',
  '-o',
  'ipv6.defragment:FALSE',
  '-o',
  'tcp.analyze_sequence_numbers:FALSE',
  '-o',
  'tcp.desegment_tcp_streams:FALSE',
];

/** One RST as compared: the Reset fields both tools know, in whyreset's names. */
export interface ComparableReset {
  frame: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** TCP flag bits FIN 0x01 … CWR 0x80, NS 0x100. */
  flags: number;
  ttl: number;
  ip_id: number | null;
  seq: number;
  ack: number;
  win: number;
  /** null where tshark gives no tcp.len (a segment inside an IP fragment). */
  payload_len: number | null;
  /** Epoch microseconds; null where the capture has no timestamp (pcapng simple packet blocks). */
  ts_us: number | null;
  /** The RST's payload as text (see `reasonTextOf`), or null. */
  reason_text: string | null;
  /** MP_TCPRST reason code and its U V W T flags, or null. */
  mptcp_reason: { code: number; flags: number } | null;
}

/** What tshark saw in a capture. */
export interface TsharkView {
  frames: number;
  resets: ComparableReset[];
  /** Sub-microsecond nanoseconds of each RST's timestamp, by frame (see `sameTime`). */
  subMicros: Map<number, number>;
}

/** The first value of a field tshark printed comma-separated (outermost header first). */
function first(v: string | undefined): string {
  return (v ?? '').split(',')[0] ?? '';
}

function num(v: string | undefined, what: string, frame: string): number {
  const s = first(v);
  const n = Number(s); // also parses tshark's hex "0x1234" (ip.id, tcp.flags)
  if (s === '' || !Number.isFinite(n)) throw new Error(`tshark frame ${frame}: ${what} is "${v ?? ''}"`);
  return n;
}

/** Runs a command and resolves with its stdout (stderr ignored: tshark warns when run as root). */
function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs tshark over `file` and parses every frame. A frame is a RST when one of its
 * tcp.flags.reset values is 1 — except ICMP errors: tshark decodes the TCP header an ICMP
 * "unreachable" quotes, and the display filter matches it, but an ICMP packet is not a reset.
 */
export async function tsharkView(file: string): Promise<TsharkView> {
  const out = await run('tshark', ['-r', file, ...TSHARK_PREFS, '-T', 'fields', '-E', 'separator=/t', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]);
  const lines = out.split('\n').filter((l) => l !== '');
  const resets: ComparableReset[] = [];
  const subMicros = new Map<number, number>();
  for (const line of lines) {
    const c = line.split('\t');
    const [frameText, ipSrc, ip6Src, sport, ipDst, ip6Dst, dport, ttl, hlim, ipId, seq, ack, win, len, time, flags, cause, mpReason, mpFlags, reset, icmp, icmp6] = c;
    const isReset = (reset ?? '').split(',').some((v) => v === '1' || v === 'True');
    if (!isReset || (icmp ?? '') !== '' || (icmp6 ?? '') !== '') continue;
    const f = frameText ?? '?';
    const v4 = first(ipSrc) !== '';
    let ts_us: number | null = null;
    if ((time ?? '') !== '') {
      const [sec, frac = ''] = (time ?? '').split('.');
      const nanos = Number(`${frac}000000000`.slice(0, 9));
      ts_us = Number(sec) * 1e6 + Math.round(nanos / 1000);
      subMicros.set(Number(f), nanos % 1000);
    }
    resets.push({
      frame: num(frameText, 'frame.number', f),
      src: v4 ? first(ipSrc) : first(ip6Src),
      sport: num(sport, 'tcp.srcport', f),
      dst: v4 ? first(ipDst) : first(ip6Dst),
      dport: num(dport, 'tcp.dstport', f),
      flags: num(flags, 'tcp.flags', f) & 0x1ff,
      ttl: v4 ? num(ttl, 'ip.ttl', f) : num(hlim, 'ipv6.hlim', f),
      ip_id: v4 ? num(ipId, 'ip.id', f) : null,
      seq: num(seq, 'tcp.seq_raw', f),
      ack: num(ack, 'tcp.ack_raw', f),
      win: num(win, 'tcp.window_size_value', f),
      payload_len: first(len) === '' ? null : num(len, 'tcp.len', f),
      ts_us,
      reason_text: reasonTextOf(cause ?? ''),
      // The option's third byte is subtype (high nibble) and flags U V W T (low nibble).
      mptcp_reason: first(mpReason) === '' ? null : { code: num(mpReason, 'mptcp.rst_reason', f), flags: num(mpFlags, 'mptcp.flags', f) & 0x0f },
    });
  }
  return { frames: lines.length, resets, subMicros };
}

/**
 * What whyreset's `reason_text` must be for a RST whose payload tshark shows as `cause` (the
 * captured bytes as text, non-printable ones escaped): the text when it is at least four
 * printable characters, with runs of white space made one space; otherwise null.
 */
export function reasonTextOf(cause: string): string | null {
  if (cause.length < 4 || !/^[\x20-\x7e]+$/.test(cause) || /\\(x[0-9a-f]{2}|[0-7]{3}|[rnt0])/i.test(cause)) return null;
  const text = cause.replace(/\s+/g, ' ').trim();
  return text.length >= 4 ? text : null;
}

const FLAG_BITS: Record<string, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100 };

/**
 * whyreset's resets of capture `index`, in the comparable shape, in frame order (whyreset emits a
 * reset when its connection's story is complete, which need not be the order of the frames).
 */
export function whyresetView(resets: readonly Reset[], index = 0): ComparableReset[] {
  return resets
    .filter((r) => r.capture === index)
    .sort((a, b) => a.frame - b.frame)
    .map((r) => ({
      frame: r.frame,
      src: r.src,
      sport: r.sport,
      dst: r.dst,
      dport: r.dport,
      flags: r.flags.reduce((bits, name) => bits | (FLAG_BITS[name] ?? 0x8000), 0),
      ttl: r.ttl,
      ip_id: r.ip_id,
      seq: r.seq,
      ack: r.ack,
      win: r.win,
      payload_len: r.payload_len,
      ts_us: Math.round(r.ts * 1e6),
      reason_text: r.reason_text,
      mptcp_reason: r.mptcp_reason === null ? null : { code: r.mptcp_reason.code, flags: r.mptcp_reason.flags },
    }));
}

/**
 * Lines up whyreset's view with tshark's where tshark has less to say, so that deepEqual
 * compares everything else exactly:
 * - no tcp.len (a segment inside an IP fragment) or no timestamp (a pcapng simple packet block):
 *   that one field is not compared;
 * - a timestamp whose sub-microsecond part lies within 250 ns of half a microsecond: whyreset
 *   carries time as one double of epoch seconds (spacing 0.24 µs near 1.8e9 s, so up to 0.12 µs
 *   off) and rounds `ts * 1e6` (another 0.125 µs), so there either neighbour is a fair rounding
 *   of a nanosecond timestamp. Microsecond captures always compare exactly.
 * Everything else (frame, addresses, ports, flags, TTL, IP ID, seq, ack, window, length, the
 * microsecond) must be identical.
 */
export function alignToPeer(ours: ComparableReset[], peer: TsharkView): ComparableReset[] {
  const byFrame = new Map(peer.resets.map((r) => [r.frame, r]));
  return ours.map((r) => {
    const p = byFrame.get(r.frame);
    if (!p) return r;
    const out = { ...r };
    if (p.payload_len === null) out.payload_len = null;
    if (p.ts_us === null) out.ts_us = null;
    else if (out.ts_us !== null && Math.abs(out.ts_us - p.ts_us) === 1) {
      const sub = peer.subMicros.get(r.frame) ?? 0;
      if (sub >= 250 && sub <= 750) out.ts_us = p.ts_us;
    }
    return out;
  });
}

/** whyreset's and tshark's RSTs for capture `index` of `report`, ready for deepEqual. */
export function comparePair(report: Report, peer: TsharkView, index = 0): { ours: ComparableReset[]; theirs: ComparableReset[] } {
  return { ours: alignToPeer(whyresetView(report.resets, index), peer), theirs: peer.resets };
}

/** Runs `fn` over `items` with at most `limit` running at once (tshark is single-threaded; this machine has 2 cores). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// The corpus

/** One frame of a group: its bytes, exact time, and how many bytes the capture keeps. */
export interface CorpusFrame {
  readonly data: Uint8Array;
  readonly tsNanos: bigint;
  /** Bytes captured (default all): less than data.length is a snaplen cut. */
  readonly caplen?: number;
  /** What the frame is, for failure messages. */
  readonly note: string;
}

/** Frames of one link type. */
export interface CorpusGroup {
  readonly name: string;
  readonly linkType: number;
  readonly frames: readonly CorpusFrame[];
}

/** One capture file of the corpus. */
export interface CorpusCapture {
  readonly name: string;
  readonly format: 'pcap' | 'pcapng';
  readonly gzip: boolean;
  readonly bytes: Uint8Array;
}

const enc = new TextEncoder();
const text = (s: string): Uint8Array => enc.encode(s);

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A UDP header (checksum 0: "none" for IPv4; tshark does not check it for IPv6 by default). */
function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint16(4, out.length);
  out.set(payload, 8);
  return out;
}

/** An ARP who-has request (RFC 826) for Ethernet/IPv4. */
function arpRequest(): Uint8Array {
  return Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1);
}

/** An ICMP destination-unreachable (type 3, code 3) quoting `quoted` (an IP packet) whole, as Linux does. */
function icmpUnreachable(quoted: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + quoted.length);
  out[0] = 3;
  out[1] = 3;
  out.set(quoted, 8);
  const c = internetChecksum(out);
  out[2] = c >>> 8;
  out[3] = c & 0xff;
  return out;
}

/** One MPLS label stack entry (RFC 3032). */
function mplsLabel(label: number, bottom: boolean, ttl: number): Uint8Array {
  return Uint8Array.of((label >>> 12) & 0xff, (label >>> 4) & 0xff, ((label & 0xf) << 4) | (bottom ? 1 : 0), ttl);
}

/** A PPPoE session header (RFC 2516) and PPP protocol field before `ip`. */
function pppoe(ip: Uint8Array, v6: boolean): Uint8Array {
  const out = new Uint8Array(8 + ip.length);
  const dv = new DataView(out.buffer);
  out[0] = 0x11;
  dv.setUint16(2, 0x1234);
  dv.setUint16(4, ip.length + 2);
  dv.setUint16(6, v6 ? 0x0057 : 0x0021);
  out.set(ip, 8);
  return out;
}

const C4 = '192.0.2.10';
const S4 = '198.51.100.20';
const C6 = '2001:db8:0:1::10';
const S6 = '2001:db8:0:2::20';
const BASE_NS = 1_700_000_000_000_000_123n;

/** The TCP options a RST may carry in the corpus (all of issue 2's kinds, and an unknown one). */
const RST_OPTIONS: readonly (readonly TcpOption[])[] = [
  [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsVal: 0xdeadbeef, tsEcr: 0x01020304 }],
  [{ kind: 'mptcpRst', reason: 3, transient: true }],
  [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1000, 2000], [3000, 4000], [0xfffffff0, 16]] }],
  [{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 7 }, { kind: 'sackPermitted' }],
  [{ kind: 'raw', code: 253, data: Uint8Array.of(0xab, 0xcd, 1, 2) }, { kind: 'raw', code: 77, data: Uint8Array.of(9) }],
];

/** Builds frames with consecutive timestamps (sub-microsecond part 123 ns, far from a rounding tie). */
class GroupBuilder {
  readonly frames: CorpusFrame[] = [];
  constructor(private readonly base: bigint) {}
  add(note: string, data: Uint8Array, caplen?: number): void {
    const tsNanos = this.base + BigInt(this.frames.length) * 7_654_321_000n;
    this.frames.push(caplen === undefined ? { note, data, tsNanos } : { note, data, tsNanos, caplen });
  }
}

/** A TCP conversation of `kind` as IP packets (no link layer): handshake, data, then a RST. */
function conversation(v6: boolean, port: number, rst: Partial<TcpSegmentSpec> & { options?: readonly TcpOption[] }, ipExtra: { ttl?: number; id?: number; ext?: readonly Ipv6ExtHeader[]; ipOptions?: Uint8Array } = {}): { note: string; ip: Uint8Array }[] {
  const [c, s] = v6 ? [C6, S6] : [C4, S4];
  const pkt = (src: string, dst: string, seg: TcpSegmentSpec, ttl: number, id: number, ext?: readonly Ipv6ExtHeader[], ipOptions?: Uint8Array): Uint8Array =>
    v6
      ? ipv6({ src, dst, hopLimit: ttl, extHeaders: ext, payload: tcpSegment(seg) })
      : ipv4({ src, dst, ttl, id, df: true, options: ipOptions, payload: tcpSegment(seg) });
  const iss = 0x10000000 + port;
  const irs = 0x80000000 + port;
  return [
    { note: 'SYN', ip: pkt(c, s, { sport: port, dport: 443, seq: iss, ack: 0, flags: SYN, win: 64240, options: RST_OPTIONS[3] }, 64, port & 0xffff) },
    { note: 'SYN-ACK', ip: pkt(s, c, { sport: 443, dport: port, seq: irs, ack: iss + 1, flags: SYN | ACK, win: 65160, options: RST_OPTIONS[3] }, 60, 0) },
    { note: 'ACK', ip: pkt(c, s, { sport: port, dport: 443, seq: iss + 1, ack: irs + 1, flags: ACK, win: 502 }, 64, (port + 1) & 0xffff) },
    { note: 'data', ip: pkt(c, s, { sport: port, dport: 443, seq: iss + 1, ack: irs + 1, flags: PSH | ACK, win: 502, payload: text('GET / HTTP/1.1\r\n\r\n') }, 64, (port + 2) & 0xffff) },
    {
      note: 'RST',
      ip: pkt(
        s,
        c,
        { sport: 443, dport: port, seq: irs + 1, ack: iss + 19, flags: RST | ACK, win: 0, ...rst },
        ipExtra.ttl ?? 60,
        ipExtra.id ?? 0x4242,
        ipExtra.ext,
        ipExtra.ipOptions,
      ),
    },
  ];
}

/** Ethernet (1): VLAN, QinQ, MPLS, PPPoE, IPv4 options and fragments, IPv6 extension headers, TCP options, padding, text payloads, snaplen cuts, ARP, UDP, ICMP. */
function ethernetGroup(): CorpusGroup {
  const g = new GroupBuilder(BASE_NS);
  const eth4 = (ip: Uint8Array, extra: { vlans?: { tpid: number; vid: number }[]; padTo?: number; trailer?: Uint8Array } = {}) =>
    ethernet({ ethertype: ETHERTYPE_IPV4, payload: ip, ...extra });
  const eth6 = (ip: Uint8Array, extra: { vlans?: { tpid: number; vid: number }[]; padTo?: number } = {}) => ethernet({ ethertype: ETHERTYPE_IPV6, payload: ip, ...extra });

  g.add('ARP who-has', ethernet({ dst: 'ff:ff:ff:ff:ff:ff', ethertype: ETHERTYPE_ARP, payload: arpRequest(), padTo: 60 }));
  for (const p of conversation(false, 40001, { flags: RST | ACK })) g.add(`v4 ${p.note}`, eth4(p.ip, { padTo: 60 }));
  g.add('UDP v4 DNS query', eth4(ipv4({ src: C4, dst: '192.0.2.53', ttl: 64, id: 7, protocol: IPPROTO_UDP, payload: udp(5353, 53, text('\x12\x34\x01\x00\x00\x01')) })));
  // A short RST padded to the 60-byte Ethernet minimum, plus a 4-byte trailer: none of it is RST data.
  g.add('v4 RST padded + trailer', tcp4Frame({ src: S4, dst: C4, sport: 80, dport: 40002, seq: 0xffffffff, ack: 0, flags: RST, win: 0, ttl: 255, id: 0xffff, padTo: 60, trailer: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) }));
  // F5 BIG-IP puts its reset cause into the RST payload.
  for (const p of conversation(false, 40003, { payload: text('F5RST: no server selected'), win: 4096 })) g.add(`v4 F5 ${p.note}`, eth4(p.ip));
  // IPv4 options (NOP, router alert, record route) on a RST.
  const ipOptions = Uint8Array.of(1, 0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0);
  g.add('v4 RST with IP options', tcp4Frame({ src: S4, dst: C4, sport: 443, dport: 40004, seq: 1, ack: 2, flags: RST | ACK, win: 1, ttl: 1, id: 0x1234, ipOptions }));
  RST_OPTIONS.forEach((options, i) => {
    g.add(`v4 RST with TCP options #${i}`, tcp4Frame({ src: S4, dst: C4, sport: 443, dport: 40010 + i, seq: 100 + i, ack: 200 + i, flags: RST | ACK, win: 10 + i, id: 300 + i, options }));
    g.add(`v6 RST with TCP options #${i}`, tcp6Frame({ src: S6, dst: C6, sport: 443, dport: 40010 + i, seq: 100 + i, ack: 200 + i, flags: RST | ACK, win: 10 + i, ttl: 57, options }));
  });
  g.add('v4 RST|ECE|CWR|NS|URG', tcp4Frame({ src: C4, dst: S4, sport: 40020, dport: 443, seq: 5, ack: 6, flags: RST | ECE | CWR | NS | URG, win: 7, urg: 1 }));
  g.add('v4 SYN|RST|FIN', tcp4Frame({ src: C4, dst: S4, sport: 40021, dport: 443, seq: 5, ack: 0, flags: SYN | RST | FIN, win: 7 }));
  // VLAN: 802.1Q, 802.1ad + 802.1Q (QinQ), the pre-standard 0x9100.
  const q = [{ tpid: ETHERTYPE_VLAN, vid: 100 }];
  const qinq = [
    { tpid: ETHERTYPE_QINQ, vid: 200 },
    { tpid: ETHERTYPE_VLAN, vid: 300 },
  ];
  const old = [
    { tpid: 0x9100, vid: 10 },
    { tpid: ETHERTYPE_VLAN, vid: 20 },
  ];
  g.add('802.1Q v4 RST', tcp4Frame({ src: S4, dst: C4, sport: 443, dport: 40030, seq: 11, ack: 12, flags: RST | ACK, win: 0, id: 31, vlans: q, padTo: 64 }));
  g.add('802.1Q v6 RST', tcp6Frame({ src: S6, dst: C6, sport: 443, dport: 40031, seq: 13, ack: 14, flags: RST, win: 0, vlans: q }));
  g.add('QinQ ARP', ethernet({ vlans: qinq, ethertype: ETHERTYPE_ARP, payload: arpRequest(), padTo: 68 }));
  for (const p of conversation(false, 40032, { flags: RST | ACK })) g.add(`QinQ v4 ${p.note}`, eth4(p.ip, { vlans: qinq }));
  for (const p of conversation(true, 40033, { flags: RST })) g.add(`QinQ v6 ${p.note}`, eth6(p.ip, { vlans: qinq }));
  g.add('0x9100 QinQ v4 RST', tcp4Frame({ src: S4, dst: C4, sport: 443, dport: 40034, seq: 15, ack: 16, flags: RST | ACK, win: 0, id: 33, vlans: old }));
  // MPLS and PPPoE carry IP too.
  const rst4 = ipv4({ src: S4, dst: C4, ttl: 50, id: 0x77, df: true, payload: tcpSegment({ sport: 443, dport: 40035, seq: 17, ack: 18, flags: RST | ACK, win: 0 }) });
  g.add('MPLS v4 RST', ethernet({ ethertype: 0x8847, payload: cat(mplsLabel(1000, false, 64), mplsLabel(2000, true, 64), rst4) }));
  g.add('PPPoE v4 RST', ethernet({ ethertype: 0x8864, payload: pppoe(rst4, false) }));
  // IPv6 extension headers: each on its own, then all of them chained.
  const exts: [string, Ipv6ExtHeader[]][] = [
    ['hop-by-hop', [{ type: 'hopByHop', options: Uint8Array.of(5, 2, 0, 0) }]],
    ['destination options', [{ type: 'destination' }]],
    ['routing type 2', [{ type: 'routing', addresses: ['2001:db8:ffff::1'], segmentsLeft: 1 }]],
    ['atomic fragment', [{ type: 'fragment', id: 0x01020304 }]],
    ['first fragment', [{ type: 'fragment', id: 0x0a0b0c0d, more: true }]],
    ['AH', [{ type: 'ah', spi: 0x1000, seq: 7 }]],
    [
      'HBH+DST+RH+AH+DST',
      [{ type: 'hopByHop' }, { type: 'destination' }, { type: 'routing', addresses: ['2001:db8::99'], segmentsLeft: 0 }, { type: 'ah', spi: 5, seq: 6 }, { type: 'destination' }],
    ],
  ];
  exts.forEach(([name, ext], i) => {
    for (const p of conversation(true, 40040 + i, { flags: RST | ACK, payload: i === 4 ? text('abcdefgh') : undefined }, { ttl: 63 - i, ext })) {
      if (p.note === 'RST' || p.note === 'SYN') g.add(`v6 ${name} ${p.note}`, eth6(p.ip));
    }
  });
  // IPv4 first fragment (MF, offset 0) of a RST with data, and a later fragment (no TCP header).
  const frag = (offset: number, more: boolean, payload: Uint8Array) => ipv4({ src: S4, dst: C4, ttl: 61, id: 0xbeef, moreFragments: more, fragOffset: offset, payload });
  const seg = tcpSegment({ sport: 443, dport: 40050, seq: 21, ack: 22, flags: RST | ACK, win: 0, payload: text('0123456789abcdef0123456789abcdef') });
  g.add('v4 first fragment RST', eth4(frag(0, true, seg.subarray(0, 32))));
  g.add('v4 later fragment', eth4(frag(32, false, seg.subarray(32))));
  // Addresses in every RFC 5952 shape (the tie goes to the first run; a lone zero group stays).
  const v6Shapes = ['::1', '::ffff:192.0.2.1', '2001:db8:0:0:1:0:0:1', '2001:db8:1:2:3:4:5:6', '2001:db8:0:1:1:1:1:1', 'fe80::1:2:3:4', '2001:db8::'];
  v6Shapes.forEach((src, i) => g.add(`v6 RST from ${src}`, tcp6Frame({ src, dst: '::', sport: 1 + i, dport: 65535, seq: i, ack: i, flags: RST, win: 65535, ttl: 255 })));
  // Snaplen cuts: inside the RST's text, inside its TCP options, inside the IP header.
  const long = tcp4Frame({ src: S4, dst: C4, sport: 443, dport: 40060, seq: 31, ack: 32, flags: RST | ACK, win: 0, id: 0x99, options: RST_OPTIONS[0], payload: text('F5RST: Flow expired (sweeper)') });
  g.add('v4 RST cut in payload', long, 14 + 20 + 32 + 5);
  g.add('v4 RST cut in TCP options', long, 14 + 20 + 20 + 6);
  g.add('v4 RST cut at 20 TCP bytes', long, 14 + 20 + 20);
  g.add('v4 RST cut in TCP ports', long, 14 + 20 + 10);
  g.add('v4 RST cut in IP header', long, 14 + 12);
  const long6 = tcp6Frame({ src: S6, dst: C6, sport: 443, dport: 40061, seq: 33, ack: 34, flags: RST | ACK, win: 0, extHeaders: [{ type: 'hopByHop' }], payload: text('reset by policy') });
  g.add('v6 RST cut in payload', long6, 14 + 48 + 20 + 3);
  g.add('v6 RST cut in extension header', long6, 14 + 44);
  // An ICMP error quoting a whole RST: tshark's filter matches the quoted header; it is not a reset.
  const quoted = ipv4({ src: C4, dst: S4, ttl: 64, id: 5, payload: tcpSegment({ sport: 40070, dport: 443, seq: 1, ack: 1, flags: RST | ACK, win: 0 }) });
  g.add('ICMP unreachable quoting a RST', eth4(ipv4({ src: '203.0.113.1', dst: C4, ttl: 250, id: 9, protocol: 1, payload: icmpUnreachable(quoted) })));
  g.add('UDP v6', eth6(ipv6({ src: C6, dst: S6, hopLimit: 64, nextHeader: IPPROTO_UDP, payload: udp(546, 547, text('dhcpv6')) })));
  return { name: 'ethernet', linkType: LINKTYPE_ETHERNET, frames: g.frames };
}

/** IP packets (no link layer) for the groups whose link header is small: a mix of v4/v6, RST and not. */
function ipPackets(): { note: string; ip: Uint8Array; v6: boolean }[] {
  const out: { note: string; ip: Uint8Array; v6: boolean }[] = [];
  for (const p of conversation(false, 41001, { flags: RST | ACK })) out.push({ note: `v4 ${p.note}`, ip: p.ip, v6: false });
  for (const p of conversation(true, 41002, { flags: RST, options: RST_OPTIONS[1] }, { ext: [{ type: 'destination' }] })) out.push({ note: `v6 ${p.note}`, ip: p.ip, v6: true });
  out.push({ note: 'UDP v4', ip: ipv4({ src: C4, dst: S4, ttl: 64, id: 1, protocol: IPPROTO_UDP, payload: udp(1, 2, text('x')) }), v6: false });
  for (const p of conversation(false, 41003, { payload: text('Connection reset by peer (policy 17)') }, { ipOptions: Uint8Array.of(1, 1, 1, 0) })) out.push({ note: `v4 text ${p.note}`, ip: p.ip, v6: false });
  out.push({ note: 'UDP v6', ip: ipv6({ src: C6, dst: S6, hopLimit: 64, nextHeader: IPPROTO_UDP, payload: udp(1, 2, text('y')) }), v6: true });
  out.push({ note: 'v6 RST AH', ip: ipv6({ src: S6, dst: C6, hopLimit: 3, extHeaders: [{ type: 'ah', spi: 9, seq: 9 }], payload: tcpSegment({ sport: 443, dport: 41004, seq: 9, ack: 9, flags: RST | ACK, win: 9 }) }), v6: true });
  return out;
}

/** Linux cooked v1 (113): inbound and outgoing packets, ARP, a VLAN-tagged protocol. */
function sllGroup(v2: boolean): CorpusGroup {
  const g = new GroupBuilder(BASE_NS + (v2 ? 3n : 2n) * 1_000_000_000_000n);
  const frame = (packetType: number, protocol: number, payload: Uint8Array) =>
    v2 ? sll2({ packetType, protocol, ifIndex: 3, payload }) : sll({ packetType, protocol, payload });
  g.add('ARP', frame(SLL_HOST, ETHERTYPE_ARP, arpRequest()));
  ipPackets().forEach((p, i) => g.add(p.note, frame(i % 2 === 0 ? SLL_HOST : SLL_OUTGOING, p.v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, p.ip)));
  const rst = ipv4({ src: S4, dst: C4, ttl: 64, id: 3, payload: tcpSegment({ sport: 443, dport: 41010, seq: 3, ack: 4, flags: RST | ACK, win: 0 }) });
  g.add('VLAN in cooked header', frame(SLL_HOST, ETHERTYPE_VLAN, cat(Uint8Array.of(0, 42, 8, 0), rst)));
  const cut = frame(SLL_OUTGOING, ETHERTYPE_IPV4, ipv4({ src: C4, dst: S4, ttl: 64, id: 8, payload: tcpSegment({ sport: 41011, dport: 443, seq: 5, ack: 6, flags: RST | ACK, win: 0, payload: text('a long reset reason that the snaplen cuts') }) }));
  g.add('RST cut in payload', cut, (v2 ? 20 : 16) + 20 + 20 + 4);
  return { name: v2 ? 'sll2' : 'sll', linkType: v2 ? LINKTYPE_LINUX_SLL2 : LINKTYPE_LINUX_SLL, frames: g.frames };
}

/** Raw IP (101), IPv4 (228) or IPv6 (229): the IP packet is the frame. */
function rawGroup(linkType: number): CorpusGroup {
  const g = new GroupBuilder(BASE_NS + BigInt(linkType) * 1_000_000_000n);
  for (const p of ipPackets()) {
    if (linkType === LINKTYPE_IPV4 && p.v6) continue;
    if (linkType === LINKTYPE_IPV6 && !p.v6) continue;
    g.add(p.note, p.ip);
  }
  const name = linkType === LINKTYPE_RAW ? 'raw' : linkType === LINKTYPE_IPV4 ? 'ipv4' : 'ipv6';
  return { name, linkType, frames: g.frames };
}

/** BSD loopback: NULL (0) in either host byte order with every AF_INET6 value, LOOP (108) in network order. */
function loopbackGroup(loop: boolean): CorpusGroup {
  const g = new GroupBuilder(BASE_NS + (loop ? 5n : 4n) * 1_000_000_000_000n);
  const v6Families = [AF_INET6_BSD, AF_INET6_FREEBSD, AF_INET6_DARWIN];
  let v6n = 0;
  ipPackets().forEach((p, i) => {
    const family = p.v6 ? (v6Families[v6n++ % 3] as number) : AF_INET;
    // NULL is the capturing host's byte order: alternate, as files from BE and LE hosts do.
    const byteOrder = loop || i % 3 === 2 ? 'be' : 'le';
    g.add(`${p.note} AF ${family} ${byteOrder}`, nullLoopback({ family, byteOrder, payload: p.ip }));
  });
  return { name: loop ? 'loop' : 'null', linkType: loop ? LINKTYPE_LOOP : LINKTYPE_NULL, frames: g.frames };
}

/** Every group of the corpus, one per link type. */
export function corpusGroups(): CorpusGroup[] {
  return [
    ethernetGroup(),
    sllGroup(false),
    sllGroup(true),
    rawGroup(LINKTYPE_RAW),
    rawGroup(LINKTYPE_IPV4),
    rawGroup(LINKTYPE_IPV6),
    loopbackGroup(false),
    loopbackGroup(true),
  ];
}

/** The classic pcap variants: both byte orders, microsecond and nanosecond magic. */
export const PCAP_VARIANTS: readonly { name: string; byteOrder: ByteOrder; nanos: boolean }[] = [
  { name: 'le-us', byteOrder: 'le', nanos: false },
  { name: 'be-us', byteOrder: 'be', nanos: false },
  { name: 'le-ns', byteOrder: 'le', nanos: true },
  { name: 'be-ns', byteOrder: 'be', nanos: true },
];

/** A group as one classic pcap file. */
export function groupAsPcap(group: CorpusGroup, variant: { byteOrder: ByteOrder; nanos: boolean }): Uint8Array {
  return writePcap(
    group.frames.map((f) => ({ ts: 0, tsNanos: f.tsNanos, data: f.data, caplen: f.caplen })),
    { linkType: group.linkType, byteOrder: variant.byteOrder, nanos: variant.nanos, snaplen: 262144 },
  );
}

/**
 * All groups in one pcapng: section 1 holds Ethernet, SLL, raw IP and SLL2 interfaces (µs, ns,
 * ms and 2^-20 s with if_tsoffset), section 2 (the other byte order) NULL, LOOP, IPv4, IPv6 and a
 * second Ethernet interface with a 128-byte snaplen. Packets go out as EPB, the obsolete PB, and SPB
 * (Ethernet interface 0 only; SPBs have no timestamp), interleaved with NRB, ISB and DSB blocks.
 */
export function groupsAsPcapng(groups: readonly CorpusGroup[], firstOrder: ByteOrder): Uint8Array {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const w = new PcapngWriter();
  const other: ByteOrder = firstOrder === 'le' ? 'be' : 'le';
  let n = 0;
  const emit = (iface: number, f: CorpusFrame, allowSpb: boolean): void => {
    n++;
    if (allowSpb && f.caplen === undefined && n % 7 === 0) w.spb({ data: f.data });
    else if (n % 5 === 0) w.pb({ interfaceId: iface, tsNanos: f.tsNanos, data: f.data, caplen: f.caplen, drops: n });
    else w.epb({ interfaceId: iface, tsNanos: f.tsNanos, data: f.data, caplen: f.caplen, flags: n % 3 === 0 ? 2 : 1 });
    if (n % 11 === 0) w.isb({ interfaceId: iface, tsNanos: f.tsNanos, ifRecv: BigInt(n), ifDrop: 0n });
  };
  /** Interleaves the frames of several (interface, group) pairs round-robin. */
  const interleave = (pairs: [number, CorpusGroup | undefined][]): void => {
    const max = Math.max(...pairs.map(([, g]) => g?.frames.length ?? 0));
    for (let i = 0; i < max; i++) {
      for (const [iface, g] of pairs) {
        const f = g?.frames[i];
        if (f) emit(iface, f, iface === 0);
      }
    }
  };

  w.section({ byteOrder: firstOrder, userAppl: 'whyreset cross-check', comment: 'section 1' });
  const eth = w.iface({ linkType: LINKTYPE_ETHERNET, name: 'eth0' });
  const sllId = w.iface({ linkType: LINKTYPE_LINUX_SLL, name: 'any', tsresol: { base: 10, exp: 9 } });
  const raw = w.iface({ linkType: LINKTYPE_RAW, name: 'tun0', tsresol: { base: 10, exp: 3 } });
  const sll2Id = w.iface({ linkType: LINKTYPE_LINUX_SLL2, name: 'any2', tsresol: { base: 2, exp: 20 }, tsoffset: 1000n });
  w.nrb([{ ip: Uint8Array.of(192, 0, 2, 10), names: ['client.example'] }]);
  interleave([
    [eth, byName.get('ethernet')],
    [sllId, byName.get('sll')],
    [raw, byName.get('raw')],
    [sll2Id, byName.get('sll2')],
  ]);
  w.section({ byteOrder: other, comment: 'section 2' });
  const nul = w.iface({ linkType: LINKTYPE_NULL, name: 'lo0' });
  const loop = w.iface({ linkType: LINKTYPE_LOOP, name: 'lo1', tsresol: { base: 10, exp: 7 } });
  const v4 = w.iface({ linkType: LINKTYPE_IPV4, name: 'ip4', options: [numberOption(8, 1_000_000_000n, 8, other)] });
  const v6 = w.iface({ linkType: LINKTYPE_IPV6, name: 'ip6', tsresol: { base: 10, exp: 9 } });
  const eth2 = w.iface({ linkType: LINKTYPE_ETHERNET, name: 'eth1', snaplen: 128 });
  w.dsb(DSB_TLS_KEYLOG, text(`CLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}\n`));
  // The Ethernet frames again, on an interface whose snaplen (128) cuts the longer ones.
  const ethAgain = byName.get('ethernet');
  const shifted: CorpusGroup | undefined = ethAgain && {
    ...ethAgain,
    frames: ethAgain.frames.map((f) => ({ ...f, tsNanos: f.tsNanos + 86_400_000_000_000n })),
  };
  interleave([
    [nul, byName.get('null')],
    [loop, byName.get('loop')],
    [v4, byName.get('ipv4')],
    [v6, byName.get('ipv6')],
    [eth2, shifted],
  ]);
  return w.toBytes();
}

/**
 * Every capture of the cross-check: each group as pcap in the four variants, all groups as
 * pcapng starting in either byte order, and a gzip copy of each (`gzip: true`).
 */
export function corpusCaptures(): CorpusCapture[] {
  const groups = corpusGroups();
  const plain: CorpusCapture[] = [];
  for (const g of groups) {
    for (const v of PCAP_VARIANTS) plain.push({ name: `${g.name}-${v.name}.pcap`, format: 'pcap', gzip: false, bytes: groupAsPcap(g, v) });
  }
  for (const order of ['le', 'be'] as const) {
    plain.push({ name: `mixed-${order}.pcapng`, format: 'pcapng', gzip: false, bytes: groupsAsPcapng(groups, order) });
  }
  return [...plain, ...plain.map((c) => ({ ...c, name: `${c.name}.gz`, gzip: true, bytes: new Uint8Array(gzipSync(c.bytes)) }))];
}

// ---------------------------------------------------------------------------------------------
// Where things are in a capture of the corpus

/** A record header (pcap) or block (pcapng) of an undamaged capture. */
export interface Piece {
  start: number;
  /** Byte order of its section. */
  le: boolean;
  /** pcapng block type; 0 for a pcap record. */
  type: number;
}

/**
 * Where each packet record ends (byte offset after it), by frame number, in an undamaged pcap or
 * pcapng file; and where each record or block starts (for hostile length fields).
 */
export function captureLayout(bytes: Uint8Array): { recordEnd: number[]; pieces: Piece[]; format: 'pcap' | 'pcapng' } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const recordEnd: number[] = [0]; // frame numbers count from 1
  const pieces: Piece[] = [];
  if (dv.getUint32(0, true) === 0x0a0d0d0a) {
    let le = true;
    for (let off = 0; off + 12 <= bytes.length; ) {
      if (dv.getUint32(off, true) === 0x0a0d0d0a) le = dv.getUint32(off + 8, true) === 0x1a2b3c4d;
      const type = dv.getUint32(off, le);
      const len = dv.getUint32(off + 4, le);
      pieces.push({ start: off, le, type });
      if (type === 2 || type === 3 || type === 6) recordEnd.push(off + len);
      off += len;
    }
    return { recordEnd, pieces, format: 'pcapng' };
  }
  const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
  for (let off = 24; off + 16 <= bytes.length; ) {
    pieces.push({ start: off, le, type: 0 });
    off += 16 + dv.getUint32(off + 8, le);
    recordEnd.push(off);
  }
  return { recordEnd, pieces, format: 'pcap' };
}
