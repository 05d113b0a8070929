/**
 * `whyreset submit`: queues capture files as jobs in a PostgreSQL store for `whyreset worker`.
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { EXIT_OK, EXIT_USAGE, warn } from './common.js';
import { parseStoreArgs } from './storeArgs.js';

const SUBMIT_HELP = `Usage: whyreset submit --pg URL <capture|dir|glob...> [--sensor NAME]

Queues capture files as jobs in a PostgreSQL store (15+; tables created if missing) for
"whyreset worker" processes on any number of machines. Workers must see the files at the same
path (shared storage). A sensor's files are analysed in time order (first packet), one at a
time; different sensors' files in parallel. Submitting a file again adds nothing.

Options:
      --pg URL       the store: postgresql://user@host/db (or postgresql:///db?host=/socket/dir)
      --sensor NAME  the capture point these files come from (default: this host's name)
  -h, --help         this help
Exit codes: 0 queued, 2 usage error, no such file, or the database refused.
`;

/** `whyreset submit`. */
export async function submitCommand(argv: string[]): Promise<number> {
  const parsed = parseStoreArgs(argv, { pg: { type: 'string' }, sensor: { type: 'string' } }, SUBMIT_HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.pg === undefined || positionals.length === 0) {
    warn(`submit needs --pg URL and at least one capture\n${SUBMIT_HELP}`);
    return EXIT_USAGE;
  }
  const { expandInputs } = await import('../store/inputFiles.js');
  const { files, missing } = expandInputs(positionals);
  for (const m of missing) warn(`${m}: no such file, or nothing matches`);
  if (files.length === 0) return EXIT_USAGE;
  const { firstPacketTs } = await import('../store/firstPacket.js');
  const sensor = values.sensor ?? hostname();
  const specs = [];
  for (const f of files) specs.push({ sensor, path: resolve(f), size: statSync(f).size, firstTs: await firstPacketTs(f) });
  const { PgStore } = await import('../store/pg.js');
  const { submitJobs } = await import('../store/queue.js');
  try {
    const store = await PgStore.connect(values.pg);
    try {
      await store.ensureSchema();
      const added = await submitJobs(store.client, specs);
      process.stdout.write(`${added} job(s) queued for sensor ${sensor}, ${specs.length - added} already known\n`);
    } finally {
      await store.close();
    }
  } catch (err) {
    warn(`${values.pg}: ${(err as Error).message}`);
    return EXIT_USAGE;
  }
  return missing.length > 0 ? EXIT_USAGE : EXIT_OK;
}
