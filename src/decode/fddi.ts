/**
 * FDDI (LINKTYPE_FDDI 10): frame control, destination and source addresses (13 bytes), then
 * LLC/SNAP (Zeek's fddi/ analyzer forwards to LLC; Wireshark's packet-fddi.c). Only LLC frames
 * (frame control 0x50-0x57: asynchronous LLC) carry data.
 */
import { ISSUE_NONE, linkShort } from './issues.js';
import { decodeLlcSnap } from './llc.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

export const FDDI_HEADER_LENGTH = 13;
/** Frame control bits "CLFF ZZZZ" with FF = 01: an LLC frame (ANSI X3.139). */
const FC_LLC_MASK = 0x30;
const FC_LLC = 0x10;

/** Decodes an FDDI frame from `offset` to `end` into `out`. */
export function decodeFddi(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < FDDI_HEADER_LENGTH) return linkShort(out, offset, cut);
  out.layer = LAYER_LINK;
  if ((view.getUint8(offset) & FC_LLC_MASK) !== FC_LLC) return ISSUE_NONE;
  return decodeLlcSnap(view, offset + FDDI_HEADER_LENGTH, end, cut, out);
}
