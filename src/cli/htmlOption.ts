/**
 * `--html FILE` and `--html-ladders N`, shared by `analyze` and `correlate`: checked before any
 * analysis (with the other outputs, by outputCheck.ts: nothing is opened for writing yet), then the page written from the
 * run's Findings.
 */
import type { Findings } from '../report/findings.js';
import { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from '../report/html/limits.js';
import { Output } from '../report/output.js';
import { warn } from './common.js';

/** The HTML report's file and limits. */
export interface HtmlTarget {
  path: string;
  /** Ladders drawn per cause. */
  ladders: number;
  /** Resets embedded in the table. */
  rows: number;
}

/** Where the HTML report goes and how many ladders per cause; null without --html; an error message when the options are wrong. */
export function htmlTarget(values: { html?: string; 'html-ladders'?: string; 'html-rows'?: string }): HtmlTarget | null | string {
  const path = values.html ?? null;
  const ladders = values['html-ladders'] === undefined ? DEFAULT_LADDERS_PER_CAUSE : Number(values['html-ladders']);
  if (!Number.isInteger(ladders) || ladders < 0) return `--html-ladders needs a whole number of 0 or more, not "${values['html-ladders']}"`;
  const rows = values['html-rows'] === undefined ? DEFAULT_TABLE_ROWS : Number(values['html-rows']);
  if (!Number.isInteger(rows) || rows < 0) return `--html-rows needs a whole number of 0 or more, not "${values['html-rows']}"`;
  if (path === null) return null;
  // Whether the file can be written (and is no input) is checked with the other outputs (outputCheck.ts).
  if (path === '-' || path === '') return '--html needs a file name (the report on standard output stays as --format says)';
  return { path, ladders, rows };
}

/**
 * Writes the HTML report (one line on a terminal's stderr says what it holds). The renderer
 * (report/html/, 15 modules) is loaded here, only for a run that asked for the page.
 */
export async function writeHtmlReport(target: HtmlTarget, findings: Findings): Promise<void> {
  const { writeHtml } = await import('../report/html/writeHtml.js');
  const page = new Output(target.path);
  const drawn = await writeHtml(page, findings, { laddersPerCause: target.ladders, tableRows: target.rows });
  await page.end();
  if (process.stderr.isTTY) {
    warn(`${target.path}: HTML report, ${drawn.rows} resets, ${drawn.ladders} ladders${drawn.laddersLeftOut > 0 ? ` (${drawn.laddersLeftOut} left out)` : ''}`);
  }
}
