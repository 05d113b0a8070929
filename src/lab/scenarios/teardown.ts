import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { Scenario } from '../scenario.js';
import { V4, connectedPort, hostReset } from './common.js';

const PASSIVE = 8080;
const ACTIVE = 8081;

/**
 * RST to end a connection once the FINs started, the way proxies and load balancers skip
 * TIME_WAIT (HAProxy `option nolinger`, SO_LINGER 0 after shutdown). Two connections:
 * (1) the client sends FIN; the server, in CLOSE_WAIT, closes with SO_LINGER 0;
 * (2) the client sends FIN, gets it acked (FIN_WAIT2), then closes with SO_LINGER 0.
 * Why: tcp_disconnect sends tcp_send_active_reset when tcp_need_reset(state) holds, and it holds
 * for CLOSE_WAIT and FIN_WAIT1/2 (not for LAST_ACK, CLOSING or TIME_WAIT: a Linux endpoint cannot
 * reset after it has received the peer's FIN and sent its own).
 */
export const fastClose: Scenario = {
  name: 'fast-close',
  summary: 'RST after FIN instead of a graceful close: server answers the client\'s FIN with RST; client resets after its own FIN',
  needs: [],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: PASSIVE, steps: ['recv', 'send:ok', 'until-eof:3', 'linger0', 'close'] });
    await ctx.serve('server', { addr: V4.server, port: ACTIVE, steps: ['recv', 'send:ok', 'until-eof:3', 'sleep:1', 'close'] });
    const first = ctx.connect('client', { addr: V4.server, port: PASSIVE, steps: ['send:hello', 'recv', 'shutwr', 'until-closed:3'] });
    const a = await connectedPort(first);
    await first.waitForLine(/^FINISHED$/, 8000);
    const second = ctx.connect('client', { addr: V4.server, port: ACTIVE, steps: ['send:hello', 'recv', 'shutwr', 'sleep:0.3', 'linger0', 'close'] });
    const b = await connectedPort(second);
    await second.waitForLine(/^FINISHED$/, 8000);
    const truth = { stage: 'teardown', cause: 'fast_close', verdict: 'genuine', component: 'application' } as const;
    return [
      hostReset(ctx, {
        id: 'server-resets-after-peer-fin',
        sentBy: 'server',
        origin: 'resp',
        src: V4.server,
        sport: PASSIVE,
        dst: V4.client,
        dport: a,
        flags: TCP_RST | TCP_ACK,
        ...truth,
        why: 'CLOSE_WAIT + SO_LINGER 0 close(): tcp_disconnect -> tcp_send_active_reset instead of the server\'s FIN',
      }),
      hostReset(ctx, {
        id: 'client-resets-after-own-fin',
        sentBy: 'client',
        origin: 'orig',
        src: V4.client,
        sport: b,
        dst: V4.server,
        dport: ACTIVE,
        flags: TCP_RST | TCP_ACK,
        ...truth,
        why: 'FIN_WAIT2 + SO_LINGER 0 close(): tcp_disconnect -> tcp_send_active_reset instead of waiting for the peer\'s FIN',
      }),
    ];
  },
};

/**
 * The server closes (FIN) after its reply; the client, half-closed by its peer, keeps sending.
 * Why: the server's orphaned socket has shut its receive side; new data there makes
 * tcp_rcv_state_process (FIN_WAIT1/2, TCPAbortOnData) or tcp_timewait_state_process (FIN_WAIT2
 * timewait socket: TCP_TW_RST) answer with tcp_v4_send_reset: the segment carries ACK, so the
 * RST has no ACK flag and seq = the segment's ack (RFC 1122 §4.2.2.13).
 */
export const dataAfterClose: Scenario = {
  name: 'data-after-close',
  summary: 'server closes after its reply, the client keeps sending into the half-closed connection: the server answers RST',
  needs: [],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: PASSIVE, steps: ['recv', 'send:ok', 'close'] });
    const client = ctx.connect('client', { addr: V4.server, port: PASSIVE, steps: ['send:hello', 'recv', 'sleep:0.3', 'send:more', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/^FINISHED$/, 8000);
    return [
      hostReset(ctx, {
        id: 'server-resets-data-after-close',
        sentBy: 'server',
        src: V4.server,
        sport: PASSIVE,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST,
        stage: 'teardown',
        cause: 'data_after_close',
        verdict: 'genuine',
        origin: 'resp',
        why: 'data reached a socket whose receive side was closed: tcp_v4_send_reset (RST, seq = the data segment\'s ack)',
      }),
    ];
  },
};

/**
 * Consequences: the server closes after its reply; the client then sends 3000 bytes in one
 * write, which its kernel puts on the wire as three back-to-back segments (MSS 1460, offloads
 * off). The first finds the server's FIN_WAIT2 socket with its receive side shut: tcp_reset
 * kills it and tcp_v4_send_reset answers (data_after_close). The other two arrive when no
 * socket is left (tcp_v4_rcv → no_tcp_socket → tcp_v4_send_reset): each answered by the same
 * bare RST, a consequence of the first (after_reset), seen at every capture point.
 */
export const afterReset: Scenario = {
  name: 'after-reset',
  summary: 'data after the server closed, in three segments: one data_after_close RST, then the socketless kernel answers the rest (after_reset)',
  needs: [],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: PASSIVE, steps: ['recv', 'send:ok', 'close'] });
    const client = ctx.connect('client', { addr: V4.server, port: PASSIVE, steps: ['send:hello', 'recv', 'sleep:0.3', 'sendn:3000', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/^FINISHED$/, 8000);
    const rst = { sentBy: 'server', src: V4.server, sport: PASSIVE, dst: V4.client, dport: sport, flags: TCP_RST, stage: 'teardown', verdict: 'genuine', origin: 'resp' } as const;
    return [
      hostReset(ctx, {
        id: 'server-resets-first-segment-after-close',
        ...rst,
        cause: 'data_after_close',
        why: 'the first segment reached a socket whose receive side was closed: tcp_reset, then tcp_v4_send_reset',
      }),
      hostReset(ctx, {
        id: 'server-kernel-answers-the-rest',
        ...rst,
        cause: 'after_reset',
        count: [1, 2],
        why: 'the later segments found no socket (killed by the first RST): tcp_v4_send_reset, the same bare RST each time',
      }),
    ];
  },
};
