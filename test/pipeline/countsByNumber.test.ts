/**
 * pipeline/resetOrder.ts CountsByNumber: ResetOrder's queued RSTs per connection number, in a
 * direct-mapped typed table with a Map for numbers whose slot is taken. It must answer as a Map
 * would, whatever the numbers: a flood's ascending window wider than the table (the overflow, the
 * table widened), numbers that share a slot, deletions from either place, clear().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountsByNumber } from '../../src/pipeline/resetOrder.js';
import { mulberry32 } from '../helpers/random.js';


function check(table: CountsByNumber, model: Map<number, number>, numbers: Iterable<number>): void {
  for (const n of numbers) assert.equal(table.get(n), model.get(n) ?? 0, `count of ${n}`);
}

describe('CountsByNumber', () => {
  it('answers as a Map under random sets and deletes, numbers sharing slots and past 2^32', () => {
    const random = mulberry32(7);
    const table = new CountsByNumber();
    const model = new Map<number, number>();
    // Numbers 4096 apart share a slot of the first table; some beyond 2^32 wrap in `n & mask`.
    const pool: number[] = [];
    for (let i = 0; i < 300; i++) pool.push(i, i + 4096, i + 8192, i + 2 ** 32, i * 65536);
    for (let step = 0; step < 40_000; step++) {
      const n = pool[Math.floor(random() * pool.length)] as number;
      if (random() < 0.4) {
        table.delete(n);
        model.delete(n);
      } else {
        const count = 1 + Math.floor(random() * 9);
        table.set(n, count);
        model.set(n, count);
      }
    }
    check(table, model, pool);
    table.clear();
    check(table, new Map(), pool);
  });

  it('keeps a flood of ascending numbers exact while its window outgrows the table', () => {
    const table = new CountsByNumber();
    const model = new Map<number, number>();
    const window = 40_000;
    for (let n = 0; n < 200_000; n++) {
      table.set(n, 2);
      model.set(n, 2);
      if (n % 3 === 0) {
        table.set(n, 3);
        model.set(n, 3);
      }
      const old = n - window;
      if (old >= 0) {
        table.delete(old);
        model.delete(old);
      }
    }
    check(table, model, Array.from({ length: 200_000 }, (_, n) => n));
    assert.equal(table.get(-5), 0);
    assert.equal(table.get(-1), 0, "no number is taken for an empty slot");
  });
  it("holds a scanner's window of 1.5M numbers (the connections in a 5 s reset delay at 300,000/s) in its slots, none in the Map", () => {
    const table = new CountsByNumber();
    const window = 1_500_000;
    for (let n = 1; n <= window; n++) table.set(n, 2);
    // 2^21 typed slots: every number of the window has its own (with 2^20 slots ~450,000 went to the Map).
    assert.equal((table as unknown as { overflow: Map<number, number> }).overflow.size, 0);
    for (let n = 1; n <= window; n += 997) assert.equal(table.get(n), 2);
    for (let n = 1; n <= window; n++) table.delete(n);
    assert.equal(table.get(window), 0);
  });
});
