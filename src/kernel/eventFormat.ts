/**
 * Reads a tracepoint's `format` file (tracefs `events/<system>/<event>/format`): which fields it
 * has and the names `__print_symbolic` gives a field's values. whyreset never hard-codes the
 * numbers of `enum sk_rst_reason`: they moved between releases (include/net/rstreason.h gained
 * TCP_DISCONNECT_WITH_DATA in the middle of the enum in 6.12), so the names come from the running
 * kernel's own print format.
 */

/** Whether the format declares a field of that name (e.g. `enum sk_rst_reason reason`). */
export function hasField(format: string, name: string): boolean {
  const re = new RegExp(`^\\s*field:[^;]*[\\s*]${name}(\\[\\d+\\])?;`, 'm');
  return re.test(format);
}

/**
 * The value → name table of `__print_symbolic(REC->field, { 0, "NAME" }, …)` in the format's
 * `print fmt` line; empty when the field is not printed symbolically.
 */
export function symbolicNames(format: string, field: string): Map<number, string> {
  const names = new Map<number, string>();
  const printFmt = format.split('\n').find((l) => l.startsWith('print fmt:'));
  if (printFmt === undefined) return names;
  const start = printFmt.indexOf(`__print_symbolic(REC->${field},`);
  if (start < 0) return names;
  // The table ends at the parenthesis that closes __print_symbolic; entries are { N, "NAME" }.
  let depth = 0;
  let end = printFmt.length;
  for (let i = start + '__print_symbolic'.length; i < printFmt.length; i++) {
    const c = printFmt[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  const entry = /\{\s*(-?\d+|0x[0-9a-fA-F]+)\s*,\s*"([^"]*)"\s*\}/g;
  for (const m of printFmt.slice(start, end).matchAll(entry)) names.set(Number(m[1]), m[2] ?? '');
  return names;
}
