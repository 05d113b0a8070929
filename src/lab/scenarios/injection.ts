import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { ResetExpectation } from '../expect.js';
import { type Scenario, type ScenarioContext, TOOLS } from '../scenario.js';
import { IFACES } from '../topology.js';
import { V4, connectedPort, hostReset } from './common.js';

const PORT = 80;
const KEYWORD = 'forbidden';
/** The server's reply is exactly this long, so the second injected RST lands on rcv_nxt after it. */
const REPLY_BYTES = 1460;
/** Sequence shifts of the injected RSTs (the pattern of on-path censors: one exact, then guesses). */
const SHIFTS = [0, REPLY_BYTES, 3 * REPLY_BYTES];

/** TTLs the injector writes toward the client and toward the server. */
interface InjectorTtls {
  toClient: number;
  toServer: number;
}

/** One injection as the injector reports it: `INJECTED <client port> <seq to client> <seq to server> R|RA`. */
export interface Injection {
  sport: number;
  seqToClient: number;
  seqToServer: number;
  flags: number;
}

/** Parses the injector's INJECTED lines. */
export function parseInjected(lines: readonly string[]): Injection[] {
  return lines.flatMap((l) => {
    const m = /^INJECTED (\d+) (\d+) (\d+) (R|RA)$/.exec(l);
    if (!m) return [];
    const flags = m[4] === 'RA' ? TCP_RST | TCP_ACK : TCP_RST;
    return [{ sport: Number(m[1]), seqToClient: Number(m[2]), seqToServer: Number(m[3]), flags }];
  });
}

/**
 * A request containing a keyword passes the router; a scapy process on the router sees it on the
 * forwarding path and injects RSTs toward both ends, in the other end's name, at seq = the next
 * expected byte plus SHIFTS (first RST, then RST,ACK). The real reply still passes: the kernel
 * forwards it long before Python has reacted. Why the connection dies: the RST whose seq equals
 * the receiver's rcv_nxt passes tcp_validate_incoming (RFC 5961 §3.2) and tcp_reset kills the
 * socket; the shifted ones then find no socket and are dropped (an RST is never answered). If an
 * endpoint gets a segment for a connection already killed it answers RST itself (`stale`).
 */
async function injectOnKeyword(ctx: ScenarioContext, ttls: InjectorTtls): Promise<ResetExpectation[]> {
  await ctx.serve('server', { addr: V4.server, port: PORT, steps: ['recv', `sendn:${REPLY_BYTES}`, 'until-closed:5'] });
  const injector = ctx.agent('router', 'injector', [
    'inject',
    IFACES.routerToClient,
    KEYWORD,
    String(ttls.toClient),
    String(ttls.toServer),
    SHIFTS.join(','),
    '15',
  ]);
  await injector.waitForLine(/^READY$/, 15_000);
  const client = ctx.connect('client', { addr: V4.server, port: PORT, steps: [`send:GET /${KEYWORD} HTTP/1.0`, 'recv', 'until-closed:4'] });
  const sport = await connectedPort(client);
  await client.waitForLine(/^FINISHED$/, 10_000);
  await injector.waitForLine(/^FINISHED$/, 5000);
  const sent = parseInjected(injector.lines);
  if (sent.length !== SHIFTS.length) throw new Error(`the injector reported ${sent.length} injections, not ${SHIFTS.length}`);
  const truth = { stage: 'data', cause: 'middlebox_injected', verdict: 'forged', origin: 'middlebox' } as const;
  const injected = (toward: 'client' | 'server', flags: number, count: number): ResetExpectation => ({
    id: `injected-${flags & TCP_ACK ? 'rst-ack' : 'rst'}-to-${toward}`,
    sentBy: 'injector',
    component: 'injector',
    src: toward === 'client' ? V4.server : V4.client,
    sport: toward === 'client' ? PORT : sport,
    dst: toward === 'client' ? V4.client : V4.server,
    dport: toward === 'client' ? sport : PORT,
    flags,
    seq: sent.filter((i) => i.flags === flags).map((i) => (toward === 'client' ? i.seqToClient : i.seqToServer)),
    ttl: toward === 'client' ? ttls.toClient : ttls.toServer,
    count: [count, count],
    ...truth,
    why: `scapy on the router saw "${KEYWORD}" and forged RSTs in the ${toward === 'client' ? 'server' : 'client'}'s name at seq shifts ${SHIFTS.join('/')}`,
  });
  // The socket died on the exact RST (tcp_reset); what still arrives finds none and is answered by the kernel: a consequence.
  const stale = { stage: 'data', cause: 'after_reset', verdict: 'genuine', count: [0, 3] } as const;
  return [
    injected('client', TCP_RST, 1),
    injected('client', TCP_RST | TCP_ACK, SHIFTS.length - 1),
    injected('server', TCP_RST, 1),
    injected('server', TCP_RST | TCP_ACK, SHIFTS.length - 1),
    hostReset(ctx, {
      id: 'client-resets-segment-after-injection',
      sentBy: 'client',
      origin: 'orig',
      src: V4.client,
      sport,
      dst: V4.server,
      dport: PORT,
      flags: TCP_RST,
      ...stale,
      why: 'a segment of the killed connection reached the client: no socket, tcp_v4_send_reset',
    }),
    hostReset(ctx, {
      id: 'server-resets-segment-after-injection',
      sentBy: 'server',
      origin: 'resp',
      src: V4.server,
      sport: PORT,
      dst: V4.client,
      dport: sport,
      flags: TCP_RST,
      ...stale,
      why: 'a segment of the killed connection reached the server: no socket, tcp_v4_send_reset',
    }),
  ];
}

/** The injector uses the router's own TTL: the forged RSTs arrive with a TTL no endpoint uses. */
export const middleboxInjection: Scenario = {
  name: 'middlebox-injection',
  summary: 'a process on the router sees a keyword and injects RSTs with shifted seqs toward both ends, with the router\'s TTL',
  needs: [TOOLS.scapy],
  run: (ctx) => injectOnKeyword(ctx, { toClient: ctx.ttl.router, toServer: ctx.ttl.router }),
};

/**
 * The injector spoofs TTLs one below what each end sees from its real peer (the server's
 * packets reach the client with server TTL - 1, the injector's arrive with server TTL - 2):
 * close enough to pass a careless TTL check, and the reason forgery evidence must not rest on
 * TTL alone.
 */
export const middleboxInjectionSpoofedTtl: Scenario = {
  name: 'middlebox-injection-spoofed-ttl',
  summary: 'the same injection with TTLs spoofed to one below what each end sees from its real peer',
  needs: [TOOLS.scapy],
  run: (ctx) => injectOnKeyword(ctx, { toClient: ctx.ttl.server - 2, toServer: ctx.ttl.client - 2 }),
};

/**
 * The injector copies exactly the TTL each end sees from its real peer (the server's packets
 * reach the client with server TTL - 1 through the router; the injector on the router sends
 * with that value): TTL says nothing, so the other evidence (the burst's sequence jumps, IP IDs,
 * the real endpoint still talking) must catch it.
 */
export const middleboxInjectionCopiedTtl: Scenario = {
  name: 'middlebox-injection-copied-ttl',
  summary: 'the same injection with the TTL each end sees from its real peer copied exactly',
  needs: [TOOLS.scapy],
  run: (ctx) => injectOnKeyword(ctx, { toClient: ctx.ttl.server - 1, toServer: ctx.ttl.client - 1 }),
};
