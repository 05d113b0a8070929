/**
 * Issue 16 acceptance: the README's "Damaged captures" section states every limit with its
 * number. Each named bound on hostile input is imported from where the code keeps it, so a limit
 * changed in the code and not in the README (or dropped from the README) fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GZIP_MAX_HEADER, GZIP_OUTPUT_QUEUE, GZIP_SLICE_FIRST, GZIP_SMALL_SLICES_UP_TO } from '../../src/capture/gzip.js';
import { RESYNC_CHAIN, RESYNC_TIME_SLACK } from '../../src/capture/pcap.js';
import { MAX_INTERFACES_PER_SECTION } from '../../src/capture/pcapng.js';
import { HARD_MAX_RECORD, MAX_KEPT_ERRORS, STANDARD_MAX_CAPLEN } from '../../src/capture/reader.js';
import { DEFAULT_CHUNK_SIZE, HEADROOM } from '../../src/capture/window.js';
import { MAX_TUNNEL_DEPTH } from '../../src/decode/packet.js';
import { CONTEXT_LIMIT, STORM_BUCKETS_LIMIT } from '../../src/explain/context.js';
import { DEFER_LIMIT, DEFER_SECONDS } from '../../src/explain/deferral.js';
import { BURST_SEQS_LISTED } from '../../src/explain/forgery.js';
import { REASON_TEXT_MAX } from '../../src/explain/resetFields.js';
import { MAX_CHECKSUM_HOSTS } from '../../src/pipeline/checksumGate.js';
import { MAX_FRAGMENTED } from '../../src/pipeline/extract.js';
import { MAX_EXPANDED_FILES, PROBE_CHUNK } from '../../src/pipeline/inputs.js';
import { MAX_HELD_RESETS } from '../../src/pipeline/resetOrder.js';
import { SPOOL_MEMORY_LIMIT } from '../../src/pipeline/spool.js';
import { MAX_RESETS_PER_CONNECTION } from '../../src/pipeline/trackStage.js';
import { DEFAULT_TABLE_ROWS } from '../../src/report/html/writeHtml.js';
import { MAX_TUNNEL_DESCRIPTIONS } from '../../src/track/tunnelTable.js';
import { REPO_ROOT } from '../helpers/run.js';

/** The ways the README writes a number in bold: 4096, 100,000, 16 MiB, 256 KiB, 7 days. */
function spellings(n: number, unit: 'count' | 'bytes' | 'seconds'): string[] {
  if (unit === 'bytes') {
    if (n % (1 << 20) === 0) return [`**${n / (1 << 20)} MiB**`];
    if (n % 1024 === 0) return [`**${n / 1024} KiB**`];
  }
  if (unit === 'seconds' && n % 86400 === 0) return [`**${n / 86400} days**`];
  if (unit === 'seconds') return [`**${n} s**`, `${n} s`];
  return [`**${n}**`, `**${n.toLocaleString('en-US')}**`];
}

test('the README\'s "Damaged captures" section states every limit on hostile input with its number', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('#### Damaged captures');
  assert.ok(start >= 0, 'the README has a "Damaged captures" section');
  const end = readme.indexOf('\n- **', start);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const limits: [string, number, 'count' | 'bytes' | 'seconds'][] = [
    ['RESYNC_CHAIN', RESYNC_CHAIN, 'count'],
    ['RESYNC_TIME_SLACK', RESYNC_TIME_SLACK, 'seconds'],
    ['HARD_MAX_RECORD', HARD_MAX_RECORD, 'bytes'],
    ['STANDARD_MAX_CAPLEN', STANDARD_MAX_CAPLEN, 'count'],
    ['DEFAULT_CHUNK_SIZE', DEFAULT_CHUNK_SIZE, 'bytes'],
    ['HEADROOM', HEADROOM, 'bytes'],
    ['MAX_INTERFACES_PER_SECTION', MAX_INTERFACES_PER_SECTION, 'count'],
    ['GZIP_MAX_HEADER', GZIP_MAX_HEADER, 'bytes'],
    ['GZIP_OUTPUT_QUEUE', GZIP_OUTPUT_QUEUE, 'bytes'],
    ['GZIP_SLICE_FIRST', GZIP_SLICE_FIRST, 'bytes'],
    ['GZIP_SMALL_SLICES_UP_TO', GZIP_SMALL_SLICES_UP_TO, 'bytes'],
    ['MAX_KEPT_ERRORS', MAX_KEPT_ERRORS, 'count'],
    ['BURST_SEQS_LISTED', BURST_SEQS_LISTED, 'count'],
    ['MAX_RESETS_PER_CONNECTION', MAX_RESETS_PER_CONNECTION, 'count'],
    ['MAX_HELD_RESETS', MAX_HELD_RESETS, 'count'],
    ['REASON_TEXT_MAX', REASON_TEXT_MAX, 'count'],
    ['MAX_TUNNEL_DEPTH', MAX_TUNNEL_DEPTH, 'count'],
    ['MAX_TUNNEL_DESCRIPTIONS', MAX_TUNNEL_DESCRIPTIONS, 'count'],
    ['MAX_CHECKSUM_HOSTS', MAX_CHECKSUM_HOSTS, 'count'],
    ['CONTEXT_LIMIT', CONTEXT_LIMIT, 'count'],
    ['STORM_BUCKETS_LIMIT', STORM_BUCKETS_LIMIT, 'count'],
    ['DEFER_LIMIT', DEFER_LIMIT, 'count'],
    ['DEFER_SECONDS', DEFER_SECONDS, 'seconds'],
    ['MAX_EXPANDED_FILES', MAX_EXPANDED_FILES, 'count'],
    ['PROBE_CHUNK', PROBE_CHUNK, 'bytes'],
    ['SPOOL_MEMORY_LIMIT', SPOOL_MEMORY_LIMIT, 'bytes'],
    ['DEFAULT_TABLE_ROWS', DEFAULT_TABLE_ROWS, 'count'],
    ['MAX_FRAGMENTED', MAX_FRAGMENTED, 'count'],
  ];
  const missing = limits.filter(([, n, unit]) => !spellings(n, unit).some((s) => section.includes(s))).map(([name, n]) => `${name} = ${n}`);
  assert.deepEqual(missing, [], 'limits the section does not state with their numbers');
});
