import { TCP_ACK, TCP_RST, TCP_SYN } from '../../decode/packet.js';
import type { ResetExpectation } from '../expect.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { V4, hostReset } from './common.js';

const OPEN = 8080;
const CLOSED = 9;

/** One crafted probe as the agent reports it: `PROBE <sport> <dport> <name> <seq>`. */
export interface Probe {
  sport: number;
  dport: number;
  name: string;
  seq: number;
}

/** Parses the agent's PROBE lines. */
export function parseProbes(lines: readonly string[]): Probe[] {
  return lines.flatMap((l) => {
    const m = /^PROBE (\d+) (\d+) (\S+) (\d+)$/.exec(l);
    return m ? [{ sport: Number(m[1]), dport: Number(m[2]), name: m[3] ?? '', seq: Number(m[4]) }] : [];
  });
}

/**
 * SYN+FIN, SYN+URG, SYN+RST, NULL and Xmas (FIN+PSH+URG) crafted with scapy, to a listening port
 * and to a closed one. What Linux does, and why:
 * - closed port: tcp_v4_rcv has no socket and tcp_v4_send_reset answers everything except a
 *   segment carrying RST (never answer an RST): RST|ACK, seq 0, ack = seq + SYN + FIN.
 * - listening port: tcp_rcv_state_process (TCP_LISTEN) drops segments with RST, drops SYN+FIN,
 *   drops anything without SYN (NULL, Xmas), and takes SYN+URG as a plain SYN: SYN-ACK. The
 *   client's kernel never sent that SYN (scapy did, from a raw socket), so it has no socket and
 *   resets the SYN-ACK: RST, seq = the SYN-ACK's ack (what every raw-socket scanner shows).
 * - the SYN+RST probes are RST segments themselves, sent by the client.
 */
export const malformedSyn: Scenario = {
  name: 'malformed-syn',
  summary: 'scapy sends SYN+FIN, SYN+URG, SYN+RST, NULL and Xmas to an open and a closed port: which ones Linux resets',
  needs: [TOOLS.scapy],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: OPEN, accepts: 5, steps: ['until-closed:2'] });
    const crafter = ctx.agent('client', 'craft', ['craft', V4.client, V4.server, String(OPEN), String(CLOSED), String(ctx.ttl.client)]);
    await crafter.waitForLine(/^FINISHED$/, 15_000);
    const probes = parseProbes(crafter.lines);
    const out: ResetExpectation[] = [];
    for (const p of probes) {
      const truth = { stage: 'handshake', verdict: 'genuine' } as const;
      if (p.name === 'syn-rst') {
        out.push(
          hostReset(ctx, {
            id: `client-crafted-syn-rst-to-${p.dport === OPEN ? 'open' : 'closed'}-port`,
            sentBy: 'client',
            component: 'scapy',
            src: V4.client,
            sport: p.sport,
            dst: V4.server,
            dport: p.dport,
            flags: TCP_SYN | TCP_RST,
            seq: [p.seq],
            cause: 'malformed_syn',
            origin: 'orig',
            ...truth,
            why: 'a crafted probe with SYN and RST both set (no kernel sends this)',
          }),
        );
      } else if (p.dport === CLOSED) {
        out.push(
          hostReset(ctx, {
            id: `server-refuses-${p.name}-to-closed-port`,
            sentBy: 'server',
            src: V4.server,
            sport: CLOSED,
            dst: V4.client,
            dport: p.sport,
            flags: TCP_RST | TCP_ACK,
            seq: [0],
            cause: 'malformed_syn',
            origin: 'resp',
            ...truth,
            why: `${p.name} probe to a closed port: tcp_v4_rcv has no socket -> tcp_v4_send_reset (RST,ACK, seq 0)`,
          }),
        );
      } else if (p.name === 'syn-urg') {
        out.push(
          hostReset(ctx, {
            id: 'client-kernel-resets-syn-ack-of-crafted-syn',
            sentBy: 'client',
            src: V4.client,
            sport: p.sport,
            dst: V4.server,
            dport: OPEN,
            flags: TCP_RST,
            seq: [(p.seq + 1) >>> 0],
            cause: 'scan_probe',
            origin: 'orig',
            ...truth,
            why: 'the listener took SYN+URG as a SYN and sent SYN-ACK; the client kernel never made that SYN (scapy did) and resets it',
          }),
        );
      }
    }
    if (probes.length !== 10) throw new Error(`expected 10 probes, the crafter reported ${probes.length}`);
    return out;
  },
};
