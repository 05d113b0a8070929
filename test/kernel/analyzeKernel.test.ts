/**
 * `analyze --kernel-trace` end to end without root: a lab capture (three RSTs "from the server"
 * on one 4-tuple, all injected by the router) with a trace file written as `whyreset trace`
 * writes it, whose server sent one RST of its own at the time of the second. Also the trace
 * command's usage errors and help.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { clockMapping } from '../../src/kernel/clock.js';
import type { KernelEventRecord, TraceHeader, TracedHost } from '../../src/kernel/traceRecord.js';
import type { Report } from '../../src/model/report.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/run.js';

const CAPTURE = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'middlebox-injection.client.pcap');
/** The three RSTs of the capture (frames 13, 16, 18), claimed by 10.77.2.2:80 toward 10.77.1.2:32924. */
const RST_TS = [1795296646.395382, 1795296646.455297, 1795296646.523307];
const OFFSET = 1795296000;
const tmp = tempDir('whyreset-kernel-analyze-');
after(() => tmp.remove());

function server(extra: Partial<TracedHost> = {}): TracedHost {
  return { name: 'server', netns: 'srv', addresses: ['127.0.0.1', '10.77.2.2'], reject_rules: [], rules_read: true, raw_sockets: 0, packet_sockets: 1, socket_holders: [], ...extra };
}

function traceFile(name: string, host: TracedHost, events: KernelEventRecord[]): string {
  const start = { wall_before: OFFSET + 600 - 0.0002, wall_after: OFFSET + 600 + 0.0002, trace_ts: 600 };
  const end = { wall_before: OFFSET + 700 - 0.0002, wall_after: OFFSET + 700 + 0.0002, trace_ts: 700 };
  const header: TraceHeader = {
    type: 'header',
    tool: { name: 'whyreset', version: 'test' },
    kernel: '6.18.44',
    started: OFFSET + 600,
    ended: OFFSET + 700,
    clock: clockMapping('mono', start, end),
    hosts: [host],
    capabilities: { reason_field: true, reason_names: { '1': 'NO_SOCKET' }, events: ['send_reset', 'receive_reset'], socket_watch: true, netfilter_traceable: false, netfilter_note: 'no kprobes', notes: [] },
    command: null,
    command_status: 0,
  };
  const path = join(tmp.dir, name);
  writeFileSync(path, `${[header, ...events].map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

/** The server's kernel sent the second RST (its socket closed with unread data) 0.3 ms before the client saw it. */
const SENT_SECOND: KernelEventRecord = {
  type: 'event', ts: 0, trace_ts: (RST_TS[1] as number) - OFFSET - 0.0003, event: 'send_reset', src: '10.77.2.2', sport: 80, dst: '10.77.1.2', dport: 32924,
  state: 'TCP_CLOSE', reason: 'TCP_ABORT_ON_CLOSE', host: 'server', comm: 'python3',
};

describe('analyze --kernel-trace', () => {
  it('matches the RST the kernel sent, and proves the others on the same 4-tuple forged', async () => {
    const trace = traceFile('server.ndjson', server(), [SENT_SECOND]);
    const r = await runCli(['analyze', CAPTURE, '--kernel-trace', trace, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const byFrame = new Map(report.resets.map((x) => [x.frame, x]));
    const second = byFrame.get(16);
    assert.deepEqual(second?.kernel, { reason: 'TCP_ABORT_ON_CLOSE', state: 'TCP_CLOSE', host: 'server', event: 'send_reset', outcome: 'corrected' });
    assert.deepEqual([second?.verdict, second?.origin, second?.cause, second?.evidence[0]?.code], ['genuine', 'resp', 'application_abort', 'kernel_reason']);
    for (const frame of [13, 18]) {
      const x = byFrame.get(frame);
      assert.equal(x?.kernel?.outcome, 'proven_forged', `frame ${frame}`);
      assert.equal(x?.evidence[0]?.code, 'kernel_absent');
      assert.equal(x?.verdict, 'forged');
    }
    assert.deepEqual(report.summary.kernel, { traced: 3, confirmed: 0, corrected: 1, netfilter: 0, proven_forged: 2, unprovable: 0 });
  });

  it('says in the text report, verbose, CSV and explain what the kernel confirmed, corrected or proved', async () => {
    const trace = traceFile('server2.ndjson', server(), [SENT_SECOND]);
    const text = await runCli(['analyze', CAPTURE, '--kernel-trace', trace]);
    assert.match(text.stdout, /kernel traces: 3 resets claimed by traced hosts — 0 confirmed, 1 corrected, 2 proven forged/);
    const verbose = await runCli(['analyze', CAPTURE, '--kernel-trace', trace, '--verbose']);
    assert.match(verbose.stdout, /kernel: server's kernel sent it: TCP_ABORT_ON_CLOSE \(socket TCP_CLOSE\) — corrected/);
    assert.match(verbose.stdout, /kernel: server was traced and never sent it — forged, proven/);
    const csv = await runCli(['analyze', CAPTURE, '--kernel-trace', trace, '--format', 'csv']);
    const [head, ...rows] = csv.stdout.trim().split('\r\n');
    assert.ok(head?.endsWith(',kernel_reason,kernel_outcome,community_id'));
    assert.ok(rows.some((l) => /,TCP_ABORT_ON_CLOSE,corrected,[^,]*$/.test(l)));
    assert.equal(rows.filter((l) => /,,proven_forged,[^,]*$/.test(l)).length, 2);
    const explain = await runCli(['explain', CAPTURE, '--conn', '10.77.1.2:32924-10.77.2.2:80', '--kernel-trace', trace]);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /kernel {3}server's kernel sent it: TCP_ABORT_ON_CLOSE/);
    const html = join(tmp.dir, 'k.html');
    assert.equal((await runCli(['analyze', CAPTURE, '--kernel-trace', trace, '--html', html])).code, 0);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /Kernel:<\/strong> server&#39;s kernel sent it: TCP_ABORT_ON_CLOSE|Kernel:<\/strong> server's kernel sent it: TCP_ABORT_ON_CLOSE/);
    assert.match(page, /kernel traces: 3 resets claimed by traced hosts/);
    const router = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'middlebox-injection.router.pcap');
    const correlate = await runCli(['correlate', CAPTURE, router, '--kernel-trace', trace]);
    assert.equal(correlate.code, 0, correlate.stderr);
    assert.match(correlate.stdout, /kernel traces: \d+ resets? claimed by traced hosts — \d+ confirmed, 1 corrected, \d+ proven forged/);
  });

  it('never proves a forgery from a host whose own REJECT rules could have sent it', async () => {
    const trace = traceFile('rules.ndjson', server({ reject_rules: ['-A INPUT -p tcp -j REJECT --reject-with tcp-reset'] }), []);
    const r = await runCli(['analyze', CAPTURE, '--kernel-trace', trace, '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    for (const x of report.resets) {
      assert.equal(x.kernel?.outcome, 'unprovable');
      assert.ok(!x.evidence.some((e) => e.code === 'kernel_absent'));
    }
  });

  it('leaves the report byte-identical when no trace covers the resets', async () => {
    const plain = await runCli(['analyze', CAPTURE, '--format', 'json']);
    const other = traceFile('other.ndjson', server({ addresses: ['192.0.2.1'] }), []);
    const traced = await runCli(['analyze', CAPTURE, '--kernel-trace', other, '--format', 'json']);
    const a = JSON.parse(plain.stdout) as Report;
    const b = JSON.parse(traced.stdout) as Report;
    assert.deepEqual(b.resets, a.resets);
    assert.deepEqual(b.summary.kernel, { traced: 0, confirmed: 0, corrected: 0, netfilter: 0, proven_forged: 0, unprovable: 0 });
  });

  it('refuses a file that is not a trace, or is missing, with a usage error', async () => {
    const missing = await runCli(['analyze', CAPTURE, '--kernel-trace', join(tmp.dir, 'nope.ndjson')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--kernel-trace .*no such file/);
    const bogus = join(tmp.dir, 'bogus.ndjson');
    writeFileSync(bogus, '{"type":"event"}\n');
    const r = await runCli(['analyze', CAPTURE, '--kernel-trace', bogus]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a whyreset trace/);
  });
});

describe('whyreset trace: usage', () => {
  it('has --help', async () => {
    const r = await runCli(['trace', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: whyreset trace \[--out FILE\] \[--duration S\] \[--all-netns\] \[-- COMMAND\.\.\.\]/);
    assert.match((await runCli(['--help'])).stdout, /whyreset trace/);
    assert.match((await runCli(['analyze', '--help'])).stdout, /--kernel-trace FILE/);
  });

  it('refuses a bad duration and an empty command', async () => {
    const d = await runCli(['trace', '--duration', '0']);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /--duration needs a number of seconds/);
    const c = await runCli(['trace', '--']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /nothing after "--"/);
  });
});
