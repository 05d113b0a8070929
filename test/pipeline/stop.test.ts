/**
 * RunOptions.stopRequested: a run stopped as a chunk is read ends with AnalysisStopped and hands
 * nothing more to its sink: the connections it tracked are neither finished nor explained.
 * `ingest` stops its early analysis so when the store already holds the file (src/store/duckdb.ts);
 * ending it as an unreadable input instead (a tap that throws) explains everything tracked so far,
 * which cost a re-ingest of the 128 MiB bench prefix ~0.35 s of CPU (session 9).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AnalysisSink, AnalysisStopped, runAnalysis } from '../../src/pipeline/run.js';
import { analyzeForStore } from '../../src/store/analyzeFile.js';
import { REPO_ROOT } from '../helpers/run.js';

/** The largest lab capture (6.5 KB): several connections in its first few hundred bytes. */
const CAPTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'middlebox-injection.router.pcap');
const CHUNK = 1024;
/** Chunks read before the stop: about half the capture. */
const CHUNKS_BEFORE_STOP = 3;

/** A sink that counts what it is handed. */
function countingSink(): { sink: AnalysisSink; counts: { resets: number; connections: number; patterns: number } } {
  const counts = { resets: 0, connections: 0, patterns: 0 };
  const sink: AnalysisSink = {
    reset() {
      counts.resets++;
    },
    connection() {
      counts.connections++;
    },
    pattern() {
      counts.patterns++;
    },
  };
  return { sink, counts };
}

/** True from the (n+1)th call on. */
function afterCalls(n: number): () => boolean {
  let calls = 0;
  return () => ++calls > n;
}

test('a run stopped mid-capture rejects with AnalysisStopped and hands the sink nothing', async () => {
  const { sink, counts } = countingSink();
  await assert.rejects(runAnalysis([CAPTURE], { chunkSize: CHUNK, stopRequested: afterCalls(CHUNKS_BEFORE_STOP) }, sink), AnalysisStopped);
  assert.deepEqual(counts, { resets: 0, connections: 0, patterns: 0 });
});

test('the same chunks ended as an unreadable input (a tap that throws) explain what was tracked: the stop is what saves that work', async () => {
  const { sink, counts } = countingSink();
  let chunks = 0;
  const result = await runAnalysis(
    [CAPTURE],
    {
      chunkSize: CHUNK,
      onRawBytes() {
        if (++chunks > CHUNKS_BEFORE_STOP) throw new Error('stop');
      },
    },
    sink,
  );
  assert.equal(result.unreadable.length, 1);
  assert.ok(counts.connections > 0, `connections explained: ${counts.connections}`);
});

test('a run never stopped is untouched by the question', async () => {
  const plain = countingSink();
  const asked = countingSink();
  await runAnalysis([CAPTURE], { chunkSize: CHUNK }, plain.sink);
  await runAnalysis([CAPTURE], { chunkSize: CHUNK, stopRequested: () => false }, asked.sink);
  assert.ok(plain.counts.connections > 0);
  assert.deepEqual(asked.counts, plain.counts);
});

test('the store analysis stopped mid-file writes no row and rejects with AnalysisStopped', async () => {
  let rows = 0;
  const writer = {
    row() {
      rows++;
    },
  };
  await assert.rejects(analyzeForStore(CAPTURE, { chunkSize: CHUNK, shouldStop: afterCalls(CHUNKS_BEFORE_STOP) }, writer), AnalysisStopped);
  assert.equal(rows, 0);
});
