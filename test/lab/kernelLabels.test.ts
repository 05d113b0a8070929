/**
 * The lab's kernel check: when the kernel trace contradicts a scenario's label, the scenario
 * fails with a problem naming the frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernelProblems } from '../../src/lab/kernelLabels.js';
import type { ResetLabel } from '../../src/lab/labels.js';

function label(over: Partial<ResetLabel>): ResetLabel {
  return {
    capture: 'client', frame: 3, src: '10.77.2.2', sport: 80, dst: '10.77.1.2', dport: 5000, seq: 1, ack: 0, flags: ['RST'], ttl: 128,
    direction: 'in', expectation: 'x', sent_by: 'server', component: 'kernel_tcp', claimed_by: 'server', stage: 'data',
    cause: 'application_abort', verdict: 'genuine', origin: 'resp', why: 'w', ...over,
  };
}

describe('kernel vs labels', () => {
  it('accepts a kernel reason that fits the label', () => {
    const k = { reason: 'TCP_ABORT_ON_CLOSE', state: 'TCP_CLOSE', host: 'server', event: 'send_reset', outcome: 'confirmed' } as const;
    assert.deepEqual(kernelProblems([label({ kernel: k })]), []);
    assert.deepEqual(kernelProblems([label({ kernel: null }), label({})]), [], 'no trace, or an untraced sender: nothing to check');
  });

  it('fails a kernel reason that contradicts the labelled cause', () => {
    const k = { reason: 'NO_SOCKET', state: null, host: 'server', event: 'send_reset', outcome: 'corrected' } as const;
    assert.match(kernelProblems([label({ kernel: k })]).join(), /NO_SOCKET contradicts the labelled cause application_abort/);
  });

  it('fails a kernel-sent label without a kernel event', () => {
    const k = { reason: null, state: null, host: 'server', event: 'none', outcome: 'unprovable', note: 'n' } as const;
    assert.match(kernelProblems([label({ kernel: k })]).join(), /recorded no such reset/);
  });

  it('fails an injected label the kernel says it sent, and a genuine reset proven forged', () => {
    const sent = { reason: 'NO_SOCKET', state: null, host: 'server', event: 'send_reset', outcome: 'corrected' } as const;
    assert.match(kernelProblems([label({ sent_by: 'injector', component: 'injector', verdict: 'forged', kernel: sent })]).join(), /server's kernel sent it/);
    const forged = { reason: null, state: null, host: 'server', event: 'none', outcome: 'proven_forged' } as const;
    assert.match(kernelProblems([label({ component: 'scapy', kernel: forged })]).join(), /genuine reset came out proven forged/);
    assert.deepEqual(kernelProblems([label({ sent_by: 'injector', component: 'injector', verdict: 'forged', kernel: forged })]), []);
  });
});
