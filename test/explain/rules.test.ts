/**
 * One test per cause: a small conversation shaped the way the Linux stack (or a middlebox)
 * really shapes it, run through the whole pipeline (reader, decoder, tracker, explain), and the
 * reset's stage, cause, verdict and origin checked. The packet shapes cite the kernel function
 * that makes them; the lab's real-kernel captures check the same rules end to end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import type { Reset } from '../../src/model/report.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ETHERTYPE_IPV4, LINKTYPE_LINUX_SLL, SLL_HOST, SLL_OUTGOING, sll } from '../../testkit/frames.js';
import { A, Conversation, F, P, R, S } from '../helpers/conversation.js';

const dir = mkdtempSync(join(tmpdir(), 'whyreset-rules-'));
let n = 0;

async function resetsOf(...convs: Conversation[]): Promise<Reset[]> {
  const [first, ...rest] = convs;
  const path = join(dir, `c${n++}.pcap`);
  writeFileSync(path, (first as Conversation).toPcap(...rest));
  const report = await analyze([path]);
  return report.resets.sort((a, b) => a.frame - b.frame);
}

function expectOne(resets: Reset[], want: Partial<Reset>): Reset {
  const r = resets.find((x) => Object.entries(want).every(([k, v]) => k === 'cause' || x[k as keyof Reset] === v)) ?? resets[0];
  assert.ok(r, 'a reset was found');
  for (const [k, v] of Object.entries(want)) {
    assert.equal(r[k as keyof Reset], v, `${k}: ${JSON.stringify(r, null, 1)}`);
  }
  return r;
}

/** tcp_v4_send_reset for a trigger without ACK: RST|ACK, seq 0, ack = seq + len (+1 for SYN/FIN), window 0, IP ID 0. */
function refuse(c: Conversation, dt = 0.0002): Conversation {
  return c.send('s', R | A, { seq: 0, ack: c.client.seq, win: 0, id: 0, dt });
}

describe('handshake', () => {
  it('port_closed: a SYN answered by RST|ACK from the server', async () => {
    const c = new Conversation();
    refuse(c.send('c', S));
    const r = expectOne(await resetsOf(c), { stage: 'handshake', cause: 'port_closed', verdict: 'genuine', origin: 'resp', from: 'resp', signature: 'SYN→RST+ACK' });
    assert.match(r.hint ?? '', /10\.0\.1\.20:80/);
  });

  it('malformed_syn: SYN+FIN, NULL and Xmas probes refused by a closed port, and a SYN+RST probe itself', async () => {
    for (const flags of [S | F, 0, F | P | 0x20, S | 0x20]) {
      const c = new Conversation();
      refuse(c.send('c', flags));
      expectOne(await resetsOf(c), { stage: 'handshake', cause: 'malformed_syn', verdict: 'genuine', origin: 'resp' });
    }
    const c = new Conversation();
    c.send('c', S | R);
    expectOne(await resetsOf(c), { stage: 'handshake', cause: 'malformed_syn', from: 'orig' });
  });

  it('scan_probe: a raw SYN whose SYN-ACK the scanner kernel resets (bare RST, seq = the SYN-ACK ack)', async () => {
    const c = new Conversation();
    c.send('c', S, { ttl: 45, win: 1024 }).send('s', S | A, { dt: 0.002 });
    c.send('c', R, { seq: c.client.seq, win: 0, id: 0, dt: 0.0001 });
    expectOne(await resetsOf(c), { stage: 'handshake', cause: 'scan_probe', verdict: 'genuine', origin: 'orig' });
  });

  it('backscatter: a SYN-ACK nobody here asked for, reset by the kernel (bare RST, seq = its ack); with the SYN in the capture it is a probe', async () => {
    const c = new Conversation();
    c.send('s', S | A, { ack: 777777 }).send('c', R, { seq: 777777, win: 0, id: 0, dt: 0.0002 });
    const r = expectOne(await resetsOf(c), { stage: 'handshake', cause: 'backscatter', verdict: 'genuine', origin: 'orig' });
    assert.match(r.hint ?? '', /never sent/);
    const probe = new Conversation();
    probe.send('c', S, { win: 1024 }).send('s', S | A, { dt: 0.002 });
    probe.send('c', R, { seq: probe.client.seq, win: 0, id: 0, dt: 0.0001 });
    expectOne(await resetsOf(probe), { cause: 'scan_probe' });
  });

  it('ipid_copied: not when the sender numbers its own packets with that same ID (a constant ID)', async () => {
    const c = new Conversation({ client: { ipId: 1, ipIdZero: false }, server: { ipId: 1 } });
    // Every packet of both sides carries ID 1, as crafted test traffic does (Zeek's syn-then-ack-then-rst.pcap).
    c.send('c', S, { id: 1 }).send('s', S | A, { id: 1 }).send('c', A, { id: 1 }).send('c', P | A, { len: 20, id: 1 });
    c.send('s', A, { id: 1 }).send('c', P | A, { len: 20, id: 1 });
    c.send('s', R | A, { id: 1, win: 512 });
    const [r] = await resetsOf(c);
    assert.ok(r && !r.evidence.some((e) => e.code === 'ipid_copied'), JSON.stringify(r?.evidence));
  });

  it('reserved_bits: only the unassigned bits count, not NS/AE (RFC 3540, AccECN)', async () => {
    const build = (o: { reserved?: number; flags?: number }) => {
      const c = new Conversation().handshake().exchange();
      c.send('c', P | A, { len: 20 });
      return c.send('s', R | (o.flags ?? 0), { seq: c.server.seq, win: 0, id: 0, reserved: o.reserved });
    };
    const [crafted] = await resetsOf(build({ reserved: 0b010 }));
    assert.ok(crafted?.evidence.some((e) => e.code === 'reserved_bits' && /0x04/.test(e.detail)), JSON.stringify(crafted?.evidence));
    const [ns] = await resetsOf(build({ flags: 0x100 }));
    assert.ok(ns && !ns.evidence.some((e) => e.code === 'reserved_bits'), JSON.stringify(ns?.evidence));
    assert.equal(ns?.verdict, 'genuine');
  });

  it('bad_checksum: under -C a RST with a wrong TCP checksum carries it, unless the capture point sent it; without -C nothing changes', async () => {
    const build = (tcpChecksum: number) => {
      const c = new Conversation().handshake().exchange();
      c.send('c', P | A, { len: 20 });
      return c.send('s', R, { seq: c.server.seq, win: 0, id: 0, tcpChecksum });
    };
    const analysed = async (bytes: Uint8Array, ignoreChecksums: boolean): Promise<Reset[]> => {
      const path = join(dir, `c${n++}.pcap`);
      writeFileSync(path, bytes);
      return (await analyze([path], { ignoreChecksums })).resets;
    };
    const bad = (r: Reset | undefined) => r?.evidence.find((e) => e.code === 'bad_checksum');
    const [withC] = await analysed(build(0xbeef).toPcap(), true);
    assert.match(bad(withC)?.detail ?? '', /TCP checksum \(0xbeef\)/, JSON.stringify(withC?.evidence));
    // The same RST captured on the server itself (Linux cooked capture, PACKET_OUTGOING): the NIC
    // fills the checksum in after the capture point, so a wrong one there proves nothing.
    const onServer = build(0xbeef);
    const fromServer = (frame: Uint8Array) => frame[14 + 12 + 2] === 1; // IPv4 source 10.0.1.20, not 10.0.0.10
    const cooked = onServer.records.map((r) => ({
      ts: r.ts,
      data: sll({ packetType: fromServer(r.data) ? SLL_OUTGOING : SLL_HOST, protocol: ETHERTYPE_IPV4, payload: r.data.subarray(14) }),
    }));
    const [outgoing] = await analysed(writePcap(cooked, { linkType: LINKTYPE_LINUX_SLL }), true);
    assert.ok(outgoing, 'the outgoing RST is tracked under -C');
    assert.equal(bad(outgoing), undefined, JSON.stringify(outgoing?.evidence));
    // The value a sender offloading checksums leaves (0 here) on an Ethernet capture: no evidence either.
    const [offloaded] = await analysed(build(0).toPcap(), true);
    assert.ok(offloaded && bad(offloaded) === undefined, JSON.stringify(offloaded?.evidence));
    // Without -C the RST is not tracked (Zeek's bad_TCP_checksum), as before: no reset, no evidence.
    assert.deepEqual(await analysed(build(0xbeef).toPcap(), false), []);
    // A good checksum under -C: no evidence.
    const good = new Conversation().handshake().exchange();
    good.send('c', P | A, { len: 20 });
    const [fine] = await analysed(good.send('s', R, { seq: good.server.seq, win: 0, id: 0 }).toPcap(), true);
    assert.ok(fine && bad(fine) === undefined, JSON.stringify(fine?.evidence));
  });

  it('scan_probe: a connect scan that resets right after the handshake', async () => {
    const c = new Conversation();
    c.handshake().send('c', R | A, { dt: 0.0001 });
    expectOne(await resetsOf(c), { stage: 'established', cause: 'scan_probe', verdict: 'genuine', origin: 'orig' });
  });

  it('handshake_abort: the SYN-ACK comes after the client retransmitted and gave up', async () => {
    const c = new Conversation();
    c.send('c', S).send('c', S, { seq: 1000, dt: 1 }).send('c', S, { seq: 1000, dt: 2 }).send('s', S | A, { dt: 1.5 });
    c.send('c', R, { seq: c.client.seq, win: 0, id: 0, dt: 0.0001 });
    expectOne(await resetsOf(c), { stage: 'handshake', cause: 'handshake_abort', origin: 'orig' });
  });

  it('port_reuse: a SYN on a tuple in TIME_WAIT draws the old ACK, then the client resets', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('s', F | A).send('c', F | A).send('s', A);
    // tcp_timewait_state_process: a SYN below rcv_nxt gets the old connection's ACK (TCP_TW_ACK).
    const oldServerSeq = c.server.seq;
    const oldAck = c.client.seq;
    c.send('c', S, { seq: 500, dt: 1 });
    c.send('s', A, { seq: oldServerSeq, ack: oldAck, keepSeq: true });
    // tcp_rcv_synsent_state_process: an unacceptable ACK in SYN_SENT is reset with seq = its ack.
    c.send('c', R, { seq: oldAck, win: 0, id: 0, dt: 0.0001 });
    expectOne(await resetsOf(c), { stage: 'handshake', cause: 'port_reuse', origin: 'orig' });
  });

  it('accept_queue_overflow: the final ACK of the handshake is reset at once, with no socket', async () => {
    const c = new Conversation();
    c.handshake();
    // tcp_check_req → listen_overflow with tcp_abort_on_overflow=1 → tcp_v4_send_reset.
    c.send('s', R, { seq: c.server.seq, win: 0, id: 0, dt: 0.00002 });
    expectOne(await resetsOf(c), { stage: 'established', cause: 'accept_queue_overflow', verdict: 'genuine', origin: 'resp' });
  });
});

describe('firewalls', () => {
  it('firewall_reject (forged): the SYN is refused with a TTL the server never uses', async () => {
    const ok = new Conversation();
    ok.handshake().exchange().send('c', F | A).send('s', F | A).send('c', A);
    const blocked = new Conversation({ client: { port: 40001 }, server: { port: 8443 }, start: 1700000001 });
    blocked.send('c', S).send('s', R | A, { seq: 0, ack: blocked.client.seq, win: 0, id: 0, ttl: 255, dt: 0.0003 });
    const r = expectOne(await resetsOf(ok, blocked), { stage: 'handshake', cause: 'firewall_reject', verdict: 'forged', origin: 'middlebox' });
    assert.ok(r.evidence.some((e) => e.code === 'ttl_mismatch'));
  });

  it('firewall_reject (forged): a connection still open to the same server vouches for its TTL', async () => {
    const open = new Conversation();
    open.handshake();
    for (let i = 0; i < 30; i++) open.exchange().wait(2);
    const blocked = new Conversation({ client: { port: 40001 }, server: { port: 8443 }, start: 1700000003 });
    blocked.send('c', S).send('s', R | A, { seq: 0, ack: blocked.client.seq, win: 0, id: 0, ttl: 255, dt: 0.0003 });
    expectOne(await resetsOf(open, blocked), { cause: 'firewall_reject', verdict: 'forged', origin: 'middlebox' });
  });

  it('firewall_reject (host firewall): a port that accepted a connection refuses the next SYN', async () => {
    const ok = new Conversation();
    ok.handshake().exchange().send('c', F | A).send('s', F | A).send('c', A);
    const blocked = new Conversation({ client: { port: 40001 }, start: 1700000001 });
    refuse(blocked.send('c', S));
    expectOne(await resetsOf(ok, blocked), { cause: 'firewall_reject', verdict: 'genuine', origin: 'resp', sport: 80, dport: 40001 });
  });
});

describe('live connections', () => {
  const ts = [{ kind: 'timestamp' as const, tsVal: 1000, tsEcr: 2000 }];

  it('application_abort: a live socket resets (SO_LINGER 0): real window, options', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('c', R | A, { options: ts, dt: 0.01 });
    expectOne(await resetsOf(c), { stage: 'data', cause: 'application_abort', verdict: 'genuine', origin: 'orig' });
  });

  it('stale_connection: data answered by a socketless RST (no idle, no retransmissions)', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('c', P | A, { len: 50, dt: 0.5 });
    c.send('s', R, { seq: c.server.seq, win: 0, id: 0, dt: 0.002 });
    expectOne(await resetsOf(c), { stage: 'data', cause: 'stale_connection', verdict: 'genuine', origin: 'resp' });
  });

  it('retransmission_timeout: the sender retransmits the same data, then resets', async () => {
    const c = new Conversation();
    c.handshake().exchange();
    const seq = c.server.seq;
    c.send('s', P | A, { len: 500 });
    for (const dt of [0.2, 0.4, 0.8, 1.6]) c.send('s', P | A, { len: 500, seq, dt });
    c.send('s', R | A, { options: ts, dt: 1.6 });
    expectOne(await resetsOf(c), { stage: 'data', cause: 'retransmission_timeout', verdict: 'genuine', origin: 'resp' });
  });

  it('stale_connection: after retransmitting and giving up silently, the server resets the client later data', async () => {
    const c = new Conversation();
    c.handshake().exchange();
    const seq = c.server.seq;
    c.send('s', P | A, { len: 500 });
    for (const dt of [0.2, 0.4, 0.8, 1.6]) c.send('s', P | A, { len: 500, seq, dt });
    c.server.seq = seq;
    c.send('c', P | A, { len: 20, dt: 5 });
    c.send('s', R, { seq: c.server.seq, win: 0, id: 0, dt: 0.002 });
    const r = expectOne(await resetsOf(c), { cause: 'stale_connection', origin: 'resp' });
    assert.ok(r.evidence.some((e) => e.code === 'retransmissions'));
  });

  it('idle_timeout: after a long silence the server aborts the connection itself', async () => {
    const c = new Conversation();
    c.handshake().exchange().wait(30).send('s', R | A, { options: ts });
    const r = expectOne(await resetsOf(c), { stage: 'data', cause: 'idle_timeout', verdict: 'genuine', origin: 'resp' });
    assert.ok(r.evidence.some((e) => e.code === 'idle_gap'));
  });

  it('idle_timeout (middlebox): after a silence the next packet is rejected by a device that forgot the flow', async () => {
    const c = new Conversation();
    c.handshake().exchange().exchange().wait(30).send('c', P | A, { len: 10 });
    c.send('s', R, { seq: c.server.seq, win: 0, id: 0, ttl: 255, dt: 0.0002 });
    expectOne(await resetsOf(c), { cause: 'idle_timeout', verdict: 'forged', origin: 'middlebox' });
  });
});

describe('teardown', () => {
  it('data_after_close: data reaches a side that already sent its FIN', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('s', F | A).send('c', A).send('c', P | A, { len: 50, dt: 0.1 });
    c.send('s', R, { seq: c.server.seq, win: 0, id: 0, dt: 0.002 });
    expectOne(await resetsOf(c), { stage: 'teardown', cause: 'data_after_close', verdict: 'genuine', origin: 'resp' });
  });

  it('fast_close: a RST after the FIN exchange instead of waiting out the close', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('c', F | A).send('s', F | A).send('c', R, { win: 0, id: 0 });
    expectOne(await resetsOf(c), { stage: 'teardown', cause: 'fast_close', verdict: 'genuine', origin: 'orig' });
  });
});

describe('injection', () => {
  it('middlebox_injected: RSTs with the wrong TTL and jumped sequence numbers, and the real reply still arrives', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('c', P | A, { len: 60, dt: 0.05 });
    const at = c.server.seq;
    for (const [k, shift] of [0, 1460, 2920].entries()) c.send('s', R | A, { seq: at + shift, win: 0, id: 0, ttl: 250, dt: k === 0 ? 0.0001 : 0.00001 });
    c.send('s', P | A, { len: 800, seq: at, dt: 0.002 });
    const resets = await resetsOf(c);
    assert.equal(resets.length, 3);
    for (const r of resets) {
      assert.equal(r.verdict, 'forged');
      assert.equal(r.origin, 'middlebox');
      assert.equal(r.cause, 'middlebox_injected');
      assert.ok(r.evidence.some((e) => e.code === 'rst_burst'));
      assert.ok(r.evidence.some((e) => e.code === 'data_after_rst'));
    }
  });

  it('never calls the Linux kernel resets forged or suspect', async () => {
    const cases: Conversation[] = [];
    const a = new Conversation();
    refuse(a.send('c', S));
    cases.push(a);
    const b = new Conversation();
    b.handshake().exchange().send('c', R | A);
    cases.push(b);
    for (const c of cases) for (const r of await resetsOf(c)) assert.equal(r.verdict, 'genuine');
  });
});

describe('what no rule explains', () => {
  it('unexplained: an orphan RST with nothing around it', async () => {
    const c = new Conversation();
    c.send('s', R | A, { seq: 77, ack: 88, win: 0, id: 0 });
    expectOne(await resetsOf(c), { stage: 'midstream', cause: 'unexplained' });
  });

  it('reason_text: the printable text in a RST payload is kept', async () => {
    const c = new Conversation();
    c.handshake().exchange().send('s', R | A, { payload: new TextEncoder().encode('F5RST: No server selected') });
    const r = expectOne(await resetsOf(c), { reason_text: 'F5RST: No server selected' });
    assert.ok(r.evidence.some((e) => e.code === 'reason_text'));
    assert.match(r.hint ?? '', /No server selected/);
  });
});
