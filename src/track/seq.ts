/**
 * TCP sequence-number arithmetic, in one place (STYLE.md): no other file compares sequence
 * numbers with `<`. Sequence numbers are unsigned 32-bit values carried in JS numbers.
 */

/** Signed distance a - b in 32-bit sequence space (Zeek's `seq_delta`, RFC 9293 §3.4 modular compare). */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n reduced to an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Unsigned 32-bit "a < b" as C compares two uint32_t (not modular: used where Zeek does so to count wraps). */
export function u32Less(a: number, b: number): boolean {
  return a >>> 0 < b >>> 0;
}

/**
 * `a` is ahead of `b` in sequence space yet numerically below it: going forward from `b` to `a`
 * crosses 2^32, where Zeek's get_relative_seq and UpdateLastSeq/UpdateAckSeq count a wrap.
 * Arguments as int32 (`x | 0`): Smis across the call, where uint32 values >= 2^31 were boxed.
 */
export function wrapsForward(a: number, b: number): boolean {
  return ((a - b) | 0) > 0 && a >>> 0 < b >>> 0;
}

/**
 * Zeek's seq_between (used by TCPSessionAdapter::UpdateInactiveState for bad_SYN_ack): is `seq`
 * within [low, high] walking forward around the circle from `low`. Offsets from `low` modulo
 * 2^32, as Linux's `between()` (include/net/tcp.h), so a range that wraps needs no second case.
 */
export function seqBetween(seq: number, low: number, high: number): boolean {
  return (seq - low) >>> 0 <= (high - low) >>> 0;
}

/** 2^32, the size of the sequence space. */
export const SEQ_SPACE = 4294967296;
/** 2^64, used to mimic Zeek's uint64 conversion of a negative relative sequence number. */
export const U64_SPACE = 2 ** 64;
