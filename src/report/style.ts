/**
 * Terminal styling: ANSI colour when writing to a terminal and NO_COLOR is unset
 * (https://no-color.org), or when asked for (--color always, FORCE_COLOR); otherwise every helper
 * returns its text unchanged.
 */

/** Colour functions, or identity when colour is off. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const plain = (s: string) => s;
const ansi = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

/** `--color`: auto (a terminal, unless NO_COLOR; FORCE_COLOR forces it), always, never. */
export type ColourMode = 'auto' | 'always' | 'never';

/**
 * Whether colour is wanted for a stream that is (or is not) a terminal. `--color always|never`
 * decides; in auto, FORCE_COLOR (set, and not "0" or "false", as Node and chalk read it) turns
 * colour on for `whyreset … | less -R`, NO_COLOR (https://no-color.org) or TERM=dumb off.
 */
export function colourWanted(isTerminal: boolean, env: NodeJS.ProcessEnv = process.env, mode: ColourMode = 'auto'): boolean {
  if (mode !== 'auto') return mode === 'always';
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return isTerminal && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

/** A Style that colours, or one that does nothing. */
export function makeStyle(colour: boolean): Style {
  if (!colour) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return { bold: ansi('1'), dim: ansi('2'), red: ansi('31'), yellow: ansi('33'), green: ansi('32'), cyan: ansi('36') };
}
