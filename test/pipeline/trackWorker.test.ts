/**
 * pipeline/trackWorker.ts BatchingEvents: the worker's batches are written into a ring of shared
 * memory and posted as the slot's number, never with a transfer list. A transfer detaches the
 * batch's buffer in the worker, and the first detached ArrayBuffer of an isolate invalidates V8's
 * ArrayBufferDetaching protector: every optimised function that reads a typed array (the worker's
 * whole decode and track path) is deoptimised and recompiled slower. Checked here on a stand-in
 * port: what was posted, with which arguments, that the numbers read in place from the slot are
 * the batch, that the slots are used in turn, and that a batch too large for its slot is copied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ConnUnpacker } from '../../src/pipeline/connPack.js';
import { type BatchPort, BatchingEvents } from '../../src/pipeline/trackWorker.js';
import { EV, MAX_BATCHES_IN_FLIGHT, RING_SLOTS, RING_SLOT_NUMBERS, type WorkerMessage, newBatchRing, ringSlots } from '../../src/pipeline/trackWorkerProtocol.js';

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

/** The events of a posted batch message, read as the main thread reads them (threads.ts). */
function eventsOf(m: WorkerMessage, slots: Float64Array[]): unknown[][] {
  if (m.type !== 'slot' && m.type !== 'events') throw new Error(`not a batch: ${m.type}`);
  const batch = m.type === 'events' ? m.batch : { numbers: (slots[m.slot] as Float64Array).subarray(0, m.length), strings: m.strings, objects: m.objects };
  const reader = new ConnUnpacker(batch);
  const events: unknown[][] = [];
  while (!reader.atEnd) events.push([reader.code(), reader.value(), reader.value()]);
  return events;
}

describe('the track worker posts its batches', () => {
  it('in slots of the shared ring: no transfer list, no buffer detached, the numbers read in place', () => {
    const { port, calls } = recordingPort();
    const inFlight = new Int32Array(new SharedArrayBuffer(4));
    const ring = newBatchRing();
    const slots = ringSlots(ring);
    const events = new BatchingEvents(port, inFlight, ring);
    events.openStream(0);
    events.synAck4(0x0a000001, 64);
    events.rst(7, 1);
    events.flush();
    events.piece(1, 100);
    events.flush();
    assert.equal(calls.length, 2);
    for (const args of calls) assert.equal(args.length, 1, 'postMessage was given a transfer list');
    const [first, second] = calls.map((args) => args[0] as WorkerMessage);
    assert.deepEqual(
      [first, second].map((m) => (m?.type === 'slot' ? [m.slot, m.length] : m?.type)),
      // Each code, then two tagged arguments: open(0, null) 1 + 2 + 1, synAck4 and rst 1 + 2 + 2 each.
      [
        [0, 4 + 5 + 5],
        [1, 5],
      ],
    );
    assert.equal(ring.byteLength, RING_SLOTS * RING_SLOT_NUMBERS * 8, 'the ring was detached or resized');
    assert.deepEqual(eventsOf(first as WorkerMessage, slots), [
      [EV.open, 0, null],
      [EV.synAck4, 0x0a000001, 64],
      [EV.rst, 7, 1],
    ]);
    assert.deepEqual(eventsOf(second as WorkerMessage, slots), [[EV.piece, 1, 100]]);
    assert.equal(Atomics.load(inFlight, 0), 2);
    assert.deepEqual({ batches: events.stats.batches, numbers: events.stats.numbers, copied: events.stats.copiedBatches }, { batches: 2, numbers: 14 + 5, copied: 0 });
  });

  it('uses the slots in turn, and copies a batch that outgrew its slot', () => {
    const { port, calls } = recordingPort();
    const inFlight = new Int32Array(new SharedArrayBuffer(4));
    const ring = newBatchRing();
    const slots = ringSlots(ring);
    const events = new BatchingEvents(port, inFlight, ring);
    for (let b = 0; b < RING_SLOTS + 2; b++) {
      events.rst(b, b);
      events.flush();
      // The main thread handled it (the worker would wait past MAX_BATCHES_IN_FLIGHT otherwise).
      Atomics.sub(inFlight, 0, 1);
    }
    const used = calls.map((args) => {
      const m = args[0] as WorkerMessage;
      return m.type === 'slot' ? m.slot : -1;
    });
    assert.deepEqual(
      used,
      Array.from({ length: RING_SLOTS + 2 }, (_, b) => b % RING_SLOTS),
    );
    // A list of strings as long as a slot: written past the slot into the packer's own array.
    const names = Array.from({ length: RING_SLOT_NUMBERS }, (_, i) => `h${i % 7}`);
    events.end([], names);
    const last = calls.at(-1)?.[0] as WorkerMessage;
    assert.equal(last.type, 'events', 'a batch larger than a slot must be posted as a copy');
    const [[code, undecoded, offload]] = eventsOf(last, slots) as [[number, unknown, string[]]];
    assert.deepEqual([code, undecoded, offload.length, offload[8]], [EV.end, [], RING_SLOT_NUMBERS, 'h1']);
    assert.equal(events.stats.copiedBatches, 1);
  });

  it('gives way once the main thread falls behind: the first wait for it calls onMainBehind, later waits do not', async () => {
    const { port, calls } = recordingPort();
    const inFlight = new Int32Array(new SharedArrayBuffer(4));
    let behind = 0;
    const events = new BatchingEvents(port, inFlight, newBatchRing(), () => behind++);
    // The main thread keeping up: batches handled as they come, no wait, no call.
    for (let b = 0; b < 3; b++) {
      events.rst(b, b);
      events.flush();
      Atomics.sub(inFlight, 0, 1);
    }
    assert.deepEqual([behind, events.stats.mainBehindAtBatch], [0, 0]);
    // The main thread MAX_BATCHES_IN_FLIGHT behind: a stand-in main thread (another thread) handles one batch a little later.
    const mainThread = (): Promise<void> => {
      const helper = new Worker('const { workerData } = require("node:worker_threads"); setTimeout(() => { Atomics.sub(workerData, 0, 1); Atomics.notify(workerData, 0); }, 30);', {
        eval: true,
        workerData: inFlight,
      });
      return new Promise((resolve) => helper.once('exit', () => resolve()));
    };
    for (let round = 0; round < 2; round++) {
      Atomics.store(inFlight, 0, MAX_BATCHES_IN_FLIGHT - 1);
      const handled = mainThread();
      events.rst(9, 9);
      events.flush();
      await handled;
      assert.equal(Atomics.load(inFlight, 0), MAX_BATCHES_IN_FLIGHT - 1);
    }
    assert.equal(behind, 1, 'onMainBehind is called once, at the first wait');
    assert.equal(events.stats.mainBehindAtBatch, 4);
    assert.ok(events.stats.waitedForMainMs > 0);
    assert.equal(calls.length, 5);
  });
});
