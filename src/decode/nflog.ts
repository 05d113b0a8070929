/**
 * Linux NFLOG (LINKTYPE_NFLOG 239; `tcpdump -i nflog:N`, iptables' NFLOG target): a 4-byte
 * header (address family, version 0, resource id) then TLVs whose length (header included) and
 * type are in the capturing host's byte order — little-endian in practice, as libpcap writes
 * them — each padded to 4 bytes. The packet is the NFULA_PAYLOAD TLV, type 9 (libpcap's
 * pcap/nflog.h; Zeek's nflog/ analyzer; Wireshark's packet-nflog.c).
 */
import { decodeIp } from './ip.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

export const NFLOG_HEADER_LENGTH = 4;
const NFULA_PAYLOAD = 9;
const AF_INET = 2;
const AF_INET6 = 10;
/** TLVs walked per packet: NFLOG emits about ten; garbage could chain thousands. */
const MAX_TLVS = 64;

/** Decodes an NFLOG record from `offset` to `end` into `out`. */
export function decodeNflog(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < NFLOG_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  const family = view.getUint8(offset);
  if (view.getUint8(offset + 1) !== 0 || (family !== AF_INET && family !== AF_INET6)) return ISSUE_NONE;
  let at = offset + NFLOG_HEADER_LENGTH;
  for (let n = 0; n < MAX_TLVS; n++) {
    if (end - at < 4) return linkShort(out, at, cut);
    const length = view.getUint16(at, true);
    const type = view.getUint16(at + 2, true);
    if (length < 4) return linkShort(out, at, false);
    if (type === NFULA_PAYLOAD) {
      const payloadEnd = at + length;
      return decodeIp(view, at + 4, payloadEnd < end ? payloadEnd : end, cut, out);
    }
    at += (length + 3) & ~3;
  }
  return ISSUE_NONE;
}
