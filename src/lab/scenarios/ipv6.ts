import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { V6, cleanExchange, hostReset, refusedSyn } from './common.js';

const CLOSED = 9;
const REJECTED = 8080;

/**
 * IPv6 SYN to a closed port. Why: tcp_v6_rcv finds no socket and tcp_v6_send_reset answers
 * RST,ACK with the server's hop limit (the lab sets it per host like the IPv4 TTL).
 */
export const closedPortV6: Scenario = {
  name: 'closed-port-v6',
  summary: 'IPv6 SYN to a closed port on the server: RST,ACK from the server with its hop limit',
  needs: [],
  async run(ctx) {
    const client = ctx.connect('client', { family: 6, addr: V6.server, port: CLOSED, steps: [] });
    await client.waitForLine(/^FINISHED$/, 8000);
    return [
      refusedSyn(ctx, {
        id: 'server-refuses-syn-v6',
        sentBy: 'server',
        src: V6.server,
        sport: CLOSED,
        dst: V6.client,
        why: 'no socket listens on the port: tcp_v6_rcv -> tcp_v6_send_reset answers the SYN with RST,ACK',
      }),
    ];
  },
};

/**
 * ip6tables REJECT --reject-with tcp-reset on the router. Why: nf_send_reset6
 * (net/ipv6/netfilter/nf_reject_ipv6.c) forges RST,ACK in the server's name with the hop limit of
 * the router's outgoing route (ip6_dst_hoplimit), so the client sees 255 instead of 127.
 */
export const firewallRejectV6: Scenario = {
  name: 'firewall-reject-v6',
  summary: 'router ip6tables REJECT --reject-with tcp-reset: RST,ACK in the server\'s name with the router\'s hop limit',
  needs: [TOOLS.ip6tables],
  async run(ctx) {
    await ctx.sh('router', 'ip6tables', ['-A', 'FORWARD', '-p', 'tcp', '-d', V6.server, '--dport', String(REJECTED), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    await cleanExchange(ctx, 6, REJECTED + 1);
    await ctx.serve('server', { family: 6, addr: V6.server, port: REJECTED, steps: ['until-closed:2'] });
    const client = ctx.connect('client', { family: 6, addr: V6.server, port: REJECTED, steps: ['send:hello', 'recv'] });
    await client.waitForLine(/^FINISHED$/, 8000);
    return [
      hostReset(ctx, {
        id: 'router-firewall-rejects-syn-v6',
        sentBy: 'router',
        component: 'netfilter',
        src: V6.server,
        sport: REJECTED,
        dst: V6.client,
        flags: TCP_RST | TCP_ACK,
        seq: [0],
        stage: 'handshake',
        cause: 'firewall_reject',
        verdict: 'forged',
        origin: 'middlebox',
        why: 'router ip6tables rule rejects with tcp reset: nf_send_reset6 answers the SYN in the server\'s name with the router\'s hop limit',
      }),
    ];
  },
};
