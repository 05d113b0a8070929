/**
 * TTL arithmetic. Stacks start from a handful of initial TTLs (Linux and macOS 64, Windows 128,
 * network devices 255, some old stacks 32); each router decrements by one, so the nearest
 * common initial value at or above an observed TTL gives the hop distance to the sender.
 * The initial-TTL rule lives with the tracker's baselines (track/tracker.ts); explain reuses it.
 */
import { initialTtlOf } from '../track/tracker.js';

export { initialTtlOf };

/** Hops between the sender and the capture point implied by an observed TTL. */
export function hopsOf(ttl: number): number {
  return initialTtlOf(ttl) - ttl;
}
