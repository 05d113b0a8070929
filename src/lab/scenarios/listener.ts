import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import { sleep } from '../exec.js';
import type { ResetExpectation } from '../expect.js';
import { type Scenario, TOOLS } from '../scenario.js';
import { V4, connectedPort, connectedPorts, hostReset } from './common.js';

const PORT = 8080;
/** Connections left waiting in the accept queue when the listener closes. */
const QUEUED = 3;
/** The client's listening port that an unsolicited SYN-ACK reaches, and one with no socket. */
const CLIENT_LISTENING = 8443;
const CLIENT_CLOSED = 9;
/** The source port of the unsolicited SYN-ACKs (the "server" the spoofed SYNs went to). */
const SYNACK_SPORT = 80;

/**
 * A server that listens but never accepts, with three completed connections (each sent a
 * request) waiting in its accept queue, closes its listening socket. Why: close() on a listener
 * runs inet_csk_listen_stop (net/ipv4/inet_connection_sock.c), which takes every child off the
 * accept queue and calls inet_child_forget → tcp_disconnect: the child is ESTABLISHED, so
 * tcp_need_reset holds and tcp_send_active_reset sends RST|ACK with seq = snd_nxt and ack =
 * rcv_nxt (reason TCP_STATE): the application's close aborted connections it never accepted.
 */
export const listenerClosedQueued: Scenario = {
  name: 'listener-closed-queued',
  summary: 'a server closes its listener while completed connections wait in the accept queue: RST,ACK to each queued client',
  needs: [],
  async run(ctx) {
    const listener = ctx.agent('server', `listener:${PORT}`, ['listen-close', '4', V4.server, String(PORT), '16']);
    await listener.waitForLine(/^READY$/, 10_000);
    const clients = ctx.connect('client', { addr: V4.server, port: PORT, count: QUEUED, steps: ['send:GET / HTTP/1.0', 'until-closed:6'] });
    for (let i = 0; i < 100 && clients.countLines(/ CONNECTED$/) < QUEUED; i++) await sleep(20);
    if (connectedPorts(clients.lines).length !== QUEUED) throw new Error('the queued connections did not complete');
    await sleep(300);
    listener.sendLine('close');
    await listener.waitForLine(/^FINISHED$/, 5000);
    await clients.waitForLine(/^FINISHED$/, 8000);
    return [
      hostReset(ctx, {
        id: 'server-listener-closed-with-queue',
        sentBy: 'server',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        flags: TCP_RST | TCP_ACK,
        count: [QUEUED, QUEUED],
        stage: 'data',
        cause: 'application_abort',
        verdict: 'genuine',
        origin: 'resp',
        why: 'the server closed its listener with the connection still in the accept queue: inet_csk_listen_stop -> inet_child_forget -> tcp_disconnect -> tcp_send_active_reset',
      }),
    ];
  },
};

/**
 * The server loses an established connection without the client hearing of it, while its
 * listener stays open; the client's next segment (data with ACK) reaches the listener. Why: the
 * server application aborts (SO_LINGER 0) and its own OUTPUT filter drops that RST, as a host
 * whose reset never got out (a crash, a failover, a dropped packet). tcp_v4_rcv then finds no
 * established socket but the listener; tcp_rcv_state_process in TCP_LISTEN returns 1 for any
 * segment with ACK, and tcp_v4_do_rcv answers with tcp_v4_send_reset: RST without ACK, seq =
 * the segment's ack (RFC 9293 §3.10.7.2: in LISTEN, "any acknowledgment is bad ... form a reset
 * segment <SEQ=SEG.ACK><CTL=RST>").
 */
export const listenerUnknownAck: Scenario = {
  name: 'listener-unknown-ack',
  summary: 'the server silently lost a connection; the client\'s next data reaches the listener, which answers RST (seq = its ack)',
  needs: [TOOLS.iptables],
  async run(ctx) {
    const dropOwnRst = ['OUTPUT', '-p', 'tcp', '--sport', String(PORT), '--tcp-flags', 'RST', 'RST', '-j', 'DROP'];
    // accepts: 2, and only one client: the agent waits in a second accept() and so keeps the
    // listener open until the runner stops it (with one, it would exit and close the listener).
    const server = await ctx.serve('server', { addr: V4.server, port: PORT, accepts: 2, steps: ['recv', 'send:ok', 'waitline', 'linger0', 'close'] });
    const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv', 'waitline', 'send:again', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/ RECV \d+$/, 5000);
    await ctx.sh('server', 'iptables', ['-A', ...dropOwnRst]);
    server.sendLine('go');
    await server.waitForLine(/ CLOSED$/, 5000);
    await ctx.sh('server', 'iptables', ['-D', ...dropOwnRst]);
    // More than the kernel matcher's path allowance (kernel/match.ts MAX_PATH_DELAY, 1 s) after
    // the dropped RST's send_reset event, so the listener's RST is matched to its own event.
    await sleep(1500);
    client.sendLine('go');
    await client.waitForLine(/^FINISHED$/, 6000);
    return [
      hostReset(ctx, {
        id: 'server-listener-resets-unknown-ack',
        sentBy: 'server',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST,
        stage: 'data',
        cause: 'stale_connection',
        verdict: 'genuine',
        origin: 'resp',
        why: 'the client\'s data (with ACK) reached the server\'s listener, which has no such connection: tcp_rcv_state_process (TCP_LISTEN, th->ack) -> tcp_v4_send_reset, seq = the segment\'s ack',
      }),
    ];
  },
};

/** One SYN-ACK the crafter reports: `SYNACK <sport> <dport> <seq> <ack>`. */
function parseSynAcks(lines: readonly string[]): { dport: number; ack: number }[] {
  return lines.flatMap((l) => {
    const m = /^SYNACK \d+ (\d+) \d+ (\d+)$/.exec(l);
    return m ? [{ dport: Number(m[1]), ack: Number(m[2]) }] : [];
  });
}

/**
 * Backscatter: SYN-ACKs reach the client for SYNs it never sent (someone spoofed its address in
 * a SYN flood against the server, or probes with raw SYN-ACKs), one to a port where the client
 * listens and one to a port with no socket. Why: on the listening port tcp_rcv_state_process
 * (TCP_LISTEN) refuses any segment with ACK; on the other tcp_v4_rcv finds no socket
 * (no_tcp_socket). Both answer with tcp_v4_send_reset: RST without ACK, seq = the SYN-ACK's ack
 * (RFC 9293 §3.10.7.1/§3.10.7.2). The SYN-ACKs are crafted with scapy on the server's namespace.
 */
export const backscatterSynAck: Scenario = {
  name: 'backscatter-synack',
  summary: 'unsolicited SYN-ACKs (scapy) reach the client on a listening and on a closed port: the client resets each (backscatter)',
  needs: [TOOLS.scapy],
  async run(ctx) {
    await ctx.serve('client', { addr: V4.client, port: CLIENT_LISTENING, accepts: 0, steps: [] });
    const dports = [CLIENT_LISTENING, CLIENT_CLOSED];
    const crafter = ctx.agent('server', 'synack', ['synack', V4.server, V4.client, String(SYNACK_SPORT), dports.join(','), String(ctx.ttl.server)]);
    await crafter.waitForLine(/^FINISHED$/, 15_000);
    const sent = parseSynAcks(crafter.lines);
    if (sent.length !== dports.length) throw new Error(`expected ${dports.length} SYN-ACKs, the crafter reported ${sent.length}`);
    return sent.map(
      (s): ResetExpectation =>
        hostReset(ctx, {
          id: `client-resets-unsolicited-synack-${s.dport === CLIENT_LISTENING ? 'listening' : 'closed'}-port`,
          sentBy: 'client',
          src: V4.client,
          sport: s.dport,
          dst: V4.server,
          dport: SYNACK_SPORT,
          flags: TCP_RST,
          seq: [s.ack],
          stage: 'handshake',
          cause: 'backscatter',
          verdict: 'genuine',
          // Zeek's rule (and whyreset's): the sender of a SYN-ACK is the responder, so the
          // host that got it is the originator of this conversation.
          origin: 'orig',
          why:
            s.dport === CLIENT_LISTENING
              ? 'a SYN-ACK the client never asked for reached its listener: tcp_rcv_state_process (TCP_LISTEN, th->ack) -> tcp_v4_send_reset, seq = its ack'
              : 'a SYN-ACK the client never asked for found no socket: tcp_v4_rcv -> no_tcp_socket -> tcp_v4_send_reset, seq = its ack',
        }),
    );
  },
};
