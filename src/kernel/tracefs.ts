/**
 * tracefs, touched only through whyreset's own instance (`instances/whyreset-<pid>`): the global
 * buffer and other instances are never written. Mounts tracefs when it is not mounted, enables
 * the tcp reset tracepoints in the instance, and — where the kernel has kprobes — defines
 * kprobe events on nf_send_reset / nf_send_reset6 in a group of its own, removed on exit.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandOutput } from './hostFacts.js';

/** Where tracefs is mounted on current kernels (Documentation/trace/ftrace.rst). */
export const TRACEFS = '/sys/kernel/tracing';
/** The old place, under debugfs. */
const TRACEFS_DEBUGFS = '/sys/kernel/debug/tracing';

/** Why tracing cannot run here, as a message for the user. */
export class TraceUnavailable extends Error {}

/** The tracefs root, mounting it at /sys/kernel/tracing when nothing is mounted there. */
export async function tracefsRoot(): Promise<string> {
  if (process.platform !== 'linux') throw new TraceUnavailable(`whyreset trace needs Linux (this is ${process.platform})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new TraceUnavailable('whyreset trace needs root (tracefs and its instances are root-only): run it with sudo');
  }
  if (existsSync(join(TRACEFS, 'instances'))) return TRACEFS;
  if (existsSync(join(TRACEFS_DEBUGFS, 'instances'))) return TRACEFS_DEBUGFS;
  if (!existsSync(TRACEFS)) throw new TraceUnavailable(`${TRACEFS} does not exist: this kernel has no tracefs (CONFIG_TRACING)`);
  const mounted = await commandOutput('mount', ['-t', 'tracefs', 'nodev', TRACEFS]);
  if (mounted === null || !existsSync(join(TRACEFS, 'instances'))) {
    throw new TraceUnavailable(`tracefs is not mounted and "mount -t tracefs nodev ${TRACEFS}" failed`);
  }
  return TRACEFS;
}

/** The tcp tracepoints whyreset enables, by event kind. */
export const TCP_TRACEPOINTS = { send_reset: 'tcp_send_reset', receive_reset: 'tcp_receive_reset', bad_csum: 'tcp_bad_csum' } as const;

/** A tracepoint's format file text, or null when the kernel does not have it. */
export function eventFormat(root: string, event: string): string | null {
  try {
    return readFileSync(join(root, 'events', 'tcp', event, 'format'), 'utf8');
  } catch {
    return null;
  }
}

/** The name of this process's instance. */
export function instanceName(pid: number = process.pid): string {
  return `whyreset-${pid}`;
}

/** The kprobe group of this process's netfilter events. */
export function kprobeGroup(pid: number = process.pid): string {
  return `whyreset_${pid}`;
}

/** whyreset's own tracefs instance. */
export class TraceInstance {
  readonly dir: string;
  /** The file kprobes were defined through, when they were. */
  private kprobeFile: string | null = null;
  private readonly kprobes: string[] = [];
  private removed = false;

  constructor(
    readonly root: string,
    readonly name: string = instanceName(),
  ) {
    this.dir = join(root, 'instances', name);
  }

  /** Creates the instance (an instance left by a dead process of the same pid is reused). */
  create(): void {
    if (!existsSync(this.dir)) mkdirSync(this.dir);
  }

  /** Writes a control file of the instance. */
  write(file: string, value: string): void {
    writeFileSync(join(this.dir, file), value);
  }

  /** Selects the trace clock; false when the kernel lacks it. */
  setClock(clock: string): boolean {
    try {
      this.write('trace_clock', clock);
      return true;
    } catch {
      return false;
    }
  }

  /** Enables one tcp tracepoint in the instance; false when it does not exist. */
  enableTcp(event: string): boolean {
    try {
      this.write(join('events', 'tcp', event, 'enable'), '1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Watches for raw and packet sockets being created (syscalls:sys_enter_socket, filtered in the
   * kernel to AF_PACKET, and to AF_INET/AF_INET6 SOCK_RAW with or without SOCK_CLOEXEC/SOCK_NONBLOCK;
   * netlink's SOCK_RAW sockets, which every `ip` and `nft` opens, cannot send TCP): a socket that
   * opens and closes between two looks at /proc/net is still seen. false without syscall events.
   */
  watchSockets(): boolean {
    const dir = join('events', 'syscalls', 'sys_enter_socket');
    const raw = [3, 3 | 0x80000, 3 | 0x800, 3 | 0x80800].map((t) => `type == ${t}`).join(' || ');
    try {
      this.write(join(dir, 'filter'), `family == 17 || ((family == 2 || family == 10) && (${raw}))`);
      this.write(join(dir, 'enable'), '1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Defines and enables kprobe events on nf_send_reset and nf_send_reset6, through
   * `kprobe_events` or `dynamic_events`. Returns null on success, else why it failed (no
   * kprobes in this kernel, the symbol missing because nf_reject is not loaded, lockdown…).
   */
  traceNetfilter(): string | null {
    const file = ['kprobe_events', 'dynamic_events'].map((f) => join(this.root, f)).find((f) => existsSync(f));
    if (file === undefined) return 'this kernel has no kprobe_events or dynamic_events (CONFIG_KPROBE_EVENTS off)';
    const group = kprobeGroup();
    const problems: string[] = [];
    for (const fn of ['nf_send_reset', 'nf_send_reset6']) {
      try {
        writeFileSync(file, `p:${group}/${fn} ${fn}\n`, { flag: 'a' });
        this.kprobeFile = file;
        this.kprobes.push(`${group}/${fn}`);
        this.write(join('events', group, fn, 'enable'), '1');
      } catch (err) {
        problems.push(`${fn}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (problems.length === 0) return null;
    this.removeKprobes();
    const via = file.endsWith('dynamic_events') ? 'dynamic_events' : 'kprobe_events';
    return `a kprobe on nf_send_reset could not be defined through ${via} (${problems.join(', ')}): kprobes are not available on this kernel`;
  }

  /** Writes a marker into the instance's buffer. */
  mark(text: string): void {
    this.write('trace_marker', text);
  }

  /** The instance's trace_pipe path. */
  get pipe(): string {
    return join(this.dir, 'trace_pipe');
  }

  private removeKprobes(): void {
    const file = this.kprobeFile;
    if (file === null) return;
    for (const probe of this.kprobes.splice(0)) {
      try {
        this.write(join('events', probe, 'enable'), '0');
      } catch {
        // the instance may be gone already
      }
      try {
        writeFileSync(file, `-:${probe}\n`, { flag: 'a' });
      } catch {
        // not defined
      }
    }
    this.kprobeFile = null;
  }

  /**
   * Stops tracing, removes the kprobe events and the instance (rmdir of an instance frees its
   * buffer and disables its events). Synchronous, so that an exit handler can call it; retried
   * briefly while the pipe reader is still closing (EBUSY).
   */
  remove(): void {
    if (this.removed) return;
    try {
      this.write('tracing_on', '0');
    } catch {
      // already gone
    }
    this.removeKprobes();
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        if (existsSync(this.dir)) rmdirSync(this.dir);
        this.removed = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    throw new Error(`${this.dir} stayed busy: remove it with rmdir`);
  }
}
