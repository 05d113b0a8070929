/**
 * Issue 12, items 1 and 2: every tunnel and link type decoded to the inner TCP packet, checked
 * three ways per case — decodeFrame's fields (inner addresses, ports, seq/ack, TTL and the outer
 * layers), `analyze` (the reset and the Connection's `tunnel`), and tshark, which must list the
 * same RST frame with the same innermost fields:
 *   tshark -r FILE -Y tcp.flags.reset==1 -T fields -e frame.number -e frame.protocols -e ip.src …
 * (the last value of each field is the innermost header's).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatIpv4, formatIpv6 } from '../../src/decode/address.js';
import { decodeFrame } from '../../src/decode/frame.js';
import { ISSUE_NAMES, ISSUE_NONE } from '../../src/decode/issues.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { TUNNEL_NAMES } from '../../src/decode/tunnel.js';
import { analyze } from '../../src/index.js';
import { writePcap } from '../../testkit/captureWriter.js';
import { ACK, ETHERTYPE_IPV6, IPPROTO_UDP, LINKTYPE_ETHERNET, RST, SYN, ethernet, ipv4, ipv6, tcpSegment } from '../../testkit/frames.js';
import { tempDir } from '../helpers/run.js';
import { hasTshark } from '../helpers/tshark.js';
import {
  ayiya,
  erspan2,
  erspan3,
  fddi,
  geneve,
  gre,
  gtpu,
  ieee80211Data,
  innerEthernet,
  ipnet,
  llcSnap,
  nflog,
  outer4,
  outerFrame,
  pptpGre,
  radiotap,
  teredo,
  udp,
  udpFrame,
  vxlan,
} from '../helpers/tunnelFrames.js';

const CLIENT4 = '10.2.2.2';
const SERVER4 = '10.1.1.1';
const CLIENT6 = '2001:db8::2';
const SERVER6 = '2001:db8::1';

/** The inner packets: a SYN from the client and the server's RST|ACK. */
function inner(version: 4 | 6, rst: boolean): Uint8Array {
  const seg = tcpSegment(
    rst
      ? { sport: 443, dport: 51000, seq: 0, ack: 1001, flags: RST | ACK, win: 0 }
      : { sport: 51000, dport: 443, seq: 1000, ack: 0, flags: SYN, win: 64240 },
  );
  if (version === 4) return ipv4({ src: rst ? SERVER4 : CLIENT4, dst: rst ? CLIENT4 : SERVER4, ttl: rst ? 61 : 64, id: rst ? 99 : 1, payload: seg });
  return ipv6({ src: rst ? SERVER6 : CLIENT6, dst: rst ? CLIENT6 : SERVER6, hopLimit: rst ? 57 : 64, payload: seg });
}

interface Layer {
  type: string;
  src: string;
  dst: string;
  key?: number;
  vni?: number;
}

interface Case {
  name: string;
  linkType: number;
  version: 4 | 6;
  /** Wraps an inner IP packet into a frame of `linkType`. */
  wrap: (ip: Uint8Array) => Uint8Array;
  tunnel: Layer[];
  /** tshark decodes it the same way without extra options (default true). */
  tshark?: boolean;
}

const OUTER: Layer = { type: 'ip', src: '192.0.2.1', dst: '192.0.2.2' };
const layer = (type: string, extra: Partial<Layer> = {}): Layer => ({ ...OUTER, type, ...extra });

const CASES: Case[] = [
  { name: 'IP-in-IP', linkType: LINKTYPE_ETHERNET, version: 4, wrap: (ip) => outerFrame(4, ip), tunnel: [layer('ip')] },
  { name: '6in4', linkType: LINKTYPE_ETHERNET, version: 6, wrap: (ip) => outerFrame(41, ip), tunnel: [layer('ip')] },
  {
    name: '4in6',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => ethernet({ ethertype: ETHERTYPE_IPV6, payload: ipv6({ src: '2001:db8:ffff::1', dst: '2001:db8:ffff::2', hopLimit: 9, nextHeader: 4, payload: ip }) }),
    tunnel: [{ type: 'ip', src: '2001:db8:ffff::1', dst: '2001:db8:ffff::2' }],
  },
  {
    name: 'GRE with checksum, key and sequence number',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, gre(0x0800, ip, { checksum: true, key: 42, seq: 5 })),
    tunnel: [layer('gre', { key: 42 })],
  },
  { name: 'GRE IPv6', linkType: LINKTYPE_ETHERNET, version: 6, wrap: (ip) => outerFrame(47, gre(0x86dd, ip)), tunnel: [layer('gre')] },
  {
    name: 'GRE transparent Ethernet bridging',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, gre(0x6558, innerEthernet(ip), { key: 7 })),
    tunnel: [layer('gre', { key: 7 })],
  },
  {
    name: 'PPTP enhanced GRE',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, pptpGre(9, ip)),
    // The version-1 key field is the PPP payload length (high 16 bits) and the call id.
    tunnel: [layer('gre', { key: -1 })],
  },
  { name: 'ERSPAN type I', linkType: LINKTYPE_ETHERNET, version: 4, wrap: (ip) => outerFrame(47, gre(0x88be, innerEthernet(ip))), tunnel: [layer('erspan')] },
  {
    name: 'ERSPAN type II',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, gre(0x88be, erspan2(5, innerEthernet(ip)), { seq: 1 })),
    tunnel: [layer('erspan')],
  },
  {
    name: 'ERSPAN type III with the platform subheader',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, gre(0x22eb, erspan3(5, innerEthernet(ip), true), { seq: 1 })),
    tunnel: [layer('erspan')],
  },
  { name: 'VXLAN', linkType: LINKTYPE_ETHERNET, version: 4, wrap: (ip) => udpFrame(4789, vxlan(1234, innerEthernet(ip))), tunnel: [layer('vxlan', { vni: 1234 })] },
  {
    name: 'VXLAN from its port (the source port side)',
    linkType: LINKTYPE_ETHERNET,
    version: 6,
    wrap: (ip) => outerFrame(IPPROTO_UDP, udp(4789, 40000, vxlan(9, innerEthernet(ip)))),
    tunnel: [layer('vxlan', { vni: 9 })],
  },
  {
    name: 'Geneve with options, Ethernet inside',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => udpFrame(6081, geneve(77, 0x6558, innerEthernet(ip), 2)),
    tunnel: [layer('geneve', { vni: 77 })],
  },
  { name: 'Geneve, IPv4 inside', linkType: LINKTYPE_ETHERNET, version: 4, wrap: (ip) => udpFrame(6081, geneve(78, 0x0800, ip)), tunnel: [layer('geneve', { vni: 78 })] },
  { name: 'Teredo', linkType: LINKTYPE_ETHERNET, version: 6, wrap: (ip) => udpFrame(3544, teredo(ip)), tunnel: [layer('teredo')] },
  {
    name: 'Teredo on another port (detected by its payload)',
    linkType: LINKTYPE_ETHERNET,
    version: 6,
    wrap: (ip) => udpFrame(50001, teredo(ip, false), 50000),
    tunnel: [layer('teredo')],
    tshark: false,
  },
  { name: 'AYIYA', linkType: LINKTYPE_ETHERNET, version: 6, wrap: (ip) => udpFrame(5072, ayiya(41, ip)), tunnel: [layer('ayiya')] },
  { name: 'GTPv1-U', linkType: LINKTYPE_ETHERNET, version: 4, wrap: (ip) => udpFrame(2152, gtpu(0xdeadbeef, ip, 3)), tunnel: [layer('gtpv1', { key: 0xdeadbeef })] },
  {
    name: 'VXLAN inside GRE (two layers)',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => outerFrame(47, gre(0x0800, ipv4({ src: '198.51.100.1', dst: '198.51.100.2', ttl: 30, id: 3, protocol: IPPROTO_UDP, payload: udp(1, 4789, vxlan(5, innerEthernet(ip))) }))),
    tunnel: [layer('gre'), { type: 'vxlan', src: '198.51.100.1', dst: '198.51.100.2', vni: 5 }],
  },
  // What already sat between Ethernet and IP before issue 12, held to tshark too.
  {
    name: 'QinQ (802.1ad + 802.1Q)',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    wrap: (ip) => ethernet({ ethertype: 0x0800, vlans: [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 200 }], payload: ip }),
    tunnel: [],
  },
  {
    name: 'MPLS, two labels',
    linkType: LINKTYPE_ETHERNET,
    version: 4,
    // label 16 (S=0, TTL 64), label 32 (bottom of stack, TTL 64), then IPv4.
    wrap: (ip) => ethernet({ ethertype: 0x8847, payload: Uint8Array.of(0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40, ...ip) }),
    tunnel: [],
  },
  {
    name: 'PPPoE session (RFC 2516)',
    linkType: LINKTYPE_ETHERNET,
    version: 6,
    // ver/type 0x11, code 0, session 0x1234, length (PPP protocol + packet), PPP IPv6 0x0057.
    wrap: (ip) => ethernet({ ethertype: 0x8864, payload: Uint8Array.of(0x11, 0x00, 0x12, 0x34, (ip.length + 2) >> 8, (ip.length + 2) & 0xff, 0x00, 0x57, ...ip) }),
    tunnel: [],
  },
  // Link types (item 2).
  { name: 'PPP (9)', linkType: 9, version: 4, wrap: (ip) => Uint8Array.of(0xff, 0x03, 0x00, 0x21, ...ip), tunnel: [] },
  { name: 'PPP in HDLC framing (50)', linkType: 50, version: 6, wrap: (ip) => Uint8Array.of(0xff, 0x03, 0x00, 0x57, ...ip), tunnel: [] },
  { name: 'Cisco HDLC (104)', linkType: 104, version: 4, wrap: (ip) => Uint8Array.of(0x0f, 0x00, 0x08, 0x00, ...ip), tunnel: [] },
  { name: 'FDDI (10)', linkType: 10, version: 4, wrap: (ip) => fddi(llcSnap(0x0800, ip)), tunnel: [] },
  { name: 'IEEE 802.11 QoS data (105)', linkType: 105, version: 4, wrap: (ip) => ieee80211Data(llcSnap(0x0800, ip)), tunnel: [] },
  { name: 'IEEE 802.11 data, IPv6 (105)', linkType: 105, version: 6, wrap: (ip) => ieee80211Data(llcSnap(0x86dd, ip), false), tunnel: [] },
  { name: 'radiotap + 802.11 (127)', linkType: 127, version: 4, wrap: (ip) => radiotap(ieee80211Data(llcSnap(0x0800, ip))), tunnel: [] },
  { name: 'Linux NFLOG (239)', linkType: 239, version: 4, wrap: (ip) => nflog(2, ip), tunnel: [] },
  { name: 'Solaris IPNET (226)', linkType: 226, version: 4, wrap: (ip) => ipnet(2, ip), tunnel: [] },
  // Juniper (packet-juniper.c dissect_juniper_header): "MGC", flags (0x01 in, 0x02 no L2, 0x80
  // extensions), [16-bit extension length, TLVs]. tshark decodes each as Juniper + the payload:
  //   tshark -n -r FILE -T fields -e frame.protocols -e juniper.ext_total_len -e juniper.ext.ifd
  //   → juniper:eth:ethertype:ip:tcp  9  42   (the extension case)
  { name: 'Juniper Ethernet (178)', linkType: 178, version: 4, wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x01, ...innerEthernet(ip)), tunnel: [] },
  {
    name: 'Juniper Ethernet with extension TLVs (178)',
    linkType: 178,
    version: 6,
    // Extensions: IFD index (type 1, 4 bytes, little-endian) and IFL unit (type 5, 1 byte): 9 bytes.
    wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x80, 0x00, 0x09, 0x01, 0x04, 0x2a, 0, 0, 0, 0x05, 0x01, 0x00, ...innerEthernet(ip)),
    tunnel: [],
  },
  {
    name: 'Juniper without a link header, JUNOS protocol IPv4 (178)',
    linkType: 178,
    version: 4,
    wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x03, 0x02, 0, 0, 0, ...ip),
    tunnel: [],
  },
  { name: 'Juniper PPPoE (167)', linkType: 167, version: 4, wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x00, ...innerEthernet(ip)), tunnel: [] },
  { name: 'Juniper PPP (179)', linkType: 179, version: 4, wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x01, 0xff, 0x03, 0x00, 0x21, ...ip), tunnel: [] },
  { name: 'Juniper C-HDLC (181)', linkType: 181, version: 6, wrap: (ip) => Uint8Array.of(0x4d, 0x47, 0x43, 0x01, 0x0f, 0x00, 0x86, 0xdd, ...ip), tunnel: [] },
];

/** The expected tunnel layers of a case (PPTP's key is the length and call id of that very frame). */
function expectedTunnel(c: Case, frame: DecodedPacket): Layer[] {
  return c.tunnel.map((l, i) => (l.key === -1 ? { ...l, key: frame.tunnelKey[i] ?? -1 } : l));
}

function decoded(frame: Uint8Array, linkType: number): { pkt: DecodedPacket; issue: number } {
  const pkt = new DecodedPacket();
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const issue = decodeFrame(view, 0, frame.length, frame.length, linkType, pkt);
  return { pkt, issue };
}

function layersOf(pkt: DecodedPacket): Layer[] {
  const out: Layer[] = [];
  for (let i = 0; i < pkt.tunnelCount; i++) {
    const v4 = pkt.tunnelIpVersion[i] === 4;
    const l: Layer = {
      type: TUNNEL_NAMES[pkt.tunnelType[i] ?? 0] ?? '?',
      src: v4 ? formatIpv4(pkt.tunnelSrc4[i] ?? 0) : formatIpv6(pkt.tunnelSrc6.subarray(4 * i, 4 * i + 4)),
      dst: v4 ? formatIpv4(pkt.tunnelDst4[i] ?? 0) : formatIpv6(pkt.tunnelDst6.subarray(4 * i, 4 * i + 4)),
    };
    if ((pkt.tunnelKey[i] ?? -1) >= 0) l.key = pkt.tunnelKey[i];
    if ((pkt.tunnelVni[i] ?? -1) >= 0) l.vni = pkt.tunnelVni[i];
    out.push(l);
  }
  return out;
}

/** The RST row tshark prints, innermost values. */
function tsharkRst(file: string): Record<string, string> | null {
  const fields = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw'];
  const out = execFileSync('tshark', ['-n', '-r', file, '-Y', 'tcp.flags.reset==1', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').find((l) => l !== '');
  if (line === undefined) return null;
  const cols = line.split('\t');
  const last = (i: number) => (cols[i] ?? '').split(',').pop() ?? '';
  const protocols = (cols[1] ?? '').split(':').filter((p) => p === 'ip' || p === 'ipv6');
  const v6 = protocols[protocols.length - 1] === 'ipv6';
  return {
    frame: cols[0] ?? '',
    src: v6 ? last(4) : last(2),
    dst: v6 ? last(5) : last(3),
    ttl: v6 ? last(7) : last(6),
    sport: last(8),
    dport: last(9),
    seq: last(10),
    ack: last(11),
  };
}

describe('tunnels and link types: the inner TCP packet, as Zeek and tshark see it', () => {
  const tmp = tempDir('whyreset-tunnel-');
  after(() => tmp.remove());

  for (const c of CASES) {
    it(c.name, async () => {
      const syn = c.wrap(inner(c.version, false));
      const rst = c.wrap(inner(c.version, true));
      const { pkt, issue } = decoded(rst, c.linkType);
      assert.equal(ISSUE_NAMES[issue], ISSUE_NAMES[ISSUE_NONE], 'decodes cleanly');
      assert.equal(pkt.isTcp, true);
      assert.equal(pkt.ipVersion, c.version);
      const server = c.version === 4 ? SERVER4 : SERVER6;
      const client = c.version === 4 ? CLIENT4 : CLIENT6;
      assert.equal(c.version === 4 ? formatIpv4(pkt.src4) : formatIpv6(pkt.src6), server);
      assert.equal(c.version === 4 ? formatIpv4(pkt.dst4) : formatIpv6(pkt.dst6), client);
      assert.deepEqual([pkt.sport, pkt.dport, pkt.seq, pkt.ack, pkt.ttl], [443, 51000, 0, 1001, c.version === 4 ? 61 : 57]);
      const tunnel = expectedTunnel(c, pkt);
      assert.deepEqual(layersOf(pkt), tunnel);

      // The pipeline: one connection, its reset, and the outer layers on the Connection.
      const file = join(tmp.dir, `${c.name.replace(/[^a-z0-9]+/gi, '_')}.pcap`);
      writeFileSync(file, writePcap([{ ts: 1_700_000_000, data: syn }, { ts: 1_700_000_000.001, data: rst }], { linkType: c.linkType }));
      const report = await analyze([file]);
      assert.equal(report.resets.length, 1);
      const r = report.resets[0];
      assert.ok(r);
      assert.deepEqual([r.frame, r.src, r.sport, r.dst, r.dport, r.seq, r.ack, r.ttl], [2, server, 443, client, 51000, 0, 1001, c.version === 4 ? 61 : 57]);
      assert.equal(report.connections.length, 1);
      assert.deepEqual(report.connections[0]?.tunnel, tunnel.length > 0 ? tunnel : undefined);
      assert.equal(report.summary.undecoded, undefined);

      if (!hasTshark || c.tshark === false) return;
      assert.deepEqual(tsharkRst(file), {
        frame: '2',
        src: server,
        dst: client,
        ttl: String(c.version === 4 ? 61 : 57),
        sport: '443',
        dport: '51000',
        seq: '0',
        ack: '1001',
      });
    });
  }

  it('every truncated prefix of every case returns an issue or a shorter decode, never throws', () => {
    for (const c of CASES) {
      const frame = c.wrap(inner(c.version, true));
      for (let cut = 0; cut < frame.length; cut++) {
        const pkt = new DecodedPacket();
        const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        assert.doesNotThrow(() => decodeFrame(view, 0, cut, frame.length, c.linkType, pkt), `${c.name} cut at ${cut}`);
        assert.equal(pkt.isTcp && cut < frame.length - 20, false, `${c.name} cut at ${cut} still claims a whole TCP header`);
      }
    }
  });
});

describe("tunnels: Zeek's checks that the payload really is a tunnel", () => {
  it('UDP to 4789 without the VXLAN I flag is plain UDP', () => {
    const frame = udpFrame(4789, Uint8Array.of(0, 0, 0, 0, ...vxlan(1, innerEthernet(inner(4, true))).subarray(4)));
    const { pkt } = decoded(frame, LINKTYPE_ETHERNET);
    assert.equal(pkt.isTcp, false);
    assert.equal(pkt.tunnelCount, 0);
  });

  it('GTP-U whose inner IP length is not what the tunnel carries is not decapsulated (IP::ParsePacket)', () => {
    const ip = inner(4, true);
    const frame = udpFrame(2152, gtpu(1, Uint8Array.of(...ip, 0, 0, 0, 0)));
    const { pkt } = decoded(frame, LINKTYPE_ETHERNET);
    assert.equal(pkt.isTcp, false);
    assert.equal(pkt.tunnelCount, 0);
  });

  it('GRE with the routing bit set is refused (gre_routing)', () => {
    const g = gre(0x0800, inner(4, true));
    g[0] = (g[0] ?? 0) | 0x40;
    const { pkt, issue } = decoded(outerFrame(47, g), LINKTYPE_ETHERNET);
    assert.equal(pkt.isTcp, false);
    assert.equal(ISSUE_NAMES[issue], 'bad_tunnel_header');
  });

  it('nesting deeper than Tunnel::max_depth (4) is an issue and the inner packet is not decoded', () => {
    let ip = inner(4, true);
    for (let i = 0; i < 4; i++) ip = outer4(4, ip, 100 + i);
    const { pkt: four } = decoded(ethernet({ ethertype: 0x0800, payload: ip }), LINKTYPE_ETHERNET);
    assert.equal(four.isTcp, true, 'four layers are decoded');
    assert.equal(four.tunnelCount, 4);
    const { pkt, issue } = decoded(outerFrame(4, ip), LINKTYPE_ETHERNET);
    assert.equal(pkt.isTcp, false);
    assert.equal(ISSUE_NAMES[issue], 'exceeded_tunnel_max_depth');
  });
});
