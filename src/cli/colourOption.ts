/**
 * `--color auto|always|never`, shared by the commands that print text reports.
 */
import type { ColourMode } from '../report/style.js';

const MODES: readonly ColourMode[] = ['auto', 'always', 'never'];

/** The colour mode asked for (auto when not given), or an error message. */
export function colourModeOf(value: string | undefined): ColourMode | { error: string } {
  if (value === undefined) return 'auto';
  const mode = MODES.find((m) => m === value);
  return mode ?? { error: `--color needs auto, always or never, not "${value}"` };
}
