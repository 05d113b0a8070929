import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { Scenario, ScenarioContext } from '../scenario.js';
import { V4, connectedPort, hostReset } from './common.js';

const CLIENT_ABORTS = 8080;
const SERVER_ABORTS = 8081;

/** Runs one client connection to `port` with `steps` and returns its source port once it finished. */
async function converse(ctx: ScenarioContext, port: number, steps: string[]): Promise<number> {
  const client = ctx.connect('client', { addr: V4.server, port, steps });
  const sport = await connectedPort(client);
  await client.waitForLine(/^FINISHED$/, 8000);
  return sport;
}

/**
 * SO_LINGER {on, 0} then close(), once by the client and once by the server, after a request
 * and a reply. Why: tcp_close sees a zero linger time and calls tcp_disconnect, which sends
 * tcp_send_active_reset (RST|ACK at snd_nxt) for an ESTABLISHED socket instead of a FIN.
 */
export const appAbortLinger: Scenario = {
  name: 'app-abort-linger',
  summary: 'SO_LINGER 0 + close() after a request/reply, first by the client, then by the server: RST,ACK instead of FIN',
  needs: [],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: CLIENT_ABORTS, steps: ['recv', 'send:ok', 'until-closed:3'] });
    await ctx.serve('server', { addr: V4.server, port: SERVER_ABORTS, steps: ['recv', 'send:ok', 'sleep:0.2', 'linger0', 'close'] });
    const a = await converse(ctx, CLIENT_ABORTS, ['send:hello', 'recv', 'linger0', 'close']);
    const b = await converse(ctx, SERVER_ABORTS, ['send:hello', 'recv', 'until-closed:3']);
    const truth = { stage: 'data', cause: 'application_abort', verdict: 'genuine', component: 'application' } as const;
    const why = 'SO_LINGER 0 then close(): tcp_close -> tcp_disconnect -> tcp_send_active_reset';
    return [
      hostReset(ctx, { id: 'client-linger0-close', sentBy: 'client', origin: 'orig', src: V4.client, sport: a, dst: V4.server, dport: CLIENT_ABORTS, flags: TCP_RST | TCP_ACK, ...truth, why }),
      hostReset(ctx, { id: 'server-linger0-close', sentBy: 'server', origin: 'resp', src: V4.server, sport: SERVER_ABORTS, dst: V4.client, dport: b, flags: TCP_RST | TCP_ACK, ...truth, why }),
    ];
  },
};

/**
 * close() with bytes still unread in the receive queue, by the client and then the server.
 * Why: tcp_close counts the unread data (`data_was_unread`), bumps TCPAbortOnClose and sends
 * tcp_send_active_reset (RFC 2525 §2.17) instead of a FIN: the peer learns its data was lost.
 */
export const appAbortUnread: Scenario = {
  name: 'app-abort-unread',
  summary: 'close() with unread data in the receive buffer, first by the client, then by the server: RST,ACK instead of FIN',
  needs: [],
  async run(ctx) {
    await ctx.serve('server', { addr: V4.server, port: CLIENT_ABORTS, steps: ['recv', 'send:ok', 'sendn:1000', 'until-closed:3'] });
    await ctx.serve('server', { addr: V4.server, port: SERVER_ABORTS, steps: ['sleep:0.5', 'close'] });
    const a = await converse(ctx, CLIENT_ABORTS, ['send:hello', 'sleep:0.3', 'close']);
    const b = await converse(ctx, SERVER_ABORTS, ['send:hello', 'sleep:0.1', 'send:more', 'until-closed:3']);
    const truth = { stage: 'data', cause: 'application_abort', verdict: 'genuine', component: 'kernel_tcp' } as const;
    const why = 'close() with unread data: tcp_close (data_was_unread) -> tcp_send_active_reset';
    return [
      hostReset(ctx, { id: 'client-close-unread', sentBy: 'client', origin: 'orig', src: V4.client, sport: a, dst: V4.server, dport: CLIENT_ABORTS, flags: TCP_RST | TCP_ACK, ...truth, why }),
      hostReset(ctx, { id: 'server-close-unread', sentBy: 'server', origin: 'resp', src: V4.server, sport: SERVER_ABORTS, dst: V4.client, dport: b, flags: TCP_RST | TCP_ACK, ...truth, why }),
    ];
  },
};
