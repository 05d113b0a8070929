/**
 * Zeek's connection timers, driven by capture time: the TCP analyzer's AttemptTimer, ExpireTimer,
 * ResetTimer and ConnDeleteTimer (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc) and the
 * connection's InactivityTimer (src/Conn.cc), with the tcp_* constants of
 * scripts/base/init-bare.zeek. Each connection keeps its deadlines in columns; only its earliest
 * sits in the shared TimerHeap, checked against the slot's generation when it comes due.
 */
import { didClose, st } from './endpoint.js';
import { finishSlot } from './finish.js';
import { connectionReset } from './sessionAdapter.js';
import { F_ACTIVE, F_LEFT_HANDSHAKE, F_USED, type TrackState } from './state.js';
import { heapPop, heapPush } from './timerHeap.js';
import { TCP_INACTIVE, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from './zeekState.js';

/** Puts the slot's earliest deadline in the heap when it moved earlier. */
export function reschedule(s: TrackState, slot: number): void {
  if (((s.cFlags[slot] ?? 0) & F_USED) === 0) return;
  const d = nextDeadline(s, slot);
  if (d < (s.sched[slot] ?? Number.POSITIVE_INFINITY)) {
    s.sched[slot] = d;
    heapPush(s.heap, d, slot, s.cGen[slot] ?? 0);
  }
}

function inactivityDeadline(s: TrackState, slot: number): number {
  const f = s.cFlags[slot] ?? 0;
  const to = (f & F_LEFT_HANDSHAKE) !== 0 ? s.inactivityTimeout : s.handshakeTimeout;
  if (to <= 0) return Number.POSITIVE_INFINITY;
  return (s.lastTs[slot] ?? 0) + to;
}

function nextDeadline(s: TrackState, slot: number): number {
  return Math.min(
    s.expireAt[slot] ?? Number.POSITIVE_INFINITY,
    s.expire2At[slot] ?? Number.POSITIVE_INFINITY,
    s.deleteAt[slot] ?? Number.POSITIVE_INFINITY,
    s.attemptAt[slot] ?? Number.POSITIVE_INFINITY,
    s.resetAt[slot] ?? Number.POSITIVE_INFINITY,
    inactivityDeadline(s, slot),
  );
}

/** A heap entry is current while its slot still holds that connection and the connection still wants that time. */
function isCurrent(s: TrackState, slot: number, gen: number, t: number): boolean {
  return ((s.cFlags[slot] ?? 0) & F_USED) !== 0 && s.cGen[slot] === gen && s.sched[slot] === t;
}

/** Fires every timer due at network time `now` (PQ_TimerMgr::DoAdvance: time <= now). */
export function advance(s: TrackState, now: number): void {
  const h = s.heap;
  while (h.size > 0 && (h.time[0] ?? 0) <= now) {
    const t = h.time[0] ?? 0;
    const slot = h.slot[0] ?? 0;
    const gen = h.gen[0] ?? 0;
    heapPop(h);
    if (!isCurrent(s, slot, gen, t)) continue;
    s.sched[slot] = Number.POSITIVE_INFINITY;
    runTimers(s, slot, now);
    reschedule(s, slot);
  }
}

/** Runs the due timers of one connection, earliest first. */
function runTimers(s: TrackState, slot: number, now: number): void {
  for (let guard = 0; guard < 16; guard++) {
    if (((s.cFlags[slot] ?? 0) & F_USED) === 0) return;
    const ex = s.expireAt[slot] ?? Number.POSITIVE_INFINITY;
    const ex2 = s.expire2At[slot] ?? Number.POSITIVE_INFINITY;
    const del = s.deleteAt[slot] ?? Number.POSITIVE_INFINITY;
    const att = s.attemptAt[slot] ?? Number.POSITIVE_INFINITY;
    const rst = s.resetAt[slot] ?? Number.POSITIVE_INFINITY;
    const ina = inactivityDeadline(s, slot);
    const m = Math.min(ex, ex2, del, att, rst, ina);
    if (m > now) return;
    const f = s.cFlags[slot] ?? 0;
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
      if (expireTimer(s, slot, now)) return;
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
function expireTimer(s: TrackState, slot: number, now: number): boolean {
  if ((s.lastTs[slot] ?? 0) + s.linger < now) {
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

/** Finishes the connection whose timer is soonest, to stay under maxLiveConnections. */
export function evictOne(s: TrackState): void {
  const h = s.heap;
  while (h.size > 0) {
    const t = h.time[0] ?? 0;
    const slot = h.slot[0] ?? 0;
    const gen = h.gen[0] ?? 0;
    heapPop(h);
    if (!isCurrent(s, slot, gen, t)) continue;
    s.evictedCount++;
    finishSlot(s, slot, 'evicted');
    return;
  }
}
