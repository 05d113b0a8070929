/**
 * A scan is one line, not seventeen: on a real `nmap -sS` capture (test/fixtures/lab/
 * nmap-syn-scan-20ports.client.pcap, 20 ports, 17 closed, 3 open, and another client's two
 * resets) the text report folds the scan's resets into one line with its probes, ports and
 * answers by cause, and keeps only the other client's groups; JSON still lists every reset.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli } from '../helpers/run.js';

const SCAN = join(REPO_ROOT, 'test', 'fixtures', 'lab', 'nmap-syn-scan-20ports.client.pcap');

/** The "What happened" section of a text report, up to the patterns. */
function whatHappened(text: string): string {
  return text.slice(text.indexOf('What happened'), text.indexOf('\nPatterns'));
}

test('a detected port scan is one line in the text report: probes, ports and answers by cause; the other groups stay', async () => {
  const r = await runCli(['analyze', SCAN]);
  assert.equal(r.code, 0, r.stderr);
  const section = whatHappened(r.stdout);
  assert.match(section, /20× port scan from 10\.78\.1\.2 → 10\.78\.1\.9 +\(genuine 20\)/);
  assert.match(section, /20 probes to 20 ports on 1 host \(syn scan\)/);
  assert.match(section, /17 port_closed \(closed ports answered RST\): ports 20, 21, 23, 24, 25, 53, 110, 135, 139, 143, 445, 993, 995, 1723, 3306, 3389, 5900\n/);
  assert.match(section, /3 scan_probe \(open ports answered SYN-ACK, the scanner reset\): ports 22, 80, 443\n/);
  // Only the other client's resets are left as groups: no group per scanned port, nothing hidden.
  const groupLines = section.split('\n').filter((l) => /^ {2}\d+× /.test(l));
  assert.deepEqual(groupLines.map((l) => l.replace(/ {2}\(.*$/, '')), ['  20× port scan from 10.78.1.2 → 10.78.1.9', '  1× port_closed → 10.78.1.9:8080', '  1× application_abort → 10.78.1.9:80']);
  assert.doesNotMatch(section, /more group/);
});

test('--verbose folds the scan the same way and marks each of its resets; JSON keeps every reset', async () => {
  const verbose = await runCli(['analyze', '--verbose', SCAN]);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(whatHappened(verbose.stdout), /20× port scan from 10\.78\.1\.2/);
  assert.equal(verbose.stdout.match(/↳ part of the port scan from 10\.78\.1\.2\n/g)?.length, 20);
  const json = await runCli(['analyze', '--format', 'json', SCAN]);
  const report = JSON.parse(json.stdout) as { resets: { cause: string }[]; patterns: { type: string }[] };
  assert.equal(report.resets.length, 22);
  assert.equal(report.resets.filter((x) => x.cause === 'port_closed').length, 18);
  assert.deepEqual(report.patterns.map((p) => p.type), ['port_scan']);
});
