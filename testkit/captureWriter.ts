/**
 * Capture-file writers for tests and the benchmark: classic pcap (either byte order, µs or ns
 * magic, any snaplen and link type, snaplen-cut records) as one Uint8Array or streamed to a file
 * descriptor in large chunks, and pcapng (several sections in either byte order, several
 * interfaces with their own link type, if_tsresol in both forms, if_tsoffset, EPB / SPB / the
 * obsolete PB, NRB, ISB, DSB, custom and unknown blocks). Formats: the tcpdump.org pcap page and
 * draft-ietf-opsawg-pcapng. Every field a reader test may want to lie about has an override.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** 'le' little-endian, 'be' big-endian. */
export type ByteOrder = 'le' | 'be';

/** Classic pcap magic numbers (as written in the file's byte order). */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;

const NS_PER_S = 1_000_000_000n;

/**
 * Epoch nanoseconds of a timestamp given as float seconds (`ts`) or exactly (`tsNanos`, which
 * wins). Float seconds near 1.7e9 carry only ~0.2 µs of precision: use `tsNanos` for ns tests.
 */
export function epochNanos(ts: number, tsNanos?: bigint): bigint {
  if (tsNanos !== undefined) return tsNanos;
  const sec = Math.floor(ts);
  return BigInt(sec) * NS_PER_S + BigInt(Math.round((ts - sec) * 1e9));
}

/** Splits a timestamp into whole seconds and a fraction in units of 1/`perSecond` (rounded to nearest). */
function splitTs(ts: number, tsNanos: bigint | undefined, perSecond: number): [number, number] {
  if (tsNanos !== undefined) {
    const per = BigInt(perSecond);
    const units = (tsNanos * per + NS_PER_S / 2n) / NS_PER_S;
    return [Number(units / per), Number(units % per)];
  }
  let sec = Math.floor(ts);
  let frac = Math.round((ts - sec) * perSecond);
  if (frac >= perSecond) {
    sec += 1;
    frac -= perSecond;
  }
  return [sec, frac];
}

// ---------------------------------------------------------------------------------------------
// Classic pcap

/** One classic pcap record. */
export interface PcapRecord {
  /** Epoch seconds (float). */
  readonly ts: number;
  /** Exact epoch nanoseconds; overrides `ts`. */
  readonly tsNanos?: bigint;
  readonly data: Uint8Array;
  /** Bytes of `data` written; default min(data.length, snaplen). */
  readonly caplen?: number;
  /** Original length on the wire; default data.length. */
  readonly origLen?: number;
  /** Written into the caplen field instead of the number of bytes written (malformed tests). */
  readonly caplenField?: number;
}

/** File-header options of a classic pcap. */
export interface PcapOptions {
  /** LINKTYPE_*, default 1 (Ethernet). Upper bits (FCS info) may be set by the caller. */
  readonly linkType?: number;
  /** Default 262144. */
  readonly snaplen?: number;
  /** Nanosecond magic 0xa1b23c4d instead of 0xa1b2c3d4. */
  readonly nanos?: boolean;
  /** Default 'le'. */
  readonly byteOrder?: ByteOrder;
  readonly versionMajor?: number;
  readonly versionMinor?: number;
  /** Written instead of the magic (malformed tests). */
  readonly magicOverride?: number;
}

/** The 24-byte pcap file header. */
export function pcapHeader(opts: PcapOptions = {}): Uint8Array {
  const out = new Uint8Array(24);
  const dv = new DataView(out.buffer);
  const le = (opts.byteOrder ?? 'le') === 'le';
  dv.setUint32(0, opts.magicOverride ?? (opts.nanos ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS), le);
  dv.setUint16(4, opts.versionMajor ?? 2, le);
  dv.setUint16(6, opts.versionMinor ?? 4, le);
  dv.setUint32(16, opts.snaplen ?? 262144, le);
  dv.setUint32(20, opts.linkType ?? 1, le);
  return out;
}

/** Bytes of `rec.data` a record keeps under `snaplen`. */
function keptLength(rec: PcapRecord, snaplen: number): number {
  return Math.min(rec.caplen ?? rec.data.length, rec.data.length, snaplen > 0 ? snaplen : Number.POSITIVE_INFINITY);
}

/** Writes a 16-byte record header at `o` in `dv`; returns the number of data bytes to follow. */
function putRecordHeader(dv: DataView, o: number, rec: PcapRecord, le: boolean, nanos: boolean, snaplen: number): number {
  const n = keptLength(rec, snaplen);
  const [sec, frac] = splitTs(rec.ts, rec.tsNanos, nanos ? 1e9 : 1e6);
  dv.setUint32(o, sec >>> 0, le);
  dv.setUint32(o + 4, frac, le);
  dv.setUint32(o + 8, rec.caplenField ?? n, le);
  dv.setUint32(o + 12, rec.origLen ?? rec.data.length, le);
  return n;
}

/** A whole classic pcap file in memory. */
export function writePcap(records: readonly PcapRecord[], opts: PcapOptions = {}): Uint8Array {
  const snaplen = opts.snaplen ?? 262144;
  let size = 24;
  for (const r of records) size += 16 + keptLength(r, snaplen);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(pcapHeader(opts), 0);
  const le = (opts.byteOrder ?? 'le') === 'le';
  let o = 24;
  for (const r of records) {
    const n = putRecordHeader(dv, o, r, le, opts.nanos === true, snaplen);
    out.set(r.data.subarray(0, n), o + 16);
    o += 16 + n;
  }
  return out;
}

/** Options of the streaming writer. */
export interface PcapStreamOptions extends PcapOptions {
  /** Bytes buffered before each write(2); default 8 MiB. */
  readonly chunkSize?: number;
}

/**
 * A classic pcap written straight to a file descriptor in large chunks, for captures too big to
 * hold in memory (the benchmark writes ≥ 512 MiB). Memory use is one chunk.
 */
export class PcapStreamWriter {
  /** Bytes handed to the file so far plus those still buffered. */
  bytesWritten = 0;
  /** Records written. */
  packets = 0;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly chunk: Uint8Array;
  private readonly dv: DataView;
  private used = 0;
  private readonly le: boolean;
  private readonly nanos: boolean;
  private readonly snaplen: number;
  private closed = false;

  /** Writes the file header at once; `fd` stays open on close() unless the writer opened it. */
  constructor(fd: number, opts: PcapStreamOptions = {}, ownsFd = false) {
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.chunk = new Uint8Array(Math.max(opts.chunkSize ?? 8 << 20, 64 << 10));
    this.dv = new DataView(this.chunk.buffer);
    this.le = (opts.byteOrder ?? 'le') === 'le';
    this.nanos = opts.nanos === true;
    this.snaplen = opts.snaplen ?? 262144;
    this.append(pcapHeader(opts));
  }

  /** Creates (truncates) `path` and writes a pcap into it. */
  static create(path: string, opts: PcapStreamOptions = {}): PcapStreamWriter {
    return new PcapStreamWriter(openSync(path, 'w'), opts, true);
  }

  /** Appends one record. */
  write(rec: PcapRecord): void {
    if (this.closed) throw new Error('PcapStreamWriter: write after close');
    const n = keptLength(rec, this.snaplen);
    if (this.used + 16 + n > this.chunk.length) this.flush();
    if (16 + n > this.chunk.length) {
      const hdr = new Uint8Array(16);
      putRecordHeader(new DataView(hdr.buffer), 0, rec, this.le, this.nanos, this.snaplen);
      this.writeAll(hdr);
      this.writeAll(rec.data.subarray(0, n));
    } else {
      putRecordHeader(this.dv, this.used, rec, this.le, this.nanos, this.snaplen);
      this.chunk.set(rec.data.subarray(0, n), this.used + 16);
      this.used += 16 + n;
    }
    this.bytesWritten += 16 + n;
    this.packets++;
  }

  /** Appends one record from its parts (saves building a record object per packet). */
  writeFrame(ts: number, data: Uint8Array, origLen?: number): void {
    this.write({ ts, data, origLen });
  }

  /** Hands the buffered bytes to the file. */
  flush(): void {
    if (this.used > 0) this.writeAll(this.chunk.subarray(0, this.used));
    this.used = 0;
  }

  /** Flushes and, if the writer opened the file, closes it. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }

  private append(b: Uint8Array): void {
    if (this.used + b.length > this.chunk.length) this.flush();
    this.chunk.set(b, this.used);
    this.used += b.length;
    this.bytesWritten += b.length;
  }

  private writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
  }
}

// ---------------------------------------------------------------------------------------------
// pcapng

/** pcapng block types. */
export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_DSB = 0x0000000a;
export const BT_CUSTOM_COPY = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
/** DSB secrets type for a TLS key log (NSS key log format). */
export const DSB_TLS_KEYLOG = 0x544c534b;

/** An option as code + raw value (numbers inside the value are the caller's business). */
export interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array | string;
}

/** Timestamp resolution of an interface: 10^-exp or 2^-exp seconds per unit (default 10^-6). */
export interface TsResol {
  readonly base: 10 | 2;
  readonly exp: number;
}

/** A section header block. */
export interface SectionSpec {
  /** Default 'le'. */
  readonly byteOrder?: ByteOrder;
  readonly versionMajor?: number;
  readonly versionMinor?: number;
  /** Default -1 (unknown). */
  readonly sectionLength?: bigint;
  readonly hardware?: string;
  readonly os?: string;
  readonly userAppl?: string;
  readonly comment?: string;
  readonly options?: readonly PcapngOption[];
}

/** An interface description block. */
export interface InterfaceSpec {
  readonly linkType: number;
  /** 0 = no limit (the default). */
  readonly snaplen?: number;
  /** Written as if_tsresol when given. */
  readonly tsresol?: TsResol;
  /** if_tsoffset: seconds added to every timestamp of the interface. */
  readonly tsoffset?: bigint;
  readonly name?: string;
  readonly description?: string;
  readonly comment?: string;
  readonly options?: readonly PcapngOption[];
}

/** A timestamp: float seconds, exact epoch ns, or the raw 64-bit count of interface units. */
export interface PcapngTs {
  readonly ts?: number;
  readonly tsNanos?: bigint;
  readonly tsUnits?: bigint;
}

/** An enhanced packet block. */
export interface EpbSpec extends PcapngTs {
  readonly interfaceId?: number;
  readonly data: Uint8Array;
  /** Bytes written; default min(data.length, snaplen). */
  readonly caplen?: number;
  readonly origLen?: number;
  /** Written into the caplen field instead of the real count (malformed tests). */
  readonly caplenField?: number;
  /** epb_flags (direction in bits 0-1: 1 inbound, 2 outbound). */
  readonly flags?: number;
  readonly comment?: string;
  readonly options?: readonly PcapngOption[];
}

/** An obsolete packet block (type 2). */
export interface PbSpec extends PcapngTs {
  readonly interfaceId?: number;
  readonly drops?: number;
  readonly data: Uint8Array;
  readonly caplen?: number;
  readonly origLen?: number;
  readonly flags?: number;
  readonly comment?: string;
}

/** A simple packet block: interface 0, no timestamp. */
export interface SpbSpec {
  readonly data: Uint8Array;
  readonly origLen?: number;
}

/** One name-resolution record. */
export interface NrbEntry {
  readonly ip: Uint8Array;
  readonly names: readonly string[];
}

/** An interface statistics block. */
export interface IsbSpec extends PcapngTs {
  readonly interfaceId: number;
  readonly ifRecv?: bigint;
  readonly ifDrop?: bigint;
  readonly comment?: string;
}

interface InterfaceState {
  readonly snaplen: number;
  readonly tsresol: TsResol;
  readonly tsoffset: bigint;
}

/** A growing little buffer in the section's byte order. */
class Enc {
  readonly parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    if (this.le) this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    else this.parts.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    v >>>= 0;
    if (this.le) this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    else this.parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u64(v: bigint): this {
    const x = BigInt.asUintN(64, v);
    const hi = Number(x >> 32n);
    const lo = Number(x & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  option(code: number, value: Uint8Array): this {
    return this.u16(code).u16(value.length).bytes(value).pad4();
  }
  /** Writes the options and opt_endofopt, or nothing when there are none. */
  options(list: readonly PcapngOption[]): this {
    if (list.length === 0) return this;
    for (const o of list) this.option(o.code, typeof o.value === 'string' ? new TextEncoder().encode(o.value) : o.value);
    return this.u16(0).u16(0);
  }
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An option whose value is a number encoded in the given byte order. */
export function numberOption(code: number, value: number | bigint, bytes: 1 | 2 | 4 | 8, order: ByteOrder): PcapngOption {
  const e = new Enc(order === 'le');
  if (bytes === 1) e.u8(Number(value));
  else if (bytes === 2) e.u16(Number(value));
  else if (bytes === 4) e.u32(Number(value));
  else e.u64(BigInt(value));
  return { code, value: Uint8Array.from(e.parts) };
}

/**
 * Builds a pcapng file block by block. Blocks are collected (`toBytes()`), or handed to `sink`
 * one by one when given. Interface ids count from 0 in each section, as readers number them.
 */
export class PcapngWriter {
  private readonly chunks: Uint8Array[] = [];
  private le = true;
  private order: ByteOrder = 'le';
  private interfaces: InterfaceState[] = [];
  private inSection = false;

  constructor(private readonly sink?: (block: Uint8Array) => void) {}

  /** Starts a section (the first call is the file's first block). */
  section(s: SectionSpec = {}): this {
    this.order = s.byteOrder ?? 'le';
    this.le = this.order === 'le';
    this.interfaces = [];
    this.inSection = true;
    const opts: PcapngOption[] = [];
    if (s.comment !== undefined) opts.push({ code: 1, value: s.comment });
    if (s.hardware !== undefined) opts.push({ code: 2, value: s.hardware });
    if (s.os !== undefined) opts.push({ code: 3, value: s.os });
    if (s.userAppl !== undefined) opts.push({ code: 4, value: s.userAppl });
    opts.push(...(s.options ?? []));
    const b = this.enc()
      .u32(0x1a2b3c4d)
      .u16(s.versionMajor ?? 1)
      .u16(s.versionMinor ?? 0)
      .u64(s.sectionLength ?? -1n)
      .options(opts);
    return this.block(BT_SHB, b);
  }

  /** Adds an interface to the current section; returns its id. */
  iface(s: InterfaceSpec): number {
    this.needSection();
    const tsresol = s.tsresol ?? { base: 10, exp: 6 };
    const opts: PcapngOption[] = [];
    if (s.comment !== undefined) opts.push({ code: 1, value: s.comment });
    if (s.name !== undefined) opts.push({ code: 2, value: s.name });
    if (s.description !== undefined) opts.push({ code: 3, value: s.description });
    if (s.tsresol !== undefined) {
      // if_tsresol: MSB 0 -> 10^-value, MSB 1 -> 2^-(value & 0x7f).
      opts.push({ code: 9, value: Uint8Array.of((s.tsresol.base === 2 ? 0x80 : 0) | (s.tsresol.exp & 0x7f)) });
    }
    if (s.tsoffset !== undefined) opts.push(numberOption(14, s.tsoffset, 8, this.order));
    opts.push(...(s.options ?? []));
    const b = this.enc()
      .u16(s.linkType)
      .u16(0)
      .u32(s.snaplen ?? 0)
      .options(opts);
    this.block(BT_IDB, b);
    this.interfaces.push({ snaplen: s.snaplen ?? 0, tsresol, tsoffset: s.tsoffset ?? 0n });
    return this.interfaces.length - 1;
  }

  /** The raw 64-bit timestamp of `t` in interface `id`'s units (after subtracting if_tsoffset). */
  units(id: number, t: PcapngTs): bigint {
    if (t.tsUnits !== undefined) return t.tsUnits;
    const st = this.interfaces[id];
    const r = st?.tsresol ?? { base: 10, exp: 6 };
    const ns = epochNanos(t.ts ?? 0, t.tsNanos) - (st?.tsoffset ?? 0n) * NS_PER_S;
    const perSecond = r.base === 10 ? 10n ** BigInt(r.exp) : 1n << BigInt(r.exp);
    // Rounded to the nearest unit.
    return (ns * perSecond + NS_PER_S / 2n) / NS_PER_S;
  }

  /** An enhanced packet block. */
  epb(p: EpbSpec): this {
    const id = p.interfaceId ?? 0;
    const n = this.kept(id, p.data.length, p.caplen);
    const u = this.units(id, p);
    const opts: PcapngOption[] = [];
    if (p.comment !== undefined) opts.push({ code: 1, value: p.comment });
    if (p.flags !== undefined) opts.push(numberOption(2, p.flags, 4, this.order));
    opts.push(...(p.options ?? []));
    const b = this.enc()
      .u32(id)
      .u32(Number(u >> 32n))
      .u32(Number(u & 0xffffffffn))
      .u32(p.caplenField ?? n)
      .u32(p.origLen ?? p.data.length)
      .bytes(p.data.subarray(0, n))
      .pad4()
      .options(opts);
    return this.block(BT_EPB, b);
  }

  /** A simple packet block: the data written is min(data, snaplen of interface 0, origLen). */
  spb(p: SpbSpec): this {
    const origLen = p.origLen ?? p.data.length;
    const n = Math.min(this.kept(0, p.data.length, undefined), origLen);
    const b = this.enc().u32(origLen).bytes(p.data.subarray(0, n)).pad4();
    return this.block(BT_SPB, b);
  }

  /** An obsolete packet block (type 2), with pack_flags when `flags` is given. */
  pb(p: PbSpec): this {
    const id = p.interfaceId ?? 0;
    const n = this.kept(id, p.data.length, p.caplen);
    const u = this.units(id, p);
    const opts: PcapngOption[] = [];
    if (p.comment !== undefined) opts.push({ code: 1, value: p.comment });
    if (p.flags !== undefined) opts.push(numberOption(2, p.flags, 4, this.order));
    const b = this.enc()
      .u16(id)
      .u16(p.drops ?? 0)
      .u32(Number(u >> 32n))
      .u32(Number(u & 0xffffffffn))
      .u32(n)
      .u32(p.origLen ?? p.data.length)
      .bytes(p.data.subarray(0, n))
      .pad4()
      .options(opts);
    return this.block(BT_PB, b);
  }

  /** A name resolution block (IPv4 entries have 4-byte `ip`, IPv6 16-byte). */
  nrb(entries: readonly NrbEntry[], options: readonly PcapngOption[] = []): this {
    this.needSection();
    const b = this.enc();
    for (const e of entries) {
      const names = e.names.flatMap((n) => [...utf8(n), 0]);
      b.u16(e.ip.length === 16 ? 2 : 1)
        .u16(e.ip.length + names.length)
        .bytes(e.ip)
        .bytes(Uint8Array.from(names))
        .pad4();
    }
    b.u16(0).u16(0); // nrb_record_end
    b.options(options);
    return this.block(BT_NRB, b);
  }

  /** An interface statistics block. */
  isb(s: IsbSpec): this {
    const u = this.units(s.interfaceId, s);
    const opts: PcapngOption[] = [];
    if (s.comment !== undefined) opts.push({ code: 1, value: s.comment });
    if (s.ifRecv !== undefined) opts.push(numberOption(4, s.ifRecv, 8, this.order));
    if (s.ifDrop !== undefined) opts.push(numberOption(5, s.ifDrop, 8, this.order));
    const b = this.enc()
      .u32(s.interfaceId)
      .u32(Number(u >> 32n))
      .u32(Number(u & 0xffffffffn))
      .options(opts);
    return this.block(BT_ISB, b);
  }

  /** A decryption secrets block. */
  dsb(secretsType: number, data: Uint8Array, options: readonly PcapngOption[] = []): this {
    this.needSection();
    const b = this.enc().u32(secretsType).u32(data.length).bytes(data).pad4().options(options);
    return this.block(BT_DSB, b);
  }

  /** A custom block (0x00000BAD if copyable, else 0x40000BAD) for private enterprise number `pen`. */
  custom(copyable: boolean, pen: number, data: Uint8Array): this {
    this.needSection();
    const b = this.enc().u32(pen).bytes(data).pad4();
    return this.block(copyable ? BT_CUSTOM_COPY : BT_CUSTOM_NOCOPY, b);
  }

  /** A block of any type with the given body (padded to 4 bytes). */
  rawBlock(type: number, body: Uint8Array): this {
    return this.block(type, this.enc().bytes(body).pad4());
  }

  /** The whole file (empty when a sink took the blocks). */
  toBytes(): Uint8Array {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private kept(id: number, len: number, caplen: number | undefined): number {
    const snap = this.interfaces[id]?.snaplen ?? 0;
    return Math.min(len, caplen ?? len, snap > 0 ? snap : len);
  }

  private needSection(): void {
    if (!this.inSection) this.section();
  }

  private enc(): Enc {
    return new Enc(this.le);
  }

  private block(type: number, body: Enc): this {
    if (type !== BT_SHB) this.needSection();
    body.pad4();
    const total = 12 + body.parts.length;
    const e = new Enc(this.le).u32(type).u32(total);
    const out = new Uint8Array(total);
    out.set(e.parts, 0);
    out.set(body.parts, 8);
    out.set(new Enc(this.le).u32(total).parts, total - 4);
    if (this.sink) this.sink(out);
    else this.chunks.push(out);
    return this;
  }
}
