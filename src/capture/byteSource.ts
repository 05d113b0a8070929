/** The interface every byte source of the capture readers implements (files, stdin, gzip). */

/** Anything that can fill `buf[offset, offset + length)`; resolves to the bytes written, 0 at the end. */
export interface ByteSource {
  readInto(buf: Uint8Array, offset: number, length: number): Promise<number>;
  close(): void;
}
