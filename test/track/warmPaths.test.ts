/**
 * Per-connection functions that TurboFan compiles early in a run stay compiled when a rarer case
 * first comes: a test read only in that case (after `&&` or `||`) had no type feedback when the
 * function was compiled, and its first evaluation deoptimised the function (`--trace-deopt` on the
 * bench's 512 MiB mix: "Insufficient type feedback"), which then ran unoptimised until compiled
 * again. Checked in a child node with --allow-natives-syntax: each function is warmed on the
 * common case, compiled (%OptimizeFunctionOnNextCall), given the rare case, and must still be
 * optimised (%GetOptimizationStatus).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/run.js';

/** The module of dist/src at `path`, as an import specifier for the child. */
function moduleUrl(path: string): string {
  return JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', ...path.split('/'))).href);
}

/**
 * Runs `body` (an ES module's statements; `check(name, fn, common, rare)` is defined) in a child
 * node and returns, per checked function, whether it was still optimised after its rare case.
 */
function stillOptimised(imports: string, body: string): Record<string, boolean> {
  const script = `${imports}
const OPTIMIZED = 16; // V8's OptimizationStatus::kOptimized
const results = {};
function check(name, fn, common, rare) {
  %PrepareFunctionForOptimization(fn);
  for (let i = 0; i < 20; i++) common();
  %OptimizeFunctionOnNextCall(fn);
  common();
  const before = (%GetOptimizationStatus(fn) & OPTIMIZED) !== 0;
  rare();
  results[name] = before && (%GetOptimizationStatus(fn) & OPTIMIZED) !== 0;
}
${body}
process.stdout.write(JSON.stringify(results));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as Record<string, boolean>;
}

describe('functions compiled on common connections stay compiled on rarer ones', () => {
  it('TCP_Endpoint::Size of a side that sent a FIN (track/endpoint.ts size)', () => {
    const results = stillOptimised(
      `import { size } from ${moduleUrl('track/endpoint.js')};
import { TrackState } from ${moduleUrl('track/state.js')};`,
      `const s = new TrackState({ captureIndex: 0 }, { onConnectionDone() {} });
// Side 0 established with data and no FIN; side 2 the same after a FIN.
for (const e of [0, 1, 2, 3]) { s.eState[e] = 4; s.eStart[e] = 1000; s.eLast[e] = 5000; s.eAck[e] = 1000; }
s.eFin[2] = 1;
let sum = 0;
check('size', size, () => { sum += size(s, 0); }, () => { sum += size(s, 2); });
if (size(s, 0) !== 3999 || size(s, 2) !== 3998) throw new Error('size changed: ' + size(s, 0) + ' ' + size(s, 2));`,
    );
    assert.deepEqual(results, { size: true });
  });

  it('a packet record taken from the free list once a connection gave its records back (track/recordPool.ts allocRecord)', () => {
    const results = stillOptimised(
      `import { RecordPool, allocRecord, freeRecord } from ${moduleUrl('track/recordPool.js')};`,
      `const p = new RecordPool(1 << 16, 1024);
// Through a state object, as observe reads the pool (s.ring).
const s = { ring: p };
const take = (st) => allocRecord(st.ring);
let last = -1;
check('allocRecord', take, () => { last = take(s); }, () => { freeRecord(p, 3); last = take(s); });
if (last !== 3 || p.nextFree !== -1) throw new Error('free list changed: ' + last + ' ' + p.nextFree);`,
    );
    assert.deepEqual(results, { allocRecord: true });
  });

  it('the timer heap on the first tie of two deadlines (track/timerHeap.ts heapPop)', () => {
    const results = stillOptimised(
      `import { TimerHeap, heapPop, heapSet } from ${moduleUrl('track/timerHeap.js')};`,
      `const h = new TimerHeap();
const pos = new Int32Array(64).fill(-1);
const times = new Float64Array(64);
// Distinct deadlines, then two equal ones: only a tie compares the connection numbers.
const fill = (tie) => { for (let slot = 0; slot < 8; slot++) { times[slot] = tie ? 5 : slot + 0.5; heapSet(h, pos, times, slot, slot); } };
const drain = () => { while (h.size > 0) heapPop(h, pos); };
check('heapPop', heapPop, () => { fill(false); drain(); }, () => { fill(true); drain(); });`,
    );
    assert.deepEqual(results, { heapPop: true });
  });

  it('a sender whose packets show a segment twice (explain/senderPackets.ts distinctPacketsFrom)', () => {
    const results = stillOptimised(
      `import { distinctPacketsFrom } from ${moduleUrl('explain/senderPackets.js')};`,
      `const packet = (seq, ack) => ({ direction: 'orig', seq, ack, flags: 0x10, ipId: 7, payloadLen: 100 });
// Segments that differ in their sequence numbers, then one seen twice.
const distinct = { packets: [packet(1, 1), packet(2, 1), packet(3, 1)], packetsNotKept: 0 };
const twice = { packets: [packet(1, 1), packet(1, 1), packet(3, 1)], packetsNotKept: 0 };
let counts = '';
check('distinctPacketsFrom', distinctPacketsFrom, () => { distinctPacketsFrom(distinct, 'orig'); }, () => { counts = distinctPacketsFrom(distinct, 'orig') + ' ' + distinctPacketsFrom(twice, 'orig'); });
if (counts !== '3 2') throw new Error('counts changed: ' + counts);`,
    );
    assert.deepEqual(results, { distinctPacketsFrom: true });
  });

  it('the report order once its queue of waiting RSTs grew (pipeline/resetOrder.ts queuePosition)', () => {
    const results = stillOptimised(
      `import { ResetOrder } from ${moduleUrl('pipeline/resetOrder.js')};`,
      `const order = new ResetOrder({ reset() {}, connection() {} });
for (let f = 1; f <= 100; f++) order.noteRst(f, f);
const find = ResetOrder.prototype.queuePosition;
let at = -1;
// Past the queue's first 1,024 entries its columns are replaced by larger ones.
// Frames below and above the middle: the binary search takes both ways.
const look = () => order.queuePosition(37) * 10000 + order.queuePosition(80);
check('queuePosition', find, () => { at = look(); }, () => { for (let f = 101; f <= 2000; f++) order.noteRst(f, f); at = look(); });
if (at !== 360079 || order.queuePosition(1500) !== 1499) throw new Error('position changed: ' + at);`,
    );
    assert.deepEqual(results, { queuePosition: true });
  });

  it('what a connection closed by the responder alone teaches the explain context (explain/context.ts learnFrom)', () => {
    const results = stillOptimised(
      `import { ExplainContext } from ${moduleUrl('explain/context.js')};`,
      `const ctx = new ExplainContext();
const baseline = { values: [{ ttl: 60, count: 2 }], otherCount: 0, mostCommon: 60, initial: 64, hops: 4 };
// Every field learnFrom reads, in FinishedConnection's order; finCount per side as given.
const conn = (i, origFin, respFin) => ({
  capture: 0, origAddr: '10.0.0.' + (i & 255), origPort: 40000 + i, respAddr: '10.0.1.1', respPort: 80,
  startTs: i, lastPacketTs: i + 0.5,
  orig: { ttl: baseline, finCount: origFin, size: 10 }, resp: { ttl: baseline, finCount: respFin, size: 10 },
  handshake: { synTs: i, synAckTs: i, ackTs: i }, keptFirstFlags: 2,
  origPairs: 0, origSingles: 2, respPairs: 0, respSingles: 2, resets: [], packets: [],
});
let i = 0;
const learn = ctx.learnFrom;
check('learnFrom', learn, () => ctx.learnFrom(conn(i++, 1, 1)), () => ctx.learnFrom(conn(i++, 0, 1)));`,
    );
    assert.deepEqual(results, { learnFrom: true });
  });
});
