'use strict';
/**
 * Makes V8's code cache of dist/bundle/analyze.cjs at build time (scripts/bundle.mjs starts this
 * with bin/whyreset.js's V8 flags): compiles the script without a cache, analyses the example
 * capture once (output to /dev/null, one thread) so that the functions an analysis calls are
 * compiled too, then writes the cache, V8's createCachedData, beside the script. Run time never
 * writes it (bin/analyzeBundle.cjs only reads it).
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { ANALYZE_CACHE_FILE, loadAnalyze } = require('../bin/analyzeBundle.cjs');

const EXAMPLE = join(__dirname, '..', 'examples', 'closed-port.pcap');

async function makeCache() {
  const { script, exports } = loadAnalyze(undefined);
  const code = await exports.analyzeMain([EXAMPLE, '--threads', '1', '--out', '/dev/null']);
  if (code !== 0) throw new Error(`the warm-up analysis of ${EXAMPLE} ended with exit code ${code}`);
  writeFileSync(ANALYZE_CACHE_FILE, script.createCachedData());
}

makeCache().catch((err) => {
  process.stderr.write(`scripts/codeCache.cjs: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
