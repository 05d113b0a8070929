/**
 * Issue 12, item 6: report ids and the listing of resets follow the RST packets' frame order,
 * not the order the tracker finishes connections in. Connection A's RST comes first but A goes
 * on (its peer keeps sending) and finishes last; B resets later and finishes first.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyze } from '../../src/index.js';
import { A, Conversation, P, R } from '../helpers/conversation.js';
import { REPO_ROOT, tempDir } from '../helpers/run.js';

describe('resets in time order', () => {
  const tmp = tempDir('whyreset-order-');
  after(() => tmp.remove());

  it('ids and listing follow the frames, connections follow their last reset', async () => {
    const t0 = 1_700_000_000;
    const a = new Conversation({ start: t0, client: { port: 42000 } }).handshake().send('s', R | A, { dt: 0.01 });
    for (let i = 0; i < 20; i++) a.send('c', P | A, { len: 10, dt: 1 });
    const b = new Conversation({ start: t0 + 0.5, client: { port: 42001 }, server: { addr: '10.0.1.30' } }).handshake().send('s', R | A, { dt: 0.1 });
    const c = new Conversation({ start: t0 + 0.7, client: { port: 42002 }, server: { addr: '10.0.1.31' } }).handshake().send('c', R | A, { dt: 0.1 });
    const path = join(tmp.dir, 'order.pcap');
    writeFileSync(path, a.toPcap(b, c));
    const report = await analyze([path]);
    assert.equal(report.resets.length, 3);
    const frames = report.resets.map((r) => r.frame);
    assert.deepEqual(frames, [...frames].sort((x, y) => x - y), 'listed in frame order');
    assert.deepEqual(
      report.resets.map((r) => r.id),
      ['R1', 'R2', 'R3'],
    );
    const first = report.resets[0];
    assert.equal(first?.sport, 80, "A's reset (the first RST packet) is R1 although A finishes last");
    // Each connection lists its own resets by their final ids.
    for (const conn of report.connections) {
      for (const id of conn.resets) assert.equal(report.resets.find((r) => r.id === id)?.conn, conn.id);
    }
  });
});

describe('ResetOrder', () => {
  type Held = import('../../src/pipeline/resetOrder.js').HeldConnection;
  const connection = (number: number, frames: number[]) => {
    const resets = frames.map((frame, i) => ({ id: `P${number}.${i}`, frame, conn: `C${number}` }) as unknown as import('../../src/index.js').Reset);
    return {
      conn: { number } as unknown as import('../../src/track/finished.js').FinishedConnection,
      explained: { resets, connection: { id: `C${number}`, resets: resets.map((r) => r.id) } as unknown as import('../../src/index.js').Connection },
    };
  };

  it('holds a later reset until the earlier RST is explained, then numbers them in frame order', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({
      reset: (r) => out.push(`${r.id}@${r.frame}`),
      connection: (h: Held) => out.push(`${h.explained?.connection.id}[${h.explained?.connection.resets.join(',')}]`),
    });
    order.noteRst(4, 1); // connection 1's RST comes first…
    order.noteRst(9, 2);
    order.noteRst(12, 1);
    const two = connection(2, [9]);
    order.finish(two.conn, two.explained); // …but connection 2 finishes first: held
    assert.deepEqual(out, []);
    const one = connection(1, [4, 12]);
    order.finish(one.conn, one.explained);
    assert.deepEqual(out, ['R1@4', 'R2@9', 'C2[R2]', 'R3@12', 'C1[R1,R3]']);
  });

  it('a RST never listed (its connection finished without it) does not block the ones after it', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(`${r.id}@${r.frame}`), connection: () => {} });
    order.noteRst(3, 1);
    order.noteRst(5, 2);
    const two = connection(2, [5]);
    order.finish(two.conn, two.explained);
    const one = connection(1, []); // a storm beyond the per-connection limit: RST 3 not listed
    order.finish(one.conn, one.explained);
    assert.deepEqual(out, ['R1@5']);
  });
});

describe('ResetOrder holding less', () => {
  const connection = (number: number, frames: number[]) => {
    const resets = frames.map((frame, i) => ({ id: `P${number}${i}`, frame, conn: `C${number}`, hint: null, reason_text: null, flags: ['RST'], evidence: [] }) as unknown as import('../../src/index.js').Reset);
    return {
      conn: { number } as unknown as import('../../src/track/finished.js').FinishedConnection,
      explained: { resets, connection: { id: `C${number}`, resets: resets.map((r) => r.id) } as unknown as import('../../src/index.js').Connection },
    };
  };

  it('a waiting connection whose entry no sink reads is held without it, and its resets still go out in frame order', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({
      reset: (r) => out.push(`${r.id}@${r.frame}`),
      connection: (h) => out.push(h.explained === null ? 'no entry' : `${h.explained.connection.id}`),
    });
    order.noteRst(4, 1);
    order.noteRst(9, 2);
    order.noteRst(12, 2);
    const two = connection(2, [9, 12]);
    order.finish(two.conn, two.explained, false, false);
    assert.deepEqual(out, []);
    const one = connection(1, [4]);
    order.finish(one.conn, one.explained, false, true);
    assert.deepEqual(out, ['R1@4', 'C1', 'R2@9', 'R3@12', 'no entry']);
  });

  it('a reset that never was queued waits until the end of the stream and goes out in frame order', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(`${r.id}@${r.frame}`), connection: () => {} });
    order.noteRst(5, 1);
    const one = connection(1, [5, 3]);
    order.finish(one.conn, one.explained, false);
    assert.deepEqual(out, ['R1@5']);
    order.flush();
    assert.deepEqual(out, ['R1@5', 'R2@3']);
  });
});

describe('ResetOrder under a steady stream', () => {
  it('releases every reset in order while later RSTs are always pending (the ring is reused, not grown)', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: number[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(r.frame), connection: () => {} });
    const n = 20_000;
    for (let i = 1; i <= n; i++) {
      order.noteRst(i, i);
      // Connection i - 3 finishes while three later RSTs are still open.
      const done = i - 3;
      if (done >= 1) {
        const resets = [{ id: `P${done}`, frame: done, conn: `C${done}` }] as unknown as import('../../src/index.js').Reset[];
        order.finish({ number: done } as unknown as import('../../src/track/finished.js').FinishedConnection, {
          resets,
          connection: { id: `C${done}`, resets: [`P${done}`] } as unknown as import('../../src/index.js').Connection,
        });
      }
    }
    assert.equal(out.length, n - 3);
    assert.deepEqual(out.slice(0, 3), [1, 2, 3]);
    assert.ok(out.every((f, i) => f === i + 1));
    const queue = order as unknown as { frames: Float64Array; count: number };
    assert.equal(queue.count, 3);
    // Three live entries wrap round the first ring (1,024 entries) again and again: nothing grows
    // (a queue consumed from the front grew to 8,192 entries before its first compaction).
    assert.equal(queue.frames.length, 1024);
  });

  it('a connection open while the ring wraps and grows keeps its place: the resets waiting behind it move with the ring', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(`${r.id}@${r.frame}`), connection: () => {} });
    const n = 6000;
    const open = 4600;
    for (let i = 1; i <= n; i++) order.noteRst(i * 10, i);
    const finish = (i: number): void => {
      const resets = [{ id: `P${i}`, frame: i * 10, conn: `C${i}`, hint: null, reason_text: null, evidence: [], flags: ['RST'] }] as unknown as import('../../src/index.js').Reset[];
      order.finish({ number: i } as unknown as import('../../src/track/finished.js').FinishedConnection, resets, false, false);
    };
    for (let i = 1; i <= n; i++) if (i !== open) finish(i);
    // Everything before the open connection is out; the open connection's RST and those behind it
    // are still in the ring.
    assert.equal(out.length, open - 1);
    const queue = order as unknown as { count: number };
    assert.equal(queue.count, n - open + 1);
    finish(open);
    assert.equal(out.length, n);
    assert.ok(
      out.every((s, k) => s === `R${k + 1}@${(k + 1) * 10}`),
      'ids and frames in order',
    );
  });
});

describe('what a held reset keeps', () => {
  it('replaceWord replaces whole-word ids exactly as the word-boundary RegExp did', async () => {
    const { replaceWord } = await import('../../src/pipeline/resetOrder.js');
    const texts = ['A consequence of P3: P3 again, not P31 nor XP3 nor P3_x; (P3)', 'P3', 'P3P3 P3', 'no id here', 'P12 and P1', ''];
    for (const text of texts) {
      for (const [word, by] of [
        ['P3', 'R7'],
        ['P1', 'R100'],
        ['P12', 'R2'],
      ] as const) {
        assert.equal(replaceWord(text, word, by), text.replace(new RegExp(`\\b${word}\\b`, 'g'), by), `${word} in ${JSON.stringify(text)}`);
      }
    }
  });

  it('slimmed flattens and trims a reset without changing what it prints', async () => {
    const { slimmed } = await import('../../src/pipeline/resetOrder.js');
    const flags: string[] = [];
    for (const f of ['RST', 'ACK']) flags.push(f);
    const n = 7;
    const reset = {
      id: 'P1',
      flags,
      evidence: [{ code: 'ttl_mismatch', detail: `TTL ${n} where ${n + 57} was seen` }],
      hint: `A consequence of ${'P'}${n}: the socket was gone.`,
      reason_text: null,
    } as unknown as import('../../src/index.js').Reset;
    const before = JSON.stringify(reset);
    const slim = slimmed(reset);
    assert.equal(slim, reset, 'the same object, changed in place');
    assert.equal(JSON.stringify(slim), before);
    assert.notEqual(slim.flags, flags, 'flags copied to an exact-size array');
    assert.deepEqual(slim.flags, ['RST', 'ACK']);
  });

  it('slimmed keeps what is shared or made to measure: frozen flags, an evidence list nothing grew', async () => {
    const { slimmed } = await import('../../src/pipeline/resetOrder.js');
    const { flagNames } = await import('../../src/explain/resetFields.js');
    const flags = flagNames(0x14);
    assert.ok(Object.isFrozen(flags));
    const evidence = [{ code: 'no_fin', detail: 'no FIN' }];
    const reset = { id: 'P1', flags, evidence, hint: null, reason_text: null } as unknown as import('../../src/index.js').Reset;
    slimmed(reset);
    assert.equal(reset.flags, flags, 'the shared flag list kept');
    assert.equal(reset.evidence, evidence, 'the evidence list kept');
    const duplicated = { id: 'P2', flags, evidence, hint: null, reason_text: null, duplicates: 1 } as unknown as import('../../src/index.js').Reset;
    slimmed(duplicated);
    assert.notEqual(duplicated.evidence, evidence, "a capture duplicate's list (grown by push) copied");
    assert.deepEqual(duplicated.evidence, evidence);
  });
});

describe('digest-only sinks (the text report)', () => {
  /** A whole reset of connection `conn` at `frame`, as explain builds one. */
  const whole = (conn: number, frame: number): import('../../src/index.js').Reset => ({
    id: `P${frame}`, ts: 1_700_000_000 + frame, capture: 0, frame, conn: `C${conn}`, src: '10.0.0.1', sport: 80, dst: '10.0.0.2', dport: 40000 + conn, from: 'resp',
    flags: ['RST', 'ACK'], ttl: 64, ip_id: 7, seq: 1000, ack: 2000, win: 0, payload_len: 0, stage: 'established', cause: 'application_abort', verdict: 'genuine',
    origin: 'resp', confidence: 0.9, evidence: [{ code: 'no_fin', detail: `frame ${frame}: no FIN before the RST` }], signature: 'SYN;ACK→RST+ACK', hint: `hint ${frame}`,
    reason_text: null, mptcp_reason: null,
  });

  it('a reset that waits is handed over as its digest, one released at once whole', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: import('../../src/index.js').Reset[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(r), connection: () => {} }, true);
    order.noteRst(4, 1);
    order.noteRst(9, 2);
    const conn = (number: number) => ({ number }) as unknown as import('../../src/track/finished.js').FinishedConnection;
    order.finish(conn(2), [whole(2, 9)], false, false); // waits behind connection 1's RST
    order.finish(conn(1), [whole(1, 4)], false, false); // released at once, then 2's
    assert.deepEqual(out.map((r) => [r.id, r.frame, r.flags.length, r.evidence[0]?.detail]), [['R1', 4, 2, 'frame 4: no FIN before the RST'], ['R2', 9, 0, '']]);
    assert.deepEqual([out[1]?.hint, out[1]?.evidence[0]?.code, out[1]?.signature, out[1]?.ts], ['hint 9', 'no_fin', 'SYN;ACK→RST+ACK', 1_700_000_009]);
  });

  it("the text report's digest reads a reset's digest as the reset (the public, one-sided and Zeek fixtures)", async () => {
    const { digestOf } = await import('../../src/pipeline/resetOrder.js');
    const { TextDigest } = await import('../../src/report/text.js');
    const paths = ['public', 'onesided', 'zeek'].flatMap((sub) => {
      const dir = join(REPO_ROOT, 'test', 'fixtures', sub);
      return readdirSync(dir).filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng')).map((f) => join(dir, f));
    });
    const report = await analyze(paths);
    assert.ok(report.resets.length >= 20, `${report.resets.length} resets`);
    assert.ok(report.resets.some((r) => r.parent !== undefined));
    const viewOf = (resets: readonly import('../../src/index.js').Reset[]) => {
      const d = new TextDigest(true);
      for (const r of resets) d.add(r);
      const groups = d.groups.sorted().map((g) => ({ ...g, server: g.server, frames: g.frames, verdicts: g.verdicts, evidence: [...g.evidence], clients: [...g.clients] }));
      return JSON.stringify({ groups, causes: [...d.causeVerdicts], listed: d.listed, connections: d.connectionsWithResets });
    };
    assert.equal(viewOf(report.resets.map(digestOf)), viewOf(report.resets));
  });
});

describe('ResetOrder under a steady flood', () => {
  it('keeps its queue columns at live + a third: 40,000 RSTs waiting in a row fit 65,536 entries', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    let released = 0;
    let lastFrame = 0;
    const order = new ResetOrder({
      reset: (r) => {
        assert.ok(r.frame > lastFrame, 'frame order');
        lastFrame = r.frame;
        released++;
      },
      connection: () => {},
    });
    // Each connection's RST is noted when it comes and the connection finishes 40,000 RSTs later
    // (a scanner's flood: RSTs wait out the reset delay), for 10 × 40,000 connections.
    const waiting = 40_000;
    const total = 10 * waiting;
    const columns = () => (order as unknown as { frames: Float64Array }).frames.length;
    let most = 0;
    for (let n = 1; n <= total + waiting; n++) {
      if (n <= total) order.noteRst(n, n);
      const done = n - waiting;
      if (done >= 1) {
        const reset = { id: `P${done}`, frame: done, conn: `C${done}` } as unknown as import('../../src/index.js').Reset;
        order.finish({ number: done } as unknown as import('../../src/track/finished.js').FinishedConnection, [reset], false, false);
      }
      most = Math.max(most, columns());
    }
    // A ring holds the 40,001 live entries alone, in 65,536 (a queue compacted once its consumed
    // part is a half needed 80,000, in 131,072).
    assert.equal(most, 65_536);
    order.flush();
    assert.equal(released, total);
  });
});

describe('ResetOrder ring', () => {
  it('grows while wrapped round (its head past its start) without losing the order, and empties to its first size', async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(`${r.id}@${r.frame}`), connection: () => {} });
    const ring = order as unknown as { frames: Float64Array; head: number; count: number };
    const finish = (i: number): void => {
      const resets = [{ id: `P${i}`, frame: i * 10, conn: `C${i}`, hint: null, reason_text: null, evidence: [], flags: ['RST'] }] as unknown as import('../../src/index.js').Reset[];
      order.finish({ number: i } as unknown as import('../../src/track/finished.js').FinishedConnection, resets, false, false);
    };
    // 700 RSTs in and out: the head is 700 entries into the first ring of 1,024.
    for (let i = 1; i <= 700; i++) order.noteRst(i * 10, i);
    for (let i = 1; i <= 700; i++) finish(i);
    for (let i = 701; i <= 1000; i++) order.noteRst(i * 10, i);
    assert.equal(ring.frames.length, 1024);
    assert.equal(ring.head, 0, 'an emptied queue starts again at 0');
    for (let i = 701; i <= 1000; i++) finish(i);
    // Connection 1001 stays open while 5,000 RSTs queue behind it, wrapping round the ring and
    // growing it several times from a head in its middle; the later connections finish first.
    for (let i = 1001; i <= 1600; i++) order.noteRst(i * 10, i);
    for (let i = 1002; i <= 1600; i++) finish(i);
    assert.equal(ring.count, 600);
    for (let i = 1601; i <= 6000; i++) order.noteRst(i * 10, i);
    assert.equal(ring.frames.length, 8192);
    for (let i = 1601; i <= 6000; i++) finish(i);
    assert.equal(out.length, 1000);
    finish(1001);
    assert.equal(out.length, 6000);
    assert.ok(
      out.every((s, k) => s === `R${k + 1}@${(k + 1) * 10}`),
      'ids and frames in order',
    );
    assert.equal(ring.count, 0);
    assert.equal(ring.frames.length, 8192, 'a ring under QUEUE_KEPT is kept');
  });
});

describe('ResetOrder releasing at the head', () => {
  it("releases a connection whose one RST is the queue's head at once, never putting it beside the queue; one behind an open connection still waits", async () => {
    const { ResetOrder } = await import('../../src/pipeline/resetOrder.js');
    const out: string[] = [];
    const conns: string[] = [];
    const order = new ResetOrder({ reset: (r) => out.push(`${r.id}@${r.frame}`), connection: (held) => conns.push(held.explained?.connection.id ?? '?') });
    const reset = (i: number) => ({ id: `P${i}`, frame: i * 10, conn: `C${i}`, hint: null, reason_text: null, evidence: [], flags: ['RST'] }) as unknown as import('../../src/index.js').Reset;
    const conn = (i: number) => ({ number: i }) as unknown as import('../../src/track/finished.js').FinishedConnection;
    const entry = (i: number) => ({ resets: [reset(i)], connection: { id: `C${i}`, resets: [`P${i}`] } as unknown as import('../../src/index.js').Connection });
    for (let i = 1; i <= 4; i++) order.noteRst(i * 10, i);
    // The slot columns beside the queue made read-only: a release through them would throw.
    const slots = order as unknown as { resets: unknown[]; helds: unknown[] };
    Object.freeze(slots.resets);
    Object.freeze(slots.helds);
    order.finish(conn(1), entry(1));
    order.finish(conn(2), entry(2));
    assert.deepEqual(out, ['R1@10', 'R2@20']);
    assert.deepEqual(conns, ['C1', 'C2']);
    // Connection 4 finishes before 3: it must wait beside the queue (the frozen column refuses it).
    assert.throws(() => order.finish(conn(4), entry(4)), TypeError);
  });
});
