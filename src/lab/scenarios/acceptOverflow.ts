import { TCP_RST } from '../../decode/packet.js';
import { sleep } from '../exec.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { V4, connectedPorts, hostReset } from './common.js';

const PORT = 8080;
const BACKLOG = 2;
/** Connections that fill the accept queue before the burst (the server never accepts). */
const QUEUED = 2;
/** Handshakes started while the queue still has room: more than it can take. */
const BURST = 3;
/** How long the router holds back the server's SYN-ACKs. */
const HOLD_MS = 400;

/**
 * A server that never calls accept(), listen backlog 2, `tcp_abort_on_overflow = 1`.
 * Why: tcp_conn_request only refuses a SYN when the accept queue is already full
 * (sk_acceptq_is_full: more than `backlog` children), so SYNs arriving while it has room get a
 * SYN-ACK; on veth the ACKs come back at once and would be queued one by one. The router drops
 * the server's SYN-ACKs for a moment, the server's SYN-ACK timer (and the clients' SYN
 * retransmissions) re-send them, and the burst's ACKs then arrive together: the first fits, the
 * next find the queue full. tcp_check_req -> syn_recv_sock fails (LINUX_MIB_LISTENOVERFLOWS) and,
 * with tcp_abort_on_overflow, goes to embryonic_reset: the request is dropped
 * (inet_csk_reqsk_queue_drop) and tcp_v4_send_reset answers the ACK with RST, seq = its ack.
 * The server's and the client's retransmissions cross, so a client often ACKs two SYN-ACKs and
 * gets two RSTs (the second ACK finds no request and the listener resets it too).
 */
export const acceptOverflow: Scenario = {
  name: 'accept-overflow',
  summary: 'accept queue full with tcp_abort_on_overflow=1: the server answers the final ACK of the handshake with RST',
  needs: [TOOLS.iptables],
  async run(ctx) {
    await ctx.sysctl('server', 'net.ipv4.tcp_abort_on_overflow=1');
    await ctx.serve('server', { addr: V4.server, port: PORT, backlog: BACKLOG, accepts: 0, steps: [] });
    const queued = ctx.connect('client', { addr: V4.server, port: PORT, count: QUEUED, steps: ['hold:20'] });
    for (let i = 0; i < 50 && queued.countLines(/ CONNECTED$/) < QUEUED; i++) await sleep(20);
    if (queued.countLines(/ CONNECTED$/) < QUEUED) throw new Error('the first connections did not complete');
    const holdSynAck = ['FORWARD', '-p', 'tcp', '-s', V4.server, '--sport', String(PORT), '--tcp-flags', 'SYN,ACK', 'SYN,ACK', '-j', 'DROP'];
    await ctx.sh('router', 'iptables', ['-A', ...holdSynAck]);
    const burst = ctx.connect('client', { addr: V4.server, port: PORT, count: BURST, steps: ['hold:20'] });
    await sleep(HOLD_MS);
    await ctx.sh('router', 'iptables', ['-D', ...holdSynAck]);
    await burst.waitForLine(/ ERR ECONNRESET$/, 8000);
    await sleep(300);
    const excluded = new Set(connectedPorts(queued.lines));
    if (excluded.size !== QUEUED) throw new Error('queued connections not identified');
    return [
      hostReset(ctx, {
        id: 'server-accept-queue-overflow',
        sentBy: 'server',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        flags: TCP_RST,
        count: [1, 2 * BURST],
        stage: 'established',
        cause: 'accept_queue_overflow',
        verdict: 'genuine',
        origin: 'resp',
        why: 'the handshake\'s ACK found the accept queue full: tcp_check_req -> embryonic_reset (tcp_abort_on_overflow=1) -> tcp_v4_send_reset',
      }),
    ];
  },
};
