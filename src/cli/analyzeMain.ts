/**
 * `whyreset analyze` on its own: the entry of dist/bundle/analyze.cjs (scripts/bundle.mjs), which
 * bin/whyreset.js runs for `analyze` (not `analyze --correlate`) with V8's code cache made at build
 * time. It answers exactly as main(['analyze', ...argv]) does.
 */
import { analyzeCommand } from './analyze.js';
import { guarded } from './guard.js';

/** `whyreset analyze …argv` (the arguments after the command): the exit code. */
export function analyzeMain(argv: string[]): Promise<number> {
  return guarded(() => analyzeCommand(argv));
}
