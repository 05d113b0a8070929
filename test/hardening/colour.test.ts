/**
 * Issue 16, item 15: `--color auto|always|never` and FORCE_COLOR, so `whyreset … | less -R` works.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourWanted } from '../../src/report/style.js';
import { runCli } from '../helpers/run.js';

const EXAMPLE = 'examples/closed-port.pcap';
const ESC = '\u001b[';

test('colourWanted: --color decides; in auto FORCE_COLOR forces, NO_COLOR and a pipe turn it off', () => {
  assert.equal(colourWanted(false, {}, 'always'), true);
  assert.equal(colourWanted(true, { FORCE_COLOR: '1' }, 'never'), false);
  assert.equal(colourWanted(false, { FORCE_COLOR: '1' }), true);
  assert.equal(colourWanted(false, { FORCE_COLOR: '0' }), false);
  assert.equal(colourWanted(true, { NO_COLOR: '1' }), false);
  assert.equal(colourWanted(true, {}), true);
  assert.equal(colourWanted(false, {}), false);
});

test('the text reports colour a pipe with --color always or FORCE_COLOR, never with --color never', async () => {
  for (const command of [
    ['analyze', EXAMPLE],
    ['explain', EXAMPLE, '--conn', 'C1'],
  ]) {
    assert.ok((await runCli([...command, '--color', 'always'])).stdout.includes(ESC), `${command[0]} --color always`);
    assert.ok((await runCli(command, { env: { FORCE_COLOR: '1' } })).stdout.includes(ESC), `${command[0]} FORCE_COLOR=1`);
    assert.ok(!(await runCli([...command, '--color', 'never'], { env: { FORCE_COLOR: '1' } })).stdout.includes(ESC), `${command[0]} --color never`);
    assert.ok(!(await runCli(command)).stdout.includes(ESC), `${command[0]} on a pipe`);
  }
  const bad = await runCli(['analyze', EXAMPLE, '--color', 'sometimes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--color needs auto, always or never/);
});
