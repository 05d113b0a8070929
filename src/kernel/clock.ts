/**
 * Mapping the trace clock to the wall clock. tracefs stamps events with its own clock (whyreset
 * selects `mono`, CLOCK_MONOTONIC, which NTP slews but never steps); captures carry wall-clock
 * (CLOCK_REALTIME) times. whyreset writes a marker into its instance's `trace_marker` between two
 * wall-clock reads: the marker's trace time and the midpoint of the two reads give the offset,
 * and half the time between the reads bounds its error. Sampled at the start and the end of the
 * trace, the two offsets differ by the clocks' drift over the trace (and by a step of the wall
 * clock, if someone set it), which the uncertainty includes.
 */
import type { ClockMapping, ClockSample } from './traceRecord.js';

/** Resolution of the wall-clock reads (Date.now(): milliseconds), added to every sample's error. */
export const WALL_CLOCK_RESOLUTION = 0.001;

/** The offset (wall - trace) one sample gives, and its half-width. */
export function sampleOffset(s: ClockSample): { offset: number; halfWidth: number } {
  const mid = (s.wall_before + s.wall_after) / 2;
  return { offset: mid - s.trace_ts, halfWidth: (s.wall_after - s.wall_before) / 2 + WALL_CLOCK_RESOLUTION / 2 };
}

/**
 * The mapping from one or two samples: the mean of their offsets, and an uncertainty that covers
 * both samples' intervals (each sample's half-width, plus half the difference between them).
 */
export function clockMapping(clock: string, start: ClockSample, end: ClockSample | null): ClockMapping {
  const a = sampleOffset(start);
  if (end === null) return { clock, start, end, offset: round6(a.offset), uncertainty: round9(a.halfWidth) };
  const b = sampleOffset(end);
  const offset = (a.offset + b.offset) / 2;
  const uncertainty = Math.max(a.halfWidth, b.halfWidth) + Math.abs(a.offset - b.offset) / 2;
  return { clock, start, end, offset: round6(offset), uncertainty: round9(uncertainty) };
}

/** Wall-clock epoch seconds of a trace time. */
export function wallTime(mapping: Pick<ClockMapping, 'offset'>, traceTs: number): number {
  return round6(traceTs + mapping.offset);
}

/** Rounds to microseconds (what trace_pipe prints), so JSON does not show float noise. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Rounds a small interval to nanoseconds. */
function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
