/**
 * Public captures from other projects' test suites (test/fixtures/public/, provenance in
 * test/fixtures/README.md) keep the verdicts an engineer reading the packets would give; and on
 * every capture in test/fixtures/, no reset in the shape of a socketless kernel reset (IP ID 0,
 * or `no_socket_reset`) carries `ipid_mismatch` (issue 17: Linux sends those with ID 0 since
 * 4.17 and hashed per-destination IDs before, so an IP-ID rule must never call them suspect).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import type { Reset } from '../../src/model/report.js';
import { REPO_ROOT } from '../helpers/run.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
const PUBLIC = join(FIXTURES, 'public');

/** What one reset (by frame) must be; `evidence` codes must all be present, `absent` codes must not. */
interface Expected {
  frame: number;
  stage: Reset['stage'];
  cause: Reset['cause'];
  verdict: Reset['verdict'];
  /** Omitted where the capture starts without a SYN and the roles are a guess (Zeek's likely-server-port rule). */
  origin?: Reset['origin'];
  /** The id of the parent (after_reset), by frame of the parent. */
  parentFrame?: number;
  evidence?: string[];
  absent?: string[];
}

/** Per capture: every reset whyreset must report, in frame order. */
const EXPECTED: Record<string, Expected[]> = {
  // An injected RST|ACK with the NS and reserved bits set ("RAE"), a copied IP ID and another
  // hop distance, racing the server's real SYN-ACK; later the real server aborts after the
  // client's data, and its kernel answers the client's next segment with no socket.
  'zeek-rst-inject-rae.pcap': [
    { frame: 2, stage: 'handshake', cause: 'middlebox_injected', verdict: 'forged', origin: 'middlebox', evidence: ['reserved_bits', 'races_synack', 'ipid_copied', 'ttl_mismatch'] },
    { frame: 7, stage: 'data', cause: 'application_abort', verdict: 'genuine', origin: 'resp' },
    { frame: 9, stage: 'data', cause: 'after_reset', verdict: 'genuine', origin: 'resp', parentFrame: 7 },
  ],
  // The client closed (FIN, retransmitted), the server's 348 bytes arrived after it: the
  // client's kernel resets (data after close), then answers the server's FIN and ACK with no socket.
  'zeek-qi_internet_SYNACK_curl_jsonip.pcap': [
    { frame: 10, stage: 'teardown', cause: 'data_after_close', verdict: 'genuine', origin: 'orig', absent: ['ipid_mismatch'] },
    { frame: 12, stage: 'teardown', cause: 'after_reset', verdict: 'genuine', origin: 'orig', parentFrame: 10 },
    { frame: 14, stage: 'teardown', cause: 'after_reset', verdict: 'genuine', origin: 'orig', parentFrame: 10 },
  ],
  // A real Linux server (IP ID 0, window 0) that had sent its FIN resets the client's FIN
  // instead of a TIME_WAIT close; every packet is in the capture twice (a mirror port).
  'zeek-ctu-64702-888.pcap': [
    { frame: 15, stage: 'teardown', cause: 'fast_close', verdict: 'genuine', evidence: ['no_socket_reset'], absent: ['ipid_mismatch'] },
    { frame: 16, stage: 'teardown', cause: 'fast_close', verdict: 'genuine', absent: ['ipid_mismatch'] },
  ],
  // Redis on loopback: a SYN to a closed IPv6 port; the server aborts after its reply, then its
  // kernel answers the client's ACK with no socket.
  'zeek-redis-almost-resp.pcap': [
    { frame: 2, stage: 'handshake', cause: 'port_closed', verdict: 'genuine', origin: 'resp' },
    { frame: 10, stage: 'data', cause: 'application_abort', verdict: 'genuine', origin: 'resp', evidence: ['socket_reset'] },
    { frame: 12, stage: 'data', cause: 'after_reset', verdict: 'genuine', origin: 'resp', parentFrame: 10 },
  ],
  // One RST alone: nothing to explain it by, and no guess.
  'zeek-single-rst.pcap': [{ frame: 1, stage: 'midstream', cause: 'unexplained', verdict: 'genuine' }],
  // A SYN, then the same client's RST: it gave up on the handshake.
  'zeek-syn-then-rst.pcap': [{ frame: 2, stage: 'handshake', cause: 'handshake_abort', verdict: 'genuine', origin: 'orig' }],
  // MPTCP subflow resets with an MP_TCPRST reason (RFC 8684 §3.6), from live sockets.
  'tcpdump-mptcp-tcprst.pcap': [
    { frame: 1, stage: 'midstream', cause: 'application_abort', verdict: 'genuine', evidence: ['mptcp_reason', 'socket_reset'] },
    { frame: 2, stage: 'midstream', cause: 'application_abort', verdict: 'genuine', evidence: ['mptcp_reason'] },
  ],
  // Suricata's Linux-evasion test: a RST|ACK in the server's name with the client's SYN's IP ID,
  // then the real SYN-ACK for the same SYN.
  'suricata-bug-3286-linux-evasion.pcap': [
    { frame: 2, stage: 'handshake', cause: 'middlebox_injected', verdict: 'forged', origin: 'middlebox', evidence: ['races_synack', 'ipid_copied'] },
    { frame: 4, stage: 'teardown', cause: 'middlebox_injected', verdict: 'forged', origin: 'middlebox' },
  ],
};

/** Every .pcap under a directory, recursively. */
function pcapsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return pcapsUnder(path);
    return /\.pcap(ng)?$/.test(e.name) ? [path] : [];
  });
}

describe('public captures from other projects keep their expected verdicts', () => {
  it('every capture in test/fixtures/public/ has expectations, and every expectation a capture', () => {
    const files = readdirSync(PUBLIC).filter((f) => f.endsWith('.pcap')).sort();
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const report = await analyze([join(PUBLIC, file)]);
      const resets = [...report.resets].sort((a, b) => a.frame - b.frame);
      assert.deepEqual(
        resets.map((r) => r.frame),
        expected.map((e) => e.frame),
        'the resets reported',
      );
      for (const want of expected) {
        const r = resets.find((x) => x.frame === want.frame) as Reset;
        const got = { stage: r.stage, cause: r.cause, verdict: r.verdict, ...(want.origin !== undefined ? { origin: r.origin } : {}) };
        const exp = { stage: want.stage, cause: want.cause, verdict: want.verdict, ...(want.origin !== undefined ? { origin: want.origin } : {}) };
        assert.deepEqual(got, exp, `frame ${want.frame}: ${JSON.stringify(r.evidence)}`);
        const codes = r.evidence.map((e) => e.code);
        for (const c of want.evidence ?? []) assert.ok(codes.includes(c), `frame ${want.frame} lacks ${c}: ${codes.join(', ')}`);
        for (const c of want.absent ?? []) assert.ok(!codes.includes(c), `frame ${want.frame} has ${c}`);
        if (want.parentFrame !== undefined) assert.equal(r.parent?.frame, want.parentFrame, `frame ${want.frame}'s parent`);
        else assert.equal(r.parent, undefined, `frame ${want.frame} has no parent`);
      }
    });
  }
});

describe('no ipid_mismatch on a socketless kernel reset, in any fixture', () => {
  it('every capture under test/fixtures/', async () => {
    const files = pcapsUnder(FIXTURES);
    assert.ok(files.length >= 30, `only ${files.length} captures found under ${FIXTURES}`);
    let socketless = 0;
    for (const file of files) {
      const report = await analyze([file]);
      for (const r of report.resets) {
        const codes = r.evidence.map((e) => e.code);
        if (r.ip_id !== 0 && !codes.includes('no_socket_reset')) continue;
        socketless++;
        assert.ok(!codes.includes('ipid_mismatch'), `${file} frame ${r.frame}: ipid_mismatch on a socketless reset`);
      }
    }
    // The fixtures hold many such resets (closed ports, after_reset, the lab's kernel resets).
    assert.ok(socketless >= 20, `only ${socketless} socketless resets checked`);
  });
});
