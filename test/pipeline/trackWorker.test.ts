/**
 * pipeline/trackWorker.ts BatchingEvents: the worker's batches are posted as copies, never with a
 * transfer list. A transfer detaches the batch's buffer in the worker, and the first detached
 * ArrayBuffer of an isolate invalidates V8's ArrayBufferDetaching protector: every optimised
 * function that reads a typed array (the worker's whole decode and track path) is deoptimised and
 * recompiled slower. Checked here on a stand-in port: what was posted, with which arguments, and
 * that nothing the worker holds was detached.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatchPort, BatchingEvents } from '../../src/pipeline/trackWorker.js';
import type { WorkerMessage } from '../../src/pipeline/trackWorkerProtocol.js';

/** A port that keeps every postMessage call's arguments. */
function recordingPort(): { port: BatchPort; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const port = {
    postMessage(...args: unknown[]): void {
      calls.push(args);
    },
  } as BatchPort;
  return { port, calls };
}

describe('the track worker posts its batches', () => {
  it('as copies: no transfer list, no buffer detached, the numbers intact', () => {
    const { port, calls } = recordingPort();
    const inFlight = new Int32Array(new SharedArrayBuffer(4));
    const events = new BatchingEvents(port, inFlight);
    events.openStream(0);
    events.synAck4(0x0a000001, 64);
    events.rst(7, 1);
    events.flush();
    events.piece(1, 100);
    events.flush();
    assert.equal(calls.length, 2);
    for (const args of calls) {
      assert.equal(args.length, 1, 'postMessage was given a transfer list');
      const m = args[0] as WorkerMessage;
      assert.equal(m.type, 'events');
      if (m.type !== 'events') continue;
      assert.ok(m.batch.numbers.buffer.byteLength > 0, 'the batch buffer was detached');
    }
    const first = calls[0]?.[0] as Extract<WorkerMessage, { type: 'events' }>;
    // Each code, then two tagged arguments: open(0, null) 1 + 2 + 1, synAck4 and rst 1 + 2 + 2 each.
    assert.equal(first.batch.numbers.length, 4 + 5 + 5);
    assert.equal(Atomics.load(inFlight, 0), 2);
    assert.deepEqual({ batches: events.stats.batches, numbers: events.stats.numbers }, { batches: 2, numbers: 14 + 5 });
  });
});
