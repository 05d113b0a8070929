/**
 * Acceptance (issue 2): whyreset reads what tshark reads. For every capture, the RST packets
 * whyreset lists are exactly tshark's, field by field — frame number, addresses (compressed
 * IPv6 as tshark prints them), ports, flags, TTL / hop limit, IP ID, raw seq and ack, window,
 * payload length, the microsecond, the reset text and MP_TCPRST reason — and both count the
 * same packets.
 *
 * 1. A synthetic corpus (test/helpers/tshark.ts): every link type (Ethernet, 802.1Q, QinQ, MPLS,
 *    PPPoE, SLL, SLL2, raw IP, IPv4, IPv6, NULL, LOOP), IPv4 options and fragments, IPv6 extension
 *    headers, TCP options, padding, text payloads, snaplen cuts, ARP / UDP / ICMP interleaved;
 *    written as pcap (LE, BE, µs, ns), as pcapng (sections in both byte orders, interfaces with
 *    different link types and resolutions, EPB + SPB + PB) and gzip'd.
 * 2. Captures from real Linux TCP stacks: two network namespaces joined by a veth pair, tcpdump
 *    (-i any → SLL2 and SLL, the veth → Ethernet, µs and ns, `-w -` piped live into
 *    `whyreset analyze -` and gzip'd), dumpcap (pcapng, two interfaces), while clients connect to
 *    closed ports and servers abort with SO_LINGER 0. Needs root; skipped otherwise.
 *
 * The tshark command: see test/helpers/tshark.ts (issue 2's fields, IP reassembly and TCP
 * sequence analysis off).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createGzip } from 'node:zlib';
import { type Report, analyze } from '../src/index.js';
import { PcapngWriter, writePcap } from '../testkit/captureWriter.js';
import { ACK, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, RST, tcp4Frame, tcp6Frame } from '../testkit/frames.js';
import { finish, runCli, spawnCli, tempDir } from './helpers/run.js';
import {
  type CorpusCapture,
  TSHARK_FIELDS,
  TSHARK_PREFS,
  type TsharkView,
  comparePair,
  corpusCaptures,
  hasTshark,
  mapLimit,
  tsharkView,
} from './helpers/tshark.js';

if (!hasTshark) console.log('# tshark is not installed: the cross-check against tshark is skipped (CI installs it)');

/** Asserts that whyreset's RSTs and packet count for capture `index` of `report` are tshark's. */
function assertSameAsTshark(report: Report, peer: TsharkView, label: string, index = 0): void {
  const input = report.inputs[index];
  assert.ok(input, `${label}: no input ${index} in the report`);
  assert.equal(input.packets, peer.frames, `${label}: packet count (tshark counts ${peer.frames} frames)`);
  const { ours, theirs } = comparePair(report, peer, index);
  // Which frames first (a missing RST shows as such), then each RST field by field.
  assert.deepEqual(
    ours.map((r) => r.frame),
    theirs.map((r) => r.frame),
    `${label}: whyreset lists RSTs in frames other than tshark's`,
  );
  ours.forEach((r, i) => assert.deepEqual(r, theirs[i], `${label}: frame ${r.frame} differs from tshark's`));
}

// ---------------------------------------------------------------------------------------------
// 1. The synthetic corpus

describe('synthetic captures: whyreset lists exactly the RSTs tshark lists', () => {
  const tmp = tempDir('whyreset-tshark-');
  const captures: CorpusCapture[] = corpusCaptures();
  const pathOf = (c: CorpusCapture) => join(tmp.dir, c.name);
  /** tshark's view of each file, by name. tshark reads gzip itself; it is run on every plain file and a sample of gzip'd ones. */
  const views = new Map<string, Promise<TsharkView>>();
  const viewOf = (name: string): Promise<TsharkView> => {
    let v = views.get(name);
    if (!v) {
      v = tsharkView(join(tmp.dir, name));
      views.set(name, v);
    }
    return v;
  };

  before(() => {
    for (const c of captures) writeFileSync(pathOf(c), c.bytes);
  });
  after(() => tmp.remove());

  test('every capture: pcap LE/BE µs/ns, pcapng in both byte orders, each plain and gzip', { skip: !hasTshark && 'tshark not installed' }, async () => {
    const failures: string[] = [];
    let resets = 0;
    // tshark is single-threaded and starts slowly: two at a time on this 2-core machine.
    await mapLimit(captures, 2, async (c) => {
      try {
        // A gzip'd file is compared with tshark's view of the same bytes uncompressed …
        const peer = await viewOf(c.gzip ? c.name.slice(0, -3) : c.name);
        const report = await analyze([pathOf(c)]);
        const input = report.inputs[0];
        assert.ok(input);
        assert.equal(input.format, c.format, `${c.name}: format`);
        assert.equal(input.compressed, c.gzip, `${c.name}: compressed`);
        assert.deepEqual(input.errors, [], `${c.name}: a clean capture has no input errors`);
        assert.ok(peer.resets.length >= 2, `${c.name}: tshark sees only ${peer.resets.length} RSTs`);
        assertSameAsTshark(report, peer, c.name);
        resets += report.resets.length;
      } catch (err) {
        failures.push((err as Error).message);
      }
    });
    assert.deepEqual(failures, [], `${failures.length} of ${captures.length} captures differ from tshark`);
    assert.ok(resets > 1000, `only ${resets} RSTs compared`);
  });

  test('tshark reads the gzip files as it reads the plain ones', { skip: !hasTshark && 'tshark not installed' }, async () => {
    // … which holds because tshark itself sees the same frames in both (checked on a sample).
    for (const name of ['ethernet-be-ns.pcap', 'mixed-be.pcapng']) {
      const [plain, gz] = await Promise.all([viewOf(name), viewOf(`${name}.gz`)]);
      assert.deepEqual(gz, plain, name);
    }
  });

  test("issue 2's own command (-Y tcp.flags.reset==1) keeps the frames compared here", { skip: !hasTshark && 'tshark not installed' }, async () => {
    for (const name of ['ethernet-le-us.pcap', 'mixed-le.pcapng', 'sll2-be-ns.pcap']) {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'tshark',
          ['-r', join(tmp.dir, name), ...TSHARK_PREFS, '-Y', 'tcp.flags.reset==1', '-T', 'fields', '-E', 'separator=/t', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])],
          { maxBuffer: 64 << 20 },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      const rows = out.split('\n').filter((l) => l !== '');
      // ICMP errors that quote a RST match the filter (tshark decodes the quoted TCP header) but are not resets.
      const icmp = TSHARK_FIELDS.indexOf('icmp.type');
      const kept = rows.filter((r) => (r.split('\t')[icmp] ?? '') === '').map((r) => Number(r.split('\t')[0]));
      const peer = await viewOf(name);
      assert.deepEqual(kept, peer.resets.map((r) => r.frame), name);
      if (name === 'ethernet-le-us.pcap') assert.equal(rows.length - kept.length, 1, 'the corpus has one ICMP error quoting a RST');
    }
  });

  test('the RSTs carry what the corpus put in them (a sanity check on the peer)', { skip: !hasTshark && 'tshark not installed' }, async () => {
    const peer = await viewOf('ethernet-le-us.pcap');
    const texts = peer.resets.map((r) => r.reason_text).filter((t) => t !== null);
    assert.ok(texts.includes('F5RST: no server selected'), 'the F5 reset cause');
    assert.ok(texts.includes('F5RST'), 'the F5 reset cause cut by the snaplen');
    assert.ok(peer.resets.some((r) => r.mptcp_reason?.code === 3 && r.mptcp_reason.flags === 1), 'MP_TCPRST administratively prohibited, transient');
    assert.ok(peer.resets.some((r) => r.src === '::ffff:192.0.2.1'), 'an IPv4-mapped IPv6 source');
    assert.ok(peer.resets.some((r) => r.payload_len === null), 'a RST in a first IPv6 fragment (no tcp.len)');
    const mixed = await viewOf('mixed-le.pcapng');
    assert.ok(mixed.resets.some((r) => r.ts_us === null), 'a RST in a simple packet block (no timestamp)');
  });
});

// ---------------------------------------------------------------------------------------------
// Cases where this whyreset and tshark 4.0 part ways (see the report of the session that wrote this)

describe('edge cases', () => {
  const tmp = tempDir('whyreset-tshark-edge-');
  after(() => tmp.remove());

  test('a RST whose TCP header the snaplen cut after the window field (16-19 of 20 bytes) is still listed', { skip: !hasTshark && 'tshark not installed' }, async () => {
    // tshark lists a RST as soon as the captured bytes reach the window field (16 bytes of TCP
    // header); a 96-byte snaplen does this to an IPv6 RST behind a 24-byte routing or AH header.
    const v4 = tcp4Frame({ src: '192.0.2.1', dst: '192.0.2.2', sport: 80, dport: 50000, seq: 7, ack: 8, flags: RST | ACK, win: 77, payload: new Uint8Array(5) });
    const v6 = tcp6Frame({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      sport: 443,
      dport: 50001,
      seq: 9,
      ack: 10,
      flags: RST | ACK,
      win: 0,
      extHeaders: [{ type: 'ah', spi: 1, seq: 1 }],
    });
    const records = [];
    for (let k = 14; k <= 20; k++) records.push({ ts: 1_700_000_000 + k, data: v4, caplen: 14 + 20 + k });
    records.push({ ts: 1_700_000_100, data: v6, caplen: 96 });
    const file = join(tmp.dir, 'cut-tcp.pcap');
    writeFileSync(file, writePcap(records));
    const [peer, report] = await Promise.all([tsharkView(file), analyze([file])]);
    assert.ok(peer.resets.length >= 5, 'tshark lists the cut RSTs');
    assertSameAsTshark(report, peer, 'cut-tcp.pcap');
  });

  test('pcapng custom blocks count as frames, as tshark numbers them', async (t) => {
    if (!hasTshark) return t.skip('tshark not installed');
    const rst = tcp4Frame({ src: '192.0.2.1', dst: '192.0.2.2', sport: 80, dport: 50000, seq: 7, ack: 8, flags: RST | ACK, win: 77 });
    const w = new PcapngWriter();
    w.section({});
    w.iface({ linkType: LINKTYPE_ETHERNET });
    w.epb({ ts: 1_700_000_000, data: rst });
    w.custom(true, 32473, Uint8Array.of(1, 2, 3, 4));
    w.epb({ ts: 1_700_000_001, data: rst });
    w.custom(false, 32473, Uint8Array.of(5, 6, 7, 8));
    w.epb({ ts: 1_700_000_002, data: rst });
    const file = join(tmp.dir, 'custom.pcapng');
    writeFileSync(file, w.toBytes());
    const [peer, report] = await Promise.all([tsharkView(file), analyze([file])]);
    assertSameAsTshark(report, peer, 'custom.pcapng');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Captures from a real kernel

/** The server: accepts on every address of its namespace, reads the request, aborts (SO_LINGER 0). */
const SERVER_PY = `
import socket, struct, threading
LINGER0 = struct.pack('ii', 1, 0)
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', 8080))
s.listen(64)
print('ready', flush=True)
def handle(c):
    try:
        c.settimeout(2)
        c.recv(100)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
`;

/** The client: per round and address, a closed port (kernel RST), a server abort, a client abort. */
const CLIENT_PY = `
import socket, struct, sys
LINGER0 = struct.pack('ii', 1, 0)
rounds = int(sys.argv[1])
for i in range(rounds):
    for addr in sys.argv[2:]:
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((addr, 9000 + i))
        except OSError:
            pass
        s.close()
        s = socket.create_connection((addr, 8080), timeout=2)
        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
        s = socket.create_connection((addr, 8080), timeout=2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        s.close()
print('done', flush=True)
`;
const ROUNDS = 3;
/** RSTs each (round, address) produces at least: the closed port's, the server's abort, the client's abort. */
const RSTS_PER_ROUND = 3;

function commandExists(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Resolves when `child` writes `text` to `stream` (or rejects when it exits or the time is up). */
function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', text: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" from ${child.spawnargs.join(' ')} after ${ms} ms: ${seen}`)), ms);
    child[stream]?.on('data', (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${child.spawnargs.join(' ')} exited (${code}) before "${text}": ${seen}`));
    });
  });
}

/** Stops a capture with SIGINT (tcpdump and dumpcap flush and close their files) and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface RealCaptures {
  /** Capture files by name. */
  files: Map<string, string>;
  /** The JSON report of `whyreset analyze - --format json` fed live from `tcpdump -w -`. */
  liveJson: string;
  liveStderr: string;
  liveCode: number | null;
  /** What each capture tool said on stderr (its packet and drop counts), by file name. */
  logs: Map<string, string>;
}

describe('captures from a real kernel: tcpdump and dumpcap in network namespaces', () => {
  const tag = `wr${process.pid}`;
  const nsClient = `${tag}c`;
  const nsServer = `${tag}s`;
  const vethClient = `${tag}a`;
  const vethServer = `${tag}b`;
  const children: ChildProcess[] = [];
  const tmp = tempDir('whyreset-real-');
  let skipReason: string | null = null;
  let namespaces = false;
  let real: RealCaptures | null = null;
  let setupError: Error | null = null;

  if (process.getuid?.() !== 0) skipReason = 'not root: network namespaces and tcpdump need it';
  else if (!hasTshark) skipReason = 'tshark not installed';
  else if (!commandExists('tcpdump')) skipReason = 'tcpdump not installed';
  else if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).error) skipReason = 'iproute2 (ip) not installed';
  if (skipReason) console.log(`# real-kernel captures skipped: ${skipReason}`);

  const inNs = (ns: string, cmd: string, args: string[], stdio: 'pipe' | 'ignore' = 'pipe'): ChildProcess => {
    // `ip netns exec` execs the command, so the child's pid is tcpdump's / python's own.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', stdio, 'pipe'] });
    children.push(child);
    return child;
  };

  before(async () => {
    if (skipReason) return;
    try {
      ip('netns', 'add', nsClient);
    } catch (err) {
      skipReason = `cannot create a network namespace here (${(err as Error).message.trim()})`;
      console.log(`# real-kernel captures skipped: ${skipReason}`);
      return;
    }
    namespaces = true;
    try {
      real = await capture();
    } catch (err) {
      setupError = err as Error;
    }
  });

  async function capture(): Promise<RealCaptures> {
    ip('netns', 'add', nsServer);
    ip('link', 'add', vethClient, 'netns', nsClient, 'type', 'veth', 'peer', 'name', vethServer, 'netns', nsServer);
    for (const [ns, dev, v4, v6] of [
      [nsClient, vethClient, '10.77.0.1/24', 'fd77::1/64'],
      [nsServer, vethServer, '10.77.0.2/24', 'fd77::2/64'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'addr', 'add', v4, 'dev', dev);
      ip('-n', ns, 'addr', 'add', v6, 'dev', dev, 'nodad');
    }
    const files = new Map<string, string>();
    const file = (name: string) => {
      const p = join(tmp.dir, name);
      files.set(name, p);
      return p;
    };
    // The captures, all on the server's side.
    const captures: ChildProcess[] = [];
    const ready: Promise<void>[] = [];
    const logs = new Map<string, string>();
    const logTo = (name: string, c: ChildProcess) => c.stderr?.on('data', (b: Buffer) => logs.set(name, (logs.get(name) ?? '') + b.toString()));
    const tcpdump = (name: string, args: string[]) => {
      // --immediate-mode: with TPACKET_V3, packets wait in a ring block until it retires (1 s),
      // and a block still open at SIGINT is lost; immediate mode hands each packet on at once,
      // but from a ring of snaplen-sized slots: -B 32 MiB makes it 128 slots, so bursts on lo
      // are not dropped.
      const c = inNs(nsServer, 'tcpdump', ['-n', '-U', '--immediate-mode', '-B', '32768', ...args, '-w', name === 'veth-pipe.pcap.gz' ? '-' : file(name)]);
      logTo(name, c);
      captures.push(c);
      ready.push(waitFor(c, 'stderr', 'listening on'));
      return c;
    };
    tcpdump('any-sll2.pcap', ['-i', 'any', '-y', 'LINUX_SLL2']);
    tcpdump('any-sll.pcap', ['-i', 'any', '-y', 'LINUX_SLL']);
    tcpdump('veth.pcap', ['-i', vethServer]);
    tcpdump('veth-ns.pcap', ['-i', vethServer, '--time-stamp-precision=nano']);
    // tcpdump's historic default snaplen: IPv4 RSTs keep 34 TCP bytes, IPv6 ones only 14.
    tcpdump('veth-s68.pcap', ['-i', vethServer, '-s', '68']);
    // `tcpdump -w - | whyreset analyze -`, live, and the same bytes gzip'd to a file.
    const piped = tcpdump('veth-pipe.pcap.gz', ['-i', vethServer]);
    const live = spawnCli(['analyze', '-', '--format', 'json']);
    children.push(live);
    const liveDone = finish(live, 60_000);
    live.stdin?.on('error', () => {});
    const gzip = createGzip();
    const gzFile = createWriteStream(file('veth-pipe.pcap.gz'));
    const gzClosed = once(gzFile, 'close');
    gzip.pipe(gzFile);
    piped.stdout?.on('data', (b: Buffer) => {
      gzip.write(b);
      live.stdin?.write(b);
    });
    piped.stdout?.on('end', () => {
      gzip.end();
      live.stdin?.end();
    });
    if (commandExists('dumpcap')) {
      const d = inNs(nsServer, 'dumpcap', ['-q', '-B', '32', '-i', vethServer, '-i', 'any', '-w', file('dumpcap.pcapng')]);
      logTo('dumpcap.pcapng', d);
      captures.push(d);
      ready.push(waitFor(d, 'stderr', 'Capturing on'));
    }
    await Promise.all(ready);
    await new Promise((r) => setTimeout(r, 300)); // the capture sockets are bound; let the rings settle

    const server = inNs(nsServer, '/usr/bin/python3', ['-c', SERVER_PY]);
    await waitFor(server, 'stdout', 'ready');
    // Clients: across the veth (v4 and v6), and on the server's loopback (seen by -i any only).
    const clients = [
      inNs(nsClient, '/usr/bin/python3', ['-c', CLIENT_PY, String(ROUNDS), '10.77.0.2', 'fd77::2']),
      inNs(nsServer, '/usr/bin/python3', ['-c', CLIENT_PY, String(ROUNDS), '127.0.0.1', '::1']),
    ];
    const results = await Promise.all(clients.map((c) => finish(c, 30_000)));
    for (const r of results) assert.equal(r.stdout.trim(), 'done', `client failed: ${r.stderr}`);
    // The last RSTs reach the captures; dumpcap has no immediate mode: let its ring blocks retire (1 s).
    await new Promise((r) => setTimeout(r, 1200));
    await Promise.all(captures.map(stop));
    await stop(server);
    await gzClosed;
    const l = await liveDone;
    return { files, liveJson: l.stdout, liveStderr: l.stderr, liveCode: l.code, logs };
  }

  /** Ends what this suite started (by pid) and removes its namespaces; safe to call twice. */
  const cleanUp = (): void => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    if (namespaces) {
      spawnSync('ip', ['netns', 'del', nsClient], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', nsServer], { stdio: 'ignore' });
      namespaces = false;
    }
  };
  // Also on exit: if the run is cut short, `after` may never come.
  process.once('exit', cleanUp);
  after(() => {
    cleanUp();
    if (process.env.WHYRESET_KEEP_CAPTURES) console.log(`# real captures kept in ${tmp.dir}`);
    else tmp.remove();
  });

  /** The capture's path, or a skip when the environment cannot make it. */
  const need = (t: { skip(reason: string): void }, name: string): string | null => {
    if (skipReason) {
      t.skip(skipReason);
      return null;
    }
    if (setupError) throw setupError;
    const p = real?.files.get(name);
    if (!p) {
      t.skip(`${name} was not captured (dumpcap not installed?)`);
      return null;
    }
    return p;
  };

  const cases: [name: string, linktypes: number[], minResets: number][] = [
    ['veth.pcap', [LINKTYPE_ETHERNET], 2 * ROUNDS * RSTS_PER_ROUND],
    ['veth-ns.pcap', [LINKTYPE_ETHERNET], 2 * ROUNDS * RSTS_PER_ROUND],
    ['any-sll2.pcap', [LINKTYPE_LINUX_SLL2], 4 * ROUNDS * RSTS_PER_ROUND],
    ['any-sll.pcap', [LINKTYPE_LINUX_SLL], 4 * ROUNDS * RSTS_PER_ROUND],
    ['veth-pipe.pcap.gz', [LINKTYPE_ETHERNET], 2 * ROUNDS * RSTS_PER_ROUND],
    ['veth-s68.pcap', [LINKTYPE_ETHERNET], ROUNDS * RSTS_PER_ROUND],
    ['dumpcap.pcapng', [], 6 * ROUNDS * RSTS_PER_ROUND],
  ];
  for (const [name, linktypes, minResets] of cases) {
    test(`${name}: the same RSTs as tshark`, async (t) => {
      const path = need(t, name);
      if (!path) return;
      const [peer, report] = await Promise.all([tsharkView(path), analyze([path])]);
      const input = report.inputs[0];
      assert.ok(input);
      assert.deepEqual(input.errors, [], 'a capture tcpdump closed cleanly has no errors');
      if (linktypes.length > 0) assert.deepEqual(input.linktypes, linktypes);
      else assert.ok(input.linktypes.includes(LINKTYPE_ETHERNET) && input.linktypes.length === 2, `two interfaces: ${input.linktypes}`);
      assert.ok(report.resets.length >= minResets, `${report.resets.length} RSTs, expected at least ${minResets}; the capture said: ${real?.logs.get(name)}`);
      // The kernel's answer to a SYN on a closed port is there.
      assert.ok(
        report.resets.some((r) => r.src === '10.77.0.2' && r.sport === 9000 && r.flags.join() === 'RST,ACK'),
        'RST|ACK from the closed port 9000',
      );
      // At a 68-byte snaplen an IPv6 RST keeps 14 TCP bytes: no flags for either tool.
      if (name !== 'veth-s68.pcap') assert.ok(report.resets.some((r) => r.src === 'fd77::2' && r.dst === 'fd77::1'), 'an IPv6 RST');
      assertSameAsTshark(report, peer, name);
    });
  }

  test('tcpdump -w - | whyreset analyze - (live pipe) lists the same RSTs as tshark', async (t) => {
    const path = need(t, 'veth-pipe.pcap.gz');
    if (!path || !real) return;
    assert.equal(real.liveCode, 0, `exit code; stderr: ${real.liveStderr}`);
    const report = JSON.parse(real.liveJson) as Report;
    assert.equal(report.inputs[0]?.path, '-');
    assert.equal(report.inputs[0]?.compressed, false);
    assertSameAsTshark(report, await tsharkView(path), 'live pipe');
  });

  test('cat capture | whyreset analyze - --format json, plain and gzip, matches tshark', async (t) => {
    const gz = need(t, 'veth-pipe.pcap.gz');
    const sll2 = need(t, 'any-sll2.pcap');
    if (!gz || !sll2) return;
    for (const [path, compressed] of [
      [gz, true],
      [sll2, false],
    ] as const) {
      const r = await runCli(['analyze', '-', '--format', 'json'], { input: readFileSync(path) });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.inputs[0]?.compressed, compressed);
      assertSameAsTshark(report, await tsharkView(path), `stdin ${path}`);
    }
  });
});
