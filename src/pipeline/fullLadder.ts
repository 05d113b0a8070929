/**
 * Every packet of chosen connections, read again from the inputs, as ladders (for `explain`):
 * where the tracker keeps only the first and last packets, this shows them all, up to a limit.
 * Past the limit the first half and the last half are kept, with every RST in between; the rows
 * left out are counted where they were, so the diagram says so.
 */
import type { Readable } from 'node:stream';
import { endpointText, formatIpv4, formatIpv6 } from '../decode/address.js';
import type { ExplainedConnection } from '../explain/explainConnection.js';
import { ladderPacketOf } from '../explain/ladder.js';
import type { Direction, Ladder, LadderPacket, Reset } from '../model/report.js';
import type { FinishedConnection } from '../track/finished.js';
import { extractConnections } from './extract.js';
import { type ConnectionSpan, spanOf } from './run.js';

/** RSTs from the middle of a long connection kept besides the first and last packets. */
const MAX_MIDDLE_RESETS = 1000;

/** A ladder with every packet (or the limit's share of them) and where packets were left out. */
export interface FullLadder {
  ladder: Ladder;
  /** Rows of packets not shown: after entry `after` of `ladder.packets`, `packets` of them. */
  gaps: { after: number; packets: number }[];
  /** Packets of the connection found in the capture. */
  total: number;
}

/** Keeps the first `limit/2` packets, the last `limit/2`, and the RSTs in between, in bounded memory. */
class PacketSelection {
  readonly head: LadderPacket[] = [];
  private readonly tail: LadderPacket[] = [];
  private tailStart = 0;
  /** RSTs dropped out of the tail, each with the count of packets hidden just before it. */
  readonly middle: { packet: LadderPacket; hiddenBefore: number }[] = [];
  private hidden = 0;
  total = 0;

  constructor(
    private readonly headMax: number,
    private readonly tailMax: number,
  ) {}

  add(p: LadderPacket): void {
    this.total++;
    if (this.head.length < this.headMax) {
      this.head.push(p);
      return;
    }
    if (this.tail.length - this.tailStart < this.tailMax) {
      this.tail.push(p);
      return;
    }
    const oldest = this.tail[this.tailStart] as LadderPacket;
    this.tailStart++;
    if (this.tailStart > 4096) {
      this.tail.splice(0, this.tailStart);
      this.tailStart = 0;
    }
    this.tail.push(p);
    if (oldest.flags.includes('RST') && this.middle.length < MAX_MIDDLE_RESETS) {
      this.middle.push({ packet: oldest, hiddenBefore: this.hidden });
      this.hidden = 0;
    } else this.hidden++;
  }

  /** The kept rows in order and the gaps between them. */
  rows(): { packets: LadderPacket[]; gaps: { after: number; packets: number }[] } {
    const packets = [...this.head];
    const gaps: { after: number; packets: number }[] = [];
    for (const m of this.middle) {
      if (m.hiddenBefore > 0) gaps.push({ after: packets.length - 1, packets: m.hiddenBefore });
      packets.push(m.packet);
    }
    if (this.hidden > 0) gaps.push({ after: packets.length - 1, packets: this.hidden });
    packets.push(...this.tail.slice(this.tailStart));
    return { packets, gaps };
  }
}

/** Options of `fullLadders`. */
export interface FullLadderOptions {
  /** Most packets drawn per connection (default 200). */
  limit?: number;
  /** Re-opens standard input's copy for an input named `-`. */
  stdin?: () => Readable;
}

/** Reads the inputs again and draws each chosen connection with all its packets (up to the limit). */
export async function fullLadders(
  paths: readonly string[],
  chosen: readonly { conn: FinishedConnection; explained: ExplainedConnection }[],
  options: FullLadderOptions = {},
): Promise<FullLadder[]> {
  const limit = Math.max(2, options.limit ?? 200);
  const spans: ConnectionSpan[] = [];
  const selections = new Map<string, PacketSelection>();
  const byId = new Map<string, { conn: FinishedConnection; resets: Map<number, Reset> }>();
  for (const { conn, explained } of chosen) {
    spans.push(spanOf(conn));
    selections.set(conn.id, new PacketSelection(Math.ceil(limit / 2), Math.floor(limit / 2)));
    byId.set(conn.id, { conn, resets: new Map(explained.resets.map((r) => [r.frame, r])) });
  }
  await extractConnections(
    paths,
    spans,
    (rec, pkt, span) => {
      const entry = byId.get(span.conn);
      const selection = selections.get(span.conn);
      if (entry === undefined || selection === undefined) return;
      const { conn } = entry;
      if (!pkt.isTcp) return; // a later IPv4 fragment: its segment was drawn with the first
      const src = pkt.ipVersion === 4 ? formatIpv4(pkt.src4 >>> 0) : formatIpv6(pkt.src6);
      const direction: Direction = src === conn.origAddr && pkt.sport === conn.origPort ? 'orig' : 'resp';
      const record = {
        frame: rec.frame,
        ts: rec.ts,
        direction,
        flags: pkt.flags,
        seq: pkt.seq,
        ack: pkt.ack,
        payloadLen: pkt.payloadLength,
        ttl: pkt.ttl,
        win: pkt.win,
      };
      const isn = { orig: conn.orig.startSeq, resp: conn.resp.startSeq };
      selection.add(ladderPacketOf(record, conn.capture, isn, entry.resets.get(rec.frame) ?? null));
    },
    { stdin: options.stdin?.() },
  );
  return chosen.map(({ conn }) => {
    const selection = selections.get(conn.id) as PacketSelection;
    const { packets, gaps } = selection.rows();
    return {
      ladder: {
        conn: conn.id,
        capture: conn.capture,
        orig: endpointText(conn.origAddr, conn.origPort),
        resp: endpointText(conn.respAddr, conn.respPort),
        isn: { orig: conn.orig.startSeq, resp: conn.resp.startSeq },
        packets,
        gap: null,
      },
      gaps,
      total: selection.total,
    };
  });
}
