/**
 * The HTML report read from the spools' bytes (report/html/resetBytes.ts, spoolGroups) and the
 * ladders left out as the run goes (report/html/ladderChoice.ts): the page must be what parsing
 * every line whole gives, and no ladder left out may be one the page draws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cause, Ladder, Reset, Verdict } from '../../src/model/report.js';
import { Findings } from '../../src/report/findings.js';
import { LadderChoice, MAX_PENDING, isLeftOutLadder, ladderConn, leftOutLadderLine } from '../../src/report/html/ladderChoice.js';
import { ResetRowBytes, fieldOfLine, idNumberStart } from '../../src/report/html/resetBytes.js';
import { splitId } from '../../src/report/html/resetTableEncoder.js';
import { ResetsByConnection, causeOfGroup, peekField, resetGroups, spoolGroups } from '../../src/report/html/resetsByConnection.js';
import { renderHtml } from '../helpers/renderHtml.js';
import { resetOf } from '../helpers/syntheticFindings.js';

/** A small deterministic generator (xorshift32). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}


const CAUSES: (Cause | null)[] = ['port_closed', 'middlebox_injected', 'idle_timeout', null, 'firewall_reject'];
const IDS = ['R7', 'R007', 'R0', 'X', 'R-12', 'C1-42', 'R1234567890123456', 'Ré9'];

/** Resets of every shape the table codes: kinds, ids, reason texts, escapes, no connection. */
function variedResets(n: number): Reset[] {
  const next = random(7);
  const resets: Reset[] = [];
  let conn = 0;
  for (let i = 0; i < n; i++) {
    if (next() < 0.6) conn++;
    const cause = CAUSES[Math.floor(next() * CAUSES.length)] ?? null;
    const verdict: Verdict | null = cause === 'middlebox_injected' ? 'forged' : cause === 'firewall_reject' ? 'suspect' : cause === null ? null : 'genuine';
    const pick = next();
    resets.push(
      resetOf({
        id: i % 11 === 5 ? (IDS[i % IDS.length] as string) : `R${i + 1}`,
        ts: 1700000000.5 + i * 0.0137 + (i % 3) * 1e-7,
        capture: i % 2,
        frame: 10 + i * 3,
        conn: i % 13 === 4 ? null : i % 17 === 3 ? `conn-${conn}-x` : `C${conn}`,
        src: i % 5 === 0 ? '2001:db8::1' : `10.0.${i % 7}.1`,
        sport: 443,
        dst: `10.1.${i % 3}.${i % 250}`,
        dport: 1024 + i,
        flags: pick < 0.5 ? ['RST', 'ACK'] : ['RST'],
        ttl: verdict === 'genuine' ? 57 : 250,
        stage: pick < 0.2 ? null : 'data',
        cause,
        verdict,
        origin: verdict === 'forged' ? 'middlebox' : 'resp',
        confidence: pick < 0.1 ? null : 0.8,
        evidence: pick < 0.3 ? [] : [{ code: 'ttl_mismatch', detail: `a "detail" with \\ and → ${'long '.repeat(i % 20)}` }, { code: 'data_after_rst', detail: 'x' }],
        signature: pick < 0.15 ? null : pick < 0.4 ? 'SYN→RST "quoted"' : 'SYN;ACK;PSH→RST+ACK',
        reason_text: i % 9 === 0 ? `reason ${'é'.repeat(i % 300)} "q"` : i % 9 === 1 ? '' : null,
      }),
    );
  }
  return resets;
}

/** Findings holding `resets` (their lines written by `line`) and a ladder per connection after its resets. */
function findingsOf(resets: Reset[], line: (r: Reset) => void, f: Findings): Findings {
  let i = 0;
  while (i < resets.length) {
    const conn = (resets[i] as Reset).conn;
    const group: Reset[] = [];
    while (i < resets.length && (resets[i] as Reset).conn === conn) group.push(resets[i++] as Reset);
    for (const r of group) line(r);
    if (conn === null) continue;
    const first = group[0] as Reset;
    const ladder: Ladder = {
      conn,
      capture: 0,
      orig: `${first.dst}:${first.dport}`,
      resp: `${first.src}:${first.sport}`,
      isn: { orig: 1, resp: 2 },
      packets: [
        { frame: first.frame - 1, capture: 0, ts: first.ts - 0.001, from: 'resp', flags: ['ACK'], seq: 1, ack: 1, len: 0, ttl: 57, win: 100, reset: null, verdict: null },
        ...group.map((r) => ({ frame: r.frame, capture: 0, ts: r.ts, from: 'resp' as const, flags: r.flags, seq: 1, ack: 1, len: 0, ttl: r.ttl, win: 0, reset: r.id, verdict: r.verdict })),
      ],
      gap: null,
    };
    f.ladders.push(JSON.stringify(ladder));
  }
  f.inputs = [{ path: '/captures/varied.pcap', format: 'pcap', linktypes: [1], packets: 1000, bytes: 1, first_ts: 1700000000, last_ts: 1700000100, errors: [] }];
  for (const r of resets) {
    f.summary.resets++;
    if (r.cause) f.summary.by_cause[r.cause] = (f.summary.by_cause[r.cause] ?? 0) + 1;
    if (r.verdict) f.summary.by_verdict[r.verdict] = (f.summary.by_verdict[r.verdict] ?? 0) + 1;
  }
  return f;
}

describe('the HTML report from the spools as bytes', () => {
  it('writes the page that parsing every reset line whole gives', async () => {
    const resets = variedResets(400);
    // As the run spools them (JsonBytes): the layout resetBytes.ts reads where it lies.
    const fast = new Findings();
    findingsOf(resets, (r) => fast.resets.pushJson(r), fast);
    // The same resets with a key moved first: every line is refused and parsed whole.
    const whole = new Findings();
    findingsOf(resets, (r) => whole.resets.push(JSON.stringify({ mptcp_first: r.mptcp_reason, ...r })), whole);
    try {
      const row = new ResetRowBytes();
      let read = 0;
      for (const chunk of fast.resets.chunks()) {
        const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (let from = 0; from < b.length; ) {
          const nl = b.indexOf(0x0a, from);
          if (row.parse(b, from, nl - 1)) read++;
          from = nl + 1;
        }
      }
      assert.ok(read > 300, `most lines are read as bytes (${read})`);
      for (const rows of [undefined, 120, 0]) {
        const a = await renderHtml(fast, { tableRows: rows, laddersPerCause: 3 });
        const b = await renderHtml(whole, { tableRows: rows, laddersPerCause: 3 });
        assert.equal(a, b, `table rows ${rows}`);
      }
      assert.match(await renderHtml(fast, { laddersPerCause: 3 }), /drawn/);
    } finally {
      fast.dispose();
      whole.dispose();
    }
  });

  it("finds a line's fields as JSON.parse, splitId and peekField do", () => {
    const ids = ['R7', 'R007', 'R0', 'R00', 'X', '', 'R-12', 'C1-42', 'R1234567890123456', '12', '0', '007', 'a0b1'];
    for (const id of ids) {
      const b = Buffer.from(id, 'latin1');
      const at = idNumberStart(b, 0, b.length);
      const [prefix, n] = splitId(id);
      assert.equal(id.slice(0, at), prefix, id);
      assert.equal(at === b.length ? null : Number(id.slice(at)), n, id);
    }
    const r = resetOf({ conn: 'C"9', cause: null, src: '"cause":"x"' });
    const line = JSON.stringify(r);
    const b = Buffer.from(`xx${line}yy`);
    assert.equal(fieldOfLine(b, 2, b.length - 2, 'conn', Buffer.from('"conn":')), peekField(line, 'conn'));
    assert.equal(fieldOfLine(b, 2, b.length - 2, 'cause', Buffer.from('"cause":')), peekField(line, 'cause'));
    assert.equal(fieldOfLine(b, 2, b.length - 2, 'rule', Buffer.from('"rule":')), null);
    const row = new ResetRowBytes();
    assert.ok(!row.parse(b, 2, b.length - 2), 'an id, conn or address that is not plain ASCII is refused');
    const plain = Buffer.from(JSON.stringify(resetOf({ id: 'R12', conn: 'C3-4', ts: 1700000000.000001, reason_text: 'a "b" →' })));
    assert.ok(row.parse(plain, 0, plain.length));
    assert.equal(row.ts(), 1700000000.000001);
    assert.deepEqual([row.idPrefix(), row.idNumber(), row.connPrefix(), row.connNumber(), row.conn()], ['R', 12, 'C3-', 4, 'C3-4']);
    assert.deepEqual([row.src(), row.sport, row.dst(), row.dport, row.ttl, row.frame], ['10.0.1.20', 80, '10.0.0.10', 40000, 127, 7]);
    assert.equal(row.reasonText(), 'a "b" →');
    for (const conn of ['C12', 'C"x\\y', 'é\n', '']) {
      assert.equal(ladderConn(leftOutLadderLine(conn)), conn);
      assert.ok(isLeftOutLadder(leftOutLadderLine(conn)));
    }
  });

  it('groups spooled lines as resetGroups does, decoding only the lines asked for', () => {
    const resets = variedResets(200);
    const f = new Findings();
    try {
      for (const r of resets) f.resets.pushJson(r);
      const lines = [...f.resets.lines()];
      const want = [...resetGroups(lines)].map((g) => [g.conn, causeOfGroup(g), g.lines.join('\n')]);
      // A group handed out is valid until the next is asked for: read each as it comes.
      const got: unknown[] = [];
      for (const g of spoolGroups(f.resets)) got.push([g.conn, causeOfGroup(g), g.lines.join('\n')]);
      assert.deepEqual(got, want);
    } finally {
      f.dispose();
    }
  });
});

/** One run's order of findings: each item a reset (its connection and cause) or a connection's ladder. */
type Event = { reset: string | null; cause: Cause | null } | { ladder: string };

/**
 * Runs of findings as a run can order them: mostly a connection's resets then its ladder, with
 * resets of a connection still open released before another's ladder, resets with no
 * connection, ladders whose resets were not spooled, and a connection id seen twice.
 */
function events(seed: number, connections: number, withoutResets: boolean): Event[] {
  const next = random(seed);
  const out: Event[] = [];
  const open: string[] = [];
  for (let i = 1; i <= connections; i++) {
    const conn = i % 97 === 0 ? 'C1' : `C${i}`;
    const cause = CAUSES[Math.floor(next() * 3)] ?? null;
    const roll = next();
    if (roll < 0.05) out.push({ reset: null, cause: 'port_closed' });
    if (withoutResets && roll < 0.02) {
      out.push({ ladder: conn });
      continue;
    }
    const n = 1 + Math.floor(next() * 3);
    for (let k = 0; k < n; k++) out.push({ reset: conn, cause: k === 0 ? cause : (CAUSES[Math.floor(next() * CAUSES.length)] ?? null) });
    if (roll < 0.15) open.push(conn);
    else out.push({ ladder: conn });
    if (open.length > 0 && next() < 0.3) out.push({ ladder: open.shift() as string });
  }
  for (const conn of open) out.push({ ladder: conn });
  return out;
}

describe('ladders left out as the run goes', () => {
  // Look-aheads this small, and ladders without resets (a filter's), make the replay wait for
  // later resets, so that it builds what follows: only the first runs must leave most out.
  for (const [seed, perCause, lookahead, withoutResets] of [
    [1, 3, 4096, false],
    [4, 0, 4096, false],
    [6, 2, 8, false],
    [2, 1, 3, true],
    [3, 5, 2, false],
    [5, 2, 1, true],
    [7, 1, 4096, true],
  ] as const) {
    it(`leaves out only ladders the page does not draw (seed ${seed}, ${perCause} per cause, look-ahead ${lookahead}${withoutResets ? ', some ladders without resets' : ''})`, () => {
      const run = events(seed, 600, withoutResets);
      const choice = new LadderChoice(perCause, lookahead);
      const resetLines: string[] = [];
      const ladderLines: string[] = [];
      let left = 0;
      for (const e of run) {
        if ('ladder' in e) {
          if (choice.leftOut(e.ladder, [])) {
            ladderLines.push(leftOutLadderLine(e.ladder));
            left++;
          } else ladderLines.push(JSON.stringify({ conn: e.ladder, packets: [] }));
        } else {
          choice.reset(e.reset, e.cause);
          resetLines.push(JSON.stringify({ id: 'R', conn: e.reset, cause: e.cause }));
        }
      }
      // writeHtml's choice: the first N ladders per cause, causes from the join.
      const join = new ResetsByConnection(resetGroups(resetLines), lookahead);
      const recorded = new Map<string, number>();
      let drawn = 0;
      for (const line of ladderLines) {
        const conn = ladderConn(line);
        assert.equal(conn, peekField(line, 'conn'));
        const cause = causeOfGroup(join.takeGroup(conn));
        const n = recorded.get(cause) ?? 0;
        recorded.set(cause, n + 1);
        if (n < perCause) {
          assert.ok(!isLeftOutLadder(line), `the ladder of ${conn} (${cause}, #${n + 1}) was left out`);
          drawn++;
        }
      }
      if (lookahead > 4 && !withoutResets) assert.ok(left > ladderLines.length / 2, `most ladders past the limit are left out (${left} of ${ladderLines.length}, ${drawn} drawn)`);
    });
  }

  it('stops replaying, and builds every ladder, when no ladder reads the resets', () => {
    const choice = new LadderChoice(0);
    for (let i = 0; i <= MAX_PENDING + 1; i++) choice.reset(`C${i}`, 'port_closed');
    assert.equal(choice.leftOut('C0', []), false);
    const asked = new LadderChoice(0);
    asked.reset('C0', 'port_closed');
    assert.equal(asked.leftOut('C0', []), true);
  });

  it('builds every ladder with a forged or suspect reset (the TTL chart reads them)', () => {
    const choice = new LadderChoice(0);
    choice.reset('C1', 'middlebox_injected');
    assert.equal(choice.leftOut('C1', [resetOf({ conn: 'C1', verdict: 'forged' })]), false);
    choice.reset('C2', 'port_closed');
    assert.equal(choice.leftOut('C2', [resetOf({ conn: 'C2', verdict: 'genuine' })]), true);
  });
});
