/**
 * The clock mapping, the matcher (4-tuple, direction, time, order; several RSTs on one 4-tuple;
 * what stops a proof) and the explain hook that turns a match into kernel_reason / kernel_absent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyKernelTrace } from '../../src/explain/kernelEvidence.js';
import { WALL_CLOCK_RESOLUTION, clockMapping, sampleOffset, wallTime } from '../../src/kernel/clock.js';
import { addressesFromIpJson, rejectRulesIn, snapshotSections, socketInodes } from '../../src/kernel/hostFacts.js';
import { KernelMatcher, type ResetToMatch } from '../../src/kernel/match.js';
import { parseTraceText } from '../../src/kernel/traceFile.js';
import type { KernelEventRecord, TraceHeader, TracedHost } from '../../src/kernel/traceRecord.js';
import type { Reset } from '../../src/model/report.js';

const T0 = 1_800_000_000;
const OFFSET = T0 - 1000; // wall = trace + OFFSET

function host(name: string, addresses: string[], extra: Partial<TracedHost> = {}): TracedHost {
  return { name, netns: name, addresses, reject_rules: [], rules_read: true, raw_sockets: 0, packet_sockets: 0, socket_holders: [], ...extra };
}

function header(hosts: TracedHost[], netfilter = false): TraceHeader {
  const start = { wall_before: T0 - 0.0001, wall_after: T0 + 0.0001, trace_ts: 1000 };
  const end = { wall_before: T0 + 60 - 0.0001, wall_after: T0 + 60 + 0.0001, trace_ts: 1060 };
  return {
    type: 'header',
    tool: { name: 'whyreset', version: 'test' },
    kernel: '6.18',
    started: T0,
    ended: T0 + 60,
    clock: clockMapping('mono', start, end),
    hosts,
    capabilities: { reason_field: true, reason_names: {}, events: ['send_reset'], socket_watch: true, netfilter_traceable: netfilter, netfilter_note: null, notes: [] },
    command: null,
    command_status: null,
  };
}

function event(at: number, src: string, sport: number, dst: string, dport: number, reason: string, extra: Partial<KernelEventRecord> = {}): KernelEventRecord {
  return { type: 'event', ts: 0, trace_ts: at - OFFSET, event: 'send_reset', src, sport, dst, dport, state: 'TCP_CLOSE', reason, host: null, comm: 'x', ...extra };
}

function trace(hosts: TracedHost[], events: KernelEventRecord[], netfilter = false) {
  const text = [header(hosts, netfilter), ...events].map((r) => JSON.stringify(r)).join('\n');
  return parseTraceText('t.ndjson', text);
}

function reset(ts: number, src: string, sport: number, dst: string, dport: number, seq = 1, capture = 0): ResetToMatch {
  return { capture, ts, src, sport, dst, dport, seq, ack: 0 };
}

const SERVER = '10.0.0.2';
const CLIENT = '10.0.0.1';

describe('clock mapping', () => {
  it('takes the midpoint of the wall-clock reads around a marker', () => {
    const s = sampleOffset({ wall_before: 100, wall_after: 100.002, trace_ts: 40 });
    assert.ok(Math.abs(s.offset - 60.001) < 1e-9);
    assert.ok(Math.abs(s.halfWidth - (0.001 + WALL_CLOCK_RESOLUTION / 2)) < 1e-9);
  });

  it('averages the start and end offsets and widens the uncertainty by their drift', () => {
    const m = clockMapping('mono', { wall_before: 100, wall_after: 100, trace_ts: 40 }, { wall_before: 200.004, wall_after: 200.004, trace_ts: 140 });
    assert.equal(m.offset, 60.002);
    assert.ok(Math.abs(m.uncertainty - (WALL_CLOCK_RESOLUTION / 2 + 0.002)) < 1e-9);
    assert.equal(wallTime(m, 150), 210.002);
  });

  it('uses the start sample alone while streaming', () => {
    const m = clockMapping('mono', { wall_before: 100, wall_after: 100.01, trace_ts: 40 }, null);
    assert.equal(m.end, null);
    assert.equal(m.offset, 60.005);
  });

  it('maps event times again from the final mapping when a file is read', () => {
    const t = trace([host('server', [SERVER])], [{ ...event(T0 + 5, SERVER, 80, CLIENT, 5000, 'NO_SOCKET'), ts: 0 }]);
    assert.ok(Math.abs((t.events[0]?.ts ?? 0) - (T0 + 5)) < 1e-5);
  });
});

describe('matching resets to kernel events', () => {
  it('matches several RSTs on one 4-tuple to their events in order', () => {
    const t = trace(
      [host('server', [SERVER])],
      [event(T0 + 10, SERVER, 80, CLIENT, 5000, 'TCP_ABORT_ON_CLOSE'), event(T0 + 10.2, SERVER, 80, CLIENT, 5000, 'NO_SOCKET')],
    );
    const m = new KernelMatcher([t]);
    const a = m.match(reset(T0 + 10.0004, SERVER, 80, CLIENT, 5000, 1));
    const b = m.match(reset(T0 + 10.2003, SERVER, 80, CLIENT, 5000, 2));
    assert.equal(a.kind === 'sent' && a.event.reason, 'TCP_ABORT_ON_CLOSE');
    assert.equal(b.kind === 'sent' && b.event.reason, 'NO_SOCKET');
    assert.equal(m.match(reset(T0 + 10.21, SERVER, 80, CLIENT, 5000, 3)).kind, 'absent', 'a third RST has no event left');
  });

  it('matches a second copy of the same packet (a router sees it in and out) to the same event', () => {
    const t = trace([host('server', [SERVER])], [event(T0 + 10, SERVER, 80, CLIENT, 5000, 'NO_SOCKET')]);
    const m = new KernelMatcher([t]);
    assert.equal(m.match(reset(T0 + 10.001, SERVER, 80, CLIENT, 5000, 7)).kind, 'sent');
    assert.equal(m.match(reset(T0 + 10.0011, SERVER, 80, CLIENT, 5000, 7)).kind, 'sent');
    assert.equal(m.match(reset(T0 + 10.0012, SERVER, 80, CLIENT, 5000, 8)).kind, 'absent');
  });

  it('keeps captures apart: each capture consumes the events on its own', () => {
    const t = trace([host('server', [SERVER])], [event(T0 + 10, SERVER, 80, CLIENT, 5000, 'NO_SOCKET')]);
    const m = new KernelMatcher([t]);
    assert.equal(m.match(reset(T0 + 10.001, SERVER, 80, CLIENT, 5000, 1, 0)).kind, 'sent');
    assert.equal(m.match(reset(T0 + 10.003, SERVER, 80, CLIENT, 5000, 1, 1)).kind, 'sent');
  });

  it('never matches a RST seen before its event beyond the clock uncertainty (a forged one that came first)', () => {
    const t = trace([host('server', [SERVER])], [event(T0 + 10.5, SERVER, 80, CLIENT, 5000, 'NO_SOCKET')]);
    const m = new KernelMatcher([t]);
    const forged = m.match(reset(T0 + 10, SERVER, 80, CLIENT, 5000, 1));
    assert.equal(forged.kind, 'absent');
    assert.equal(m.match(reset(T0 + 10.5005, SERVER, 80, CLIENT, 5000, 2)).kind, 'sent', 'the genuine one still finds its event');
  });

  it('checks the direction: the event of the other side is not this reset', () => {
    const t = trace([host('server', [SERVER]), host('client', [CLIENT])], [event(T0 + 10, CLIENT, 5000, SERVER, 80, 'TCP_STATE')]);
    const m = new KernelMatcher([t]);
    assert.equal(m.match(reset(T0 + 10.001, SERVER, 80, CLIENT, 5000)).kind, 'absent');
  });

  it('lets a listener-printed event (accept queue overflow: peer 0.0.0.0:0) stand for any peer', () => {
    const t = trace([host('server', [SERVER])], [event(T0 + 10, SERVER, 80, '0.0.0.0', 0, 'INVALID_SYN', { state: 'TCP_LISTEN' })]);
    const m = new KernelMatcher([t]);
    const r = m.match(reset(T0 + 10.001, SERVER, 80, CLIENT, 5001));
    assert.ok(r.kind === 'sent' && r.event.reason === 'INVALID_SYN');
  });

  it('says nothing about a sender that was not traced, or outside the traced interval', () => {
    const t = trace([host('server', [SERVER])], []);
    const m = new KernelMatcher([t]);
    assert.equal(m.match(reset(T0 + 10, '192.0.2.9', 80, CLIENT, 5000)).kind, 'untraced');
    assert.equal(m.match(reset(T0 - 5, SERVER, 80, CLIENT, 5000)).kind, 'untraced');
    assert.equal(m.match(reset(T0 + 61, SERVER, 80, CLIENT, 5000)).kind, 'untraced');
  });

  it('never proves a forgery that the host\'s own REJECT rules or a raw socket could have sent', () => {
    const rules = host('server', [SERVER], { reject_rules: ['-A INPUT -p tcp -j REJECT --reject-with tcp-reset'] });
    const r1 = new KernelMatcher([trace([rules], [])]).match(reset(T0 + 10, SERVER, 80, CLIENT, 5000));
    assert.ok(r1.kind === 'unprovable' && /REJECT/.test(r1.why));
    const raw = host('server', [SERVER], { raw_sockets: 1, socket_holders: ['scapy[12] packet socket'] });
    const r2 = new KernelMatcher([trace([raw], [])]).match(reset(T0 + 10, SERVER, 80, CLIENT, 5000));
    assert.ok(r2.kind === 'unprovable' && /scapy/.test(r2.why));
    const unread = host('server', [SERVER], { rules_read: false });
    assert.equal(new KernelMatcher([trace([unread], [])]).match(reset(T0 + 10, SERVER, 80, CLIENT, 5000)).kind, 'unprovable');
  });

  it('matches a netfilter reset (kprobe) when the kernel could trace them, and then a missing one proves', () => {
    const rules = host('server', [SERVER], { reject_rules: ['reject with tcp reset'] });
    const nf = event(T0 + 10, SERVER, 80, CLIENT, 5000, 'x', { event: 'nf_send_reset', src: null, sport: null, dst: null, dport: null, reason: null });
    const m = new KernelMatcher([trace([rules], [nf], true)]);
    assert.equal(m.match(reset(T0 + 10.001, SERVER, 80, CLIENT, 5000)).kind, 'netfilter');
    assert.equal(m.match(reset(T0 + 30, SERVER, 80, CLIENT, 5001)).kind, 'absent');
  });
});

/** A reset as explain would have made it, for the hook. */
function explained(over: Partial<Reset>): Reset {
  return {
    id: 'R1', ts: T0 + 10.001, capture: 0, frame: 5, conn: 'C1', src: SERVER, sport: 80, dst: CLIENT, dport: 5000, from: 'resp', flags: ['RST'],
    ttl: 64, ip_id: 0, seq: 1, ack: 0, win: 0, payload_len: 0, stage: 'data', cause: 'application_abort', verdict: 'genuine', origin: 'resp',
    confidence: 0.8, evidence: [{ code: 'fin_before', detail: 'x' }], signature: null, hint: 'h', reason_text: null, mptcp_reason: null, ...over,
  };
}

describe('the kernel evidence hook', () => {
  it('confirms a cause the reason allows and puts kernel_reason first', () => {
    const m = new KernelMatcher([trace([host('server', [SERVER])], [event(T0 + 10, SERVER, 80, CLIENT, 5000, 'TCP_ABORT_ON_CLOSE')])]);
    const r = explained({});
    assert.equal(applyKernelTrace(r, m), 'confirmed');
    assert.deepEqual(r.kernel, { reason: 'TCP_ABORT_ON_CLOSE', state: 'TCP_CLOSE', host: 'server', event: 'send_reset', outcome: 'confirmed' });
    assert.equal(r.evidence[0]?.code, 'kernel_reason');
    assert.match(r.evidence[0]?.detail ?? '', /__tcp_close/);
    assert.equal(r.confidence, 0.99);
  });

  it('corrects a wire verdict of forged when the kernel sent it, and a cause its reason rules out', () => {
    const m = new KernelMatcher([trace([host('server', [SERVER])], [event(T0 + 10, SERVER, 80, CLIENT, 5000, 'TCP_KEEPALIVE_TIMEOUT')])]);
    const r = explained({ verdict: 'forged', origin: 'middlebox', cause: 'middlebox_injected' });
    assert.equal(applyKernelTrace(r, m), 'corrected');
    assert.deepEqual([r.cause, r.verdict, r.origin], ['idle_timeout', 'genuine', 'resp']);
    assert.notEqual(r.hint, 'h', 'the hint follows the new cause');
  });

  it('proves a forgery with kernel_absent', () => {
    const m = new KernelMatcher([trace([host('server', [SERVER])], [])]);
    const r = explained({ stage: 'handshake', cause: 'port_closed' });
    assert.equal(applyKernelTrace(r, m), 'proven_forged');
    assert.deepEqual([r.cause, r.verdict, r.origin, r.kernel?.event], ['firewall_reject', 'forged', 'middlebox', 'none']);
    assert.equal(r.evidence[0]?.code, 'kernel_absent');
  });

  it('leaves the wire reading alone when a missing event proves nothing', () => {
    const m = new KernelMatcher([trace([host('server', [SERVER], { reject_rules: ['reject with tcp reset'] })], [])]);
    const r = explained({ stage: 'handshake', cause: 'port_closed' });
    assert.equal(applyKernelTrace(r, m), 'unprovable');
    assert.deepEqual([r.cause, r.verdict, r.evidence.length], ['port_closed', 'genuine', 1]);
    assert.match(r.kernel?.note ?? '', /REJECT/);
  });

  it('does nothing for an untraced sender', () => {
    const m = new KernelMatcher([trace([host('other', ['192.0.2.1'])], [])]);
    const r = explained({});
    assert.equal(applyKernelTrace(r, m), null);
    assert.equal(r.kernel, undefined);
  });
});

describe('host facts', () => {
  it('finds the REJECT rules that answer with a TCP reset', () => {
    const text = [
      '-A INPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset',
      '-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable',
      '\t\ttcp dport 8080 counter packets 1 bytes 60 reject with tcp reset',
      '\t\ttcp dport 22 reject',
    ].join('\n');
    assert.deepEqual(rejectRulesIn(text), ['-A INPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset', 'tcp dport 8080 counter packets 1 bytes 60 reject with tcp reset']);
  });

  it('reads addresses from ip -j addr', () => {
    const json = JSON.stringify([{ addr_info: [{ local: '127.0.0.1' }, { local: '::1' }] }, { addr_info: [{ local: '10.77.1.2' }, { local: 'FD77:1::2' }] }]);
    assert.deepEqual(addressesFromIpJson(json), ['127.0.0.1', '::1', '10.77.1.2', 'fd77:1::2']);
    assert.deepEqual(addressesFromIpJson('not json'), []);
  });

  it('reads socket inodes from /proc/net tables', () => {
    const raw = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  6: 00000000:0006 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0\n';
    const packet = 'sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n0000000000000000 3      3    0003   0     1 0      0      777\n';
    assert.deepEqual(socketInodes(raw, 'raw'), [4242]);
    assert.deepEqual(socketInodes(packet, 'packet'), [777]);
  });

  it('splits one look at a host into its commands, null for one that failed', () => {
    const sections = snapshotSections('@@whyreset 0 0\n[]\n@@whyreset 1 127\n\n@@whyreset 2 0\n-A X\n');
    assert.equal(sections[0], '[]\n');
    assert.equal(sections[1], null);
    assert.equal(sections[2], '-A X\n');
  });
});
