/**
 * What every capture reader shares: the callback that receives records, the error list with
 * byte offsets, and the facts about the file that end up in the report's `inputs` block.
 */
import type { InputError } from '../model/report.js';
import type { CaptureRecord } from './record.js';

/** Receives each record; the record and its bytes are valid only during the call. */
export type RecordHandler = (record: CaptureRecord) => void;

/** Errors kept per input; beyond this they are only counted, so garbage cannot grow memory. */
export const MAX_KEPT_ERRORS = 100;

/** libpcap's MAXIMUM_SNAPLEN: the largest record a normal capture holds (pcap-int.h). */
export const STANDARD_MAX_CAPLEN = 262144;
/** Hard cap for one record or block, whatever the file claims: hostile lengths never allocate more. */
export const HARD_MAX_RECORD = 16 << 20;

/** Facts about one input, filled while reading. */
export class ReadState {
  format: 'pcap' | 'pcapng' = 'pcap';
  packets = 0;
  /** Records Wireshark numbers as frames although they carry no packet (pcapng custom blocks); included in `packets`. */
  nonPacketFrames = 0;
  /** Bytes consumed from the (decompressed) stream. */
  bytes = 0;
  /** Time of the first and last packet, NaN until one was seen (see firstTs/lastTs). */
  private first = Number.NaN;
  private last = Number.NaN;
  readonly linktypes: number[] = [];
  private readonly seenLinkTypes = new Set<number>();
  readonly errors: InputError[] = [];
  errorCount = 0;
  /** Non-fatal oddities of the container (caplen above origlen, …) by code. */
  readonly anomalies: Record<string, number> = {};

  /** Records an error at a byte offset; keeps the first MAX_KEPT_ERRORS. */
  error(offset: number, message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_KEPT_ERRORS) this.errors.push({ offset, message });
    else if (this.errors.length === MAX_KEPT_ERRORS) {
      this.errors.push({ offset, message: 'further errors are counted but not listed' });
    }
  }

  /** Counts a non-fatal container anomaly. */
  anomaly(code: string): void {
    this.anomalies[code] = (this.anomalies[code] ?? 0) + 1;
  }

  /** Notes a link type in order of first appearance. */
  noteLinkType(linkType: number): void {
    // A Set, not linktypes.includes(): quadratic in the interfaces of a hostile pcapng otherwise.
    if (this.seenLinkTypes.has(linkType)) return;
    this.seenLinkTypes.add(linkType);
    this.linktypes.push(linkType);
  }

  /** Time of the first packet, or null. */
  get firstTs(): number | null {
    return Number.isNaN(this.first) ? null : this.first;
  }

  /** Time of the last packet, or null. */
  get lastTs(): number | null {
    return Number.isNaN(this.last) ? null : this.last;
  }

  /** notePacket for `count` records handed on in a row, the first at `firstTs`, the last at `lastTs`. */
  notePackets(count: number, firstTs: number, lastTs: number): void {
    this.packets += count;
    if (Number.isNaN(this.first)) this.first = firstTs;
    this.last = lastTs;
  }

  /** Updates packet count and time span for a record about to be handed on. */
  notePacket(ts: number): void {
    // Numeric fields that never hold null keep V8's unboxed double representation: a field that
    // once held null would box every timestamp into a fresh HeapNumber (an allocation per packet).
    this.packets++;
    if (Number.isNaN(this.first)) this.first = ts;
    this.last = ts;
  }
}

/** Thrown when the bytes are not a capture at all (exit code 2), as opposed to a damaged one. */
export class NotACaptureError extends Error {}
