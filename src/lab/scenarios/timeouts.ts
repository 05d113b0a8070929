import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { V4, connectedPort, hostReset } from './common.js';

const PORT = 8080;

/**
 * The router starts dropping everything between client and server; the server sends data,
 * retransmits with exponential backoff and gives up after `tcp_retries2` (small here).
 * Why: tcp_write_timeout -> tcp_write_err -> tcp_done closes the socket *silently* (Linux sends
 * no RST when it gives up), so the client still believes in the connection. When the path
 * heals and the client sends, tcp_v4_rcv finds no socket and tcp_v4_send_reset answers
 * (RST without ACK, seq = the segment's ack): the reset the user sees, born of the timeout.
 */
export const retransmissionTimeout: Scenario = {
  name: 'retransmission-timeout',
  summary: 'router drops the path, the server retransmits until tcp_retries2 and forgets; the client\'s later data gets RST',
  needs: [TOOLS.iptables],
  async run(ctx) {
    await ctx.sysctl('server', `net.ipv4.tcp_retries2=${ctx.settings.retries2}`);
    const server = await ctx.serve('server', { addr: V4.server, port: PORT, steps: ['recv', 'send:ok', 'waitline', 'sendn:2000', 'until-closed:22'] });
    const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv', 'waitline', 'send:late', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/ RECV \d+$/, 5000);
    const drop = (src: string, dst: string) => ['FORWARD', '-p', 'tcp', '-s', src, '-d', dst, '-j', 'DROP'];
    await ctx.sh('router', 'iptables', ['-A', ...drop(V4.server, V4.client)]);
    await ctx.sh('router', 'iptables', ['-A', ...drop(V4.client, V4.server)]);
    server.sendLine('go');
    await server.waitForLine(/ ERR ETIMEDOUT$/, 20_000);
    await ctx.sh('router', 'iptables', ['-F', 'FORWARD']);
    client.sendLine('go');
    await client.waitForLine(/^FINISHED$/, 5000);
    return [
      hostReset(ctx, {
        id: 'server-forgot-after-retransmission-timeout',
        sentBy: 'server',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST,
        stage: 'data',
        // Linux sends no RST when it gives up (tcp_write_timeout → tcp_write_err): the reset
        // comes later, from the side that forgot, when the peer's next segment finds no socket.
        cause: 'stale_connection',
        verdict: 'genuine',
        origin: 'resp',
        why: 'the server gave up after tcp_retries2 retransmissions (tcp_write_err, no RST sent) and resets the client\'s next segment',
      }),
    ];
  },
};

/**
 * An application reaper: the server closes a connection that stayed idle for N seconds with
 * SO_LINGER 0. Why: tcp_close with zero linger -> tcp_disconnect -> tcp_send_active_reset, after
 * a silence much longer than the RTT (idle reapers of proxies and databases do exactly this).
 */
export const idleTimeoutReaper: Scenario = {
  name: 'idle-timeout-reaper',
  summary: 'the server application aborts a connection idle for N seconds (SO_LINGER 0): RST,ACK after a long silence',
  needs: [],
  async run(ctx) {
    const idle = ctx.settings.idleSeconds;
    await ctx.serve('server', { addr: V4.server, port: PORT, steps: ['recv', 'send:ok', `idle-reap:${idle}`] });
    const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv', `until-closed:${idle + 3}`] });
    const sport = await connectedPort(client);
    await client.waitForLine(/^FINISHED$/, (idle + 6) * 1000);
    return [
      hostReset(ctx, {
        id: 'server-reaps-idle-connection',
        sentBy: 'server',
        component: 'application',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST | TCP_ACK,
        stage: 'data',
        cause: 'idle_timeout',
        verdict: 'genuine',
        origin: 'resp',
        why: `the server application aborted the connection after ${idle} s idle: SO_LINGER 0 close -> tcp_send_active_reset`,
      }),
    ];
  },
};

/**
 * A stateful router forgets an idle connection: nf_conntrack_tcp_timeout_established is N
 * seconds, nf_conntrack_tcp_loose = 0 (no mid-stream pickup), and a rule rejects INVALID packets
 * with tcp-reset. Why: after the entry expired, the client's next segment has no conntrack entry
 * and, not being a SYN, cannot create one (tcp_new refuses it without tcp_loose): ctstate INVALID.
 * The REJECT answers with nf_send_reset in the server's name and the router's TTL; the packet
 * carried ACK, so the RST has no ACK flag and seq = its ack. The server never hears of it.
 */
export const idleTimeoutConntrack: Scenario = {
  name: 'idle-timeout-conntrack',
  summary: 'router conntrack entry expires while the connection idles; the next segment is INVALID and rejected with RST',
  needs: [TOOLS.iptables],
  async run(ctx) {
    const idle = ctx.settings.idleSeconds;
    await ctx.sh('router', 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    await ctx.sysctl('router', `net.netfilter.nf_conntrack_tcp_timeout_established=${idle}`, 'net.netfilter.nf_conntrack_tcp_loose=0');
    await ctx.serve('server', { addr: V4.server, port: PORT, steps: ['recv', 'send:ok', `until-closed:${idle + 8}`] });
    const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv', `sleep:${idle + 1.5}`, 'send:again', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/^FINISHED$/, (idle + 7) * 1000);
    return [
      hostReset(ctx, {
        id: 'router-rejects-after-conntrack-expiry',
        sentBy: 'router',
        component: 'netfilter',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST,
        stage: 'data',
        cause: 'idle_timeout',
        verdict: 'forged',
        origin: 'middlebox',
        why: `the router's conntrack entry expired after ${idle} s idle; the next segment is INVALID and REJECT --reject-with tcp-reset answers in the server's name`,
      }),
    ];
  },
};
