/**
 * The read + decode + checksum path alone, for callgrind: reads a capture `--passes N` times
 * with capture/open.ts readCapture, decodes every record (decode/frame.ts decodeFrame) and lets
 * the checksum gate (pipeline/checksumGate.ts) admit each TCP packet, as the track stage does,
 * without tracking. Instructions per packet in the steady state are
 * (total(N passes) - total(1 pass)) / ((N - 1) * packets), which leaves start-up and compiles out:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/a.cg node --single-threaded \
 *     --max-semi-space-size=2 --predictable-gc-schedule --hash-seed=1 --random-seed=1 \
 *     dist/bench/readCost.js --passes 4 bench/data/x32.pcap
 *
 * It prints the packets, TCP packets and a digest of the decoded fields per pass, so that two
 * builds can be checked to decode the same thing.
 */
import { readCapture } from '../src/capture/open.js';
import type { CaptureRecord } from '../src/capture/record.js';
import { decodeFrame } from '../src/decode/frame.js';
import { DecodedPacket } from '../src/decode/packet.js';
import { ChecksumGate } from '../src/pipeline/checksumGate.js';

/** One pass over `path`; returns [records, tcp packets, admitted, digest]. */
async function pass(path: string): Promise<[number, number, number, number]> {
  const pkt = new DecodedPacket();
  const gate = new ChecksumGate();
  let records = 0;
  let tcp = 0;
  let admitted = 0;
  let digest = 0;
  const onRecord = (rec: CaptureRecord): void => {
    records++;
    const issue = decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    digest = (digest * 31 + issue + pkt.seq + pkt.flags + pkt.optMss + pkt.optWscale + pkt.optTsVal + (pkt.optSackPermitted === true ? 7 : 0)) | 0;
    if (pkt.isTcp !== true) return;
    tcp++;
    if (gate.admit(rec.view, pkt)) admitted++;
  };
  await readCapture(path, onRecord);
  return [records, tcp, admitted, digest];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--passes');
  const passes = at >= 0 ? Number(args[at + 1]) : 1;
  const path = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1))[0];
  if (path === undefined || !(passes >= 1)) throw new Error('usage: readCost.js [--passes N] capture.pcap');
  for (let i = 0; i < passes; i++) {
    const [records, tcp, admitted, digest] = await pass(path);
    process.stderr.write(`pass ${i + 1}: ${records} records, ${tcp} tcp, ${admitted} admitted, digest ${digest}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 2;
});
