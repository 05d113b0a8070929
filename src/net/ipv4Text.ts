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
