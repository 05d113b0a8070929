/**
 * Probes whose TCP flags make no sense for opening a connection. RFC 9293 §3.10.7.1: a closed
 * port answers anything but a RST with a RST; a Linux listener drops SYN+FIN, SYN+RST, NULL and
 * Xmas silently (tcp_rcv_state_process, LISTEN) and answers SYN+URG like a plain SYN — yet URG
 * on a SYN is still nonsense (DESIGN.md lists it under malformed_syn), so it counts here.
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../decode/packet.js';

const PROBE_FLAGS = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG;

/** Names a probe's flags when they make no sense, or null for an ordinary packet. */
export function oddProbeFlags(flags: number): string | null {
  const f = flags & PROBE_FLAGS;
  if ((f & TCP_SYN) !== 0) {
    if ((f & TCP_FIN) !== 0) return 'SYN+FIN';
    if ((f & TCP_RST) !== 0) return 'SYN+RST';
    if ((f & TCP_URG) !== 0) return 'SYN+URG';
    return null;
  }
  if (f === 0) return 'NULL (no flags)';
  if ((f & (TCP_FIN | TCP_PSH | TCP_URG)) === (TCP_FIN | TCP_PSH | TCP_URG)) return 'Xmas (FIN+PSH+URG)';
  if (f === TCP_FIN) return 'a lone FIN';
  return null;
}
