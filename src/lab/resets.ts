/**
 * Reading the RST packets out of a capture for verification. One small function with two
 * implementations: whyreset's own `analyze` (the default: the lab then also checks whyreset's
 * readers and decoders against captures of real kernels) and tshark as the independent peer
 * (`--reader tshark`), so a decoder bug can be told from a scenario bug.
 */
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../decode/packet.js';
import { analyze } from '../index.js';
import { runCommand } from './exec.js';

/** One packet with RST set, as read from a capture file. */
export interface CapturedReset {
  /** 1-based frame number in the file, as Wireshark counts. */
  frame: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** TCP flag bits (TCP_FIN..TCP_CWR). */
  flags: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  seq: number;
  ack: number;
}

/** Flag names in bit order, as whyreset prints them (`["RST","ACK"]`). */
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
];

/** Flag bits -> names, e.g. 0x14 -> ["RST","ACK"]. */
export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/** Names -> flag bits; unknown names are ignored. */
export function flagBits(names: readonly string[]): number {
  let bits = 0;
  for (const [bit, name] of FLAG_NAMES) if (names.includes(name)) bits |= bit;
  return bits;
}

/** Which reader verification uses. */
export type ResetReader = 'whyreset' | 'tshark';

/** The reader verification uses unless told otherwise. */
export function defaultReader(): ResetReader {
  return 'whyreset';
}

/** Reads every RST packet of a capture file with the chosen reader. */
export async function readResets(path: string, reader: ResetReader = defaultReader()): Promise<CapturedReset[]> {
  return reader === 'whyreset' ? readResetsWithWhyreset(path) : readResetsWithTshark(path);
}

/** whyreset's own analysis (`analyze([path]).resets`). */
async function readResetsWithWhyreset(path: string): Promise<CapturedReset[]> {
  const report = await analyze([path]);
  const errors = report.inputs.flatMap((i) => i.errors);
  if (errors.length > 0) throw new Error(`${path}: ${errors.map((e) => `${e.message} at ${e.offset}`).join('; ')}`);
  return report.resets.map((r) => ({
    frame: r.frame,
    src: r.src,
    sport: r.sport,
    dst: r.dst,
    dport: r.dport,
    flags: flagBits(r.flags),
    ttl: r.ttl,
    seq: r.seq >>> 0,
    ack: r.ack >>> 0,
  }));
}

const TSHARK_FIELDS = [
  'frame.number',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'ip.dst',
  'ipv6.dst',
  'tcp.dstport',
  'tcp.flags',
  'ip.ttl',
  'ipv6.hlim',
  'tcp.seq_raw',
  'tcp.ack_raw',
];

/** tshark as the independent peer reader. */
async function readResetsWithTshark(path: string): Promise<CapturedReset[]> {
  const args = ['-n', '-r', path, '-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  const r = await runCommand('tshark', args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`tshark -r ${path}: ${r.stderr.trim()}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseTsharkLine);
}

/** One tab-separated tshark line in TSHARK_FIELDS order -> CapturedReset. */
export function parseTsharkLine(line: string): CapturedReset {
  const [frame, src4, src6, sport, dst4, dst6, dport, flags, ttl4, hlim6, seq, ack] = line.split('\t');
  return {
    frame: Number(frame),
    src: src4 || src6 || '',
    sport: Number(sport),
    dst: dst4 || dst6 || '',
    dport: Number(dport),
    flags: Number.parseInt(flags ?? '0', 16) & 0xff,
    ttl: Number(ttl4 || hlim6),
    seq: Number(seq) >>> 0,
    ack: Number(ack) >>> 0,
  };
}
