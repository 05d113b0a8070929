/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): both byte orders, microsecond (a1b2c3d4) and
 * nanosecond (a1b23c4d) magic, and Kuznetsov's "modified" format (a1b2cd34, 24-byte record
 * headers) that Wireshark also reads. Records are validated before anything trusts their length;
 * after a damaged record the reader resynchronises on the next run of plausible records that chain
 * (each header where the previous record ends, times consistent with their neighbours), as a
 * network engineer would with a hex editor, so the rest of the file is still analysed. Zero-filled
 * records are damage, never packets; every skip says how many bytes, from where to where.
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
/** Records that chain after damage lie this close in time to their neighbours (seconds). */
const TIME_SLACK = 7 * 86400;
/**
 * Bytes of records readPcap's first scanRecords call hands on (see readPcap): enough records, of
 * any size, for V8 to give the function its feedback vector before that call returns (4 KiB, two
 * full-size packets, was not: the stores after the loop then still had no feedback).
 */
const PRIME_BYTES = 65536;
/**
 * Bytes of records each later scanRecords call hands on at most (scanChunk calls it again from
 * where it stopped). A call that ran over a whole 8 MiB chunk was compiled twice: on its stack
 * (OSR, in its second call) and again from its start (--trace-opt on the bench's mix: 10 and 24 ms
 * of the compiler thread); calls of 128 KiB are short enough that it is compiled once, from its
 * start, and OSR never comes.
 */
const SCAN_BYTES = 131072;
export const RESYNC_TIME_SLACK = TIME_SLACK;

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

  const cur = new PcapCursor(
    le,
    header.modified ? MODIFIED_RECORD_HEADER_LENGTH : RECORD_HEADER_LENGTH,
    maxCaplen(header),
    header.nanos ? 1e9 : 1e6,
    header.linkType,
  );
  const recordHeaderLength = cur.recordHeaderLength;
  const capLimit = cur.capLimit;
  const recover = async (reason: string): Promise<boolean> => {
    state.error(win.offset, reason);
    return (await resyncInside(win, state, cur, cur.previous, cur.previousLength)) || resync(win, state, cur);
  };

  let primed = false;
  for (;;) {
    // Every record that needs no second look, synchronously; what is left is one record that
    // straddles the buffered bytes, is damaged, or is odd: the checks below, in their order.
    // The first call stops after PRIME_BYTES (the loop below hands on the record there, as it
    // does any): scanRecords then has returned once before TurboFan compiles it on its stack
    // (OSR, in its second call), and the stores after its loop have type feedback. Without
    // that, the code compiled there deoptimised at its loop's exit, at the end of every chunk
    // until a compile from its start replaced it ("Insufficient type feedback for generic named
    // access", up to 18 times in a run of the bench's 512 MiB mix).
    if (primed) scanChunk(win, state, cur, onRecord);
    else scanRecords(win, state, cur, onRecord, Math.min(win.end, win.pos + PRIME_BYTES));
    primed = true;
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
      if (!(await recover(`record claims ${caplen} captured bytes, more than the file's limit of ${capLimit}: skipping to the next plausible record`))) break;
      continue;
    }
    // Zero-filled bytes (a sparse file, a disk block lost) read as a header of zeros: no packet
    // has 0 bytes on the wire, so a record with origlen 0 is damage, never a packet.
    if (origLen === 0) {
      if (!(await recover('record header with an original length of 0 (zero-filled or damaged bytes): skipping to the next plausible record'))) break;
      continue;
    }
    // A time far from the previous record's is damage unless the records after it agree with it
    // (a capture may jump: merged files, a clock step); checked only on such a jump.
    if (cur.lastSec >= 0 && Math.abs(sec - cur.lastSec) > RESYNC_TIME_SLACK && (await chainFrom(win, cur)) === 0) {
      if (!(await recover(`record time ${sec} is far from its neighbours' and the records after it do not chain: skipping to the next plausible record`))) break;
      continue;
    }
    if (win.end - win.pos < recordHeaderLength + caplen && !(await win.ensure(recordHeaderLength + caplen))) {
      // A length in range that runs past the end of the file: a cut last record, or a damaged
      // length with real records after it. Look for those before calling it a cut.
      const remain = win.available - recordHeaderLength;
      if (await resync(win, state, cur, `record claims ${caplen} captured bytes but the file ends ${remain} bytes later, and records follow: a damaged length`)) {
        continue;
      }
      state.error(win.offset, `truncated record: header says ${caplen} captured bytes, only ${remain} remain in the file`);
      win.pos = win.end;
      break;
    }
    if (origLen < caplen) state.anomaly('caplen_exceeds_origlen');
    if (frac >= cur.fracLimit) state.anomaly('timestamp_fraction_out_of_range');
    handOn(win, state, cur, sec, frac, caplen, origLen, onRecord);
  }
  state.bytes = win.base + win.end;
}

/**
 * The record loop's state: the file's rules for a plausible header (ChainRules) and where the
 * loop is, shared by the synchronous scan (scanRecords) and readPcap's async loop.
 */
class PcapCursor implements ChainRules {
  readonly rec = new CaptureRecord();
  readonly fracScale: number;
  /** Frames handed on so far (the last one's number). */
  frame = 0;
  lastSec = -1;
  // The last record handed on: when the header after it is damage, its own length may be the
  // damage (a length in range that swallowed the records after it): look inside it first.
  previous = -1;
  previousLength = 0;

  constructor(
    readonly le: boolean,
    readonly recordHeaderLength: number,
    readonly capLimit: number,
    readonly fracLimit: number,
    linkType: number,
  ) {
    this.fracScale = fracLimit === 1e9 ? 1e-9 : 1e-6;
    this.rec.linkType = linkType;
  }
}

/** Hands on the record whose header is at the window's position (checked and buffered whole). */
function handOn(win: ByteWindow, state: ReadState, cur: PcapCursor, sec: number, frac: number, caplen: number, origLen: number, onRecord: RecordHandler): void {
  cur.rec.data = win.buf;
  cur.rec.view = win.view;
  handOnInBuffer(win, state, cur, sec, frac, caplen, origLen, onRecord);
}

/**
 * handOn for a record in the buffer the record object already points at (`rec.data`, `rec.view`):
 * scanRecords sets those once per call, since the window cannot take a new buffer while it runs
 * (no await), which saves two stores with write barriers per record.
 */
function handOnInBuffer(win: ByteWindow, state: ReadState, cur: PcapCursor, sec: number, frac: number, caplen: number, origLen: number, onRecord: RecordHandler): void {
  const rec = cur.rec;
  const ts = sec + frac * cur.fracScale;
  rec.frame = ++cur.frame;
  rec.ts = ts;
  rec.caplen = caplen;
  rec.origLen = origLen;
  rec.fileOffset = win.base + win.pos;
  rec.start = win.pos + cur.recordHeaderLength;
  state.notePacket(ts);
  cur.lastSec = sec;
  cur.previous = rec.fileOffset;
  cur.previousLength = caplen;
  win.pos += cur.recordHeaderLength + caplen;
  onRecord(rec);
}

/**
 * Hands on, synchronously, every record from the window's position that is buffered whole
 * before `end` (the window's end, or less: readPcap's first call) and needs no second look (lengths in range, a packet on the wire, no time jump, no container
 * anomaly); returns at the first that does, leaving it to readPcap's loop. Apart from the async
 * loop so that TurboFan compiles this loop once: the loop's rare paths (a refill every chunk,
 * damage) reached after optimisation deoptimised it ("Insufficient type feedback") and it was
 * compiled five times in a 512 MiB run.
 *
 * What handOnInBuffer keeps in the window, the cursor and the read state (the position, the
 * frame count, the last record's time and length, the packet count and time span) is kept in
 * locals while the loop runs and written back once when it stops: onRecord sees only the record,
 * and a field written on every record was a load and a store each (the times boxed doubles).
 * If onRecord throws, the read fails as a whole and none of them is read again.
 */
/**
 * scanRecords over the buffered bytes, SCAN_BYTES at a time, each call from where the last one
 * stopped (a record across the SCAN_BYTES mark is whole in the next call's range), until a call
 * hands nothing on: what is left then is readPcap's (a record that straddles the buffered bytes,
 * damage, or nothing). Its own small loop, not readPcap's: readPcap's loop, run once per 128 KiB,
 * became hot, and TurboFan compiled the whole async function (32 ms) and deoptimised it at the
 * end of the file.
 */
function scanChunk(win: ByteWindow, state: ReadState, cur: PcapCursor, onRecord: RecordHandler): void {
  for (;;) {
    const from = win.pos;
    scanRecords(win, state, cur, onRecord, Math.min(win.end, from + SCAN_BYTES));
    if (win.pos === from) return;
  }
}

function scanRecords(win: ByteWindow, state: ReadState, cur: PcapCursor, onRecord: RecordHandler, end: number): void {
  const le = cur.le;
  const headerLength = cur.recordHeaderLength;
  const capLimit = cur.capLimit;
  const fracLimit = cur.fracLimit;
  const fracScale = cur.fracScale;
  // The window's buffer, view, base and end stay as they are until the next await (in readPcap).
  const view = win.view;
  const base = win.base;
  const rec = cur.rec;
  rec.data = win.buf;
  rec.view = view;
  let at = win.pos;
  let frame = cur.frame;
  let lastSec = cur.lastSec;
  let lastAt = -1;
  let lastCaplen = 0;
  let handed = 0;
  let firstTs = 0;
  let lastTs = 0;
  for (;;) {
    const left = end - at;
    if (left < headerLength) break;
    const caplen = view.getUint32(at + 8, le);
    const origLen = view.getUint32(at + 12, le);
    if (caplen > capLimit || origLen === 0 || origLen < caplen || left < headerLength + caplen) break;
    const sec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    // TIME_SLACK, not the exported RESYNC_TIME_SLACK: unbundled, an exported binding is a module cell checked at every read.
    if (frac >= fracLimit || (lastSec >= 0 && Math.abs(sec - lastSec) > TIME_SLACK)) break;
    // handOnInBuffer's record, with its bookkeeping in the locals.
    const ts = sec + frac * fracScale;
    rec.frame = ++frame;
    rec.ts = ts;
    rec.caplen = caplen;
    rec.origLen = origLen;
    rec.fileOffset = base + at;
    rec.start = at + headerLength;
    if (handed === 0) firstTs = ts;
    lastTs = ts;
    handed++;
    lastSec = sec;
    lastAt = at;
    lastCaplen = caplen;
    at += headerLength + caplen;
    onRecord(rec);
  }
  win.pos = at;
  if (handed === 0) return;
  cur.frame = frame;
  cur.lastSec = lastSec;
  cur.previous = base + lastAt;
  cur.previousLength = lastCaplen;
  state.notePackets(handed, firstTs, lastTs);
}

/** What a plausible record header looks like in this file. */
interface ChainRules {
  le: boolean;
  recordHeaderLength: number;
  capLimit: number;
  fracLimit: number;
  /** Seconds of the last record handed on (-1 before the first): a chain cut short by the end of the file must agree with it. */
  lastSec: number;
}

/**
 * Consecutive plausible records that chain (each header where the previous record ends, each
 * time near its neighbour's) needed to resynchronise: one plausible header in random or zeroed
 * bytes is common, three that chain with consistent times are not.
 */
export const RESYNC_CHAIN = 3;

/** A record header that could be real: sane lengths, a packet on the wire, a sub-second fraction. */
function plausibleHeader(view: DataView, at: number, rules: ChainRules): boolean {
  const caplen = view.getUint32(at + 8, rules.le);
  const origLen = view.getUint32(at + 12, rules.le);
  const frac = view.getUint32(at + 4, rules.le);
  return caplen <= rules.capLimit && origLen !== 0 && origLen >= caplen && origLen <= HARD_MAX_RECORD && frac < rules.fracLimit;
}

/**
 * How many plausible records chain from the window's position (up to RESYNC_CHAIN), with times
 * within RESYNC_TIME_SLACK of their neighbours; 0 when the chain breaks before RESYNC_CHAIN
 * records, unless it ends exactly at the end of the file or with a last plausible header cut by
 * it (the main loop reports the cut). Awaits only when the chain runs past the buffered bytes.
 */
async function chainFrom(win: ByteWindow, rules: ChainRules): Promise<number> {
  // Offsets relative to win.pos: a refill moves the buffer, never the position's stream offset.
  let rel = 0;
  let prevSec = -1;
  let firstSec = -1;
  // Fewer records than RESYNC_CHAIN (the end of the file came first) are weaker evidence: their
  // first time must also agree with the last record read before the damage.
  const short = (n: number): number => (n > 0 && (rules.lastSec < 0 || Math.abs(firstSec - rules.lastSec) <= RESYNC_TIME_SLACK) ? n : 0);
  for (let n = 0; n < RESYNC_CHAIN; n++) {
    if (win.end - win.pos - rel < rules.recordHeaderLength && (win.eof || !(await win.ensure(rel + rules.recordHeaderLength)))) {
      return win.pos + rel === win.end ? short(n) : 0;
    }
    const view = win.view;
    const p = win.pos + rel;
    if (!plausibleHeader(view, p, rules)) return 0;
    const sec = view.getUint32(p, rules.le);
    if (prevSec >= 0 && Math.abs(sec - prevSec) > RESYNC_TIME_SLACK) return 0;
    prevSec = sec;
    if (n === 0) firstSec = sec;
    const length = rules.recordHeaderLength + view.getUint32(p + 8, rules.le);
    if (win.end - p < length && (win.eof || !(await win.ensure(rel + length)))) return short(n);
    rel += length;
  }
  return RESYNC_CHAIN;
}

/**
 * After damage at the window's position: were the records after the previous record swallowed
 * by a damaged (too long, but in range) length of that record? Scans its data for a run of
 * records that chain and resumes there. False (position unchanged) when there is none, or when
 * the previous record's bytes are no longer buffered.
 */
async function resyncInside(win: ByteWindow, state: ReadState, rules: ChainRules, previous: number, previousLength: number): Promise<boolean> {
  const damaged = win.offset;
  const first = previous + rules.recordHeaderLength;
  if (previous < 0 || first - win.base < 0 || first >= damaged) return false;
  win.pos = first - win.base;
  while (win.offset < damaged) {
    if (plausibleHeader(win.view, win.pos, rules) && (await chainFrom(win, rules)) > 0) {
      state.error(
        previous,
        `the record at offset ${previous} claimed ${previousLength} captured bytes, but records resume inside it at offset ${win.offset}: its length was damaged; ${damaged - win.offset} bytes read again as records`,
      );
      return true;
    }
    win.pos++;
  }
  win.pos = damaged - win.base;
  return false;
}

/**
 * Scans forward from the byte after the damaged record's header for the next run of records
 * that chain (chainFrom), synchronously within the buffered bytes (an await only to refill, never
 * once per byte). Reports exactly how many bytes were skipped, from where to where. Returns false
 * when the file ends first. `quiet`: report nothing when nothing is found (the caller has a
 * better message for that case).
 */
async function resync(win: ByteWindow, state: ReadState, rules: ChainRules, cutRecord: string | null = null): Promise<boolean> {
  const startOffset = win.offset;
  win.pos++;
  for (;;) {
    if (win.end - win.pos < rules.recordHeaderLength && (win.eof || !(await win.ensure(rules.recordHeaderLength)))) {
      if (cutRecord !== null) {
        // Back to the cut record's header (the file's end is buffered: nothing was dropped).
        win.pos = startOffset - win.base;
        return false;
      }
      state.error(startOffset, `no plausible record after offset ${startOffset}: the rest of the file (${win.base + win.end - startOffset} bytes) was skipped`);
      win.pos = win.end;
      return false;
    }
    // Cheap test first (synchronous, no allocation); the chain only for candidates that pass it.
    if (plausibleHeader(win.view, win.pos, rules) && (await chainFrom(win, rules)) > 0) {
      if (cutRecord !== null) state.error(startOffset, cutRecord);
      state.error(startOffset, `resynchronised at offset ${win.offset} after skipping ${win.offset - startOffset} damaged bytes (offsets ${startOffset} to ${win.offset - 1})`);
      return true;
    }
    win.pos++;
  }
}
