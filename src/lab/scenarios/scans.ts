import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { ResetExpectation } from '../expect.js';
import { type Scenario, type ScenarioContext, TOOLS } from '../scenario.js';
import { V4, hostReset, refusedSyn } from './common.js';

const OPEN = 8080;
const CLOSED = 9;

/** Runs nmap with `scanType` against one open and one closed port of the server. */
async function scan(ctx: ScenarioContext, scanType: '-sS' | '-sT'): Promise<void> {
  await ctx.serve('server', { addr: V4.server, port: OPEN, accepts: 4, steps: ['until-closed:2'] });
  const args = ['-n', '-Pn', scanType, '-p', `${OPEN},${CLOSED}`, '--max-retries', '0', '--host-timeout', '10s', V4.server];
  const r = await ctx.run('client', 'nmap', args, 15_000);
  if (r.code !== 0) throw new Error(`nmap ${scanType} failed: ${r.stderr.trim()}`);
}

/** The closed port's answer, the same in both scans. */
function closedPortAnswer(ctx: ScenarioContext): ResetExpectation {
  return refusedSyn(ctx, {
    id: 'server-refuses-probe-to-closed-port',
    sentBy: 'server',
    src: V4.server,
    sport: CLOSED,
    dst: V4.client,
    why: 'no socket on the probed port: tcp_v4_send_reset answers the SYN with RST,ACK',
  });
}

/**
 * nmap -sS: half-open probes from a raw socket. Why: the open port answers SYN-ACK; the client's
 * kernel has no socket for nmap's hand-made SYN, so tcp_v4_rcv -> tcp_v4_send_reset resets it
 * (RST, seq = the SYN-ACK's ack): the classic SYN;SYN-ACK;RST scan signature. nmap itself sends
 * no RST. The closed port answers RST,ACK.
 */
export const nmapSynScan: Scenario = {
  name: 'nmap-syn-scan',
  summary: 'nmap -sS against an open and a closed port: the client kernel resets the SYN-ACK, the closed port answers RST,ACK',
  needs: [TOOLS.nmap],
  async run(ctx) {
    await scan(ctx, '-sS');
    return [
      closedPortAnswer(ctx),
      hostReset(ctx, {
        id: 'client-kernel-resets-syn-ack',
        sentBy: 'client',
        src: V4.client,
        dst: V4.server,
        dport: OPEN,
        flags: TCP_RST,
        stage: 'handshake',
        cause: 'scan_probe',
        verdict: 'genuine',
        origin: 'orig',
        why: 'nmap\'s SYN came from a raw socket: the client kernel has no socket for the SYN-ACK and resets it',
      }),
    ];
  },
};

/**
 * nmap -sT: full connect() probes. Why: nmap closes each connected socket with SO_LINGER 0, so
 * tcp_disconnect sends tcp_send_active_reset right after the handshake: SYN;SYN-ACK;ACK;RST,ACK
 * with no payload (the "empty handshake" of a connect scan). The closed port answers RST,ACK.
 */
export const nmapConnectScan: Scenario = {
  name: 'nmap-connect-scan',
  summary: 'nmap -sT against an open and a closed port: nmap resets each completed handshake, the closed port answers RST,ACK',
  needs: [TOOLS.nmap],
  async run(ctx) {
    await scan(ctx, '-sT');
    return [
      closedPortAnswer(ctx),
      hostReset(ctx, {
        id: 'nmap-resets-after-handshake',
        sentBy: 'client',
        component: 'nmap',
        src: V4.client,
        dst: V4.server,
        dport: OPEN,
        flags: TCP_RST | TCP_ACK,
        stage: 'established',
        cause: 'scan_probe',
        verdict: 'genuine',
        origin: 'orig',
        why: 'connect scan: nmap closes the connected socket with SO_LINGER 0 -> tcp_send_active_reset',
      }),
    ];
  },
};
