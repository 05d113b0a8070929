/**
 * Evidence codes: stable snake_case names (DESIGN.md; extend, never rename). Each piece of
 * evidence carries a human detail that names the numbers it was decided on. Forgery evidence
 * has a weight: the verdict adds the weights of what was seen (see forgery.ts).
 */
import type { Evidence } from '../model/report.js';

export * from '../model/evidenceCodes.js';

/** Makes one evidence entry. */
export function evidence(code: string, detail: string): Evidence {
  return { code, detail };
}
