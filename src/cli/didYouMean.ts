/**
 * "Did you mean …" for a mistyped command or option: the known word closest in edit distance
 * (Levenshtein), if it is close enough to be a typo.
 */

/** Edit distance between two short words. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known word closest to `word` (at most 2 edits, or a third of its letters, wrong), or null. */
export function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  const bare = (w: string) => w.replace(/^-+/, '');
  let bestDistance = Math.max(2, Math.floor(bare(word).length / 3)) + 1;
  for (const k of known) {
    const d = distance(bare(word), bare(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** The long options a help text names ("--format", …). */
export function optionsOf(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z-]*/g) ?? [])];
}
