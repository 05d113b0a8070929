/**
 * Where in the connection's life a RST came (DESIGN.md "stage"), decided from the state just
 * before it: a FIN from either side makes it `teardown`; a handshake seen but not completed,
 * `handshake`; payload seen, `data`; a completed handshake without payload, `established`; a
 * connection whose start is not in the capture and which showed nothing else, `midstream`.
 */
import type { Stage } from '../report/model.js';
import type { FinishedConnection, RstRecord } from '../track/finished.js';

/** The stage of one RST. */
export function stageOf(conn: FinishedConnection, rst: RstRecord): Stage {
  const c = rst.context;
  if (c.fin.orig || c.fin.resp) return 'teardown';
  if (c.handshake === 'none' || c.handshake === 'syn' || c.handshake === 'syn_ack') {
    // "none" with packets before it means the start was missed rather than never sent.
    if (c.handshake === 'none' && c.pktsBefore.orig + c.pktsBefore.resp > 0 && conn.handshake.synTs === null) {
      return c.payload.orig || c.payload.resp ? 'data' : 'midstream';
    }
    if (c.handshake === 'none') return 'midstream';
    return 'handshake';
  }
  if (c.payload.orig || c.payload.resp) return 'data';
  if (c.handshake === 'complete') return 'established';
  return 'midstream';
}
