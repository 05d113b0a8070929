/**
 * TTL arithmetic shared by track (baselines), explain (forgery) and correlate (locating the
 * capture point). Stacks start from a handful of initial TTLs (Linux and macOS 64 —
 * `sysctl_ip_default_ttl`, include/net/ip.h IPDEFTTL; Windows 128; network devices 255; some
 * old stacks 32); each router decrements by one (RFC 791 §3.2 "Time to Live"; RFC 8200 §3 Hop
 * Limit), so the nearest common initial value at or above an observed TTL gives the hop
 * distance to the sender. A leaf: imports nothing.
 */

/** Nearest usual initial TTL at or above a value (Linux/macOS 64, Windows 128, network gear 255, old stacks 32). */
export function initialTtlOf(ttl: number): number {
  if (ttl <= 32) return 32;
  if (ttl <= 64) return 64;
  if (ttl <= 128) return 128;
  return 255;
}

/** Hops between the sender and the capture point implied by an observed TTL. */
export function hopsOf(ttl: number): number {
  return initialTtlOf(ttl) - ttl;
}
