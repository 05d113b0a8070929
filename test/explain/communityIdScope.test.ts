/**
 * The Community ID is a SHA-1 per connection, computed only as far as the output prints it
 * (RunOptions.communityIds, explain/explainConnection.ts CommunityIdScope): everything else in the
 * findings stays the same whatever the scope.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/index.js';
import type { Connection, Report, Reset } from '../../src/model/report.js';
import { REPO_ROOT } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');
const CAPTURES = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .map((f) => join(LAB, f));

/** A finding without its Community ID, to compare the rest. */
function withoutId<T extends Reset | Connection>(finding: T): T {
  const { community_id: _, ...rest } = finding;
  return rest as T;
}

test('community IDs: all (the default), only for connections that reset, or none; the findings are otherwise the same', async () => {
  const all: Report = await analyze(CAPTURES);
  const resetsOnly: Report = await analyze(CAPTURES, { communityIds: 'resets' });
  const none: Report = await analyze(CAPTURES, { communityIds: 'none' });
  assert.ok(all.resets.length > 10 && all.connections.some((c) => c.resets.length === 0), 'the captures have resets and quiet connections');
  for (const r of all.resets) assert.match(String(r.community_id), /^1:[A-Za-z0-9+/]{27}=$/);
  for (const c of all.connections) assert.match(String(c.community_id), /^1:[A-Za-z0-9+/]{27}=$/);
  // Resets (and the entries of connections that reset) keep theirs; quiet connections have none.
  assert.deepEqual(
    resetsOnly.resets.map((r) => r.community_id),
    all.resets.map((r) => r.community_id),
  );
  assert.deepEqual(
    resetsOnly.connections.map((c) => c.community_id),
    all.connections.map((c) => (c.resets.length > 0 ? c.community_id : null)),
  );
  assert.ok(none.resets.every((r) => r.community_id === null) && none.connections.every((c) => c.community_id === null));
  for (const report of [resetsOnly, none]) {
    assert.deepEqual(report.resets.map(withoutId), all.resets.map(withoutId));
    assert.deepEqual(report.connections.map(withoutId), all.connections.map(withoutId));
  }
});
