/**
 * Zeek's connection timers, driven by capture time: the TCP analyzer's AttemptTimer, ExpireTimer,
 * ResetTimer and ConnDeleteTimer (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc) and the
 * connection's InactivityTimer (src/Conn.cc), with the tcp_* constants of
 * scripts/base/init-bare.zeek. Each connection keeps its deadlines in columns; only its earliest
 * sits in the shared TimerHeap (one entry per connection, taken out when it finishes).
 */
import { didClose, st } from './endpoint.js';
import { finishSlot } from './finish.js';
import { heldFirst, unholdFirst } from './heldConns.js';
import { connectionReset } from './sessionAdapter.js';
import * as stateModule from './state.js';
import type { TrackState } from './state.js';
import { heapPop, heapSet } from './timerHeap.js';
import * as zeekStateModule from './zeekState.js';

// Imported constants as this module's own: TurboFan folds a module's \`const\` into the code, but
// reads an imported binding from its cell and tests it for the hole at every use (~6
// instructions each; --print-opt-code of the per-packet functions).
const { F_ACTIVE, F_LEFT_HANDSHAKE, F_USED } = stateModule;
const { TCP_INACTIVE, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT } = zeekStateModule;

/**
 * Puts the slot's earliest deadline in the heap when it moved. `sched` may stay earlier than the
 * true deadline (the fast path moves the inactivity deadline later without coming here): the
 * entry then comes due, runTimers finds nothing due, and the deadline is set again, as Zeek's
 * Connection::InactivityTimer re-arms itself at last_time + timeout when it fires early.
 */
export function reschedule(s: TrackState, slot: number): void {
  const f = s.cFlags[slot] ?? 0;
  if ((f & F_USED) === 0) return;
  // nextDeadline written out: a double returned from a call, or passed to one, is boxed (a
  // HeapNumber per packet); the heap reads the time from the sched column instead.
  const to = (f & F_LEFT_HANDSHAKE) !== 0 ? s.inactivityTimeout : s.handshakeTimeout;
  const d = Math.min(
    s.expireAt[slot] ?? Number.POSITIVE_INFINITY,
    s.expire2At[slot] ?? Number.POSITIVE_INFINITY,
    s.deleteAt[slot] ?? Number.POSITIVE_INFINITY,
    s.attemptAt[slot] ?? Number.POSITIVE_INFINITY,
    s.resetAt[slot] ?? Number.POSITIVE_INFINITY,
    to <= 0 ? Number.POSITIVE_INFINITY : (s.lastTs[slot] ?? 0) + to,
  );
  // Moved later too, where it sits: a SYN's attempt deadline that the RST/ACK replaced by the
  // later close deadline no longer comes due for nothing (a pop and a push per such connection).
  if (d !== s.sched[slot] && d < Number.POSITIVE_INFINITY) {
    s.sched[slot] = d;
    heapSet(s.heap, s.heapPos, s.sched, slot, s.cNumber[slot] ?? 0);
  }
}

/**
 * Fires every timer due at the network time (PQ_TimerMgr::DoAdvance: time <= now). The time is
 * read from `s.networkTime` here and in the timers: a double passed as an argument is boxed (a
 * HeapNumber) per call. Every entry of the heap is a live connection's (freeSlot takes its out).
 */
export function advance(s: TrackState): void {
  const h = s.heap;
  for (;;) {
    // The held connections' head (heldConns.ts) takes its turn in the heap's order: unpacked, it
    // runs its timers as a slot popped from the heap does.
    if (s.heldNext <= s.networkTime && heldFirst(s)) {
      const held = unholdFirst(s);
      s.sched[held] = Number.POSITIVE_INFINITY;
      runTimers(s, held);
      reschedule(s, held);
      continue;
    }
    if (!(h.size > 0 && (h.time[0] ?? 0) <= s.networkTime)) return;
    const slot = h.slot[0] ?? 0;
    heapPop(h, s.heapPos);
    s.sched[slot] = Number.POSITIVE_INFINITY;
    runTimers(s, slot);
    reschedule(s, slot);
  }
}

/** Runs the due timers of one connection at the network time, earliest first. */
function runTimers(s: TrackState, slot: number): void {
  const now = s.networkTime;
  for (let guard = 0; guard < 16; guard++) {
    if (((s.cFlags[slot] ?? 0) & F_USED) === 0) return;
    const ex = s.expireAt[slot] ?? Number.POSITIVE_INFINITY;
    const ex2 = s.expire2At[slot] ?? Number.POSITIVE_INFINITY;
    const del = s.deleteAt[slot] ?? Number.POSITIVE_INFINITY;
    const att = s.attemptAt[slot] ?? Number.POSITIVE_INFINITY;
    const rst = s.resetAt[slot] ?? Number.POSITIVE_INFINITY;
    // Connection::InactivityTimer's deadline (tcp_inactivity_timeout once the handshake is left).
    const f = s.cFlags[slot] ?? 0;
    const to = (f & F_LEFT_HANDSHAKE) !== 0 ? s.inactivityTimeout : s.handshakeTimeout;
    const ina = to <= 0 ? Number.POSITIVE_INFINITY : (s.lastTs[slot] ?? 0) + to;
    const m = Math.min(ex, ex2, del, att, rst, ina);
    if (m > now) return;
    const active = (f & F_ACTIVE) !== 0;
    if (m === del) {
      // ConnDeleteTimer -> Connection::DeleteTimer: remove.
      finishSlot(s, slot, 'closed');
      return;
    }
    if (m === att) {
      s.attemptAt[slot] = Number.POSITIVE_INFINITY;
      // AttemptTimer: only a SYN (or SYN-ACK) from the originator, nothing back.
      const os = st(s, slot * 2);
      if (active && (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT) && st(s, slot * 2 + 1) === TCP_INACTIVE) {
        connectionReset(s, slot);
        finishSlot(s, slot, 'attempt');
        return;
      }
      continue;
    }
    if (m === rst) {
      s.resetAt[slot] = Number.POSITIVE_INFINITY;
      // ResetTimer
      if (!active) continue;
      finishSlot(s, slot, 'reset_timer');
      return;
    }
    if (m === ex || m === ex2) {
      if (m === ex) s.expireAt[slot] = Number.POSITIVE_INFINITY;
      else s.expire2At[slot] = Number.POSITIVE_INFINITY;
      if (!active) continue; // ExpireTimer: "if ( ! is_active ) return;" (not re-armed)
      if (expireTimer(s, slot)) return;
      const next = now + s.sessionTimer;
      if (m === ex) s.expireAt[slot] = next;
      else s.expire2At[slot] = next;
      continue;
    }
    // Connection::InactivityTimer: last_time + timeout <= t.
    finishSlot(s, slot, 'inactivity');
    return;
  }
}

/** TCPSessionAdapter::ExpireTimer body; true when it removed the connection. */
function expireTimer(s: TrackState, slot: number): boolean {
  if ((s.lastTs[slot] ?? 0) + s.linger < s.networkTime) {
    const o = slot * 2;
    const r = o + 1;
    const os = st(s, o);
    const rs = st(s, r);
    if (didClose(s, o) || didClose(s, r)) {
      if (
        (didClose(s, o) && didClose(s, r)) ||
        os === TCP_RESET ||
        rs === TCP_RESET ||
        os === TCP_INACTIVE ||
        rs === TCP_INACTIVE
      ) {
        connectionReset(s, slot);
        finishSlot(s, slot, 'expire');
        return true;
      }
    }
    if (rs === TCP_INACTIVE && os === TCP_INACTIVE) {
      finishSlot(s, slot, 'expire');
      return true;
    }
  }
  return false;
}

/** Finishes the connection whose timer is soonest, to stay under maxLiveConnections; false when none is live. */
export function evictOne(s: TrackState): boolean {
  const h = s.heap;
  if (heldFirst(s)) {
    s.evictedCount++;
    finishSlot(s, unholdFirst(s), 'evicted');
    return true;
  }
  if (h.size === 0) return false;
  s.evictedCount++;
  finishSlot(s, h.slot[0] ?? 0, 'evicted');
  return true;
}
