/**
 * What the installed package carries: the files the modules read at run time (the compiled
 * browser scripts inlined into the HTML page, the lab's Python agent) are in `npm pack`'s list,
 * at the same place relative to the package root as the modules look for them.
 * (npm pack --dry-run --json --ignore-scripts lists the files without building or writing.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AGENT_PY_PATH, agentSource } from '../src/lab/agentSource.js';
import { pageScript } from '../src/report/html/pageScript.js';
import { REPO_ROOT } from './helpers/run.js';

/** The package's files as `npm pack` lists them, relative to the package root. */
function packedFiles(): Set<string> {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return new Set((pack?.files ?? []).map((f) => f.path));
}

/** A file's path relative to the repository root, with forward slashes. */
function fromRoot(path: string): string {
  return relative(REPO_ROOT, path).split(sep).join('/');
}

test('the package ships the browser scripts and the lab agent where the modules look for them', () => {
  const files = packedFiles();
  const browserDir = fileURLToPath(new URL('../src/report/html/browser/', import.meta.url));
  for (const name of ['pageScript.js', 'resetTableDecoder.js']) {
    const path = `${fromRoot(browserDir)}/${name}`;
    assert.equal(path, `dist/src/report/html/browser/${name}`);
    assert.ok(files.has(path), `${path} is not in the package`);
  }
  assert.equal(fromRoot(AGENT_PY_PATH), 'src/lab/agent.py');
  assert.ok(files.has('src/lab/agent.py'), 'src/lab/agent.py is not in the package');
  assert.ok(!files.has('src/lab/agentSource.ts'), 'TypeScript sources are not shipped');
});

test('the lab agent is the Python program, read from its .py file', () => {
  const source = agentSource();
  assert.ok(source.startsWith('#!/usr/bin/python3\n'), source.slice(0, 40));
  for (const mode of ['serve', 'connect', 'craft', 'inject', 'stale-syn']) assert.ok(source.includes(`mode == "${mode}"`), mode);
});

test('the page script is the compiled browser code, one strict function that parses and cannot close its element', () => {
  const script = pageScript();
  assert.ok(script.startsWith("(function () {\n'use strict';\n"));
  assert.ok(script.includes('function decodeRows(chunks)') && script.includes('function startResetTable()'));
  assert.ok(!/<\/script/i.test(script));
  assert.doesNotThrow(() => new Function(script));
  // Types are gone: what ships is plain JavaScript.
  assert.ok(!/interface |: number\b/.test(script));
});
