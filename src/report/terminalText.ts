/**
 * Untrusted text on a terminal: file names and the reason text a device put in its RST can hold
 * escape sequences (ESC [ … that move the cursor, retitle the window, or worse) and other control
 * characters. They are shown as \xNN, so what is printed is what the bytes were, and the terminal
 * never acts on them.
 */

// C0 controls but newline, DEL, and the C1 controls (U+0080–U+009F, which some terminals act on).
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/** The text with every control character but newline written as \xNN. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A spreadsheet reads a cell that starts with = + - @ (or tab, CR) as a formula (OWASP "CSV injection"): such text gets a leading apostrophe. */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
