/**
 * `whyreset analyze`: arguments, then the pipeline into Findings, then the chosen renderer.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Reset } from '../model/report.js';
import { expandInputs } from '../pipeline/inputs.js';
import { type AnalysisSink, type ConnectionSpan, runAnalysis } from '../pipeline/run.js';
import { csvHeader } from '../report/csv.js';
import { Findings, writeRows } from '../report/findings.js';
import { LadderChoice, leftOutLadderLine } from '../report/html/ladderChoice.js';
import { DEFAULT_LADDERS_PER_CAUSE, DEFAULT_TABLE_ROWS } from '../report/html/limits.js';
import { writeJson } from '../report/json.js';
import { NdjsonStream } from '../report/ndjsonStream.js';
import { Output } from '../report/output.js';
import { colourWanted, makeStyle } from '../report/style.js';
import { TextDigest, writeText } from '../report/text.js';
import { zeekConnFooter, zeekConnHeader } from '../report/zeek.js';
import { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, copyToTemp, reportInputErrors, warn } from './common.js';
import { FILTER_HELP } from './filterOption.js';
import { htmlTarget, writeHtmlReport } from './htmlOption.js';
import { analyseWhatWasCopied, watchInterrupts } from './interrupt.js';
import { KERNEL_TRACE_HELP } from './kernelTraceOption.js';
import { optionsOf } from './options.js';
import { outputsProblem } from './outputCheck.js';
import { Progress } from './progress.js';
import { parseRunCommand } from './runOptions.js';
import { THREADS_HELP } from './threadsOption.js';

/** Bytes read at a time when ndjson streams as the analysis runs (see chunkSize where runAnalysis is called). */
const NDJSON_CHUNK_BYTES = 1 << 20;

const FORMATS = ['text', 'json', 'ndjson', 'csv', 'zeek', 'zeek-json'] as const;
type Format = (typeof FORMATS)[number];

const ANALYZE_HELP = `Usage: whyreset analyze <capture...> [options]

Reads pcap and pcapng captures (gzip-compressed or not; "-" reads standard input, e.g.
"tcpdump -w - | whyreset analyze -"; a directory or a quoted glob stands for its capture
files in time order; several captures are read in the order of their first packets, so
reset ids run in time order, while each keeps its capture index from its place on the
command line) and explains every TCP reset: where in the connection's
life it came (stage), why (cause), who really sent it (verdict, origin), the evidence, and a
hint saying what to check next. Connections are tracked as Zeek tracks them.

Link types: Ethernet (with 802.1Q/802.1ad/QinQ tags, MPLS, PPPoE), raw IP, IPv4, IPv6,
Linux cooked (SLL and SLL2, "tcpdump -i any"), BSD loopback, PPP, PPP in HDLC framing, Cisco
HDLC, FDDI, IEEE 802.11 (unencrypted data, with or without radiotap), Linux NFLOG, Solaris IPNET,
Juniper Ethernet, PPPoE, PPP and C-HDLC (JUNOS "monitor traffic write-file").
A tunnelled packet whose outer IPv4 header or outer UDP checksum is wrong is not tracked (-C: it is).
Tunnels are decapsulated to the inner TCP connection, as Zeek does: IP-in-IP, 6in4, 4in6, GRE
(keys, sequence numbers, PPTP), ERSPAN I/II/III, VXLAN (UDP 4789), Geneve (6081), Teredo (3544),
AYIYA (5072), GTPv1 (2152, 2123), at most 4 deep; the outer layers are the connection's "tunnel".

Options:
  -f, --format FMT   text (default): capture facts, resets by cause and verdict, the resets
                     grouped by cause and server with what to check next, and patterns
                     json: the Report of DESIGN.md (inputs, summary, resets, connections, patterns)
                     ndjson: one object per line, "type": input | reset | connection | pattern |
                     summary, written as the analysis runs: each reset and connection when its
                     connection ends (in capture time), each input when read, the summary last
      --summary-every S  ndjson: also a "summary" line with "partial": true every S seconds of
                     wall-clock time (counts so far), so a pipeline following a live capture
                     hears from it while no connection ends; wall-clock, not capture time,
                     because a live capture's time stands still while it is silent (for a
                     file, the final summary is the deterministic one)
                     csv: one row per reset (RFC 4180)
                     zeek: every connection as a Zeek conn.log (TSV); zeek-json: Zeek's JSON form
      --inactivity-timeout S   seconds of silence after which a connection is finished (Zeek's
                     tcp_inactivity_timeout, default 300)
  -v, --verbose      text: also list every reset with its evidence, the cause rule that fired,
                     and after_reset consequences with the reset they follow
      --write-pcap FILE  write every packet of every connection that reset to FILE ("-":
                     standard output, then give --out for the report) (pcap, or
                     pcapng when the inputs mix link types), original timestamps, to open in
                     Wireshark; inputs are read a second time for it
      --html FILE    also write a one-file HTML report to FILE (offline: overview, charts, a
                     sortable table of resets, a ladder diagram per connection that reset)
      --html-ladders N  ladders drawn per cause in the HTML report (default ${DEFAULT_LADDERS_PER_CAUSE})
      --html-rows N  resets embedded in the HTML report's table (default ${DEFAULT_TABLE_ROWS}; the
                     charts and counts include every reset)
${KERNEL_TRACE_HELP}
${FILTER_HELP}
      --correlate    the captures hold the same traffic seen at several points: where each
                     reset was born (see "whyreset correlate --help")
      --stream       the inputs are pieces of one capture (tcpdump -C/-G/-W, dumpcap ring
                     buffers, editcap -c): tracked as one stream, frames still numbered per
                     file. Without it, a file whose name differs from the one before only in
                     digits, with the same link type, starting where it ended, continues it
  -C, --ignore-checksums  track packets with a bad IPv4 or TCP checksum too (Zeek's -C); by
                     default they are not tracked, except from a host whose NIC fills
                     checksums in (summary: checksum offload); under -C a RST's own
                     checksum is still checked (evidence bad_checksum)
${THREADS_HELP}
  -o, --out FILE     write the report to FILE instead of standard output ("-": standard output)
      --color WHEN   auto (default: on a terminal, unless NO_COLOR; FORCE_COLOR forces it),
                     always (e.g. for less -R) or never
  -h, --help         this help

Outputs are checked before the analysis: never an input (same file, also through links), and
written to a temporary file beside the target, renamed into place only when complete.
A damaged capture is reported on stderr with the byte offset of each problem; everything
readable before and after the damage is still analysed.
Exit codes: 0 analysed, 1 analysed with input errors, 2 usage error or unreadable input.
Colour only on a terminal, never when NO_COLOR is set. When standard error is a terminal, a
progress line (bytes read, MB/s, ETA) is drawn there for inputs that take more than a second.
`;

/** `whyreset analyze`. */
export async function analyzeCommand(argv: string[]): Promise<number> {
  const parsed = parseRunCommand(() => parseAnalyze(argv), ANALYZE_HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const { colour, inactivity, threads, kernel, filter } = parsed.shared;
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    warn(`unknown format "${values.format}": use one of ${FORMATS.join(', ')}`);
    return EXIT_USAGE;
  }
  const summaryEvery = summaryEveryOf(values['summary-every'], format);
  if (typeof summaryEvery === 'string') {
    warn(summaryEvery);
    return EXIT_USAGE;
  }
  if (positionals.length === 0) {
    warn(
      'analyze needs a capture. Try the example: whyreset analyze examples/closed-port.pcap — or capture your own: sudo tcpdump -i eth0 -w mine.pcap tcp (Ctrl-C to stop), then whyreset analyze mine.pcap (or live: tcpdump -w - | whyreset analyze -)',
    );
    return EXIT_USAGE;
  }
  if (positionals.filter((p) => p === '-').length > 1) {
    warn('standard input ("-") can be read only once');
    return EXIT_USAGE;
  }

  // Directories and quoted globs stand for their capture files, in time order (pipeline/inputs.ts).
  const inputs = await expandInputs(positionals);
  if (inputs.length === 0) {
    warn(`no capture files in ${positionals.join(' ')}`);
    return EXIT_USAGE;
  }

  const html = htmlTarget(values);
  if (typeof html === 'string') {
    warn(html);
    return EXIT_USAGE;
  }

  const writePcap = values['write-pcap'] ?? null;
  const outputs = [
    { option: '--out', path: values.out ?? '-', report: true },
    ...(html === null ? [] : [{ option: '--html', path: html.path, report: true }]),
    ...(writePcap === null ? [] : [{ option: '--write-pcap', path: writePcap, report: false }]),
  ];
  const outputProblem = outputsProblem(positionals, outputs);
  if (outputProblem !== null) {
    warn(outputProblem);
    return EXIT_USAGE;
  }
  const findings = new Findings();
  // Connections are serialized only for the renderers that list them.
  const keepConnections = format === 'json';
  // ndjson goes out as the analysis runs (report/ndjsonStream.ts), not from spools at the end.
  const out = format === 'ndjson' ? new Output(values.out ?? null) : null;
  const live = out === null ? null : new NdjsonStream(out);
  const spans: ConnectionSpan[] = [];
  // The plain text report needs only counts and groups: resets go straight into its digest
  // rather than being serialised and parsed again (--verbose needs every reset; with --html the
  // digest takes them as they come too, beside the spool the page is written from).
  const digest = format === 'text' && !values.verbose ? new TextDigest(inputs.length > 1) : undefined;
  // csv and Zeek rows are rendered as the findings arrive, without a JSON line per finding to
  // parse back at the end; the resets' JSON is then kept only for --html.
  const rows = format === 'csv' || format === 'zeek' || format === 'zeek-json' ? findings.rows : null;
  const keepResets = html !== null || rows === null;
  // With --html, which connections' ladders the page can draw is told as their resets are spooled
  // (not through a filter, which hands ladders and resets on apart: every ladder is built then).
  const ladderChoice = html === null || filter !== null ? null : new LadderChoice(html.ladders);
  const keepReset = !keepResets
    ? () => {}
    : ladderChoice === null
      ? (r: Reset) => findings.resets.pushReset(r)
      : (r: Reset) => {
          findings.resets.pushReset(r);
          ladderChoice.reset(r.conn, r.cause);
        };
  const sink: AnalysisSink = {
    reset:
      live !== null
        ? (r) => live.reset(r)
        : digest !== undefined
          ? html === null
            ? (r) => digest.add(r)
            : (r) => {
                digest.add(r);
                keepReset(r);
              }
          : format === 'csv' && rows !== null
            ? (r) => {
                rows.pushCsv(r);
                keepReset(r);
              }
            : keepReset,
    connection:
      live !== null
        ? (c) => live.connection(c)
        : rows !== null && format !== 'csv'
          ? format === 'zeek-json'
            ? (c) => rows.pushZeekJson(c)
            : (c) => rows.pushZeek(c)
          : keepConnections
            ? (c) => findings.connections.pushConnection(c)
            : () => {},
    // Text and CSV list no connection: the pipeline then holds none waiting for report order.
    connectionsUnread: live === null && !(rows !== null && format !== 'csv') && !keepConnections,
    // The text report's digest reads a few fields of each reset: those that wait are held as that.
    resetsDigestOnly: digest !== undefined && live === null && html === null,
    pattern: live !== null ? (p) => live.pattern(p) : (p) => findings.patterns.push(p),
    resetConnection: writePcap === null ? undefined : (span) => spans.push(span),
    ladder: html === null ? undefined : (l) => findings.ladders.push(JSON.stringify(l)),
    // A ladder the page cannot draw is not built: a line saying so keeps its place in the spool.
    ladderLeftOut:
      ladderChoice === null
        ? undefined
        : (conn, resets) => {
            if (!ladderChoice.leftOut(conn, resets)) return false;
            findings.ladders.push(leftOutLadderLine(conn));
            return true;
          },
  };
  const progress = new Progress();
  const interrupts = watchInterrupts();
  let stdinCopy: Awaited<ReturnType<typeof copyToTemp>> | null = null;
  let reportEnded = false;
  const heartbeat = live !== null && summaryEvery !== undefined ? setInterval(() => live.partialSummary(), summaryEvery * 1000) : null;
  try {
    // --write-pcap reads the inputs twice: standard input is kept in a temporary file for that.
    if (writePcap !== null && positionals.includes('-')) {
      stdinCopy = await copyToTemp(process.stdin);
      analyseWhatWasCopied();
    }
    const result = await runAnalysis(
      inputs,
      {
        ignoreChecksums: values['ignore-checksums'],
        stream: values.stream === true ? true : undefined,
        ...threads,
        onInputDone: (input) => {
          progress.done();
          reportInputErrors(input);
          live?.input(input);
        },
        pace: live?.pace,
        // Streamed ndjson writes a chunk's lines when the chunk is parsed (or each megabyte of
        // them): 1 MiB reads keep a live reader's wait short and the read window small (200k-
        // connection flood: 282 MB peak with 1 MiB reads, 299 MB with the default 8 MiB).
        chunkSize: live === null ? undefined : NDJSON_CHUNK_BYTES,
        filter: filter ?? undefined,
        inactivityTimeout: inactivity,
        kernel,
        ladders: html !== null,
        // The Community ID is printed by JSON and ndjson (resets and connections) and CSV (resets).
        communityIds: format === 'json' || format === 'ndjson' ? 'all' : format === 'csv' ? 'resets' : 'none',
        onProgress: progress.enabled ? (p) => progress.report(p) : undefined,
        stdin: stdinCopy === null ? undefined : createReadStream(stdinCopy.path),
      },
      sink,
    );
    progress.done();
    for (const u of result.unreadable) warn(`${u.path}: ${u.message}`);
    findings.inputs = result.inputs;
    findings.summary = interrupts.interrupted ? { ...result.summary, interrupted: true } : result.summary;
    if (result.inputs.length === 0) return EXIT_USAGE;
    if (writePcap !== null) {
      try {
        const copy = stdinCopy?.path;
        // Loaded only for --write-pcap (pipeline/writeResetPackets.ts and its pcap writer and spools).
        const { writeResetPackets } = await import('../pipeline/writeResetPackets.js');
        const written = await writeResetPackets(writePcap, result.inputs, spans, copy === undefined ? undefined : () => createReadStream(copy));
        if (process.stderr.isTTY) warn(`${writePcap}: ${written.packets} packets of ${written.connections} connections that reset (${written.format})`);
      } catch (err) {
        warn(`--write-pcap ${writePcap}: ${(err as Error).message}`);
        return EXIT_USAGE;
      }
    }

    if (heartbeat !== null) clearInterval(heartbeat);
    const report = out ?? new Output(values.out ?? null);
    if (live !== null) await live.end(findings.summary);
    else if (format === 'json') await writeJson(report, findings);
    else if (format === 'csv') await writeRows(report, csvHeader(), findings.rows, '');
    else if (format === 'zeek') await writeRows(report, zeekConnHeader(), findings.rows, zeekConnFooter());
    else if (format === 'zeek-json') await writeRows(report, '', findings.rows, '');
    else await writeText(report, findings, makeStyle(colourWanted(report.isTerminal, process.env, colour)), { verbose: values.verbose, digest });
    await report.end();
    reportEnded = true;
    if (html !== null) await writeHtmlReport(html, findings);

    if (result.unreadable.length > 0) return EXIT_USAGE;
    return result.inputs.some((i) => i.errors.length > 0) ? EXIT_INPUT_ERRORS : EXIT_OK;
  } finally {
    if (heartbeat !== null) clearInterval(heartbeat);
    // A streamed report that did not finish leaves no half-written --out file.
    if (out !== null && !reportEnded) out.abort();
    interrupts.dispose();
    findings.dispose();
    stdinCopy?.remove();
  }
}

/** `--summary-every S`: seconds above 0, only with `--format ndjson`. */
function summaryEveryOf(value: string | undefined, format: Format): number | undefined | string {
  if (value === undefined) return undefined;
  if (format !== 'ndjson') return '--summary-every needs --format ndjson';
  const seconds = Number(value);
  return seconds > 0 && Number.isFinite(seconds) ? seconds : `--summary-every needs a number of seconds above 0, not "${value}"`;
}

function parseAnalyze(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: optionsOf('analyze'),
  });
}

