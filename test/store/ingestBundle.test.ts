/**
 * dist/bundle/ingest.cjs (scripts/bundle.mjs, the script bin/whyreset.js runs for `ingest`) holds
 * the analysis as plain top-level code, as dist/bundle/analyze.cjs does. A module reached through
 * a dynamic import() is wrapped by esbuild in a lazy initialiser (`__esm`), and with it every
 * module it imports: its constants become variables assigned when the initialiser runs, which
 * TurboFan cannot fold into the code that reads them (src/cli/ingest.ts imported the store's
 * modules so until session 15: the whole analysis was wrapped, and JsonBytes' `charCodeAt.call`,
 * for one, went through V8's generic call builtins: callgrind, 512 MiB bench mix).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/run.js';

/** The folders of src/ whose code runs per packet or per finding. */
const HOT = ['capture', 'decode', 'track', 'explain', 'pipeline', 'report', 'net', 'store'];

test('the ingest script holds the analysis and the store as plain top-level code, not in lazy initialisers', () => {
  const script = readFileSync(join(REPO_ROOT, 'dist', 'bundle', 'ingest.cjs'), 'utf8');
  // The script is the bundle of the ingest command: the tracker and the store's feed are in it.
  for (const name of ['trackPacket', 'DuckFeed', 'RowSpool']) assert.ok(script.includes(name), name);
  const wrapped = [...script.matchAll(/__esm\(\{"dist\/src\/([^"]+)"/g)].map((m) => m[1] as string);
  assert.deepEqual(
    wrapped.filter((m) => HOT.some((folder) => m.startsWith(`${folder}/`))),
    [],
  );
});
