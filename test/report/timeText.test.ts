/** Times in reports: UTC with microseconds, rounded as a whole number of them (a carry reaches the second). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utcText } from '../../src/report/html/timeText.js';
import { clockTime, isoTime } from '../../src/report/text.js';

test('isoTime and utcText: microseconds, and .9999995 carries into the next second', () => {
  assert.equal(isoTime(1795296646.395382), '2026-11-21T21:30:46.395382Z');
  assert.equal(isoTime(1700000000.9999995), '2023-11-14T22:13:21.000000Z');
  assert.equal(utcText(1700000000.9999995), '2023-11-14 22:13:21.000000');
  assert.equal(clockTime(1795296646.395382), '21:30:46.395382');
});
