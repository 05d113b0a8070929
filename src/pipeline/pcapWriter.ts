/**
 * `--write-pcap`: writes chosen frames to a capture file with their original timestamps (to the
 * microsecond), lengths and link types, so that exactly those packets open in Wireshark.
 * One interface (one input, one link type) → classic pcap, the most widely read format; several
 * → pcapng with one interface description per (input, link type), named after the input
 * (draft-ietf-opsawg-pcapng §4.2 IDB with if_name, §4.3 EPB).
 * Records are copied into a buffer that is written out in large blocks (memory stays bounded).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { type AtomicOutput, atomicOutput } from './tempFiles.js';

/** Bytes gathered before a write. */
const BUFFER_SIZE = 1 << 20;
/** The snap length written in headers: Wireshark's and tcpdump's default maximum. */
const SNAPLEN = 262144;

/** Splits epoch seconds into whole seconds and microseconds, rounded as the reports round times. */
export function splitMicros(ts: number): [number, number] {
  const total = Math.round(ts * 1e6);
  const sec = Math.floor(total / 1e6);
  return [sec, total - sec * 1e6];
}

/** One interface of the output: the link type of its frames and a name (the input it came from). */
export interface OutputInterface {
  linkType: number;
  name: string;
}

/** A capture file being written. */
export class PcapWriter {
  private readonly fd: number;
  /** The temporary file renamed into place by close(); null on standard output. */
  private readonly target: AtomicOutput | null;
  private buf = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  readonly format: 'pcap' | 'pcapng';
  packets = 0;
  bytes = 0;

  /**
   * Creates `path` ("-": standard output) for frames of the given interfaces (all of them, known
   * beforehand); `write` takes their index. The file appears under its name only at close().
   */
  constructor(
    path: string,
    private readonly interfaces: readonly OutputInterface[],
  ) {
    this.format = interfaces.length <= 1 ? 'pcap' : 'pcapng';
    this.target = path === '-' ? null : atomicOutput(path);
    this.fd = this.target === null ? STDOUT_FD : openSync(this.target.writePath, 'w');
    if (this.format === 'pcap') this.pcapHeader(interfaces[0]?.linkType ?? 1);
    else this.pcapngHeader();
  }

  private reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeAll(this.fd, this.buf, off, this.used - off);
    this.bytes += this.used;
    this.used = 0;
  }

  /** pcap global header, little-endian, microsecond magic (pcap-savefile(5)). */
  private pcapHeader(linkType: number): void {
    this.reserve(24);
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, this.used);
    b.writeUInt16LE(2, this.used + 4);
    b.writeUInt16LE(4, this.used + 6);
    b.writeInt32LE(0, this.used + 8);
    b.writeUInt32LE(0, this.used + 12);
    b.writeUInt32LE(SNAPLEN, this.used + 16);
    b.writeUInt32LE(linkType, this.used + 20);
    this.used += 24;
  }

  /** Section header block, then one interface description block per link type. */
  private pcapngHeader(): void {
    this.reserve(28);
    const b = this.buf;
    b.writeUInt32LE(0x0a0d0d0a, this.used);
    b.writeUInt32LE(28, this.used + 4);
    b.writeUInt32LE(0x1a2b3c4d, this.used + 8);
    b.writeUInt16LE(1, this.used + 12);
    b.writeUInt16LE(0, this.used + 14);
    b.writeInt32LE(-1, this.used + 16); // section length unknown
    b.writeInt32LE(-1, this.used + 20);
    b.writeUInt32LE(28, this.used + 24);
    this.used += 28;
    for (const iface of this.interfaces) {
      // if_name (option 2), then opt_endofopt; if_tsresol is left at its default, microseconds (§4.2).
      const name = Buffer.from(iface.name, 'utf8').subarray(0, 65535);
      const optLen = 4 + ((name.length + 3) & ~3) + 4;
      const total = 20 + optLen;
      this.reserve(total);
      const b = this.buf;
      b.writeUInt32LE(1, this.used);
      b.writeUInt32LE(total, this.used + 4);
      b.writeUInt16LE(iface.linkType, this.used + 8);
      b.writeUInt16LE(0, this.used + 10);
      b.writeUInt32LE(SNAPLEN, this.used + 12);
      b.writeUInt16LE(2, this.used + 16);
      b.writeUInt16LE(name.length, this.used + 18);
      b.fill(0, this.used + 20, this.used + 16 + optLen);
      b.set(name, this.used + 20);
      b.writeUInt32LE(total, this.used + 16 + optLen);
      this.used += total;
    }
  }

  /** Appends one frame of interface `iface` (the bytes are copied at once). */
  write(iface: number, ts: number, data: Uint8Array, start: number, caplen: number, origLen: number): void {
    const [sec, micros] = splitMicros(ts);
    const frame = data.subarray(start, start + caplen);
    if (this.format === 'pcap') {
      this.reserve(16 + caplen);
      const b = this.buf;
      b.writeUInt32LE(sec >>> 0, this.used);
      b.writeUInt32LE(micros, this.used + 4);
      b.writeUInt32LE(caplen, this.used + 8);
      b.writeUInt32LE(origLen, this.used + 12);
      b.set(frame, this.used + 16);
      this.used += 16 + caplen;
    } else {
      const padded = (caplen + 3) & ~3;
      const total = 32 + padded;
      this.reserve(total);
      const b = this.buf;
      const units = sec * 1e6 + micros; // < 2^53 for any date before the year 2255
      b.writeUInt32LE(6, this.used);
      b.writeUInt32LE(total, this.used + 4);
      b.writeUInt32LE(iface, this.used + 8);
      b.writeUInt32LE(Math.floor(units / 4294967296), this.used + 12);
      b.writeUInt32LE(units % 4294967296, this.used + 16);
      b.writeUInt32LE(caplen, this.used + 20);
      b.writeUInt32LE(origLen, this.used + 24);
      b.set(frame, this.used + 28);
      b.fill(0, this.used + 28 + caplen, this.used + 28 + padded);
      b.writeUInt32LE(total, this.used + 28 + padded);
      this.used += total;
    }
    this.packets++;
  }

  /** Writes what is buffered, closes the file and renames it into place; on a write error removes it and throws. */
  close(): void {
    try {
      this.flush();
    } catch (err) {
      this.abort();
      throw err;
    }
    if (this.target === null) return;
    closeSync(this.fd);
    this.target.commit();
  }

  /** Closes and removes the unfinished file (the target stays as it was). */
  abort(): void {
    if (this.target === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.target.abort();
  }
}

const STDOUT_FD = 1;

/** writeSync that waits out EAGAIN (standard output may be a non-blocking pipe). */
function writeAll(fd: number, buf: Buffer, off: number, length: number): number {
  for (;;) {
    try {
      return writeSync(fd, buf, off, length);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}
