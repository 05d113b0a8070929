/**
 * Zeek's conn.log `history` (scripts/base/protocols/conn/main.zeek documents the letters): one
 * letter per first occurrence of an event per side, upper case from the originator and lower case
 * from the responder; retransmissions, zero windows, gaps and bad checksums are "scaled" (a letter
 * at the 1st, 10th, 100th … occurrence). The first 15 letters are stored inline per slot; longer
 * histories spill to a Map (rare).
 */
import { HIST_INLINE, type TrackState } from './state.js';

// Letters (upper case: the originator's; the responder's are these + 32).
/** SYN without ACK. */
export const H_SYN = 83; // S
/** SYN-ACK. */
export const H_SYN_ACK = 72; // H
/** Pure ACK. */
export const H_ACK = 65; // A
/** Packet with payload. */
export const H_DATA = 68; // D
/** FIN. */
export const H_FIN = 70; // F
/** RST. */
export const H_RST = 82; // R
/** FIN and RST in one packet ("inconsistent"). */
export const H_FIN_RST = 73; // I
/** Other multi-flag packet (SYN with FIN or RST). */
export const H_MULTI_FLAG = 81; // Q
/** Bad checksum (scaled). */
export const H_BAD_CHECKSUM = 67; // C
/** Content gap (scaled). */
export const H_GAP = 71; // G
/** Retransmission (scaled). */
export const H_RETRANSMIT = 84; // T
/** Zero window (scaled). */
export const H_ZERO_WINDOW = 87; // W
/** Roles flipped (Connection::FlipRoles); the same for both sides. */
export const H_FLIPPED = 94; // ^

// History masks (TCP_Endpoint.h HistoryMasks); the responder's are shifted by 16.
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
/** 'D'/'d' already written (the originator's bit; the responder's is this << 16). */
export const HIST_DATA_PKT = 0x10;
/** 'A'/'a' already written (the originator's bit; the responder's is this << 16). */
export const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

/** The letter `upper` as endpoint `e` writes it: lower case for the responder. */
function letterOf(e: number, upper: number): number {
  return (e & 1) === 1 ? upper + 32 : upper;
}

function isPow10(c: number): boolean {
  while (c >= 10 && c % 10 === 0) c /= 10;
  return c === 1;
}

/** Appends one letter to the slot's history. */
export function addHistory(s: TrackState, slot: number, code: number): void {
  const base = slot * (HIST_INLINE + 1);
  const len = s.hist[base] ?? 0;
  if (len < HIST_INLINE) {
    s.hist[base + 1 + len] = code;
    s.hist[base] = len + 1;
  } else {
    s.histSpill.set(slot, (s.histSpill.get(slot) ?? '') + String.fromCharCode(code));
  }
}

/** Entries of the history text cache (a power of two), and the shift that takes a hash's top bits. */
const HISTORY_CACHE_SIZE = 1024;
const HISTORY_CACHE_SHIFT = 32 - 10;
/** Letters a cached history holds at most: four in the first key word, three beside the length in the second. */
const HISTORY_CACHED_LETTERS = 7;

/** The cache's keys: letters 0-3 (one byte each), then letters 4-6 with the length in the top byte (0 never a key: length >= 1). */
const historyKeyLo = new Int32Array(HISTORY_CACHE_SIZE);
const historyKeyHi = new Int32Array(HISTORY_CACHE_SIZE);
const historyTexts: string[] = new Array<string>(HISTORY_CACHE_SIZE).fill('');

/** The history of `len` letters at `base + 1` as text, built letter by letter. */
function historyText(s: TrackState, base: number, len: number): string {
  let text = '';
  for (let i = 0; i < len; i++) text += String.fromCharCode(s.hist[base + 1 + i] ?? 0);
  return text;
}

/**
 * The slot's history string. Short histories recur (a SYN flood's every connection is "Sr"), so
 * their texts come from a small direct-mapped cache keyed by the letters: one string per history
 * instead of one per connection, built by a concatenation per letter.
 */
export function historyOf(s: TrackState, slot: number): string {
  const base = slot * (HIST_INLINE + 1);
  const len = s.hist[base] ?? 0;
  if (len === 0 || len > HISTORY_CACHED_LETTERS || s.histSpill.size > 0) return historyText(s, base, len) + (s.histSpill.get(slot) ?? '');
  let lo = 0;
  let hi = len << 24;
  for (let k = 0; k < len; k++) {
    const c = s.hist[base + 1 + k] ?? 0;
    if (k < 4) lo |= c << (8 * k);
    else hi |= c << (8 * (k - 4));
  }
  const i = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> HISTORY_CACHE_SHIFT;
  if (historyKeyLo[i] === lo && historyKeyHi[i] === hi) return historyTexts[i] as string;
  const text = historyText(s, base, len);
  historyKeyLo[i] = lo;
  historyKeyHi[i] = hi;
  historyTexts[i] = text;
  return text;
}

/** Drops the slot's spilled letters (when the slot is freed). */
export function forgetHistory(s: TrackState, slot: number): void {
  if (s.histSpill.size > 0) s.histSpill.delete(slot);
}

/** TCP_Endpoint::CheckHistory + Connection::CheckHistory: returns true if already seen. */
function checkHistory(s: TrackState, slot: number, e: number, mask: number, upper: number): boolean {
  const resp = (e & 1) === 1;
  const m = resp ? (mask << 16) >>> 0 : mask;
  const seen = s.histSeen[slot] ?? 0;
  if ((seen & m) === 0) {
    s.histSeen[slot] = (seen | m) >>> 0;
    addHistory(s, slot, letterOf(e, upper));
    return false;
  }
  return true;
}

/** Connection::ScaledHistoryEntry with base 10: a letter at the 1st, 10th, 100th … event. */
export function scaled(s: TrackState, slot: number, e: number, counter: Uint32Array, upper: number): void {
  const c = ((counter[e] ?? 0) + 1) >>> 0;
  counter[e] = c;
  if (isPow10(c)) addHistory(s, slot, letterOf(e, upper));
}

/** update_history (TCPSessionAdapter.cc). `key` is the low 32 bits of rel_seq (as int32: a Smi across the call). */
export function updateHistory(
  s: TrackState,
  slot: number,
  e: number,
  SYN: boolean,
  FIN: boolean,
  RST: boolean,
  ACK: boolean,
  key: number,
  len: number,
): void {
  key >>>= 0;
  const bits = (SYN ? 1 : 0) + (FIN ? 1 : 0) + (RST ? 1 : 0);
  if (bits > 1) {
    if (FIN && RST) checkHistory(s, slot, e, HIST_FIN_RST_PKT, H_FIN_RST);
    else checkHistory(s, slot, e, HIST_MULTI_FLAG_PKT, H_MULTI_FLAG);
  } else if (bits === 1) {
    // A repeated SYN, FIN or RST at a new sequence number adds its letter again.
    if (SYN) {
      const code = ACK ? H_SYN_ACK : H_SYN;
      if (checkHistory(s, slot, e, HIST_SYN_PKT, code) && key !== s.eHistSyn[e]) addHistory(s, slot, letterOf(e, code));
      s.eHistSyn[e] = key;
    }
    if (FIN) {
      // "For FIN's, the sequence number comes at the end of (any data in) the packet."
      const k = (key + len) >>> 0;
      if (checkHistory(s, slot, e, HIST_FIN_PKT, H_FIN) && k !== s.eHistFin[e]) addHistory(s, slot, letterOf(e, H_FIN));
      s.eHistFin[e] = k;
    }
    if (RST) {
      if (checkHistory(s, slot, e, HIST_RST_PKT, H_RST) && key !== s.eHistRst[e]) addHistory(s, slot, letterOf(e, H_RST));
      s.eHistRst[e] = key;
    }
  } else if (len) checkHistory(s, slot, e, HIST_DATA_PKT, H_DATA);
  else if (ACK) checkHistory(s, slot, e, HIST_ACK_PKT, H_ACK);
}
