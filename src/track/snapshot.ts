/**
 * The tracker's state as plain data, to carry a sensor's open connections from one capture file
 * to the next across runs and machines (issue 15, item 2): saved at the end of a file without
 * finishing anything, restored into a fresh tracker at the start of the sensor's next file.
 *
 * Nothing here lists the tracker's fields: a table object (TrackState, the timer heap, the
 * record pools) is walked field by field, and every declared column (columns.ts) is saved whole
 * and restored with its declared shape, so a column another change adds is carried without an
 * edit here. Besides columns: the conn table's hash, the IPv6 pool and its free list, the spilled
 * histories, reassembly blocks and RST payloads, and the counters. Only configuration (the
 * tracker's options and its sink) comes from the fresh tracker instead of the snapshot.
 */
import { RowClearer, isColumn, restoreColumn } from './columns.js';
import { unholdAll } from './heldConns.js';
import type { TrackState } from './state.js';
import type { Tracker } from './tracker.js';

/** A table's fields as plain data (typed arrays, Maps, arrays, numbers, nested tables as objects). */
export type SavedFields = { [field: string]: unknown };

/**
 * Fields of TrackState and its pools that come from the options the run gives (or are rebuilt
 * from the columns), never from a snapshot: a run may differ in capture index or sink.
 */
const CONFIGURATION = new Set([
  'captureIndex',
  'sink',
  'inactivityTimeout',
  'handshakeTimeout',
  'closeDelay',
  'resetDelay',
  'attemptDelay',
  'synTimeout',
  'sessionTimer',
  'linger',
  'fastPath',
  'serverPorts',
  'headPackets',
  'ringPerDir',
  'maxResets',
  'rstPayloadBytes',
  'maxLive',
  'clearer',
  'limit',
  'minCap',
  // Emptied before every save (saveTracker unpacks the held connections): a fresh store is right.
  'held',
]);

/** True for an instance of a class (a nested table), false for plain objects, collections and arrays. */
function isTableObject(v: unknown): v is object {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof Map || v instanceof Set) return false;
  const proto = Object.getPrototypeOf(v);
  return proto !== Object.prototype && proto !== null;
}

/**
 * The fields of `table` as plain data, nested class instances as nested records; functions and
 * the fields named in `skip` are left out. Values are shared, not copied: serialise the result
 * at once (v8.serialize keeps shared references shared).
 */
export function saveFields(table: object, skip: ReadonlySet<string> = CONFIGURATION): SavedFields {
  const out: SavedFields = {};
  for (const [name, value] of Object.entries(table)) {
    if (skip.has(name) || typeof value === 'function') continue;
    out[name] = isTableObject(value) ? saveFields(value, skip) : value;
  }
  return out;
}

/**
 * Restores fields saved by saveFields into a fresh `table` of the same class: columns keep their
 * declared shape, Maps, Sets and arrays keep their identity (readonly fields) and get the saved
 * contents, nested tables are restored in place, and other values are assigned. Fields the
 * table no longer has are ignored.
 */
export function restoreFields(table: object, saved: SavedFields, skip: ReadonlySet<string> = CONFIGURATION): void {
  const fields = table as Record<string, unknown>;
  for (const [name, value] of Object.entries(saved)) {
    if (skip.has(name) || !(name in fields)) continue;
    const current = fields[name];
    if (isColumn(current)) restoreColumn(table, name, value as ArrayLike<number>);
    else if (ArrayBuffer.isView(value)) fields[name] = (value as unknown as Uint8Array).slice();
    else if (current instanceof Map && value instanceof Map) {
      current.clear();
      for (const [k, v] of value) current.set(k, v);
    } else if (current instanceof Set && value instanceof Set) {
      current.clear();
      for (const v of value) current.add(v);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      current.length = 0;
      for (const v of value) current.push(v);
    } else if (isTableObject(current) && value !== null && typeof value === 'object') restoreFields(current, value as SavedFields, skip);
    else fields[name] = value;
  }
}

/**
 * The tracker's state: every open connection, its kept packets and RSTs, timers and counters.
 * Connections held packed in their close delay are unpacked into slots first (heldConns.ts), so
 * the saved state has the format it had before they existed (CARRY_FORMAT unchanged).
 */
export function saveTracker(tracker: Tracker): SavedFields {
  unholdAll(tracker.state);
  return saveFields(tracker.state);
}

/** Restores a saved tracker state into a fresh tracker (one that has seen no packet). */
export function restoreTracker(tracker: Tracker, saved: SavedFields): void {
  const s: TrackState = tracker.state;
  restoreFields(s, saved);
  // The clearer views the column arrays, which restoring replaced.
  s.clearer = new RowClearer(s);
}

/** Connections open in a saved tracker state. */
export function openConnections(saved: SavedFields): number {
  return typeof saved.liveCount === 'number' ? saved.liveCount : 0;
}
