/**
 * The HTML report's pieces: escaping, ladder geometry, the table's columnar encoding (decoded by
 * the very script text the page embeds), the spool join, and the whole page's defences (XSS,
 * no external resource) and size for 100k resets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ladder, LadderPacket, Reset } from '../../src/model/report.js';
import type { Findings } from '../../src/report/findings.js';
import { escapeHtml, jsonForScript } from '../../src/report/html/escape.js';
import {
  BAND_HEIGHT,
  HEADER_HEIGHT,
  LEFT,
  ROW,
  TWO_COLUMN_GAP,
  arrowHead,
  arrowLabel,
  ladderGeometry,
  trimLadder,
} from '../../src/report/html/ladderGeometry.js';
import { ladderSvg } from '../../src/report/html/ladderSvg.js';
import { browserScriptSource } from '../../src/report/html/pageScript.js';
import { DICTIONARY_BUDGET, NOT_EMBEDDED, ResetTableEncoder, type TableChunk, splitId } from '../../src/report/html/resetTableEncoder.js';
import { ResetTimeChart, barWidthFor } from '../../src/report/html/resetTimeChart.js';
import { ResetsByConnection, peekField, resetGroups } from '../../src/report/html/resetsByConnection.js';
import { SpoofTtlChart, hostOfEndpoint } from '../../src/report/html/spoofTtlChart.js';
import { renderHtml } from '../helpers/renderHtml.js';
import { resetOf, syntheticFindings } from '../helpers/syntheticFindings.js';

function packet(over: Partial<LadderPacket>): LadderPacket {
  return { frame: 1, capture: 0, ts: 1000, from: 'orig', flags: ['SYN'], seq: 0, ack: null, len: 0, ttl: 64, win: 64240, reset: null, verdict: null, ...over };
}

function ladderOf(packets: LadderPacket[], over: Partial<Ladder> = {}): Ladder {
  return { conn: 'C1', capture: 0, orig: '10.0.0.10:40000', resp: '10.0.1.20:80', isn: { orig: 1000, resp: 5000 }, packets, gap: null, ...over };
}


type Decoded = {
  n: number;
  id: string[];
  ts: Float64Array;
  cap: Int32Array;
  frame: Float64Array;
  conn: (string | null)[];
  src: Int32Array;
  sport: Int32Array;
  dst: Int32Array;
  dport: Int32Array;
  ttl: Int32Array;
  kind: Int32Array;
  reason: Int32Array;
  addrs: string[];
  kinds: unknown[][];
  reasons: string[];
};
const decodeRows = new Function(`${browserScriptSource('resetTableDecoder')}; return decodeRows;`)() as (chunks: TableChunk[]) => Decoded;

describe('escaping', () => {
  it('escapes the five HTML metacharacters and nothing else', () => {
    assert.equal(escapeHtml(`<img src=x onerror="a('b')"> & é→`), '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt; &amp; é→');
  });
  it('keeps JSON inside a script element from closing it, and parses back to the same value', () => {
    const value = { s: '</script><script>alert(1)</script><!-- \u2028\u2029' };
    const text = jsonForScript(value);
    assert.ok(!text.includes('<'), text);
    assert.ok(!text.includes('\u2028') && !text.includes('\u2029'));
    assert.deepEqual(JSON.parse(text), value);
  });
});

describe('ladder geometry', () => {
  const handshake = [
    packet({ frame: 1, ts: 1000, flags: ['SYN'] }),
    packet({ frame: 2, ts: 1000.001, from: 'resp', flags: ['SYN', 'ACK'], ack: 1, ttl: 127 }),
    packet({ frame: 3, ts: 1000.002, flags: ['ACK'], seq: 1, ack: 1 }),
  ];

  it('draws two columns and one arrow per packet, each from its sender to the other side, going down', () => {
    const rst = packet({ frame: 4, ts: 1000.003, from: 'resp', flags: ['RST', 'ACK'], seq: 1, ack: 1, ttl: 127, reset: 'R1', verdict: 'genuine' });
    const g = ladderGeometry(ladderOf([...handshake, rst]));
    assert.deepEqual(
      g.columns.map((c) => c.x),
      [LEFT, LEFT + TWO_COLUMN_GAP],
    );
    assert.equal(g.arrows.length, 4);
    const ys = g.arrows.map((a) => a.y);
    for (let i = 1; i < ys.length; i++) assert.ok((ys[i] as number) - (ys[i - 1] as number) >= ROW, `row ${i} is ${ROW}px or more below the previous`);
    assert.ok((ys[0] as number) > HEADER_HEIGHT);
    const [syn, synAck] = g.arrows;
    assert.equal(syn?.line[0]?.[0], LEFT);
    assert.equal(syn?.line[1]?.[0], LEFT + TWO_COLUMN_GAP);
    assert.equal(synAck?.line[0]?.[0], LEFT + TWO_COLUMN_GAP);
    assert.equal(synAck?.line[1]?.[0], LEFT);
    for (const a of g.arrows) {
      assert.ok((a.line[1]?.[1] as number) > (a.line[0]?.[1] as number), 'an arrow arrives after it left');
      assert.deepEqual(a.head?.[0], a.line[a.line.length - 1], 'the arrowhead sits at the end of the line');
    }
    assert.deepEqual(
      g.arrows.map((a) => a.kind),
      ['ctl', 'ctl', 'ctl', 'rst'],
    );
    assert.equal(g.arrows[3]?.label, '[RST, ACK] seq=1 ack=1 len=0 ttl=127 · R1');
    assert.ok(g.height >= (g.arrows[3]?.y as number) + ROW / 2);
  });

  it('labels and classes forged and suspect resets apart', () => {
    assert.equal(arrowLabel(packet({ flags: ['RST'], seq: 1461, reset: 'R2', verdict: 'forged', ttl: 255 })), '[RST] seq=1461 len=0 ttl=255 · R2 FORGED');
    const g = ladderGeometry(
      ladderOf([
        ...handshake,
        packet({ frame: 4, ts: 1000.003, from: 'resp', flags: ['RST'], reset: 'R1', verdict: 'forged' }),
        packet({ frame: 5, ts: 1000.004, from: 'resp', flags: ['RST'], reset: 'R2', verdict: 'suspect' }),
        packet({ frame: 6, ts: 1000.005, flags: ['PSH', 'ACK'], len: 100 }),
      ]),
    );
    assert.deepEqual(
      g.arrows.slice(3).map((a) => a.kind),
      ['rst-forged', 'rst-suspect', 'data'],
    );
  });

  it('scales time: a longer pause makes more room, a long silence becomes a labelled band', () => {
    const g = ladderGeometry(
      ladderOf([
        packet({ frame: 1, ts: 1000 }),
        packet({ frame: 2, ts: 1000.001, from: 'resp', flags: ['SYN', 'ACK'] }),
        packet({ frame: 3, ts: 1000.002, flags: ['ACK'] }),
        packet({ frame: 4, ts: 1000.006, flags: ['PSH', 'ACK'], len: 10 }),
        packet({ frame: 5, ts: 1120.006, from: 'resp', flags: ['RST'], reset: 'R1', verdict: 'genuine' }),
      ]),
    );
    const ys = g.arrows.map((a) => a.y);
    const step = (i: number) => (ys[i] as number) - (ys[i - 1] as number);
    assert.ok(step(3) > step(2), `4 ms (${step(3)}px) is drawn longer than 1 ms (${step(2)}px)`);
    assert.equal(g.bands.length, 1);
    assert.equal(g.bands[0]?.kind, 'silence');
    assert.match(g.bands[0]?.text ?? '', /2 min 0 s later/);
    assert.ok((g.bands[0]?.y as number) > (ys[3] as number) && (g.bands[0]?.y as number) + BAND_HEIGHT < (ys[4] as number), 'the band lies between the two packets');
    assert.ok(step(4) < 120, `two minutes are compressed to ${step(4)}px`);
  });

  it('draws the packets not kept as a band after the packet the gap follows', () => {
    const packets = [...handshake, packet({ frame: 900, ts: 1009, from: 'resp', flags: ['RST'], reset: 'R1', verdict: 'genuine' })];
    const g = ladderGeometry(ladderOf(packets, { gap: { after: 2, packets: 894 } }));
    const gap = g.bands.find((b) => b.kind === 'gap');
    assert.ok(gap);
    assert.match(gap.text, /894 packet\(s\) not kept/);
    assert.ok(gap.y > (g.arrows[2]?.y as number) && gap.y + gap.height < (g.arrows[3]?.y as number));
  });

  it('cuts a huge ladder to its first and last packets with a band between', () => {
    const packets = Array.from({ length: 1000 }, (_, i) => packet({ frame: i + 1, ts: 1000 + i * 0.001, from: i % 2 ? 'resp' : 'orig', flags: ['RST'] }));
    const { ladder, gaps } = trimLadder(ladderOf(packets), 100);
    assert.equal(ladder.packets.length, 100);
    assert.equal(ladder.packets[49]?.frame, 50);
    assert.equal(ladder.packets[50]?.frame, 951);
    assert.match(gaps.get(49) ?? '', /900 packet\(s\) not drawn/);
    assert.equal(ladderGeometry(ladderOf(packets)).arrows.length, 160);
  });

  it('draws one column per capture point when correlation set them; a forged RST starts where it was first seen', () => {
    // Client — capture 2 (client side) — capture 0 (router) — capture 1 (server side) — server.
    const points = [2, 0, 1];
    const seen = (...at: [number, number][]) => at.map(([capture, ts], i) => ({ capture, frame: 10 + i, ts, ttl: 60 }));
    const ladder = ladderOf(
      [
        packet({ frame: 1, capture: 0, ts: 1000, seen_at: seen([2, 999.9999], [1, 1000.0001]) }),
        packet({ frame: 2, capture: 0, ts: 1000.01, from: 'resp', flags: ['SYN', 'ACK'], seen_at: seen([1, 1000.0099], [2, 1000.0101]) }),
        // Forged at the router towards the client: seen at the router and the client side only.
        packet({ frame: 3, capture: 0, ts: 1000.02, from: 'resp', flags: ['RST'], reset: 'R1', verdict: 'forged', seen_at: seen([2, 1000.0201]) }),
        // Dropped between the router and the server: the server side never saw it.
        packet({ frame: 4, capture: 0, ts: 1000.03, flags: ['ACK'], seen_at: seen([2, 1000.0299]) }),
      ],
      { points },
    );
    const g = ladderGeometry(ladder, [
      { path: '/caps/router.pcap', format: 'pcap', linktypes: [1], packets: 4, bytes: 1, first_ts: 1, last_ts: 2, errors: [] },
      { path: '/caps/server.pcap', format: 'pcap', linktypes: [1], packets: 4, bytes: 1, first_ts: 1, last_ts: 2, errors: [] },
      { path: '/caps/client.pcap', format: 'pcap', linktypes: [1], packets: 4, bytes: 1, first_ts: 1, last_ts: 2, errors: [] },
    ]);
    assert.equal(g.columns.length, 5);
    assert.deepEqual(
      g.columns.map((c) => c.subtitle),
      ['originator (sent the SYN)', 'client.pcap', 'router.pcap', 'server.pcap', 'responder'],
    );
    const xs = g.columns.map((c) => c.x);
    const [syn, synAck, forged, dropped] = g.arrows;
    assert.deepEqual(
      syn?.line.map((p) => p[0]),
      xs,
      'the SYN crosses every point',
    );
    assert.deepEqual(synAck?.line.map((p) => p[0]), [...xs].reverse());
    for (const a of [syn, synAck]) for (let i = 1; i < (a?.line.length ?? 0); i++) assert.ok((a?.line[i]?.[1] as number) >= (a?.line[i - 1]?.[1] as number), 'time goes down along the path');
    assert.deepEqual(
      forged?.line.map((p) => p[0]),
      [xs[2], xs[1], xs[0]],
      'the forged RST starts at the router',
    );
    assert.deepEqual(forged?.born, forged?.line[0]);
    for (const arrow of g.arrows) {
      const ys = arrow.line.map((p) => p[1]);
      assert.ok(arrow.labelAt[1] >= Math.min(...ys) - 8 && arrow.labelAt[1] <= Math.max(...ys), `the label of packet ${arrow.index} sits on its line`);
    }
    assert.equal(dropped?.head, null);
    assert.ok(dropped?.lost);
    assert.ok((dropped?.lost?.[0] as number) > (xs[2] as number) && (dropped?.lost?.[0] as number) < (xs[3] as number), 'it vanished between the router and the server side');
  });

  it('puts the capture points on one clock before placing their sightings', () => {
    const points = [2, 0, 1];
    const at = (skew: number) =>
      ladderOf(
        [
          packet({ frame: 1, capture: 0, ts: 1000, seen_at: [{ capture: 2, frame: 1, ts: 999.9999, ttl: 64 }, { capture: 1, frame: 1, ts: 1000.0001 + skew, ttl: 62 }] }),
          packet({ frame: 2, capture: 0, ts: 1000.01, from: 'resp', flags: ['SYN', 'ACK'], seen_at: [{ capture: 1, frame: 2, ts: 1000.0099 + skew, ttl: 64 }, { capture: 2, frame: 2, ts: 1000.0101, ttl: 62 }] }),
        ],
        { points },
      );
    const straight = ladderGeometry(at(0));
    // Capture 1's clock runs 3.5 s ahead; the path's offsets say so.
    const skewed = ladderGeometry(at(3.5), [], new Map([[1, 3.5]]));
    assert.deepEqual(
      skewed.arrows.map((a) => a.line),
      straight.arrows.map((a) => a.line),
    );
    assert.notDeepEqual(
      ladderGeometry(at(3.5)).arrows.map((a) => a.line),
      straight.arrows.map((a) => a.line),
      'without the offset the skew shows',
    );
  });

  it('puts data-conn on the SVG root and escapes every text from the capture', () => {
    const svg = ladderSvg(ladderOf(handshake, { conn: 'C"1', orig: '<b>:1' }), ladderGeometry(ladderOf(handshake, { orig: '<b>:1' })));
    assert.match(svg, /^<svg class="ladder" data-conn="C&quot;1"/);
    assert.ok(!svg.includes('<b>'));
    assert.ok(svg.includes('&lt;b&gt;:1'));
  });

  it('computes arrowheads pointing along the line', () => {
    const head = arrowHead([0, 0], [100, 0]);
    assert.deepEqual(head[0], [100, 0]);
    assert.ok((head[1]?.[0] as number) < 100 && (head[2]?.[0] as number) < 100);
    assert.equal((head[1]?.[1] as number) + (head[2]?.[1] as number), 0);
  });
});

describe('resets table encoding', () => {
  it('round-trips through the page decoder: ids, times, endpoints, kinds, reasons', () => {
    const resets: Reset[] = [
      resetOf(),
      resetOf({ id: 'R2', frame: 9, ts: 1700000000.223457, ttl: 255, verdict: 'forged', cause: 'middlebox_injected', reason_text: '</script>evil' }),
      resetOf({ id: 'R10', conn: 'C1-7', capture: 1, frame: 3, src: '2001:db8::1', ts: 1699999999.000001 }),
      resetOf({ id: 'odd', conn: null, frame: 2, stage: null, cause: null, verdict: null, origin: null, confidence: null, evidence: [] }),
      resetOf({ id: 'R11', conn: 'C1-007' }),
    ];
    const enc = new ResetTableEncoder();
    const chunks: TableChunk[] = [];
    resets.forEach((r, i) => {
      enc.add(r);
      if (i === 1) chunks.push(enc.takeChunk() as TableChunk);
    });
    chunks.push(enc.takeChunk() as TableChunk);
    assert.equal(enc.takeChunk(), null);
    const d = decodeRows(JSON.parse(JSON.stringify(chunks)) as TableChunk[]);
    assert.equal(d.n, 5);
    assert.deepEqual(d.id, ['R1', 'R2', 'R10', 'odd', 'R11']);
    assert.deepEqual(d.conn, ['C1', 'C1', 'C1-7', null, 'C1-007']);
    assert.deepEqual([...d.frame], [7, 9, 3, 2, 7]);
    assert.deepEqual([...d.cap], [0, 0, 1, 0, 0]);
    resets.forEach((r, i) => assert.equal(d.ts[i], Math.round(r.ts * 1e6) / 1e6));
    assert.deepEqual(
      [...d.src].map((a) => d.addrs[a]),
      resets.map((r) => r.src),
    );
    assert.deepEqual([...d.ttl], [127, 255, 127, 127, 127]);
    assert.deepEqual(d.kinds[d.kind[1] as number], ['data', 'middlebox_injected', 'forged', 'resp', 'RST,ACK', 'SYN;ACK;PSH→RST+ACK', 'data_after_rst', 0.8]);
    assert.deepEqual(d.kinds[d.kind[3] as number], ['', '', '', '', 'RST,ACK', 'SYN;ACK;PSH→RST+ACK', '', null]);
    assert.deepEqual([...d.reason], [-1, 1, -1, -1, -1]);
    assert.equal(d.reasons[1], '</script>evil');
  });

  it('splits ids into prefix and number only when the number reads back the same', () => {
    assert.deepEqual(splitId('R17'), ['R', 17]);
    assert.deepEqual(splitId('C1-42'), ['C1-', 42]);
    assert.deepEqual(splitId('C1-007'), ['C1-00', 7]);
    assert.deepEqual(splitId('R12345678901234567'), ['R12', 345678901234567]);
    assert.deepEqual(splitId('x'), ['x', null]);
    assert.deepEqual(splitId('R0'), ['R', 0]);
  });

  it('bounds a dictionary: past its budget new values decode as the placeholder', () => {
    const enc = new ResetTableEncoder();
    const text = 'x'.repeat(150);
    const n = Math.ceil(DICTIONARY_BUDGET.r / 150) + 50;
    for (let i = 0; i < n; i++) enc.add(resetOf({ id: `R${i + 1}`, reason_text: `${i} ${text}` }));
    const chunk = enc.takeChunk() as TableChunk;
    assert.ok(JSON.stringify(chunk.d.r).length < DICTIONARY_BUDGET.r * 1.05);
    const d = decodeRows([chunk]);
    assert.equal(d.reasons[d.reason[0] as number], `0 ${text}`);
    assert.equal(d.reasons[d.reason[n - 1] as number], NOT_EMBEDDED);
  });
});

describe('charts', () => {
  it('picks bar widths a reader can count in', () => {
    assert.equal(barWidthFor(60), 1);
    assert.equal(barWidthFor(0.5), 0.01);
    assert.equal(barWidthFor(3600 * 24), 1800);
    assert.equal(barWidthFor(0), 1e-6);
  });
  it('stacks resets by cause per bar', () => {
    const chart = new ResetTimeChart(1000, 1059);
    chart.add(1000.5, 'port_closed');
    chart.add(1000.7, 'port_closed');
    chart.add(1030, 'idle_timeout');
    chart.add(1059, null);
    const series = chart.series();
    assert.deepEqual(
      series.map((s) => [s.cause, s.total]),
      [
        ['port_closed', 2],
        ['idle_timeout', 1],
        ['unexplained', 1],
      ],
    );
    assert.equal(series[0]?.counts[0], 2);
    assert.equal(series[1]?.counts[30], 1);
    assert.equal(series[2]?.counts[59], 1);
    assert.equal((chart.html().match(/<rect /g) ?? []).length, 3);
  });
  it('sets forged RST TTLs against the claimed sender’s ordinary TTLs', () => {
    assert.equal(hostOfEndpoint('[2001:db8::1]:80'), '2001:db8::1');
    assert.equal(hostOfEndpoint('10.0.0.1:80'), '10.0.0.1');
    const chart = new SpoofTtlChart();
    chart.addReset(resetOf({ verdict: 'forged', ttl: 255 }));
    chart.addReset(resetOf({ verdict: 'genuine', ttl: 127 }));
    chart.addLadder(
      ladderOf([
        packet({ from: 'resp', flags: ['SYN', 'ACK'], ttl: 127 }),
        packet({ from: 'orig', flags: ['ACK'], ttl: 64 }),
        packet({ from: 'resp', flags: ['RST'], ttl: 255, reset: 'R1', verdict: 'forged' }),
      ]),
    );
    const [row] = chart.rows();
    assert.equal(row?.source, '10.0.1.20');
    assert.equal(row?.ttls.normal[127], 1);
    assert.equal(row?.ttls.normal[64], 0, "the other side's packets do not count");
    assert.equal(row?.ttls.forged[255], 1);
    assert.match(chart.html(), /packets 127 \(1\) · RST 255 \(0\)/);
    assert.match(new SpoofTtlChart().html(), /No reset looks forged or suspect/);
  });
});

describe('joining ladders with resets', () => {
  it('groups consecutive resets and hands each ladder its own, looking ahead past connections without a ladder', () => {
    const lines = [resetOf({ id: 'R1', conn: 'C1' }), resetOf({ id: 'R2', conn: 'C1' }), resetOf({ id: 'R3', conn: 'C2' }), resetOf({ id: 'R4', conn: 'C3' })].map((r) => JSON.stringify(r));
    const join = new ResetsByConnection(resetGroups(lines));
    assert.deepEqual(
      join.take('C1').map((l) => (JSON.parse(l) as Reset).id),
      ['R1', 'R2'],
    );
    assert.deepEqual(
      join.take('C3').map((l) => (JSON.parse(l) as Reset).id),
      ['R4'],
    );
    assert.deepEqual(
      join.take('C2').map((l) => (JSON.parse(l) as Reset).id),
      ['R3'],
    );
    assert.deepEqual(join.take('C9'), []);
    assert.equal(peekField(JSON.stringify(ladderOf([], { conn: 'C"x' })), 'conn'), 'C"x');
    // Text that looks like a key, in fields before the real one, is inside a string: its quotes are escaped.
    const tricky = JSON.stringify(resetOf({ id: '"conn":"C9"', src: '"cause":"fake"', conn: null, cause: 'fast_close' }));
    assert.equal(peekField(tricky, 'conn'), null);
    assert.equal(peekField(tricky, 'cause'), 'fast_close');
    assert.equal(peekField('{"a":1}', 'conn'), null);
  });
});

describe('the page', () => {
  it('escapes attacker-controlled text everywhere and fetches nothing', async () => {
    const evil = '</script><script>window.__xss=1</script><img src=x onerror="window.__xss=2"><!--';
    const findings = syntheticFindings({ connections: 3, reasonText: evil, evilPath: '/tmp/<svg onload=alert(1)>.pcap' });
    try {
      const html = await renderHtml(findings);
      assert.ok(!html.includes('<img'), 'no image element from the reason text');
      assert.ok(!html.includes('<svg onload'), 'no element from a file name');
      assert.equal((html.match(/<script/g) ?? []).length, (html.match(/<\/script>/g) ?? []).length, 'every script element closes where it should');
      assert.equal((html.match(/<script>/g) ?? []).length, 1, 'one executable script: the page script');
      assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;window.__xss=1'), 'the reason text is shown, escaped');
      assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), 'no external URL');
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
      assert.equal((html.match(/ data-conn="/g) ?? []).length, 3);
    } finally {
      findings.dispose();
    }
  });

  it('draws the first N ladders per cause and says how many were left out', async () => {
    const findings = syntheticFindings({ connections: 40, causes: ['port_closed', 'idle_timeout'] });
    try {
      const html = await renderHtml(findings, { laddersPerCause: 5 });
      assert.equal((html.match(/ data-conn="/g) ?? []).length, 10);
      assert.match(html, /30 connection\(s\) that reset are not drawn/);
      assert.match(html, /port_closed<\/strong>: 5 of 20 connection\(s\) drawn \(15 left out/);
    } finally {
      findings.dispose();
    }
  });

  it('stays under 10 MB for 100k resets', { timeout: 120_000 }, async () => {
    const findings = syntheticFindings({ connections: 50_000, resetsPerConnection: 2 });
    try {
      assert.equal(findings.resets.count, 100_000);
      const started = performance.now();
      const html = await renderHtml(findings);
      const ms = performance.now() - started;
      const bytes = Buffer.byteLength(html);
      process.stdout.write(`# HTML for 100k resets (${findings.ladders.count} ladders recorded): ${(bytes / 1e6).toFixed(2)} MB in ${Math.round(ms)} ms\n`);
      assert.ok(bytes < 10e6, `${bytes} bytes`);
      assert.equal((html.match(/ data-conn="/g) ?? []).length, 20 * 15, 'the default: 20 ladders for each of the 15 causes');
      const chunks = [...html.matchAll(/<script type="application\/json" class="wr-rows">(.*?)<\/script>/g)].map((m) => JSON.parse(m[1] as string) as TableChunk);
      const d = decodeRows(chunks);
      assert.equal(d.n, 100_000);
      assert.equal(d.id[99_999], 'R100000');
    } finally {
      findings.dispose();
    }
  });
});
