/**
 * `whyreset trace` on the real kernel, and the lab under trace then `analyze --kernel-trace`:
 * root and Linux with tracefs only (elsewhere each test says why it skips). Acceptance of the
 * kernel-trace issue: every kernel-sent RST matched, injected RSTs proven forged, a host's own
 * firewall rejects never called forged, no genuine RST called forged, and nothing left behind
 * in tracefs (its instances and kprobe events are listed afterwards).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { KernelEventRecord, TraceHeader } from '../../src/kernel/traceRecord.js';
import { TraceUnavailable, instanceName, kprobeGroup, tracefsRoot } from '../../src/kernel/tracefs.js';
import { kernelTracePath } from '../../src/lab/kernelLabels.js';
import { loadLabels } from '../../src/lab/labels.js';
import { preflight } from '../../src/lab/preflight.js';
import { baseTools, runLab } from '../../src/lab/runLab.js';
import { scenarioNamed } from '../../src/lab/scenarios/index.js';
import { HOSTS } from '../../src/lab/topology.js';
import type { Report } from '../../src/model/report.js';
import { BIN, finish, runCli, spawnCli, tempDir } from '../helpers/run.js';

/** Why tracing cannot be tested here, or null. */
async function cannotTrace(): Promise<string | null> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: tracefs instances need root (CI runs the tests as root)';
  try {
    await tracefsRoot();
    return null;
  } catch (err) {
    if (err instanceof TraceUnavailable) return err.message;
    throw err;
  }
}

async function skipUnlessTraceable(t: TestContext): Promise<string | null> {
  const why = await cannotTrace();
  if (why !== null) {
    process.stdout.write(`# kernel trace test skipped: ${why}\n`);
    t.skip(why);
  }
  return why;
}

/** Asserts that a process's instance and kprobe events are gone, listing what tracefs holds. */
function assertNothingLeft(t: TestContext, root: string, pid: number): void {
  const instances = readdirSync(join(root, 'instances'));
  t.diagnostic(`tracefs instances now: ${instances.join(', ') || 'none'}`);
  assert.ok(!instances.includes(instanceName(pid)), `${instanceName(pid)} was removed`);
  for (const file of ['kprobe_events', 'dynamic_events']) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(kprobeGroup(pid)), `no ${kprobeGroup(pid)} probe left in ${file}`);
  }
}

function records(path: string): { header: TraceHeader; events: KernelEventRecord[] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { header: lines[0] as TraceHeader, events: lines.filter((l) => l.type === 'event') as KernelEventRecord[] };
}

/** Resets on loopback the kernel reports with known reasons: a closed port (v4, v6, v4-mapped) and a close with unread data. */
const LOOPBACK_RESETS = `
import socket, time
for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1'), (socket.AF_INET6, '::ffff:127.0.0.1')):
    s = socket.socket(fam)
    try: s.connect((addr, 9))
    except OSError: pass
    print('closed', s.getsockname()[1], flush=True)
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()
c = socket.socket(); c.connect(l.getsockname()); a, _ = l.accept()
c.send(b'unread'); time.sleep(0.05); a.close(); time.sleep(0.05)
print('abort', l.getsockname()[1], c.getsockname()[1], flush=True)
`;

test('trace: records the kernel reasons of loopback resets, runs the command and removes its instance', { timeout: 60_000 }, async (t) => {
  if ((await skipUnlessTraceable(t)) !== null) return;
  const root = await tracefsRoot();
  const tmp = tempDir('whyreset-trace-');
  try {
    const out = join(tmp.dir, 'k.ndjson');
    const child = spawnCli(['trace', '--out', out, '--', 'python3', '-c', LOOPBACK_RESETS]);
    const result = await finish(child, 30_000);
    assert.equal(result.code, 0, result.stderr);
    const { header, events } = records(out);
    assert.equal(header.type, 'header');
    assert.equal(header.capabilities.reason_field, true, 'Linux 6.10+ has sk_rst_reason');
    assert.equal(header.capabilities.reason_names['1'], 'NO_SOCKET');
    assert.ok(header.clock.end !== null && header.clock.uncertainty < 0.05, `clock uncertainty ${header.clock.uncertainty}`);
    assert.ok(header.ended !== null && header.ended >= header.started);
    assert.equal(header.command_status, 0);
    // Either netfilter's resets are traced, or the header says why not (never silently).
    assert.equal(header.capabilities.netfilter_traceable, header.capabilities.netfilter_note === null);
    assert.ok(header.hosts[0]?.addresses.includes('127.0.0.1'));
    const lines = result.stdout.trim().split('\n');
    const closedPorts = lines.filter((l) => l.startsWith('closed')).map((l) => Number(l.split(' ')[1]));
    assert.equal(closedPorts.length, 3);
    for (const port of closedPorts) {
      const e = events.find((x) => x.event === 'send_reset' && x.sport === 9 && x.dport === port);
      assert.ok(e, `the closed port's RST to ${port}`);
      assert.equal(e.reason, 'NO_SOCKET');
      assert.equal(e.host, header.hosts[0]?.name);
      assert.ok(e.ts >= header.started && e.ts <= (header.ended ?? 0), 'event time inside the trace');
    }
    const v6 = events.find((x) => x.sport === 9 && x.dport === closedPorts[1]);
    assert.equal(v6?.src, '::1');
    const mapped = events.find((x) => x.sport === 9 && x.dport === closedPorts[2]);
    assert.equal(mapped?.src, '127.0.0.1', 'v4-mapped written as IPv4');
    const [, server] = (lines.find((l) => l.startsWith('abort')) ?? '').split(' ').map(Number);
    const abort = events.find((x) => x.event === 'send_reset' && x.sport === server && x.reason === 'TCP_ABORT_ON_CLOSE');
    assert.ok(abort, 'close with unread data: TCP_ABORT_ON_CLOSE');
    assert.ok(events.some((x) => x.event === 'receive_reset' && x.sport === server && x.src === '127.0.0.1'), 'the client accepted it (tcp_receive_reset: src is the RST sender)');
    assert.ok(child.pid !== undefined);
    assertNothingLeft(t, root, child.pid as number);
  } finally {
    tmp.remove();
  }
});

test('trace: SIGTERM stops it, writes the file and removes the instance', { timeout: 30_000 }, async (t) => {
  if ((await skipUnlessTraceable(t)) !== null) return;
  const root = await tracefsRoot();
  const tmp = tempDir('whyreset-trace-');
  try {
    const out = join(tmp.dir, 'k.ndjson');
    const child = spawnCli(['trace', '--out', out]);
    const pid = child.pid as number;
    const dir = join(root, 'instances', instanceName(pid));
    for (let i = 0; i < 100 && !existsSync(`${out}.whyreset-${pid}.part`); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(dir), 'the instance exists while tracing');
    child.kill('SIGTERM');
    const result = await finish(child, 15_000);
    assert.equal(result.code, 143, result.stderr);
    assert.equal(records(out).header.type, 'header');
    assertNothingLeft(t, root, pid);
  } finally {
    tmp.remove();
  }
});

test('trace: a clear error when not root', { timeout: 30_000 }, async (t) => {
  if ((await skipUnlessTraceable(t)) !== null) return;
  // The CLI as nobody (setpriv from util-linux).
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const r = spawnSync('setpriv', [...asNobody, process.execPath, BIN, 'trace', '--duration', '1'], {
    encoding: 'utf8',
    timeout: 20_000,
    cwd: '/',
  });
  if (r.error) {
    t.skip(`setpriv unavailable: ${r.error.message}`);
    return;
  }
  // A checkout nobody cannot read (a clone under a mode-700 directory such as mktemp -d's): the
  // CLI cannot even be loaded as nobody, so what it says without root cannot be seen here.
  if (spawnSync('setpriv', [...asNobody, 'test', '-r', BIN], { cwd: '/' }).status !== 0) {
    t.skip(`${BIN} is not readable by uid 65534 (the checkout's directories are private)`);
    return;
  }
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /needs root/);
});

/** Scenarios with every kind of reset the acceptance names: kernel-sent, injected, router and host firewall rejects. */
const SCENARIOS = ['closed-port', 'app-abort-unread', 'firewall-reject-server', 'firewall-reject-iptables', 'middlebox-injection'];
const KERNEL_SENT = new Set(['kernel_tcp', 'application', 'nmap']);

test('lab under trace, then analyze --kernel-trace: kernel resets matched, injected ones proven forged, host rejects never forged', { timeout: 180_000 }, async (t) => {
  if ((await skipUnlessTraceable(t)) !== null) return;
  const scenarios = SCENARIOS.map((n) => scenarioNamed(n));
  const cannot = await preflight([...baseTools('whyreset'), ...scenarios.flatMap((s) => s?.needs ?? [])]);
  if (cannot) {
    t.skip(cannot);
    return;
  }
  const root = await tracefsRoot();
  const tmp = tempDir('whyreset-kernel-lab-');
  try {
    const run = await runLab({ scenarios: SCENARIOS, outDir: tmp.dir });
    for (const r of run.results) for (const p of r.problems) t.diagnostic(`${r.name}: ${p}`);
    assert.deepEqual(run.results.filter((r) => !r.verified).map((r) => r.name), [], 'scenarios verified, the kernel agreeing with every label');
    assertNothingLeft(t, root, process.pid);
    let kernelSent = 0;
    let matched = 0;
    let injected = 0;
    let ownRejects = 0;
    for (const r of run.results) {
      const labels = await loadLabels(r.dir);
      for (const point of HOSTS) {
        const cli = await runCli(['analyze', join(r.dir, `${point}.pcap`), '--kernel-trace', kernelTracePath(r.dir), '--format', 'json'], { timeoutMs: 60_000 });
        assert.equal(cli.code, 0, cli.stderr);
        const report = JSON.parse(cli.stdout) as Report;
        assert.ok(report.summary.kernel !== undefined, 'the summary counts what the kernel said');
        for (const label of labels.resets.filter((l) => l.capture === point)) {
          const reset = report.resets.find((x) => x.frame === label.frame);
          assert.ok(reset, `${r.name} ${point} frame ${label.frame} reported`);
          const where = `${r.name} ${point} frame ${label.frame} (${label.expectation})`;
          if (label.verdict === 'genuine') assert.notEqual(reset.verdict, 'forged', `${where}: a genuine RST called forged`);
          if (KERNEL_SENT.has(label.component) && label.sent_by === label.claimed_by) {
            kernelSent++;
            if (reset.kernel?.event === 'send_reset') matched++;
            else t.diagnostic(`${where}: not matched: ${JSON.stringify(reset.kernel)}`);
          }
          if (label.component === 'injector') {
            injected++;
            assert.ok(reset.evidence.some((e) => e.code === 'kernel_absent'), `${where}: injected, proven forged: ${JSON.stringify(reset.kernel)}`);
            assert.equal(reset.verdict, 'forged');
          }
          if (label.component === 'netfilter' && label.sent_by === label.claimed_by) {
            ownRejects++;
            assert.ok(reset.kernel?.outcome === 'unprovable' || reset.kernel?.outcome === 'netfilter', `${where}: ${JSON.stringify(reset.kernel)}`);
            assert.ok(!reset.evidence.some((e) => e.code === 'kernel_absent'), `${where}: the host's own firewall reject is never kernel_absent`);
          }
        }
      }
    }
    t.diagnostic(`kernel-sent RSTs matched: ${matched}/${kernelSent}; injected: ${injected}; own firewall rejects: ${ownRejects}`);
    assert.ok(kernelSent > 0 && injected > 0 && ownRejects > 0, 'the scenario set has every kind');
    assert.equal(matched, kernelSent, 'every kernel-sent RST matched');
  } finally {
    tmp.remove();
  }
});
