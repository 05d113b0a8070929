/**
 * The HTML report opened in a real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core): no console or page errors, no request leaves the page, one ladder per
 * connection that reset, the table filters, sorts, pages and jumps to ladders, hostile reason
 * text stays text, and the static parts work with JavaScript off. Runs on synthetic captures
 * always, and on real-kernel captures from two lab scenarios when root (else says why it skips).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { preflight } from '../../src/lab/preflight.js';
import { baseTools, runLab } from '../../src/lab/runLab.js';
import { scenarioNamed } from '../../src/lab/scenarios/index.js';
import type { Reset } from '../../src/model/report.js';
import { runAnalysis } from '../../src/pipeline/run.js';
import { Findings } from '../../src/report/findings.js';
import { type HtmlStats, writeHtml } from '../../src/report/html/writeHtml.js';
import { Output } from '../../src/report/output.js';
import { type WatchedPage, chromiumMissing, openInChromium } from '../helpers/chromium.js';
import { A, Conversation, P, R, S } from '../helpers/conversation.js';

/** Written into a RST's payload, where load balancers put their reset cause. */
const EVIL = '<img src=x onerror="window.__xss=1"></q></script><script>window.__xss=2</script>';
const SCAN_PORTS = 120;

/** A capture with several reset kinds: closed port, abort with reason text, forged RST, idle timeout, and a port scan. */
function syntheticCapture(): Uint8Array {
  const start = 1700000000;
  const closed = new Conversation({ start, client: { port: 41001 }, server: { port: 9 } }).send('c', S).send('s', R | A);
  const abort = new Conversation({ start: start + 1, client: { port: 41002 }, server: { port: 443 } })
    .handshake()
    .exchange()
    .send('s', R | A, { payload: new TextEncoder().encode(EVIL) });
  const forged = new Conversation({ start: start + 2, client: { port: 41003 }, server: { port: 80 } })
    .handshake()
    .exchange()
    .send('c', P | A, { len: 200 })
    .send('s', R, { ttl: 250, dt: 0.0001 });
  const idle = new Conversation({ start: start + 3, client: { port: 41004 }, server: { port: 5432 } })
    .handshake()
    .exchange()
    .wait(150)
    .send('s', R | A);
  const scans: Conversation[] = [];
  for (let i = 0; i < SCAN_PORTS; i++) {
    scans.push(new Conversation({ start: start + 4 + i * 0.01, client: { addr: '10.0.0.66', port: 50000 }, server: { port: 1000 + i } }).send('c', S).send('s', R | A));
  }
  return closed.toPcap(abort, forged, idle, ...scans);
}

/** Analyses `paths` with ladders and writes the HTML report to `file`. */
async function analyseToHtml(paths: string[], file: string, laddersPerCause?: number): Promise<{ findings: Findings; stats: HtmlStats; resets: Reset[] }> {
  const findings = new Findings();
  const resets: Reset[] = [];
  const result = await runAnalysis(
    paths,
    { ladders: true },
    {
      reset: (r) => {
        resets.push(r);
        findings.resets.push(JSON.stringify(r));
      },
      connection: (c) => findings.connections.push(JSON.stringify(c)),
      pattern: (p) => findings.patterns.push(p),
      ladder: (l) => findings.ladders.push(JSON.stringify(l)),
    },
  );
  findings.inputs = result.inputs;
  findings.summary = result.summary;
  const out = new Output(file);
  const stats = await writeHtml(out, findings, { laddersPerCause });
  await out.end();
  return { findings, stats, resets };
}

/** Connections that reset, and how many the per-cause limit lets through. */
function expectedLadders(resets: readonly Reset[], perCause: number): { conns: number; drawn: number } {
  const causeOf = new Map<string, string>();
  for (const r of resets) if (r.conn !== null && !causeOf.has(r.conn)) causeOf.set(r.conn, r.cause ?? 'unexplained');
  const perCauseCount = new Map<string, number>();
  for (const c of causeOf.values()) perCauseCount.set(c, (perCauseCount.get(c) ?? 0) + 1);
  let drawn = 0;
  for (const n of perCauseCount.values()) drawn += Math.min(n, perCause);
  return { conns: causeOf.size, drawn };
}

/** Asserts the page logged nothing wrong and requested only itself. */
function assertClean(w: WatchedPage, file: string): void {
  assert.deepEqual(w.pageErrors, [], 'page errors');
  assert.deepEqual(w.consoleErrors, [], 'console errors and warnings');
  assert.deepEqual(w.requests, [`file://${file}`], 'the page requests nothing but itself');
}

// Page-side code is given as strings (the tests compile without the DOM library), and waits use
// locators: the page's CSP rightly refuses the eval that string waitForFunction needs.

/** The visible table rows' cell texts. */
async function tableCells(w: WatchedPage): Promise<string[][]> {
  return (await w.page.evaluate(`Array.from(document.querySelectorAll('#resets tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent))`)) as string[][];
}

/** The index of the table column with `data-key` = `key`. */
async function columnIndex(w: WatchedPage, key: string): Promise<number> {
  return (await w.page.evaluate(`Array.from(document.querySelectorAll('#resets thead th')).findIndex((th) => th.getAttribute('data-key') === ${JSON.stringify(key)})`)) as number;
}

/** The status line under the table's controls. */
async function statusText(w: WatchedPage): Promise<string> {
  return (await w.page.locator('#t-status').textContent()) ?? '';
}

describe('HTML report in Chromium', async () => {
  const missing = await chromiumMissing();
  const dir = mkdtempSync(join(tmpdir(), 'whyreset-html-'));
  const pcap = join(dir, 'mix.pcap');
  let resets: Reset[] = [];
  let findings: Findings | null = null;
  const files = { capped: join(dir, 'capped.html'), all: join(dir, 'all.html') };

  before(async () => {
    writeFileSync(pcap, syntheticCapture());
    const all = await analyseToHtml([pcap], files.all, 1000);
    resets = all.resets;
    findings = all.findings;
    (await analyseToHtml([pcap], files.capped, 3)).findings.dispose();
  });
  after(() => {
    findings?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws one ladder per connection that reset, with no error and no request', { skip: missing ?? false, timeout: 60_000 }, async () => {
    assert.ok(resets.length >= SCAN_PORTS + 4, `${resets.length} resets`);
    const w = await openInChromium(files.all);
    try {
      const { conns } = expectedLadders(resets, 1000);
      assert.equal(await w.page.locator('[data-conn]').count(), conns);
      const ids = await w.page.$$eval('[data-conn]', (els) => els.map((el) => el.getAttribute('data-conn')));
      assert.deepEqual(new Set(ids), new Set(resets.map((r) => r.conn)));
      assert.equal(await w.page.evaluate('typeof window.__xss'), 'undefined', 'no injected script ran');
      const shown = await w.page.locator('.reason q').first().textContent();
      assert.equal(shown, EVIL, 'the reason text is shown as text');
      assertClean(w, files.all);
    } finally {
      await w.close();
    }
  });

  it('draws the first N per cause when capped and says how many were left out', { skip: missing ?? false, timeout: 60_000 }, async () => {
    const w = await openInChromium(files.capped);
    try {
      const { conns, drawn } = expectedLadders(resets, 3);
      assert.ok(drawn < conns);
      assert.equal(await w.page.locator('[data-conn]').count(), drawn);
      assert.match((await w.page.locator('#ladders').textContent()) ?? '', new RegExp(`${conns - drawn} connection\\(s\\) that reset are not drawn`));
      assertClean(w, files.capped);
    } finally {
      await w.close();
    }
  });

  it('filters, sorts, pages and jumps to a ladder', { skip: missing ?? false, timeout: 60_000 }, async () => {
    const w = await openInChromium(files.all);
    try {
      const { page } = w;
      assert.equal((await tableCells(w)).length, 50, 'a page of 50 rows');
      assert.match(await statusText(w), new RegExp(`Resets 1–50 of ${resets.length}\\.`));

      // The cause select narrows the table to exactly that cause's resets.
      const idle = resets.filter((r) => r.cause === 'idle_timeout').length;
      assert.ok(idle > 0);
      await page.selectOption('#t-cause', 'idle_timeout');
      const causeCol = await columnIndex(w, 'cause');
      const idleRows = await tableCells(w);
      assert.equal(idleRows.length, idle);
      for (const row of idleRows) assert.equal(row[causeCol], 'idle_timeout');
      await page.selectOption('#t-cause', '');

      // Text search: the scanner's address.
      await page.fill('#t-q', '10.0.0.66');
      await page.locator('#t-status', { hasText: 'filtered' }).waitFor();
      const fromScanner = resets.filter((r) => r.src === '10.0.0.66' || r.dst === '10.0.0.66').length;
      assert.match(await statusText(w), new RegExp(`of ${fromScanner} \\(filtered from ${resets.length}\\)`));
      await page.fill('#t-q', 'no-such-thing-anywhere');
      await page.locator('#t-status', { hasText: 'No reset matches.' }).waitFor();
      assert.equal((await tableCells(w)).length, 0);
      await page.fill('#t-q', '');
      await page.locator('#t-status', { hasText: `Resets 1–50 of ${resets.length}.` }).waitFor();

      // Sort by TTL: ascending, then descending; the whole table, not just the page.
      const ttlCol = await columnIndex(w, 'ttl');
      await page.click('#resets th[data-key="ttl"] button');
      const up = (await tableCells(w)).map((r) => Number(r[ttlCol]));
      assert.deepEqual(
        up,
        [...up].sort((a, b) => a - b),
      );
      assert.equal(up[0], Math.min(...resets.map((r) => r.ttl)));
      assert.equal(await page.getAttribute('#resets th[data-key="ttl"]', 'aria-sort'), 'ascending');
      await page.click('#resets th[data-key="ttl"] button');
      const down = (await tableCells(w)).map((r) => Number(r[ttlCol]));
      assert.deepEqual(
        down,
        [...down].sort((a, b) => b - a),
      );
      assert.equal(down[0], Math.max(...resets.map((r) => r.ttl)));

      // Sort by time, then the next page continues where the first ended.
      const idCol = await columnIndex(w, 'id');
      await page.click('#resets th[data-key="ts"] button');
      const first = (await tableCells(w)).map((r) => r[idCol]);
      await page.click('#t-next');
      const second = (await tableCells(w)).map((r) => r[idCol]);
      const byTime = [...resets].sort((a, b) => a.ts - b.ts).map((r) => r.id);
      assert.deepEqual(first, byTime.slice(0, 50));
      assert.deepEqual(second, byTime.slice(50, 100));
      assert.match(await statusText(w), /Resets 51–100 of/);

      // A click on a row jumps to its connection's ladder.
      await page.click('#t-prev');
      const row = page.locator('#resets tbody tr').nth(3);
      const connCol = await columnIndex(w, 'conn');
      const conn = (await tableCells(w))[3]?.[connCol];
      await row.locator('td').first().click();
      assert.equal(await page.evaluate('location.hash'), `#conn-${conn}`);
      assert.ok(await page.locator(`article#conn-${conn} svg[data-conn="${conn}"]`).isVisible());
      assertClean(w, files.all);
    } finally {
      await w.close();
    }
  });

  it('shows the overview, charts, ladders and a first page of rows with JavaScript off', { skip: missing ?? false, timeout: 60_000 }, async () => {
    const w = await openInChromium(files.all, { javaScript: false });
    try {
      const { page } = w;
      assert.equal((await tableCells(w)).length, 50);
      assert.equal(await page.locator('#t-controls').isVisible(), false, 'controls that need the script stay hidden');
      assert.match(await statusText(w), /need JavaScript/);
      assert.equal(await page.locator('[data-conn]').count(), expectedLadders(resets, 1000).conns);
      assert.equal(await page.locator('#charts svg.chart').count(), 2, 'the time chart and the TTL chart');
      // The forged RST claims the server (TTL 127 in its packets) but came with TTL 250.
      assert.match((await page.locator('#charts svg.chart').nth(1).textContent()) ?? '', /10\.0\.1\.20.*packets 127 \(1\) · RST 250 \(5\)/);
      assertClean(w, files.all);
    } finally {
      await w.close();
    }
  });
});

/** Lab scenarios whose real-kernel captures the report is opened on: a refused port and a forged RST. */
const LAB_SCENARIOS = ['closed-port', 'middlebox-injection'];

describe('HTML report of real-kernel captures (lab)', async () => {
  const scenarios = LAB_SCENARIOS.map((n) => scenarioNamed(n));
  const cannot =
    (await chromiumMissing()) ??
    (scenarios.some((s) => s === undefined) ? 'lab scenarios renamed' : await preflight([...baseTools('whyreset'), ...scenarios.flatMap((s) => s?.needs ?? [])]));
  if (cannot) process.stdout.write(`# lab HTML test skipped: ${cannot}\n`);

  it('opens with every ladder drawn, clean, for each capture point of two scenarios', { skip: cannot ?? false, timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whyreset-html-lab-'));
    let findings: Findings | null = null;
    try {
      const run = await runLab({ scenarios: LAB_SCENARIOS, outDir: dir });
      assert.deepEqual(
        run.results.filter((r) => !r.verified).map((r) => r.name),
        [],
        'scenarios reproduced',
      );
      const paths = run.results.flatMap((r) => ['client', 'router', 'server'].map((p) => join(r.dir, `${p}.pcap`))).filter((p) => existsSync(p));
      const file = join(dir, 'report.html');
      const started = performance.now();
      const done = await analyseToHtml(paths, file);
      findings = done.findings;
      const { conns, drawn } = expectedLadders(done.resets, 20);
      assert.equal(drawn, conns, 'under the cap');
      assert.ok(done.resets.some((r) => r.verdict === 'forged'), 'the injection is called forged');
      process.stdout.write(`# lab HTML: ${paths.length} captures, ${done.resets.length} resets, ${conns} ladders, ${statSync(file).size} bytes in ${Math.round(performance.now() - started)} ms\n`);
      const w = await openInChromium(file);
      try {
        assert.equal(await w.page.locator('[data-conn]').count(), conns);
        assert.equal(await w.page.locator('svg[data-conn] .k-rst-forged').count() > 0, true, 'a forged RST is drawn as forged');
        assert.equal((await tableCells(w)).length, done.resets.length);
        const shot = process.env.WHYRESET_HTML_SCREENSHOT;
        if (shot) await w.page.screenshot({ path: shot, fullPage: true });
        assertClean(w, file);
      } finally {
        await w.close();
      }
    } finally {
      findings?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
