import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { ResetExpectation } from '../expect.js';
import { type Scenario, type ScenarioContext, TOOLS } from '../scenario.js';
import { V4, cleanExchange, connectedPort, hostReset, refusedSyn } from './common.js';

const PORT = 8080;
/** A port the firewall lets through: the conversation there shows the server's real TTL. */
const ALLOWED_PORT = 8081;

/**
 * A listening server, a client that connects, and a firewall that refuses it: the shared story
 * of the firewall scenarios. Returns once the client has given up.
 */
async function connectThroughFirewall(ctx: ScenarioContext): Promise<void> {
  // First an allowed conversation with the same server on another port, as a real capture has.
  await cleanExchange(ctx, 4, ALLOWED_PORT);
  await ctx.serve('server', { addr: V4.server, port: PORT, accepts: 1, steps: ['until-closed:2'] });
  const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv'] });
  await client.waitForLine(/^FINISHED$/, 8000);
}

/**
 * The router's firewall refuses the SYN in the server's name. Why: the REJECT target (and nft's
 * `reject with tcp reset`) call nf_send_reset (net/ipv4/netfilter/nf_reject_ipv4.c), which builds
 * an RST from the offending packet with the *server's* address as source and the router's own
 * TTL (ip4_dst_hoplimit): a SYN without ACK gets RST|ACK, seq 0, ack = ISN + 1. The server never
 * sees the SYN; the TTL at the client (255 here, not the server's 127) gives the router away.
 */
function routerRejects(ctx: ScenarioContext): ResetExpectation {
  return hostReset(ctx, {
    id: 'router-firewall-rejects-syn',
    sentBy: 'router',
    component: 'netfilter',
    src: V4.server,
    dst: V4.client,
    sport: PORT,
    flags: TCP_RST | TCP_ACK,
    seq: [0],
    stage: 'handshake',
    cause: 'firewall_reject',
    verdict: 'forged',
    origin: 'middlebox',
    why: 'router FORWARD rule rejects with tcp reset: nf_send_reset answers the SYN in the server\'s name with the router\'s TTL',
  });
}

/** iptables REJECT --reject-with tcp-reset on the router's FORWARD chain. */
export const firewallRejectIptables: Scenario = {
  name: 'firewall-reject-iptables',
  summary: 'router iptables REJECT --reject-with tcp-reset: the router answers the SYN with RST,ACK in the server\'s name',
  needs: [TOOLS.iptables],
  async run(ctx) {
    await ctx.sh('router', 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '-d', V4.server, '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    await connectThroughFirewall(ctx);
    return [routerRejects(ctx)];
  },
};

/** nftables `reject with tcp reset` on the router's forward hook. */
export const firewallRejectNftables: Scenario = {
  name: 'firewall-reject-nftables',
  summary: 'router nftables "reject with tcp reset": the router answers the SYN with RST,ACK in the server\'s name',
  needs: [TOOLS.nft],
  async run(ctx) {
    await ctx.sh('router', 'nft', ['add', 'table', 'inet', 'whyreset_lab']);
    await ctx.sh('router', 'nft', ['add', 'chain', 'inet', 'whyreset_lab', 'forward', '{ type filter hook forward priority 0 ; policy accept ; }']);
    await ctx.sh('router', 'nft', ['add', 'rule', 'inet', 'whyreset_lab', 'forward', 'ip', 'daddr', V4.server, 'tcp', 'dport', String(PORT), 'reject', 'with', 'tcp', 'reset']);
    await connectThroughFirewall(ctx);
    return [routerRejects(ctx)];
  },
};

/**
 * The server's own firewall refuses the SYN although a program listens. Why: the INPUT REJECT
 * runs before TCP sees the SYN; nf_send_reset replies with the server's own TTL, and its RST is
 * byte for byte what tcp_v4_send_reset sends for a closed port (RST|ACK, seq 0, window 0, IP ID
 * 0, DF). DESIGN.md's `firewall_reject` means "a device in the path, not the endpoint", so the
 * label is `port_closed` from the responder, with `component: netfilter` and the why saying it
 * was the host firewall: no capture can tell the two apart, and the labels must stay reachable.
 */
export const firewallRejectServer: Scenario = {
  name: 'firewall-reject-server',
  summary: 'server\'s own iptables INPUT REJECT --reject-with tcp-reset while a program listens: looks exactly like a closed port',
  needs: [TOOLS.iptables],
  async run(ctx) {
    await ctx.sh('server', 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    await connectThroughFirewall(ctx);
    return [
      refusedSyn(ctx, {
        id: 'server-firewall-rejects-syn',
        sentBy: 'server',
        component: 'netfilter',
        src: V4.server,
        dst: V4.client,
        sport: PORT,
        why: 'the server\'s own INPUT rule rejects with tcp reset before TCP sees the SYN (nf_send_reset, the server\'s TTL): on the wire the same as a closed port',
      }),
    ];
  },
};

/**
 * A router rule that matches a string in the payload of an established connection
 * (`-m string ... -j REJECT --reject-with tcp-reset`). Why: nf_send_reset answers only the sender
 * of the offending segment, in the peer's name, with the router's TTL; the segment carried ACK so
 * the RST has no ACK flag and seq = its ack (exact, so the client's tcp_validate_incoming accepts
 * it). Unlike an injector, the segment itself is dropped: the server never sees the request nor
 * any RST, and keeps its half of the connection.
 */
export const firewallRejectMidstream: Scenario = {
  name: 'firewall-reject-midstream',
  summary: 'router iptables string match rejects a request mid-connection: RST to the client only, the server never knows',
  needs: [TOOLS.iptables],
  async run(ctx) {
    await ctx.sh('router', 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '-d', V4.server, '--dport', String(PORT), '-m', 'string', '--string', 'blocked', '--algo', 'bm', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    await ctx.serve('server', { addr: V4.server, port: PORT, accepts: 1, steps: ['recv', 'send:ok', 'until-closed:4'] });
    const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: ['send:hello', 'recv', 'send:GET /blocked HTTP/1.0', 'until-closed:3'] });
    const sport = await connectedPort(client);
    await client.waitForLine(/^FINISHED$/, 8000);
    return [
      hostReset(ctx, {
        id: 'router-firewall-rejects-request',
        sentBy: 'router',
        component: 'netfilter',
        src: V4.server,
        sport: PORT,
        dst: V4.client,
        dport: sport,
        flags: TCP_RST,
        stage: 'data',
        cause: 'firewall_reject',
        verdict: 'forged',
        origin: 'middlebox',
        why: 'router FORWARD rule matches "blocked" in the payload: nf_send_reset answers the client in the server\'s name with the router\'s TTL',
      }),
    ];
  },
};
