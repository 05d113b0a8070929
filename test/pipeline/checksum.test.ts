/**
 * Issue 12, item 3: checksums as Zeek treats them. A packet whose IPv4 header or TCP checksum is
 * wrong is not tracked (ip/IP.cc bad_IP_checksum, tcp/TCP.cc bad_TCP_checksum) unless
 * `ignoreChecksums` (`-C`); a capture taken on a host whose NIC fills checksums in shows that
 * host's packets with the pseudo-header sum in the field (Linux CHECKSUM_PARTIAL): recognised,
 * tracked, and named once in `summary.checksum_offload`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BAD_CHECKSUM_IP, BAD_CHECKSUM_TCP, CHECKSUM_OK, offloadSignature, sumBytes, verifyChecksums } from '../../src/decode/checksum.js';
import { decodeFrame } from '../../src/decode/frame.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { analyze } from '../../src/index.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, ETHERTYPE_IPV6, LINKTYPE_ETHERNET, PSH, RST, SYN, ethernet, foldChecksum, ipv6, onesSum, tcp4Frame, tcp6Frame, tcpSegment } from '../../testkit/frames.js';
import { tempDir } from '../helpers/run.js';

const CLIENT = '10.2.2.2';
const SERVER = '10.1.1.1';

/** The pseudo-header sum a Linux sender leaves for its NIC (__tcp_v4_send_check: ~tcp_v4_check(len, s, d, 0)). */
function partialChecksum(src: string, dst: string, tcpLength: number): number {
  const a = src.split('.').map(Number);
  const b = dst.split('.').map(Number);
  // foldChecksum complements; the kernel stores the folded sum itself.
  return ~foldChecksum(onesSum(Uint8Array.of(...a, ...b, 0, 6, tcpLength >> 8, tcpLength & 0xff))) & 0xffff;
}

interface Spec {
  from: 'client' | 'server';
  flags: number;
  seq: number;
  ack: number;
  payload?: Uint8Array;
  checksum?: number | 'partial';
}

/** A SYN / SYN-ACK / ACK / data / RST conversation; `checksum` overrides one packet's TCP checksum. */
function conversation(overrides: Record<number, number | 'partial'> = {}, ipChecksum: Record<number, number> = {}): Uint8Array {
  const specs: Spec[] = [
    { from: 'client', flags: SYN, seq: 1000, ack: 0 },
    { from: 'server', flags: SYN | ACK, seq: 5000, ack: 1001 },
    { from: 'client', flags: ACK, seq: 1001, ack: 5001 },
    { from: 'client', flags: PSH | ACK, seq: 1001, ack: 5001, payload: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n') },
    { from: 'server', flags: RST | ACK, seq: 5001, ack: 1019 },
  ];
  const records = specs.map((s, i) => {
    const client = s.from === 'client';
    const src = client ? CLIENT : SERVER;
    const dst = client ? SERVER : CLIENT;
    const over = overrides[i];
    const tcpLength = 20 + (s.payload?.length ?? 0);
    const checksum = over === 'partial' ? partialChecksum(src, dst, tcpLength) : over;
    let data = tcp4Frame({
      src,
      dst,
      sport: client ? 51000 : 443,
      dport: client ? 443 : 51000,
      seq: s.seq,
      ack: s.ack,
      flags: s.flags,
      win: 64240,
      payload: s.payload,
      ttl: client ? 64 : 58,
      tcpChecksum: checksum,
    });
    const ipSum = ipChecksum[i];
    if (ipSum !== undefined) {
      data = data.slice();
      data[14 + 10] = ipSum >> 8;
      data[14 + 11] = ipSum & 0xff;
    }
    return { ts: 1_700_000_000 + i * 0.01, data };
  });
  return writePcap(records, { linkType: LINKTYPE_ETHERNET });
}

function decode(frame: Uint8Array): { pkt: DecodedPacket; view: DataView } {
  const pkt = new DecodedPacket();
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  decodeFrame(view, 0, frame.length, frame.length, LINKTYPE_ETHERNET, pkt);
  return { pkt, view };
}

describe('decode/checksum.ts', () => {
  it('the word sum equals RFC 1071\'s big-endian 16-bit sum at every alignment, length and buffer offset', () => {
    /** The textbook sum: big-endian 16-bit words, the odd last byte padded with zero, end-around carry. */
    const reference = (bytes: Uint8Array, at: number, end: number): number => {
      let sum = 0;
      for (let i = at; i < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (i + 1 < end ? (bytes[i + 1] ?? 0) : 0);
      while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
      return sum;
    };
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    const backing = new ArrayBuffer(4200);
    const all = new Uint8Array(backing);
    for (let i = 0; i < all.length; i++) all[i] = random() & 0xff;
    all.fill(0xff, 3000, 3100); // long runs of ones: the carries fold more than once
    for (const viewOffset of [0, 1, 2, 3, 5]) {
      const view = new DataView(backing, viewOffset, 4100);
      const bytes = new Uint8Array(backing, viewOffset, 4100);
      for (let at = 0; at < 9; at++) {
        for (const length of [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 20, 31, 40, 1500, 4000]) {
          const expected = reference(bytes, at, at + length);
          // 0 and 0xffff are the same one's-complement value (both "zero").
          assert.equal(sumBytes(view, at, at + length) % 0xffff, expected % 0xffff, `view offset ${viewOffset}, at ${at}, length ${length}`);
        }
      }
    }
  });

  const base = { src: CLIENT, dst: SERVER, sport: 51000, dport: 443, seq: 1, ack: 2, flags: ACK | PSH, win: 100, payload: Uint8Array.of(1, 2, 3) };

  it('a correct IPv4 + TCP packet verifies (odd payload length included)', () => {
    const { pkt, view } = decode(tcp4Frame(base));
    assert.equal(verifyChecksums(view, pkt), CHECKSUM_OK);
    assert.equal(pkt.badChecksum, 0);
  });

  it('a correct IPv6 + TCP packet verifies', () => {
    const { pkt, view } = decode(tcp6Frame({ ...base, src: '2001:db8::1', dst: '2001:db8::2' }));
    assert.equal(verifyChecksums(view, pkt), CHECKSUM_OK);
  });

  it('one flipped payload bit makes the TCP checksum bad, IPv4 and IPv6', () => {
    for (const frame of [tcp4Frame(base), tcp6Frame({ ...base, src: '2001:db8::1', dst: '2001:db8::2' })]) {
      const bad = frame.slice();
      bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x01;
      const { pkt, view } = decode(bad);
      assert.equal(verifyChecksums(view, pkt), BAD_CHECKSUM_TCP);
      assert.equal(pkt.badChecksum, BAD_CHECKSUM_TCP);
      assert.equal(offloadSignature(view, pkt), false, 'corruption is not offload');
    }
  });

  it('an IPv6 routing header with segments left: the pseudo-header uses the final destination (RFC 8200 §8.1)', () => {
    const frame = tcp6Frame({ ...base, src: '2001:db8::1', dst: '2001:db8::2', extHeaders: [{ type: 'routing', routingType: 2, segmentsLeft: 1, addresses: ['2001:db8:ffff::1'] }] });
    const { pkt, view } = decode(frame);
    assert.equal(verifyChecksums(view, pkt), CHECKSUM_OK);
  });

  it('a wrong IPv4 header checksum is BAD_CHECKSUM_IP', () => {
    const bad = tcp4Frame(base).slice();
    bad[14 + 8] = 63; // TTL changed, header checksum not updated
    const { pkt, view } = decode(bad);
    assert.equal(verifyChecksums(view, pkt), BAD_CHECKSUM_IP);
  });

  it('a segment cut by the snaplen is not checked (Zeek: caplen >= len)', () => {
    const bad = tcp4Frame(base).slice();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x01;
    const pkt = new DecodedPacket();
    const view = new DataView(bad.buffer);
    decodeFrame(view, 0, bad.length - 2, bad.length, LINKTYPE_ETHERNET, pkt);
    assert.equal(verifyChecksums(view, pkt), CHECKSUM_OK);
  });

  it('a segment without payload is verified from the header sum decodeTcp took, as the kernel verifies it (random headers, right and wrong checksums)', () => {
    // One DecodedPacket for all of them, as the pipeline has: a sum left from one packet must not serve the next.
    const shared = new DecodedPacket();
    // decodeTcp sums the fixed header (and NOP-NOP-timestamps) while reading it; verifyChecksums
    // uses that sum when the segment is exactly those bytes (DecodedPacket.tcpHeaderSum).
    let seed = 99;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    let fromHeaderSum = 0;
    for (let i = 0; i < 2000; i++) {
      const v6 = (i & 1) === 1;
      const timestamps = (i & 2) === 2;
      const spec = {
        src: v6 ? '2001:db8::1' : CLIENT,
        dst: v6 ? '2001:db8::2' : SERVER,
        sport: random() >>> 16,
        dport: random() >>> 16,
        seq: random() >>> 0,
        ack: random() >>> 0,
        flags: [ACK, RST, RST | ACK, ACK | PSH][random() & 3] as number,
        win: random() >>> 16,
        urg: random() >>> 16,
        options: timestamps ? [{ kind: 'nop' as const }, { kind: 'nop' as const }, { kind: 'timestamp' as const, tsVal: random() >>> 0, tsEcr: random() >>> 0 }] : undefined,
        // A quarter with a random field value (mostly wrong), the rest computed by the builder.
        tcpChecksum: (i & 12) === 12 ? random() >>> 16 : undefined,
        // One in five carries 12 bytes of payload (as long as the timestamp option): summed by the kernel.
        payload: i % 5 === 4 ? Uint8Array.from({ length: 12 }, () => random() & 0xff) : undefined,
      };
      const frame = (v6 ? tcp6Frame(spec) : tcp4Frame(spec)).slice();
      const ipLength = v6 ? 40 : 20;
      const tcpAt = 14 + ipLength;
      // One in eight: a bit of the TCP header flipped after the checksum was written (not in the
      // data offset's byte: a wrong header length makes the packet no TCP packet to verify).
      if (i % 8 === 5) {
        let at = tcpAt + (random() % (frame.length - tcpAt));
        if (at === tcpAt + 12) at++;
        frame[at] = (frame[at] ?? 0) ^ (1 << (random() & 7));
      }
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const pkt = shared;
      decodeFrame(view, 0, frame.length, frame.length, LINKTYPE_ETHERNET, pkt);
      assert.equal(pkt.isTcp, true);
      const payload = spec.payload?.length ?? 0;
      assert.equal(pkt.payloadLength, payload);
      assert.equal(pkt.tcpSummedLength, payload === 0 ? frame.length - tcpAt : 0, 'a segment without payload was summed while decoding');
      // RFC 1071 by the book over the pseudo-header and the segment: right when it sums to 0xffff.
      const pseudo = v6
        ? Uint8Array.of(...frame.subarray(14 + 8, 14 + 40), 0, 0, 0, frame.length - tcpAt, 0, 0, 0, 6)
        : Uint8Array.of(...frame.subarray(14 + 12, 14 + 20), 0, 6, 0, frame.length - tcpAt);
      const right = foldChecksum(onesSum(frame, tcpAt, frame.length, onesSum(pseudo))) === 0;
      const verdict = verifyChecksums(view, pkt);
      assert.equal(verdict, right ? CHECKSUM_OK : BAD_CHECKSUM_TCP, `packet ${i}`);
      // The kernel's path for the same bytes gives the same verdict.
      const again = decode(frame);
      again.pkt.tcpSummedLength = 0;
      assert.equal(verifyChecksums(again.view, again.pkt), verdict, `packet ${i}, kernel path`);
      if (!right) fromHeaderSum++;
    }
    assert.ok(fromHeaderSum > 300, `bad checksums among the random packets: ${fromHeaderSum}`);
  });

  it("the pseudo-header sum a Linux sender leaves for its NIC is recognised as offload", () => {
    const { pkt, view } = decode(tcp4Frame({ ...base, tcpChecksum: partialChecksum(CLIENT, SERVER, 23) }));
    assert.equal(verifyChecksums(view, pkt), BAD_CHECKSUM_TCP);
    assert.equal(offloadSignature(view, pkt), true);
  });
});

describe('pipeline: bad and offloaded checksums', () => {
  const tmp = tempDir('whyreset-checksum-');
  after(() => tmp.remove());
  const file = (name: string, bytes: Uint8Array) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('a RST with a bad TCP checksum is not tracked but gives its side the letter c; -C tracks it', async () => {
    const path = file('bad-rst.pcap', conversation({ 4: 0x1234 }));
    const strict = await analyze([path]);
    assert.equal(strict.resets.length, 0, 'the bad RST is dropped, as Zeek drops it');
    // TCP.cc ValidateChecksum: TCP_Endpoint::ChecksumError marks the responder 'c'; the RST does not count.
    assert.deepEqual(strict.connections.map((c) => [c.conn_state, c.history, c.resp_pkts]), [['S1', 'ShADc', 1]]);
    assert.equal(strict.summary.bad_checksums, 1);
    assert.equal(strict.summary.resets, 0);
    assert.equal(strict.summary.checksum_offload, undefined);
    const lax = await analyze([path], { ignoreChecksums: true });
    assert.equal(lax.resets.length, 1);
    assert.equal(lax.summary.bad_checksums, undefined);
    assert.deepEqual(lax.connections.map((c) => c.history), ['ShADr']);
  });

  it('a packet with a bad IPv4 header checksum is not tracked and leaves no letter', async () => {
    const path = file('bad-ip.pcap', conversation({}, { 4: 0xbeef }));
    const strict = await analyze([path]);
    assert.equal(strict.resets.length, 0);
    assert.equal(strict.summary.bad_checksums, 1);
    // ip/IP.cc drops it before any connection sees it: no letter.
    assert.deepEqual(strict.connections.map((c) => c.history), ['ShAD']);
  });

  it('a capture taken on an offloading sender: its packets are tracked and the host is named once', async () => {
    const path = file('offload.pcap', conversation({ 0: 'partial', 2: 'partial', 3: 'partial' }));
    const report = await analyze([path]);
    const reference = await analyze([path], { ignoreChecksums: true });
    assert.deepEqual(report.summary.checksum_offload, [CLIENT]);
    assert.equal(report.summary.bad_checksums, undefined);
    assert.equal(report.resets.length, 1);
    assert.deepEqual(
      report.connections.map((c) => [c.conn_state, c.history]),
      reference.connections.map((c) => [c.conn_state, c.history]),
    );
  });

  it('one corrupted packet from the same host ends the offload presumption', async () => {
    const path = file('offload-then-bad.pcap', conversation({ 0: 'partial', 2: 'partial', 3: 0x4321 }));
    const report = await analyze([path]);
    assert.equal(report.summary.checksum_offload, undefined);
    assert.equal(report.summary.bad_checksums, 1);
    assert.deepEqual(report.connections.map((c) => c.history), ['ShACr'], 'the corrupted data segment is the C');
  });

  it('an IPv6 frame with a bad checksum is not tracked either', async () => {
    const seg = tcpSegment({ sport: 443, dport: 51000, seq: 1, ack: 2, flags: RST | ACK, win: 0 });
    const data = ethernet({ ethertype: ETHERTYPE_IPV6, payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 60, tcpChecksum: 0x0bad, payload: seg }) });
    const path = file('bad6.pcap', writePcap([{ ts: 1_700_000_000, data }]));
    const report = await analyze([path]);
    assert.equal(report.resets.length, 0);
    assert.equal(report.summary.bad_checksums, 1);
  });
});
