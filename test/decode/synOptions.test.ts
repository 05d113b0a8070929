/**
 * decode/tcp.ts reads a SYN's options in the layouts stacks send (MSS first, then SACK-permitted,
 * timestamps and window scale padded with NOPs to 32-bit words) without the byte-by-byte option
 * walk. The contract: for any options at all, decodeTcp finds exactly what the walk
 * (decodeTcpOptions) finds: the same options, values, count, unknown kinds and issue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from '../../src/decode/frame.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { decodeTcpOptions } from '../../src/decode/tcp.js';
import { LINKTYPE_ETHERNET, SYN, type TcpOption, tcp4Frame, tcpOptionBytes } from '../../testkit/frames.js';
import { xorshift32 } from '../helpers/random.js';

/** Ethernet + IPv4 header bytes before the TCP header in tcp4Frame's frames. */
const TCP_AT = 14 + 20;

/** The option fields of a decoded packet, for comparison. */
function optionsOf(p: DecodedPacket, issue: number): object {
  return {
    issue,
    count: p.optionCount,
    mss: p.optMss,
    wscale: p.optWscale,
    sackPermitted: p.optSackPermitted,
    timestamp: p.optTimestamp,
    tsVal: p.optTsVal,
    tsEcr: p.optTsEcr,
    unknown: p.unknownOptionCount,
    mptcp: p.optMptcpSubtype,
  };
}

/** What decodeFrame finds in a SYN with `options`, and what the option walk alone finds in the same bytes. */
function bothWays(options: readonly TcpOption[]): { decoded: object; walked: object } {
  const frame = tcp4Frame({ src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 443, seq: 1, ack: 0, flags: SYN, win: 64240, options });
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const pkt = new DecodedPacket();
  const issue = decodeFrame(view, 0, frame.length, frame.length, LINKTYPE_ETHERNET, pkt);
  const headerLength = (frame[TCP_AT + 12] as number) >> 4 << 2;
  const ref = new DecodedPacket();
  const walkIssue = decodeTcpOptions(view, TCP_AT + 20, TCP_AT + headerLength, ref);
  return { decoded: optionsOf(pkt, issue), walked: optionsOf(ref, walkIssue) };
}

const MSS: TcpOption = { kind: 'mss', value: 1460 };
const SACK_OK: TcpOption = { kind: 'sackPermitted' };
const NOP: TcpOption = { kind: 'nop' };
const ts = (tsVal: number, tsEcr: number): TcpOption => ({ kind: 'timestamp', tsVal, tsEcr });
const ws = (shift: number): TcpOption => ({ kind: 'wscale', shift });

describe('SYN options without the option walk', () => {
  it('Linux with timestamps (mss, sackOK, TS, nop, wscale: tcpdump -v on any Linux SYN) decodes as the walk does', () => {
    const { decoded, walked } = bothWays([MSS, SACK_OK, ts(3658366436, 0), NOP, ws(7)]);
    assert.deepEqual(decoded, walked);
    assert.deepEqual(decoded, { issue: 0, count: 4, mss: 1460, wscale: 7, sackPermitted: true, timestamp: true, tsVal: 3658366436, tsEcr: 0, unknown: 0, mptcp: -1 });
  });

  it('the other common layouts decode as the walk does', () => {
    const layouts: TcpOption[][] = [
      [MSS, NOP, NOP, SACK_OK, NOP, ws(7)], // Linux without timestamps
      [MSS, SACK_OK, NOP, NOP, NOP, ws(7)], // sackOK before the NOPs
      [MSS, NOP, NOP, ts(1, 2), NOP, ws(0)], // timestamps without SACK
      [MSS, SACK_OK, ts(5, 6)], // no window scale
      [MSS], // MSS alone (a SYN-ACK of a small stack)
      [MSS, NOP, ws(14), NOP, NOP, SACK_OK], // Windows' layout: not a fast-path one, the walk's
    ];
    for (const options of layouts) {
      const { decoded, walked } = bothWays(options);
      assert.deepEqual(decoded, walked, JSON.stringify(options));
    }
  });

  it('any list of options starting with MSS decodes as the walk does (10,000 random lists)', () => {
    const random = xorshift32(13);
    const next = (): number => Math.floor(random() * 2 ** 32);
    const pick = (): TcpOption => {
      switch (next() % 9) {
        case 0:
          return MSS;
        case 1:
          return SACK_OK;
        case 2:
          return ts(next(), next());
        case 3:
        case 4:
          return NOP;
        case 5:
          return ws(next() & 0xff);
        case 6:
          return { kind: 'eol' };
        case 7:
          return { kind: 'raw', code: 253, data: Uint8Array.of(next() & 0xff, next() & 0xff) };
        default:
          return { kind: 'bytes', bytes: Uint8Array.of(next() & 0xff, next() & 0xff) };
      }
    };
    for (let i = 0; i < 10_000; i++) {
      const options: TcpOption[] = [MSS];
      for (let n = next() % 8; n > 0; n--) options.push(pick());
      if (tcpOptionBytes(options).length > 40) continue;
      const { decoded, walked } = bothWays(options);
      assert.deepEqual(decoded, walked, JSON.stringify(options));
    }
  });
});
