/**
 * IEEE 802.11 data frames (LINKTYPE_IEEE802_11 105) and the radiotap header before them
 * (LINKTYPE_IEEE802_11_RADIOTAP 127). Only unprotected data frames carrying a body are decoded:
 * management and control frames carry no IP, a protected frame's body is encrypted, and
 * "null" data subtypes have no body (IEEE 802.11-2020 §9.2.4.1, §9.3.2; Zeek's ieee802_11/
 * analyzer makes the same choices). The body is LLC/SNAP.
 */
import { ISSUE_NONE, linkShort } from './issues.js';
import { decodeLlcSnap } from './llc.js';
import type { DecodedPacket } from './packet.js';
import { LAYER_LINK } from './packet.js';

/** Frame control, duration, three addresses and sequence control. */
export const IEEE80211_HEADER_LENGTH = 24;
const TYPE_DATA = 2;
/** Subtype bits: 0x8 = QoS (two more bytes), 0x4 = no body (null, CF-ack/poll without data). */
const SUBTYPE_QOS = 0x8;
const SUBTYPE_NO_DATA = 0x4;
const FLAG_TO_DS = 0x01;
const FLAG_FROM_DS = 0x02;
const FLAG_PROTECTED = 0x40;
/** "+HTC/Order": a QoS data frame then has a 4-byte HT control field. */
const FLAG_ORDER = 0x80;
/** QoS control bit 7: the body is an A-MSDU (several subframes), not LLC. */
const QOS_AMSDU = 0x80;
export const RADIOTAP_MIN_LENGTH = 8;

/** Decodes an 802.11 frame from `offset` to `end` into `out`. */
export function decodeIeee80211(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < 2) return linkShort(out, offset, cut);
  const fc0 = view.getUint8(offset);
  const fc1 = view.getUint8(offset + 1);
  out.layer = LAYER_LINK;
  if (((fc0 >> 2) & 0x03) !== TYPE_DATA || (fc0 & 0x03) !== 0) return ISSUE_NONE;
  const subtype = fc0 >> 4;
  if ((subtype & SUBTYPE_NO_DATA) !== 0 || (fc1 & FLAG_PROTECTED) !== 0) return ISSUE_NONE;
  let length = IEEE80211_HEADER_LENGTH;
  if ((fc1 & (FLAG_TO_DS | FLAG_FROM_DS)) === (FLAG_TO_DS | FLAG_FROM_DS)) length += 6; // address 4 (WDS)
  let qosAt = -1;
  if ((subtype & SUBTYPE_QOS) !== 0) {
    qosAt = offset + length;
    length += 2;
    if ((fc1 & FLAG_ORDER) !== 0) length += 4;
  }
  if (end - offset < length) return linkShort(out, offset, cut);
  if (qosAt >= 0 && (view.getUint8(qosAt) & QOS_AMSDU) !== 0) return ISSUE_NONE;
  return decodeLlcSnap(view, offset + length, end, cut, out);
}

/** Decodes a radiotap header (version 0, its length little-endian at byte 2) and the 802.11 frame after it. */
export function decodeRadiotap(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < RADIOTAP_MIN_LENGTH) return linkShort(out, offset, cut);
  const length = view.getUint16(offset + 2, true);
  if (view.getUint8(offset) !== 0 || length < RADIOTAP_MIN_LENGTH) return linkShort(out, offset, false);
  if (end - offset < length) return linkShort(out, offset, cut);
  return decodeIeee80211(view, offset + length, end, cut, out);
}
