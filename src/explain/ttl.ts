/**
 * TTL arithmetic. Stacks start from a handful of initial TTLs (Linux and macOS 64, Windows 128,
 * network devices 255, some old stacks 32); each router decrements by one, so the nearest
 * common initial value at or above an observed TTL gives the hop distance to the sender.
 */

const INITIAL_TTLS = [32, 64, 128, 255] as const;

/** The nearest common initial TTL at or above `ttl`. */
export function initialTtlOf(ttl: number): number {
  for (const initial of INITIAL_TTLS) if (ttl <= initial) return initial;
  return 255;
}

/** Hops between the sender and the capture point implied by an observed TTL. */
export function hopsOf(ttl: number): number {
  return initialTtlOf(ttl) - ttl;
}
