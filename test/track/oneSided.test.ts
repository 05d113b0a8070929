/**
 * Issue 12, item 4: one-sided captures (only one direction visible: asymmetric routing, a span
 * port that sees one way) and connections cut at either end of a capture, from real captures
 * cut with tshark/editcap (test/fixtures/onesided/, provenance in test/fixtures/README.md).
 * Each row is what Zeek gives, derived rule by rule from (paths in zeek/zeek):
 *   - IPBasedAnalyzer::NewConn + TCPAnalyzer::WantConnection: a connection starting with a
 *     SYN-ACK or without a SYN is flipped at once when only its source port is a likely server
 *     port ('^'); 8080 is one (base/protocols/http), 8081 is not;
 *   - TCPSessionAdapter::Process: an ACK while the peer is INACTIVE only initialises the
 *     peer's sequence numbers (init_peer); the peer stays INACTIVE;
 *   - UpdateSYN_SentState: an originator in SYN_SENT stays there on ACKs and data
 *     (data_before_established), goes CLOSED on its FIN (inappropriate_FIN), RESET on its RST;
 *   - UpdateInactiveState: a SYN-ACK from the responder makes it ESTABLISHED whatever the
 *     originator's state (unsolicited_SYN_response when INACTIVE); a first packet without SYN
 *     makes its sender PARTIAL; an originator's SYN-ACK makes it SYN_ACK_SENT;
 *   - TCP_Endpoint::CheckHistory: an originator whose history starts with 'H' is flipped on
 *     its first ACK or data ('^h');
 *   - UpdateEstablishedState / UpdateClosedState: FIN → CLOSED, RST → RESET (RST after a FIN
 *     too while the peer is not CLOSED);
 *   - at the end of the capture every connection is logged with the states it has (Zeek's
 *     timers change no endpoint state), by conn/main.zeek conn_state (track/zeekState.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/run.js';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'onesided');

/** orig_p, resp_p, conn_state, history, orig_pkts, resp_pkts per connection, with the rule that gives them. */
const CASES: { file: string; why: string; rows: [number, number, string, string, number, number][] }[] = [
  {
    file: 'fast-close.orig.pcap',
    why: 'client side only. 8080: S A D A F: SYN_SENT throughout, CLOSED on the FIN, the responder INACTIVE → SH. 8081: the same and a RST after the FIN → RESET, INACTIVE responder, history not S[^HAFGIQ]*R → OTH',
    rows: [
      [58346, 8080, 'SH', 'SADF', 5, 0],
      [57564, 8081, 'OTH', 'SADFR', 6, 0],
    ],
  },
  {
    file: 'fast-close.resp.pcap',
    why: 'server side only. 8080 is a likely server port: flipped at once (^), the SYN-ACK makes the responder ESTABLISHED, its RST RESET, the originator INACTIVE → RSTRH. 8081 (not one): the SYN-ACK makes its sender an originator in SYN_ACK_SENT (H), flipped on its first ACK (^h); nothing closes → OTH',
    rows: [
      [58346, 8080, 'RSTRH', '^hadr', 0, 4],
      [57564, 8081, 'OTH', '^had', 0, 4],
    ],
  },
  {
    file: 'app-abort-linger.orig.pcap',
    why: 'client side only: 8080 ends with the client RST after data → RESET with history SADR → OTH (not RSTOS0: an A came between S and R); 8081 (the server reset it) → still SYN_SENT → S0',
    rows: [
      [59594, 8080, 'OTH', 'SADR', 5, 0],
      [51206, 8081, 'S0', 'SAD', 4, 0],
    ],
  },
  {
    file: 'app-abort-linger.resp.pcap',
    why: 'server side only: 8080 SYN-ACK, ACK, data → ESTABLISHED vs INACTIVE → OTH; 8081 (flipped on its first ACK) ends with the server RST → RSTRH',
    rows: [
      [59594, 8080, 'OTH', '^had', 0, 3],
      [51206, 8081, 'RSTRH', '^hadr', 0, 4],
    ],
  },
  {
    file: 'data-after-close.orig.pcap',
    why: 'client side only: SYN, ACKs, data (data_before_established) → SYN_SENT vs INACTIVE → S0',
    rows: [[58362, 8080, 'S0', 'SAD', 6, 0]],
  },
  {
    file: 'data-after-close.resp.pcap',
    why: 'server side only: ESTABLISHED by its SYN-ACK, CLOSED by its FIN, RESET by its RST (UpdateClosedState: the peer is not CLOSED) → RSTRH',
    rows: [[58362, 8080, 'RSTRH', '^hadfr', 0, 5]],
  },
  {
    file: 'cut-7.pcap',
    why: 'the capture ends after the first data: both sides ESTABLISHED → S1',
    rows: [[58346, 8080, 'S1', 'ShAD', 3, 1]],
  },
  {
    file: 'cut-11.pcap',
    why: "the capture ends after the client's FIN: CLOSED vs ESTABLISHED → S2",
    rows: [[58346, 8080, 'S2', 'ShADadF', 5, 3]],
  },
  {
    file: 'mid-6-12.pcap',
    why: "the capture starts after the handshake: the client's ACK makes it PARTIAL, the server's ACK makes it PARTIAL too; FIN → CLOSED, the server's RST → RESET → RSTR",
    rows: [[58346, 8080, 'RSTR', 'ADadFr', 4, 3]],
  },
];

describe('one-sided and cut captures: conn_state and history as Zeek gives them', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.why}`, async () => {
      const report = await analyze([join(DIR, c.file)]);
      assert.deepEqual(
        report.connections.map((x) => [x.orig_p, x.resp_p, x.conn_state, x.history, x.orig_pkts, x.resp_pkts]),
        c.rows,
      );
    });
  }
});
