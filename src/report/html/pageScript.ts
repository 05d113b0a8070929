/**
 * The report page's only script, as the page inlines it: the browser scripts of ./browser/
 * (real TypeScript, type-checked against the DOM by ./browser/tsconfig.json and compiled by the
 * build next to this module, so the installed package carries them) read once and wrapped in one
 * function so that they leave no globals. Also the table's columns, which the script and the
 * static table (resetTableHtml.ts) share.
 */
import { readFileSync } from 'node:fs';

/** Table columns in order: key (the script's sort/cell key) and header text. */
export const TABLE_COLUMNS: readonly (readonly [string, string])[] = [
  ['id', 'reset'],
  ['ts', 'time (UTC)'],
  ['frame', 'capture:frame'],
  ['conn', 'connection'],
  ['src', 'source'],
  ['dst', 'destination'],
  ['flags', 'flags'],
  ['ttl', 'TTL'],
  ['stage', 'stage'],
  ['cause', 'cause'],
  ['verdict', 'verdict'],
  ['conf', 'conf.'],
  ['sig', 'signature'],
  ['reason', 'reason text'],
];

/** The browser scripts, in the order the page runs them. */
export type BrowserScript = 'resetTableDecoder' | 'pageScript';

/** The compiled JavaScript of one browser script (dist/src/report/html/browser/<name>.js, beside this module). */
export function browserScriptSource(name: BrowserScript): string {
  return readFileSync(new URL(`./browser/${name}.js`, import.meta.url), 'utf8');
}

let pageScriptText: string | null = null;

/** The page's script: the row decoder, then the table script, in one strict function scope. */
export function pageScript(): string {
  pageScriptText ??= `(function () {\n'use strict';\n${browserScriptSource('resetTableDecoder')}${browserScriptSource('pageScript')}})();`;
  return pageScriptText;
}
