/**
 * The HTML report's default limits, apart from writeHtml.ts so that the command line can print
 * them in its help and check its options without loading the page's renderer (cli/main.ts loads
 * only what a command uses).
 */

/** Ladders drawn per cause by default. */
export const DEFAULT_LADDERS_PER_CAUSE = 20;
/** Resets embedded in the table by default: about 65 bytes each, so the page stays near 16 MB at most. */
export const DEFAULT_TABLE_ROWS = 250_000;

/** Groups of reset lines the HTML report's join of ladders and resets keeps while looking ahead (resetsByConnection.ts). */
export const JOIN_LOOKAHEAD = 4096;
