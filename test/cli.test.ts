/**
 * The command line as a user runs it: `node bin/whyreset.js analyze FILE... [--format …] [--out
 * FILE]` in a child process, checked against DESIGN.md's contract — exit codes (0 analysed,
 * 1 analysed with input errors, 2 usage error or unreadable input), the JSON shape and Reset
 * fields, ndjson's "type" per line, `-` for stdin (plain and gzip), several files in one call,
 * damaged input reported with its byte offset and everything before the damage kept, one-line
 * messages and never a stack trace, `--out`, no colour when stdout is not a terminal, `--help`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Report, type Reset, analyze } from '../src/index.js';
import { REPO_ROOT, runCli, tempDir } from './helpers/run.js';
import { captureLayout, corpusCaptures, corpusGroups } from './helpers/tshark.js';

/** "addr:port", brackets around IPv6. */
function endpointOf(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** DESIGN.md's Reset fields. */
const RESET_FIELDS = [
  'id',
  'ts',
  'capture',
  'frame',
  'conn',
  'src',
  'sport',
  'dst',
  'dport',
  'from',
  'flags',
  'ttl',
  'ip_id',
  'seq',
  'ack',
  'win',
  'payload_len',
  'stage',
  'cause',
  'verdict',
  'origin',
  'confidence',
  'evidence',
  'signature',
  'hint',
  'reason_text',
  'mptcp_reason',
];
/** DESIGN.md's Connection fields. */
const CONNECTION_FIELDS = [
  'id',
  'ts',
  'orig_h',
  'orig_p',
  'resp_h',
  'resp_p',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'orig_pkts',
  'resp_pkts',
  'conn_state',
  'history',
  'resets',
  'capture',
];
const INPUT_FIELDS = ['path', 'format', 'linktypes', 'packets', 'bytes', 'first_ts', 'last_ts', 'errors'];
const SUMMARY_FIELDS = ['packets', 'tcp_packets', 'connections', 'resets', 'by_stage', 'by_cause', 'by_verdict'];
/** DESIGN.md's vocabulary (null while a reset is not explained). */
const STAGES = ['handshake', 'established', 'data', 'teardown', 'midstream'];
const CAUSES = [
  'port_closed',
  'accept_queue_overflow',
  'port_reuse',
  'malformed_syn',
  'firewall_reject',
  'scan_probe',
  'handshake_abort',
  'retransmission_timeout',
  'idle_timeout',
  'application_abort',
  'data_after_close',
  'fast_close',
  'middlebox_injected',
  'stale_connection',
  'unexplained',
];
const VERDICTS = ['genuine', 'forged', 'suspect'];
const ORIGINS = ['orig', 'resp', 'middlebox', 'unknown'];

/** A reset without what depends on where the capture came from (its path or position). */
/**
 * A reset as JSON writes it, without its capture index: a library reset always owns `parent` and
 * `duplicates`, undefined when it has none (docs/contract.md), and JSON leaves undefined members out.
 */
function portable(r: Reset): Omit<Reset, 'capture'> {
  const { capture: _capture, ...rest } = r;
  return JSON.parse(JSON.stringify(rest)) as Omit<Reset, 'capture'>;
}

/** Resets in frame order (a reset is emitted when its connection's story ends, not in frame order). */
const byFrame = (rs: readonly Reset[]) => [...rs].sort((a, b) => a.capture - b.capture || a.frame - b.frame);

/** Asserts that stderr is one `whyreset: …` line with no stack trace. */
function assertOneLineMessage(stderr: string, mentions: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0] ?? '', /^whyreset: /);
  assert.ok((lines[0] ?? '').includes(mentions), `"${mentions}" in: ${lines[0]}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

describe('whyreset analyze on the command line', { concurrency: 2 }, () => {
  const tmp = tempDir('whyreset-cli-');
  const all = corpusCaptures();
  const bytesOf = (name: string): Uint8Array => {
    const c = all.find((x) => x.name === name);
    if (!c) throw new Error(`no corpus capture ${name}`);
    return c.bytes;
  };
  const path = (name: string) => join(tmp.dir, name);
  /** The library's report of each capture, to compare the CLI with. */
  const library = new Map<string, Report>();

  before(async () => {
    for (const name of ['ethernet-le-us.pcap', 'mixed-le.pcapng', 'mixed-be.pcapng.gz', 'sll2-be-ns.pcap']) {
      writeFileSync(path(name), bytesOf(name));
      library.set(name, await analyze([path(name)]));
    }
    writeFileSync(path('notes.txt'), 'these are not the packets you are looking for\n');
    writeFileSync(path('empty.pcap'), new Uint8Array(0));
  });
  after(() => tmp.remove());

  test('--format json: exit 0, the Report of DESIGN.md, the same resets as the library', async () => {
    const r = await runCli(['analyze', path('ethernet-le-us.pcap'), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(Object.keys(report).sort(), ['connections', 'inputs', 'patterns', 'resets', 'summary', 'tool']);
    assert.equal(report.tool.name, 'whyreset');
    assert.equal(report.tool.version, JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const input = report.inputs[0];
    assert.ok(input);
    for (const f of INPUT_FIELDS) assert.ok(f in input, `inputs[0].${f}`);
    assert.equal(input.format, 'pcap');
    assert.deepEqual(input.linktypes, [1]);
    assert.deepEqual(input.errors, []);
    for (const f of SUMMARY_FIELDS) assert.ok(f in report.summary, `summary.${f}`);
    assert.equal(report.summary.resets, report.resets.length);
    assert.ok(report.resets.length > 10);
    for (const reset of report.resets) {
      assert.deepEqual(Object.keys(reset).filter((k) => RESET_FIELDS.includes(k)).sort(), [...RESET_FIELDS].sort(), `reset ${reset.id} fields`);
      assert.equal(reset.capture, 0);
      assert.ok(reset.flags.includes('RST'));
      assert.ok(reset.stage === null || STAGES.includes(reset.stage), `stage ${reset.stage}`);
      assert.ok(reset.cause === null || CAUSES.includes(reset.cause), `cause ${reset.cause}`);
      assert.ok(reset.verdict === null || VERDICTS.includes(reset.verdict), `verdict ${reset.verdict}`);
      assert.ok(reset.origin === null || ORIGINS.includes(reset.origin), `origin ${reset.origin}`);
      assert.ok(Array.isArray(reset.evidence));
    }
    for (const c of report.connections) {
      for (const f of CONNECTION_FIELDS) assert.ok(f in c, `connection ${c.id} lacks ${f}`);
    }
    // The frame and time of a known reset: Wireshark's frame number, epoch seconds with microseconds.
    const f5 = report.resets.find((x) => x.reason_text === 'F5RST: no server selected');
    assert.ok(f5, 'the F5 reset text');
    const frames = corpusGroups().find((g) => g.name === 'ethernet')?.frames ?? [];
    const at = frames.findIndex((f) => f.note === 'v4 F5 RST');
    assert.equal(f5.frame, at + 1);
    assert.equal(f5.ts, Number((frames[at]?.tsNanos ?? 0n) / 1000n) / 1e6);
    const lib = library.get('ethernet-le-us.pcap');
    assert.ok(lib);
    assert.deepEqual(byFrame(report.resets).map(portable), byFrame(lib.resets).map(portable), 'the CLI reports what analyze() reports');
    // The library's resets own `parent` and `duplicates` (one map for every reset), undefined when
    // absent; the JSON report leaves those out.
    for (const x of lib.resets) assert.ok(Object.hasOwn(x, 'parent') && Object.hasOwn(x, 'duplicates'), `reset ${x.id} owns parent and duplicates`);
    const plain = lib.resets.find((x) => x.parent === undefined && x.duplicates === undefined);
    assert.ok(plain, 'a reset with neither');
    const written = report.resets.find((x) => x.frame === plain.frame);
    assert.ok(written);
    assert.ok(!('parent' in written) && !('duplicates' in written), 'the JSON report writes no undefined member');
  });

  test('--format ndjson: every line is an object with a "type"', async () => {
    const r = await runCli(['analyze', path('mixed-le.pcapng'), '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const objects = lines.map((l) => JSON.parse(l) as { type?: string } & Record<string, unknown>);
    const types = new Map<string, number>();
    for (const o of objects) {
      assert.equal(typeof o.type, 'string', JSON.stringify(o).slice(0, 200));
      types.set(o.type as string, (types.get(o.type as string) ?? 0) + 1);
    }
    assert.ok([...types.keys()].every((t) => ['input', 'reset', 'connection', 'pattern', 'summary'].includes(t)), [...types.keys()].join());
    const lib = library.get('mixed-le.pcapng');
    assert.ok(lib);
    assert.equal(types.get('reset'), lib.resets.length);
    assert.equal(types.get('connection') ?? 0, lib.connections.length);
    assert.equal(types.get('summary'), 1);
    const resets = objects.filter((o) => o.type === 'reset');
    for (const reset of resets) for (const f of RESET_FIELDS) assert.ok(f in reset, `ndjson reset lacks ${f}`);
  });

  test('--format text: grouped by cause and server with counts; --verbose lists every reset with its evidence; no ANSI escapes in a pipe', async () => {
    const r = await runCli(['analyze', path('ethernet-le-us.pcap')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour in a pipe');
    const lib = library.get('ethernet-le-us.pcap');
    assert.ok(lib);
    // Every (cause, server) pair has a group line with its count, and every cause a table row.
    const groups = new Map<string, number>();
    for (const reset of lib.resets) {
      const server = reset.from === 'resp' ? endpointOf(reset.src, reset.sport) : endpointOf(reset.dst, reset.dport);
      const key = `${reset.cause} → ${server}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    // The 8 largest groups are shown, the rest counted on one line.
    const shownGroups = [...groups].filter(([key, n]) => r.stdout.includes(`${n}× ${key}`));
    assert.equal(shownGroups.length, Math.min(8, groups.size), `groups shown in:\n${r.stdout}`);
    const largest = Math.max(...groups.values());
    assert.ok(shownGroups.some(([, n]) => n === largest), 'the largest group is shown');
    if (groups.size > 8) assert.match(r.stdout, new RegExp(`in ${groups.size - 8} more groups`));
    for (const [cause, n] of Object.entries(lib.summary.by_cause)) assert.match(r.stdout, new RegExp(`\\n  ${cause} +${n} `), `${cause} row`);
    const verbose = await runCli(['analyze', path('ethernet-le-us.pcap'), '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    for (const reset of lib.resets) {
      const src = endpointOf(reset.src, reset.sport);
      assert.ok(verbose.stdout.includes(`${reset.id}  frame ${reset.frame} `), `reset ${reset.id} in frame ${reset.frame} listed`);
      assert.ok(verbose.stdout.includes(`${src} → `), `${src} listed`);
      for (const e of reset.evidence) assert.ok(verbose.stdout.includes(`- ${e.code}: ${e.detail}`), `${reset.id} evidence ${e.code}`);
    }
    // FORCE_COLOR now asks for colour through a pipe (issue 16: `| less -R`, test/hardening/colour.test.ts);
    // --color never still wins over it.
    const forced = await runCli(['analyze', path('ethernet-le-us.pcap'), '--color', 'never'], { env: { FORCE_COLOR: '1' } });
    assert.doesNotMatch(forced.stdout, /\x1b\[/);
  });

  test('"-" reads a capture from stdin, plain and gzip', async () => {
    for (const name of ['sll2-be-ns.pcap', 'mixed-be.pcapng.gz']) {
      const r = await runCli(['analyze', '-', '--format', 'json'], { input: readFileSync(path(name)) });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.inputs[0]?.path, '-');
      assert.equal(report.inputs[0]?.compressed, name.endsWith('.gz'));
      const lib = library.get(name);
      assert.ok(lib);
      assert.deepEqual(byFrame(report.resets).map(portable), byFrame(lib.resets).map(portable), name);
    }
    // gzip'd on the fly, as `gzip -c f | whyreset analyze -` does.
    const r = await runCli(['analyze', '-', '--format', 'json'], { input: gzipSync(readFileSync(path('ethernet-le-us.pcap'))) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Report).resets.length, library.get('ethernet-le-us.pcap')?.resets.length);
  });

  test('several files in one call: one input each, resets carry their capture index', async () => {
    const names = ['ethernet-le-us.pcap', 'mixed-be.pcapng.gz', 'sll2-be-ns.pcap'];
    const r = await runCli(['analyze', ...names.map(path), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      report.inputs.map((i) => i.path),
      names.map(path),
    );
    let total = 0;
    names.forEach((name, index) => {
      const lib = library.get(name);
      assert.ok(lib);
      const mine = report.resets.filter((x) => x.capture === index);
      assert.deepEqual(
        byFrame(mine).map((x) => [x.frame, x.src, x.sport, x.dst, x.dport, x.seq, x.ack]),
        byFrame(lib.resets).map((x) => [x.frame, x.src, x.sport, x.dst, x.dport, x.seq, x.ack]),
        `${name} (capture ${index})`,
      );
      assert.equal(report.inputs[index]?.packets, lib.inputs[0]?.packets);
      total += lib.resets.length;
    });
    assert.equal(report.resets.length, total);
    assert.equal(report.summary.resets, total);
    // The text table names the capture of each frame.
    const text = await runCli(['analyze', ...names.map(path)]);
    assert.equal(text.code, 0, text.stderr);
    for (const name of names) assert.ok(text.stdout.includes(path(name)), `${name} in the text report`);
  });

  test('a truncated capture: exit 1, the file and byte offset on stderr, every reset before the cut', async () => {
    for (const [name, gzip] of [
      ['ethernet-le-us.pcap', false],
      ['mixed-le.pcapng', false],
      ['mixed-le.pcapng', true],
    ] as const) {
      const full = bytesOf(name);
      const { recordEnd, pieces } = captureLayout(full);
      // Cut 10 bytes into a packet record two thirds of the way through the file.
      const packets = pieces.filter((p) => p.type === 0 || p.type === 6 || p.type === 2);
      const victim = packets[Math.floor((packets.length * 2) / 3)];
      assert.ok(victim);
      const cut = victim.start + 10;
      const file = path(`cut-${name}${gzip ? '.gz' : ''}`);
      writeFileSync(file, gzip ? gzipSync(full.subarray(0, cut)) : full.subarray(0, cut));
      const r = await runCli(['analyze', file, '--format', 'json']);
      assert.equal(r.code, 1, `${file}: exit code; stderr: ${r.stderr}`);
      assert.ok(r.stderr.includes(file), `${file}: stderr names the file: ${r.stderr}`);
      const offsets = [...r.stderr.matchAll(/offset (\d+)/g)].map((m) => Number(m[1]));
      assert.ok(
        offsets.some((o) => o >= victim.start && o <= cut),
        `${file}: stderr gives the offset of the cut record (${victim.start}..${cut}): ${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      const report = JSON.parse(r.stdout) as Report;
      assert.ok((report.inputs[0]?.errors.length ?? 0) > 0, 'inputs[0].errors lists the damage');
      const lib = library.get(name);
      assert.ok(lib);
      const before = lib.resets.filter((x) => (recordEnd[x.frame] ?? Number.POSITIVE_INFINITY) <= cut);
      assert.ok(before.length > 5, 'resets before the cut');
      const got = new Set(report.resets.map((x) => `${x.frame} ${x.src} ${x.sport} ${x.seq} ${x.ack} ${x.ts}`));
      for (const x of before) assert.ok(got.has(`${x.frame} ${x.src} ${x.sport} ${x.seq} ${x.ack} ${x.ts}`), `${file}: reset in frame ${x.frame} kept`);
    }
  });

  test('not a capture: a text file or an empty file exits 2 with one line and no stack trace', async () => {
    for (const [name, says] of [
      ['notes.txt', 'notes.txt'],
      ['empty.pcap', 'empty'],
    ]) {
      const r = await runCli(['analyze', path(name ?? '')]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assertOneLineMessage(r.stderr, says ?? '');
    }
    const stdin = await runCli(['analyze', '-'], { input: new TextEncoder().encode('hello\n') });
    assert.equal(stdin.code, 2);
    assertOneLineMessage(stdin.stderr, '-');
  });

  test('a missing file exits 2 with one line naming it', async () => {
    const missing = path('no-such-capture.pcap');
    const r = await runCli(['analyze', missing]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assertOneLineMessage(r.stderr, missing);
    // Beside a readable capture: that one is still reported, and the exit code says something was unreadable.
    const both = await runCli(['analyze', path('ethernet-le-us.pcap'), missing, '--format', 'json']);
    assert.equal(both.code, 2);
    assert.ok(both.stderr.includes(missing));
    assert.equal((JSON.parse(both.stdout) as Report).resets.length, library.get('ethernet-le-us.pcap')?.resets.length);
  });

  test('usage errors exit 2: unknown option, unknown format, no capture, unknown command', async () => {
    const cases: [string[], RegExp][] = [
      [['analyze', path('ethernet-le-us.pcap'), '--no-such-option'], /no-such-option/],
      [['analyze', path('ethernet-le-us.pcap'), '--format', 'xml'], /xml/],
      [['analyze'], /capture/],
      [['frobnicate'], /frobnicate/],
    ];
    await Promise.all(
      cases.map(async ([args, says]) => {
        const r = await runCli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, says, args.join(' '));
        assert.doesNotMatch(r.stderr, /^\s+at /m);
        assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
      }),
    );
  });

  test('--out FILE writes the report there and nothing to stdout', async () => {
    const out = path('report.json');
    const r = await runCli(['analyze', path('mixed-be.pcapng.gz'), '--format', 'json', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.resets.length, library.get('mixed-be.pcapng.gz')?.resets.length);
    const text = path('report.txt');
    const t = await runCli(['analyze', path('ethernet-le-us.pcap'), '-o', text]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, '');
    assert.doesNotMatch(readFileSync(text, 'utf8'), /\x1b\[/, 'no colour in a file');
  });

  test('--help and --version exit 0', async () => {
    for (const args of [['--help'], ['analyze', '--help'], ['-h']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage/, args.join(' '));
      assert.equal(r.stderr, '');
    }
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });
});
