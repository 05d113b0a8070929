/**
 * The lab's pure parts, no root needed: where a reset must appear and with which TTL, how
 * captured RSTs are matched to expectations, argument parsing, and the tshark line parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/decode/packet.js';
import { type ResetExpectation, appearancesOf } from '../../src/lab/expect.js';
import { parseLabArgs } from '../../src/lab/main.js';
import { type CapturedReset, flagBits, flagNames, parseTsharkLine } from '../../src/lab/resets.js';
import { SCENARIOS } from '../../src/lab/scenarios/index.js';
import { namespaceNames } from '../../src/lab/topology.js';
import { verifyResets } from '../../src/lab/verify.js';

const SERVER = '10.77.2.2';
const CLIENT = '10.77.1.2';

function expectation(over: Partial<ResetExpectation> = {}): ResetExpectation {
  return {
    id: 'server-refuses-syn',
    sentBy: 'server',
    component: 'kernel_tcp',
    src: SERVER,
    dst: CLIENT,
    sport: 9,
    flags: TCP_RST | TCP_ACK,
    ttl: 128,
    count: [1, 1],
    stage: 'handshake',
    cause: 'port_closed',
    verdict: 'genuine',
    origin: 'resp',
    why: 'test',
    ...over,
  };
}

function rst(frame: number, ttl: number, over: Partial<CapturedReset> = {}): CapturedReset {
  return { frame, src: SERVER, sport: 9, dst: CLIENT, dport: 40000, flags: TCP_RST | TCP_ACK, ttl, seq: 0, ack: 1, ...over };
}

describe('appearancesOf', () => {
  test('a server RST to the client: 128 at the server, 128 then 127 at the router, 127 at the client', () => {
    assert.deepEqual(appearancesOf(expectation()), { server: [128], router: [128, 127], client: [127] });
  });
  test('a router-made RST in the server\'s name: the router\'s TTL at the router and at the client', () => {
    assert.deepEqual(appearancesOf(expectation({ sentBy: 'router', ttl: 255 })), { router: [255], client: [255] });
  });
  test('the injector sends from the router with its own TTL', () => {
    assert.deepEqual(appearancesOf(expectation({ sentBy: 'injector', ttl: 126 })), { router: [126], client: [126] });
  });
  test('a client RST to the router\'s own address stops there', () => {
    assert.deepEqual(appearancesOf(expectation({ sentBy: 'client', src: CLIENT, dst: '10.77.1.1', ttl: 64 })), { client: [64], router: [64] });
  });
  test('a packet dropped by the router is seen coming in only', () => {
    assert.deepEqual(appearancesOf(expectation({ reach: 'router' })), { server: [128], router: [128] });
  });
});

describe('verifyResets', () => {
  test('one RST seen at every point: verified, four labels with directions', () => {
    const v = verifyResets([expectation()], { server: [rst(5, 128)], router: [rst(8, 128), rst(9, 127)], client: [rst(6, 127)] });
    assert.deepEqual(v.problems, []);
    assert.deepEqual(
      v.labels.map((l) => [l.capture, l.frame, l.direction]),
      [
        ['client', 6, 'in'],
        ['router', 8, 'in'],
        ['router', 9, 'out'],
        ['server', 5, 'out'],
      ],
    );
    assert.deepEqual(v.counts.router, { labelled: 2, found: 2 });
  });
  test('an RST nobody expected fails the scenario', () => {
    const v = verifyResets([expectation()], {
      server: [rst(5, 128)],
      router: [rst(8, 128), rst(9, 127)],
      client: [rst(6, 127), rst(7, 64, { src: CLIENT, dst: SERVER })],
    });
    assert.equal(v.problems.length, 1);
    assert.match(v.problems[0] ?? '', /unlabelled RST at client frame 7/);
  });
  test('an expected RST missing at one point fails the scenario', () => {
    const v = verifyResets([expectation()], { server: [rst(5, 128)], router: [rst(8, 128)], client: [rst(6, 127)] });
    assert.ok(v.problems.some((p) => /expected 1 at router/.test(p)));
    assert.ok(v.problems.some((p) => /not the same packets/.test(p)));
  });
  test('a TTL that does not fit the sender is not matched (a forged RST is not the server\'s)', () => {
    const v = verifyResets([expectation()], { server: [], router: [rst(3, 255)], client: [rst(4, 255)] });
    assert.equal(v.labels.length, 0);
    assert.ok(v.problems.some((p) => /unlabelled RST at client frame 4/.test(p)));
  });
  test('count ranges allow optional resets (min 0)', () => {
    const v = verifyResets([expectation({ count: [0, 3] })], { server: [], router: [], client: [] });
    assert.deepEqual(v.problems, []);
  });
});

describe('flags and readers', () => {
  test('flag names in bit order', () => {
    assert.deepEqual(flagNames(TCP_RST | TCP_ACK), ['RST', 'ACK']);
    assert.deepEqual(flagNames(TCP_SYN | TCP_RST), ['SYN', 'RST']);
    assert.equal(flagBits(['RST', 'ACK']), TCP_RST | TCP_ACK);
  });
  test('a tshark fields line (IPv6)', () => {
    const line = ['4', '', 'fd77:2::2', '9', '', 'fd77:1::2', '40000', '0x0014', '', '127', '0', '12345'].join('\t');
    assert.deepEqual(parseTsharkLine(line), {
      frame: 4,
      src: 'fd77:2::2',
      sport: 9,
      dst: 'fd77:1::2',
      dport: 40000,
      flags: TCP_RST | TCP_ACK,
      ttl: 127,
      seq: 0,
      ack: 12345,
    });
  });
});

describe('whyreset lab arguments', () => {
  test('defaults: every scenario into lab-out', () => {
    const a = parseLabArgs([]);
    assert.ok(typeof a !== 'string');
    assert.equal(a.outDir, 'lab-out');
    assert.equal(a.scenarios.length, SCENARIOS.length);
  });
  test('repeatable --scenario, TTLs, idle', () => {
    const a = parseLabArgs(['--scenario', 'closed-port', '--scenario', 'fast-close', '--ttl-server', '200', '--idle', '3', '--out', 'x']);
    assert.ok(typeof a !== 'string');
    assert.deepEqual(
      a.scenarios.map((s) => s.name),
      ['closed-port', 'fast-close'],
    );
    assert.deepEqual(a.ttl, { server: 200 });
    assert.equal(a.settings.idleSeconds, 3);
  });
  test('usage errors are one line', () => {
    assert.match(String(parseLabArgs(['--scenario', 'nope'])), /unknown scenario "nope"/);
    assert.match(String(parseLabArgs(['--ttl-client', '300'])), /--ttl-client needs an integer/);
    assert.match(String(parseLabArgs(['--bogus'])), /unknown option/);
  });
  test('scenario names are unique and namespace names carry the pid', () => {
    assert.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length);
    assert.deepEqual(namespaceNames(123, 4), { client: 'wr123-4-c', router: 'wr123-4-r', server: 'wr123-4-s' });
  });
});
