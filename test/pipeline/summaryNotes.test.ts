/**
 * Issue 12, items 2 and 3 as the user sees them: the summary itself says that N packets of link
 * type X were not decoded (it used to say "0 resets" with a note on stderr only), and the text
 * report says so too, as it says how many packets had bad checksums; the CLI takes -C and
 * --stream and reads a directory.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, RST, tcp4Frame } from '../../testkit/frames.js';
import { A, Conversation, R, S } from '../helpers/conversation.js';
import { runCli, tempDir } from '../helpers/run.js';

describe('the summary names what was not analysed', () => {
  const tmp = tempDir('whyreset-notes-');
  after(() => tmp.remove());

  it('packets of an unknown link type are counted in summary.undecoded and the text report', async () => {
    const path = join(tmp.dir, 'user0.pcap');
    writeFileSync(path, writePcap([{ ts: 1, data: new Uint8Array(40) }, { ts: 2, data: new Uint8Array(40) }], { linkType: 147 }));
    const report = await analyze([path]);
    assert.deepEqual(report.summary.undecoded, { '147': 2 });
    const cli = await runCli(['analyze', path]);
    assert.match(cli.stdout, /2 packets of link type 147 were not decoded/);
  });

  it('-C on the command line tracks a RST with a bad checksum; the default reports it as not tracked', async () => {
    const path = join(tmp.dir, 'bad.pcap');
    const conv = new Conversation().send('c', S).send('s', R | A);
    const rst = conv.records[1];
    assert.ok(rst);
    const data = rst.data.slice();
    data[14 + 20 + 16] = (data[14 + 20 + 16] ?? 0) ^ 0xff; // the TCP checksum's first byte
    writeFileSync(path, writePcap([conv.records[0] as { ts: number; data: Uint8Array }, { ts: rst.ts, data }]));
    const strict = await runCli(['analyze', '-f', 'json', path]);
    const lax = await runCli(['analyze', '-f', 'json', '-C', path]);
    assert.equal(JSON.parse(strict.stdout).resets.length, 0);
    assert.equal(JSON.parse(lax.stdout).resets.length, 1);
    const text = await runCli(['analyze', path]);
    assert.match(text.stdout, /1 TCP packet with a bad checksum was not tracked/);
  });

  it('a directory is read as its captures in time order; --stream makes them one stream', async () => {
    const dir = join(tmp.dir, 'ring');
    mkdirSync(dir);
    const syn = tcp4Frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5000, dport: 80, seq: 1, ack: 0, flags: 0x02, win: 100 });
    const rst = tcp4Frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 5000, seq: 0, ack: 2, flags: RST | ACK, win: 0 });
    // Names in the opposite order of their times: the time decides.
    writeFileSync(join(dir, 'b.pcap'), writePcap([{ ts: 1_700_000_000, data: syn }]));
    writeFileSync(join(dir, 'a.pcap'), writePcap([{ ts: 1_700_000_001, data: rst }]));
    const result = await runCli(['analyze', '-f', 'json', '--stream', dir]);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(
      report.inputs.map((i: { path: string }) => i.path),
      [join(dir, 'b.pcap'), join(dir, 'a.pcap')],
    );
    assert.equal(report.connections.length, 1, 'one connection across the two files');
    assert.equal(report.connections[0].history, 'Sr');
    assert.deepEqual([report.resets[0].capture, report.resets[0].frame], [1, 1]);
  });
});
