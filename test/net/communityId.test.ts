/**
 * Community ID v1 against the spec's published baselines (corelight/community-id-spec,
 * baseline/baseline_deflt.json and baseline_seed1.json; the same values are in
 * corelight/pycommunityid tests/communityid_test.py), both directions of each flow.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/index.js';
import { addressBytes, communityId, tcpCommunityId } from '../../src/net/communityId.js';
import { REPO_ROOT } from '../helpers/run.js';
import { hasTshark } from '../helpers/tshark.js';

/** [proto, saddr, daddr, sport, dport, seed 0, seed 1] from the spec's baselines. */
const VECTORS: [number, string, string, number | null, number | null, string, string][] = [
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  // Same addresses' order decided by the ports (equal ports here: either order gives one ID).
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  // A protocol without ports (46, RSVP): the hash stops after the padding byte.
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
];

test('community ID: the spec baselines, seed 0 and seed 1, both directions', () => {
  for (const [proto, src, dst, sport, dport, seed0, seed1] of VECTORS) {
    assert.equal(communityId({ proto, src, dst, sport, dport }), seed0, `${src} ${dst} seed 0`);
    assert.equal(communityId({ proto, src, dst, sport, dport }, 1), seed1, `${src} ${dst} seed 1`);
  }
});

test('community ID: pycommunityid issue 3 (a port whose low byte sorts the other way)', () => {
  assert.equal(tcpCommunityId('10.0.0.1', 10, '10.0.0.2', 11569), '1:SXBGMX1lBOwhhoDrZynfROxnhnM=');
});

test('community ID: same address both ends, ordered by port', () => {
  assert.equal(tcpCommunityId('127.0.0.1', 40000, '127.0.0.1', 80), tcpCommunityId('127.0.0.1', 80, '127.0.0.1', 40000));
  assert.notEqual(tcpCommunityId('127.0.0.1', 40000, '127.0.0.1', 80), tcpCommunityId('127.0.0.1', 40001, '127.0.0.1', 80));
});

test('addressBytes: IPv4, IPv6 with "::" and a dotted tail, and what is not an address', () => {
  assert.deepEqual([...(addressBytes('10.1.2.3') ?? [])], [10, 1, 2, 3]);
  assert.deepEqual([...(addressBytes('::1') ?? [])], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...(addressBytes('::ffff:192.0.2.1') ?? [])], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
  assert.deepEqual([...(addressBytes('fe80::1%eth0') ?? [])].slice(0, 2), [0xfe, 0x80]);
  for (const bad of ['10.1.2', '10.1.2.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', 'host.example']) assert.equal(addressBytes(bad), null, bad);
  assert.equal(tcpCommunityId('10.0.0.1', 1, '::1', 2), null, 'mixed families');
});

test('community ID: every reset of the lab captures carries the ID Wireshark computes for its frame', async (t) => {
  if (!hasTshark) {
    t.skip('tshark is not installed');
    return;
  }
  const dir = join(REPO_ROOT, 'test', 'fixtures', 'lab');
  let compared = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.pcap'))) {
    const report = await analyze([join(dir, file)]);
    // Wireshark's communityid dissector (epan/dissectors/packet-communityid.c), off by default.
    const out = execFileSync('tshark', ['-r', join(dir, file), '--enable-protocol', 'communityid', '-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-e', 'frame.number', '-e', 'communityid'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const byFrame = new Map(out.trim().split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]));
    for (const r of report.resets) {
      assert.equal(r.community_id, byFrame.get(String(r.frame)), `${file} frame ${r.frame}`);
      compared++;
    }
    for (const c of report.connections) assert.match(String(c.community_id), /^1:[A-Za-z0-9+/]{27}=$/);
  }
  assert.ok(compared > 10, `only ${compared} resets compared`);
});

test('the IPv4 fast path of tcpCommunityId gives what the general one does, both orders, equal addresses and odd text', () => {
  const addrs = ['0.0.0.0', '10.0.0.1', '10.0.0.2', '128.232.110.120', '255.255.255.255', '1.2.3', '01.2.3.4', '::1', '256.1.1.1'];
  for (const a of addrs) {
    for (const b of addrs) {
      for (const [sp, dp] of [
        [0, 65535],
        [80, 34855],
        [443, 443],
        [34855, 80],
      ] as [number, number][]) {
        assert.equal(tcpCommunityId(a, sp, b, dp), communityId({ proto: 6, src: a, dst: b, sport: sp, dport: dp }), `${a}:${sp} ${b}:${dp}`);
      }
    }
  }
});

/** addressBytes' IPv6 reading as it was written first (split, regex, spread), the reference for the character loop. */
function ipv6BytesBySplit(text: string): number[] | null {
  const zone = text.indexOf('%');
  const body = zone >= 0 ? text.slice(0, zone) : text;
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = addressBytes(g);
        if (v4 === null || v4.length !== 4 || g.includes(':')) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(Number.parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

test('addressBytes: the IPv6 character loop reads what the split/regex version read, odd text included', () => {
  const fixed = ['::', '::1', '1::', 'fe80::1%eth0', 'fe80::1%a::b', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '1:::2', '1::::2', ':1::', '1:', ':1', '::ffff:1.2.3.4', '1.2.3.4::', '::1.2.3.4:5', '::1.2.3', '::1.2.3.4.5', 'ABCD::ef01', '12345::', '::g', '%', '::%', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1::2:3:4:5:6:7:8'];
  // Random text over the characters an address uses, to reach what the list forgets.
  const alphabet = '0123456789abcdefABG:.%';
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const random: string[] = [];
  for (let i = 0; i < 20000; i++) {
    let t = '';
    const len = 1 + rnd(24);
    for (let k = 0; k < len; k++) t += alphabet[rnd(alphabet.length)];
    random.push(t.includes(':') ? t : `${t}::`);
  }
  let parsed = 0;
  for (const text of [...fixed, ...random]) {
    const want = ipv6BytesBySplit(text);
    const got = addressBytes(text);
    assert.deepEqual(got === null ? null : [...got], want, text);
    if (want !== null) parsed++;
  }
  assert.ok(parsed > 20, `some random texts parse (${parsed})`);
});

test('community ID: IPv6 ends read again from the texts kept (a server in many connections, more texts than kept) give the generic path IDs', () => {
  const server = '2001:db8:5::52';
  for (let i = 0; i < 3000; i++) {
    // Clients new and seen again, servers the same and others, the same address at both ends, texts that are no IPv6.
    const client = i % 7 === 0 ? server : `2001:db8:c006:${(i % 1500).toString(16)}::${(i % 3).toString(16)}`;
    const resp = i % 5 === 0 ? `2001:db8:5::${(i % 97).toString(16)}` : i % 11 === 0 ? '192.0.2.1' : i % 13 === 0 ? 'not::an::address' : server;
    const [sport, dport] = [1024 + i, i % 2 === 0 ? 443 : 1024 + i];
    assert.equal(tcpCommunityId(client, sport, resp, dport), communityId({ proto: 6, src: client, dst: resp, sport, dport }), `${client} ${resp}`);
    assert.equal(tcpCommunityId(resp, dport, client, sport), communityId({ proto: 6, src: client, dst: resp, sport, dport }), `${resp} ${client}`);
  }
});
