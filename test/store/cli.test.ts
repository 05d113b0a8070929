/**
 * The store commands' help and usage errors, and the lazy loading: `analyze` never maps DuckDB's
 * native library into the process, `ingest` does (checked in /proc/self/maps, Linux).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-storecli-');
after(() => tmp.remove());
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'closed-port.client.pcap');

test('store commands: --help names their options; missing arguments are usage errors (exit 2)', async () => {
  const expected: Record<string, string[]> = {
    ingest: ['--db FILE', '--sensor NAME', '--force', 'WHYRESET_DB'],
    query: ['--pg URL', '--top servers|clients|causes', '--since WHEN', '--by-day', '--format FMT'],
    export: ['--parquet DIR', '--db FILE'],
    submit: ['--pg URL', '--sensor NAME'],
    worker: ['--pg URL', '--once', '--idle-exit S', '--lease S'],
  };
  for (const [command, options] of Object.entries(expected)) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0, command);
    for (const o of options) assert.ok(help.stdout.includes(o), `${command} --help lacks ${o}`);
    const bare = await runCli([command]);
    assert.equal(bare.code, 2, `${command} without arguments: ${bare.stderr}`);
  }
  const main = await runCli(['--help']);
  for (const command of Object.keys(expected)) assert.match(main.stdout, new RegExp(`whyreset ${command} `));
  const missing = await runCli(['ingest', '--db', join(tmp.dir, 'x.duckdb'), join(tmp.dir, 'nothing-*.pcap')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nothing matches/);
});

test('analyze never loads DuckDB; ingest does', { skip: existsSync('/proc/self/maps') ? undefined : 'needs /proc/self/maps' }, async () => {
  const script = (argv: string[]) =>
    `const { main } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))});
     await main(${JSON.stringify(argv)});
     const { readFileSync } = await import('node:fs');
     process.stderr.write(readFileSync('/proc/self/maps', 'utf8').includes('libduckdb') ? 'DUCKDB-LOADED' : 'DUCKDB-ABSENT');`;
  const { spawnSync } = await import('node:child_process');
  const run = (argv: string[]) => spawnSync(process.execPath, ['--input-type=module', '-e', script(argv)], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] }).stderr;
  assert.match(run(['analyze', FIXTURE, '--format', 'json', '--out', '/dev/null']), /DUCKDB-ABSENT$/);
  assert.match(run(['ingest', '--db', join(tmp.dir, 'lazy.duckdb'), FIXTURE]), /DUCKDB-LOADED$/);
});
