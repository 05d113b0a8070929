/**
 * A private, throwaway PostgreSQL cluster for the store tests: `initdb` in a temporary directory
 * (as the unprivileged user `nobody` when the tests run as root, since PostgreSQL refuses to run
 * as root), listening only on a Unix socket in that directory, fsync off; stopped and removed on
 * every exit path (the test's `after`, and the process's `exit`). With WHYRESET_REQUIRE_PG=1
 * (set by .ci/run) a missing PostgreSQL is an error instead of a skip.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A running cluster. */
export interface PgCluster {
  /** A connection URL for the database `whyreset` over the Unix socket. */
  url: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): string;
  stop(): void;
}

/** The directory of PostgreSQL's server programs, or null when it is not installed. */
function pgBinDir(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  // Debian links initdb into /usr/local/bin; the other programs (psql, pg_ctl) sit beside its target.
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return dirname(realpathSync(onPath.stdout.trim()));
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

/** Why the store tests cannot run here, or null when they can. */
export function pgUnavailable(): string | null {
  return pgBinDir() === null ? 'PostgreSQL (initdb) is not installed' : null;
}

/** Whether a missing PostgreSQL must fail the tests (CI) rather than skip them. */
export const PG_REQUIRED = process.env.WHYRESET_REQUIRE_PG === '1';

/** Runs a server program, as `nobody` when we are root. */
function runAs(bin: string, args: readonly string[], asNobody: boolean): { status: number | null; out: string } {
  const cmd = asNobody ? ['runuser', ['-u', 'nobody', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd[0] as string, cmd[1] as string[], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Starts a cluster; throws with initdb's or pg_ctl's output when it cannot. */
export function startPgCluster(): PgCluster {
  const bin = pgBinDir();
  if (bin === null) throw new Error('PostgreSQL (initdb) is not installed');
  const asNobody = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-pg-'));
  if (asNobody) chownSync(dir, 65534, 65534);
  const data = join(dir, 'data');
  const user = asNobody ? 'nobody' : (process.env.USER ?? 'postgres');
  const init = runAs(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], asNobody);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.out}`);
  const options = `-k ${dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asNobody);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const start = runAs(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], asNobody);
  if (start.status !== 0) {
    stop();
    throw new Error(`pg_ctl start failed: ${start.out}`);
  }
  const urlOf = (db: string) => `postgresql://${user}@/${db}?host=${encodeURIComponent(dir)}`;
  const createDatabase = (name: string) => {
    const r = runAs(join(bin, 'psql'), ['-h', dir, '-U', user, '-d', 'postgres', '-qc', `CREATE DATABASE ${name}`], asNobody);
    if (r.status !== 0) throw new Error(`CREATE DATABASE failed: ${r.out}`);
    return urlOf(name);
  };
  return { url: createDatabase('whyreset'), createDatabase, stop };
}
