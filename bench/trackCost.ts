/**
 * The tracker's side of a finished connection alone, for callgrind: reads a capture `--passes N`
 * times as the track stage does (readCapture, decodeFrame, the checksum gate, Tracker.trackPacket
 * with `packetsFor: 'resets'`, finish at the end), handing each FinishedConnection to a sink that
 * only folds a few of its fields into a digest. Instructions per connection in the steady state
 * are (total(N passes) - total(1 pass)) / ((N - 1) * connections), which leaves start-up and
 * compiles out; subtract bench/readCost.js's figure per packet for the tracker's own share:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/t.cg node --single-threaded \
 *     --max-semi-space-size=2 --predictable-gc-schedule --hash-seed=1 --random-seed=1 \
 *     dist/bench/trackCost.js --passes 3 bench/data/f20000.pcap
 *
 * It prints per pass the connections, RSTs and a digest of what the sink read, so that two
 * builds can be checked to hand on the same thing.
 */
import { readCapture } from '../src/capture/open.js';
import type { CaptureRecord } from '../src/capture/record.js';
import { decodeFrame } from '../src/decode/frame.js';
import { DecodedPacket } from '../src/decode/packet.js';
import { ChecksumGate } from '../src/pipeline/checksumGate.js';
import type { FinishedConnection } from '../src/track/finished.js';
import { Tracker } from '../src/track/tracker.js';

/** What one pass handed on. */
interface PassResult {
  connections: number;
  resets: number;
  digest: number;
}

/** Folds a string into a digest. */
function foldText(d: number, text: string): number {
  let h = d;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
}

/** One pass over `path`. */
async function pass(path: string): Promise<PassResult> {
  const pkt = new DecodedPacket();
  const gate = new ChecksumGate();
  const out: PassResult = { connections: 0, resets: 0, digest: 0 };
  const sink = {
    onConnectionDone(c: FinishedConnection): void {
      out.connections++;
      out.resets += c.resets.length;
      let d = foldText(out.digest, c.id);
      d = foldText(d, c.history);
      d = foldText(d, c.connState);
      d = foldText(d, c.respAddr);
      d = (d * 31 + c.orig.pkts + c.resp.pkts * 7 + c.keptPackets + c.packets.length + c.respPort) | 0;
      for (const r of c.resets) d = (d * 31 + r.frame + r.context.pktsBefore.orig + r.flags) | 0;
      out.digest = d;
    },
  };
  const tracker = new Tracker({ captureIndex: 0, packetsFor: 'resets' }, sink);
  const onRecord = (rec: CaptureRecord): void => {
    decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    if (pkt.isTcp !== true) return;
    if (!gate.admit(rec.view, pkt) && pkt.badChecksum === 0) return;
    tracker.trackPacket(rec, pkt);
  };
  await readCapture(path, onRecord);
  tracker.finish();
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--passes');
  const passes = at >= 0 ? Number(args[at + 1]) : 1;
  const path = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1))[0];
  if (path === undefined || !(passes >= 1)) throw new Error('usage: trackCost.js [--passes N] capture.pcap');
  for (let i = 0; i < passes; i++) {
    const r = await pass(path);
    process.stderr.write(`pass ${i + 1}: ${r.connections} connections, ${r.resets} resets, digest ${r.digest}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 2;
});
