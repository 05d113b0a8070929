/**
 * Issue 12, item 1, on public captures: Zeek's tunnel traces (test/fixtures/zeek/, provenance in
 * test/fixtures/README.md) give the inner TCP connections Zeek's conn.log baselines list, with
 * Zeek's conn_state and history, and the outer layers in `tunnel`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/run.js';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'zeek');

/** Zeek's TCP rows of each baseline: orig_h, orig_p, resp_h, resp_p, conn_state, history; and the tunnel type. */
const EXPECTED: { file: string; rows: [string, number, string, number, string, string][]; tunnel: string }[] = [
  { file: 'gre-sample.pcap', rows: [['66.59.111.190', 40264, '172.28.2.3', 22, 'SF', 'ShAdDaFf']], tunnel: 'gre' },
  { file: 'gre-over-udp-4754.pcap', rows: [['172.17.0.2', 36518, '192.0.78.150', 80, 'SF', 'ShADadFf']], tunnel: 'gre' },
  { file: 'gtp6_gtp_0x32.pcap', rows: [['10.222.10.10', 44960, '173.194.69.188', 5228, 'S1', 'ShADad']], tunnel: 'gtpv1' },
  { file: 'ayiya3.pcap', rows: [['2001:4978:f:4c::2', 53382, '2001:4860:b002::68', 80, 'S1', 'ShADad']], tunnel: 'ayiya' },
  // Zeek's baselines list only history (`C`, and the weird bad_TCP_checksum); the tuple is the
  // packet's (tshark: "12345 → 80 [SYN] [TCP CHECKSUM INCORRECT]"), OTH as nothing was tracked.
  { file: 'vxlan-inner-tcp-bad-checksum.pcap', rows: [['10.0.0.1', 12345, '10.0.0.2', 80, 'OTH', 'C']], tunnel: 'vxlan' },
  { file: 'geneve-inner-tcp-bad-checksum.pcap', rows: [['10.0.0.1', 12345, '10.0.0.2', 80, 'OTH', 'C']], tunnel: 'geneve' },
];

/**
 * Zeek's TCP traces (testing/btest/Traces/tcp/) and their conn.log baselines: orig_h, orig_p,
 * resp_h, resp_p, conn_state, history, orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes.
 */
const TCP_TRACES: { file: string; baseline: string; row: [string, number, string, number, string, string, number, number, number, number] }[] = [
  // A SYN-ACK first, from a port both sides of which are likely servers (80, IRC's 6669): not
  // flipped at once (WantConnection), flipped on the first ACK (TCP_Endpoint::CheckHistory).
  { file: 'http-on-irc-port-missing-syn.pcapng', baseline: 'core.tcp.flip-without-syn', row: ['141.142.228.5', 6669, '192.150.187.43', 80, 'SF', '^hADadFf', 6, 448, 7, 5379] },
  { file: 'miss_end_data.pcap', baseline: 'core.tcp.miss-end-data', row: ['192.168.122.230', 60648, '77.238.160.184', 80, 'SF', 'ShADafgF', 5, 750, 4, 172] },
  // The SYN missing, the SYN-ACK first from port 80: flipped when the connection starts.
  { file: 'missing-syn.pcap', baseline: 'core.tcp.missing-syn', row: ['141.42.64.125', 56730, '125.190.109.199', 80, 'SF', '^hADdFaf', 11, 670, 10, 9945] },
  // A lone SYN with a bad TCP checksum: a connection with history C and nothing counted.
  { file: 'syn-bad.pcap', baseline: 'core.tcp.bad-checksum-syn', row: ['141.142.228.5', 59856, '192.150.187.43', 80, 'OTH', 'C', 0, 0, 0, 0] },
];

describe("Zeek's TCP traces: Zeek's conn.log rows", () => {
  for (const e of TCP_TRACES) {
    it(`${e.file} (${e.baseline})`, async () => {
      const report = await analyze([join(DIR, e.file)]);
      assert.deepEqual(
        report.connections.map((c) => [c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.conn_state, c.history, c.orig_pkts, c.orig_ip_bytes, c.resp_pkts, c.resp_ip_bytes]),
        [e.row],
      );
    });
  }
});

describe("Zeek's tunnel traces: the inner connections of Zeek's conn.log", () => {
  for (const e of EXPECTED) {
    it(e.file, async () => {
      const report = await analyze([join(DIR, e.file)]);
      assert.deepEqual(
        report.connections.map((c) => [c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.conn_state, c.history]),
        e.rows,
      );
      for (const c of report.connections) assert.equal(c.tunnel?.[0]?.type, e.tunnel);
    });
  }

  for (const file of ['vxlan-inner-tcp-bad-checksum.pcap', 'geneve-inner-tcp-bad-checksum.pcap']) {
    it(`${file}: the inner packet's bad TCP checksum gives history C and no packet count (-C tracks it)`, async () => {
      const path = join(DIR, file);
      const report = await analyze([path]);
      assert.equal(report.summary.bad_checksums, 1);
      assert.equal(report.connections[0]?.orig_pkts, 0);
      const lax = await analyze([path], { ignoreChecksums: true });
      assert.equal(lax.connections.length, 1);
      assert.equal(lax.connections[0]?.history, 'S');
      assert.equal(lax.connections[0]?.orig_pkts, 1);
      assert.equal(lax.connections[0]?.tunnel?.length, 1);
    });
  }
});
