/**
 * `whyreset explain <capture...> --conn <id | addr:port-addr:port>`: one connection as a ladder
 * in the terminal, then the reasoning behind each of its resets (stage, cause, verdict, origin,
 * evidence) and the hint. The captures are analysed as `analyze` does (the same ids, the same
 * context), then read a second time for every packet of the chosen connection.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ExplainedConnection } from '../explain/explainConnection.js';
import { ladderOf } from '../explain/ladder.js';
import type { Reset } from '../model/report.js';
import { type FullLadder, fullLadders } from '../pipeline/fullLadder.js';
import { runAnalysis } from '../pipeline/run.js';
import { underParents } from '../report/consequences.js';
import { kernelFindingText } from '../report/kernelText.js';
import { ladderText } from '../report/ladderText.js';
import { Output } from '../report/output.js';
import { type Style, colourWanted, makeStyle } from '../report/style.js';
import { escapeControl } from '../report/terminalText.js';
import { countText, isoTime, signedDurationText, timeWhereDayChanges } from '../report/text.js';
import { CAUSE_TEXT, STAGE_TEXT, VERDICT_TEXT } from '../report/vocabulary.js';
import type { FinishedConnection } from '../track/finished.js';
import { EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, copyToTemp, reportInputErrors, warn } from './common.js';
import { FILTER_HELP } from './filterOption.js';
import { analyseWhatWasCopied, watchInterrupts } from './interrupt.js';
import { KERNEL_TRACE_HELP } from './kernelTraceOption.js';
import { optionsOf } from './options.js';
import { outputsProblem } from './outputCheck.js';
import { parseRunCommand } from './runOptions.js';
import { THREADS_HELP } from './threadsOption.js';

const EXPLAIN_HELP = `Usage: whyreset explain <capture...> --conn <id | addr:port-addr:port> | --reset R | --frame [CAP:]N [options]
       whyreset explain <capture...> --host/--net/--port/--since/--until … [options]

Draws one connection as a ladder (sequence) diagram in the terminal — the two endpoints as
columns, time going down, one arrow per packet with its flags, relative seq/ack, length and
TTL, the resets highlighted — then the reasoning for each reset: stage, cause, verdict, origin,
every piece of evidence with its numbers, and what to check next.

  --conn ID          a connection id as "analyze" prints it (C12, or C1-12 for the second capture)
  --conn A:P-B:P     a 4-tuple in either direction, e.g. 10.0.0.1:51234-10.0.0.2:443 or
                     [2001:db8::1]:51234-[2001:db8::2]:443; every connection on it is shown
  --reset R4         the connection of a reset, by the id analyze prints
  --frame [CAP:]N    the connection of the reset in frame N (Wireshark's number) of the
                     first capture, or of capture CAP (0, 1, …) when several
${FILTER_HELP.replace('report only connections (and their resets)', 'show only connections')}
                     (without --conn/--reset/--frame: the connections that match and have a
                     reset within --since/--until)
  -n, --packets N    at most N packets per ladder (default 200): the first and last halves,
                     and every RST in between
  -f, --format FMT   text (default), or json: {connections: [{connection, resets, ladder}]}
      --inactivity-timeout S   as for analyze (connection ids depend on it)
${KERNEL_TRACE_HELP}
  -C, --ignore-checksums  as for analyze: track packets with a bad checksum too
${THREADS_HELP}
  -o, --out FILE     write to FILE instead of standard output
      --color WHEN   auto (default: on a terminal, unless NO_COLOR; FORCE_COLOR forces it),
                     always (e.g. for less -R) or never
  -h, --help         this help

The captures are read twice (standard input is kept in a temporary file for that).
Exit codes: 0 shown, 1 shown but the captures had errors, 2 usage error, unreadable input, or
no such connection.
`;

/** No --conn/--reset/--frame, only a filter: every connection that matches it and has a reset within its times. */
const ALL_THAT_RESET = { kind: 'filter' } as const;

/** What `--conn` asks for. */
export type ConnSelector =
  | { kind: 'id'; id: string }
  | { kind: 'tuple'; a: string; aPort: number; b: string; bPort: number }
  | { kind: 'reset'; id: string }
  | { kind: 'frame'; capture: number; frame: number };

/** `--reset R4` (a reset id as analyze prints it); null if it is not one. */
export function parseResetSelector(text: string): ConnSelector | null {
  const t = text.trim();
  return /^R\d+$/i.test(t) ? { kind: 'reset', id: `R${t.slice(1)}` } : null;
}

/** `--frame [CAPTURE:]N`: the frame of a reset (Wireshark's number), in the first capture unless given; null if malformed. */
export function parseFrameSelector(text: string): ConnSelector | null {
  const m = /^(?:(\d+):)?(\d+)$/.exec(text.trim());
  if (m === null || Number(m[2]) < 1) return null;
  return { kind: 'frame', capture: m[1] === undefined ? 0 : Number(m[1]), frame: Number(m[2]) };
}

/** Parses `--conn`: an id (C12, C1-12) or "addr:port-addr:port" (IPv6 in brackets). Null if neither. */
export function parseConnSelector(text: string): ConnSelector | null {
  const t = text.trim();
  if (/^C\d+(-\d+)?$/i.test(t)) return { kind: 'id', id: `C${t.slice(1)}` };
  const m = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})\s*(?:-|→|->|\s)\s*(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})$/.exec(t);
  if (m === null) return null;
  const unbracket = (a: string) => (a.startsWith('[') ? a.slice(1, -1).toLowerCase() : a);
  const aPort = Number(m[2]);
  const bPort = Number(m[4]);
  if (aPort > 65535 || bPort > 65535) return null;
  return { kind: 'tuple', a: unbracket(m[1] as string), aPort, b: unbracket(m[3] as string), bPort };
}

/** Whether a finished connection is the one asked for. */
export function selects(sel: ConnSelector, conn: FinishedConnection, resets: readonly Reset[] = []): boolean {
  if (sel.kind === 'id') return conn.id === sel.id;
  if (sel.kind === 'reset') return resets.some((r) => r.id === sel.id);
  if (sel.kind === 'frame') return resets.some((r) => r.capture === sel.capture && r.frame === sel.frame);
  const o = { addr: conn.origAddr, port: conn.origPort };
  const r = { addr: conn.respAddr, port: conn.respPort };
  const is = (x: { addr: string; port: number }, addr: string, port: number) => x.port === port && x.addr === addr;
  return (is(o, sel.a, sel.aPort) && is(r, sel.b, sel.bPort)) || (is(o, sel.b, sel.bPort) && is(r, sel.a, sel.aPort));
}

/** Connections shown at most for one tuple (a reused tuple may carry many). */
const MAX_SHOWN = 20;

/** The header block of one connection. */
function connectionHeader(conn: FinishedConnection, full: FullLadder, inputPath: string, style: Style): string {
  const arrows = `${countText(conn.orig.pkts)} → / ${countText(conn.resp.pkts)} ←`;
  let text = `${style.bold(conn.id)}  ${full.ladder.orig} → ${full.ladder.resp}   ${inputPath}\n`;
  text += `  ${isoTime(conn.startTs)}, ${signedDurationText(conn.lastPacketTs - conn.startTs)}, ${countText(full.total)} packets (${arrows}), `;
  text += `${countText(conn.orig.size)} / ${countText(conn.resp.size)} payload bytes, conn_state ${conn.connState}, history ${conn.history}\n`;
  if (full.total > full.ladder.packets.length) text += style.dim(`  showing ${full.ladder.packets.length} of ${full.total} packets (--packets N for more)\n`);
  return text;
}

/** The reasoning for one reset; its time is dated where the day differs from `previous` (the line above). */
function reasoning(r: Reset, style: Style, previous: number): string {
  const verdict = r.verdict === 'forged' ? style.red(r.verdict) : r.verdict === 'suspect' ? style.yellow(r.verdict) : (r.verdict ?? '-');
  let text = `${style.bold(r.id)} frame ${r.frame} at ${timeWhereDayChanges(r.ts, previous)}: ${r.flags.join(',')} from ${r.from === 'orig' ? 'the originator' : r.from === 'resp' ? 'the responder' : 'an unknown side'} (${r.src}:${r.sport}), ttl ${r.ttl}\n`;
  if (r.stage) text += `  stage    ${r.stage}: ${STAGE_TEXT[r.stage]}\n`;
  if (r.cause) text += `  cause    ${style.cyan(r.cause)}: ${CAUSE_TEXT[r.cause]}\n`;
  if (r.parent) text += `  follows  ${r.parent.id} (frame ${r.parent.frame}): a consequence, folded under that reset\n`;
  if (r.verdict) text += `  verdict  ${verdict}: ${VERDICT_TEXT[r.verdict]}; sent by ${r.origin ?? 'unknown'}, confidence ${r.confidence ?? '-'}\n`;
  if (r.signature) text += `  pattern  ${r.signature}\n`;
  if (r.reason_text !== null) text += `  text     "${escapeControl(r.reason_text)}" (carried in the RST)\n`;
  if (r.kernel !== undefined) text += `  kernel   ${kernelFindingText(r.kernel)}\n`;
  if (r.evidence.length > 0) text += '  evidence\n';
  for (const e of r.evidence) text += `    - ${e.code}: ${e.detail}\n`;
  if (r.hint) text += `  ${style.green('▸ next:')} ${r.hint}\n`;
  return text;
}

/** `whyreset explain`. */
export async function explainCommand(argv: string[]): Promise<number> {
  const parsed = parseRunCommand(() => parseExplain(argv), EXPLAIN_HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const { colour, inactivity, threads, kernel, filter } = parsed.shared;
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    warn(`unknown format "${format}": use text or json`);
    return EXIT_USAGE;
  }
  const asked = [values.conn, values.reset, values.frame].filter((v) => v !== undefined).length;
  if (positionals.length === 0 || asked > 1 || (asked === 0 && filter === null)) {
    warn('explain needs a capture and one of --conn, --reset or --frame, or a filter (--host, --net, --port, --since, --until) (see "whyreset explain --help")');
    return EXIT_USAGE;
  }
  const sel =
    asked === 0
      ? ALL_THAT_RESET
      : values.conn !== undefined
        ? parseConnSelector(values.conn)
        : values.reset !== undefined
          ? parseResetSelector(values.reset)
          : parseFrameSelector(values.frame ?? '');
  if (sel === null) {
    if (values.conn !== undefined) warn(`--conn "${values.conn}" is neither a connection id (C12) nor addr:port-addr:port`);
    else if (values.reset !== undefined) warn(`--reset "${values.reset}" is not a reset id (R4) as analyze prints it`);
    else warn(`--frame "${values.frame}" is not a frame number (1234, or 1:1234 for the second capture)`);
    return EXIT_USAGE;
  }
  const wanted = values.conn ?? values.reset ?? (values.frame === undefined ? 'that matches the filter and reset' : `frame ${values.frame}`);
  const limit = values.packets === undefined ? 200 : Number(values.packets);
  if (!Number.isInteger(limit) || limit < 2) {
    warn(`--packets needs a whole number of at least 2, not "${values.packets}"`);
    return EXIT_USAGE;
  }
  if (positionals.filter((p) => p === '-').length > 1) {
    warn('standard input ("-") can be read only once');
    return EXIT_USAGE;
  }

  const outputProblem = outputsProblem(positionals, [{ option: '--out', path: values.out ?? '-', report: true }]);
  if (outputProblem !== null) {
    warn(outputProblem);
    return EXIT_USAGE;
  }

  const interrupts = watchInterrupts();
  const copy = positionals.includes('-') ? await copyToTemp(process.stdin) : null;
  analyseWhatWasCopied();
  try {
    const chosen: { conn: FinishedConnection; explained: ExplainedConnection }[] = [];
    let matches = 0;
    let connections = 0;
    const result = await runAnalysis(
      positionals,
      {
        onInputDone: reportInputErrors,
        inactivityTimeout: inactivity,
        kernel,
        ignoreChecksums: values['ignore-checksums'],
        ...threads,
        // The second read finds packets by their frame in each file: one tracker per input.
        stream: false,
        stdin: copy === null ? undefined : createReadStream(copy.path),
        filter: filter ?? undefined,
        onFinished: (conn, explained) => {
          connections++;
          const chosenBy = sel.kind === 'filter' ? explained.resets.some((r) => filter?.resetMatches(r) === true) : selects(sel, conn, explained.resets);
          if (!chosenBy) return;
          if (filter !== null && !filter.connectionMatches(explained.connection)) return;
          matches++;
          if (chosen.length < MAX_SHOWN) chosen.push({ conn, explained });
        },
      },
      { reset: () => {}, connection: () => {}, pattern: () => {} },
    );
    for (const u of result.unreadable) warn(`${u.path}: ${u.message}`);
    if (result.inputs.length === 0) return EXIT_USAGE;
    if (chosen.length === 0) {
      warn(`no connection ${wanted} among the ${connections} TCP connections of ${result.inputs.map((i) => i.path).join(', ')} ("whyreset analyze" lists them)`);
      return EXIT_USAGE;
    }
    chosen.sort((a, b) => a.conn.capture - b.conn.capture || a.conn.number - b.conn.number);
    const stdinPath = copy?.path;
    const full = await fullLadders(
      result.inputs.map((i) => i.path),
      chosen,
      { limit, stdin: stdinPath === undefined ? undefined : () => createReadStream(stdinPath) },
    );
    const out = new Output(values.out ?? null);
    if (format === 'json') {
      const connections = chosen.map(({ conn, explained }, i) => ({
        connection: explained.connection,
        resets: explained.resets,
        ladder: (full[i] as FullLadder).ladder,
        gaps: (full[i] as FullLadder).gaps,
        packets: (full[i] as FullLadder).total,
        kept_ladder: ladderOf(conn, explained.resets),
      }));
      await out.write(`${JSON.stringify({ inputs: result.inputs, connections, matches })}\n`);
    } else {
      const style = makeStyle(colourWanted(out.isTerminal, process.env, colour));
      for (let i = 0; i < chosen.length; i++) {
        const { conn, explained } = chosen[i] as (typeof chosen)[number];
        const f = full[i] as FullLadder;
        if (i > 0) await out.write('\n');
        await out.write(connectionHeader(conn, f, escapeControl(result.inputs[conn.capture]?.path ?? ''), style));
        const resets = new Map(explained.resets.map((r) => [r.id, r]));
        for (const line of ladderText(f.ladder, resets, style, { gaps: f.gaps })) await out.write(`${line}\n`);
        if (explained.resets.length === 0) await out.write(style.dim('\nNo reset on this connection.\n'));
        else {
          await out.write(`\n${style.bold('Why')}\n`);
          let previous = conn.startTs;
          for (const r of underParents(explained.resets)) {
            await out.write(r.parent ? reasoning(r, style, previous).replace(/^/gm, '    ') : reasoning(r, style, previous));
            previous = r.ts;
          }
        }
      }
      if (matches > chosen.length) await out.write(style.dim(`\n${matches - chosen.length} more connections on this tuple not shown\n`));
    }
    await out.end();
    return result.unreadable.length > 0 ? EXIT_USAGE : result.inputs.some((i) => i.errors.length > 0) ? EXIT_INPUT_ERRORS : EXIT_OK;
  } finally {
    interrupts.dispose();
    copy?.remove();
  }
}

function parseExplain(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: optionsOf('explain'),
  });
}
