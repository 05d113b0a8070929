/**
 * The bench's flood runs at a scanner's rate (bench/run.ts BAR_FLOOD_RATE): the rate sets how many
 * connections sit in Zeek's 5 s reset delay at once, which is what the flood's memory bar is about.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FLOOD_RATE, generateFlood } from '../../bench/flood.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

test('generateFlood spreads its connections over conns / rate seconds of capture time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-floodrate-'));
  try {
    const fast = generateFlood(join(dir, 'fast.pcap'), { conns: 3000, rate: 300_000 });
    const slow = generateFlood(join(dir, 'slow.pcap'), { conns: 3000 });
    assert.equal(fast.connections, 3000);
    assert.equal(fast.packets, 6000);
    // 3,000 connections at 300,000/s: 10 ms of capture (plus the last RST's answer delay).
    assert.ok(fast.lastTs - fast.firstTs > 0.009 && fast.lastTs - fast.firstTs < 0.012, `${fast.lastTs - fast.firstTs}`);
    // … and at the generator's default rate 8,000/s: 0.375 s (plus the last answer's delay).
    assert.equal(DEFAULT_FLOOD_RATE, 8000);
    assert.ok(slow.lastTs - slow.firstTs > 0.37 && slow.lastTs - slow.firstTs < 0.4, `${slow.lastTs - slow.firstTs}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench: --flood-rate is documented and a rate that is not a positive number stops the run', () => {
  const help = spawnSync(process.execPath, [RUN, '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout + help.stderr, /--flood-rate N\s+its new connections per second of capture time \(default 300000/);
  for (const bad of ['0', 'fast']) {
    const r = spawnSync(process.execPath, [RUN, '--flood-rate', bad, '--only', 'whyreset', '--skip-flood'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `--flood-rate ${bad}`);
    assert.match(r.stdout + r.stderr, /usage: node dist\/bench\/run\.js .*--flood-rate N/);
  }
});
