/**
 * `whyreset correlate` (and `analyze --correlate`): captures of the same traffic at several
 * points; arguments, the correlation run into Findings, then the chosen renderer.
 */
import { parseArgs } from 'node:util';
import { parseOrder } from '../correlate/order.js';
import type { InputSummary } from '../model/report.js';
import type { AnalysisSink } from '../pipeline/run.js';
import { runCorrelation } from '../pipeline/runCorrelation.js';
import { writeCorrelateText } from '../report/correlateText.js';
import { Findings } from '../report/findings.js';
import { writeJson, writeNdjson } from '../report/json.js';
import { Output } from '../report/output.js';
import { colourWanted, makeStyle } from '../report/style.js';
import { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, reportInputErrors, warn } from './common.js';
import { FILTER_HELP } from './filterOption.js';
import { htmlTarget, writeHtmlReport } from './htmlOption.js';
import { watchInterrupts } from './interrupt.js';
import { KERNEL_TRACE_HELP } from './kernelTraceOption.js';
import { optionsOf } from './options.js';
import { outputsProblem } from './outputCheck.js';
import { parseRunCommand } from './runOptions.js';
import { THREADS_HELP } from './threadsOption.js';

const FORMATS = ['text', 'json', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

const CORRELATE_HELP = `Usage: whyreset correlate <capture> <capture> [<capture>...] [options]
       whyreset analyze --correlate <capture> <capture> [...] [options]

Captures of the same traffic taken at several points (say at the client, on a router and at
the server) are matched packet by packet on what routers do not change: addresses, ports,
seq, ack, flags, IPv4 ID, payload length and a hash of the payload (never the TTL, checksums
or link-layer headers). A forwarded packet that a "tcpdump -i any" capture holds twice (in,
then out one TTL lower) counts once at that point. From the matched packets whyreset finds:
  - the clock offset and one-way delay between each pair of points (packets both ways);
  - the order of the points along the path (TTL decrements, then timing);
  - for every RST: where it was seen, where first, where it should have passed and was not,
    so on which segment of the path it was born. A reset "from the server" that the capture
    next to the server never saw was forged in between: verdict and origin follow the
    capture points. A point that never carried that traffic (asymmetric routing) is never
    counted as absent. The same RST seen at several points is listed once, explained from the
    point nearest its claimed sender; seen_at lists every sighting.
NAT (rewritten addresses or ports) and sequence-number randomising firewalls are out of scope:
their packets do not match. Standard input cannot be used (each capture is read twice).

Options:
  -f, --format FMT   text (default): path order, clock offsets, each reset with where it was
                     seen and born; json: the Report with "path" and per reset "seen_at" and
                     "born"; ndjson: one object per line ("type": input | path | reset | ...)
      --order LIST   the points' order from the side that opens connections, e.g. "2,1,0" or
                     "client,router,server" (capture numbers or file names), instead of inferring it
      --inactivity-timeout S   as for analyze (default 300)
      --html FILE    also write the one-file HTML report, its ladders with one column per
                     capture point (see "whyreset analyze --help")
      --html-ladders N  ladders drawn per cause in the HTML report
      --html-rows N  resets embedded in the HTML report's table
${KERNEL_TRACE_HELP}
${THREADS_HELP}
${FILTER_HELP}
  -o, --out FILE     write the report to FILE instead of standard output
      --color WHEN   auto (default: on a terminal, unless NO_COLOR; FORCE_COLOR forces it),
                     always (e.g. for less -R) or never
  -h, --help         this help

Exit codes: 0 analysed, 1 analysed with input errors, 2 usage error or unreadable input.
`;

/** `whyreset correlate`: returns the exit code. */
export async function correlateCommand(argv: string[]): Promise<number> {
  const parsed = parseRunCommand(() => parseCorrelate(argv), CORRELATE_HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const { colour, inactivity, threads, kernel, filter } = parsed.shared;
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    warn(`unknown format "${values.format}" for correlate: use one of ${FORMATS.join(', ')}`);
    return EXIT_USAGE;
  }
  if (positionals.length < 2) {
    warn(`correlate needs at least two captures of the same traffic\n${CORRELATE_HELP}`);
    return EXIT_USAGE;
  }
  if (positionals.includes('-')) {
    warn('correlate reads each capture twice: standard input ("-") cannot be one of them');
    return EXIT_USAGE;
  }
  let order: number[] | undefined;
  try {
    order = values.order === undefined ? undefined : parseOrder(values.order, positionals);
  } catch (err) {
    warn((err as Error).message);
    return EXIT_USAGE;
  }

  const html = htmlTarget(values);
  if (typeof html === 'string') {
    warn(html);
    return EXIT_USAGE;
  }

  const outputProblem = outputsProblem(positionals, [
    { option: '--out', path: values.out ?? '-', report: true },
    ...(html === null ? [] : [{ option: '--html', path: html.path, report: true }]),
  ]);
  if (outputProblem !== null) {
    warn(outputProblem);
    return EXIT_USAGE;
  }

  const findings = new Findings();
  const interrupts = watchInterrupts();
  try {
    const everything: AnalysisSink = {
      reset: (r) => findings.resets.pushJson(r),
      connection: (c) => findings.connections.pushJson(c),
      pattern: (p) => findings.patterns.push(p),
      ladder: html === null ? undefined : (l) => findings.ladders.push(JSON.stringify(l)),
    };
    // The filter selects the correlated findings: every capture is still matched whole.
    const onInputDone = (input: InputSummary): void => {
      reportInputErrors(input);
      if (input.first_ts !== null) filter?.noteFirstPacket(input.first_ts);
    };
    const result = await runCorrelation(
      positionals,
      { onInputDone, inactivityTimeout: inactivity, order, ladders: html !== null, kernel, ...threads },
      filter === null ? everything : filter.wrap(everything),
    );
    filter?.adjust(result.summary);
    for (const u of result.unreadable) warn(`${u.path}: ${u.message}`);
    if (result.inputs.length === 0) return EXIT_USAGE;
    findings.inputs = result.inputs;
    findings.summary = interrupts.interrupted ? { ...result.summary, interrupted: true } : result.summary;
    findings.path = result.path;
    if (order !== undefined && result.inputs.length !== positionals.length) warn('--order ignored: not every capture could be read');

    const out = new Output(values.out ?? null);
    if (format === 'json') await writeJson(out, findings);
    else if (format === 'ndjson') await writeNdjson(out, findings);
    else await writeCorrelateText(out, findings, makeStyle(colourWanted(out.isTerminal, process.env, colour)));
    await out.end();
    if (html !== null) await writeHtmlReport(html, findings);

    if (result.unreadable.length > 0) return EXIT_USAGE;
    return result.inputs.some((i) => i.errors.length > 0) ? EXIT_INPUT_ERRORS : EXIT_OK;
  } finally {
    interrupts.dispose();
    findings.dispose();
  }
}

function parseCorrelate(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: optionsOf('correlate'),
  });
}
