import { type PcapRecord, writePcap } from '../../testkit/captureWriter.js';
/**
 * A tiny script language for TCP conversations in tests: each step is one packet from the
 * client or the server, with sequence numbers tracked for you unless a step overrides them.
 * `toPcap()` writes the conversation as a classic pcap of Ethernet frames, checksums correct.
 */
import { type TcpOption, tcp4Frame, tcp6Frame } from '../../testkit/frames.js';

export const F = 0x01;
export const S = 0x02;
export const R = 0x04;
export const P = 0x08;
export const A = 0x10;
export const U = 0x20;

/** One side of the conversation. */
export interface Host {
  addr: string;
  port: number;
  /** TTL as seen at the capture point. */
  ttl: number;
  /** Next sequence number this side sends. */
  seq: number;
  /** Next IPv4 ID (incremented per packet unless `ipIdZero`). */
  ipId: number;
  ipIdZero?: boolean;
  win: number;
}

/** Overrides for one packet. */
export interface StepOptions {
  /** Seconds after the previous packet (default 0.001). */
  dt?: number;
  len?: number;
  seq?: number;
  ack?: number;
  ttl?: number;
  id?: number;
  win?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
  /** Do not advance this side's sequence number (a retransmission or a crafted packet). */
  keepSeq?: boolean;
  /** The three unassigned reserved bits of TCP header byte 12 (0-7; a crafted header). */
  reserved?: number;
  /** The TCP checksum field written as given (default: computed; a corrupted or crafted packet). */
  tcpChecksum?: number;
}

/** A scripted conversation between a client and a server. */
export class Conversation {
  readonly records: PcapRecord[] = [];
  ts: number;
  readonly client: Host;
  readonly server: Host;
  constructor(
    opts: { client?: Partial<Host>; server?: Partial<Host>; start?: number; v6?: boolean } = {},
    readonly v6 = opts.v6 ?? false,
  ) {
    this.ts = opts.start ?? 1700000000;
    this.client = { addr: v6 ? '2001:db8::10' : '10.0.0.10', port: 40000, ttl: 64, seq: 1000, ipId: 100, win: 64240, ...opts.client };
    this.server = { addr: v6 ? '2001:db8::20' : '10.0.1.20', port: 80, ttl: 127, seq: 5000, ipId: 9000, win: 65160, ...opts.server };
  }

  /** A packet from `from` ('c' client, 's' server) with `flags`. Returns this for chaining. */
  send(from: 'c' | 's', flags: number, o: StepOptions = {}): this {
    const src = from === 'c' ? this.client : this.server;
    const dst = from === 'c' ? this.server : this.client;
    this.ts += o.dt ?? 0.001;
    const payload = o.payload ?? new Uint8Array(o.len ?? 0);
    const seq = o.seq ?? src.seq;
    const ack = o.ack ?? ((flags & A) !== 0 ? dst.seq : 0);
    const id = o.id ?? (src.ipIdZero ? 0 : src.ipId++);
    const spec = {
      src: src.addr,
      dst: dst.addr,
      sport: src.port,
      dport: dst.port,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags,
      win: o.win ?? src.win,
      ttl: o.ttl ?? src.ttl,
      id,
      options: o.options,
      payload,
      reserved: o.reserved,
      tcpChecksum: o.tcpChecksum,
      padTo: 60,
    };
    const data = this.v6 ? tcp6Frame(spec) : tcp4Frame(spec);
    this.records.push({ ts: this.ts, data });
    if (!o.keepSeq && o.seq === undefined) {
      src.seq = (src.seq + payload.length + ((flags & S) !== 0 ? 1 : 0) + ((flags & F) !== 0 ? 1 : 0)) >>> 0;
    }
    return this;
  }

  /** Client SYN, server SYN-ACK, client ACK. */
  handshake(rtt = 0.002): this {
    return this.send('c', S, { options: [{ kind: 'mss', value: 1460 }] })
      .send('s', S | A, { dt: rtt / 2, options: [{ kind: 'mss', value: 1460 }] })
      .send('c', A, { dt: rtt / 2 });
  }

  /** A request from the client and a reply from the server, each acknowledged. */
  exchange(request = 100, reply = 1000, rtt = 0.002): this {
    return this.send('c', P | A, { len: request }).send('s', A, { dt: rtt / 2 }).send('s', P | A, { len: reply, dt: 0.0005 }).send('c', A, { dt: rtt / 2 });
  }

  /** Advances the clock without a packet. */
  wait(seconds: number): this {
    this.ts += seconds;
    return this;
  }

  /** The conversation as a pcap file (appended after `before`'s records when given). */
  toPcap(...more: Conversation[]): Uint8Array {
    const all = [...this.records, ...more.flatMap((c) => c.records)].sort((a, b) => a.ts - b.ts);
    return writePcap(all);
  }
}
