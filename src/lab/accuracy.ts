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
  /** Labelled genuine resets (the false alarms' denominator). */
  genuine: number;
  /** Labelled forged resets, and those whyreset called forged or at least suspect (recall). */
  forged: number;
  forgedCaught: number;
}

/** The issue's acceptance figures over a set of rows, as shares in [0, 1]. */
export interface Acceptance {
  labelled: number;
  detection: number;
  cause: number;
  stage: number;
  origin: number;
  forgedRecall: number;
  falseAlarms: number;
}

/** The bars of issue 17: detection 100%, cause/stage/origin >= 97%, forged recall >= 95%, false alarms <= 1%. */
export const ACCEPTANCE_BARS = { detection: 1, cause: 0.97, stage: 0.97, origin: 0.97, forgedRecall: 0.95, falseAlarms: 0.01 } as const;

/** Sums rows into the acceptance figures (a share is 1 when its denominator is 0). */
export function acceptanceOf(rows: readonly AccuracyRow[]): Acceptance {
  const sum = (f: (r: AccuracyRow) => number): number => rows.reduce((n, r) => n + f(r), 0);
  const share = (n: number, d: number): number => (d === 0 ? 1 : n / d);
  const labelled = sum((r) => r.labelled);
  return {
    labelled,
    detection: share(sum((r) => r.reported), labelled),
    cause: share(sum((r) => r.agree.cause), labelled),
    stage: share(sum((r) => r.agree.stage), labelled),
    origin: share(sum((r) => r.agree.origin), labelled),
    forgedRecall: share(sum((r) => r.forgedCaught), sum((r) => r.forged)),
    falseAlarms: sum((r) => r.genuine) === 0 ? 0 : sum((r) => r.falseAlarms) / sum((r) => r.genuine),
  };
}

/** The bars an Acceptance misses, as readable lines (empty: every bar met). */
export function missedBars(a: Acceptance): string[] {
  const missed: string[] = [];
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  for (const key of ['detection', 'cause', 'stage', 'origin', 'forgedRecall'] as const) {
    if (a[key] < ACCEPTANCE_BARS[key]) missed.push(`${key} ${pct(a[key])} < ${pct(ACCEPTANCE_BARS[key])}`);
  }
  if (a.falseAlarms > ACCEPTANCE_BARS.falseAlarms) missed.push(`false alarms ${pct(a.falseAlarms)} > ${pct(ACCEPTANCE_BARS.falseAlarms)}`);
  return missed;
}

/** One Markdown table, one column group per TTL variant and capture point: the README's accuracy table. */
export function variantTable(variants: readonly { name: string; rows: readonly AccuracyRow[] }[], points: readonly string[]): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const metrics: [string, (a: Acceptance) => string][] = [
    ['labelled RSTs', (a) => String(a.labelled)],
    ['detection', (a) => pct(a.detection)],
    ['cause', (a) => pct(a.cause)],
    ['stage', (a) => pct(a.stage)],
    ['origin', (a) => pct(a.origin)],
    ['forged recall (forged or suspect)', (a) => pct(a.forgedRecall)],
    ['false alarms (genuine called suspect/forged)', (a) => pct(a.falseAlarms)],
  ];
  const cols = variants.flatMap((v) => points.map((p) => ({ head: `${v.name} · ${p}`, a: acceptanceOf(v.rows.filter((r) => r.capture === p)) })));
  let text = `| metric | ${cols.map((c) => c.head).join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|\n`;
  for (const [name, f] of metrics) text += `| ${name} | ${cols.map((c) => f(c.a)).join(' | ')} |\n`;
  return text;
}

/** How often each cause was right at each confidence the analysis gave it (calibration, for the README). */
export function calibrationTable(results: readonly { label: ResetLabel; reset: Reset | undefined }[]): string {
  const byCause = new Map<string, Map<number, { n: number; right: number }>>();
  for (const { label, reset } of results) {
    if (!reset || reset.cause === null || reset.confidence === null) continue;
    let m = byCause.get(reset.cause);
    if (!m) {
      m = new Map();
      byCause.set(reset.cause, m);
    }
    const c = Math.round(reset.confidence * 20) / 20;
    const cell = m.get(c) ?? { n: 0, right: 0 };
    cell.n++;
    if (reset.cause === label.cause) cell.right++;
    m.set(c, cell);
  }
  let text = '| cause | confidence given | resets | cause right |\n|---|---:|---:|---:|\n';
  for (const cause of [...byCause.keys()].sort()) {
    const m = byCause.get(cause) as Map<number, { n: number; right: number }>;
    for (const c of [...m.keys()].sort((a, b) => a - b)) {
      const cell = m.get(c) as { n: number; right: number };
      text += `| ${cause} | ${c.toFixed(2)} | ${cell.n} | ${((100 * cell.right) / cell.n).toFixed(0)}% |\n`;
    }
  }
  return text;
}

/** Compares one label with whyreset's reset for the same frame. */
export function agreement(label: ResetLabel, reset: Reset | undefined): Record<ScoredField, boolean> {
  const same = (f: ScoredField): boolean => reset !== undefined && reset[f] === label[f];
  return { stage: same('stage'), cause: same('cause'), verdict: same('verdict'), origin: same('origin') };
}

/** Scores one scenario directory (labels.json plus the three captures). */
export async function scoreScenario(scenarioDir: string, pairs?: { label: ResetLabel; reset: Reset | undefined }[]): Promise<AccuracyRow[]> {
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
      genuine: 0,
      forged: 0,
      forgedCaught: 0,
    };
    for (const label of labels.resets.filter((l) => l.capture === point)) {
      const reset = byFrame.get(label.frame);
      row.labelled++;
      if (reset) row.reported++;
      if (label.verdict === 'genuine') row.genuine++;
      if (label.verdict === 'genuine' && reset && reset.verdict !== 'genuine') row.falseAlarms++;
      const reason = label.kernel?.reason;
      if (typeof reason === 'string') {
        const k = row.kernelReasons[reason] ?? { resets: 0, agree: 0 };
        row.kernelReasons[reason] = k;
        k.resets++;
        if (reset !== undefined && causeAgrees(reason, reset.cause)) k.agree++;
      }
      if (label.verdict === 'forged') row.forged++;
      if (label.verdict === 'forged' && reset && reset.verdict !== 'genuine') row.forgedCaught++;
      pairs?.push({ label, reset });
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
