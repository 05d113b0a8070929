/**
 * A connection waiting for a host's hop distance is held packed (src/explain/heldPack.ts) and built
 * again when released: the connection built again must equal the tracker's, field order included,
 * or the findings of a held connection would differ from those of one explained at once.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_HELD_PACKETS, ROW_NUMS, ROW_REFS, clearRefs, packConnection, packable, unpackConnection } from '../../src/explain/heldPack.js';
import { runAnalysis } from '../../src/pipeline/run.js';
import type { FinishedConnection } from '../../src/track/finished.js';
import { keyPaths } from '../helpers/keyPaths.js';
import { REPO_ROOT } from '../helpers/run.js';

const LAB = join(REPO_ROOT, 'test', 'fixtures', 'lab');

/** The finished connections of the lab captures. */
async function labConnections(): Promise<FinishedConnection[]> {
  const conns: FinishedConnection[] = [];
  const noop = (): void => {};
  const inputs = readdirSync(LAB)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((c) => join(LAB, c));
  await runAnalysis(inputs, { onFinished: (c) => conns.push(c) }, { reset: noop, connection: noop, pattern: noop });
  return conns;
}

describe('held connections packed into rows', () => {
  it('every packable connection of the lab captures comes back as the tracker made it, field order included', async () => {
    const conns = await labConnections();
    const held = conns.filter(packable);
    // Not vacuous: refused SYNs (what a flood is made of) and connections with data and RSTs both fit.
    assert.ok(held.some((c) => c.resets.length === 1 && c.packets.length === 2 && c.resp.ttl === null));
    assert.ok(held.some((c) => c.resets.length > 0 && c.orig.ttl !== null && c.resp.ttl !== null));
    const rows = 4;
    const nums = new Float64Array(rows * ROW_NUMS);
    const refs: unknown[] = new Array(rows * ROW_REFS).fill(null);
    held.forEach((conn, i) => {
      const row = i % rows;
      packConnection(conn, nums, refs, row);
      const back = unpackConnection(nums, refs, row);
      assert.deepStrictEqual(back, conn, conn.id);
      assert.deepStrictEqual(keyPaths(back), keyPaths(conn), conn.id);
      clearRefs(refs, row);
    });
    assert.ok(refs.every((r) => r === null), 'a cleared row keeps nothing alive');
  });

  it('a connection with more packets than a row holds is not packable', async () => {
    const conns = await labConnections();
    const big = conns.find((c) => c.packets.length > MAX_HELD_PACKETS);
    assert.ok(big, 'a lab connection keeps more packets than a row holds');
    assert.equal(packable(big), false);
  });
});
