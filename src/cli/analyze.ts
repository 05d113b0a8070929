/**
 * `whyreset analyze`: arguments, then the pipeline into Findings, then the chosen renderer.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Connection } from '../model/report.js';
import { type AnalysisSink, type ConnectionSpan, runAnalysis } from '../pipeline/run.js';
import { writeResetPackets } from '../pipeline/writeResetPackets.js';
import { writeCsv } from '../report/csv.js';
import { Findings } from '../report/findings.js';
import { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from '../report/html/writeHtml.js';
import { writeJson, writeNdjson } from '../report/json.js';
import { Output } from '../report/output.js';
import { colourWanted, makeStyle } from '../report/style.js';
import { TextDigest, writeText } from '../report/text.js';
import { zeekConnFooter, zeekConnHeader, zeekConnLine, zeekJsonLine } from '../report/zeek.js';
import { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, copyToTemp, inactivityTimeoutOf, parseCommandLine, reportInputErrors, warn } from './common.js';
import { htmlTarget, writeHtmlReport } from './htmlOption.js';
import { Progress } from './progress.js';

const FORMATS = ['text', 'json', 'ndjson', 'csv', 'zeek', 'zeek-json'] as const;
type Format = (typeof FORMATS)[number];

const ANALYZE_HELP = `Usage: whyreset analyze <capture...> [options]

Reads pcap and pcapng captures (gzip-compressed or not; "-" reads standard input, e.g.
"tcpdump -w - | whyreset analyze -") and explains every TCP reset: where in the connection's
life it came (stage), why (cause), who really sent it (verdict, origin), the evidence, and a
hint saying what to check next. Connections are tracked as Zeek tracks them.

Link types: Ethernet (with 802.1Q/802.1ad/QinQ tags, MPLS, PPPoE), raw IP, IPv4, IPv6,
Linux cooked (SLL and SLL2, "tcpdump -i any"), BSD loopback.

Options:
  -f, --format FMT   text (default): capture facts, resets by cause and verdict, the resets
                     grouped by cause and server with what to check next, and patterns
                     json: the Report of DESIGN.md (inputs, summary, resets, connections, patterns)
                     ndjson: one object per line, "type": input | reset | connection | pattern | summary
                     csv: one row per reset (RFC 4180)
                     zeek: every connection as a Zeek conn.log (TSV); zeek-json: Zeek's JSON form
      --inactivity-timeout S   seconds of silence after which a connection is finished (Zeek's
                     tcp_inactivity_timeout, default 300)
  -v, --verbose      text: also list every reset with its evidence, the cause rule that fired,
                     and after_reset consequences with the reset they follow
      --write-pcap FILE  write every packet of every connection that reset to FILE (pcap, or
                     pcapng when the inputs mix link types), original timestamps, to open in
                     Wireshark; inputs are read a second time for it
      --html FILE    also write a one-file HTML report to FILE (offline: overview, charts, a
                     sortable table of resets, a ladder diagram per connection that reset)
      --html-ladders N  ladders drawn per cause in the HTML report (default ${DEFAULT_LADDERS_PER_CAUSE})
      --html-rows N  resets embedded in the HTML report's table (default ${DEFAULT_TABLE_ROWS}; the
                     charts and counts include every reset)
      --correlate    the captures hold the same traffic seen at several points: where each
                     reset was born (see "whyreset correlate --help")
  -o, --out FILE     write the report to FILE instead of standard output
  -h, --help         this help

A damaged capture is reported on stderr with the byte offset of each problem; everything
readable before and after the damage is still analysed.
Exit codes: 0 analysed, 1 analysed with input errors, 2 usage error or unreadable input.
Colour only on a terminal, never when NO_COLOR is set. When standard error is a terminal, a
progress line (bytes read, MB/s, ETA) is drawn there for inputs that take more than a second.
`;

/** `whyreset analyze`. */
export async function analyzeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parseAnalyze(argv), ANALYZE_HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    warn(`unknown format "${values.format}": use one of ${FORMATS.join(', ')}`);
    return EXIT_USAGE;
  }
  const inactivity = inactivityTimeoutOf(values['inactivity-timeout']);
  if (typeof inactivity === 'string') {
    warn(inactivity);
    return EXIT_USAGE;
  }
  if (positionals.length === 0) {
    warn(`analyze needs at least one capture (or "-" for standard input)\n${ANALYZE_HELP}`);
    return EXIT_USAGE;
  }
  if (positionals.filter((p) => p === '-').length > 1) {
    warn('standard input ("-") can be read only once');
    return EXIT_USAGE;
  }

  const html = htmlTarget(values);
  if (typeof html === 'string') {
    warn(html);
    return EXIT_USAGE;
  }

  const writePcap = values['write-pcap'] ?? null;
  const findings = new Findings();
  // Connections are serialized only for the renderers that list them.
  const keepConnections = format === 'json' || format === 'ndjson' || format === 'zeek' || format === 'zeek-json';
  const spans: ConnectionSpan[] = [];
  // The plain text report needs only counts and groups: resets go straight into its digest
  // rather than being serialised and parsed again (--verbose and --html need every reset).
  const digest = format === 'text' && !values.verbose && html === null ? new TextDigest(positionals.length > 1) : undefined;
  const sink: AnalysisSink = {
    reset: digest !== undefined ? (r) => digest.add(r) : (r) => findings.resets.push(JSON.stringify(r)),
    connection: keepConnections ? (c) => findings.connections.push(JSON.stringify(c)) : () => {},
    pattern: (p) => findings.patterns.push(p),
    resetConnection: writePcap === null ? undefined : (span) => spans.push(span),
    ladder: html === null ? undefined : (l) => findings.ladders.push(JSON.stringify(l)),
  };
  const progress = new Progress();
  // --write-pcap reads the inputs twice: standard input is kept in a temporary file for that.
  const stdinCopy = writePcap !== null && positionals.includes('-') ? await copyToTemp(process.stdin) : null;
  try {
    const result = await runAnalysis(
      positionals,
      {
        onInputDone: (input) => {
          progress.done();
          reportInputErrors(input);
        },
        inactivityTimeout: inactivity,
        ladders: html !== null,
        onProgress: progress.enabled ? (p) => progress.report(p) : undefined,
        stdin: stdinCopy === null ? undefined : createReadStream(stdinCopy.path),
      },
      sink,
    );
    progress.done();
    for (const u of result.unreadable) warn(`${u.path}: ${u.message}`);
    findings.inputs = result.inputs;
    findings.summary = result.summary;
    if (result.inputs.length === 0) return EXIT_USAGE;
    if (writePcap !== null) {
      try {
        const copy = stdinCopy?.path;
        const written = await writeResetPackets(writePcap, result.inputs, spans, copy === undefined ? undefined : () => createReadStream(copy));
        if (process.stderr.isTTY) warn(`${writePcap}: ${written.packets} packets of ${written.connections} connections that reset (${written.format})`);
      } catch (err) {
        warn(`--write-pcap ${writePcap}: ${(err as Error).message}`);
        return EXIT_USAGE;
      }
    }

    const out = new Output(values.out ?? null);
    if (format === 'json') await writeJson(out, findings);
    else if (format === 'ndjson') await writeNdjson(out, findings);
    else if (format === 'csv') await writeCsv(out, findings);
    else if (format === 'zeek' || format === 'zeek-json') await writeZeek(out, findings, format === 'zeek-json');
    else await writeText(out, findings, makeStyle(colourWanted(out.isTerminal)), { verbose: values.verbose, digest });
    await out.end();
    if (html !== null) await writeHtmlReport(html, findings);

    if (result.unreadable.length > 0) return EXIT_USAGE;
    return result.inputs.some((i) => i.errors.length > 0) ? EXIT_INPUT_ERRORS : EXIT_OK;
  } finally {
    findings.dispose();
    stdinCopy?.remove();
  }
}

/** Every connection as a Zeek conn.log (TSV with Zeek's header block, or Zeek's JSON lines). */
async function writeZeek(out: Output, findings: Findings, json: boolean): Promise<void> {
  if (!json) await out.write(zeekConnHeader());
  for (const line of findings.connections.lines()) {
    const c = JSON.parse(line) as Connection;
    await out.write(json ? zeekJsonLine(c) : zeekConnLine(c));
  }
  if (!json) await out.write(zeekConnFooter());
}

function parseAnalyze(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      'inactivity-timeout': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      'write-pcap': { type: 'string' },
      html: { type: 'string' },
      'html-ladders': { type: 'string' },
      'html-rows': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

