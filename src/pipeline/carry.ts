/**
 * A stream carried from one run to the next (issue 15, item 2): a sensor's rotated files are one
 * capture, but each file may be analysed by a later `ingest` or by another worker. At the end of
 * a file the run saves, instead of finishing them, everything whose result depends on what comes
 * next: the tracker's open connections (track/snapshot.ts), the explain context that later
 * connections are judged with, the connections waiting for a host's hop distance, the resets
 * ResetOrder holds for frame order (with its id counters), the
 * checksum offload decisions and the pieces' frame numbering. The next run restores them into
 * fresh objects, so its results equal those of one run over the files together.
 *
 * The state is plain data serialised with v8.serialize (Maps, typed arrays and shared references
 * survive it); it is opaque to the store, which keeps it per sensor beside the file's results.
 */
import type { ExplainContext } from '../explain/context.js';
import type { HostHopsWait } from '../explain/deferral.js';
import { type SavedFields, openConnections, restoreFields, restoreTracker, saveFields, saveTracker } from '../track/snapshot.js';
import type { Tracker } from '../track/tracker.js';
import type { ChecksumGate } from './checksumGate.js';
import type { ResetOrder } from './resetOrder.js';
import type { StreamPieces } from './stream.js';

/** node:v8, loaded by the runs that carry a stream (the store's): `analyze` never does. */
function v8(): typeof import('node:v8') {
  return process.getBuiltinModule('node:v8');
}

/** Layout version of the saved state; a state of another layout is not restored (7: ResetOrder's queued counts in a CountsByNumber, not a Map; 8: its queue a ring). */
export const CARRY_FORMAT = 8;

/** A stream saved at the end of a run, for the next run to resume. */
export interface CarriedStream {
  /** The serialised state (opaque). */
  state: Uint8Array;
  /** Time and link type of the stream's last record: whether a next file continues it (stream.ts continuesStream). */
  lastTs: number;
  lastLinkType: number;
  /** Connections open in it (finished by a later file, or by a flush). */
  open: number;
  /** Files of the stream so far. */
  files: number;
}

/** The objects of a run that make up one stream's state. */
export interface StreamParts {
  tracker: Tracker;
  ctx: ExplainContext;
  waitForHops: HostHopsWait;
  pieces: StreamPieces;
  order: ResetOrder;
  gate: ChecksumGate | null;
  /** The run's counter of provisional reset ids (P1, P2, …). */
  provisionalIds: number;
}

/** Only the run's callbacks, the context reference and what the run's sink allows (HostHopsWait's reuseUnpacked) are not state. */
const NOT_STATE: ReadonlySet<string> = new Set(['explain', 'out', 'ctx', 'reuseUnpacked']);

interface SavedState {
  format: number;
  files: number;
  tracker: SavedFields;
  ctx: SavedFields;
  waitForHops: SavedFields;
  pieces: SavedFields;
  order: SavedFields;
  gate: SavedFields | null;
  provisionalIds: number;
}

/**
 * Saves a stream at the end of a run. The pieces of this run (capture index ≥ 0) get negative
 * captures counting the stream's files from its first (-1 its first file, -2 its second, …), so
 * that a later run's capture 0 is never taken for one of them.
 */
export function saveStream(parts: StreamParts, filesBefore: number): CarriedStream {
  let files = filesBefore;
  for (const piece of parts.pieces.pieces) if (piece.capture >= 0) piece.capture = -++files;
  const saved: SavedState = {
    format: CARRY_FORMAT,
    files,
    tracker: saveTracker(parts.tracker),
    ctx: saveFields(parts.ctx, NOT_STATE),
    waitForHops: saveFields(parts.waitForHops, NOT_STATE),
    pieces: saveFields(parts.pieces, NOT_STATE),
    order: saveFields(parts.order, NOT_STATE),
    gate: parts.gate === null ? null : saveFields(parts.gate, NOT_STATE),
    provisionalIds: parts.provisionalIds,
  };
  return {
    state: v8().serialize(saved),
    lastTs: parts.pieces.lastTs,
    lastLinkType: parts.pieces.lastLinkType,
    open: openConnections(saved.tracker),
    files,
  };
}

/** Why a saved state cannot be resumed. */
export class CarryFormatError extends Error {}

/** Restores a saved stream into a run's fresh objects; returns the provisional id counter and the stream's file count. */
export function restoreStream(carried: CarriedStream, parts: Omit<StreamParts, 'provisionalIds'>): { provisionalIds: number; files: number } {
  const saved = v8().deserialize(carried.state) as SavedState;
  if (saved?.format !== CARRY_FORMAT) throw new CarryFormatError(`a carried stream of format ${String(saved?.format)}, not ${CARRY_FORMAT}`);
  restoreTracker(parts.tracker, saved.tracker);
  restoreFields(parts.ctx, saved.ctx, NOT_STATE);
  restoreFields(parts.waitForHops, saved.waitForHops, NOT_STATE);
  restoreFields(parts.pieces, saved.pieces, NOT_STATE);
  restoreFields(parts.order, saved.order, NOT_STATE);
  if (parts.gate !== null && saved.gate !== null) restoreFields(parts.gate, saved.gate, NOT_STATE);
  return { provisionalIds: saved.provisionalIds, files: saved.files };
}
