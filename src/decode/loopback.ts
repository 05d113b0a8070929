/**
 * BSD loopback encapsulation: a 4-byte address family before the IP header, in the capturing
 * host's byte order for LINKTYPE_NULL and in network order for LINKTYPE_LOOP (OpenBSD).
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
 */
import { decodeIp } from './ip.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

export const LOOPBACK_HEADER_LENGTH = 4;

function isIpFamily(af: number): boolean {
  return af === 2 || af === 24 || af === 28 || af === 30 || af === 10;
}

/** Decodes a NULL/LOOP header; `networkOrder` is true for LINKTYPE_LOOP. */
export function decodeLoopback(view: DataView, offset: number, end: number, networkOrder: boolean, cut: boolean, out: DecodedPacket): number {
  if (end - offset < LOOPBACK_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  let af = view.getUint32(offset, !networkOrder);
  // LINKTYPE_NULL is host order of the *capturing* machine, which may not be ours: try both.
  if (!networkOrder && !isIpFamily(af)) af = view.getUint32(offset, false);
  if (!isIpFamily(af)) return ISSUE_NONE;
  return decodeIp(view, offset + LOOPBACK_HEADER_LENGTH, end, cut, out);
}
