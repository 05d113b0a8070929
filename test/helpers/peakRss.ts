/**
 * Preloaded into a CLI child (`NODE_OPTIONS=--import=…/peakRss.js`): on exit, writes the
 * process's peak resident set size as one stderr line, `whyreset-test-peak-rss <KiB>`
 * (getrusage's ru_maxrss, which Node reports in KiB), for tests that bound memory.
 */
process.on('exit', () => {
  process.stderr.write(`whyreset-test-peak-rss ${process.resourceUsage().maxRSS}\n`);
});
