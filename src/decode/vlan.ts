/** IEEE 802.1Q tags (TPID 0x8100), 802.1ad service tags (0x88a8) and the pre-standard QinQ 0x9100. */
import type { DecodedPacket } from './packet.js';

export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_VLAN_AD = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** TCI (PCP, DEI, VID) then the inner EtherType. */
export const VLAN_TAG_LENGTH = 4;

/** Notes one tag's VLAN id: the first is the outer tag, the second the inner one. */
export function noteVlanTag(out: DecodedPacket, vid: number): void {
  if (out.vlanCount === 0) out.vlanOuter = vid;
  else if (out.vlanCount === 1) out.vlanInner = vid;
  out.vlanCount++;
}
