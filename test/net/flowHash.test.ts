import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmix32, murmurStep, tupleHashV4, tupleHashV6 } from '../../src/net/flowHash.js';

/** The tuple hash as the composition it is written out from (flowHash.ts keeps it call-free). */
function composed(a: number, pa: number, b: number, pb: number): number {
  if (a >>> 0 > b >>> 0 || (a === b && pa > pb)) return composed(b, pb, a, pa);
  return fmix32(murmurStep(murmurStep(0x9e3779b9, a), b) ^ ((pa << 16) | pb));
}

test('tupleHashV4 equals MurmurHash3 steps over the ordered tuple, the same both ways', () => {
  let x = 0x12345678;
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x;
  };
  for (let i = 0; i < 2000; i++) {
    const a = next();
    const b = i % 7 === 0 ? a : next();
    const pa = next() & 0xffff;
    const pb = next() & 0xffff;
    const h = tupleHashV4(a, pa, b, pb);
    assert.equal(h, composed(a, pa, b, pb));
    assert.equal(h, tupleHashV4(b, pb, a, pa));
    assert.equal(h, tupleHashV4(a >>> 0, pa, b >>> 0, pb), 'uint32 and int32 addresses agree');
    assert.equal(h | 0, h, 'an int32');
  }
  // A known value, so a change of the table's keys (snapshots carry them) shows.
  assert.equal(tupleHashV4(0x0a000001, 443, 0x0a000002, 51000), -81855585);
  assert.notEqual(tupleHashV6(1, 2, 3, 4), tupleHashV4(1, 2, 3, 4));
});
