/**
 * `whyreset trace`: records why this Linux host's kernel sent (and accepted) each TCP reset, as
 * NDJSON for `analyze --kernel-trace`. Arguments, signals and the command run under the trace;
 * the tracing itself is src/kernel/.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { type HostSpec, allNamespaces, currentHost } from '../kernel/hostFacts.js';
import { TraceSession } from '../kernel/traceSession.js';
import { TraceUnavailable } from '../kernel/tracefs.js';
import { VERSION } from '../version.js';
import { EXIT_OK, EXIT_USAGE, parseCommandLine, warn } from './common.js';

/** Exit status when the trace could not run here (not root, not Linux, no tracefs). */
export const EXIT_TRACE_UNAVAILABLE = 3;

export const TRACE_HELP = `Usage: whyreset trace [--out FILE] [--duration S] [--all-netns] [-- COMMAND...]

Records every TCP reset this Linux host's kernel sends (tcp:tcp_send_reset, with Linux's reason
since 6.10: NO_SOCKET, TCP_ABORT_ON_CLOSE, TCP_STATE, ...) and accepts (tcp:tcp_receive_reset),
as NDJSON: a header record (kernel, clock mapping, traced hosts with their addresses, REJECT
rules and raw sockets, what could and could not be traced), then one record per event:
{"type":"event","ts","trace_ts","event","src","sport","dst","dport","state","reason","host","comm"}.
Give the file to "whyreset analyze CAPTURE --kernel-trace FILE": each reset the host sent gets the
kernel's reason, and a reset that claims to come from the host but that its kernel never sent is
proven forged (kernel_absent).

Needs Linux and root. Uses its own tracefs instance (instances/whyreset-<pid>, mounting tracefs
at /sys/kernel/tracing if needed) and removes it on every exit, Ctrl-C and SIGTERM included; the
global trace buffer and other instances are never touched. Netfilter's own resets (REJECT
--reject-with tcp-reset, nft "reject with tcp reset") bypass tcp_send_reset: they are traced with
kprobes on nf_send_reset/nf_send_reset6 where the kernel has kprobes; where it has none the header
says so, and resets from a host with such rules are never called forged.

Options:
  -o, --out FILE     write the NDJSON to FILE (default: standard output, where the clock's end
                     sample comes in a last "end" record)
  -d, --duration S   stop after S seconds (default: until Ctrl-C, or until COMMAND ends)
      --all-netns    trace every network namespace ("ip netns list") as its own host, e.g. a
                     lab of namespaces; the tracepoints carry no namespace, so hosts are told
                     apart by their addresses
  -- COMMAND...      run COMMAND (e.g. tcpdump -w cap.pcap -i eth0) and stop when it ends
  -h, --help         this help

Exit codes: 0 traced (or the command's own status), 2 usage error, 3 tracing is not possible
here (the message says why: not root, not Linux, no tracefs, no tcp_send_reset).
`;

/** `whyreset trace`. */
export async function traceCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? null : argv.slice(dash + 1);
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: own,
        allowPositionals: false,
        strict: true,
        options: {
          out: { type: 'string', short: 'o' },
          duration: { type: 'string', short: 'd' },
          'all-netns': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    TRACE_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const duration = values.duration === undefined ? null : Number(values.duration);
  if (duration !== null && !(duration > 0)) {
    warn(`--duration needs a number of seconds above 0, not "${values.duration}"`);
    return EXIT_USAGE;
  }
  if (command !== null && command.length === 0) {
    warn('nothing after "--": give the command to run under the trace');
    return EXIT_USAGE;
  }
  // A signal while the instance is being set up is held until it exists, then stops it.
  let early: NodeJS.Signals | null = null;
  const holdSignal = (signal: NodeJS.Signals) => {
    early = signal;
  };
  process.on('SIGINT', holdSignal);
  process.on('SIGTERM', holdSignal);
  const hosts: HostSpec[] = values['all-netns'] ? await allNamespaces() : [currentHost()];
  let session: TraceSession;
  try {
    session = await TraceSession.start({
      hosts,
      out: values.out === undefined ? { stream: process.stdout } : { path: values.out },
      command,
      toolVersion: VERSION,
    });
  } catch (err) {
    if (err instanceof TraceUnavailable) {
      warn(err.message);
      return EXIT_TRACE_UNAVAILABLE;
    }
    throw err;
  } finally {
    process.off('SIGINT', holdSignal);
    process.off('SIGTERM', holdSignal);
  }
  if (early !== null) {
    await session.stop(null);
    return early === 'SIGINT' ? 130 : 143;
  }
  return runUntilDone(session, command, duration);
}

/** Waits for the command, the duration or a signal, whichever comes first, then stops the trace. */
async function runUntilDone(session: TraceSession, command: string[] | null, duration: number | null): Promise<number> {
  let status: number | null = null;
  const child = command === null ? null : spawn(command[0] as string, command.slice(1), { stdio: ['inherit', 'inherit', 'inherit'] });
  const done = new Promise<string>((resolve) => {
    if (child !== null) {
      child.on('error', (err) => {
        warn(`${command?.[0]}: ${err.message}`);
        status = 127;
        resolve('command');
      });
      child.on('exit', (code, signal) => {
        status = code ?? (signal === null ? 0 : 128);
        resolve('command');
      });
    }
    if (duration !== null) setTimeout(() => resolve('duration'), duration * 1000).unref();
    const onSignal = (signal: NodeJS.Signals) => {
      child?.kill(signal);
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  if (process.stderr.isTTY) warn('tracing TCP resets; Ctrl-C stops');
  const why = await done;
  // A command still running when the duration ran out is stopped with the trace.
  if (why === 'duration' && child !== null && child.exitCode === null) child.kill('SIGTERM');
  const result = await session.stop(status);
  if (process.stderr.isTTY) warn(`${result.events} kernel events recorded`);
  if (why === 'SIGINT') return 130;
  if (why === 'SIGTERM') return 143;
  return status ?? EXIT_OK;
}
