/**
 * Terminal styling: ANSI colour only when writing to a terminal and NO_COLOR is unset
 * (https://no-color.org); otherwise every helper returns its text unchanged.
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

/** Whether colour is wanted for a stream that is (or is not) a terminal. */
export function colourWanted(isTerminal: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTerminal && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

/** A Style that colours, or one that does nothing. */
export function makeStyle(colour: boolean): Style {
  if (!colour) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return { bold: ansi('1'), dim: ansi('2'), red: ansi('31'), yellow: ansi('33'), green: ansi('32'), cyan: ansi('36') };
}
