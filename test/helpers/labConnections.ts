/**
 * The connections the tracker finishes on the lab's captures (test/fixtures/lab/*.pcap, in name
 * order), as the pipeline hands them on: the real shapes a packed connection must come back as.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runAnalysis } from '../../src/pipeline/run.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { REPO_ROOT } from './run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');

/** Every finished connection of the lab captures, in the order the pipeline finished them. */
export async function labConnections(): Promise<FinishedConnection[]> {
  const conns: FinishedConnection[] = [];
  const noop = (): void => {};
  const inputs = readdirSync(LAB)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((c) => join(LAB, c));
  await runAnalysis(inputs, { onFinished: (c) => conns.push(c) }, { reset: noop, connection: noop, pattern: noop });
  return conns;
}
