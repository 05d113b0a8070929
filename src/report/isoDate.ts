/**
 * Dates for every double: JavaScript's Date covers ±8.64e15 ms (ECMA-262 §21.4.1.1, about
 * ±275,000 years) and toISOString() throws beyond it (and writes six-digit years from 10000), so one absurd timestamp (a pcapng
 * if_tsoffset, a damaged EPB time) used to end the text, HTML and explain reports with "Invalid
 * time value". Out of range, the same shape is returned with question marks: slices of it stay
 * well-formed, and the reader counts such a packet as a `timestamp_out_of_range` issue.
 */

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in milliseconds: the dates with four-digit years, the shape every report slices. */
export const FIRST_DATE_MS = -62167219200000;
export const END_DATE_MS = 253402300800000;

const OUT_OF_RANGE = '????-??-??T??:??:??.???Z';

/** `new Date(ms).toISOString()` for every double: question marks where there is no such date. */
export function isoDate(ms: number): string {
  if (!(ms >= FIRST_DATE_MS && ms < END_DATE_MS)) return OUT_OF_RANGE;
  return new Date(ms).toISOString();
}
