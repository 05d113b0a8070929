/**
 * `whyreset ingest` on its own: the entry of dist/bundle/ingest.cjs (scripts/bundle.mjs), which
 * bin/whyreset.js runs for `ingest` with V8's code cache made at build time, as it runs analyze
 * (src/cli/analyzeMain.ts). It answers exactly as main(['ingest', ...argv]) does.
 */
import type { EarlyHashThread } from '../store/hasher.js';
import { guarded } from './guard.js';
import { ingestCommand } from './ingest.js';

/** `whyreset ingest …argv` (the arguments after the command): the exit code. `early`: the hashing thread bin/hashThreadEarly.cjs started, if any. */
export function ingestMain(argv: string[], early?: EarlyHashThread | null): Promise<number> {
  return guarded(() => ingestCommand(argv, early ?? undefined));
}
