/** `whyreset analyze --html FILE [--html-ladders N]` as users run it: the HTML beside the normal report. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { A, Conversation, R, S } from '../helpers/conversation.js';
import { runCli, tempDir } from '../helpers/run.js';

describe('analyze --html', () => {
  const tmp = tempDir('whyreset-html-cli-');
  after(() => tmp.remove());
  const pcap = join(tmp.dir, 'refused.pcap');
  // Four refused connections (port_closed) and one aborted after data (application_abort).
  const refused = [0, 1, 2, 3].map((i) => new Conversation({ start: 1700000000 + i, client: { port: 42000 + i }, server: { port: 9 } }).send('c', S).send('s', R | A));
  const abort = new Conversation({ start: 1700000010, client: { port: 42100 }, server: { port: 443 } }).handshake().exchange().send('c', R | A);
  writeFileSync(pcap, abort.toPcap(...refused));

  it('writes the HTML report and still prints the normal report', async () => {
    const html = join(tmp.dir, 'report.html');
    const res = await runCli(['analyze', '--html', html, pcap]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /5 TCP resets/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.equal((page.match(/<svg class="ladder" data-conn="/g) ?? []).length, 5);
  });

  it('--html-ladders N draws the first N connections per cause', async () => {
    const html = join(tmp.dir, 'one.html');
    const res = await runCli(['analyze', '--format', 'json', '--html', html, '--html-ladders', '1', pcap]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { resets: unknown[] }).resets.length, 5);
    const page = readFileSync(html, 'utf8');
    assert.equal((page.match(/<svg class="ladder" data-conn="/g) ?? []).length, 2);
    assert.match(page, /3 connection\(s\) that reset are not drawn/);
  });

  it('--html-rows N embeds the first N resets in the table and says how many are left out; the counts keep them all', async () => {
    const html = join(tmp.dir, 'rows.html');
    const res = await runCli(['analyze', '--html', html, '--html-rows', '2', pcap]);
    assert.equal(res.code, 0, res.stderr);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<p class="muted">2 reset\(s\)/);
    assert.match(page, /3 more reset\(s\) are not in this table/);
    assert.equal((page.match(/<svg class="ladder" data-conn="/g) ?? []).length, 5, 'ladders do not depend on the table');
    const all = readFileSync(join(tmp.dir, 'report.html'), 'utf8');
    assert.doesNotMatch(all, /not in this table/);
  });

  it('refuses a bad --html or --html-ladders with exit code 2 before reading anything', async () => {
    for (const args of [
      ['--html', '-'],
      ['--html', join(tmp.dir, 'no', 'such', 'dir.html')],
      ['--html', join(tmp.dir, 'x.html'), '--html-ladders', 'many'],
      ['--html', join(tmp.dir, 'x.html'), '--html-ladders=-1'],
      ['--html', join(tmp.dir, 'x.html'), '--html-rows', '1.5'],
    ]) {
      const res = await runCli(['analyze', ...args, pcap]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /--html/);
      assert.equal(res.stdout, '');
    }
  });
});
