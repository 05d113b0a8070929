/**
 * Zeek's checksum rule in the pipeline: a packet whose IPv4 header or TCP checksum is wrong is
 * not tracked (ip/IP.cc `bad_IP_checksum`, tcp/TCP.cc `bad_TCP_checksum`), unless `-C` /
 * `--ignore-checksums` turns verification off, as Zeek's `-C` does.
 *
 * Offload: a capture taken on a sender whose NIC computes checksums shows that host's own
 * packets with the field the stack left for the NIC (decode/checksum.ts offloadSignature).
 * Zeek has no detection and drops them (users pass -C); whyreset recognises such a host — every
 * bad checksum it sent carries the offload value — tracks its packets and names it once in
 * `summary.checksum_offload`. One bad packet without that value (real corruption) ends the
 * presumption for that host; packets already admitted stay tracked.
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import {
  BAD_CHECKSUM_OUTER_IP,
  BAD_CHECKSUM_OUTER_UDP,
  CHECKSUM_OK,
  offloadSignature,
  verifyChecksums,
  verifyOuterChecksums,
} from '../decode/checksum.js';
import type { DecodedPacket } from '../decode/packet.js';


/**
 * Under `-C` (no gate): verifies a RST's checksums for its record only (track/rstLog.ts), so
 * explain can give the `bad_checksum` evidence (explain/checksumEvidence.ts). RSTs are rare: no
 * other packet pays for it. `badChecksum` is reset to 0 so the tracker tracks the RST as `-C`
 * asks (its checksum branch would stop it); the verdict moves to `rstBadChecksum`.
 */
export function verifyRstChecksum(view: DataView, pkt: DecodedPacket): void {
  const bad = verifyChecksums(view, pkt);
  if (bad === CHECKSUM_OK) return;
  pkt.rstChecksumOffloaded = offloadSignature(view, pkt);
  pkt.rstBadChecksum = bad;
  pkt.badChecksum = 0;
}

/** Hosts remembered for the offload decision; past this, a new host's bad packets are simply bad. */
export const MAX_CHECKSUM_HOSTS = 65_536;

/** Decides, packet by packet, which TCP packets a checksum-verifying observer tracks. */
export class ChecksumGate {
  /** Per sending host: true while every bad checksum it sent had the offload value, false once one did not. */
  private readonly hosts = new Map<number | string, boolean>();
  /** Packets not tracked because of a bad checksum. */
  bad = 0;

  /**
   * Verifies `pkt`'s checksums; true when it is to be tracked (good, or offloaded by its sender).
   * A tunnelled packet's outer headers first (decode/checksum.ts verifyOuterChecksums: Zeek meets
   * them first and stops there); plain packets pay one comparison for it.
   */
  admit(view: DataView, pkt: DecodedPacket): boolean {
    if (pkt.tunnelCount !== 0 && verifyOuterChecksums(view, pkt) !== CHECKSUM_OK && !this.excused(view, pkt)) return false;
    if (verifyChecksums(view, pkt) === CHECKSUM_OK) return true;
    return this.excused(view, pkt);
  }

  /** A packet with a bad checksum: true (and the verdict cleared) when its sender is taken to offload checksums, else counted bad. */
  private excused(view: DataView, pkt: DecodedPacket): boolean {
    // Only packets with a bad checksum get here: a key (a string for IPv6) per such packet.
    const host = senderOf(pkt);
    const known = this.hosts.get(host);
    if (offloadSignature(view, pkt)) {
      if (known !== false && (known === true || this.hosts.size < MAX_CHECKSUM_HOSTS)) {
        if (known === undefined) this.hosts.set(host, true);
        pkt.badChecksum = 0;
        return true;
      }
    } else if (known !== false && (known === true || this.hosts.size < MAX_CHECKSUM_HOSTS)) {
      this.hosts.set(host, false);
    }
    this.bad++;
    return false;
  }

  /** Hosts recognised as offloading checksums, as text, in the order first seen. */
  offloadHosts(): string[] {
    const out: string[] = [];
    for (const [host, offloading] of this.hosts) {
      if (offloading) out.push(typeof host === 'number' ? formatIpv4(host) : host);
    }
    return out;
  }
}

/** The host that sent the header whose checksum is bad: a tunnel layer's outer source, or the inner packet's. */
function senderOf(pkt: DecodedPacket): number | string {
  const bad = pkt.badChecksum;
  if (bad === BAD_CHECKSUM_OUTER_IP || bad === BAD_CHECKSUM_OUTER_UDP) {
    const i = pkt.badChecksumLayer;
    return pkt.tunnelIpVersion[i] === 4 ? (pkt.tunnelSrc4[i] ?? 0) >>> 0 : formatIpv6(pkt.tunnelSrc6.subarray(4 * i, 4 * i + 4));
  }
  return pkt.ipVersion === 4 ? pkt.src4 >>> 0 : formatIpv6(pkt.src6);
}
