/** Dispatches on the IP version nibble: link layers that carry "IP" without saying which end here. */
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { ISSUE_BAD_IP_VERSION, ISSUE_IP_LENGTH_EXCEEDS_FRAME, ISSUE_TRUNCATED_IP, issue } from './issues.js';
import type { DecodedPacket } from './packet.js';

/** Decodes an IPv4 or IPv6 packet at `offset` by its version nibble. */
export function decodeIp(view: DataView, offset: number, end: number, cut: boolean, out: DecodedPacket): number {
  if (end - offset < 1) {
    if (cut) out.truncated = true;
    return issue(out, cut ? ISSUE_TRUNCATED_IP : ISSUE_IP_LENGTH_EXCEEDS_FRAME, offset);
  }
  const version = view.getUint8(offset) >> 4;
  if (version === 4) return decodeIpv4(view, offset, end, cut, out);
  if (version === 6) return decodeIpv6(view, offset, end, cut, out);
  return issue(out, ISSUE_BAD_IP_VERSION, offset);
}
