import type { Cause, Ladder, LadderPacket, Reset, Stage, Verdict } from '../../src/model/report.js';
/**
 * Findings built by hand for renderer tests: any number of connections that reset, with their
 * resets and ladders in the spools in the order runAnalysis writes them (a connection's resets,
 * then its ladder), every cause of DESIGN.md in turn, forged resets with a TTL apart.
 */
import { Findings } from '../../src/report/findings.js';

/** Every cause of DESIGN.md. */
export const ALL_CAUSES: readonly Cause[] = [
  'port_closed',
  'accept_queue_overflow',
  'port_reuse',
  'malformed_syn',
  'firewall_reject',
  'scan_probe',
  'handshake_abort',
  'retransmission_timeout',
  'idle_timeout',
  'application_abort',
  'data_after_close',
  'fast_close',
  'middlebox_injected',
  'stale_connection',
  'unexplained',
];

/** A reset with every field set; `over` replaces some. */
export function resetOf(over: Partial<Reset> = {}): Reset {
  return {
    id: 'R1',
    ts: 1700000000.123456,
    capture: 0,
    frame: 7,
    conn: 'C1',
    src: '10.0.1.20',
    sport: 80,
    dst: '10.0.0.10',
    dport: 40000,
    from: 'resp',
    flags: ['RST', 'ACK'],
    ttl: 127,
    ip_id: 9001,
    seq: 5001,
    ack: 1101,
    win: 0,
    payload_len: 0,
    stage: 'data',
    cause: 'application_abort',
    verdict: 'genuine',
    origin: 'resp',
    confidence: 0.8,
    evidence: [{ code: 'data_after_rst', detail: 'x' }],
    signature: 'SYN;ACK;PSH→RST+ACK',
    hint: 'Check the server.',
    reason_text: null,
    mptcp_reason: null,
    ...over,
  };
}

/** Options of syntheticFindings. */
export interface SyntheticOptions {
  connections: number;
  resetsPerConnection?: number;
  causes?: readonly Cause[];
  /** reason_text of every reset. */
  reasonText?: string;
  /** Path of the one input. */
  evilPath?: string;
}

/** Findings with `connections` connections that reset. */
export function syntheticFindings(o: SyntheticOptions): Findings {
  const f = new Findings();
  const causes = o.causes ?? ALL_CAUSES;
  const perConn = o.resetsPerConnection ?? 1;
  const start = 1700000000;
  let id = 0;
  let frame = 0;
  let ts = start;
  for (let i = 0; i < o.connections; i++) {
    const cause = causes[i % causes.length] as Cause;
    const verdict: Verdict = cause === 'middlebox_injected' ? 'forged' : cause === 'firewall_reject' ? 'suspect' : 'genuine';
    const stage: Stage = cause === 'port_closed' || cause === 'scan_probe' ? 'handshake' : 'data';
    const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const server = `192.0.2.${i % 200}`;
    const conn = `C${i + 1}`;
    const cport = 1024 + (i % 60000);
    const first = frame + 1;
    const packets: LadderPacket[] = [];
    const add = (dt: number, p: Omit<LadderPacket, 'frame' | 'capture' | 'ts' | 'reset' | 'verdict'>) => {
      ts += dt;
      packets.push({ frame: ++frame, capture: 0, ts, reset: null, verdict: null, ...p });
    };
    add(0.01, { from: 'orig', flags: ['SYN'], seq: 0, ack: null, len: 0, ttl: 64, win: 64240 });
    add(0.001, { from: 'resp', flags: ['SYN', 'ACK'], seq: 0, ack: 1, len: 0, ttl: 57, win: 65160 });
    add(0.001, { from: 'orig', flags: ['ACK'], seq: 1, ack: 1, len: 0, ttl: 64, win: 502 });
    add(0.001, { from: 'orig', flags: ['PSH', 'ACK'], seq: 1, ack: 1, len: 120, ttl: 64, win: 502 });
    for (let k = 0; k < perConn; k++) {
      const rid = `R${++id}`;
      const ttl = verdict === 'genuine' ? 57 : 250;
      ts += 0.002;
      const r = resetOf({
        id: rid,
        ts,
        frame: ++frame,
        conn,
        src: server,
        sport: 443,
        dst: client,
        dport: cport,
        ttl,
        stage,
        cause,
        verdict,
        origin: verdict === 'forged' ? 'middlebox' : 'resp',
        confidence: verdict === 'genuine' ? 0.8 : 0.95,
        evidence: verdict === 'genuine' ? [{ code: 'data_after_rst', detail: 'the client sent on' }] : [{ code: 'ttl_mismatch', detail: `TTL ${ttl}, but the server's other packets had TTL 57` }],
        signature: k === 0 ? 'SYN;ACK;PSH→RST+ACK' : 'SYN;ACK;PSH→RST+ACK;RST+ACK',
        hint: `Check what ${server}:443 logged when it reset the connection from ${client}.`,
        reason_text: o.reasonText ?? null,
      });
      f.resets.push(JSON.stringify(r));
      f.summary.by_stage[stage] = (f.summary.by_stage[stage] ?? 0) + 1;
      f.summary.by_cause[cause] = (f.summary.by_cause[cause] ?? 0) + 1;
      f.summary.by_verdict[verdict] = (f.summary.by_verdict[verdict] ?? 0) + 1;
      f.summary.resets++;
      packets.push({ frame: r.frame, capture: 0, ts: r.ts, from: 'resp', flags: ['RST', 'ACK'], seq: 1, ack: 121, len: 0, ttl, win: 0, reset: rid, verdict });
    }
    const ladder: Ladder = { conn, capture: 0, orig: `${client}:${cport}`, resp: `${server}:443`, isn: { orig: 1000, resp: 5000 }, packets, gap: null };
    f.ladders.push(JSON.stringify(ladder));
    f.summary.connections++;
    f.summary.packets += frame - first + 1;
    f.summary.tcp_packets += frame - first + 1;
  }
  f.inputs = [{ path: o.evilPath ?? '/captures/synthetic.pcap', format: 'pcap', linktypes: [1], packets: frame, bytes: frame * 66, first_ts: start, last_ts: ts, errors: [] }];
  return f;
}
