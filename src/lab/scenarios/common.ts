/**
 * Small builders shared by the scenarios: the lab's addresses by role and a constructor for
 * the common case of a reset sent by a host's own stack with that host's TTL.
 */
import { TCP_ACK, TCP_RST } from '../../decode/packet.js';
import type { Component, ResetExpectation, ResetTruth, Sender } from '../expect.js';
import type { ScenarioContext } from '../scenario.js';
import { ADDRESSES } from '../topology.js';

/** IPv4 addresses by role. */
export const V4 = {
  client: ADDRESSES.client4,
  server: ADDRESSES.server4,
  router: ADDRESSES.routerClientSide4,
} as const;

/** IPv6 addresses by role. */
export const V6 = {
  client: ADDRESSES.client6,
  server: ADDRESSES.server6,
  router: ADDRESSES.routerClientSide6,
} as const;

/** Fields of a reset expectation that a scenario must spell out. */
export interface ResetSpec extends ResetTruth {
  id: string;
  sentBy: Exclude<Sender, 'injector'>;
  component?: Component;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  flags: number;
  seq?: readonly number[];
  reach?: 'destination' | 'router';
  count?: readonly [number, number];
  why: string;
}

/** A reset sent by a host (kernel by default) with the host's own TTL; exactly one unless `count` says otherwise. */
export function hostReset(ctx: ScenarioContext, spec: ResetSpec): ResetExpectation {
  return { component: 'kernel_tcp', count: [1, 1], ...spec, ttl: ctx.ttl[spec.sentBy] };
}

/** What differs between the RST,ACK answers to a SYN that nobody accepts. */
export interface RefusalSpec {
  id: string;
  sentBy: Exclude<Sender, 'injector'>;
  component?: Component;
  src: string;
  dst: string;
  sport: number;
  why: string;
}

/**
 * A SYN refused by a host's own stack or its INPUT REJECT rule: RST,ACK with seq 0 (the SYN had
 * no ACK, RFC 9293 §3.10.7.1), in the handshake, a closed port on the wire, genuine, from the
 * responder. Every refusal scenario shares this truth; only who sends it and why differs.
 */
export function refusedSyn(ctx: ScenarioContext, spec: RefusalSpec): ResetExpectation {
  const { why, ...who } = spec;
  return hostReset(ctx, { ...who, flags: TCP_RST | TCP_ACK, seq: [0], stage: 'handshake', cause: 'port_closed', verdict: 'genuine', origin: 'resp', why });
}

/** The ephemeral source port a client agent reported for its connection (`C<port> CONNECTED`), or throws. */
export async function connectedPort(p: { waitForLine(re: RegExp, ms: number): Promise<string> }): Promise<number> {
  const line = await p.waitForLine(/^C\d+ (CONNECTED|ERR)/, 8000);
  const port = Number(/^C(\d+)/.exec(line)?.[1]);
  return port;
}

/** The ports of every `C<port> CONNECTED` line so far. */
export function connectedPorts(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const m = /^C(\d+) CONNECTED$/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

/**
 * One ordinary conversation (request, reply, FIN both ways, no RST) from the client to the server
 * on `port`. Real captures hold such traffic beside a reset; it gives the analysis the server's
 * own TTL to compare a forged reset with, as it would have in the field.
 */
export async function cleanExchange(ctx: ScenarioContext, family: 4 | 6, port: number): Promise<void> {
  const addr = family === 6 ? V6.server : V4.server;
  await ctx.serve('server', { family, addr, port, accepts: 1, steps: ['recv', 'send:ok', 'until-eof:3', 'close'] });
  const client = ctx.connect('client', { family, addr, port, steps: ['send:hello', 'recv', 'close'] });
  await client.waitForLine(/^FINISHED$/, 8000);
}
