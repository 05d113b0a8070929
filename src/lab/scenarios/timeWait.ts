import { TCP_RST } from '../../decode/packet.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { IFACES } from '../topology.js';
import { V4, hostReset } from './common.js';

const PORT = 8080;
const SOURCE_PORT = 40500;

/**
 * 4-tuple reuse against a TIME_WAIT: the server closes first (so it holds TIME_WAIT), then a SYN
 * arrives from the same client port with an old sequence number (scapy, the ISN of the previous
 * connection: what a NAT or a client that recycles ports quickly produces). Why:
 * tcp_timewait_state_process sees a SYN that is not after tw_rcv_nxt (and no newer timestamp),
 * so it is not a new connection (TCP_TW_SYN) but an old duplicate: it answers with an ACK for the
 * old connection (TCP_TW_ACK). The client's kernel has no socket for that 4-tuple any more and
 * resets the ACK (tcp_v4_send_reset: RST, seq = the ACK's ack); with tcp_rfc1337 = 0 that RST
 * also kills the TIME_WAIT. SYN -> ACK -> RST is the port-reuse signature.
 */
export const timeWaitReuse: Scenario = {
  name: 'time-wait-reuse',
  summary: 'a SYN reuses the 4-tuple of a connection in TIME_WAIT on the server: stale ACK back, the client resets it',
  needs: [TOOLS.scapy],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: PORT, steps: ['recv', 'send:bye', 'close'] });
    const client = ctx.agent('client', 'stale-syn', ['stale-syn', IFACES.client, V4.client, V4.server, String(PORT), String(SOURCE_PORT), String(ctx.ttl.client)]);
    await client.waitForLine(/^(FINISHED|ERR)/, 15_000);
    if (client.countLines(/^STALE_SYN_SENT$/) !== 1) throw new Error(`the stale SYN was not sent: ${client.lines.join(' | ')}`);
    return [
      hostReset(ctx, {
        id: 'client-resets-time-wait-ack',
        sentBy: 'client',
        src: V4.client,
        sport: SOURCE_PORT,
        dst: V4.server,
        dport: PORT,
        flags: TCP_RST,
        stage: 'handshake',
        cause: 'port_reuse',
        verdict: 'genuine',
        origin: 'orig',
        why: 'the SYN hit the server\'s TIME_WAIT, which answered with the old connection\'s ACK; the client kernel has no such connection and resets it',
      }),
    ];
  },
};
