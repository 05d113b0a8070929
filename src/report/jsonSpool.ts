/**
 * A Spool of JSON lines written by JsonBytes: each object is encoded straight into a reused byte
 * buffer (report/jsonBytes.ts, byte for byte JSON.stringify's) and the buffer's complete lines are
 * copied into the spool's chunks, rather than a string per object encoded again by Spool.push.
 * Reading (chunks, lines) hands the pending lines over first, so readers see every line in order.
 *
 * Each line is kept as `{…},\n`: the comma the json report puts between the elements of its
 * arrays is written with the object, so writeJson copies whole chunks (dropping only the last
 * comma) rather than copying line by line to insert it (400k Buffer#copy calls on a 200k-connection
 * flood). lines() gives the lines without it.
 */
import type { Connection, Reset } from '../model/report.js';
import { Spool } from '../pipeline/spool.js';
import { JsonBytes } from './jsonBytes.js';

/** What ends each line: a comma, then the newline. */
const LINE_END = new Uint8Array([0x2c, 0x0a]);
/** The writer's buffer: 16 KiB of lines at a time into the spool's 256 KiB chunks. */
const WRITER_BYTES = 16 << 10;

/** Lines of JSON, one per object, kept in a Spool. */
export class JsonSpool extends Spool {
  private readonly writer = new JsonBytes((bytes, start, end) => this.appendLines(bytes, start, end), WRITER_BYTES);

  /** @param site names the kind of object (objects of one kind share their shapes' encoded keys). */
  constructor(
    private readonly site: string,
    memoryLimit?: number,
  ) {
    super(memoryLimit);
  }

  /** Appends `value` as one line of JSON (JSON.stringify's bytes). */
  pushJson(value: object): void {
    this.count++;
    this.writer.line(this.site, value, LINE_END);
  }

  /** Appends a connection record as one line of JSON (JSON.stringify's bytes: JsonBytes#connectionLine). */
  pushConnection(c: Connection): void {
    this.count++;
    this.writer.connectionLine(this.site, c, LINE_END);
  }

  /** Appends a reset as one line of JSON (JSON.stringify's bytes: JsonBytes#resetLine). */
  pushReset(r: Reset): void {
    this.count++;
    this.writer.resetLine(this.site, r, LINE_END);
  }

  /** Appends one line of JSON text (its comma added); lines written by pushJson before it stay before it. */
  override push(line: string): void {
    this.writer.flush();
    super.push(`${line},`);
  }

  /** Appends text as it is (each of its lines must end with ",\n"); lines written before it stay before it. */
  override pushText(text: string): void {
    this.writer.flush();
    super.pushText(text);
  }

  /** Every line in order as raw bytes, each line ending with ",\n" (the pending ones included). */
  override *chunks(): Generator<Uint8Array> {
    this.writer.flush();
    yield* super.chunks();
  }

  /** Every line, in order, without its comma. */
  override *lines(): Generator<string> {
    for (const line of super.lines()) yield line.slice(0, -1);
  }
}
