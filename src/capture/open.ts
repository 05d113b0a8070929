/**
 * Opens one capture (a path, or `-` for standard input), unwraps gzip, recognises pcap or pcapng
 * by magic, and streams its records. Errors inside the file are collected with byte offsets in
 * the returned state; only "this is not a capture at all" is thrown (NotACaptureError).
 */
import type { Readable } from 'node:stream';
import type { ByteSource } from './byteSource.js';
import { GzipError } from './gzip.js';
import { pcapMagic, readPcap } from './pcap.js';
import { BLOCK_SHB, readPcapng } from './pcapng.js';
import { NotACaptureError, ReadState, type RecordHandler } from './reader.js';
import { openSource } from './source.js';
import { ByteWindow, DEFAULT_CHUNK_SIZE, type ReadLength, type ReadPace } from './window.js';

/** Options for reading one capture. */
export interface ReadCaptureOptions {
  /** Stream used for the path `-` (standard input by default). */
  stdin?: Readable;
  /** Bytes read per refill; tests shrink it to exercise records that straddle chunks. */
  chunkSize?: number;
  /** Sees every byte of the input as read (compressed bytes for gzip), once, in order. */
  onRawBytes?: (bytes: Uint8Array) => void;
  /** Awaited before each chunk is read (window.ts ReadPace). */
  pace?: ReadPace;
  /** Reads only the first this many bytes of the (decompressed) stream: a sample of its start (pipeline/threadChoice.ts). */
  limit?: number;
  /** Asked before each chunk is read: at most this many bytes (window.ts ReadLength). */
  readLength?: ReadLength;
}

/** A source that ends after its first `left` bytes. */
class LimitedSource implements ByteSource {
  constructor(
    private readonly inner: ByteSource,
    private left: number,
  ) {}
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.left <= 0) return 0;
    const n = await this.inner.readInto(buf, offset, Math.min(length, this.left));
    this.left -= n;
    return n;
  }
  close(): void {
    this.inner.close();
  }
}

/** What the reader learned about an input, for the report's `inputs` block. */
export interface CaptureFacts {
  state: ReadState;
  compressed: boolean;
}

/** Describes the first bytes of something that is not a capture, for a one-line message. */
function describeNonCapture(head: Uint8Array): string {
  if (head.length === 0) return 'the file is empty';
  const hex = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `not a pcap or pcapng capture (it starts with ${hex})`;
}

/**
 * Reads every record of one capture, calling `onRecord` for each. Resolves with the facts and
 * errors; rejects with NotACaptureError (or a filesystem error) when nothing could be read.
 */
export async function readCapture(path: string, onRecord: RecordHandler, options: ReadCaptureOptions = {}): Promise<CaptureFacts> {
  const opened = await openSource(path, options.stdin, options.onRawBytes);
  const { compressed, gzip } = opened;
  const source = options.limit === undefined ? opened.source : new LimitedSource(opened.source, options.limit);
  const state = new ReadState();
  const win = new ByteWindow(source, options.chunkSize ?? DEFAULT_CHUNK_SIZE, options.pace ?? null, options.readLength ?? null);
  try {
    try {
      await win.ensure(4);
    } catch (err) {
      if (err instanceof GzipError) throw new NotACaptureError(`gzip data could not be decompressed (${err.message})`);
      throw err;
    }
    if (win.available < 4) throw new NotACaptureError(describeNonCapture(win.buf.subarray(win.pos, win.end)));
    const view = win.view;
    try {
      if (pcapMagic(view, win.pos)) await readPcap(win, state, onRecord);
      else if (view.getUint32(win.pos, true) === BLOCK_SHB) await readPcapng(win, state, onRecord);
      else throw new NotACaptureError(describeNonCapture(win.buf.subarray(win.pos, Math.min(win.end, win.pos + 8))));
    } catch (err) {
      if (err instanceof GzipError) {
        // The compressed stream broke: what was decoded before stays; the rest is lost.
        state.error(win.base + win.end, err.message);
        state.bytes = win.base + win.end;
      } else throw err;
    }
    // Bytes after the last gzip member: reported where the decompressed stream ended.
    for (const issue of gzip?.issues ?? []) state.error(issue.offset, issue.message);
  } finally {
    await win.settle();
    source.close();
  }
  return { state, compressed };
}
