/**
 * Help texts are printed folded to 80 columns, whatever their source lines: a long line breaks
 * at spaces and continues under its description column (an option's text), or under its own
 * indentation (prose), so `--help` reads in any terminal.
 */

/** The width help lines fit in. */
export const HELP_WIDTH = 80;

/** Where a continuation of `line` starts: the description column of an option or command line, else the line's indentation. */
function continuationIndent(line: string): number {
  const column = /^(\s+\S.*?\s{2,})\S/.exec(line)?.[1]?.length;
  if (column !== undefined && column < HELP_WIDTH / 2 + 8) return column;
  return /^\s*(?:- )?/.exec(line)?.[0].length ?? 0;
}

/** Folds one line to HELP_WIDTH, continuing under column `column`. */
function wrapLine(line: string, column: number): string[] {
  if ([...line].length <= HELP_WIDTH) return [line];
  const indent = ' '.repeat(column);
  const out: string[] = [];
  let rest = line;
  while ([...rest].length > HELP_WIDTH) {
    const cut = rest.lastIndexOf(' ', HELP_WIDTH);
    if (cut <= indent.length) break;
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out;
}

/** A line that starts an item of its own (an option, a bullet, a "label: …"): never joined to the line before. */
function startsItem(line: string): boolean {
  return /^\s*(?:-|[\w-]+: |$)/.test(line) || !/^\s/.test(line[0] ?? '') === false && /^\S.*:$/.test(line);
}

/**
 * The help text folded to HELP_WIDTH columns. A line too long to fit is joined with the lines
 * that continue it (same continuation indentation, not a new item) and the paragraph refolded, so
 * the text does not turn ragged.
 */
export function wrapHelp(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    let indent = 0;
    if ([...line].length > HELP_WIDTH) {
      // The source's own continuation lines say where the text column is (an option with a long name).
      const next = lines[i + 1];
      const lead = /^\s*/.exec(line)?.[0].length ?? 0;
      const nextIndent = next === undefined ? -1 : (/^\s*/.exec(next)?.[0].length ?? 0);
      indent = next !== undefined && nextIndent > lead && !startsItem(next) ? nextIndent : continuationIndent(line);
      for (;;) {
        const next = lines[i + 1];
        if (next === undefined || startsItem(next) || /^\s*/.exec(next)?.[0].length !== indent) break;
        line = `${line} ${next.trim()}`;
        i++;
      }
    }
    out.push(...wrapLine(line, indent));
  }
  return out.join('\n');
}
