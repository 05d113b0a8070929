/**
 * The house rule of src/: imports flow one way along the pipeline
 * (model, net ← capture ← decode ← track ← kernel ← explain ← correlate ← pipeline ← report ←
 * store ← cli, with index.ts and lab as faces) and no files import each other in a cycle.
 * The checker itself is proven on small trees written to a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { PIPELINE_ORDER_TEXT, checkArchitecture, importCyclesOf, importEdgesOf, sourceFilesUnder } from './helpers/architecture.js';
import { REPO_ROOT, tempDir } from './helpers/run.js';

/** Runs body with a fresh temporary folder, removed afterwards. */
function withTempDir(body: (root: string) => void): void {
  const t = tempDir('whyreset-arch-');
  try {
    body(t.dir);
  } finally {
    t.remove();
  }
}

/** Writes the files (path relative to root → text) under root. */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test('src/ imports follow the pipeline order and form no cycle', () => {
  const problems = checkArchitecture(join(REPO_ROOT, 'src'));
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('bench/ and testkit/ import nothing from test/ (the shared kit is testkit/)', () => {
  const files = [...sourceFilesUnder(join(REPO_ROOT, 'bench')).map((f) => `bench/${f}`), ...sourceFilesUnder(join(REPO_ROOT, 'testkit')).map((f) => `testkit/${f}`)];
  assert.ok(files.includes('bench/gen.ts') && files.includes('testkit/frames.ts'), files.join(' '));
  const intoTest = importEdgesOf(REPO_ROOT, files).filter((e) => e.to.startsWith('test/'));
  assert.deepEqual(
    intoTest.map((e) => `${e.from}:${e.line}: ${e.specifier}`),
    [],
  );
});

test('the checker reads every file of src/ and sees their imports', () => {
  const src = join(REPO_ROOT, 'src');
  const files = sourceFilesUnder(src);
  assert.ok(files.includes('pipeline/run.ts') && files.includes('cli/main.ts'), files.join(' '));
  const edges = importEdgesOf(src, files);
  // cli/main.ts loads the lab with a dynamic import(): it must be seen.
  assert.ok(edges.some((e) => e.from === 'cli/main.ts' && e.to === 'lab/main.ts'));
  assert.ok(edges.some((e) => e.from === 'pipeline/trackStage.ts' && e.to.startsWith('track/')));
});

test('an import against the pipeline order is named with its file and line', () => {
  withTempDir((root) => {
    writeTree(root, {
      'model/report.ts': 'export interface Report { n: number }\n',
      'decode/frame.ts': "import type { Report } from '../model/report.js';\nexport type R = Report;\n",
      'track/tracker.ts': "// the tracker\nimport type { R } from '../decode/frame.js';\nexport type T = R;\n",
      // Reversed: decode reaching up into explain.
      'decode/tcp.ts': "import { x } from './frame.js';\n\nimport { cause } from '../explain/cause.js';\nexport const y = cause;\n",
      'explain/cause.ts': "export const cause = 'c';\n",
    });
    const problems = checkArchitecture(root);
    assert.deepEqual(problems, [`src/decode/tcp.ts:3: decode imports explain (../explain/cause.js), against the pipeline order ${PIPELINE_ORDER_TEXT}`]);
  });
});

test('a dynamic import() and an export … from count as imports', () => {
  withTempDir((root) => {
    writeTree(root, {
      'capture/open.ts': "export async function f() {\n  return import('../report/json.js');\n}\n",
      'model/index.ts': "export * from '../track/seq.js';\n",
      'report/json.ts': 'export const j = 1;\n',
      'track/seq.ts': 'export const s = 1;\n',
      // Not imports: a comment and a string.
      'cli/main.ts': "// import { a } from '../zzz/a.js';\nexport const s = \"import b from '../zzz/b.js'\";\n",
    });
    const problems = checkArchitecture(root);
    assert.deepEqual(problems, [
      `src/capture/open.ts:2: capture imports report (../report/json.js), against the pipeline order ${PIPELINE_ORDER_TEXT}`,
      `src/model/index.ts:1: model imports track (../track/seq.js), against the pipeline order ${PIPELINE_ORDER_TEXT}`,
    ]);
  });
});

test('a cycle is named by its files, even inside one stage', () => {
  withTempDir((root) => {
    writeTree(root, {
      'decode/ethernet.ts': "import { ip } from './ip.js';\nexport const issue = 1;\n",
      'decode/ip.ts': "import { tcp } from './tcp.js';\nexport const ip = 1;\n",
      'decode/tcp.ts': "import { issue } from './ethernet.js';\nexport const tcp = 1;\n",
      'decode/frame.ts': "import { ip } from './ip.js';\n",
    });
    const problems = checkArchitecture(root);
    assert.deepEqual(problems, ['import cycle: src/decode/ethernet.ts → src/decode/ip.ts → src/decode/tcp.ts → src/decode/ethernet.ts']);
  });
});

test('the shortest cycle is shown, and two separate cycles are both reported', () => {
  const edge = (from: string, to: string) => ({ from, to, line: 1, specifier: to });
  const cycles = importCyclesOf([edge('a.ts', 'b.ts'), edge('b.ts', 'a.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('x/y.ts', 'x/y.ts')]);
  assert.deepEqual(
    cycles.map((c) => c.join(' ')),
    ['a.ts b.ts a.ts', 'x/y.ts x/y.ts'],
  );
});

test('a folder missing from the order is reported, not silently allowed', () => {
  withTempDir((root) => {
    writeTree(root, {
      'misc/util.ts': "import { c } from '../capture/open.js';\n",
      'capture/open.ts': 'export const c = 1;\n',
    });
    const problems = checkArchitecture(root);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^src\/misc\/util\.ts:1: misc is not in the pipeline order/);
  });
});

test('leaves import nothing outside themselves: model may not import net, nor version.ts model', () => {
  withTempDir((root) => {
    writeTree(root, {
      'model/report.ts': "import { h } from '../net/flowHash.js';\n",
      'net/flowHash.ts': 'export const h = 1;\n',
      'version.ts': "import type { R } from './model/report.js';\n",
    });
    assert.equal(checkArchitecture(root).length, 2);
  });
});
