/**
 * Frames parked in a temporary file and read back in order, so that the frames chosen from
 * several inputs can be merged by time (as mergecap does) in bounded memory: one spool per
 * input, then a k-way merge of their heads.
 * Record layout: ts (float64 LE), interface (u32), caplen (u32), origLen (u32), then the bytes.
 */
import { closeSync, mkdtempSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTempDir, registerTemp, removeTemp } from './tempFiles.js';

/** A new temporary directory, removed at exit if the spool is not disposed before. */
function registeredTempDir(prefix: string): string {
  const dir = inTempDir('spooling packets for --write-pcap', () => mkdtempSync(join(tmpdir(), prefix)));
  registerTemp(dir);
  return dir;
}

const HEADER = 20;
const BUFFER_SIZE = 1 << 20;

/** One frame read back from a spool. The bytes are valid until the next `next()`. */
export interface SpooledFrame {
  ts: number;
  iface: number;
  caplen: number;
  origLen: number;
  data: Buffer;
  start: number;
}

/** Frames written to a temporary file, then read back once. */
export class FrameSpool {
  private readonly dir = registeredTempDir('whyreset-frames-');
  private readonly path = join(this.dir, 'frames');
  private fd: number = openSync(this.path, 'w+');
  private buf = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  private written = 0;
  count = 0;

  /** Appends one frame (copied). */
  push(ts: number, iface: number, data: Uint8Array, start: number, caplen: number, origLen: number): void {
    if (this.used + HEADER + caplen > this.buf.length) {
      this.flush();
      if (HEADER + caplen > this.buf.length) this.buf = Buffer.allocUnsafe(HEADER + caplen);
    }
    this.buf.writeDoubleLE(ts, this.used);
    this.buf.writeUInt32LE(iface, this.used + 8);
    this.buf.writeUInt32LE(caplen, this.used + 12);
    this.buf.writeUInt32LE(origLen, this.used + 16);
    this.buf.set(data.subarray(start, start + caplen), this.used + HEADER);
    this.used += HEADER + caplen;
    this.count++;
  }

  private flush(): void {
    let off = 0;
    inTempDir('spooling packets for --write-pcap', () => {
      while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off, this.written + off);
    });
    this.written += this.used;
    this.used = 0;
  }

  /** Finishes writing and returns a reader over the frames in the order they were pushed. */
  reader(): () => SpooledFrame | null {
    this.flush();
    let fileOff = 0;
    let pos = 0;
    let end = 0;
    let buf = Buffer.allocUnsafe(BUFFER_SIZE);
    const frame: SpooledFrame = { ts: 0, iface: 0, caplen: 0, origLen: 0, data: buf, start: 0 };
    const fill = (need: number): boolean => {
      if (end - pos >= need) return true;
      const rest = end - pos;
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(need);
        buf.copy(bigger, 0, pos, end);
        buf = bigger;
      } else buf.copy(buf, 0, pos, end);
      pos = 0;
      end = rest;
      while (end < need) {
        const n = readSync(this.fd, buf, end, buf.length - end, fileOff);
        if (n === 0) return false;
        fileOff += n;
        end += n;
      }
      return true;
    };
    return () => {
      if (!fill(HEADER)) return null;
      const caplen = buf.readUInt32LE(pos + 12);
      if (!fill(HEADER + caplen)) return null;
      frame.ts = buf.readDoubleLE(pos);
      frame.iface = buf.readUInt32LE(pos + 8);
      frame.caplen = caplen;
      frame.origLen = buf.readUInt32LE(pos + 16);
      frame.data = buf;
      frame.start = pos + HEADER;
      pos += HEADER + caplen;
      return frame;
    };
  }

  /** Closes and deletes the temporary file. */
  dispose(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    removeTemp(this.dir);
  }
}
