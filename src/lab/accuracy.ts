/**
 * How well whyreset's analysis agrees with the lab's labels: for every labelled RST frame, the
 * reset `analyze` reports for the same frame of the same capture, field by field (stage, cause,
 * verdict, origin). The lab test asserts the bar: no false alarms, every RST reported, and the
 * fields agreeing on (nearly) every labelled RST.
 */
import { analyze } from '../index.js';
import { causeAgrees } from '../kernel/reasonCauses.js';
import type { Reset } from '../model/report.js';
import { captureFile } from './capture.js';
import { type ResetLabel, loadLabels } from './labels.js';
import { HOSTS } from './topology.js';

/** The compared fields. */
export const SCORED_FIELDS = ['stage', 'cause', 'verdict', 'origin'] as const;

/** One scored field. */
export type ScoredField = (typeof SCORED_FIELDS)[number];

/** Agreement for one capture point of one scenario. */
export interface AccuracyRow {
  scenario: string;
  capture: string;
  labelled: number;
  /** Labelled frames whyreset reported as resets at all. */
  reported: number;
  /** Labelled frames where whyreset's field equals the label's. */
  agree: Record<ScoredField, number>;
  /** `frame: field label≠whyreset` for each disagreement (for reading, not parsing). */
  misses: string[];
  /** Genuine resets whyreset called forged or suspect: false alarms (Weaver et al.: worse than misses). */
  falseAlarms: number;
  /**
   * Per kernel reason (labels.json `kernel.reason`): labelled RSTs the kernel sent for that
   * reason, and how many of them whyreset's wire-only cause agrees with (kernel/reasonCauses.ts).
   */
  kernelReasons: Record<string, { resets: number; agree: number }>;
}

/** Compares one label with whyreset's reset for the same frame. */
export function agreement(label: ResetLabel, reset: Reset | undefined): Record<ScoredField, boolean> {
  const same = (f: ScoredField): boolean => reset !== undefined && reset[f] === label[f];
  return { stage: same('stage'), cause: same('cause'), verdict: same('verdict'), origin: same('origin') };
}

/** Scores one scenario directory (labels.json plus the three captures). */
export async function scoreScenario(scenarioDir: string): Promise<AccuracyRow[]> {
  const labels = await loadLabels(scenarioDir);
  const rows: AccuracyRow[] = [];
  for (const point of HOSTS) {
    const report = await analyze([captureFile(scenarioDir, point)]);
    const byFrame = new Map(report.resets.map((r) => [r.frame, r]));
    const row: AccuracyRow = {
      scenario: labels.scenario,
      capture: point,
      labelled: 0,
      reported: 0,
      agree: { stage: 0, cause: 0, verdict: 0, origin: 0 },
      misses: [],
      falseAlarms: 0,
      kernelReasons: {},
    };
    for (const label of labels.resets.filter((l) => l.capture === point)) {
      const reset = byFrame.get(label.frame);
      row.labelled++;
      if (reset) row.reported++;
      if (label.verdict === 'genuine' && reset && reset.verdict !== 'genuine') row.falseAlarms++;
      const reason = label.kernel?.reason;
      if (typeof reason === 'string') {
        const k = row.kernelReasons[reason] ?? { resets: 0, agree: 0 };
        row.kernelReasons[reason] = k;
        k.resets++;
        if (reset !== undefined && causeAgrees(reason, reset.cause)) k.agree++;
      }
      const ok = agreement(label, reset);
      for (const f of SCORED_FIELDS) {
        if (ok[f]) row.agree[f]++;
        else row.misses.push(`${label.frame}: ${f} ${label[f]}≠${reset ? String(reset[f]) : 'missing'}`);
      }
    }
    rows.push(row);
  }
  return rows;
}

/** The accuracy table: one line per scenario and capture point, then the totals. */
export function accuracyTable(rows: readonly AccuracyRow[]): string {
  const pct = (n: number, d: number): string => (d === 0 ? '   -' : `${Math.round((100 * n) / d)}%`.padStart(4));
  const line = (name: string, capture: string, r: Pick<AccuracyRow, 'labelled' | 'reported' | 'agree'>): string =>
    `${name.padEnd(34)} ${capture.padEnd(7)} ${String(r.labelled).padStart(4)} ${String(r.reported).padStart(5)}   ${SCORED_FIELDS.map((f) => pct(r.agree[f], r.labelled)).join('   ')}\n`;
  const total = { labelled: 0, reported: 0, agree: { stage: 0, cause: 0, verdict: 0, origin: 0 } };
  for (const r of rows) {
    total.labelled += r.labelled;
    total.reported += r.reported;
    for (const f of SCORED_FIELDS) total.agree[f] += r.agree[f];
  }
  const head = `${'scenario'.padEnd(34)} ${'capture'.padEnd(7)} RSTs found  stage  cause  verdict origin\n`;
  return head + rows.map((r) => line(r.scenario, r.capture, r)).join('') + line('all', '', total);
}

/** Kernel reasons over all rows: RSTs the kernel sent for each, and how often the wire-only cause agrees. */
export function kernelAgreement(rows: readonly AccuracyRow[]): Map<string, { resets: number; agree: number }> {
  const out = new Map<string, { resets: number; agree: number }>();
  for (const r of rows) {
    for (const [reason, k] of Object.entries(r.kernelReasons)) {
      const t = out.get(reason) ?? { resets: 0, agree: 0 };
      t.resets += k.resets;
      t.agree += k.agree;
      out.set(reason, t);
    }
  }
  return new Map([...out.entries()].sort((a, b) => b[1].resets - a[1].resets || a[0].localeCompare(b[0])));
}

/** The per-reason table: how often the wire-only cause agrees with the kernel's reason. */
export function kernelAgreementTable(rows: readonly AccuracyRow[]): string {
  const lines = [...kernelAgreement(rows)].map(
    ([reason, k]) => `${reason.padEnd(26)} ${String(k.resets).padStart(5)}  ${`${Math.round((100 * k.agree) / k.resets)}%`.padStart(4)}\n`,
  );
  return `${'kernel reason'.padEnd(26)}  RSTs  wire cause agrees\n${lines.join('')}`;
}
