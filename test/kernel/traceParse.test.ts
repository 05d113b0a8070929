/**
 * The tracefs text whyreset reads: the tcp_send_reset format (reason names from its print fmt,
 * never hard-coded numbers) and trace_pipe lines recorded on Linux 6.18 (v4, v6, v4-mapped,
 * markers, socket syscalls), plus one line per reason the kernel names.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasField, symbolicNames } from '../../src/kernel/eventFormat.js';
import { CAPTURE_ONLY, commOf, socketCreatorName } from '../../src/kernel/hostFacts.js';
import { REASON_CAUSES, causeAgrees, reasonMeaning } from '../../src/kernel/reasonCauses.js';
import { endpointOf, normalAddress, parseTraceLine } from '../../src/kernel/traceLine.js';
import { capabilitiesOf } from '../../src/kernel/traceSession.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'kernel');
const FORMAT = readFileSync(join(FIXTURES, 'tcp_send_reset.format'), 'utf8');
const LINES = readFileSync(join(FIXTURES, 'trace_pipe.txt'), 'utf8').split('\n').filter((l) => l !== '');

/** A tcp_send_reset format of a kernel before 6.10 (no reason field), as include/trace/events/tcp.h had it. */
const OLD_FORMAT = `name: tcp_send_reset
ID: 1400
format:
\tfield:const void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;
\tfield:const void * skaddr;\toffset:16;\tsize:8;\tsigned:0;
\tfield:int state;\toffset:24;\tsize:4;\tsigned:1;
\tfield:__u16 sport;\toffset:28;\tsize:2;\tsigned:0;

print fmt: "sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c state=%s", REC->sport, REC->dport
`;

describe('the tcp_send_reset format', () => {
  it('has the reason field on this kernel and not on an older one', () => {
    assert.equal(hasField(FORMAT, 'reason'), true);
    assert.equal(hasField(FORMAT, 'saddr'), true);
    assert.equal(hasField(OLD_FORMAT, 'reason'), false);
  });

  it('gives every sk_rst_reason name by value from the print fmt', () => {
    const names = symbolicNames(FORMAT, 'reason');
    assert.equal(names.size, 26);
    assert.equal(names.get(1), 'NO_SOCKET');
    assert.equal(names.get(11), 'TCP_ABORT_ON_CLOSE');
    // 6.12 inserted TCP_DISCONNECT_WITH_DATA before the MPTCP reasons: the numbers moved.
    assert.equal(names.get(16), 'TCP_DISCONNECT_WITH_DATA');
    assert.equal(names.get(17), 'MPTCP_RST_EUNSPEC');
    assert.equal(symbolicNames(FORMAT, 'state').get(1), undefined, 'state is printed by name, not through REC->state numbers here');
    assert.equal(symbolicNames(OLD_FORMAT, 'reason').size, 0);
  });

  it('says what an older kernel lacks', () => {
    const caps = capabilitiesOf(OLD_FORMAT);
    assert.equal(caps.reason_field, false);
    assert.match(caps.notes.join(' '), /no "reason" field/);
    assert.equal(capabilitiesOf(FORMAT).reason_names['15'], 'TCP_KEEPALIVE_TIMEOUT');
  });

  it('has a meaning and causes for every reason this kernel names (MAX is no reason)', () => {
    for (const name of symbolicNames(FORMAT, 'reason').values()) {
      if (name === 'MAX') continue;
      assert.ok(reasonMeaning(name) !== null, `${name} is in REASON_CAUSES`);
    }
    assert.equal(reasonMeaning('SOMETHING_NEW'), null);
    assert.equal(causeAgrees('SOMETHING_NEW', 'port_closed'), true, 'an unknown reason contradicts nothing');
    assert.equal(causeAgrees('TCP_ABORT_ON_CLOSE', 'port_closed'), false);
    assert.equal(causeAgrees('NO_SOCKET', 'port_closed'), true);
    assert.ok(Object.values(REASON_CAUSES).every((m) => /\.(c|h):? /.test(`${m.raisedBy} `)), 'every reason cites a kernel file');
  });
});

describe('trace_pipe lines', () => {
  const parsed = LINES.map(parseTraceLine);

  it('parses every recorded line', () => {
    parsed.forEach((p, i) => assert.ok(p !== null, `line ${i + 1}: ${LINES[i]}`));
  });

  it('reads a marker', () => {
    assert.deepEqual(parsed[0], { kind: 'marker', traceTs: 1688.897397, text: 'whyreset-clock-1234-1' });
  });

  it('reads an IPv6 tcp_send_reset with its state and reason', () => {
    const e = parsed[2];
    assert.equal(e?.kind, 'event');
    if (e?.kind !== 'event') return;
    assert.deepEqual(
      { event: e.event, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport, state: e.state, reason: e.reason, traceTs: e.traceTs, comm: e.comm },
      { event: 'send_reset', src: '::1', sport: 44090, dst: '::1', dport: 41259, state: 'TCP_CLOSE', reason: 'TCP_STATE', traceTs: 1689.584045, comm: 'python3' },
    );
  });

  it('writes an IPv4-mapped address as IPv4, as captures show it', () => {
    const e = parsed[4];
    assert.ok(e?.kind === 'event');
    if (e?.kind !== 'event') return;
    assert.equal(e.src, '127.0.0.1');
    assert.equal(e.dst, '127.0.0.1');
    assert.equal(e.reason, 'TCP_ABORT_ON_CLOSE');
    const r = parsed[3];
    assert.ok(r?.kind === 'event' && r.event === 'receive_reset' && r.dst === '127.0.0.1' && r.src === '127.0.0.1');
  });

  it('turns tcp_receive_reset round: the RST came from the socket\'s peer', () => {
    // family=AF_INET6 sport=41259 dport=44090 ... saddrv6=::1: the socket is ::1:41259, the RST came from port 44090.
    const r = parsed[1];
    assert.ok(r?.kind === 'event');
    if (r?.kind !== 'event') return;
    assert.deepEqual([r.event, r.src, r.sport, r.dst, r.dport, r.reason], ['receive_reset', '::1', 44090, '::1', 41259, null]);
    assert.equal(r.dst, '::1', 'the v6 fields, not the garbage v4 ones (127.0.0.6), for an AF_INET6 socket');
  });

  it('has no state for a reset sent without a socket (state=UNKNOWN)', () => {
    const e = parsed[5];
    assert.ok(e?.kind === 'event' && e.state === null && e.reason === 'NO_SOCKET' && e.src === '::1' && e.sport === 1);
  });

  it('reads raw and packet socket creation from sys_enter_socket', () => {
    assert.deepEqual(parsed[7], { kind: 'socket', traceTs: 1689.684503, comm: 'python3', pid: 26493, family: 2, type: 0x80003 });
    assert.deepEqual(parsed[9], { kind: 'socket', traceTs: 1690.701269, comm: 'tcpdump', pid: 26607, family: 17, type: 3 });
  });

  it('reads an IPv4 reset', () => {
    const e = parsed[parsed.length - 1];
    assert.ok(e?.kind === 'event');
    if (e?.kind !== 'event') return;
    assert.deepEqual([e.src, e.sport, e.dst, e.dport, e.state, e.reason], ['10.77.1.2', 58604, '10.77.2.2', 443, 'TCP_FIN_WAIT1', 'TCP_ABORT_ON_DATA']);
  });

  it('reads every reason the kernel names, on v4, v6 and v4-mapped lines', () => {
    const template = LINES[4] as string; // the v4-mapped TCP_ABORT_ON_CLOSE line
    for (const name of symbolicNames(FORMAT, 'reason').values()) {
      for (const [src, dst, want] of [
        ['[::ffff:10.0.0.1]:443', '[::ffff:10.0.0.2]:5000', '10.0.0.1'],
        ['[2001:db8::1]:443', '[2001:db8::2]:5000', '2001:db8::1'],
        ['10.0.0.1:443', '10.0.0.2:5000', '10.0.0.1'],
      ] as const) {
        const line = template.replace(/src=\S+ dest=\S+/, `src=${src} dest=${dst}`).replace(/reason=\S+/, `reason=${name}`);
        const e = parseTraceLine(line);
        assert.ok(e?.kind === 'event', line);
        if (e?.kind !== 'event') continue;
        assert.equal(e.reason, name);
        assert.equal(e.src, want);
        assert.equal(e.sport, 443);
        assert.equal(e.dport, 5000);
      }
    }
  });

  it('gives null for other events and for damaged lines, never throws', () => {
    assert.equal(parseTraceLine('          <idle>-0       [001] d.s2.  1690.1: kfree_skb: skbaddr=0 reason=NOT_SPECIFIED'), null);
    assert.equal(parseTraceLine('garbage'), null);
    assert.equal(parseTraceLine(''), null);
    const line = LINES[2] as string;
    for (let cut = 0; cut < line.length; cut += 7) parseTraceLine(line.slice(0, cut));
    assert.equal(parseTraceLine(line.replace('src=[::1]:44090', 'src=[::1]:99999')), null, 'a port above 65535 is not a port');
  });

  it('reads a kprobe event on nf_send_reset (kernels with kprobes)', () => {
    const e = parseTraceLine('        iptables-999   [000] ..s1.   12.000001: nf_send_reset: (nf_send_reset+0x0/0x2f0)');
    assert.ok(e?.kind === 'event' && e.event === 'nf_send_reset' && e.src === null);
  });

  it('normalises addresses', () => {
    assert.equal(normalAddress('::FFFF:192.0.2.1'), '192.0.2.1');
    assert.equal(normalAddress('2001:DB8::1'), '2001:db8::1');
    assert.deepEqual(endpointOf('[fe80::1]:22'), { addr: 'fe80::1', port: 22 });
    assert.equal(endpointOf('nonsense'), null);
  });
});

describe('who created a raw or packet socket', () => {
  it('takes the live name from /proc over a stale traced name (a tcpdump forked by node traced as "node")', async () => {
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      // After exec the name is the program's; wait (bounded) until /proc shows it.
      let live = commOf(child.pid ?? -1);
      for (let i = 0; i < 50 && live !== 'sleep'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        live = commOf(child.pid ?? -1);
      }
      assert.equal(socketCreatorName('node', live), 'sleep');
      assert.ok(CAPTURE_ONLY.has(socketCreatorName('node', 'tcpdump')), 'a running tcpdump is capture-only whatever the trace printed');
    } finally {
      child.kill();
    }
  });

  it('keeps the traced name once the process is gone, and when the trace cache missed only /proc can name it', () => {
    assert.equal(socketCreatorName('python3', null), 'python3');
    assert.equal(socketCreatorName('<...>', 'tcpdump'), 'tcpdump');
    assert.equal(socketCreatorName('<...>', null), '<...>');
  });
});
