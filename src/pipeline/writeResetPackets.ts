/**
 * `--write-pcap`: every packet of every connection that reset, found again by a second read of
 * the inputs, written with original timestamps and link types. From one input the packets keep
 * their file order; from several they are merged by time (as mergecap does) through one
 * temporary spool per input, and each (input, link type) becomes a pcapng interface named after
 * the input, so Wireshark can tell the capture points apart.
 */
import type { Readable } from 'node:stream';
import type { InputSummary } from '../model/report.js';
import { extractConnections } from './extract.js';
import { FrameSpool, type SpooledFrame } from './frameSpool.js';
import { type OutputInterface, PcapWriter } from './pcapWriter.js';
import type { ConnectionSpan } from './run.js';

/** What was written. */
export interface WrittenPcap {
  format: 'pcap' | 'pcapng';
  packets: number;
  connections: number;
}

/** The output interfaces: one per (input with a chosen connection, link type), and the index of each. */
function interfacesOf(inputs: readonly InputSummary[], captures: ReadonlySet<number>): { list: OutputInterface[]; index: Map<string, number> } {
  const list: OutputInterface[] = [];
  const index = new Map<string, number>();
  inputs.forEach((input, capture) => {
    if (!captures.has(capture)) return;
    for (const linkType of input.linktypes) {
      index.set(`${capture} ${linkType}`, list.length);
      list.push({ linkType, name: input.path });
    }
  });
  return { list, index };
}

/**
 * Writes the packets of `spans` (connections that reset) to `path`. `stdin` re-opens standard
 * input's copy for an input named `-`. Throws on a file that cannot be written.
 */
export async function writeResetPackets(
  path: string,
  inputs: readonly InputSummary[],
  spans: readonly ConnectionSpan[],
  stdin?: () => Readable,
): Promise<WrittenPcap> {
  const captures = new Set(spans.map((s) => s.capture));
  const { list, index } = interfacesOf(inputs, captures);
  const writer = new PcapWriter(path, list);
  const paths = inputs.map((i) => i.path);
  const options = { stdin: stdin?.() };
  try {
    if (captures.size <= 1) {
      await extractConnections(paths, spans, (rec, _pkt, _span, capture) => {
        writer.write(index.get(`${capture} ${rec.linkType}`) ?? 0, rec.ts, rec.data, rec.start, rec.caplen, rec.origLen);
      }, options);
    } else {
      await mergeByTime(writer, paths, spans, index, options);
    }
  } catch (err) {
    writer.abort();
    throw err;
  }
  writer.close();
  return { format: writer.format, packets: writer.packets, connections: spans.length };
}

/** Spools each input's packets, then writes them in time order (ties keep input order). */
async function mergeByTime(
  writer: PcapWriter,
  paths: readonly string[],
  spans: readonly ConnectionSpan[],
  index: ReadonlyMap<string, number>,
  options: { stdin?: Readable },
): Promise<void> {
  const spools = new Map<number, FrameSpool>();
  try {
    await extractConnections(paths, spans, (rec, _pkt, _span, capture) => {
      let spool = spools.get(capture);
      if (spool === undefined) {
        spool = new FrameSpool();
        spools.set(capture, spool);
      }
      spool.push(rec.ts, index.get(`${capture} ${rec.linkType}`) ?? 0, rec.data, rec.start, rec.caplen, rec.origLen);
    }, options);
    const readers = [...spools.entries()].sort((a, b) => a[0] - b[0]).map(([, spool]) => spool.reader());
    const heads: (SpooledFrame | null)[] = readers.map((next) => next());
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || h.ts < (heads[best] as SpooledFrame).ts)) best = i;
      }
      if (best < 0) break;
      const f = heads[best] as SpooledFrame;
      writer.write(f.iface, f.ts, f.data, f.start, f.caplen, f.origLen);
      heads[best] = (readers[best] as () => SpooledFrame | null)();
    }
  } finally {
    for (const spool of spools.values()) spool.dispose();
  }
}
