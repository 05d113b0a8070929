/**
 * The output Connection record (DESIGN.md's Connection, with Zeek's extra conn.log fields) of a
 * finished connection. The tracker hands on what it measured; the record the report prints is
 * built here, at the stage that turns tracker output into Report entries.
 */
import type { Connection } from '../model/report.js';
import type { FinishedConnection } from '../track/finished.js';
import { roundMicros } from './resetFields.js';

/** A Connection with the conn.log fields Zeek adds (proto, missed and IP-level bytes). */
export type ConnectionRecord = Connection & {
  proto: 'tcp';
  missed_bytes: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
};

/**
 * The Connection record of `conn`, listing the ids of its explained resets, then its Cloudflare
 * Radar category (when it has one) and Community ID. Field order is the JSON output order.
 * Zeek's conn.log: duration is last_time - start_time, orig_bytes/resp_bytes are
 * `TCP_Endpoint::Size()` (sequence space), orig_ip_bytes the IP-level byte counts. One literal
 * per shape: a property added to the literal afterwards took a property store per connection.
 */
export function connectionRecordOf(conn: FinishedConnection, resetIds: string[], radarCategory: string | null = null, communityId: string | null = null): ConnectionRecord {
  const duration = roundMicros(conn.lastTs - conn.startTs);
  if (radarCategory !== null) {
    return {
      id: conn.id,
      ts: conn.startTs,
      orig_h: conn.origAddr,
      orig_p: conn.origPort,
      resp_h: conn.respAddr,
      resp_p: conn.respPort,
      duration,
      orig_bytes: conn.orig.size,
      resp_bytes: conn.resp.size,
      orig_pkts: conn.orig.pkts,
      resp_pkts: conn.resp.pkts,
      conn_state: conn.connState,
      history: conn.history,
      resets: resetIds,
      capture: conn.capture,
      proto: 'tcp',
      missed_bytes: conn.missedBytes,
      orig_ip_bytes: conn.orig.ipBytes,
      resp_ip_bytes: conn.resp.ipBytes,
      radar_category: radarCategory,
      community_id: communityId,
    };
  }
  return {
    id: conn.id,
    ts: conn.startTs,
    orig_h: conn.origAddr,
    orig_p: conn.origPort,
    resp_h: conn.respAddr,
    resp_p: conn.respPort,
    duration,
    orig_bytes: conn.orig.size,
    resp_bytes: conn.resp.size,
    orig_pkts: conn.orig.pkts,
    resp_pkts: conn.resp.pkts,
    conn_state: conn.connState,
    history: conn.history,
    resets: resetIds,
    capture: conn.capture,
    proto: 'tcp',
    missed_bytes: conn.missedBytes,
    orig_ip_bytes: conn.orig.ipBytes,
    resp_ip_bytes: conn.resp.ipBytes,
    community_id: communityId,
  };
}
