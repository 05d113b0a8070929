/** Time formatting for the HTML report (UTC, as the other reports). */
import { isoTime } from '../text.js';

/** Epoch seconds as "YYYY-MM-DD HH:MM:SS.ffffff" UTC. */
export function utcText(ts: number): string {
  const iso = isoTime(ts);
  return `${iso.slice(0, 10)} ${iso.slice(11, -1)}`;
}

/** A duration in seconds as short text: "45 µs", "1.203 ms", "12.5 s", "3 min 20 s", "2 h 5 min"; negative (a clock stepped back) with a minus sign. */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '? s';
  if (seconds < 0) return `−${durationText(-seconds)}`;
  const s = seconds;
  if (s < 1e-3) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 0.01 ? 3 : 1)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 3 : 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${(s / 86400).toFixed(1)} days`;
}
