/**
 * Whether a second thread would gain, decided from what the capture is (the default of
 * `analyze`, `explain` and `correlate` on 2 cores; cli/threadsOption.ts). Two threads split the
 * run into a worker that reads, decodes and tracks, and the main thread that explains, orders and
 * reports each finished connection (threads.ts). That split gains only where the main thread's
 * share is large: on a SYN→RST flood, where every other packet opens a connection and every other
 * one resets it, two threads take 0.83× the wall time of one; on the 512 MiB mix, where a few
 * packets in a hundred do, 1.15–1.29× (the second isolate's start, its JIT warm-up and V8's
 * compiler thread take more of the two cores than the explain side would have). So the start of
 * the first input is read once (SAMPLE_BYTES) and its packets that open or reset a connection are
 * counted; the worker is used where they are at least OPEN_OR_RESET_SHARE of its TCP packets, and
 * only while no other process's thread is runnable (secondCoreFree): with one busy thread beside
 * it the same flood took 1.30× the time of one thread.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readCapture } from '../capture/open.js';
import type { CaptureRecord } from '../capture/record.js';
import { decodeFrame } from '../decode/frame.js';
import { DecodedPacket, TCP_ACK, TCP_RST, TCP_SYN } from '../decode/packet.js';

/**
 * Bytes read from the start of the first input (of its decompressed stream), and packets at most:
 * 256 KiB hold ~340 packets of the bench's mix (~20 that open or reset a connection: its share
 * 0.05, far below OPEN_OR_RESET_SHARE), a SYN flood's 79-byte frames stop at SAMPLE_PACKETS. Read
 * and decoded in ~3 ms (1 MiB: ~6 ms), once, before either stage starts.
 */
export const SAMPLE_BYTES = 256 << 10;
export const SAMPLE_PACKETS = 2048;

/** Thrown by the sample's record handler to end the read at SAMPLE_PACKETS. */
const ENOUGH = new Error('sample complete');

/**
 * The share of TCP packets that open (SYN without ACK) or reset (RST) a connection from which two
 * threads gain: the main thread's work grows with the connections and resets, the worker's with
 * the packets. Measured on 2 cores (farm-bench, 3 pairs each, the runs in a high-share CPU cgroup
 * on a machine loaded by other work; `--threads 2` over `--threads 1`, median wall, text report):
 * 128 MiB of the mix (the sample's share 0.08) 1.29×; 160 MiB blends of the 512 MiB mix and the
 * 1,000,000-connection flood (after each record of the mix, k of the flood's, stamped with the mix
 * record's time): k = 1/4 (share 0.26) 1.23×, k = 1 (0.53) 1.01×, k = 2 (0.69) 0.94×; the flood
 * itself (1.0) 0.83×. Two threads break even at about half.
 */
export const OPEN_OR_RESET_SHARE = 0.55;

/** What the start of a capture holds (sampleCapture). */
export interface CaptureSample {
  /** Records read. */
  packets: number;
  /** Of those, TCP packets that decoded. */
  tcpPackets: number;
  /** TCP packets with SYN and without ACK: a connection's first packet. */
  opens: number;
  /** TCP packets with RST. */
  resets: number;
}

/** Counts the packets of the first `bytes` bytes (`packets` packets at most) of `path` (any capture the readers take, gzip too); null when it cannot be read. */
export async function sampleCapture(path: string, bytes = SAMPLE_BYTES, packets = SAMPLE_PACKETS): Promise<CaptureSample | null> {
  const sample: CaptureSample = { packets: 0, tcpPackets: 0, opens: 0, resets: 0 };
  const pkt = new DecodedPacket();
  const count = (rec: CaptureRecord): void => {
    if (sample.packets === packets) throw ENOUGH;
    sample.packets++;
    decodeFrame(rec.view, rec.start, rec.caplen, rec.origLen, rec.linkType, pkt);
    if (pkt.isTcp !== true) return;
    sample.tcpPackets++;
    if ((pkt.flags & TCP_RST) !== 0) sample.resets++;
    else if ((pkt.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) sample.opens++;
  };
  try {
    // A chunk of the sample's size: the window's buffers are not the 8 MiB a whole read takes.
    await readCapture(path, count, { limit: bytes, chunkSize: bytes });
  } catch (err) {
    // Not a capture, or unreadable: the run itself says so; the sample says nothing.
    if (err !== ENOUGH) return null;
  }
  return sample;
}

/** The share of a sample's TCP packets that open or reset a connection (0 when it has none). */
export function openOrResetShare(sample: CaptureSample): number {
  return sample.tcpPackets === 0 ? 0 : (sample.opens + sample.resets) / sample.tcpPackets;
}

/** True when a capture that starts as `sample` does is worth a second thread (OPEN_OR_RESET_SHARE); false for none. */
export function gainsFromWorker(sample: CaptureSample | null): boolean {
  return sample !== null && openOrResetShare(sample) >= OPEN_OR_RESET_SHARE;
}


/**
 * Threads of other processes that are runnable now (Linux: /proc/loadavg's running count, less
 * this process's own threads that are running); null where that cannot be read. A second thread
 * gains only with a core to itself: with other work runnable on the cores the two stages and
 * V8's compiler thread share what is left, and two threads need ~1.25× the CPU of one.
 */
export function runnableElsewhere(): number | null {
  try {
    const running = Number.parseInt((readFileSync('/proc/loadavg', 'latin1').split(' ')[3] ?? '').split('/')[0] ?? '', 10);
    if (!Number.isInteger(running)) return null;
    let own = 0;
    for (const task of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, 'latin1');
        // The state follows the command name, which is in parentheses and may hold spaces.
        if (stat.charAt(stat.lastIndexOf(')') + 2) === 'R') own++;
      } catch {
        // The thread ended meanwhile.
      }
    }
    return Math.max(0, running - own);
  } catch {
    return null;
  }
}

/**
 * True when `cores` cores leave one free for a second thread while `others` threads of other
 * processes are runnable (null: unknown, taken as free). Measured (2 cores, high-share cgroup,
 * 3 pairs): the 1,000,000-connection flood on two threads 0.83× the time of one on an otherwise
 * free machine, 1.30× beside one busy thread (the worker, which lowers its priority once the main
 * thread falls behind, trackWorker.ts, then loses its core to it).
 */
export function secondCoreFree(others: number | null, cores: number): boolean {
  return others === null || others <= cores - 2;
}

/** What chooseWorker saw and chose. */
export interface ThreadChoice {
  sample: CaptureSample | null;
  /** The fewest threads of other processes seen runnable (runnableElsewhere), before and after the sample. */
  runnableElsewhere: number | null;
  worker: boolean;
}

/**
 * Samples the start of `path` and the machine's load: a worker where the capture gains from one
 * (gainsFromWorker) and a core is free for it (secondCoreFree; not looked at with `ignoreLoad`).
 */
export async function chooseWorker(path: string, cores: number, ignoreLoad = false): Promise<ThreadChoice> {
  const look = ignoreLoad ? () => null : runnableElsewhere;
  const before = look();
  const sample = await sampleCapture(path);
  const after = look();
  // The fewer of two looks: a thread that was runnable for one instant only is not a load.
  const others = before === null ? after : after === null ? before : Math.min(before, after);
  return { sample, runnableElsewhere: others, worker: gainsFromWorker(sample) && secondCoreFree(others, cores) };
}

/** The line WHYRESET_THREAD_STATS prints for a run that chose its threads: the counts, the share, the load and the choice. */
export function threadChoiceLine(choice: ThreadChoice): string {
  const { sample } = choice;
  const share = sample === null ? null : Math.round(openOrResetShare(sample) * 1000) / 1000;
  return `whyreset-thread-choice ${JSON.stringify({ sample, openOrResetShare: share, threshold: OPEN_OR_RESET_SHARE, runnableElsewhere: choice.runnableElsewhere, threads: choice.worker ? 2 : 1 })}\n`;
}
