/**
 * IEEE 802.2 LLC with a SNAP header (RFC 1042): DSAP 0xAA, SSAP 0xAA, control 0x03 (UI), a
 * 3-byte OUI and an EtherType. How FDDI and 802.11 data frames carry IP (Zeek's llc/ and snap/
 * packet analyzers; Wireshark's packet-llc.c). Plain LLC without SNAP carries no IP we decode.
 */
import { decodeEtherType } from './ethernet.js';
import { ISSUE_NONE, linkShort } from './issues.js';
import type { DecodedPacket } from './packet.js';

export const LLC_SNAP_LENGTH = 8;
const SAP_SNAP = 0xaa;
const CONTROL_UI = 0x03;

/** Decodes an LLC/SNAP header at `offset` and what its EtherType announces. */
export function decodeLlcSnap(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < 3) return linkShort(out, offset, cut);
  if (view.getUint8(offset) !== SAP_SNAP || view.getUint8(offset + 1) !== SAP_SNAP || view.getUint8(offset + 2) !== CONTROL_UI) return ISSUE_NONE;
  if (end - offset < LLC_SNAP_LENGTH) return linkShort(out, offset, cut);
  return decodeEtherType(view, offset + LLC_SNAP_LENGTH, end, view.getUint16(offset + 6), cut, out);
}
