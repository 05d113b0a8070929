/**
 * Escaping for the HTML report. Every string that comes from a capture (addresses, the RST's
 * reason_text, file names) passes through one of these before it reaches the page: reason_text
 * is written by whoever sent the RST, so it is attacker-controlled.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values (also inside SVG). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/**
 * JSON made safe inside `<script type="application/json">`: `<` becomes `\u003c`, so no
 * `</script>` or `<!--` can end or bend the element, and U+2028/U+2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
