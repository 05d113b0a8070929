/**
 * Reading the resets spool's lines as bytes, for the HTML report's passes over every reset: a
 * 200k-connection flood spools 174 MB of reset JSON, and decoding it into strings (two bytes a
 * character: the `→` of the signatures), then JSON.parse of each line, cost ~2.5 s of the page's
 * 2.7 s. Here the fields the passes need are read where the spool's bytes lie:
 * - ResetRowBytes.parse reads one line laid out as JsonBytes writes explain's resets (keys in the
 *   model's order), the few values wanted taken out as numbers or short strings; a line laid out
 *   otherwise is refused, and the caller parses it whole (JSON.parse) instead;
 * - fieldOfLine is peekField (resetsByConnection.ts) on a line's bytes.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const DIGIT_0 = 0x30;

/** A key as the bytes before its value: `,"name":`. */
function key(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

const K_ID = key('{"id":');
const K_TS = key(',"ts":');
const K_CAPTURE = key(',"capture":');
const K_FRAME = key(',"frame":');
const K_CONN = key(',"conn":');
const K_SRC = key(',"src":');
const K_SPORT = key(',"sport":');
const K_DST = key(',"dst":');
const K_DPORT = key(',"dport":');
const K_FROM = key(',"from":');
const K_FLAGS = key(',"flags":');
const K_TTL = key(',"ttl":');
const K_IP_ID = key(',"ip_id":');
const K_SEQ = key(',"seq":');
const K_ACK = key(',"ack":');
const K_WIN = key(',"win":');
const K_PAYLOAD = key(',"payload_len":');
const K_STAGE = key(',"stage":');
const K_CAUSE = key(',"cause":');
const K_VERDICT = key(',"verdict":');
const K_ORIGIN = key(',"origin":');
const K_CONFIDENCE = key(',"confidence":');
const K_EVIDENCE = key(',"evidence":[');
const K_CODE = key('{"code":');
const K_DETAIL = key(',"detail":');
const K_SIGNATURE = key(',"signature":');
const K_HINT = key(',"hint":');
const K_REASON = key(',"reason_text":');
const NULL = key('null');
const SKIPPED_NUMBERS = [K_IP_ID, K_SEQ, K_ACK, K_WIN, K_PAYLOAD];
const KIND_STRINGS = [K_STAGE, K_CAUSE, K_VERDICT, K_ORIGIN];

/** Whether `lit` lies in `b` at `at` (before `end`). */
function isAt(b: Buffer, at: number, end: number, lit: Uint8Array): boolean {
  if (at + lit.length > end) return false;
  for (let i = 0; i < lit.length; i++) if (b[at + i] !== lit[i]) return false;
  return true;
}

/** Where `pattern` (starting with a quote) first lies in [start, end) of `b`, or -1 (a loop: the keys sought lie near the line's start). */
function keyAt(b: Buffer, start: number, end: number, pattern: Uint8Array): number {
  for (let i = start; i < end; i++) if (b[i] === QUOTE && isAt(b, i, end, pattern)) return i;
  return -1;
}

/** Bytes of a string looked through one by one before the search goes native (Buffer#indexOf). */
const SHORT_STRING = 32;

/** The end (after the closing quote) of the JSON string opening at `at`, or -1. */
function stringEnd(b: Buffer, at: number, end: number): number {
  if (b[at] !== QUOTE) return -1;
  const short = Math.min(end, at + 1 + SHORT_STRING);
  let i = at + 1;
  for (; i < short; i++) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  // A long string (a hint, an evidence detail): the next quote not escaped, i.e. after an even number of backslashes.
  for (;;) {
    const q = b.indexOf(QUOTE, i);
    if (q < 0 || q >= end) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > at && b[k] === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    i = q + 1;
  }
}

/** The end of the JSON string opening at `at` when it holds printable ASCII only, no escape (so its bytes are its text); else -1. */
function plainStringEnd(b: Buffer, at: number, end: number): number {
  if (b[at] !== QUOTE) return -1;
  for (let i = at + 1; i < end; i++) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH || c >= 0x7f || c < 0x20) return -1;
  }
  return -1;
}

/** The end of a JSON string or null at `at`, or -1. */
function stringOrNullEnd(b: Buffer, at: number, end: number): number {
  if (isAt(b, at, end, NULL)) return at + 4;
  return stringEnd(b, at, end);
}

/** The end of a number or null (no string, array or object) at `at`: the next comma, or -1. */
function scalarEnd(b: Buffer, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = b[i] as number;
    if (c === COMMA) return i > at ? i : -1;
    if (c === QUOTE || c === 0x5b || c === 0x7b || c === 0x7d || c === 0x5d) return -1;
  }
  return -1;
}

/** A whole number written as plain digits (at most 15, no sign), or -1. */
function digits(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  if (b[start] === DIGIT_0 && end - start > 1) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = (b[i] as number) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Where splitId (resetTableEncoder.ts) cuts a plain ASCII id lying at [start, end): the start of
 * its trailing number (the shortest prefix after which the rest is `0` or a number of at most 15
 * digits without a leading zero), or `end` when it has none.
 */
export function idNumberStart(b: Buffer, start: number, end: number): number {
  let d = end;
  while (d > start && (b[d - 1] as number) >= DIGIT_0 && (b[d - 1] as number) <= 0x39) d--;
  for (let p = d; p < end; p++) if (end - p <= 15 && (b[p] !== DIGIT_0 || end - p === 1)) return p;
  return end;
}

/** One string of a few values, kept as its bytes and text: the same bytes again give the same string. */
export class LastString {
  private bytes = Buffer.alloc(64);
  private length = -1;
  private text = '';

  /** The text of the plain ASCII bytes [start, end) of `b`. */
  of(b: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n === this.length) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (this.bytes[i] !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.text;
    }
    this.text = b.toString('latin1', start, end);
    if (n <= this.bytes.length) {
      b.copy(this.bytes, 0, start, end);
      this.length = n;
    } else this.length = -1;
    return this.text;
  }
}

/** The fields of one reset line the HTML report's table and charts read: offsets into the line's buffer, and numbers. */
export class ResetRowBytes {
  bytes: Buffer = Buffer.alloc(0);
  /** The id: [idStart, idEnd), its number from idNumberAt (idNumberAt === idEnd: none). */
  idStart = 0;
  idNumberAt = 0;
  idEnd = 0;
  tsStart = 0;
  tsEnd = 0;
  capture = 0;
  frame = 0;
  /** The connection id as the id; connStart < 0: null. */
  connStart = -1;
  connNumberAt = 0;
  connEnd = 0;
  srcStart = 0;
  srcEnd = 0;
  sport = 0;
  dstStart = 0;
  dstEnd = 0;
  dport = 0;
  ttl = 0;
  /** The kind's bytes: the flags array, `,"stage":…` up to the confidence's value, the evidence codes (strings), the signature (string or null). */
  flagsStart = 0;
  flagsEnd = 0;
  stageStart = 0;
  confidenceEnd = 0;
  readonly codes: number[] = [];
  signatureStart = 0;
  signatureEnd = 0;
  /** reason_text's JSON (string or null). */
  reasonStart = 0;
  reasonEnd = 0;

  /** The number wholeNumberEnd read last. */
  private whole = 0;

  /** Reads a whole number (plain digits) at `at` into `whole`: the comma after it, or -1. */
  private wholeNumberEnd(b: Buffer, at: number, end: number): number {
    const q = scalarEnd(b, at, end);
    if (q < 0) return -1;
    this.whole = digits(b, at, q);
    return this.whole < 0 ? -1 : q;
  }

  private readonly strings = { idPrefix: new LastString(), connPrefix: new LastString(), src: new LastString(), dst: new LastString() };

  /**
   * Reads the line [start, end) of `b` (a reset's JSON): false when it is not laid out as
   * expected (then none of the fields is to be used).
   */
  parse(b: Buffer, start: number, end: number): boolean {
    this.bytes = b;
    let p = start;
    // id, plain.
    if (!isAt(b, p, end, K_ID)) return false;
    p += K_ID.length;
    let q = plainStringEnd(b, p, end);
    if (q < 0) return false;
    this.idStart = p + 1;
    this.idEnd = q - 1;
    this.idNumberAt = idNumberStart(b, this.idStart, this.idEnd);
    // ts, any number.
    if (!isAt(b, q, end, K_TS)) return false;
    p = q + K_TS.length;
    q = scalarEnd(b, p, end);
    if (q < 0) return false;
    this.tsStart = p;
    this.tsEnd = q;
    // capture, frame: whole numbers.
    if (!isAt(b, q, end, K_CAPTURE)) return false;
    q = this.wholeNumberEnd(b, q + K_CAPTURE.length, end);
    if (q < 0) return false;
    this.capture = this.whole;
    if (!isAt(b, q, end, K_FRAME)) return false;
    q = this.wholeNumberEnd(b, q + K_FRAME.length, end);
    if (q < 0) return false;
    this.frame = this.whole;
    // conn: plain or null.
    if (!isAt(b, q, end, K_CONN)) return false;
    p = q + K_CONN.length;
    if (isAt(b, p, end, NULL)) {
      this.connStart = -1;
      q = p + 4;
    } else {
      q = plainStringEnd(b, p, end);
      if (q < 0) return false;
      this.connStart = p + 1;
      this.connEnd = q - 1;
      this.connNumberAt = idNumberStart(b, this.connStart, this.connEnd);
    }
    // src, sport, dst, dport.
    if (!isAt(b, q, end, K_SRC)) return false;
    p = q + K_SRC.length;
    q = plainStringEnd(b, p, end);
    if (q < 0) return false;
    this.srcStart = p + 1;
    this.srcEnd = q - 1;
    if (!isAt(b, q, end, K_SPORT)) return false;
    q = this.wholeNumberEnd(b, q + K_SPORT.length, end);
    if (q < 0) return false;
    this.sport = this.whole;
    if (!isAt(b, q, end, K_DST)) return false;
    p = q + K_DST.length;
    q = plainStringEnd(b, p, end);
    if (q < 0) return false;
    this.dstStart = p + 1;
    this.dstEnd = q - 1;
    if (!isAt(b, q, end, K_DPORT)) return false;
    q = this.wholeNumberEnd(b, q + K_DPORT.length, end);
    if (q < 0) return false;
    this.dport = this.whole;
    // from (skipped), flags (kept as bytes: an array of strings).
    if (!isAt(b, q, end, K_FROM)) return false;
    q = stringOrNullEnd(b, q + K_FROM.length, end);
    if (q < 0 || !isAt(b, q, end, K_FLAGS)) return false;
    p = q + K_FLAGS.length;
    if (b[p] !== 0x5b) return false;
    this.flagsStart = p;
    q = p + 1;
    if (b[q] !== 0x5d) {
      for (;;) {
        q = stringEnd(b, q, end);
        if (q < 0) return false;
        if (b[q] === 0x5d) break;
        if (b[q] !== COMMA) return false;
        q++;
      }
    }
    q++;
    this.flagsEnd = q;
    // ttl, then ip_id, seq, ack, win, payload_len (skipped).
    if (!isAt(b, q, end, K_TTL)) return false;
    q = this.wholeNumberEnd(b, q + K_TTL.length, end);
    if (q < 0) return false;
    this.ttl = this.whole;
    for (const k of SKIPPED_NUMBERS) {
      if (!isAt(b, q, end, k)) return false;
      q = scalarEnd(b, q + k.length, end);
      if (q < 0) return false;
    }
    // stage, cause, verdict, origin (strings or null), confidence: kept as bytes.
    this.stageStart = q;
    for (const k of KIND_STRINGS) {
      if (!isAt(b, q, end, k)) return false;
      q = stringOrNullEnd(b, q + k.length, end);
      if (q < 0) return false;
    }
    if (!isAt(b, q, end, K_CONFIDENCE)) return false;
    q = scalarEnd(b, q + K_CONFIDENCE.length, end);
    if (q < 0) return false;
    this.confidenceEnd = q;
    // evidence: [{"code":…,"detail":…}, …], the codes kept.
    if (!isAt(b, q, end, K_EVIDENCE)) return false;
    q += K_EVIDENCE.length;
    const codes = this.codes;
    codes.length = 0;
    if (b[q] !== 0x5d) {
      for (;;) {
        if (!isAt(b, q, end, K_CODE)) return false;
        p = q + K_CODE.length;
        q = stringEnd(b, p, end);
        if (q < 0) return false;
        codes.push(p, q);
        if (!isAt(b, q, end, K_DETAIL)) return false;
        q = stringEnd(b, q + K_DETAIL.length, end);
        if (q < 0 || b[q] !== 0x7d) return false;
        q++;
        if (b[q] === 0x5d) break;
        if (b[q] !== COMMA) return false;
        q++;
      }
    }
    q++;
    // signature (kept), hint (skipped), reason_text (kept).
    if (!isAt(b, q, end, K_SIGNATURE)) return false;
    p = q + K_SIGNATURE.length;
    q = stringOrNullEnd(b, p, end);
    if (q < 0) return false;
    this.signatureStart = p;
    this.signatureEnd = q;
    if (!isAt(b, q, end, K_HINT)) return false;
    q = stringOrNullEnd(b, q + K_HINT.length, end);
    if (q < 0 || !isAt(b, q, end, K_REASON)) return false;
    p = q + K_REASON.length;
    q = stringOrNullEnd(b, p, end);
    if (q < 0) return false;
    this.reasonStart = p;
    this.reasonEnd = q;
    // What follows must end the object or go on with another key.
    return b[q] === COMMA || (b[q] === 0x7d && q === end - 1);
  }

  /** The capture time (seconds, as JSON.parse reads it). */
  ts(): number {
    return Number(this.bytes.toString('latin1', this.tsStart, this.tsEnd));
  }

  idPrefix(): string {
    return this.strings.idPrefix.of(this.bytes, this.idStart, this.idNumberAt);
  }

  /** The id's trailing number, or null (splitId's). */
  idNumber(): number | null {
    return this.idNumberAt === this.idEnd ? null : digits(this.bytes, this.idNumberAt, this.idEnd);
  }

  connPrefix(): string | null {
    return this.connStart < 0 ? null : this.strings.connPrefix.of(this.bytes, this.connStart, this.connNumberAt);
  }

  connNumber(): number | null {
    return this.connStart < 0 || this.connNumberAt === this.connEnd ? null : digits(this.bytes, this.connNumberAt, this.connEnd);
  }

  /** The connection id (null for none). */
  conn(): string | null {
    return this.connStart < 0 ? null : this.bytes.toString('latin1', this.connStart, this.connEnd);
  }

  src(): string {
    return this.strings.src.of(this.bytes, this.srcStart, this.srcEnd);
  }

  dst(): string {
    return this.strings.dst.of(this.bytes, this.dstStart, this.dstEnd);
  }

  /** The reason text, null when null or empty. */
  reasonText(): string | null {
    if (this.bytes[this.reasonStart] !== QUOTE || this.reasonEnd - this.reasonStart <= 2) return null;
    return JSON.parse(this.bytes.toString('utf8', this.reasonStart, this.reasonEnd)) as string;
  }

  /** A hash of the kind's bytes (flags, stage to confidence, codes, signature). */
  kindHash(): number {
    const b = this.bytes;
    let h = 0x811c9dc5;
    for (let i = this.flagsStart; i < this.flagsEnd; i++) h = Math.imul(h ^ (b[i] as number), 16777619);
    for (let i = this.stageStart; i < this.confidenceEnd; i++) h = Math.imul(h ^ (b[i] as number), 16777619);
    const codes = this.codes;
    for (let c = 0; c < codes.length; c += 2) {
      for (let i = codes[c] as number; i < (codes[c + 1] as number); i++) h = Math.imul(h ^ (b[i] as number), 16777619);
    }
    for (let i = this.signatureStart; i < this.signatureEnd; i++) h = Math.imul(h ^ (b[i] as number), 16777619);
    return h >>> 0;
  }

  /** The kind's bytes, one after the other (each part is JSON: they cannot run into one another ambiguously). */
  kindBytes(): Buffer {
    const b = this.bytes;
    const parts = [b.subarray(this.flagsStart, this.flagsEnd), b.subarray(this.stageStart, this.confidenceEnd)];
    const codes = this.codes;
    for (let c = 0; c < codes.length; c += 2) parts.push(b.subarray(codes[c] as number, codes[c + 1] as number));
    parts.push(b.subarray(this.signatureStart, this.signatureEnd));
    return Buffer.concat(parts);
  }

  /** Whether the kind's bytes are `kind` (kindBytes of an earlier line). */
  kindIs(kind: Buffer): boolean {
    const b = this.bytes;
    let k = sameBytes(kind, 0, b, this.flagsStart, this.flagsEnd);
    if (k >= 0) k = sameBytes(kind, k, b, this.stageStart, this.confidenceEnd);
    const codes = this.codes;
    for (let c = 0; c < codes.length && k >= 0; c += 2) k = sameBytes(kind, k, b, codes[c] as number, codes[c + 1] as number);
    if (k >= 0) k = sameBytes(kind, k, b, this.signatureStart, this.signatureEnd);
    return k === kind.length;
  }
}

/** Whether `kind` holds the bytes [start, end) of `b` at `at`: where they end in it, or -1. */
function sameBytes(kind: Buffer, at: number, b: Buffer, start: number, end: number): number {
  if (at + (end - start) > kind.length) return -1;
  for (let i = start; i < end; i++) if (kind[at++] !== b[i]) return -1;
  return at;
}

/**
 * peekField (resetsByConnection.ts) on the line [start, end) of `b`: the value of the string field
 * `name` at the first `"name":`, read without decoding the line (JSON.parse of the line when the
 * value is neither null nor a string); `pattern` is `"name":` as bytes.
 */
export function fieldOfLine(b: Buffer, start: number, end: number, name: string, pattern: Uint8Array): string | null {
  const at = keyAt(b, start, end, pattern);
  if (at >= 0) {
    const from = at + pattern.length;
    if (isAt(b, from, end, NULL)) return null;
    const plain = plainStringEnd(b, from, end);
    if (plain > 0) return b.toString('latin1', from + 1, plain - 1);
    const q = stringEnd(b, from, end);
    if (q > 0) return JSON.parse(b.toString('utf8', from, q)) as string;
  }
  return (JSON.parse(b.toString('utf8', start, end)) as Record<string, string | null>)[name] ?? null;
}
