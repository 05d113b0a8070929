/**
 * The three capture points of a scenario: tcpdump on the client's NIC, on the server's NIC, and
 * on the router with `-i any` (Linux cooked capture, so a forwarded packet shows twice: as it
 * came in and as it went out one TTL lower).
 */
import { join } from 'node:path';
import { LabProcess, inNamespace, sleep } from './exec.js';
import { HOSTS, type Host, IFACES, type Topology } from './topology.js';

/** A capture point is named after the host it runs on. */
export type CapturePoint = Host;

/** A tcpdump that is running. */
export interface RunningCapture {
  point: CapturePoint;
  file: string;
  process: LabProcess;
}

/** The interface tcpdump listens on at each point. */
export function captureInterface(point: CapturePoint): string {
  return point === 'router' ? 'any' : point === 'client' ? IFACES.client : IFACES.server;
}

/** The file each point writes inside a scenario directory. */
export function captureFile(dir: string, point: CapturePoint): string {
  return join(dir, `${point}.pcap`);
}

/**
 * Starts all three captures and resolves once each tcpdump says it is listening.
 * `-U --immediate-mode` hands every packet over at once (SIGINT would lose a half-filled block);
 * `-s 4096 -B 8192`: in immediate mode the ring has one snaplen-sized slot per packet, so a small
 * snaplen and a big buffer keep bursts (nmap) from being dropped; `-Z root` keeps tcpdump from
 * dropping to a user that cannot write `dir`.
 */
export async function startCaptures(topo: Topology, dir: string): Promise<RunningCapture[]> {
  const captures = HOSTS.map((point) => {
    const file = captureFile(dir, point);
    const args = ['-i', captureInterface(point), '-w', file, '-U', '--immediate-mode', '-n', '-Z', 'root', '-s', '4096', '-B', '8192'];
    return { point, file, process: new LabProcess(`tcpdump@${point}`, ...inNamespace(topo.ns[point], 'tcpdump', args)) };
  });
  try {
    await Promise.all(captures.map((c) => c.process.waitForStderr('listening on', 5000)));
  } catch (err) {
    await stopCaptures(captures, 0);
    throw err;
  }
  // tcpdump prints "listening" just before its first read; give the ring a moment to be live.
  await sleep(150);
  return captures;
}

/** Waits `drainMs` for packets in flight, then stops every tcpdump with SIGINT so files end cleanly. */
export async function stopCaptures(captures: readonly RunningCapture[], drainMs = 300): Promise<void> {
  if (drainMs > 0) await sleep(drainMs);
  await Promise.all(captures.map((c) => c.process.stop('SIGINT', 3000)));
}

/** Packets a stopped tcpdump says the kernel dropped (from its exit summary), 0 when none. */
export function droppedByKernel(tcpdumpStderr: string): number {
  const m = /(\d+) packets? dropped by kernel/.exec(tcpdumpStderr);
  return m ? Number(m[1]) : 0;
}
