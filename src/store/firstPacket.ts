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

/** Time and link type of a capture's first record, or null when it has none or is not a capture (whether it continues a sensor's stream). */
export async function firstRecordOf(path: string): Promise<{ ts: number; linkType: number } | null> {
  let first: { ts: number; linkType: number } | null = null;
  try {
    await readCapture(path, (rec) => {
      first = { ts: rec.ts, linkType: rec.linkType };
      throw new FirstRecordRead();
    });
  } catch (err) {
    if (!(err instanceof FirstRecordRead)) return null;
  }
  return first;
}
