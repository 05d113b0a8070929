/**
 * JSON written straight into a reused byte buffer as UTF-8, byte for byte what
 * `JSON.stringify(value)` gives, for the reports that write one object per reset or connection
 * (json, ndjson). A 200k-connection flood wrote 1.1 KB of JSON per reset: JSON.stringify built
 * each as a two-byte string (every signature's "→" makes it two-byte), escaped char by char,
 * and the string was then transcoded to UTF-8 and left to the collector, ~48,000 instructions per
 * reset (V8 11's JsonStringifier::SerializeString and String::WriteUtf8).
 *
 * Most of those bytes repeat from one object to the next: the keys and punctuation of the same
 * object shape, and values such as a hint or an evidence detail. So the writer follows each
 * object's keys through a trie of the shapes seen before (node = the same key at the same place
 * of an object at the same place), copying the key's bytes kept on the node, and keeps on each node
 * the last long string written there with its encoded bytes: the same string again (the same
 * text: `===`) is copied, not encoded. Strings that change every time (ids, Community IDs) stop
 * being kept once they miss often.
 *
 * Most of what stays is the same as in the object written before it at the same place: a flood's
 * resets differ in their ids, times, ports and Community ID, and share the rest (~1,000 of
 * ~1,300 bytes per reset and connection). So each site keeps its last line's bytes, and each node
 * where in that line it wrote what (its span, and the value when a string, number, boolean or
 * null). A member whose node wrote the same value in the previous line is not written: its span
 * is copied from that line, and the spans of consecutive such members (with the punctuation
 * between them, when it is the same) are copied as one run, so a line costs one copy per run of
 * unchanged members plus the members that changed (200k-connection flood: 3.0 -> 1.0 us per
 * reset and connection, writer alone).
 *
 * Anything a plain object walk cannot reproduce exactly (a toJSON method, a class instance, a
 * Map, a bigint, too deep a nesting, too many shapes) is written by JSON.stringify instead (the
 * whole object), so the bytes never differ; JSON.stringify also throws on cycles as before.
 */
import type { Connection, Evidence, MptcpReason, Reset, ResetRef } from '../model/report.js';
import { lastIdChars } from '../net/communityId.js';
import { ByteRows, asWords, charCodeAt } from './byteRows.js';

/** Bytes of the buffer's first size (it grows when one object needs more). */
const DEFAULT_SIZE = 1 << 16;
/** A node keeps the strings written there for this many misses, then only while it hits at least one time in MISS_RATIO. */
const KEEP_TRIES = 8;
const MISS_RATIO = 4;
/** Misses after which a node that stopped keeping strings tries again. */
const RETRY_AFTER = 1024;
/** Nesting below which objects are walked (deeper ones: JSON.stringify, which throws on a cycle). */
const MAX_DEPTH = 32;
/** Keys followed per node (a node with more children falls back to JSON.stringify). */
const MAX_CHILDREN = 64;
/** Trie nodes per writer (bounds memory whatever objects it is given). */
const MAX_NODES = 4096;
/** The longest integer written digit by digit (2^53 - 1; JSON.stringify writes larger ones in full below 1e21, String does it here). */
const MAX_SAFE = 9007199254740991;
/** 2^33: below it a double's spacing is under 10^-6 (see decimalFits). */
const TWO_POW_33 = 8589934592;

/** Thrown inside the walk for a value only JSON.stringify writes exactly; the object is then rewritten by it. */
class NotPlain extends Error {}

/**
 * One place in an object shape: a key after the keys before it (or an array element), with the
 * bytes of `"key":`, its children (the next keys), and the last long string written there.
 */
class ShapeNode {
  /** `"key":` as UTF-8, with the comma before it when it is not an object's first member (empty for the root and array elements). */
  readonly keyBytes: Uint8Array;
  /** keyBytes as 8-byte words (ByteRows#words), or null when they cannot be (asWords). */
  readonly keyWords: Float64Array | null;
  /** Next keys in objects that reach this node; `last` is the one found last (usually the one wanted). */
  private readonly children: ShapeNode[] = [];
  private last: ShapeNode | null = null;
  /** The root of the objects written as this node's value (its members), created when first needed. */
  value: ShapeNode | null = null;
  /** Array elements: the first few indices have their own nodes (evidence lists differ by place). */
  elements: ShapeNode[] | null = null;
  /** The last long string written here and its bytes (quoted and escaped). */
  text: string | null = null;
  textBytes: Uint8Array | null = null;
  hits = 0;
  misses = 0;
  /** The line (JsonBytes.seq) in which this node last wrote, and where: bytes [start, end) of that line. */
  seq = -1;
  start = 0;
  end = 0;
  /** What it wrote there: the primitive value (its key's bytes and the value's), or KEY_ONLY (the key's bytes of an object or array). */
  written: unknown = undefined;

  constructor(
    readonly key: string,
    keyBytes: Uint8Array,
  ) {
    this.keyBytes = keyBytes;
    this.keyWords = keyBytes.length > 0 ? asWords(keyBytes) : null;
  }

  /** The child for `key`, or null when there is none yet. */
  child(key: string): ShapeNode | null {
    const last = this.last;
    if (last !== null && last.key === key) return last;
    for (const c of this.children) {
      if (c.key === key) {
        this.last = c;
        return c;
      }
    }
    return null;
  }

  /** Adds a child for `key`; false when this node has too many. */
  add(node: ShapeNode): boolean {
    if (this.children.length >= MAX_CHILDREN) return false;
    this.children.push(node);
    this.last = node;
    return true;
  }
}

/** Array elements with a node of their own; later ones share the last. */
const ELEMENT_NODES = 8;

/** ShapeNode.written of a member whose span holds only its key (its value, an object or array, is written by its own nodes). */
const KEY_ONLY = Symbol('key only');

/** The objects of one kind (`line`'s site): the root of their shapes, and where its last line is kept. */
class Site {
  readonly root: ShapeNode;
  /** The last line is kept in this slot of the writer's reserved bytes (-1: none, its lines are not kept). */
  readonly slot: number;
  /** The last line's length and number (-1: none kept). */
  length = 0;
  seq = -1;

  constructor(
    readonly name: string,
    slot: number,
  ) {
    this.root = new ShapeNode(name, EMPTY);
    this.slot = slot;
  }
}

/**
 * Sites whose last line is kept, and the bytes kept for each (a longer line is not kept: the next
 * line is written in full). Kept after the buffer's rows (ByteRows.reserved), so a run is copied
 * by one copyWithin: ~20 ns whatever its length, where a byte loop takes ~2 ns a byte and
 * TypedArray#set with a subarray ~55 ns (measured on this machine, 8-300 bytes).
 */
const KEPT_SITES = 4;
const SLOT_BYTES = 8 << 10;

/** Runs up to this long are copied by copyRun's own loop, longer ones by copyWithin. */
const SHORT_RUN = 48;

/** A reset's long members (longString) and the bytes kept for each (longer strings are not kept). */
const LONG_HINT = 0;
const LONG_SIGNATURE = 1;
const LONG_REASON_TEXT = 2;
/** Evidence details: one member per place for the first LONG_DETAILS, the rest share the last. */
const LONG_DETAIL = 3;
const LONG_DETAILS = 8;
/** The Community ID (communityIdMember): a connection's record comes right after its resets' lines, with their ID. */
const LONG_COMMUNITY_ID = LONG_DETAIL + LONG_DETAILS;
const LONG_MEMBERS = LONG_COMMUNITY_ID + 1;
const LONG_BYTES = 1024;

/**
 * The vocabulary's bytes (vocabString): where in the reserved bytes, how many, of how many texts,
 * each of at most VOCAB_LONGEST characters (an IPv6 address's 39; at most 6 bytes a character,
 * so the length fits the 8 bits vocabString keeps it in).
 */
const VOCAB_AT = KEPT_SITES * SLOT_BYTES + LONG_MEMBERS * LONG_BYTES;
const VOCAB_BYTES = 128 << 10;
const VOCAB_TEXTS = 4096;
const VOCAB_LONGEST = 39;

/** Sites per writer (more: JSON.stringify). */
const MAX_SITES = 64;

/** Writes JSON values as UTF-8 into a buffer handed, whole lines at a time, to `drain` (byteRows.ts). */
export class JsonBytes extends ByteRows {
  private nodes = 0;
  private readonly sites: Site[] = [];
  private lastSite: Site | null = null;
  /** Lines begun (each line's spans carry its number). */
  private seq = 0;
  /** The line whose spans the current one may copy (the site's last), its slot and length. */
  private previousSeq = -1;
  private slot = -1;
  private previousLength = 0;
  /** Bytes [runFrom, runTo) of the previous line, still to be copied: they come next in this line. */
  private runFrom = 0;
  private runTo = 0;
  /**
   * The last long string each of a reset's long members (LONG_*: hint, signature, reason text,
   * evidence details by place) wrote, its bytes kept after the kept lines (LONG_BYTES each):
   * see longString.
   */
  private readonly longText: (string | null)[] = new Array<string | null>(LONG_MEMBERS).fill(null);
  private readonly longLength = new Uint16Array(LONG_MEMBERS);
  /**
   * The vocabulary members' texts (vocabString) and where their bytes are kept, after the long
   * members' (VOCAB_AT): offset << 8 | length. Bounded: VOCAB_TEXTS texts, VOCAB_BYTES bytes.
   */
  private readonly vocab = new Map<string, number>();
  private vocabUsed = 0;

  /**
   * @param drain takes complete lines, bytes [start, end) of `bytes` (holding `lines` lines), and
   * must copy or write them before it returns: the buffer is written over afterwards.
   */
  constructor(drain: (bytes: Uint8Array, start: number, end: number, lines: number) => void, size = DEFAULT_SIZE) {
    super(drain, size, VOCAB_AT + VOCAB_BYTES + 4);
  }

  /**
   * One line: `head` (bytes written first, e.g. `{"type":"reset"` of an ndjson line), then the
   * JSON of `value` — with `head`, the members of the object `value` after a comma and its closing
   * brace, so the line reads as one object — then `end` (e.g. "\n").
   * `site` names the kind of object (resets and connections keep shapes apart).
   */
  line(site: string, value: object, end: Uint8Array, head: Uint8Array | null = null): void {
    const s = this.siteOf(site);
    this.seq++;
    this.runFrom = 0;
    this.runTo = 0;
    if (s === null) {
      this.stringified(value, head);
    } else {
      this.previousSeq = s.seq;
      this.slot = s.slot;
      this.previousLength = s.length;
      try {
        if (head === null) this.object(value, s.root, 0);
        else {
          this.bytes(head);
          this.members(value, s.root, 0, false);
          this.punctuation(0x7d);
        }
        if (this.runTo !== this.runFrom) this.copyRun();
        this.keep(s);
      } catch (err) {
        if (!(err instanceof NotPlain)) throw err;
        // The line starts at rowStart (ensure may have moved it to the front meanwhile).
        this.at = this.rowStart;
        s.seq = -1;
        this.stringified(value, head);
      }
    }
    this.bytes(end);
    this.endRow();
  }

  /**
   * One connection record's line (explain/connectionRecord.ts connectionRecordOf), `head` and
   * `end` as `line` puts them: the same bytes as `line(site, c, end, head)`, written member by
   * member from the record's fields. Its members are checked first to be exactly the record's
   * keys in its order (a record with anything else, a tunnel, goes to `line`), and each value's
   * type as it is written (a surprise: the whole line through JSON.stringify, as `line` does).
   * A record's members mostly change from one line to the next (id, time, ports, counts,
   * Community ID), so the shape walk's bookkeeping for copying unchanged ones cost more than it
   * saved: the 512 MiB mix's json run (26,446 records; callgrind, one thread) spent 245 M
   * instructions less in the walk (value, members, keyed, copyRun, …) and 130 M in this and its
   * helpers, ~4,400 fewer a record.
   */
  connectionLine(site: string, c: Connection, end: Uint8Array, head: Uint8Array | null = null): void {
    const radar = recordKeysOf(c);
    const s = radar < 0 ? null : this.siteOf(site);
    if (s === null) {
      this.line(site, c, end, head);
      return;
    }
    this.beginMemberLine(s, head);
    try {
      this.stringMember(c.id);
      this.keyedNumber(KEY_TS, c.ts);
      this.vocabString(c.orig_h, KEY_ORIG_H);
      this.keyedNumber(KEY_ORIG_P, c.orig_p);
      this.vocabString(c.resp_h, KEY_RESP_H);
      this.keyedNumber(KEY_RESP_P, c.resp_p);
      this.keyedNumber(KEY_DURATION, c.duration);
      this.keyedNumber(KEY_ORIG_BYTES, c.orig_bytes);
      this.keyedNumber(KEY_RESP_BYTES, c.resp_bytes);
      this.keyedNumber(KEY_ORIG_PKTS, c.orig_pkts);
      this.keyedNumber(KEY_RESP_PKTS, c.resp_pkts);
      this.key(KEY_CONN_STATE);
      this.stringMember(c.conn_state);
      this.vocabString(c.history, KEY_HISTORY);
      this.key(KEY_RESETS);
      this.stringList(c.resets);
      this.keyedNumber(KEY_CAPTURE, c.capture);
      this.key(KEY_PROTO);
      this.stringMember(c.proto);
      this.keyedNumber(KEY_MISSED_BYTES, c.missed_bytes);
      this.keyedNumber(KEY_ORIG_IP_BYTES, c.orig_ip_bytes);
      this.keyedNumber(KEY_RESP_IP_BYTES, c.resp_ip_bytes);
      if (radar === 1) {
        this.nullableVocabMember(KEY_RADAR_CATEGORY, c.radar_category);
      }
      this.key(KEY_COMMUNITY_ID);
      this.communityIdMember(c.community_id);
      this.byte(0x7d);
    } catch (err) {
      this.stringifiedInstead(err, c, head);
    }
    this.bytes(end);
    this.endRow();
  }

  /**
   * One reset's line (explain/explainConnection.ts explainReset), `head` and `end` as `line` puts
   * them: the same bytes as `line(site, r, end, head)`, written member by member as connectionLine
   * writes a connection record. Its members are checked first to be exactly a reset's keys in
   * explainReset's order, with `parent`, `duplicates` and `community_id` after `rule` where it has
   * them (anything else, correlation's or the kernel's members, goes to `line`); each evidence item
   * must be exactly `{code, detail}`, the MP_TCPRST reason `{code, name, flags}`, the parent
   * `{id, capture, frame}`; each value's type is checked as it is written (a surprise: the whole
   * line through JSON.stringify, as `line` does).
   */
  resetLine(site: string, r: Reset, end: Uint8Array, head: Uint8Array | null = null): void {
    const tail = resetKeysOf(r);
    const s = tail < 0 ? null : this.siteOf(site);
    if (s === null) {
      this.line(site, r, end, head);
      return;
    }
    this.beginMemberLine(s, head);
    try {
      this.stringMember(r.id);
      this.keyedNumber(KEY_TS, r.ts);
      this.keyedNumber(KEY_CAPTURE, r.capture);
      this.keyedNumber(KEY_FRAME, r.frame);
      this.key(KEY_CONN);
      this.nullableStringMember(r.conn);
      this.vocabString(r.src, KEY_SRC);
      this.keyedNumber(KEY_SPORT, r.sport);
      this.vocabString(r.dst, KEY_DST);
      this.keyedNumber(KEY_DPORT, r.dport);
      this.key(KEY_FROM);
      this.nullableStringMember(r.from);
      this.key(KEY_FLAGS);
      this.stringList(r.flags);
      this.keyedNumber(KEY_TTL, r.ttl);
      this.nullableKeyedNumber(KEY_IP_ID, r.ip_id);
      this.keyedNumber(KEY_SEQ, r.seq);
      this.keyedNumber(KEY_ACK, r.ack);
      this.keyedNumber(KEY_WIN, r.win);
      this.keyedNumber(KEY_PAYLOAD_LEN, r.payload_len);
      this.nullableVocabMember(KEY_STAGE, r.stage);
      this.nullableVocabMember(KEY_CAUSE, r.cause);
      this.nullableVocabMember(KEY_VERDICT, r.verdict);
      this.key(KEY_ORIGIN);
      this.nullableStringMember(r.origin);
      this.nullableKeyedNumber(KEY_CONFIDENCE, r.confidence);
      this.key(KEY_EVIDENCE);
      this.evidenceList(r.evidence);
      this.key(KEY_SIGNATURE);
      this.nullableLongString(r.signature, LONG_SIGNATURE);
      this.key(KEY_HINT);
      this.nullableLongString(r.hint, LONG_HINT);
      this.key(KEY_REASON_TEXT);
      this.nullableLongString(r.reason_text, LONG_REASON_TEXT);
      this.key(KEY_MPTCP_REASON);
      this.mptcpReason(r.mptcp_reason);
      // Members JSON.stringify leaves out when undefined; the rest must be there (NotPlain).
      const rule: unknown = r.rule;
      if (rule !== undefined) {
        this.vocabString(rule, KEY_RULE);
      }
      if ((tail & TAIL_PARENT) !== 0 && r.parent !== undefined) {
        this.key(KEY_PARENT);
        this.parentRef(r.parent);
      }
      if ((tail & TAIL_DUPLICATES) !== 0 && r.duplicates !== undefined) {
        this.keyedNumber(KEY_DUPLICATES, r.duplicates);
      }
      if ((tail & TAIL_COMMUNITY_ID) !== 0 && r.community_id !== undefined) {
        this.key(KEY_COMMUNITY_ID);
        this.communityIdMember(r.community_id);
      }
      this.byte(0x7d);
    } catch (err) {
      this.stringifiedInstead(err, r, head);
    }
    this.bytes(end);
    this.endRow();
  }

  /**
   * The start of a line connectionLine or resetLine writes member by member at site `s`: `head`
   * as `line` puts it and the first key. No run of the previous line is copied into it, and the
   * site's last line is no longer one the shape walk wrote, so its next line copies nothing from it.
   */
  private beginMemberLine(s: Site, head: Uint8Array | null): void {
    this.seq++;
    this.runFrom = 0;
    this.runTo = 0;
    s.seq = -1;
    if (head === null) this.key(KEY_FIRST);
    else {
      this.bytes(head);
      this.key(KEY_FIRST_AFTER_HEAD);
    }
  }

  /** A member-by-member line met a value it does not write (NotPlain): the line again, whole, through JSON.stringify; any other error goes on. */
  private stringifiedInstead(err: unknown, value: object, head: Uint8Array | null): void {
    if (!(err instanceof NotPlain)) throw err;
    this.at = this.rowStart;
    this.stringified(value, head);
  }

  /**
   * A string of a reset's long member `m` (LONG_*), anything else NotPlain: when it is the string
   * this member wrote last (the same text, `===`), its bytes are copied from where they were kept
   * (one copyWithin), else it is encoded and its bytes kept in place of the last. A flood's resets
   * repeat their hints and evidence details from one reset to the next; each costs ~2,000-3,000
   * instructions to encode and check (string, plainUtf8), a copy a few hundred.
   */
  private longString(v: unknown, m: number): void {
    if (typeof v !== 'string') throw new NotPlain();
    const n = v.length;
    if (n < NATIVE_FROM) {
      // A short one (a signature) comes from a small set of texts too.
      this.vocabString(v, -1);
      return;
    }
    this.lastString(v, m);
  }

  /** String `v` of long member `m` (longString): copied when it is the one `m` wrote last, else written and kept. */
  private lastString(v: string, m: number): void {
    const n = v.length;
    if (this.longText[m] === v) {
      const length = this.longLength[m] as number;
      this.ensure(length);
      // After ensure: the kept bytes move with the limit when the buffer grows.
      const from = this.limit + KEPT_SITES * SLOT_BYTES + m * LONG_BYTES;
      this.buf.copyWithin(this.at, from, from + length);
      this.at += length;
      return;
    }
    // Room first: ensure may move the line, and `start` must be where the string lands.
    this.ensure(n * 6 + 2);
    const start = this.at;
    this.string(v);
    const length = this.at - start;
    if (length > LONG_BYTES) {
      this.longText[m] = null;
      return;
    }
    this.buf.copyWithin(this.limit + KEPT_SITES * SLOT_BYTES + m * LONG_BYTES, start, this.at);
    this.longText[m] = v;
    this.longLength[m] = length;
  }

  /** A long member's string (longString) or null. */
  private nullableLongString(v: unknown, m: number): void {
    if (v === null) this.bytes(NULL);
    else this.longString(v, m);
  }

  /** Key `k` and a number value (keyedNumber) or null. */
  private nullableKeyedNumber(k: number, v: unknown): void {
    if (v !== null) {
      this.keyedNumber(k, v);
      return;
    }
    this.key(k);
    this.bytes(NULL);
  }

  /** A reset's evidence: an array of exactly `{code, detail}` strings (anything else: NotPlain). */
  private evidenceList(v: unknown): void {
    if (!Array.isArray(v) || typeof (v as { toJSON?: unknown }).toJSON === 'function') throw new NotPlain();
    this.byte(0x5b);
    for (let i = 0; i < v.length; i++) {
      if (i > 0) this.byte(0x2c);
      const e: unknown = v[i];
      if (typeof e !== 'object' || e === null || !keysAre(e, EVIDENCE_KEYS)) throw new NotPlain();
      this.vocabString((e as Evidence).code, KEY_CODE_FIRST);
      this.key(KEY_DETAIL);
      this.longString((e as Evidence).detail, i < LONG_DETAILS ? LONG_DETAIL + i : LONG_DETAIL + LONG_DETAILS - 1);
      this.byte(0x7d);
    }
    this.byte(0x5d);
  }

  /** A reset's MP_TCPRST reason: null, or exactly `{code, name, flags}`. */
  private mptcpReason(v: unknown): void {
    if (v === null) {
      this.bytes(NULL);
      return;
    }
    if (typeof v !== 'object' || !keysAre(v, MPTCP_KEYS)) throw new NotPlain();
    const m = v as MptcpReason;
    this.keyedNumber(KEY_CODE_FIRST, m.code);
    this.vocabString(m.name, KEY_NAME);
    this.keyedNumber(KEY_FLAGS, m.flags);
    this.byte(0x7d);
  }

  /** An `after_reset`'s parent: exactly `{id, capture, frame}`. */
  private parentRef(v: unknown): void {
    if (typeof v !== 'object' || v === null || !keysAre(v, PARENT_KEYS)) throw new NotPlain();
    const p = v as ResetRef;
    this.key(KEY_FIRST);
    this.stringMember(p.id);
    this.keyedNumber(KEY_CAPTURE, p.capture);
    this.keyedNumber(KEY_FRAME, p.frame);
    this.byte(0x7d);
  }

  /**
   * A connection record's key (`,"key":`, one of KEY_*): an unaligned 8-byte store of each of
   * its words, the bytes past its end written over by what follows (~15-20 instructions a word,
   * where ByteRows#words' loop over a key's own array cost ~145 a key).
   */
  private key(k: number): void {
    this.ensure(KEY_WORD_BYTES);
    this.at = writeKey(this.data, this.at, k);
  }

  /** A string value; anything else is a value connectionLine does not write (NotPlain). */
  private stringMember(v: unknown): void {
    if (typeof v !== 'string') throw new NotPlain();
    this.string(v);
  }

  /** A string value or null. */
  private nullableStringMember(v: unknown): void {
    if (v === null) this.bytes(NULL);
    else this.stringMember(v);
  }

  /**
   * Key `k` (as key() writes it) and a number value (JSON.stringify's: not finite as null), in one
   * call: the members most lines have most of (a record's 12, a reset's 15), a call is ~20
   * instructions. Most are ports, counts, frames and TTLs: an integer in [0, 2^31) goes to
   * writeInt31 in one call, where writeJsonNumber's checks and calls (writeDigits, digitCount,
   * writeFixed) cost ~300 instructions a number (callgrind, the 512 MiB mix's json run: ~490k
   * numbers, 150 M).
   */
  private keyedNumber(k: number, v: unknown): void {
    if (typeof v !== 'number') throw new NotPlain();
    this.ensure(KEY_WORD_BYTES + 32);
    const at = writeKey(this.data, this.at, k);
    // -0 too: its int32 is 0, and JSON.stringify(-0) is "0".
    const x = v | 0;
    this.at = x === v && x >= 0 ? writeInt31(this.buf, at, x) : writeJsonNumber(this.buf, at, v);
  }

  /**
   * A Community ID (string or null). When it is the last one net/communityId.ts made (a record
   * written as its connection finishes, a reset released at once), its 30 characters are copied
   * from there (lastIdChars; plain base64, nothing to escape): ~1,600 instructions of character
   * loop saved a line.
   */
  private communityIdMember(v: unknown): void {
    if (typeof v === 'string') {
      const chars = lastIdChars(v);
      if (chars !== null) {
        const n = chars.length;
        this.ensure(n + 2);
        const buf = this.buf;
        const at = this.at;
        buf[at] = 0x22;
        buf.set(chars, at + 1);
        buf[at + 1 + n] = 0x22;
        this.at = at + n + 2;
        return;
      }
      // Else as the last ID written, when it is (a record after its resets' lines), kept as a long member's string.
      this.lastString(v, LONG_COMMUNITY_ID);
      return;
    }
    this.nullableStringMember(v);
  }

  /** Key `k` and a vocabulary member's string (vocabString) or null. */
  private nullableVocabMember(k: number, v: unknown): void {
    if (v !== null) {
      this.vocabString(v, k);
      return;
    }
    this.key(k);
    this.bytes(NULL);
  }

  /**
   * Key `k` (none when -1) and a string (else NotPlain) of the members whose values come again
   * and again: from a small set of texts (a reset's cause, rule, stage, verdict, evidence codes,
   * signature; a record's history) or the same hosts (addresses: a server's in every connection
   * to it). Not for the shortest (proto, conn_state, from, origin, flags: 2-5 characters), whose
   * character loop costs less than the lookup (~350 instructions with its Map probe).
   * Copied from the bytes kept for the same text (VOCAB_*), else written and kept; when the
   * texts kept reach VOCAB_TEXTS or their bytes VOCAB_BYTES, all are let go and kept anew. Four
   * bytes at a time: the lookup and the copy cost ~350 instructions (the Map probe ~110) where
   * the character loop of `string` costs ~57 a character (V8's charCodeAt dispatches on the
   * string's representation at each; these members were ~58 % of the characters the loop wrote
   * on the 512 MiB mix's json run, ~2.6 M of 4.5 M: 18 evidence codes, 11 rules, 69 histories…,
   * 400 servers and 14,733 clients in 26,446 connections).
   */
  private vocabString(v: unknown, k: number): void {
    if (typeof v !== 'string') throw new NotPlain();
    if (k >= 0) {
      // The member's key first (key()), in this call rather than one of its own.
      this.ensure(KEY_WORD_BYTES);
      this.at = writeKey(this.data, this.at, k);
    }
    const kept = this.vocab.get(v);
    if (kept !== undefined) {
      const n = kept & 0xff;
      // Whole words: up to three bytes past the text, written over by what follows.
      this.ensure(n + 4);
      const data = this.data;
      const at = this.at;
      const from = this.limit + VOCAB_AT + (kept >>> 8);
      for (let i = 0; i < n; i += 4) data.setInt32(at + i, data.getInt32(from + i, true), true);
      this.at = at + n;
      return;
    }
    if (v.length > VOCAB_LONGEST) {
      this.string(v);
      return;
    }
    // Room first: ensure may move the line, and `start` must be where the string lands.
    this.ensure(v.length * 6 + 2);
    const start = this.at;
    this.string(v);
    const n = this.at - start;
    let used = this.vocabUsed;
    if (used + n > VOCAB_BYTES || this.vocab.size >= VOCAB_TEXTS) {
      this.vocab.clear();
      used = 0;
    }
    this.buf.copyWithin(this.limit + VOCAB_AT + used, start, this.at);
    this.vocab.set(v, (used << 8) | n);
    this.vocabUsed = used + n;
  }

  /** An array of strings (holes, or anything else: NotPlain). */
  private stringList(v: unknown): void {
    if (!Array.isArray(v)) throw new NotPlain();
    this.byte(0x5b);
    for (let i = 0; i < v.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.stringMember(v[i]);
    }
    this.byte(0x5d);
  }

  /** The site named `name`, or null when the writer has too many. */
  private siteOf(name: string): Site | null {
    const last = this.lastSite;
    if (last !== null && last.name === name) return last;
    for (const s of this.sites) {
      if (s.name === name) {
        this.lastSite = s;
        return s;
      }
    }
    const n = this.sites.length;
    if (n >= MAX_SITES) return null;
    const s = new Site(name, n < KEPT_SITES ? n : -1);
    this.sites.push(s);
    this.lastSite = s;
    return s;
  }

  /** Keeps the line just written (bytes [rowStart, at)) as `site`'s previous line. */
  private keep(site: Site): void {
    const n = this.at - this.rowStart;
    if (site.slot < 0 || n > SLOT_BYTES) {
      site.seq = -1;
      return;
    }
    this.buf.copyWithin(this.limit + site.slot * SLOT_BYTES, this.rowStart, this.at);
    site.length = n;
    site.seq = this.seq;
  }

  /** The whole object through JSON.stringify (the exact fallback), after `head` as `line` puts it. */
  private stringified(value: object, head: Uint8Array | null): void {
    const json = JSON.stringify(value);
    if (head === null) {
      this.text(json);
      return;
    }
    this.bytes(head);
    // `{"a":1}` after the head reads `,"a":1}`; `{}` reads `}`.
    this.text(json === '{}' ? '}' : `,${json.slice(1)}`);
  }

  /**
   * Copies `node`'s span of the previous line when it holds what `node` writes now (the same key
   * and, for a primitive, the same value `v`): the run grows when the span follows it there.
   */
  private reused(node: ShapeNode, v: unknown): boolean {
    if (node.seq !== this.previousSeq || node.written !== v) return false;
    const from = node.start;
    const to = node.end;
    // Where the span lands: after the bytes written and the run still to be copied (a method
    // of its own was left a call by TurboFan, 33 M instructions of a mix's json run).
    const at = this.at - this.rowStart + (this.runTo - this.runFrom);
    if (this.runTo !== from) {
      if (this.runTo !== this.runFrom) this.copyRun();
      this.runFrom = from;
    }
    this.runTo = to;
    node.seq = this.seq;
    node.start = at;
    node.end = at + (to - from);
    return true;
  }

  /**
   * Begins `node`'s member with its key's bytes (`"key":`, with its comma; none for an element)
   * and returns where the member starts in this line. Where `node` wrote in the previous line
   * right after the run of bytes still to be copied from it, its span there opens with the same
   * bytes: they join the run (one copy for the unchanged members before it and this key) rather
   * than being written again; the caller copies the run (copyRun) before writing a value.
   */
  private keyed(node: ShapeNode): number {
    const previous = this.previousSeq;
    const runTo = this.runTo;
    if (previous >= 0 && node.seq === previous && runTo === node.start && runTo !== this.runFrom) {
      // The key follows the run: one copy for both.
      this.runTo = runTo + node.keyBytes.length;
      return this.at - this.rowStart + (runTo - this.runFrom);
    }
    // Otherwise its bytes are written (a run of the key alone cost a copyRun call, ~200
    // instructions, where the key's words cost ~20: 142 M instructions of a mix's json run).
    if (runTo !== this.runFrom) this.copyRun();
    const start = this.at - this.rowStart;
    const words = node.keyWords;
    if (words !== null) this.words(words, node.keyBytes.length);
    else if (node.keyBytes.length > 0) this.bytes(node.keyBytes);
    return start;
  }

  /** Notes that `node` wrote `v` (KEY_ONLY: its key) in bytes [start, position) of this line. */
  private wrote(node: ShapeNode, v: unknown, start: number): void {
    node.seq = this.seq;
    node.start = start;
    // (A key copied from the previous line may still be in the run: position counts it.)
    node.end = this.at - this.rowStart + (this.runTo - this.runFrom);
    node.written = v;
  }

  /** One punctuation byte: part of the run when the previous line has the same byte there. */
  private punctuation(b: number): void {
    const to = this.runTo;
    if (to !== this.runFrom && to < this.previousLength && this.buf[this.limit + this.slot * SLOT_BYTES + to] === b) {
      this.runTo = to + 1;
      return;
    }
    if (this.runTo !== this.runFrom) this.copyRun();
    this.byte(b);
  }

  /**
   * Copies the run of the previous line's bytes still to be copied, which must not be empty: each
   * caller checks `runTo !== runFrom` first, in place (most find no run; a call that returned at
   * once was ~30 instructions, ~10 M a pass of the 128 MiB prefix's 9,359 JSON lines).
   */
  private copyRun(): void {
    const from = this.runFrom;
    const n = this.runTo - from;
    this.runFrom = 0;
    this.runTo = 0;
    this.ensure(n);
    // After ensure: the buffer may have grown, and the kept lines moved with the limit.
    const base = this.limit + this.slot * SLOT_BYTES + from;
    const buf = this.buf;
    const at = this.at;
    // copyWithin costs ~20 ns a call (a C++ builtin): a short run four bytes at a time (one
    // unaligned load and store each, where a byte loop took ~8 instructions a byte), then bytes.
    if (n > SHORT_RUN) buf.copyWithin(at, base, base + n);
    else {
      const data = this.data;
      let i = 0;
      for (; i + 8 <= n; i += 8) {
        data.setInt32(at + i, data.getInt32(base + i, true), true);
        data.setInt32(at + i + 4, data.getInt32(base + i + 4, true), true);
      }
      if (i + 4 <= n) {
        data.setInt32(at + i, data.getInt32(base + i, true), true);
        i += 4;
      }
      for (; i < n; i++) buf[at + i] = buf[base + i] as number;
    }
    this.at = at + n;
  }

  /**
   * A member or element at `node`: its key's bytes (none for an element) and its value, copied
   * from the previous line where that line wrote the same there.
   */
  private value(v: unknown, node: ShapeNode, depth: number): void {
    if (typeof v === 'object' && v !== null) {
      // The key alone (the value's bytes are its members' or elements').
      // (Its `{` or `[` may join the run: punctuation decides.)
      if (!this.reused(node, KEY_ONLY)) this.wrote(node, KEY_ONLY, this.keyed(node));
      if (Array.isArray(v)) this.array(v, node, depth);
      else this.object(v, this.valueNode(node), depth);
      return;
    }
    if (this.reused(node, v)) return;
    const start = this.keyed(node);
    if (this.runTo !== this.runFrom) this.copyRun();
    // typeof compared in place (not switched on): TurboFan turns each into a type check.
    if (typeof v === 'string') this.keptString(v, node);
    else if (typeof v === 'number') this.number(v);
    else if (v === null) this.bytes(NULL);
    else if (typeof v === 'boolean') this.bytes(v ? TRUE : FALSE);
    // undefined, functions and symbols never reach here (members skip them, elements are null);
    // a bigint makes JSON.stringify throw: let it.
    else throw new NotPlain();
    this.wrote(node, v, start);
  }

  /** The root node of the objects written as `node`'s value. */
  private valueNode(node: ShapeNode): ShapeNode {
    let root = node.value;
    if (root === null) {
      root = this.newNode('', EMPTY);
      node.value = root;
    }
    return root;
  }

  private newNode(key: string, keyBytes: Uint8Array): ShapeNode {
    if (++this.nodes > MAX_NODES) throw new NotPlain();
    return new ShapeNode(key, keyBytes);
  }

  /** A plain object: `{`, its members, `}`. */
  private object(o: object, root: ShapeNode, depth: number): void {
    this.punctuation(0x7b);
    this.members(o, root, depth, true);
    this.punctuation(0x7d);
  }

  /**
   * The members of a plain object as JSON.stringify writes them: own enumerable string keys in
   * property order (for-in gives that order for an ordinary object whose prototype adds no
   * enumerable keys), undefined, function and symbol values left out.
   */
  private members(o: object, root: ShapeNode, depth: number, first: boolean): void {
    if (depth > MAX_DEPTH) throw new NotPlain();
    const proto = Object.getPrototypeOf(o);
    if ((proto !== Object.prototype && proto !== null) || typeof (o as { toJSON?: unknown }).toJSON === 'function') throw new NotPlain();
    let node = root;
    for (const key in o) {
      const v = (o as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      let next = node.child(key);
      if (next === null) {
        // A member after the first has its comma in its key's bytes (one copy instead of two writes).
        next = this.newNode(key, this.keyBytesOf(key, node !== root));
        if (!node.add(next)) throw new NotPlain();
      }
      if (node === root && !first) this.punctuation(0x2c);
      node = next;
      this.value(v, next, depth + 1);
    }
  }

  /** `"key":` as UTF-8, after a comma when `comma`. */
  private keyBytesOf(key: string, comma: boolean): Uint8Array {
    const json = `${comma ? ',' : ''}${JSON.stringify(key)}:`;
    return new Uint8Array(Buffer.from(json, 'utf8'));
  }

  /** An array: holes, undefined, functions and symbols as null, as JSON.stringify writes them. */
  private array(a: readonly unknown[], node: ShapeNode, depth: number): void {
    if (depth > MAX_DEPTH) throw new NotPlain();
    let elements = node.elements;
    if (elements === null) {
      elements = [];
      node.elements = elements;
    }
    this.punctuation(0x5b);
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.punctuation(0x2c);
      let v = a[i];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') v = null;
      const place = i < ELEMENT_NODES ? i : ELEMENT_NODES - 1;
      let element = elements[place];
      if (element === undefined) {
        element = this.newNode('', EMPTY);
        elements[place] = element;
      }
      this.value(v, element, depth + 1);
    }
    this.punctuation(0x5d);
  }

  /**
   * A string: copied from `node` when it is the one written there last (the same text), else
   * encoded, and kept there while the node hits often enough to pay for the copy kept.
   */
  private keptString(s: string, node: ShapeNode): void {
    const kept = node.textBytes;
    if (kept !== null && node.text === s) {
      node.hits++;
      this.bytes(kept);
      return;
    }
    const misses = ++node.misses;
    if (misses > KEEP_TRIES && misses > node.hits * MISS_RATIO) {
      // Strings here differ every time (ids, Community IDs): encode, keep nothing.
      if (kept !== null) {
        node.text = null;
        node.textBytes = null;
      }
      // Look again now and then: the strings written here may start to repeat.
      if (misses > RETRY_AFTER) {
        node.misses = 0;
        node.hits = 0;
      }
      this.string(s);
      return;
    }
    // Room first: ensure may move the line, and `start` must be where the string lands.
    this.ensure(s.length * 6 + 2);
    const start = this.at;
    this.string(s);
    node.text = s;
    node.textBytes = this.buf.slice(start, this.at);
  }

  /**
   * A string as JSON.stringify writes it (ECMA-262 QuoteJSONString, well-formed since ES2019):
   * `"` and `\` escaped, control characters as \b \t \n \f \r or \u00xx, lone surrogates as
   * \udxxx, everything else as UTF-8.
   */
  private string(s: string): void {
    const n = s.length;
    // At most six bytes per UTF-16 unit (\u00xx), plus the quotes.
    this.ensure(n * 6 + 2);
    const buf = this.buf;
    let at = this.at;
    if (n >= NATIVE_FROM) {
      // Buffer's UTF-8 writer, then a look at the bytes it wrote: none that JSON escapes (a
      // control character, `"`, `\`) and no 0xef (the lead byte of U+FFFD, which it writes for a
      // lone surrogate, where JSON.stringify writes \udxxx): they are the string's JSON. Else the
      // loop below writes it again over them.
      const written = utf8Write(this.view, s, at + 1, n * 3);
      if (plainUtf8(buf, this.ints, at + 1, at + 1 + written)) {
        buf[at] = 0x22;
        buf[at + 1 + written] = 0x22;
        this.at = at + 2 + written;
        return;
      }
    }
    buf[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt.call(s, i);
      if (c >= 0x20 && c < 0x80) {
        if (c === 0x22 || c === 0x5c) {
          buf[at++] = 0x5c;
          buf[at++] = c;
        } else buf[at++] = c;
      } else if (c < 0x20) {
        at = escapeControl(buf, at, c);
      } else if (c < 0x800) {
        buf[at++] = 0xc0 | (c >> 6);
        buf[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[at++] = 0xe0 | (c >> 12);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      } else {
        const low = i + 1 < n ? charCodeAt.call(s, i + 1) : 0;
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          buf[at++] = 0xf0 | (cp >> 18);
          buf[at++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[at++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[at++] = 0x80 | (cp & 0x3f);
          i++;
        } else at = escapeUnit(buf, at, c);
      }
    }
    buf[at++] = 0x22;
    this.at = at;
  }

  /** A number as JSON.stringify writes it (Number::toString; not finite: null; -0: 0). */
  private number(x: number): void {
    this.ensure(32);
    this.at = writeJsonNumber(this.buf, this.at, x);
  }
}

/**
 * Strings this long or longer are written by Buffer's UTF-8 writer and their bytes checked
 * (plainUtf8): a call costs a few hundred instructions, more than the loop of `string` for a few
 * characters but less for hints, details, signatures and Community IDs. Until session 11 a
 * regular expression (printable ASCII only) chose the strings that went native, as latin1: the
 * expression cost more than the check of the bytes, and every signature (its `→`) took the loop.
 * The 128 MiB prefix's 9,359 JSON lines, written by JsonSpool as bundled in analyze.cjs, under
 * callgrind: 298.8 M instructions a pass before, 269.3 M after (260.0 M with copyRun's check in
 * place at its calls, ensure's in ByteRows). From 12 to 40 characters (session 13: Community IDs,
 * addresses, codes) the loop costs less than the call: the 128 MiB prefix's json run, callgrind
 * one thread, 4,251 -> 4,213 M instructions (V8 and Node's C++ -33 M, JavaScript +20 M, the
 * collector -22 M; 80 and no native call at all cost more than 40).
 */
const NATIVE_FROM = 40;
/**
 * Buffer's own UTF-8 writer, which Buffer#write(s, at, n, 'utf8') ends in after checking its
 * arguments and looking the encoding up (node's lib/buffer.js: ~650 instructions a call, more than
 * the copy of a hint's bytes); ours are checked already (ensure: room for 3 bytes a UTF-16 unit).
 * Not in Node's documented API, so Buffer#write stands in where a node lacks it.
 */
interface Utf8Native {
  utf8Write(s: string, offset: number, length: number): number;
}
const NATIVE_UTF8 = typeof (Buffer.prototype as Partial<Utf8Native>).utf8Write === 'function';

/** Writes `s` as UTF-8 (a lone surrogate as U+FFFD) into `view` at `at`, at most `max` bytes; the bytes written. */
function utf8Write(view: Buffer, s: string, at: number, max: number): number {
  return NATIVE_UTF8 ? (view as unknown as Utf8Native).utf8Write(s, at, max) : view.write(s, at, max, 'utf8');
}

/**
 * True when bytes [from, to) of `buf` (UTF-8) hold no byte below 0x20, no `"` (0x22), no `\`
 * (0x5c) and no 0xef: then they are, in quotes, what JSON.stringify writes for the string they
 * encode. Eight bytes at a time, as two aligned words of `ints` (buf's Int32Array): a word has a
 * byte below 0x20 when (x - 0x20202020) & ~x has a high bit set, and a byte equal to c when
 * x ^ (c in every byte) has a zero byte (the tests of "Bit Twiddling Hacks", exact for whether
 * any byte matches; the same in every byte, so whatever the byte order); the bytes before the
 * first word boundary and after the last whole pair one by one. A word at a time through a
 * DataView's getInt32 cost ~14 instructions a byte checked (69 M of the 512 MiB mix's json run:
 * hints and evidence details).
 */
function plainUtf8(buf: Uint8Array, ints: Int32Array, from: number, to: number): boolean {
  let i = from;
  for (; i < to && (i & 3) !== 0; i++) {
    const c = buf[i] as number;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0xef) return false;
  }
  // Two words an iteration: V8 re-checks the array's map, reloads its length and data and
  // retags the index at every iteration (~30 instructions), the test of a word is ~22. The test
  // written out twice (a function for it stayed a call: the bin's inlining budget) and its
  // constants in place: the bundle makes module constants `var`s, which TurboFan reads from the
  // context (two of these would be heap numbers there).
  for (; i + 8 <= to; i += 8) {
    const w = i >> 2;
    const x = ints[w] as number;
    const y = ints[w + 1] as number;
    const xq = x ^ 0x22222222;
    const xb = x ^ 0x5c5c5c5c;
    const xe = x ^ (0xefefefef | 0);
    const yq = y ^ 0x22222222;
    const yb = y ^ 0x5c5c5c5c;
    const ye = y ^ (0xefefefef | 0);
    const xs = ((x - 0x20202020) & ~x) | ((xq - 0x01010101) & ~xq) | ((xb - 0x01010101) & ~xb) | ((xe - 0x01010101) & ~xe);
    const ys = ((y - 0x20202020) & ~y) | ((yq - 0x01010101) & ~yq) | ((yb - 0x01010101) & ~yb) | ((ye - 0x01010101) & ~ye);
    if ((xs | ys) & (0x80808080 | 0)) return false;
  }
  for (; i < to; i++) {
    const c = buf[i] as number;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0xef) return false;
  }
  return true;
}

const EMPTY = new Uint8Array(0);
const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);
const TRUE = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** A control character as JSON.stringify writes it: \b \t \n \f \r, else \u00xx. */
function escapeControl(buf: Uint8Array, at: number, c: number): number {
  buf[at++] = 0x5c;
  switch (c) {
    case 0x08:
      buf[at++] = 0x62;
      return at;
    case 0x09:
      buf[at++] = 0x74;
      return at;
    case 0x0a:
      buf[at++] = 0x6e;
      return at;
    case 0x0c:
      buf[at++] = 0x66;
      return at;
    case 0x0d:
      buf[at++] = 0x72;
      return at;
    default:
      at--;
      return escapeUnit(buf, at, c);
  }
}

/** One UTF-16 unit as \uxxxx (lowercase hex, as V8 writes it). */
function escapeUnit(buf: Uint8Array, at: number, c: number): number {
  buf[at++] = 0x5c;
  buf[at++] = 0x75;
  buf[at++] = HEX[(c >> 12) & 15] as number;
  buf[at++] = HEX[(c >> 8) & 15] as number;
  buf[at++] = HEX[(c >> 4) & 15] as number;
  buf[at++] = HEX[c & 15] as number;
  return at;
}

/**
 * Writes `x` as JSON.stringify would into `buf` at `at` (room for 32 bytes is the caller's);
 * returns the end. Integers and numbers of at most six decimals below 2^33 (times, durations,
 * confidences) are written digit by digit; anything else through String(x).
 */
export function writeJsonNumber(buf: Uint8Array, at: number, x: number): number {
  if (!Number.isFinite(x)) {
    buf.set(NULL, at);
    return at + 4;
  }
  if (x === 0) {
    // -0 too: JSON.stringify(-0) is "0".
    buf[at] = 0x30;
    return at + 1;
  }
  let v = x;
  if (v < 0) {
    buf[at++] = 0x2d;
    v = -v;
  }
  if (Number.isInteger(v) && v <= MAX_SAFE) return writeDigits(buf, at, v);
  if (v < TWO_POW_33 && v >= 1e-6) {
    const micros = Math.round(v * 1e6);
    if (micros / 1e6 === v) {
      // v is micros / 1e6 exactly: its whole part is floor(v), its fraction micros - whole * 1e6
      // (integers below 2^53, so exact), below 10^6: int32 arithmetic from here (a double's
      // % is a call to fmod).
      const whole = Math.floor(v);
      at = writeDigits(buf, at, whole);
      let frac = (micros - whole * 1e6) | 0;
      // frac > 0: v is not an integer. Six digits with leading zeros, trailing zeros dropped:
      // two at a time while the last two are zeros, then one.
      let digits = 6;
      let q = (frac / 100) | 0;
      while (frac === q * 100) {
        frac = q;
        digits -= 2;
        q = (frac / 100) | 0;
      }
      q = (frac / 10) | 0;
      if (frac === q * 10) {
        frac = q;
        digits--;
      }
      buf[at++] = 0x2e;
      const end = at + digits;
      writeFixed(buf, end, frac, digits);
      return end;
    }
  }
  const text = String(v);
  for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
  return at;
}

/**
 * "00" to "99": each pair of digits as two bytes, so a number is written two digits per division
 * (the writers' numbers are mostly times, sequence numbers and ports of 5-10 digits).
 */
const PAIRS = (() => {
  const pairs = new Uint8Array(200);
  for (let i = 0; i < 100; i++) {
    pairs[2 * i] = 0x30 + ((i / 10) | 0);
    pairs[2 * i + 1] = 0x30 + (i % 10);
  }
  return pairs;
})();

/** The decimal digits of an int32 `x` >= 0, exactly `digits` of them (leading zeros), ending before `end`. */
function writeFixed(buf: Uint8Array, end: number, x: number, digits: number): void {
  let p = end;
  let n = digits;
  while (n >= 2) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) << 1;
    buf[--p] = PAIRS[r + 1] as number;
    buf[--p] = PAIRS[r] as number;
    x = q;
    n -= 2;
  }
  if (n === 1) buf[--p] = 0x30 + x;
}

/**
 * The digits of an int32 `x` >= 0 at `at` (keyedNumber's integers): the count and the pairs of
 * writeFixed in one function, no calls; returns the end.
 */
function writeInt31(buf: Uint8Array, at: number, x: number): number {
  if (x < 10) {
    buf[at] = 0x30 + x;
    return at + 1;
  }
  const len = x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
  const end = at + len;
  let p = end;
  while (x >= 100) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) << 1;
    buf[--p] = PAIRS[r + 1] as number;
    buf[--p] = PAIRS[r] as number;
    x = q;
  }
  if (x >= 10) {
    const r = x << 1;
    buf[--p] = PAIRS[r + 1] as number;
    buf[--p] = PAIRS[r] as number;
  } else buf[--p] = 0x30 + x;
  return end;
}

/** Decimal digits of an int32 `x` >= 0. */
function digitCount(x: number): number {
  return x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
}

/** 10^8: integers from 2^31 up split at it, into two int32 parts. */
const E8 = 100000000;

/** A non-negative integer below 2^53 in decimal. */
function writeDigits(buf: Uint8Array, at: number, v: number): number {
  if (v < 10) {
    buf[at] = 0x30 + v;
    return at + 1;
  }
  if (v < 2147483648) {
    // Small integers in int32 arithmetic (most: ports, frames, counts, the seconds of a time).
    const x = v | 0;
    const len = digitCount(x);
    writeFixed(buf, at + len, x, len);
    return at + len;
  }
  // 2^31 <= v < 2^53 (sequence numbers): the digits above the last eight (below 2^53 / 10^8 <
  // 2^27) and the last eight, each in int32 arithmetic; both parts exact.
  // floor(v / 10^8) is exact: the quotient is below 2^27, where a double's spacing is at most
  // 2^-26 < 2e-8, and a remainder of at most 10^8 - 1 leaves it at least 1e-8 below the next
  // integer, too far to round up to it. high * 10^8 is exact too (below 2^53).
  const high = Math.floor(v / E8);
  const low = (v - high * E8) | 0;
  const hx = high | 0;
  const len = digitCount(hx);
  writeFixed(buf, at + len, hx, len);
  writeFixed(buf, at + len + 8, low, 8);
  return at + len + 8;
}

/**
 * The members of a connection record (explain/connectionRecord.ts connectionRecordOf), in its
 * order; `radar_category` comes before the Community ID only in the records that have one.
 */
const CONNECTION_MEMBERS = ['id', 'ts', 'orig_h', 'orig_p', 'resp_h', 'resp_p', 'duration', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'conn_state', 'history', 'resets', 'capture', 'proto', 'missed_bytes', 'orig_ip_bytes', 'resp_ip_bytes', 'community_id'];
const RADAR_AT = 19;

/**
 * The keys connectionLine and resetLine write, with their punctuation: `{"id":`, then `,"key":`
 * for each member of a connection record, then those of a reset and of the objects in it.
 */
const RECORD_KEYS = ['{"id":', ...CONNECTION_MEMBERS.map((k) => `,"${k}":`), ',"radar_category":'];
for (const k of ['frame', 'conn', 'src', 'sport', 'dst', 'dport', 'from', 'flags', 'ttl', 'ip_id', 'seq', 'ack', 'win', 'payload_len', 'stage', 'cause', 'verdict', 'origin', 'confidence', 'evidence', 'signature', 'hint', 'reason_text', 'mptcp_reason', 'rule', 'parent', 'duplicates', 'detail', 'name']) {
  RECORD_KEYS.push(`,"${k}":`);
}
RECORD_KEYS.push('{"code":');
/** A key's words: three, 24 bytes, room for the longest key (`,"radar_category":`, 19 bytes). */
const KEY_WORDS = 3;
const KEY_WORD_BYTES = KEY_WORDS * 8;
const RECORD_KEY_WORDS = new Float64Array(RECORD_KEYS.length * KEY_WORDS);
const RECORD_KEY_LENGTHS = new Uint8Array(RECORD_KEYS.length);
for (let k = 0; k < RECORD_KEYS.length; k++) {
  const bytes = Buffer.from(RECORD_KEYS[k] as string, 'latin1');
  if (bytes.length > KEY_WORD_BYTES) throw new Error(`key ${RECORD_KEYS[k]} cannot be written as ${KEY_WORDS} words`);
  // Read little-endian whatever the platform, as key() stores them (a constant byte order: no
  // branch on it in key's code). Printable ASCII never reads as a NaN (asWords).
  const padded = new Uint8Array(KEY_WORD_BYTES);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  for (let w = 0; w < KEY_WORDS; w++) {
    const x = view.getFloat64(8 * w, true);
    if (Number.isNaN(x)) throw new Error(`key ${RECORD_KEYS[k]} cannot be written as ${KEY_WORDS} words`);
    RECORD_KEY_WORDS[k * KEY_WORDS + w] = x;
  }
  RECORD_KEY_LENGTHS[k] = bytes.length;
}
/**
 * Writes key `k` (RECORD_KEYS) at `at` of `data` (room for KEY_WORD_BYTES is the caller's);
 * returns its end. Little-endian, as the words were read: a constant byte order (LITTLE_ENDIAN is
 * a variable in the bundle: TurboFan wrote both orders' stores and a branch at each).
 */
function writeKey(data: DataView, at: number, k: number): number {
  const o = k * KEY_WORDS;
  const n = RECORD_KEY_LENGTHS[k] as number;
  data.setFloat64(at, RECORD_KEY_WORDS[o] as number, true);
  if (n > 8) data.setFloat64(at + 8, RECORD_KEY_WORDS[o + 1] as number, true);
  if (n > 16) data.setFloat64(at + 16, RECORD_KEY_WORDS[o + 2] as number, true);
  return at + n;
}

/** The index of `,"name":` in RECORD_KEYS. */
function keyAt(name: string): number {
  const k = RECORD_KEYS.indexOf(`,"${name}":`);
  if (k < 0) throw new Error(`no key ${name}`);
  return k;
}
const KEY_FIRST = 0;
const KEY_TS = keyAt('ts');
const KEY_ORIG_H = keyAt('orig_h');
const KEY_ORIG_P = keyAt('orig_p');
const KEY_RESP_H = keyAt('resp_h');
const KEY_RESP_P = keyAt('resp_p');
const KEY_DURATION = keyAt('duration');
const KEY_ORIG_BYTES = keyAt('orig_bytes');
const KEY_RESP_BYTES = keyAt('resp_bytes');
const KEY_ORIG_PKTS = keyAt('orig_pkts');
const KEY_RESP_PKTS = keyAt('resp_pkts');
const KEY_CONN_STATE = keyAt('conn_state');
const KEY_HISTORY = keyAt('history');
const KEY_RESETS = keyAt('resets');
const KEY_CAPTURE = keyAt('capture');
const KEY_PROTO = keyAt('proto');
const KEY_MISSED_BYTES = keyAt('missed_bytes');
const KEY_ORIG_IP_BYTES = keyAt('orig_ip_bytes');
const KEY_RESP_IP_BYTES = keyAt('resp_ip_bytes');
const KEY_COMMUNITY_ID = keyAt('community_id');
const KEY_RADAR_CATEGORY = keyAt('radar_category');
/** `,"id":`: the first key after an ndjson line's head. */
const KEY_FIRST_AFTER_HEAD = keyAt('id');
const KEY_FRAME = keyAt('frame');
const KEY_CONN = keyAt('conn');
const KEY_SRC = keyAt('src');
const KEY_SPORT = keyAt('sport');
const KEY_DST = keyAt('dst');
const KEY_DPORT = keyAt('dport');
const KEY_FROM = keyAt('from');
const KEY_FLAGS = keyAt('flags');
const KEY_TTL = keyAt('ttl');
const KEY_IP_ID = keyAt('ip_id');
const KEY_SEQ = keyAt('seq');
const KEY_ACK = keyAt('ack');
const KEY_WIN = keyAt('win');
const KEY_PAYLOAD_LEN = keyAt('payload_len');
const KEY_STAGE = keyAt('stage');
const KEY_CAUSE = keyAt('cause');
const KEY_VERDICT = keyAt('verdict');
const KEY_ORIGIN = keyAt('origin');
const KEY_CONFIDENCE = keyAt('confidence');
const KEY_EVIDENCE = keyAt('evidence');
const KEY_SIGNATURE = keyAt('signature');
const KEY_HINT = keyAt('hint');
const KEY_REASON_TEXT = keyAt('reason_text');
const KEY_MPTCP_REASON = keyAt('mptcp_reason');
const KEY_RULE = keyAt('rule');
const KEY_PARENT = keyAt('parent');
const KEY_DUPLICATES = keyAt('duplicates');
const KEY_DETAIL = keyAt('detail');
const KEY_NAME = keyAt('name');
/** `{"code":`: the first key of an evidence item and of an MP_TCPRST reason. */
const KEY_CODE_FIRST = RECORD_KEYS.indexOf('{"code":');

/**
 * Whether `c`'s enumerable keys are exactly a connection record's, in its order: 0 without a
 * Radar category, 1 with one, -1 for anything else (another shape, a toJSON).
 */
function recordKeysOf(c: object): number {
  // No look at the prototype (Object.getPrototypeOf was a runtime call a record): one with
  // enumerable keys shows them below, and JSON.stringify writes an object of any other
  // prototype by its own keys too, but for a toJSON.
  if (typeof (c as { toJSON?: unknown }).toJSON === 'function') return -1;
  let i = 0;
  let radar = 0;
  for (const key in c) {
    if (i === RADAR_AT && radar === 0 && key === 'radar_category') {
      radar = 1;
      continue;
    }
    if (i >= CONNECTION_MEMBERS.length || key !== CONNECTION_MEMBERS[i]) return -1;
    i++;
  }
  return i === CONNECTION_MEMBERS.length ? radar : -1;
}

/** A reset's members, in explainReset's order, up to `rule`; `parent`, `duplicates` and `community_id` may follow, in that order. */
const RESET_MEMBERS = ['id', 'ts', 'capture', 'frame', 'conn', 'src', 'sport', 'dst', 'dport', 'from', 'flags', 'ttl', 'ip_id', 'seq', 'ack', 'win', 'payload_len', 'stage', 'cause', 'verdict', 'origin', 'confidence', 'evidence', 'signature', 'hint', 'reason_text', 'mptcp_reason', 'rule'];
const TAIL_PARENT = 1;
const TAIL_DUPLICATES = 2;
const TAIL_COMMUNITY_ID = 4;
const EVIDENCE_KEYS = ['code', 'detail'];
const MPTCP_KEYS = ['code', 'name', 'flags'];
const PARENT_KEYS = ['id', 'capture', 'frame'];

/**
 * Whether `r`'s enumerable keys are exactly a reset's (RESET_MEMBERS, then any of `parent`,
 * `duplicates`, `community_id` in that order): which of those three it has (TAIL_*), or -1.
 */
function resetKeysOf(r: object): number {
  if (typeof (r as { toJSON?: unknown }).toJSON === 'function') return -1;
  let i = 0;
  let tail = 0;
  for (const key in r) {
    if (i < RESET_MEMBERS.length) {
      if (key !== RESET_MEMBERS[i]) return -1;
      i++;
    } else if (key === 'parent' && tail === 0) tail = TAIL_PARENT;
    else if (key === 'duplicates' && tail < TAIL_DUPLICATES) tail |= TAIL_DUPLICATES;
    else if (key === 'community_id' && tail < TAIL_COMMUNITY_ID) tail |= TAIL_COMMUNITY_ID;
    else return -1;
  }
  return i === RESET_MEMBERS.length ? tail : -1;
}

/** Whether `o`'s enumerable keys are exactly `keys`, in that order, and it has no toJSON. */
function keysAre(o: object, keys: readonly string[]): boolean {
  if (typeof (o as { toJSON?: unknown }).toJSON === 'function') return false;
  let i = 0;
  for (const key in o) {
    if (i >= keys.length || key !== keys[i]) return false;
    i++;
  }
  return i === keys.length;
}
