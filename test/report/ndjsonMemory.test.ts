/**
 * Issue 13 item 3 / issue 16 item 4: `--format ndjson` streams in bounded memory. The hard case is
 * a burst: at the end of a capture the tracker finishes every open connection at once, with no
 * turn of the event loop in between, and a SYN flood ends with tens of thousands open (Zeek's
 * tcp_close_delay keeps each 5 s after its RST). Streamed lines must go out as they come, not
 * wait in memory for the burst to end: ndjson's peak RSS stays within a fixed margin of the
 * plain text report's, which holds nothing per connection (before the fix, on this flood: text
 * 179 MB, ndjson 491 MB; after: 181 and 229 MB).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { generateFlood } from '../../bench/flood.js';
import { finish, spawnCli, tempDir } from '../helpers/run.js';

const PRELOAD = new URL('../helpers/peakRss.js', import.meta.url);
/** ndjson may use this much more than text: one write batch, one read window and the collector's slack. */
const MARGIN_KIB = 96 * 1024;

/** Peak RSS (KiB) of `whyreset analyze pcap --format <format> --out <file>`. */
async function peakRssKiB(pcap: string, format: string, out: string): Promise<number> {
  const child = spawnCli(['analyze', pcap, '--format', format, '--threads', '1', '--out', out], {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(PRELOAD.pathname).href}` },
  });
  child.stdin?.end();
  const r = await finish(child, 120_000);
  assert.equal(r.code, 0, r.stderr);
  const m = /whyreset-test-peak-rss (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return Number(m[1]);
}

test('ndjson finishing 40,000 open connections at once stays within a fixed margin of the text report in memory', async () => {
  const tmp = tempDir();
  try {
    // 40k SYN+RST connections in 0.4 s of capture: every one is still open when the capture ends.
    const pcap = `${tmp.dir}/burst.pcap`;
    generateFlood(pcap, { conns: 40_000, rate: 100_000 });
    const text = await peakRssKiB(pcap, 'text', `${tmp.dir}/report.txt`);
    const ndjson = await peakRssKiB(pcap, 'ndjson', `${tmp.dir}/report.ndjson`);
    assert.ok(ndjson <= text + MARGIN_KIB, `ndjson peak ${ndjson >> 10} MiB, text ${text >> 10} MiB (margin ${MARGIN_KIB >> 10} MiB)`);
  } finally {
    tmp.remove();
  }
});
