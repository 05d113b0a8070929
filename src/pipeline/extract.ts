/**
 * The second pass of `--write-pcap` and `explain`: reads the inputs again and hands on every
 * record that belongs to one of the chosen connections (same 4-tuple, either direction, inside
 * the connection's span of frames), in file order. Only the chosen tuples are looked at closely: a
 * packet whose port pair is not among them costs one Set lookup.
 */
import type { Readable } from 'node:stream';
import { readCapture } from '../capture/open.js';
import type { CaptureRecord } from '../capture/record.js';
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { decodeFrame } from '../decode/frame.js';
import { DecodedPacket } from '../decode/packet.js';
import type { ConnectionSpan } from './run.js';

/** Receives each record of a chosen connection; `span` says which. The record is only valid during the call. */
export type ExtractHandler = (rec: CaptureRecord, pkt: DecodedPacket, span: ConnectionSpan, captureIndex: number) => void;

/** Fragmented datagrams of chosen connections remembered at once (the oldest is forgotten first). */
export const MAX_FRAGMENTED = 4096;

/** Key of an unordered port pair. */
function portPair(a: number, b: number): number {
  return a <= b ? a * 65536 + b : b * 65536 + a;
}

/** Key of an unordered 4-tuple. */
function tupleKey(addrA: string, portA: number, addrB: string, portB: number): string {
  return addrA < addrB || (addrA === addrB && portA <= portB) ? `${addrA} ${portA} ${addrB} ${portB}` : `${addrB} ${portB} ${addrA} ${portA}`;
}

/** The spans of one capture, indexed for the per-packet test. */
class SpanIndex {
  readonly ports = new Set<number>();
  readonly byTuple = new Map<string, ConnectionSpan[]>();

  add(span: ConnectionSpan): void {
    this.ports.add(portPair(span.origPort, span.respPort));
    const key = tupleKey(span.origAddr, span.origPort, span.respAddr, span.respPort);
    const list = this.byTuple.get(key);
    if (list === undefined) this.byTuple.set(key, [span]);
    else list.push(span);
  }

  /** The span a packet (of frame number `frame`) belongs to, or null. */
  find(pkt: DecodedPacket, frame: number): ConnectionSpan | null {
    if (!this.ports.has(portPair(pkt.sport, pkt.dport))) return null;
    const src = pkt.ipVersion === 4 ? formatIpv4(pkt.src4 >>> 0) : formatIpv6(pkt.src6);
    const dst = pkt.ipVersion === 4 ? formatIpv4(pkt.dst4 >>> 0) : formatIpv6(pkt.dst6);
    const list = this.byTuple.get(tupleKey(src, pkt.sport, dst, pkt.dport));
    if (list === undefined) return null;
    for (const span of list) if (frame >= span.firstFrame && frame <= span.lastFrame) return span;
    return null;
  }
}

/** Options of the second pass. */
export interface ExtractOptions {
  /** Stream to read for the path `-` (a copy of standard input kept by the first pass). */
  stdin?: Readable;
}

/**
 * Reads `paths` again and calls `onPacket` for every record of the chosen connections.
 * Inputs without a chosen connection are not read. Damage was reported by the first pass.
 */
export async function extractConnections(
  paths: readonly string[],
  spans: readonly ConnectionSpan[],
  onPacket: ExtractHandler,
  options: ExtractOptions = {},
): Promise<void> {
  const perCapture = new Map<number, SpanIndex>();
  for (const span of spans) {
    const index = perCapture.get(span.capture) ?? new SpanIndex();
    perCapture.set(span.capture, index);
    index.add(span);
  }
  const pkt = new DecodedPacket();
  // Later IPv4 fragments carry no TCP header: they belong to a chosen connection when its first
  // fragment did (same source, destination and IP ID, RFC 791 §3.2), so that a reader
  // reassembling them (tshark) sees the whole segment. IPv6 fragments are not followed.
  const fragments = new Map<string, ConnectionSpan>();
  const fragmentKey = () => `${pkt.src4 >>> 0} ${pkt.dst4 >>> 0} ${pkt.ipId}`;
  for (const [capture, index] of [...perCapture.entries()].sort((a, b) => a[0] - b[0])) {
    const path = paths[capture];
    if (path === undefined) continue;
    await readCapture(
      path,
      (rec) => {
        decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
        if (!pkt.isTcp) {
          const span = pkt.laterFragment && pkt.ipVersion === 4 ? fragments.get(fragmentKey()) : undefined;
          if (span !== undefined) onPacket(rec, pkt, span, capture);
          return;
        }
        const span = index.find(pkt, rec.frame);
        if (span === null) return;
        if (pkt.firstFragment && pkt.ipVersion === 4) {
          if (fragments.size >= MAX_FRAGMENTED) fragments.delete(fragments.keys().next().value as string);
          fragments.set(fragmentKey(), span);
        }
        onPacket(rec, pkt, span, capture);
      },
      { stdin: path === '-' ? options.stdin : undefined },
    );
  }
}
