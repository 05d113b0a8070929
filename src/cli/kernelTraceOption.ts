/**
 * `--kernel-trace FILE[,FILE…]` (analyze, explain, correlate): the files of `whyreset trace`,
 * one per traced host, loaded into one matcher.
 */
import { KernelMatcher } from '../kernel/match.js';
import { TraceFileError, loadTraceFile, traceFileList } from '../kernel/traceFile.js';

/** Help text shared by the commands that take the option. */
export const KERNEL_TRACE_HELP = `      --kernel-trace FILE[,FILE...]  files written by "whyreset trace" on the hosts whose
                     kernels were traced: each reset such a host sent gets the kernel's reason
                     (kernel_reason, the strongest evidence of cause and origin), and one that
                     claims to come from a traced host that never sent it is proven forged
                     (kernel_absent); repeatable`;

/** The matcher for the option's values, undefined when not given, or an error message. */
export function kernelMatcherOf(values: readonly string[] | undefined): KernelMatcher | undefined | string {
  if (values === undefined || values.length === 0) return undefined;
  const paths = traceFileList(values);
  if (paths.length === 0) return '--kernel-trace needs a file';
  try {
    return new KernelMatcher(paths.map(loadTraceFile));
  } catch (err) {
    if (err instanceof TraceFileError) return `--kernel-trace ${err.message}`;
    throw err;
  }
}
