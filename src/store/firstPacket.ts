/** The time of a capture's first packet, read from its first record only (orders a sensor's files for the queue). */
import { readCapture } from '../capture/open.js';

/** Thrown from the record handler to stop reading after the first record. */
class FirstRecordRead extends Error {}

/** Epoch seconds of the first packet, or null when the file has none or is not a capture. */
export async function firstPacketTs(path: string): Promise<number | null> {
  let ts: number | null = null;
  try {
    await readCapture(path, (rec) => {
      ts = rec.ts;
      throw new FirstRecordRead();
    });
  } catch (err) {
    if (!(err instanceof FirstRecordRead)) return null;
  }
  return ts;
}
