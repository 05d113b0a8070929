/**
 * One kernel trace, start to stop: the instance, its clock samples, the host facts, the pipe
 * reader, and the NDJSON records. Used by `whyreset trace` and by `whyreset lab`. The instance
 * is removed by `stop()`, and by an exit handler should the process end without it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type WriteStream, createReadStream, createWriteStream, readdirSync, rmSync } from 'node:fs';
import { release } from 'node:os';
import { createInterface } from 'node:readline';
import { clockMapping, wallTime } from './clock.js';
import { hasField, symbolicNames } from './eventFormat.js';
import { CAPTURE_ONLY, type HostSpec, commOf, hostFacts, mergeFacts, netnsInode, nsInodeOf, ownerOf, socketCreatorName, socketsOf } from './hostFacts.js';
import { parseTraceLine } from './traceLine.js';
import type {
  ClockMapping,
  ClockSample,
  KernelEventKind,
  KernelEventRecord,
  TraceCapabilities,
  TraceEnd,
  TraceHeader,
  TracedHost,
} from './traceRecord.js';
import { TCP_TRACEPOINTS, TraceInstance, TraceUnavailable, eventFormat, tracefsRoot } from './tracefs.js';

/** The trace clock whyreset selects: CLOCK_MONOTONIC, never stepped (see clock.ts). */
export const TRACE_CLOCK = 'mono';
/** AF_PACKET (include/linux/socket.h). */
const AF_PACKET = 17;
/** AF_INET, AF_INET6 and AF_PACKET: the families whose raw sockets can put a TCP RST on the wire. */
const SENDING_FAMILIES = new Set([2, 10, AF_PACKET]);
/** How often raw sockets are counted during a trace. */
const SOCKET_POLL_MS = 1000;
/** How often /proc is scanned for the namespaces of new processes (several traced namespaces only). */
const NS_SCAN_MS = 100;
/** Processes remembered by that scan before it starts afresh (pids of exited processes stay until then). */
const NS_PIDS_KEPT = 65_536;
/** Longest wait for a clock marker to come through the pipe. */
const MARKER_TIMEOUT_MS = 3000;

/** Options of a trace. */
export interface TraceOptions {
  hosts: HostSpec[];
  /** Where the NDJSON goes: a file (header written last, with both clock samples) or a stream. */
  out: { path: string } | { stream: NodeJS.WritableStream };
  /** Also enable tcp_bad_csum (default true). */
  badChecksums?: boolean;
  /** The command run under the trace, for the header. */
  command?: string[] | null;
  /** whyreset's version, for the header (kernel/ imports nothing above model/). */
  toolVersion: string;
}

/** What a finished trace recorded. */
export interface TraceResult {
  header: TraceHeader;
  events: number;
}

/**
 * A running trace. `TraceSession.start` returns once the instance records and the start clock
 * sample is taken; `stop()` takes the end sample, removes the instance and completes the file.
 */
export class TraceSession {
  private reader: ChildProcess | null = null;
  private readonly markers = new Map<string, (traceTs: number) => void>();
  private markerSeq = 0;
  private events = 0;
  private spool: WriteStream | null = null;
  private readonly spoolPath: string | null;
  private pollTimer: NodeJS.Timeout | null = null;
  /**
   * Network namespace of every process seen by a scan of /proc (every NS_SCAN_MS while hosts in
   * several namespaces are traced): a short-lived injector that opens a packet socket and exits
   * before its sys_enter_socket line is read would otherwise count against every host.
   */
  private readonly nsOfPid = new Map<number, number>();
  private nsTimer: NodeJS.Timeout | null = null;
  private hosts: TracedHost[] = [];
  private nsInodes: (number | null)[] = [];
  private startSample: ClockSample | null = null;
  private started = 0;
  private readonly exitHandler = () => {
    try {
      this.reader?.kill('SIGKILL');
      this.instance.remove();
    } catch {
      // nothing more can be done while exiting
    }
  };
  private stopped = false;

  private constructor(
    private readonly instance: TraceInstance,
    private readonly capabilities: TraceCapabilities,
    private readonly options: TraceOptions,
  ) {
    this.spoolPath = 'path' in options.out ? `${options.out.path}.whyreset-${process.pid}.part` : null;
  }

  /** Checks the machine, creates the instance, enables the events and starts reading. */
  static async start(options: TraceOptions): Promise<TraceSession> {
    const root = await tracefsRoot();
    const sendFormat = eventFormat(root, TCP_TRACEPOINTS.send_reset);
    if (sendFormat === null) throw new TraceUnavailable('this kernel has no tcp:tcp_send_reset tracepoint (Linux 4.15 or later has it)');
    const instance = new TraceInstance(root);
    instance.create();
    const session = new TraceSession(instance, capabilitiesOf(sendFormat), options);
    process.once('exit', session.exitHandler);
    try {
      await session.begin();
    } catch (err) {
      await session.abort();
      throw err;
    }
    return session;
  }

  private async begin(): Promise<void> {
    const caps = this.capabilities;
    if (!this.instance.setClock(TRACE_CLOCK)) caps.notes.push(`trace clock "${TRACE_CLOCK}" unavailable: the instance's default clock is used`);
    const wanted: [KernelEventKind, string][] = [
      ['send_reset', TCP_TRACEPOINTS.send_reset],
      ['receive_reset', TCP_TRACEPOINTS.receive_reset],
    ];
    if (this.options.badChecksums !== false) wanted.push(['bad_csum', TCP_TRACEPOINTS.bad_csum]);
    for (const [kind, event] of wanted) {
      if (this.instance.enableTcp(event)) caps.events.push(kind);
      else caps.notes.push(`tcp:${event} is not in this kernel: its events are not recorded`);
    }
    const nf = this.instance.traceNetfilter();
    caps.netfilter_traceable = nf === null;
    caps.netfilter_note = nf === null ? null : `${nf}; a host's own REJECT resets raise no tcp_send_reset, so a RST from a host with such rules is never proven forged`;
    if (nf === null) caps.events.push('nf_send_reset');
    caps.socket_watch = this.instance.watchSockets();
    if (!caps.socket_watch) caps.notes.push('syscalls:sys_enter_socket is not available: raw sockets are seen only when open at a look (every second)');
    this.nsInodes = this.options.hosts.map(netnsInode);
    this.hosts = await Promise.all(this.options.hosts.map(hostFacts));
    this.startReader();
    this.startSample = await this.sample();
    this.started = this.startSample.wall_before;
    if ('path' in this.options.out) this.spool = createWriteStream(this.spoolPath as string);
    else this.writeLine(this.header(clockMapping(TRACE_CLOCK, this.startSample, null), null, null));
    if (new Set(this.nsInodes).size > 1) {
      this.scanNamespaces();
      this.nsTimer = setInterval(() => this.scanNamespaces(), NS_SCAN_MS);
      this.nsTimer.unref();
    }
    // With sys_enter_socket watched every new raw socket is seen; else look now and then.
    if (!caps.socket_watch) {
      this.pollTimer = setInterval(() => void this.pollSockets(), SOCKET_POLL_MS);
      this.pollTimer.unref();
    }
  }

  /** Reads trace_pipe through `cat` (a blocked read in a child is killed cleanly; one in Node's thread pool is not). */
  private startReader(): void {
    const reader = spawn('cat', [this.instance.pipe], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.reader = reader;
    const lines = createInterface({ input: reader.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    const parsed = parseTraceLine(line);
    if (parsed === null) return;
    if (parsed.kind === 'marker') {
      this.markers.get(parsed.text)?.(parsed.traceTs);
      return;
    }
    if (parsed.kind === 'socket') {
      this.onSocket(parsed.pid, parsed.comm, parsed.family);
      return;
    }
    if (this.startSample === null) return;
    const hostAddr = parsed.event === 'receive_reset' ? parsed.dst : parsed.src;
    const record: KernelEventRecord = {
      type: 'event',
      ts: wallTime(clockMapping(TRACE_CLOCK, this.startSample, null), parsed.traceTs),
      trace_ts: parsed.traceTs,
      event: parsed.event,
      src: parsed.src,
      sport: parsed.sport,
      dst: parsed.dst,
      dport: parsed.dport,
      state: parsed.state,
      reason: parsed.reason,
      host: ownerOf(this.hosts, hostAddr),
      comm: parsed.comm,
    };
    this.events++;
    if (this.spool !== null) this.spool.write(`${JSON.stringify(record)}\n`);
    else this.writeLine(record);
  }

  /**
   * A raw or packet socket was created: the host whose namespace the process is in can now send
   * any RST. A process already gone cannot be placed: every host counts it (never a false proof).
   */
  private onSocket(pid: number, tracedComm: string, family: number): void {
    const comm = socketCreatorName(tracedComm, commOf(pid));
    if (pid === process.pid || CAPTURE_ONLY.has(comm) || !SENDING_FAMILIES.has(family)) return;
    const ns = nsInodeOf(pid) ?? this.nsOfPid.get(pid) ?? null;
    const kind = family === AF_PACKET ? 'packet' : 'raw';
    this.hosts.forEach((host, i) => {
      if (ns !== null && this.nsInodes[i] !== ns) return;
      host.raw_sockets++;
      host.socket_holders.push(`${comm}[${pid}] ${kind} socket${ns === null ? ' (namespace unknown)' : ''}`);
    });
  }

  /** Notes the namespace of every process not seen before (bounded: past NS_PIDS_KEPT the map starts afresh). */
  private scanNamespaces(): void {
    if (this.nsOfPid.size > NS_PIDS_KEPT) this.nsOfPid.clear();
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return;
    }
    for (const name of entries) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || this.nsOfPid.has(pid)) continue;
      const ns = nsInodeOf(pid);
      if (ns !== null) this.nsOfPid.set(pid, ns);
    }
  }

  /** Writes a marker between two wall-clock reads and waits for it to come through the pipe. */
  private sample(): Promise<ClockSample> {
    const text = `whyreset-clock-${process.pid}-${++this.markerSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.markers.delete(text);
        reject(new TraceUnavailable('the trace clock marker never came through trace_pipe'));
      }, MARKER_TIMEOUT_MS);
      let before = 0;
      let after = 0;
      this.markers.set(text, (traceTs) => {
        clearTimeout(timer);
        this.markers.delete(text);
        resolve({ wall_before: before, wall_after: after, trace_ts: traceTs });
      });
      before = Date.now() / 1000;
      this.instance.mark(text);
      after = Date.now() / 1000;
    });
  }

  private async pollSockets(): Promise<void> {
    for (let i = 0; i < this.hosts.length; i++) {
      const host = this.hosts[i];
      const spec = this.options.hosts[i];
      if (host === undefined || spec === undefined) continue;
      const s = await socketsOf(spec);
      host.raw_sockets = Math.max(host.raw_sockets, s.raw);
      host.packet_sockets = Math.max(host.packet_sockets, s.packet);
      host.socket_holders = [...new Set([...host.socket_holders, ...s.holders])];
    }
  }

  private header(clock: ClockMapping, ended: number | null, status: number | null): TraceHeader {
    return {
      type: 'header',
      tool: { name: 'whyreset', version: this.options.toolVersion },
      kernel: release(),
      started: this.started,
      ended,
      clock,
      hosts: this.hosts,
      capabilities: this.capabilities,
      command: this.options.command ?? null,
      command_status: status,
    };
  }

  private writeLine(record: object): void {
    if ('stream' in this.options.out) this.options.out.stream.write(`${JSON.stringify(record)}\n`);
  }

  /** Stops the trace: end sample, final host facts, instance removed, file completed. */
  async stop(commandStatus: number | null = null): Promise<TraceResult> {
    if (this.stopped) throw new Error('trace already stopped');
    this.stopped = true;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.nsTimer !== null) clearInterval(this.nsTimer);
    let endSample: ClockSample | null = null;
    try {
      endSample = await this.sample();
    } catch {
      this.capabilities.notes.push('the end clock sample was not taken: the offset rests on the start sample alone');
    }
    const endFacts = await Promise.all(this.options.hosts.map(hostFacts));
    // With sys_enter_socket watched, a socket open at the end was either open at the start or
    // created (and seen, with its program) since: the end look adds nothing but races with
    // programs exiting (a capture's socket still listed after its tcpdump is gone).
    const watched = this.capabilities.socket_watch;
    this.hosts = this.hosts.map((h, i) => {
      const end = endFacts[i];
      if (end === undefined) return h;
      return mergeFacts(h, watched ? { ...end, raw_sockets: 0, packet_sockets: 0, socket_holders: [] } : end);
    });
    await this.closeReader();
    this.instance.remove();
    process.removeListener('exit', this.exitHandler);
    const ended = endSample?.wall_after ?? Date.now() / 1000;
    const clock = clockMapping(TRACE_CLOCK, this.startSample as ClockSample, endSample);
    const header = this.header(clock, ended, commandStatus);
    if ('path' in this.options.out) await this.completeFile(this.options.out.path, header, clock);
    else {
      const end: TraceEnd = { type: 'end', ended, clock, hosts: this.hosts, command_status: commandStatus, events: this.events };
      this.writeLine(end);
    }
    return { header, events: this.events };
  }

  /** Removes everything after a failed start (nothing is written). */
  private async abort(): Promise<void> {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.nsTimer !== null) clearInterval(this.nsTimer);
    await this.closeReader();
    this.spool?.destroy();
    if (this.spoolPath !== null) rmSync(this.spoolPath, { force: true });
    this.instance.remove();
    process.removeListener('exit', this.exitHandler);
  }

  private closeReader(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    if (reader === null || reader.exitCode !== null || reader.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      reader.once('close', () => resolve());
      reader.kill('SIGKILL');
    });
  }

  /** Writes `path`: the header (both clock samples), then the spooled events with their final times. */
  private async completeFile(path: string, header: TraceHeader, clock: ClockMapping): Promise<void> {
    const spool = this.spool as WriteStream;
    await new Promise<void>((resolve) => spool.end(resolve));
    const out = createWriteStream(path);
    out.write(`${JSON.stringify(header)}\n`);
    const lines = createInterface({ input: createReadStream(this.spoolPath as string) });
    for await (const line of lines) {
      if (line === '') continue;
      const e = JSON.parse(line) as KernelEventRecord;
      out.write(`${JSON.stringify({ ...e, ts: wallTime(clock, e.trace_ts) })}\n`);
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    rmSync(this.spoolPath as string, { force: true });
  }
}

/** What the running kernel's tcp_send_reset format offers. */
export function capabilitiesOf(sendFormat: string): TraceCapabilities {
  const reasonField = hasField(sendFormat, 'reason');
  const names: Record<string, string> = {};
  for (const [value, name] of symbolicNames(sendFormat, 'reason')) names[String(value)] = name;
  const notes: string[] = [];
  if (!reasonField) {
    notes.push('this kernel\'s tcp_send_reset has no "reason" field (Linux 6.10 added it): resets are matched and forgeries proven, but no reason is recorded');
  }
  return { reason_field: reasonField, reason_names: names, events: [], socket_watch: false, netfilter_traceable: false, netfilter_note: null, notes };
}
