/**
 * One capture cut into pieces (`tcpdump -G/-C/-W`, dumpcap ring buffers) tracked as one stream:
 * one tracker runs across the pieces, and frames are numbered across them while the tracker
 * runs (the reader's per-file frame number plus the frames of the pieces before), then mapped
 * back to (capture index, frame in that file) for the report.
 */

/** Where one piece of a stream starts. */
interface Piece {
  capture: number;
  /** Frames of the stream before this piece. */
  offset: number;
}

/** The pieces of one stream and the numbers needed to decide whether the next file continues it. */
export class StreamPieces {
  readonly pieces: Piece[] = [];
  /** Frames of all pieces so far. */
  frames = 0;
  /** Time and link type of the stream's last record. */
  lastTs = Number.NEGATIVE_INFINITY;
  lastLinkType = -1;
  /** Path of the stream's last piece. */
  lastPath = '';

  /** Starts a piece for capture `capture`; returns the offset to add to its frame numbers. */
  add(capture: number): number {
    this.pieces.push({ capture, offset: this.frames });
    return this.frames;
  }

  /** Starts a piece for capture `capture` whose frames follow `offset` frames (a copy of another StreamPieces' add). */
  addAt(capture: number, offset: number): void {
    this.pieces.push({ capture, offset });
    this.frames = offset;
  }

  /** True when the stream spans more than one file (frame numbers then need mapping back). */
  get spansFiles(): boolean {
    return this.pieces.length > 1;
  }

  /** The piece holding stream frame `frame`. */
  private pieceOf(frame: number): Piece {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.pieces[mid] as Piece).offset < frame) lo = mid;
      else hi = mid - 1;
    }
    return this.pieces[lo] as Piece;
  }

  /** The capture index of stream frame `frame`. */
  captureOf(frame: number): number {
    return this.pieceOf(frame).capture;
  }

  /** The frame number inside its own file of stream frame `frame`. */
  fileFrameOf(frame: number): number {
    return frame - this.pieceOf(frame).offset;
  }

  /** Splits stream frames [first, last] into one range per file: (capture, first, last) in file numbering. */
  split(first: number, last: number): { capture: number; firstFrame: number; lastFrame: number }[] {
    const out: { capture: number; firstFrame: number; lastFrame: number }[] = [];
    for (let i = 0; i < this.pieces.length; i++) {
      const p = this.pieces[i] as Piece;
      const next = i + 1 < this.pieces.length ? (this.pieces[i + 1] as Piece).offset : Number.POSITIVE_INFINITY;
      const lo = Math.max(first, p.offset + 1);
      const hi = Math.min(last, next);
      if (lo <= hi) out.push({ capture: p.capture, firstFrame: lo - p.offset, lastFrame: hi - p.offset });
    }
    return out;
  }
}

/**
 * A file name with its directory and every digit removed: the pieces of one rotated capture
 * differ only in digits — `tcpdump -C` appends 1, 2, … (`-W` pads them), `-G` puts strftime
 * times in the name, dumpcap's ring buffer and `editcap -c` write `prefix_NNNNN_YYYYmmddHHMMSS`.
 */
export function pieceSkeleton(path: string): string {
  const slash = path.lastIndexOf('/');
  return path.slice(slash + 1).replace(/[0-9]+/g, '');
}

/**
 * Whether file `path`, whose first record has `ts` and `linkType`, continues `stream` by itself
 * (no `--stream`): a name that differs from the previous piece's only in digits, the same link
 * type, and a start where the previous piece ended — not before it (a different capture of the
 * same time) and within `maxGap` seconds (Zeek's inactivity timeout: past it every connection
 * would have ended anyway). Standard input never continues a file.
 */
export function continuesStream(stream: StreamPieces, path: string, ts: number, linkType: number, maxGap: number): boolean {
  if (path === '-' || stream.lastPath === '-' || pieceSkeleton(path) !== pieceSkeleton(stream.lastPath)) return false;
  return linkType === stream.lastLinkType && ts >= stream.lastTs && ts - stream.lastTs <= maxGap;
}
