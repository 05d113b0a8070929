/**
 * The Connection entry explain builds field by field: the tracker's entry with the duration
 * rounded, the reset ids and the Radar category last, key for key in the tracker's order. If the
 * tracker's entry gains a field, this fails until connectionEntry writes it too.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { roundMicros } from '../../src/explain/resetFields.js';
import { runAnalysis } from '../../src/pipeline/run.js';
import { REPO_ROOT } from '../helpers/run.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'lab');

test('connectionEntry: the tracker keys in its order, rounded duration, reset ids, radar_category last', async () => {
  const captures = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.pcap'))
    .map((f) => join(FIXTURES, f));
  let checked = 0;
  let categorised = 0;
  await runAnalysis(
    captures,
    {
      onFinished: (conn, explained) => {
        const entry = explained.connection;
        const expectedKeys = Object.keys(conn.connection);
        if ('radar_category' in entry) {
          expectedKeys.push('radar_category');
          categorised++;
        }
        assert.deepEqual(Object.keys(entry), expectedKeys, conn.id);
        for (const key of Object.keys(conn.connection)) {
          if (key === 'duration') assert.equal(entry.duration, roundMicros(conn.connection.duration));
          else if (key === 'resets') assert.deepEqual(entry.resets, explained.resets.map((r) => r.id));
          else assert.deepEqual(entry[key], (conn.connection as Record<string, unknown>)[key], `${conn.id} ${key}`);
        }
        checked++;
      },
    },
    { reset: () => {}, connection: () => {}, pattern: () => {} },
  );
  assert.ok(checked > 10 && categorised > 0, `${checked} connections, ${categorised} with a radar category`);
});
