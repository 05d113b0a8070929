/**
 * The architecture rule of src/ as a check: imports flow one way along the pipeline and never
 * form a cycle. `checkArchitecture(srcDir)` reads every .ts file under srcDir, takes its static
 * `import`/`export … from` and literal dynamic `import()` specifiers (TypeScript's own import
 * pre-scan, `ts.preProcessFile`, so comments, strings and template text are not mistaken for
 * imports), and returns one message per offending import (file:line) and per cycle (its files).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import ts from 'typescript';

/**
 * The pipeline order, bottom first: a unit may import its own files and those of any lower
 * rank, never an equal or higher one. Units are the top-level folders (and files) of src/.
 * model, net and version.ts are leaves. index.ts (the library API), lab (which runs the library
 * on real kernels) and cli (the outermost entry, which loads lab for `whyreset lab`) are the
 * faces: they may import anything below them.
 */
export const PIPELINE_ORDER: readonly (readonly string[])[] = [
  ['model', 'net', 'version.ts'],
  ['capture'],
  ['decode'],
  ['track'],
  ['kernel'],
  ['explain'],
  ['correlate'],
  ['pipeline'],
  ['report'],
  ['store'],
  ['index.ts'],
  ['lab'],
  ['cli'],
];

/** The order as one line, for messages: `model, net, version.ts ← capture ← …`. */
export const PIPELINE_ORDER_TEXT = PIPELINE_ORDER.map((units) => units.join(', ')).join(' ← ');

/** One relative import of a file under src/. */
export interface ImportEdge {
  /** Importing file, relative to srcDir with forward slashes (`pipeline/run.ts`). */
  from: string;
  /** Imported file, the same way (`pipeline/spool.ts`); `.js` specifiers resolve to `.ts`. */
  to: string;
  /** 1-based line of the specifier in the importing file. */
  line: number;
  specifier: string;
}

/** Every .ts file under dir, relative to it with forward slashes, in name order. */
export function sourceFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) out.push(rel);
    }
  };
  walk('');
  return out;
}

/** The import edges of the files under srcDir (a `.js` specifier names its `.ts` source). */
export function importEdgesOf(srcDir: string, files: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = readFileSync(join(srcDir, from), 'utf8');
    const lineStarts = lineStartsOf(text);
    const info = ts.preProcessFile(text, true, true);
    for (const f of info.importedFiles) {
      if (!f.fileName.startsWith('./') && !f.fileName.startsWith('../')) continue;
      const target = normalize(join(dirname(from), f.fileName)).split(sep).join('/');
      edges.push({ from, to: target.replace(/\.js$/, '.ts'), line: lineOf(lineStarts, f.pos), specifier: f.fileName });
    }
  }
  return edges;
}

/** Offsets at which each line starts. */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** 1-based line holding offset pos. */
function lineOf(lineStarts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The unit of a file: its top-level folder, or the file itself at the top (`index.ts`). */
export function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

/** Rank of a unit in PIPELINE_ORDER, or -1 when the order does not name it. */
export function rankOf(unit: string): number {
  return PIPELINE_ORDER.findIndex((units) => units.includes(unit));
}

/** The message for an import against the pipeline order, or null when it is allowed. */
export function orderViolationOf(edge: ImportEdge): string | null {
  const fromUnit = unitOf(edge.from);
  const toUnit = unitOf(edge.to);
  if (fromUnit === toUnit) return null;
  const fromRank = rankOf(fromUnit);
  const toRank = rankOf(toUnit);
  if (fromRank < 0) return `src/${edge.from}:${edge.line}: ${fromUnit} is not in the pipeline order (${PIPELINE_ORDER_TEXT}); add it to test/helpers/architecture.ts`;
  if (toRank < 0) return `src/${edge.from}:${edge.line}: imports ${edge.specifier}, in ${toUnit}, which is not in the pipeline order (${PIPELINE_ORDER_TEXT})`;
  if (toRank < fromRank) return null;
  return `src/${edge.from}:${edge.line}: ${fromUnit} imports ${toUnit} (${edge.specifier}), against the pipeline order ${PIPELINE_ORDER_TEXT}`;
}

/**
 * The import cycles among the files, one per strongly connected component (Tarjan's algorithm),
 * each as the files of one closed path through it, first file repeated at the end.
 */
export function importCyclesOf(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const list = next.get(e.from) ?? [];
    if (!list.includes(e.to)) list.push(e.to);
    next.set(e.from, list);
    if (!next.has(e.to)) next.set(e.to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cyclePathIn(new Set(c), next));
}

/** One closed path through a strongly connected component, from its first file by name. */
function cyclePathIn(component: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] {
  const start = [...component].sort()[0] ?? '';
  // Breadth-first from start's successors back to start, inside the component: the shortest cycle through start.
  const parent = new Map<string, string>();
  const queue: string[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] ?? '';
    for (const w of next.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const back: string[] = [];
        for (let u = v; u !== start; u = parent.get(u) ?? start) back.push(u);
        return [start, ...back.reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Every broken rule of the source tree under srcDir, as messages naming files (and lines). */
export function checkArchitecture(srcDir: string): string[] {
  const files = sourceFilesUnder(srcDir);
  const edges = importEdgesOf(srcDir, files);
  const problems: string[] = [];
  for (const edge of edges) {
    const message = orderViolationOf(edge);
    if (message !== null) problems.push(message);
  }
  for (const cycle of importCyclesOf(edges)) {
    problems.push(`import cycle: ${cycle.map((f) => `src/${f}`).join(' → ')}`);
  }
  return problems;
}

