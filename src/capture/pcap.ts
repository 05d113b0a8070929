/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): both byte orders, microsecond (a1b2c3d4) and
 * nanosecond (a1b23c4d) magic, and Kuznetsov's "modified" format (a1b2cd34, 24-byte record
 * headers) that Wireshark also reads. Records are validated before anything trusts their length;
 * after a damaged record the reader resynchronises on the next two plausible record headers, as
 * a network engineer would with a hex editor, so the rest of the file is still analysed.
 */
import type { ReadState, RecordHandler } from './reader.js';
import { HARD_MAX_RECORD, STANDARD_MAX_CAPLEN } from './reader.js';
import { CaptureRecord } from './record.js';
import type { ByteWindow } from './window.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const MODIFIED_RECORD_HEADER_LENGTH = 24;
/** The link-type field's upper bits carry FCS information (draft-ietf-opsawg-pcap §4; Wireshark's LT_LINKTYPE). */
const LINKTYPE_MASK = 0x03ffffff;
/** A resync candidate's time must lie this close to the last good record (seconds). */
const RESYNC_TIME_SLACK = 7 * 86400;

/** Byte order and precision read from the global header. */
export interface PcapHeader {
  littleEndian: boolean;
  nanos: boolean;
  modified: boolean;
  snaplen: number;
  linkType: number;
  versionMajor: number;
  versionMinor: number;
}

/** Recognises the pcap magic in either byte order; null when the bytes are not a pcap header. */
export function pcapMagic(view: DataView, offset: number): { littleEndian: boolean; nanos: boolean; modified: boolean } | null {
  const be = view.getUint32(offset, false);
  const le = view.getUint32(offset, true);
  for (const [value, littleEndian] of [
    [be, false],
    [le, true],
  ] as const) {
    if (value === PCAP_MAGIC_USEC) return { littleEndian, nanos: false, modified: false };
    if (value === PCAP_MAGIC_NSEC) return { littleEndian, nanos: true, modified: false };
    if (value === PCAP_MAGIC_MODIFIED) return { littleEndian, nanos: false, modified: true };
  }
  return null;
}

/** The largest caplen this file may hold: its snaplen or libpcap's standard maximum, never above the hard cap. */
function maxCaplen(header: PcapHeader): number {
  return Math.min(HARD_MAX_RECORD, Math.max(STANDARD_MAX_CAPLEN, header.snaplen >>> 0));
}

/** Reads a whole pcap file from the window, handing every record to `onRecord`. */
export async function readPcap(win: ByteWindow, state: ReadState, onRecord: RecordHandler): Promise<void> {
  state.format = 'pcap';
  if (!(await win.ensure(GLOBAL_HEADER_LENGTH))) {
    state.error(win.offset, `pcap global header is cut short: ${win.available} of ${GLOBAL_HEADER_LENGTH} bytes`);
    state.bytes = win.offset + win.available;
    return;
  }
  const magic = pcapMagic(win.view, win.pos);
  if (!magic) throw new Error('readPcap called on bytes without a pcap magic');
  const le = magic.littleEndian;
  const header: PcapHeader = {
    ...magic,
    versionMajor: win.view.getUint16(win.pos + 4, le),
    versionMinor: win.view.getUint16(win.pos + 6, le),
    snaplen: win.view.getUint32(win.pos + 16, le),
    linkType: win.view.getUint32(win.pos + 20, le) & LINKTYPE_MASK,
  };
  win.pos += GLOBAL_HEADER_LENGTH;
  state.noteLinkType(header.linkType);

  const recordHeaderLength = header.modified ? MODIFIED_RECORD_HEADER_LENGTH : RECORD_HEADER_LENGTH;
  const capLimit = maxCaplen(header);
  const fracScale = header.nanos ? 1e-9 : 1e-6;
  const fracLimit = header.nanos ? 1e9 : 1e6;
  const rec = new CaptureRecord();
  rec.linkType = header.linkType;
  let frame = 0;
  let lastSec = -1;

  for (;;) {
    if (win.end - win.pos < recordHeaderLength && !(await win.ensure(recordHeaderLength))) {
      if (win.available > 0) {
        state.error(win.offset, `truncated record header: ${win.available} of ${recordHeaderLength} bytes at the end of the file`);
        win.pos = win.end;
      }
      break;
    }
    const view = win.view;
    const at = win.pos;
    const sec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    const caplen = view.getUint32(at + 8, le);
    const origLen = view.getUint32(at + 12, le);
    if (caplen > capLimit) {
      state.error(win.offset, `record claims ${caplen} captured bytes, more than the file's limit of ${capLimit}: skipping to the next plausible record`);
      if (!(await resync(win, state, header, lastSec, recordHeaderLength, capLimit, fracLimit))) break;
      continue;
    }
    // Awaiting only when the record straddles the chunk end: an await per record costs a promise
    // and a microtask turn per packet.
    if (win.end - win.pos < recordHeaderLength + caplen && !(await win.ensure(recordHeaderLength + caplen))) {
      state.error(
        win.offset,
        `truncated record: header says ${caplen} captured bytes, only ${win.available - recordHeaderLength} remain in the file`,
      );
      win.pos = win.end;
      break;
    }
    if (origLen < caplen) state.anomaly('caplen_exceeds_origlen');
    if (frac >= fracLimit) state.anomaly('timestamp_fraction_out_of_range');
    frame++;
    const ts = sec + frac * fracScale;
    rec.frame = frame;
    rec.ts = ts;
    rec.caplen = caplen;
    rec.origLen = origLen;
    rec.fileOffset = win.base + win.pos;
    rec.data = win.buf;
    rec.view = win.view;
    rec.start = win.pos + recordHeaderLength;
    state.notePacket(ts);
    lastSec = sec;
    win.pos += recordHeaderLength + caplen;
    onRecord(rec);
  }
  state.bytes = win.base + win.end;
}

/** A record header that could be real: sane lengths, a sub-second fraction, a time near the last record's. */
function plausibleRecord(view: DataView, at: number, le: boolean, lastSec: number, capLimit: number, fracLimit: number): boolean {
  const sec = view.getUint32(at, le);
  const frac = view.getUint32(at + 4, le);
  const caplen = view.getUint32(at + 8, le);
  const origLen = view.getUint32(at + 12, le);
  if (caplen > capLimit || origLen < caplen || origLen > HARD_MAX_RECORD || frac >= fracLimit) return false;
  if (lastSec >= 0 && Math.abs(sec - lastSec) > RESYNC_TIME_SLACK) return false;
  return true;
}

/**
 * Scans forward byte by byte for a record header that is plausible and followed by another
 * plausible header (or the end of the file). Returns false when the file ends first.
 */
async function resync(
  win: ByteWindow,
  state: ReadState,
  header: PcapHeader,
  lastSec: number,
  recordHeaderLength: number,
  capLimit: number,
  fracLimit: number,
): Promise<boolean> {
  const le = header.littleEndian;
  const startOffset = win.offset;
  win.pos++;
  for (;;) {
    if (!(await win.ensure(recordHeaderLength))) {
      state.error(startOffset, `no plausible record after offset ${startOffset}: the rest of the file (${win.available} bytes) was skipped`);
      win.pos = win.end;
      return false;
    }
    if (plausibleRecord(win.view, win.pos, le, lastSec, capLimit, fracLimit)) {
      const caplen = win.view.getUint32(win.pos + 8, le);
      const next = recordHeaderLength + caplen;
      const haveNext = await win.ensure(next + recordHeaderLength);
      const nextOk = haveNext
        ? plausibleRecord(win.view, win.pos + next, le, lastSec, capLimit, fracLimit)
        : win.available === next; // the candidate ends exactly at the end of the file
      if (nextOk) {
        state.error(startOffset, `resynchronised at offset ${win.offset} after skipping ${win.offset - startOffset} damaged bytes`);
        return true;
      }
    }
    win.pos++;
  }
}
