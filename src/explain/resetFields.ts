/**
 * Reset fields read straight from the packet: flag names, the reason text a device put in the
 * payload, the MP_TCPRST reason, and time rounded for output.
 */
import type { MptcpReason } from '../model/report.js';

const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS'] as const;

/**
 * Each flag combination's names, built once: RSTs carry a handful of combinations (RST, RST+ACK),
 * so every reset shares its frozen list instead of carrying a fresh array (nothing writes a
 * reset's `flags`; a write would throw).
 */
const FLAG_LISTS = new Array<readonly string[] | undefined>(0x200);

/** TCP flag names in bit order, e.g. ["RST","ACK"] (a shared, frozen list). */
export function flagNames(flags: number): string[] {
  const known = FLAG_LISTS[flags];
  if (known !== undefined) return known as string[];
  const names = Object.freeze(flagNameList(flags));
  FLAG_LISTS[flags] = names;
  return names as string[];
}

/** The names of the flags set in `flags`, in bit order. */
function flagNameList(flags: number): string[] {
  // Sized first: pushing onto an empty array reserved room for 17 names (152 bytes per reset).
  let count = 0;
  for (let bit = 0; bit < FLAG_NAMES.length; bit++) if (flags & (1 << bit)) count++;
  const names = new Array<string>(count);
  let n = 0;
  for (let bit = 0; bit < FLAG_NAMES.length; bit++) {
    if (flags & (1 << bit)) names[n++] = FLAG_NAMES[bit] as string;
  }
  return names;
}

/** MP_TCPRST reason codes (RFC 8684 §3.6, IANA "MPTCP MP_TCPRST Reason Codes"). */
const MPTCP_REASONS: Record<number, string> = {
  0: 'unspecified_error',
  1: 'mptcp_specific_error',
  2: 'lack_of_resources',
  3: 'administratively_prohibited',
  4: 'too_much_outstanding_data',
  5: 'unacceptable_performance',
  6: 'middlebox_interference',
};

/** The most payload bytes examined for a reason string. */
export const REASON_TEXT_MAX = 512;

/**
 * Printable text carried in a RST's payload (RFC 9293 §3.5.3 / RFC 1122 §4.2.2.12 allow
 * diagnostic data; F5 BIG-IP writes its reset cause there), or null when the payload is not text.
 * Text means at least four characters, at least 80% of the bytes printable ASCII or whitespace.
 */
export function reasonText(data: Uint8Array, start: number, length: number): string | null {
  const n = Math.min(length, REASON_TEXT_MAX);
  if (n < 4) return null;
  let printable = 0;
  let text = '';
  for (let i = 0; i < n; i++) {
    const b = data[start + i] ?? 0;
    if (b >= 0x20 && b < 0x7f) {
      printable++;
      text += String.fromCharCode(b);
    } else if (b === 0x09 || b === 0x0a || b === 0x0d) {
      printable++;
      text += ' ';
    } else if (b === 0 && i === n - 1) {
      printable++; // a C string's terminator
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (printable < n * 0.8 || text.length < 4) return null;
  return text;
}

/** The MP_TCPRST reason of a RST (RFC 8684 §3.6), or null when the option was absent (code < 0). */
export function mptcpReasonOf(code: number, flags: number): MptcpReason | null {
  return code < 0 ? null : { code, name: MPTCP_REASONS[code] ?? 'unknown', flags };
}

/** Rounds epoch seconds to the microsecond so that JSON shows them cleanly. */
export function roundMicros(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}
