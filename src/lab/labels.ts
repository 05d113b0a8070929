/**
 * labels.json: the ground truth of a scenario. One entry per RST frame at every capture point,
 * saying which host or component really sent it and why, in DESIGN.md's vocabulary. The labels
 * come from what the scenario set up and were matched against the captures before being written.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cause, KernelFinding, Origin, Stage, Verdict } from '../model/report.js';
import type { CapturePoint } from './capture.js';
import type { Component, Sender } from './expect.js';
import type { Host, TtlPlan } from './topology.js';

/** One RST frame at one capture point and the truth about it. */
export interface ResetLabel {
  capture: CapturePoint;
  /** 1-based frame number in `<capture>.pcap`, as Wireshark counts. */
  frame: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  seq: number;
  ack: number;
  flags: string[];
  ttl: number;
  /** Whether the frame was leaving (`out`) or arriving at (`in`) the capture point's host; the router sees a forwarded RST both ways. */
  direction: 'in' | 'out';
  /** The scenario's name for this kind of reset. */
  expectation: string;
  sent_by: Sender;
  component: Component;
  /** The lab host that owns the packet's source address (who the RST claims to be from). */
  claimed_by: Host | null;
  stage: Stage;
  cause: Cause;
  verdict: Verdict;
  origin: Origin;
  why: string;
  /**
   * What the kernel trace of the scenario recorded for this frame (`whyreset analyze
   * --kernel-trace`): null when the claimed sender is not a lab host; absent when no trace ran.
   */
  kernel?: KernelFinding | null;
}

/** Counts of one capture point: RST frames labelled vs RST frames found in the file. */
export interface PointCount {
  labelled: number;
  found: number;
}

/** Everything written to `<dir>/labels.json`. */
export interface ScenarioLabels {
  scenario: string;
  summary: string;
  captures: Record<CapturePoint, string>;
  ttl: TtlPlan;
  addresses: Record<string, string>;
  verified: boolean;
  problems: string[];
  counts: Record<CapturePoint, PointCount>;
  resets: ResetLabel[];
}

/** The labels file of a scenario directory. */
export function labelsPath(scenarioDir: string): string {
  return join(scenarioDir, 'labels.json');
}

/** Writes labels.json. */
export async function writeLabels(scenarioDir: string, labels: ScenarioLabels): Promise<void> {
  await writeFile(labelsPath(scenarioDir), `${JSON.stringify(labels, null, 2)}\n`);
}

/** Reads `<dir>/labels.json` of one scenario directory (as written by `whyreset lab`). */
export async function loadLabels(scenarioDir: string): Promise<ScenarioLabels> {
  const text = await readFile(labelsPath(scenarioDir), 'utf8');
  const parsed = JSON.parse(text) as ScenarioLabels;
  if (!parsed || typeof parsed.scenario !== 'string' || !Array.isArray(parsed.resets)) {
    throw new Error(`${labelsPath(scenarioDir)}: not a whyreset lab labels file`);
  }
  return parsed;
}

/** The label of one frame of one capture point, if any. */
export function labelFor(labels: ScenarioLabels, capture: CapturePoint, frame: number): ResetLabel | undefined {
  return labels.resets.find((l) => l.capture === capture && l.frame === frame);
}
