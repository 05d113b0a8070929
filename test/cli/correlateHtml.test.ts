/**
 * `--html` with correlation (`correlate --html` and `analyze --correlate --html`): on two real
 * kernel captures of the same injected resets (client side and router, tcpdump -i any), the
 * page draws each connection that reset once, with one column per capture point, and says
 * where each reset was born.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Report } from '../../src/index.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const client = join(FIXTURES, 'middlebox-injection.client.pcap');
const router = join(FIXTURES, 'middlebox-injection.router.pcap');
const tmp = tempDir('whyreset-corr-html-');
after(() => tmp.remove());

for (const command of [['correlate'], ['analyze', '--correlate']]) {
  test(`${command.join(' ')} --html: a ladder per reset connection with a column per capture point`, async () => {
    const page = join(tmp.dir, `${command.length}.html`);
    const r = await runCli([...command, client, router, '--format', 'json', '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report & { path?: unknown };
    assert.ok(report.path, 'the path of capture points');
    const conns = new Set(report.resets.map((x) => x.conn));
    assert.ok(report.resets.length >= 6, `${report.resets.length} resets`);
    const html = readFileSync(page, 'utf8');
    const drawn = [...html.matchAll(/data-conn="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(drawn.sort(), [...conns].sort() as string[], 'one ladder per connection that reset');
    for (const point of ['capture [0]', 'capture [1]']) assert.ok(html.includes(point), `a column for ${point}`);
    for (const reset of report.resets) {
      assert.ok(reset.born, `${reset.id} has a born`);
      assert.equal(reset.verdict, 'forged', `${reset.id} injected by the router`);
    }
  });
}

test('correlate --html -: refused with one line, exit 2', async () => {
  const r = await runCli(['correlate', client, router, '--html', '-']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^whyreset: --html needs a file name/);
});
