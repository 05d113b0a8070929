/**
 * The decoded view of one captured frame, filled in place by `decodeFrame` and reused for every
 * packet (no allocation per packet, as gopacket's DecodingLayerParser does). Nothing here owns
 * the frame bytes: `data` is the capture reader's buffer, valid only until the next record.
 * A consumer that keeps anything past the current packet copies the numbers it needs.
 * Every offset here (ipOffset, l4Offset, l4End, payloadOffset, issueOffset, wireEnd) indexes the
 * record's buffer (`CaptureRecord.data` / `.view`) directly: it already includes `record.start`.
 */

/** TCP flag bits as they sit in byte 13 of the TCP header (RFC 9293 §3.1; CWR/ECE RFC 3168). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
/** The NS / AccECN bit (RFC 3540, historic), bit 0 of byte 12, moved up to bit 8 here. */
export const TCP_NS = 0x100;

/** How far decoding got. Higher layers are valid only when `layer` reaches them. */
/** LAYER_NONE as reset() uses it (this module imports nothing, so the bundles read it as a literal: decode/wire.ts). */
const NO_LAYER = 0;
export const LAYER_NONE = NO_LAYER;
export const LAYER_LINK = 1;
export const LAYER_IP = 2;
export const LAYER_TCP = 3;

/**
 * Tunnel layers kept per packet (outermost first). Zeek's `Tunnel::max_depth` is 4
 * (scripts/base/init-bare.zeek): a packet nested deeper gets the `exceeded_tunnel_max_depth` weird.
 */
export const MAX_TUNNEL_DEPTH = 4;

/** The most SACK blocks a TCP header can hold (40 option bytes / 8 per block, minus the kind/len). */
export const MAX_SACK_BLOCKS = 4;
/** Unknown TCP option kinds kept per packet; more are counted in `unknownOptionCount` only. */
export const MAX_UNKNOWN_OPTIONS = 8;

/**
 * One decoded frame. Fields of a layer that was not reached keep stale values: check `layer`,
 * `ipVersion` and `isTcp` first. IPv4 addresses are 32-bit unsigned numbers in `src4`/`dst4`;
 * IPv6 addresses are four 32-bit words in `src6`/`dst6` (network order, word 0 first).
 */
export class DecodedPacket {
  /** Link type of the record (LINKTYPE_* numbers from tcpdump.org). */
  linkType = 0;
  /** Deepest layer decoded: LAYER_NONE .. LAYER_TCP. */
  layer = LAYER_NONE;
  /** The frame was cut by the snaplen before a layer ended (not the same as malformed). */
  truncated = false;
  /** Where the frame would end had the snaplen not cut it (start + original length). */
  wireEnd = 0;
  /** First decode problem seen in this frame, or 0 (see decode/issues.ts). */
  issue = 0;
  /** Byte offset inside the frame where `issue` was found. */
  issueOffset = 0;

  /** 802.1Q / 802.1ad tags seen (outermost first); VLAN ids of up to two tags. */
  vlanCount = 0;
  vlanOuter = -1;
  vlanInner = -1;
  /** For Linux cooked captures (SLL/SLL2): packet type (0 to us, 4 outgoing, …), -1 otherwise. */
  sllPacketType = -1;
  /** For SLL2: interface index, -1 otherwise. */
  sllIfIndex = -1;

  /**
   * Tunnels decapsulated on the way to the inner packet, outermost first (decode/tunnel.ts):
   * `tunnelType[i]` is a TUNNEL_* code, the outer addresses sit in `tunnelSrc4/Dst4` (IPv4) or
   * four words from `4 * i` in `tunnelSrc6/Dst6` (IPv6), `tunnelKey[i]` holds the GRE key or
   * GTP TEID (-1 when absent) and `tunnelVni[i]` the VXLAN/Geneve VNI (-1 when absent).
   * The IP fields below always describe the innermost packet.
   */
  tunnelCount = 0;
  readonly tunnelType = new Uint8Array(MAX_TUNNEL_DEPTH);
  readonly tunnelIpVersion = new Uint8Array(MAX_TUNNEL_DEPTH);
  readonly tunnelSrc4 = new Uint32Array(MAX_TUNNEL_DEPTH);
  readonly tunnelDst4 = new Uint32Array(MAX_TUNNEL_DEPTH);
  readonly tunnelSrc6 = new Uint32Array(4 * MAX_TUNNEL_DEPTH);
  readonly tunnelDst6 = new Uint32Array(4 * MAX_TUNNEL_DEPTH);
  readonly tunnelKey = new Float64Array(MAX_TUNNEL_DEPTH);
  readonly tunnelVni = new Int32Array(MAX_TUNNEL_DEPTH);
  /**
   * Where each layer's outer IP header starts, and for a tunnel over UDP where its UDP header
   * starts and where the datagram (as the outer IP length gives it) ends: -1 when not over UDP
   * or when not all of it was captured (Zeek validates a UDP checksum only then). For the outer
   * checksums (decode/checksum.ts verifyOuterChecksums).
   */
  readonly tunnelIpOffset = new Int32Array(MAX_TUNNEL_DEPTH);
  readonly tunnelUdpOffset = new Int32Array(MAX_TUNNEL_DEPTH);
  readonly tunnelUdpEnd = new Int32Array(MAX_TUNNEL_DEPTH);
  /** The UDP header of the tunnel being entered (decode/tunnel.ts), -1 when it is not over UDP. */
  pendingUdpOffset = -1;
  pendingUdpEnd = -1;
  /** The tunnel layer whose outer checksum was wrong (BAD_CHECKSUM_OUTER_*), -1 otherwise. */
  badChecksumLayer = -1;

  /** 4 or 6 once the IP layer was reached, else 0. */
  ipVersion = 0;
  /** Offset of the IP header inside the frame. */
  ipOffset = 0;
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  /**
   * The RFC 1071 sum of the innermost IPv4 header, folded to 16 bits (0xffff when its checksum is
   * right), set by decodeIpv4 once the whole header was captured (valid when l4Offset > ipOffset).
   */
  ipHeaderSum = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification; -1 for IPv6 (unless a fragment header gives one: then its low 16 bits are not used). */
  ipId = -1;
  /** IPv4 DF bit. */
  df = false;
  /** IPv4 TOS / IPv6 traffic class. */
  tos = 0;
  /** IP total length as stated in the header (IPv4 total length, IPv6 40 + payload length); 0 means "from the frame" (TSO). */
  ipTotalLength = 0;
  /** IPv4 header had options. */
  ipOptions = false;
  /** This is a fragment other than the first: no transport header to decode. */
  laterFragment = false;
  /** This is the first fragment of a fragmented datagram (more fragments follow). */
  firstFragment = false;
  /** Transport protocol number (after IPv6 extension headers). */
  protocol = 0;
  /** Offset and end (exclusive) of the IP payload inside the frame, trimmed to the IP total length and the captured bytes. */
  l4Offset = 0;
  l4End = 0;
  /** Bytes the IP header says the payload has (may exceed l4End - l4Offset when truncated by snaplen). */
  l4ClaimedLength = 0;

  /** The frame carries a TCP header that decoded. */
  isTcp = false;
  sport = 0;
  dport = 0;
  /** Raw 32-bit sequence and acknowledgement numbers (unsigned). */
  seq = 0;
  ack = 0;
  /** Flag bits TCP_FIN..TCP_NS. */
  flags = 0;
  /** Raw window field (not scaled). */
  win = 0;
  urgentPtr = 0;
  checksum = 0;
  /**
   * The low nibble of TCP header byte 12 (RFC 9293 §3.1 "Rsrvd", must be zero when sent): bit 0
   * is also in `flags` as TCP_NS (RFC 3540, historic; AccECN's AE), bits 1-3 are assigned to nothing.
   * Written by decodeTcp on every path that sets `flags`, so reset() leaves it.
   */
  tcpReserved = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHeaderLength = 0;
  /**
   * For a segment without payload (a bare ACK, a RST): the RFC 1071 sum (not folded, below
   * 2^21) of the first `tcpSummedLength` bytes of its TCP header, taken by decodeTcp from the
   * words it read anyway: the fixed 20 bytes, and 32 with the NOP-NOP-timestamp option. When the
   * whole segment is those bytes, decode/checksum.ts verifyChecksums needs no second read and no
   * call to the sum kernel. `tcpSummedLength` is 0 otherwise (set by decodeTcp for every packet).
   */
  tcpHeaderSum = 0;
  tcpSummedLength = 0;
  /** Payload offset and claimed payload length (from IP length); `payloadCaptured` is what the snaplen kept. */
  payloadOffset = 0;
  payloadLength = 0;
  payloadCaptured = 0;

  /** TCP options: -1 / false when absent. */
  optMss = -1;
  optWscale = -1;
  optSackPermitted = false;
  optTimestamp = false;
  optTsVal = 0;
  optTsEcr = 0;
  optSackCount = 0;
  /** SACK blocks as [left0, right0, left1, right1, …]. */
  readonly optSack = new Uint32Array(MAX_SACK_BLOCKS * 2);
  /** MPTCP option present (kind 30); subtype of the first one, -1 otherwise. */
  optMptcpSubtype = -1;
  /** MP_TCPRST (RFC 8684 §3.6) reason and flags, -1 when absent. */
  optMptcpRstReason = -1;
  optMptcpRstFlags = -1;
  /** Unknown option kinds, in order, up to MAX_UNKNOWN_OPTIONS. */
  readonly unknownOptions = new Uint8Array(MAX_UNKNOWN_OPTIONS);
  unknownOptionCount = 0;
  /** Any TCP option (besides EOL/NOP padding) present. */
  optionCount = 0;

  /**
   * The IPv4 header or TCP checksum is wrong (set by decode/checksum.ts, only when the caller
   * asks for verification): Zeek drops such a packet with a `bad_IP_checksum` / `bad_TCP_checksum` weird.
   */
  badChecksum = 0;
  /**
   * Under `-C` only a RST's checksums are verified, for its record (pipeline/checksumGate.ts
   * verifyRstChecksum): the verdict (as `badChecksum`) kept here, `badChecksum` left 0 so the
   * tracker still tracks the RST as `-C` asks.
   */
  rstBadChecksum = 0;
  /** That bad checksum is the value a sender offloading checksums to its NIC leaves (decode/checksum.ts offloadSignature). */
  rstChecksumOffloaded = false;

  /** Clears the per-packet state before a new frame is decoded. */
  reset(linkType: number): void {
    this.linkType = linkType;
    this.layer = NO_LAYER;
    this.truncated = false;
    this.issue = 0;
    this.issueOffset = 0;
    this.vlanCount = 0;
    this.vlanOuter = -1;
    this.vlanInner = -1;
    this.sllPacketType = -1;
    this.sllIfIndex = -1;
    this.tunnelCount = 0;
    this.badChecksum = 0;
    this.rstBadChecksum = 0;
    this.rstChecksumOffloaded = false;
    this.ipVersion = 0;
    this.ipId = -1;
    this.df = false;
    this.ipOptions = false;
    this.laterFragment = false;
    this.firstFragment = false;
    this.protocol = -1;
    this.l4Offset = 0;
    this.l4End = 0;
    this.isTcp = false;
    this.flags = 0;
    this.payloadLength = 0;
    this.payloadCaptured = 0;
    this.optMss = -1;
    this.optWscale = -1;
    this.optSackPermitted = false;
    this.optTimestamp = false;
    this.optSackCount = 0;
    this.optMptcpSubtype = -1;
    this.optMptcpRstReason = -1;
    this.optMptcpRstFlags = -1;
    this.unknownOptionCount = 0;
    this.optionCount = 0;
  }
}
