/**
 * The order inputs are read in (issue 16 item 13, issue 12 item 6: reset ids in time order
 * everywhere). `analyze late.pcap early.pcap` must number the resets of early.pcap first, as
 * one capture of both would — a network engineer reads R1 as "the first reset", not "the first
 * reset of the first argument". So the inputs are read in the order of their first packet's
 * time, found by reading each one only up to its first record (inputs.ts peekInput, as the
 * directory and glob expansion does), while each keeps the capture index its place among the
 * arguments gives it: "capture 1, frame 17" still names the second file the user typed, and the
 * report lists the inputs in that order. Inputs that cannot be peeked without consuming them
 * (standard input, a FIFO such as `<(tcpdump …)`), hold no packet or are not captures keep
 * their place in the reading order; only the places of inputs with a first time are permuted.
 * Inputs that overlap in time are still read one after the other (the earlier start first):
 * each is its own capture, tracked on its own (stream.ts), unless it continues the one before.
 */
import { statSync } from 'node:fs';
import { type InputPeek, peekInput } from './inputs.js';

/** Reading order and capture indices of a run's inputs (plain data: a worker thread takes it). */
export interface InputPlan {
  /** Argument indices in the order to read them. */
  order: number[];
  /** Capture index of each argument (by argument index); -1 for one that is not a capture. */
  captureIndex: number[];
}

/**
 * How to peek at `path`: a regular file can be read twice; standard input and a pipe (a peek
 * would eat their start, e.g. `<(tcpdump …)`) are taken unpeeked (null); a missing path or a
 * directory is no capture (the full read reports why).
 */
async function peekIfFile(path: string): Promise<InputPeek | null> {
  if (path === '-') return null;
  let isFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'unreadable';
    isFile = st.isFile();
  } catch {
    return 'unreadable';
  }
  return isFile ? peekInput(path) : null;
}

/**
 * The plan for `peeks` (one per argument; null where the input was not peeked): the inputs
 * with a first time take the places such inputs hold, sorted by that time (argument order
 * between equal times); capture indices count the inputs that are captures, in argument order.
 */
export function planFromPeeks(peeks: readonly (InputPeek | null)[]): InputPlan {
  const captureIndex: number[] = [];
  let next = 0;
  for (const peek of peeks) captureIndex.push(peek === 'unreadable' ? -1 : next++);
  const timed: number[] = [];
  for (let i = 0; i < peeks.length; i++) if (isTime(peeks[i] ?? null)) timed.push(i);
  const byTime = [...timed].sort((a, b) => (peeks[a] as number) - (peeks[b] as number) || a - b);
  const order = peeks.map((_, i) => i);
  for (let k = 0; k < timed.length; k++) order[timed[k] as number] = byTime[k] as number;
  return { order, captureIndex };
}

function isTime(peek: InputPeek | null): peek is number {
  return typeof peek === 'number' && Number.isFinite(peek);
}

/** Peeks every input that can be read twice and plans the run's reading order (see the file comment). */
export async function planInputs(paths: readonly string[]): Promise<InputPlan> {
  const peeks: (InputPeek | null)[] = [];
  for (const path of paths) peeks.push(await peekIfFile(path));
  return planFromPeeks(peeks);
}
