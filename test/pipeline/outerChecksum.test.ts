/**
 * Issue 12, item 3 for tunnels: Zeek's IP analyzer runs for every IP layer (ip/IP.cc
 * AnalyzePacket: a wrong IPv4 header checksum is `bad_IP_checksum` and the packet goes no
 * further), and its UDP analyzer validates the outer UDP checksum of VXLAN, Geneve, Teredo,
 * GTP-U, AYIYA before it forwards the payload (udp/UDP.cc DeliverPacket: zero means none over
 * IPv4; over IPv6 it is required, except VXLAN on its port may send zero). A tunnelled packet
 * with a bad outer checksum is therefore not tracked; `-C` turns the check off; an outer
 * checksum left to the tunnel endpoint's NIC is recognised as offload.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BAD_CHECKSUM_OUTER_IP, BAD_CHECKSUM_OUTER_UDP, CHECKSUM_OK, verifyOuterChecksums } from '../../src/decode/checksum.js';
import { decodeFrame } from '../../src/decode/frame.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { analyze } from '../../src/index.js';
import { writePcap } from '../../testkit/captureWriter.js';
import {
  ACK,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  IPPROTO_UDP,
  LINKTYPE_ETHERNET,
  RST,
  SYN,
  ethernet,
  foldChecksum,
  ipv4,
  ipv4Bytes,
  ipv6,
  ipv6Bytes,
  onesSum,
  tcpSegment,
} from '../../testkit/frames.js';
import { tempDir } from '../helpers/run.js';
import { geneve, innerEthernet, udp, vxlan } from '../helpers/tunnelFrames.js';

const OUTER4 = ['192.0.2.1', '192.0.2.2'] as const;
const OUTER6 = ['2001:db8:ffff::1', '2001:db8:ffff::2'] as const;

/** The inner SYN, SYN-ACK and RST (IPv4, correct checksums). */
function innerPackets(): Uint8Array[] {
  const specs = [
    { src: '10.2.2.2', dst: '10.1.1.1', sport: 51000, dport: 443, seq: 1000, ack: 0, flags: SYN },
    { src: '10.1.1.1', dst: '10.2.2.2', sport: 443, dport: 51000, seq: 5000, ack: 1001, flags: SYN | ACK },
    { src: '10.2.2.2', dst: '10.1.1.1', sport: 51000, dport: 443, seq: 1001, ack: 0, flags: RST },
  ];
  return specs.map((s, i) => ipv4({ src: s.src, dst: s.dst, ttl: 64, id: i + 1, payload: tcpSegment({ ...s, win: 64240 }) }));
}

/** The one's-complement sum of a UDP pseudo-header (RFC 768; RFC 8200 §8.1), not complemented. */
function pseudoSum(src: Uint8Array, dst: Uint8Array, length: number): number {
  return onesSum(Uint8Array.of(...src, ...dst, 0, IPPROTO_UDP, length >> 8, length & 0xff));
}

type UdpChecksum = 'zero' | 'right' | 'wrong' | 'partial';

/** A UDP datagram with its checksum as asked: 0, correct, wrong, or the pseudo-header sum a sender leaves for its NIC. */
function udpWith(datagram: Uint8Array, src: Uint8Array, dst: Uint8Array, checksum: UdpChecksum): Uint8Array {
  const out = datagram.slice();
  const pseudo = pseudoSum(src, dst, out.length);
  let value = 0;
  if (checksum === 'right') value = foldChecksum(onesSum(out, 0, out.length, pseudo)) || 0xffff;
  else if (checksum === 'wrong') value = (foldChecksum(onesSum(out, 0, out.length, pseudo)) ^ 0x5a5a) || 1;
  else if (checksum === 'partial') value = ~foldChecksum(pseudo) & 0xffff;
  out[6] = value >> 8;
  out[7] = value & 0xff;
  return out;
}

interface Wrap {
  version: 4 | 6;
  tunnel: 'vxlan' | 'geneve';
  udp: UdpChecksum;
  /** Break the outer IPv4 header checksum of the last frame (the RST). */
  badOuterIpOnRst?: boolean;
  /** Apply the UDP checksum choice to the RST only (the others get correct checksums). */
  onlyRst?: boolean;
}

/** The three inner packets, each in an outer Ethernet + IP + UDP + VXLAN/Geneve frame. */
function capture(w: Wrap): Uint8Array {
  const frames = innerPackets().map((ip, i) => {
    const last = i === 2;
    const payload = w.tunnel === 'vxlan' ? vxlan(100, innerEthernet(ip)) : geneve(200, 0x0800, ip);
    const [s, d] = w.version === 4 ? OUTER4 : OUTER6;
    const src = w.version === 4 ? ipv4Bytes(s) : ipv6Bytes(s);
    const dst = w.version === 4 ? ipv4Bytes(d) : ipv6Bytes(d);
    const choice = w.onlyRst && !last ? 'right' : w.udp;
    const datagram = udpWith(udp(40000, w.tunnel === 'vxlan' ? 4789 : 6081, payload), src, dst, choice);
    if (w.version === 6) return ethernet({ ethertype: ETHERTYPE_IPV6, payload: ipv6({ src: s, dst: d, hopLimit: 60, nextHeader: IPPROTO_UDP, payload: datagram }) });
    const outer = ipv4({ src: s, dst: d, ttl: 60, id: 70 + i, protocol: IPPROTO_UDP, payload: datagram });
    if (last && w.badOuterIpOnRst) outer[10] = (outer[10] ?? 0) ^ 0x11;
    return ethernet({ ethertype: ETHERTYPE_IPV4, payload: outer });
  });
  return writePcap(
    frames.map((data, i) => ({ ts: 1_700_000_000 + i * 0.01, data })),
    { linkType: LINKTYPE_ETHERNET },
  );
}

describe('outer checksums of tunnelled packets, as Zeek treats them', () => {
  const tmp = tempDir('whyreset-outer-checksum-');
  after(() => tmp.remove());
  let n = 0;
  const file = (bytes: Uint8Array): string => {
    const path = join(tmp.dir, `outer-${++n}.pcap`);
    writeFileSync(path, bytes);
    return path;
  };
  /** resets, bad_checksums, histories and checksum_offload of a strict run, and the resets of a -C run. */
  const run = async (w: Wrap) => {
    const path = file(capture(w));
    const strict = await analyze([path]);
    const lax = await analyze([path], { ignoreChecksums: true });
    return {
      resets: strict.resets.length,
      bad: strict.summary.bad_checksums ?? 0,
      history: strict.connections.map((c) => c.history),
      offload: strict.summary.checksum_offload,
      laxResets: lax.resets.length,
      laxBad: lax.summary.bad_checksums ?? 0,
    };
  };

  it('decode: the outer IPv4 header and the outer UDP checksum are each found wrong', () => {
    const decode = (bytes: Uint8Array) => {
      // The pcap's last record: 24-byte file header, then 16-byte record headers.
      const frames: Uint8Array[] = [];
      for (let at = 24; at < bytes.length; ) {
        const caplen = (bytes[at + 8] ?? 0) | ((bytes[at + 9] ?? 0) << 8) | ((bytes[at + 10] ?? 0) << 16);
        frames.push(bytes.subarray(at + 16, at + 16 + caplen));
        at += 16 + caplen;
      }
      const frame = frames[2] as Uint8Array;
      const pkt = new DecodedPacket();
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      decodeFrame(view, 0, frame.length, frame.length, LINKTYPE_ETHERNET, pkt);
      assert.equal(pkt.isTcp, true);
      return verifyOuterChecksums(view, pkt);
    };
    assert.equal(decode(capture({ version: 4, tunnel: 'vxlan', udp: 'right' })), CHECKSUM_OK);
    assert.equal(decode(capture({ version: 4, tunnel: 'vxlan', udp: 'zero', badOuterIpOnRst: true })), BAD_CHECKSUM_OUTER_IP);
    assert.equal(decode(capture({ version: 4, tunnel: 'geneve', udp: 'wrong' })), BAD_CHECKSUM_OUTER_UDP);
    assert.equal(decode(capture({ version: 6, tunnel: 'geneve', udp: 'zero' })), BAD_CHECKSUM_OUTER_UDP);
    assert.equal(decode(capture({ version: 6, tunnel: 'vxlan', udp: 'zero' })), CHECKSUM_OK);
  });

  it('a bad outer IPv4 header checksum: the inner RST is not tracked and leaves no letter (bad_IP_checksum); -C tracks it', async () => {
    const r = await run({ version: 4, tunnel: 'vxlan', udp: 'zero', badOuterIpOnRst: true });
    assert.deepEqual(r, { resets: 0, bad: 1, history: ['Sh'], offload: undefined, laxResets: 1, laxBad: 0 });
  });

  it('a wrong outer UDP checksum over IPv4 (VXLAN and Geneve) drops the packet; zero over IPv4 means none', async () => {
    for (const tunnel of ['vxlan', 'geneve'] as const) {
      assert.deepEqual(await run({ version: 4, tunnel, udp: 'wrong', onlyRst: true }), { resets: 0, bad: 1, history: ['Sh'], offload: undefined, laxResets: 1, laxBad: 0 }, tunnel);
      assert.deepEqual(await run({ version: 4, tunnel, udp: 'zero' }), { resets: 1, bad: 0, history: ['ShR'], offload: undefined, laxResets: 1, laxBad: 0 }, tunnel);
      assert.deepEqual(await run({ version: 4, tunnel, udp: 'right' }), { resets: 1, bad: 0, history: ['ShR'], offload: undefined, laxResets: 1, laxBad: 0 }, tunnel);
    }
  });

  it('over IPv6 a zero UDP checksum is bad for Geneve but allowed for VXLAN on its port (udp/UDP.cc)', async () => {
    assert.deepEqual(await run({ version: 6, tunnel: 'geneve', udp: 'zero' }), { resets: 0, bad: 3, history: [], offload: undefined, laxResets: 1, laxBad: 0 });
    assert.deepEqual(await run({ version: 6, tunnel: 'vxlan', udp: 'zero' }), { resets: 1, bad: 0, history: ['ShR'], offload: undefined, laxResets: 1, laxBad: 0 });
    assert.deepEqual(await run({ version: 6, tunnel: 'vxlan', udp: 'wrong', onlyRst: true }), { resets: 0, bad: 1, history: ['Sh'], offload: undefined, laxResets: 1, laxBad: 0 });
  });

  it("an outer UDP checksum left to the tunnel endpoint's NIC is offload: tracked, its host named once", async () => {
    assert.deepEqual(await run({ version: 6, tunnel: 'geneve', udp: 'partial' }), {
      resets: 1,
      bad: 0,
      history: ['ShR'],
      offload: ['2001:db8:ffff::1'],
      laxResets: 1,
      laxBad: 0,
    });
  });
});
