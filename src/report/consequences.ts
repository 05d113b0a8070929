/**
 * Folding consequences under their root: an `after_reset` reset names the reset it follows in
 * `parent`; reports list it right after that reset, indented, so the engineer reads the root
 * cause first (issue 17). Rendering only.
 */
import type { Reset } from '../model/report.js';

/** Resets in order, each consequence moved just after its parent (kept in place when the parent is not among them). */
export function underParents(resets: readonly Reset[]): Reset[] {
  const ids = new Set(resets.map((r) => r.id));
  const roots = resets.filter((r) => r.parent === undefined || !ids.has(r.parent.id));
  return roots.flatMap((root) => [root, ...resets.filter((r) => r !== root && r.parent?.id === root.id)]);
}
