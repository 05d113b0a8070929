/**
 * Reading IPv4 addresses as text, in one place: the tracker hands addresses on as dotted quads,
 * and explain's tables and Community ID want them as numbers or bytes. A leaf: imports nothing.
 */

/**
 * A plain dotted quad ("10.0.0.1": four decimal parts of one to three digits, each at most 255)
 * as an unsigned 32-bit number, or -1 for any other text. A character loop: no split, no array,
 * no strings (this runs several times per connection).
 */
export function dottedQuadNumber(text: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 0x2e && digits > 0 && dots < 3) {
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : -1;
}

/** The last two texts ipv4Strict read, and their numbers (most calls ask for a connection's two ends again). */
let lastText = '';
let lastNumber = -1;
let otherText = '';
let otherNumber = -1;

/**
 * dottedQuadNumber(addr), the last two answers kept: explain reads each connection's two
 * addresses a dozen times (tuple tables, host tables, SYN-ACK TTLs) and the Community ID once
 * more, and a run's connections come between few hosts (a flood's all between the same two), so a
 * repeat costs a string comparison (a few dozen instructions) instead of a parse (~490).
 */
export function ipv4Strict(addr: string): number {
  if (addr === lastText) return lastNumber;
  if (addr === otherText) return otherNumber;
  const n = dottedQuadNumber(addr);
  otherText = lastText;
  otherNumber = lastNumber;
  lastText = addr;
  lastNumber = n;
  return n;
}
