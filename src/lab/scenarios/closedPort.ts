import type { Scenario } from '../scenario.js';
import { V4, refusedSyn } from './common.js';

/**
 * A SYN to a port nothing listens on, once at the server and once at the router's own address.
 * Why: tcp_v4_rcv finds no socket (the `no_tcp_socket` path) and calls tcp_v4_send_reset; the
 * SYN carries no ACK, so the reply is RST|ACK with seq 0 and ack = ISN + 1 (RFC 9293 §3.10.7.1).
 * The router answers for its own address exactly like any host: it is the endpoint here.
 */
export const closedPort: Scenario = {
  name: 'closed-port',
  summary: 'SYN to a closed port on the server and on the router itself: each kernel answers RST,ACK',
  needs: [],
  async run(ctx) {
    const toServer = ctx.connect('client', { addr: V4.server, port: 9, steps: [] });
    await toServer.waitForLine(/^FINISHED$/, 8000);
    const toRouter = ctx.connect('client', { addr: V4.router, port: 9, steps: [] });
    await toRouter.waitForLine(/^FINISHED$/, 8000);
    const why = 'no socket listens on the port: tcp_v4_rcv -> tcp_v4_send_reset answers the SYN with RST,ACK';
    return [
      refusedSyn(ctx, { id: 'server-refuses-syn', sentBy: 'server', src: V4.server, dst: V4.client, sport: 9, why }),
      refusedSyn(ctx, { id: 'router-refuses-syn', sentBy: 'router', src: V4.router, dst: V4.client, sport: 9, why }),
    ];
  },
};
