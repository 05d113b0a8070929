/**
 * pcapng files (draft-ietf-opsawg-pcapng): several sections, each in its own byte order, several
 * interfaces per section with their own link type, `if_tsresol` and `if_tsoffset`; packets from
 * Enhanced (EPB), Simple (SPB) and obsolete (PB) packet blocks. Every other block (NRB, ISB, DSB,
 * custom, unknown) is skipped by its length. A block whose lengths disagree is reported and the
 * reader resynchronises on the next block whose leading and trailing lengths agree.
 */
import type { ReadState, RecordHandler } from './reader.js';
import { HARD_MAX_RECORD } from './reader.js';
import { CaptureRecord } from './record.js';
import type { ByteWindow } from './window.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_NRB = 0x00000004;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BLOCK_SJE = 0x00000009;
export const BLOCK_DSB = 0x0000000a;
export const BLOCK_CB_COPY = 0x00000bad;
export const BLOCK_CB_NOCOPY = 0x40000bad;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Smallest block: type, length, trailing length. */
const MIN_BLOCK = 12;
/** Largest block accepted: a packet at the hard record cap plus generous room for options. */
const MAX_BLOCK = HARD_MAX_RECORD + 65536;

/**
 * Interface descriptions kept per section: a hostile file of ten million IDBs would otherwise
 * keep every one (1.1 GB). Real captures have a few (one per interface of `tcpdump -i any`
 * machines is still far below this).
 */
export const MAX_INTERFACES_PER_SECTION = 4096;

/** Packet times the reports can print as dates (years 0000 to 9999, report/isoDate.ts); others are counted and print as ????. */
const FIRST_DATE_SECONDS = -62167219200;
const END_DATE_SECONDS = 253402300800;

const KNOWN_BLOCKS = new Set([BLOCK_SHB, BLOCK_IDB, BLOCK_PB, BLOCK_SPB, BLOCK_NRB, BLOCK_ISB, BLOCK_EPB, BLOCK_SJE, BLOCK_DSB, BLOCK_CB_COPY, BLOCK_CB_NOCOPY]);

/** One interface of the current section. */
interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (10^6 unless if_tsresol says otherwise). */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
  /** Cache for exact 64-bit timestamp division: the last `high` word and its quotient and remainder. */
  cachedHigh: number;
  cachedSec: number;
  cachedRem: number;
}

/** Reads a whole pcapng stream from the window, handing every packet to `onRecord`. */
export async function readPcapng(win: ByteWindow, state: ReadState, onRecord: RecordHandler): Promise<void> {
  state.format = 'pcapng';
  const rec = new CaptureRecord();
  let le = true;
  let interfaces: Interface[] = [];
  let interfacesDropped = 0;
  let frame = 0;
  let lastGoodTs = -1;

  for (;;) {
    if (win.end - win.pos < 8 && !(await win.ensure(8))) {
      if (win.available > 0) {
        state.error(win.offset, `truncated block header: ${win.available} bytes at the end of the file`);
        win.pos = win.end;
      }
      break;
    }
    let view = win.view;
    const type = view.getUint32(win.pos, le);
    // A section header announces its own byte order: read it before trusting its length.
    if (type === BLOCK_SHB || view.getUint32(win.pos, !le) === BLOCK_SHB) {
      if (!(await win.ensure(12))) {
        state.error(win.offset, 'truncated section header block');
        win.pos = win.end;
        break;
      }
      view = win.view;
      const magicLe = view.getUint32(win.pos + 8, true);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(win.pos + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else {
        state.error(win.offset, 'section header block has no valid byte-order magic: skipping to the next plausible block');
        if (!(await resync(win, state, le))) break;
        continue;
      }
      interfaces = [];
      interfacesDropped = 0;
    }
    view = win.view;
    const blockType = view.getUint32(win.pos, le);
    const length = view.getUint32(win.pos + 4, le);
    if (length < MIN_BLOCK || length % 4 !== 0 || length > MAX_BLOCK) {
      state.error(win.offset, `block of type 0x${blockType.toString(16)} claims an impossible length ${length}: skipping to the next plausible block`);
      if (!(await resync(win, state, le))) break;
      continue;
    }
    // Awaiting only when the block straddles the chunk end (an await per block costs a promise and a microtask turn).
    if (win.end - win.pos < length && !(await win.ensure(length))) {
      // A length in range that runs past the end while blocks follow inside it is a damaged
      // length, not a cut file (issue 16 item 2): the blocks after it are read (the window holds
      // the whole rest of the file here, so the look is synchronous).
      if (blockFollows(win.view, win.pos + 1, win.end, le)) {
        state.error(
          win.offset,
          `block of type 0x${blockType.toString(16)} claims ${length} bytes but the file ends ${win.available} bytes later, and blocks follow: a damaged length; skipping to the next plausible block`,
        );
        if (!(await resync(win, state, le))) break;
        continue;
      }
      state.error(win.offset, `truncated block of type 0x${blockType.toString(16)}: ${length} bytes claimed, ${win.available} remain in the file`);
      win.pos = win.end;
      break;
    }
    view = win.view;
    const at = win.pos;
    if (view.getUint32(at + length - 4, le) !== length) {
      state.error(win.offset, `block of type 0x${blockType.toString(16)}: trailing length ${view.getUint32(at + length - 4, le)} differs from leading length ${length}: skipping to the next plausible block`);
      if (!(await resync(win, state, le))) break;
      continue;
    }
    const bodyEnd = at + length - 4;

    if (blockType === BLOCK_EPB || blockType === BLOCK_PB) {
      const isEpb = blockType === BLOCK_EPB;
      if (length < 32) {
        state.error(win.offset, `${isEpb ? 'enhanced' : 'obsolete'} packet block too short (${length} bytes)`);
      } else {
        const ifId = isEpb ? view.getUint32(at + 8, le) : view.getUint16(at + 8, le);
        const high = view.getUint32(at + 12, le);
        const low = view.getUint32(at + 16, le);
        const caplen = view.getUint32(at + 20, le);
        const origLen = view.getUint32(at + 24, le);
        const iface = interfaces[ifId];
        if (iface === undefined) {
          state.error(win.offset, `packet block names interface ${ifId}, but the section defines ${interfaces.length}: packet skipped`);
        } else if (at + 28 + caplen > bodyEnd) {
          state.error(win.offset, `packet block claims ${caplen} captured bytes, more than its block holds: packet skipped`);
        } else {
          if (origLen < caplen) state.anomaly('caplen_exceeds_origlen');
          frame++;
          const ts = timestamp(iface, high, low);
          // A time no date can show (if_tsoffset or a damaged EPB time): counted; reports print it as ????.
          if (!(ts >= FIRST_DATE_SECONDS && ts < END_DATE_SECONDS)) state.anomaly('timestamp_out_of_range');
          fill(rec, frame, ts, caplen, origLen, iface.linkType, ifId, win.base + at, win, at + 28);
          lastGoodTs = ts;
          state.notePacket(ts);
          win.pos += length;
          onRecord(rec);
          continue;
        }
      }
    } else if (blockType === BLOCK_SPB) {
      const iface = interfaces[0];
      if (iface === undefined) {
        state.error(win.offset, 'simple packet block before any interface description: packet skipped');
      } else if (length < 16) {
        state.error(win.offset, `simple packet block too short (${length} bytes)`);
      } else {
        // The captured length is implied: min(original length, snaplen, room in the block) (pcapng §4.4).
        const origLen = view.getUint32(at + 8, le);
        let caplen = Math.min(origLen, bodyEnd - (at + 12));
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        frame++;
        // An SPB has no timestamp: Wireshark shows it without one; we keep the last known time so
        // that time-driven logic (expiry, gaps) never jumps back to 1970.
        const ts = lastGoodTs >= 0 ? lastGoodTs : 0;
        fill(rec, frame, ts, caplen, origLen, iface.linkType, 0, win.base + at, win, at + 12);
        state.notePacket(ts);
        win.pos += length;
        onRecord(rec);
        continue;
      }
    } else if (blockType === BLOCK_IDB) {
      if (length < 20) {
        state.error(win.offset, `interface description block too short (${length} bytes)`);
      } else {
        const iface: Interface = {
          linkType: view.getUint16(at + 8, le),
          snaplen: view.getUint32(at + 12, le),
          unitsPerSecond: 1e6,
          offsetSeconds: 0,
          cachedHigh: -1,
          cachedSec: 0,
          cachedRem: 0,
        };
        readInterfaceOptions(view, at + 16, bodyEnd, le, iface, state, win.base);
        if (interfaces.length < MAX_INTERFACES_PER_SECTION) {
          interfaces.push(iface);
          state.noteLinkType(iface.linkType);
        } else if (interfacesDropped++ === 0) {
          state.error(win.offset, `more than ${MAX_INTERFACES_PER_SECTION} interface descriptions in one section: further ones are ignored (their packets are skipped)`);
        }
      }
    } else if (blockType === BLOCK_CB_COPY || blockType === BLOCK_CB_NOCOPY || blockType === BLOCK_SJE) {
      // Wireshark turns custom blocks and systemd journal entries into records of their own
      // (wiretap/pcapng.c: REC_TYPE_CUSTOM_BLOCK, REC_TYPE_SYSTEMD_JOURNAL_EXPORT), so they take
      // a frame number: count them, or every later frame number would differ from Wireshark's.
      frame++;
      state.nonPacketFrames++;
      // Counted in `packets` too, so the count matches the frames Wireshark shows.
      state.packets++;
    } else if (blockType === BLOCK_SHB) {
      const major = view.getUint16(at + 12, le);
      if (major !== 1) state.error(win.offset, `section header says pcapng version ${major}.x; reading it as 1.0`);
    }
    // NRB, ISB, DSB, systemd journal, custom and unknown blocks: tolerated and skipped by length.
    win.pos += length;
  }
  state.bytes = win.base + win.end;
}

function fill(rec: CaptureRecord, frame: number, ts: number, caplen: number, origLen: number, linkType: number, ifId: number, fileOffset: number, win: ByteWindow, start: number): void {
  rec.frame = frame;
  rec.ts = ts;
  rec.caplen = caplen;
  rec.origLen = origLen;
  rec.linkType = linkType;
  rec.interfaceId = ifId;
  rec.fileOffset = fileOffset;
  rec.data = win.buf;
  rec.view = win.view;
  rec.start = start;
}

/**
 * Converts a 64-bit timestamp in interface units to epoch seconds. For nanosecond units the raw
 * value (about 1.7e18) is beyond a double's exact range, so seconds and remainder are derived
 * exactly from the high word once per change of it (every ~4 s at ns resolution).
 */
export function timestamp(iface: Interface, high: number, low: number): number {
  const units = iface.unitsPerSecond;
  if (high === 0) return iface.offsetSeconds + Math.floor(low / units) + (low % units) / units;
  if (high !== iface.cachedHigh) {
    const big = BigInt(high) << 32n;
    const u = BigInt(units);
    iface.cachedSec = Number(big / u);
    iface.cachedRem = Number(big % u);
    iface.cachedHigh = high;
  }
  const rem = iface.cachedRem + low;
  const carry = Math.floor(rem / units);
  return iface.offsetSeconds + iface.cachedSec + carry + (rem - carry * units) / units;
}

/** Reads if_tsresol and if_tsoffset; other options are skipped. */
function readInterfaceOptions(view: DataView, at: number, end: number, le: boolean, iface: Interface, state: ReadState, base: number): void {
  while (at + 4 <= end) {
    const code = view.getUint16(at, le);
    const len = view.getUint16(at + 2, le);
    if (code === OPT_ENDOFOPT) return;
    if (at + 4 + len > end) {
      state.error(base + at, `interface option ${code} runs past its block`);
      return;
    }
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const v = view.getUint8(at + 4);
      // MSB clear: 10^-v; MSB set: 2^-(v & 0x7f) (pcapng §4.2, if_tsresol).
      const exp = v & 0x7f;
      const perSecond = v & 0x80 ? 2 ** exp : 10 ** exp;
      if (perSecond >= 1 && perSecond <= 2 ** 53) iface.unitsPerSecond = perSecond;
      else state.error(base + at, `if_tsresol ${v} is out of range; using microseconds`);
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      const hi = view.getInt32(at + 4 + (le ? 4 : 0), le);
      const lo = view.getUint32(at + 4 + (le ? 0 : 4), le);
      iface.offsetSeconds = hi * 4294967296 + lo;
    }
    at += 4 + ((len + 3) & ~3);
  }
}

/** A block start in one byte order: its length when plausible, minus its length when more bytes are needed to decide, else 0. */
function plausibleBlockIn(view: DataView, at: number, available: number, order: boolean): number {
  const type = view.getUint32(at, order);
  if (!KNOWN_BLOCKS.has(type)) return 0;
  const length = view.getUint32(at + 4, order);
  if (length < MIN_BLOCK || length % 4 !== 0 || length > MAX_BLOCK) return 0;
  if (length > available) return -length; // needs more bytes to decide
  return view.getUint32(at + length - 4, order) === length ? length : 0;
}

/** A block start whose type is known, whose length is sane and whose trailing length agrees (either byte order). */
function plausibleBlock(view: DataView, at: number, available: number, le: boolean): number {
  const same = plausibleBlockIn(view, at, available, le);
  return same !== 0 ? same : plausibleBlockIn(view, at, available, !le);
}

/** True when a plausible block starts somewhere in [from, end) of the buffered bytes. */
function blockFollows(view: DataView, from: number, end: number, le: boolean): boolean {
  for (let at = from; at + MIN_BLOCK <= end; at++) if (plausibleBlock(view, at, end - at, le) > 0) return true;
  return false;
}

/** Scans forward for the next plausible block; false when the stream ends first. */
async function resync(win: ByteWindow, state: ReadState, le: boolean): Promise<boolean> {
  const startOffset = win.offset;
  win.pos++;
  for (;;) {
    // Synchronous while 8 bytes are buffered: an await per byte made 1 MB of zeros take minutes.
    if (win.end - win.pos < 8 && (win.eof || !(await win.ensure(8)))) {
      state.error(startOffset, `no plausible block after offset ${startOffset}: the rest of the file (${win.base + win.end - startOffset} bytes) was skipped`);
      win.pos = win.end;
      return false;
    }
    let found = plausibleBlock(win.view, win.pos, win.available, le);
    if (found < 0) {
      // Candidate longer than what is buffered: fetch it and look again.
      if (await win.ensure(-found)) found = plausibleBlock(win.view, win.pos, win.available, le);
      else found = 0;
    }
    if (found > 0) {
      state.error(startOffset, `resynchronised at offset ${win.offset} after skipping ${win.offset - startOffset} damaged bytes (offsets ${startOffset} to ${win.offset - 1})`);
      return true;
    }
    win.pos++;
  }
}
