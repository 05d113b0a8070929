/**
 * The tunnels each connection's packets came through, for the Connection record's `tunnel`
 * (DESIGN.md "Extensions"). The tracker does not carry them yet: the pipeline notes the outer
 * layers of the first tunnelled packet of each 4-tuple and hands them over when the tracker
 * finishes the connection. Only tunnelled packets cost anything here (a key string each); plain
 * traffic pays one comparison.
 */
import { endpointText, formatDestination, formatIpv4, formatIpv6, formatSource } from '../decode/address.js';
import type { DecodedPacket } from '../decode/packet.js';
import { TUNNEL_NAMES } from '../decode/tunnel.js';
import type { TunnelLayer } from '../model/report.js';

/** 4-tuples remembered at once; beyond this, new tunnelled connections get no `tunnel` (counted). */
export const MAX_TUNNELLED_TUPLES = 200_000;

/** The outer layers of a decoded packet, outermost first. */
export function tunnelLayersOf(pkt: DecodedPacket): TunnelLayer[] {
  const layers: TunnelLayer[] = [];
  for (let i = 0; i < pkt.tunnelCount; i++) {
    const v4 = pkt.tunnelIpVersion[i] === 4;
    const layer: TunnelLayer = {
      type: TUNNEL_NAMES[pkt.tunnelType[i] ?? 0] ?? 'none',
      src: v4 ? formatIpv4((pkt.tunnelSrc4[i] ?? 0) >>> 0) : formatIpv6(pkt.tunnelSrc6.subarray(4 * i, 4 * i + 4)),
      dst: v4 ? formatIpv4((pkt.tunnelDst4[i] ?? 0) >>> 0) : formatIpv6(pkt.tunnelDst6.subarray(4 * i, 4 * i + 4)),
    };
    const key = pkt.tunnelKey[i] ?? -1;
    if (key >= 0) layer.key = key;
    const vni = pkt.tunnelVni[i] ?? -1;
    if (vni >= 0) layer.vni = vni;
    layers.push(layer);
  }
  return layers;
}

/** The same key for both directions of a 4-tuple given as two endpoint texts. */
function tupleKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/** The key of a tunnelled packet's 4-tuple, the same for both directions. */
export function tunnelTupleKey(pkt: DecodedPacket): string {
  return tupleKey(endpointText(formatSource(pkt), pkt.sport), endpointText(formatDestination(pkt), pkt.dport));
}

/** Tunnel layers by connection 4-tuple, from packets seen until the tracker finishes the connection. */
export class TunnelBook {
  private readonly byTuple = new Map<string, TunnelLayer[]>();
  /** Tunnelled tuples not remembered because the book was full. */
  dropped = 0;

  /** Notes a tunnelled TCP packet's outer layers under its 4-tuple (the first packet's layers stay). */
  note(pkt: DecodedPacket): void {
    if (pkt.tunnelCount === 0) return;
    this.noteLayers(tunnelTupleKey(pkt), pkt);
  }

  /** note() with the tuple's key already made and the layers as `tunnelLayersOf(pkt)` or made already (a worker thread's). */
  noteLayers(key: string, layers: DecodedPacket | TunnelLayer[]): void {
    if (this.byTuple.has(key)) return;
    if (this.byTuple.size >= MAX_TUNNELLED_TUPLES) {
      this.dropped++;
      return;
    }
    this.byTuple.set(key, Array.isArray(layers) ? layers : tunnelLayersOf(layers));
  }

  /** The layers noted for a finished connection's tuple, forgotten as they are handed out. */
  take(origAddr: string, origPort: number, respAddr: string, respPort: number): TunnelLayer[] | undefined {
    if (this.byTuple.size === 0) return undefined;
    const key = tupleKey(endpointText(origAddr, origPort), endpointText(respAddr, respPort));
    const layers = this.byTuple.get(key);
    if (layers !== undefined) this.byTuple.delete(key);
    return layers;
  }

  /** Forgets everything (the end of a stream). */
  clear(): void {
    this.byTuple.clear();
  }
}
