/**
 * The one option table of analyze, explain and correlate (src/cli/options.ts): which command
 * takes which option, every option a command takes is in its --help, and an option of another
 * command is a usage error (exit 2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPTION_TABLE, type OptionCommand, optionsOf } from '../../src/cli/options.js';
import { runCli } from '../helpers/run.js';

/** The options each command takes, as its help text documents them. */
const EXPECTED: Record<OptionCommand, string[]> = {
  analyze: ['format', 'out', 'color', 'inactivity-timeout', 'verbose', 'write-pcap', 'html', 'html-ladders', 'html-rows', 'kernel-trace', 'ignore-checksums', 'stream', 'threads', 'summary-every', 'host', 'net', 'port', 'since', 'until', 'help'],
  explain: ['format', 'out', 'color', 'reset', 'frame', 'inactivity-timeout', 'conn', 'packets', 'kernel-trace', 'ignore-checksums', 'threads', 'host', 'net', 'port', 'since', 'until', 'help'],
  correlate: ['format', 'out', 'color', 'inactivity-timeout', 'html', 'html-ladders', 'html-rows', 'order', 'kernel-trace', 'threads', 'host', 'net', 'port', 'since', 'until', 'help'],
};

describe('option table', () => {
  for (const command of Object.keys(EXPECTED) as OptionCommand[]) {
    it(`${command}: takes exactly its options, each with its short form`, () => {
      const options = optionsOf(command) as Record<string, { type: string; short?: string }>;
      assert.deepEqual(Object.keys(options).sort(), [...EXPECTED[command]].sort());
      for (const [name, option] of Object.entries(options)) {
        const row = OPTION_TABLE[name as keyof typeof OPTION_TABLE];
        assert.equal(option.type, row.type, name);
        assert.equal(option.short, 'short' in row ? row.short : undefined, name);
        assert.ok(!('commands' in option), 'parseArgs gets no table membership');
      }
    });

    it(`${command}: --help documents every option it takes`, async () => {
      const r = await runCli([command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      for (const name of Object.keys(optionsOf(command))) {
        assert.ok(r.stdout.includes(`--${name}`), `--${name} is not in "${command} --help"`);
      }
    });
  }

  it('an option of another command is a usage error', async () => {
    for (const [command, foreign] of [
      ['analyze', ['--order', '0,1']],
      ['explain', ['--html', 'x.html']],
      ['correlate', ['--verbose']],
    ] as const) {
      const r = await runCli([command, ...foreign, 'a.pcap', 'b.pcap']);
      assert.equal(r.code, 2, `${command} ${foreign.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /unknown option --/);
    }
  });
});
