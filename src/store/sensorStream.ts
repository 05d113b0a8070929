/**
 * A sensor's stream carried between its files (issue 15, item 2; pipeline/carry.ts): one row per
 * sensor in table `sensor_streams` of either store, written in the same transaction as the
 * results of the file that left it open. The next file of the sensor resumes it when it continues
 * the stream by stream.ts's rules (a name that differs only in digits, the same link type, a start
 * not before the last packet and within the inactivity timeout); otherwise, or at the sensor's
 * last file (`ingest --finish`, `worker --idle-exit`), the stream is finished and its last
 * connections are stored with the last file that held it.
 */
import type { CarriedStream } from '../pipeline/carry.js';
import { StreamPieces, continuesStream } from '../pipeline/stream.js';
import { VERSION } from '../version.js';
import { firstRecordOf } from './firstPacket.js';

/** The stored row of a sensor's open stream. */
export interface SensorStream {
  sensor: string;
  analyzer_version: string;
  /** The file the stream was saved at the end of (its rows hold the finished part). */
  last_sha256: string;
  last_path: string;
  carried: CarriedStream;
}

/** Columns of `sensor_streams` besides the state, in both engines' terms (text, double, bigint). */
export const SENSOR_STREAM_COLUMNS = [
  ['sensor', 'text'],
  ['analyzer_version', 'text'],
  ['last_sha256', 'text'],
  ['last_path', 'text'],
  ['last_ts', 'double'],
  ['last_link_type', 'int'],
  ['open_connections', 'bigint'],
  ['files', 'bigint'],
] as const;

/** Inactivity timeout when none is given (Zeek's tcp_inactivity_timeout, as the tracker's default). */
const DEFAULT_MAX_GAP = 300;

/** What to do with a sensor's stored stream before a file of it is analysed. */
export type StreamDecision = { resume: CarriedStream } | { finishFirst: true } | { fresh: true };

/** Whether `path` continues the sensor's stored stream (resume it), does not (finish it first), or there is none. */
export async function decideStream(stored: SensorStream | null, path: string, inactivityTimeout: number | undefined): Promise<StreamDecision> {
  if (stored === null) return { fresh: true };
  // A state saved by another analyzer version is not restored (its layout may differ), nor can
  // it be finished: it is dropped, and the file starts afresh (its transaction removes the row).
  if (stored.analyzer_version !== VERSION) return { fresh: true };
  const first = await firstRecordOf(path);
  if (first === null) return { finishFirst: true };
  const pieces = new StreamPieces();
  pieces.lastPath = stored.last_path;
  pieces.lastTs = stored.carried.lastTs;
  pieces.lastLinkType = stored.carried.lastLinkType;
  return continuesStream(pieces, path, first.ts, first.linkType, inactivityTimeout ?? DEFAULT_MAX_GAP) ? { resume: stored.carried } : { finishFirst: true };
}

/** A stored row's fields into a SensorStream (the state bytes given apart). */
export function sensorStreamOf(row: Record<string, unknown>, state: Uint8Array): SensorStream {
  return {
    sensor: String(row.sensor),
    analyzer_version: String(row.analyzer_version),
    last_sha256: String(row.last_sha256),
    last_path: String(row.last_path),
    carried: {
      state,
      lastTs: Number(row.last_ts),
      lastLinkType: Number(row.last_link_type),
      open: Number(row.open_connections),
      files: Number(row.files),
    },
  };
}

/** The row values of a sensor's stream, in SENSOR_STREAM_COLUMNS order. */
export function sensorStreamValues(sensor: string, sha256: string, path: string, carried: CarriedStream): (string | number)[] {
  return [sensor, VERSION, sha256, path, carried.lastTs, carried.lastLinkType, carried.open, carried.files];
}
