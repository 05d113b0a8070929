#!/usr/bin/env -S node --max-semi-space-size=2
// The young generation is capped at 2 MiB per semi-space (V8's default is 16): whyreset's
// short-lived objects die young either way, and the smaller nursery takes ~25% off the peak
// RSS of a 512 MiB analysis at the same speed (npm run bench measures both). The flag must be
// given to node at start; executing this file (npx whyreset, the npm bin link) does.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`whyreset: internal error: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
