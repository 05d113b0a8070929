/**
 * `whyreset worker`: analyses queued captures into PostgreSQL (src/store/worker.ts).
 */
import { hostname } from 'node:os';
import { EXIT_OK, EXIT_USAGE, inactivityTimeoutOf, warn } from './common.js';
import { parseStoreArgs } from './storeArgs.js';

/** Default lease: a killed worker's file is claimable again within this many seconds. */
const DEFAULT_LEASE_S = 10;

const WORKER_HELP = `Usage: whyreset worker --pg URL [--once] [--idle-exit S]

Takes queued captures (see "whyreset submit") from a PostgreSQL store one at a time, analyses
each and writes its captures, connections, resets and patterns rows in the same transaction
that marks its job done. Run one per core on as many machines as needed. A claim is a lease
renewed by a heartbeat: a worker killed mid-file leaves nothing behind, and its file is taken
by another worker once the lease runs out; no row is ever written twice. A file that kills or
hangs its workers is claimed at most --max-attempts times, then marked failed with its error.

A sensor's files are one stream, taken one at a time in time order: connections still open at
the end of a file are saved with its results and resumed by whichever worker takes the
sensor's next file, so a connection crossing files is stored once, complete. A file that does
not continue the stream (another name, link type, or a gap past the inactivity timeout)
finishes it first; a worker leaving at --idle-exit finishes the streams of sensors with no file
left.

Options:
      --pg URL         the store: postgresql://user@host/db (or postgresql:///db?host=/socket/dir)
      --once           take one job (or none), then exit
      --idle-exit S    exit after S seconds without work (default: wait for work forever)
      --lease S        seconds a claim lasts without a heartbeat (default ${DEFAULT_LEASE_S})
      --poll-ms N      milliseconds between looks at an empty queue (default 1000)
      --max-attempts N claims a file gets before it is marked failed with its last error (a
                       file that kills or hangs its workers is not retried forever; default 3)
      --inactivity-timeout S   as for analyze (default 300)
  -v, --verbose        one line per job on stderr (claimed, storing, stored, failed, lost)
  -h, --help           this help
Exit codes: 0 done, 2 usage error or the database refused.
`;

/** `whyreset worker`. */
export async function workerCommand(argv: string[]): Promise<number> {
  const parsed = parseStoreArgs(
    argv,
    {
      pg: { type: 'string' },
      once: { type: 'boolean' },
      'idle-exit': { type: 'string' },
      lease: { type: 'string' },
      'poll-ms': { type: 'string' },
      'max-attempts': { type: 'string' },
      'inactivity-timeout': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    WORKER_HELP,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.pg === undefined) {
    warn(`worker needs --pg URL\n${WORKER_HELP}`);
    return EXIT_USAGE;
  }
  const idleExit = values['idle-exit'] === undefined ? null : Number(values['idle-exit']);
  const lease = values.lease === undefined ? DEFAULT_LEASE_S : Number(values.lease);
  const pollMs = values['poll-ms'] === undefined ? 1000 : Number(values['poll-ms']);
  const maxAttempts = values['max-attempts'] === undefined ? 3 : Number(values['max-attempts']);
  const inactivity = inactivityTimeoutOf(values['inactivity-timeout']);
  if ((idleExit !== null && !(idleExit >= 0)) || !(lease > 0) || !(pollMs > 0) || !(Number.isInteger(maxAttempts) && maxAttempts >= 1) || typeof inactivity === 'string') {
    warn('--idle-exit, --lease, --poll-ms, --max-attempts and --inactivity-timeout need positive numbers');
    return EXIT_USAGE;
  }
  const { runWorker } = await import('../store/worker.js');
  try {
    const totals = await runWorker({
      url: values.pg,
      name: `${hostname()}:${process.pid}`,
      leaseS: lease,
      pollMs,
      once: values.once ?? false,
      idleExitS: idleExit,
      maxAttempts,
      inactivityTimeout: inactivity,
      onEvent: values.verbose ? (event, job) => warn(`worker ${process.pid}: ${event} ${job.path} (job ${job.id}, sensor ${job.sensor})`) : undefined,
    });
    if (values.verbose) warn(`worker ${process.pid}: ${totals.stored} stored, ${totals.failed} failed, ${totals.lost} lost`);
  } catch (err) {
    warn(`${values.pg}: ${(err as Error).message}`);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}
