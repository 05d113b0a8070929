import { VERSION } from '../version.js';
/** `--format json`: the Report of DESIGN.md as one JSON document, one reset or connection per line. */
import type { Findings } from './findings.js';
import type { Output } from './output.js';

/** Writes the whole Report; resets and connections stream from their spools. */
export async function writeJson(out: Output, findings: Findings): Promise<void> {
  await out.write(`{"tool":${JSON.stringify({ name: 'whyreset', version: VERSION })},\n`);
  await out.write(`"inputs":${JSON.stringify(findings.inputs)},\n`);
  await out.write(`"summary":${JSON.stringify(findings.summary)},\n`);
  await writeArray(out, 'resets', findings.resets.lines());
  await out.write(',\n');
  await writeArray(out, 'connections', findings.connections.lines());
  await out.write(',\n');
  await writeArray(out, 'patterns', findings.patterns.map((p) => JSON.stringify(p)));
  await out.write('}\n');
}

async function writeArray(out: Output, name: string, lines: Iterable<string>): Promise<void> {
  await out.write(`"${name}":[`);
  let first = true;
  for (const line of lines) {
    await out.write(first ? `\n${line}` : `,\n${line}`);
    first = false;
  }
  await out.write(first ? ']' : '\n]');
}

/**
 * `--format ndjson`: one object per line with a "type": every `input`, then every `reset`,
 * `connection` and `pattern`, and the `summary` last (it is complete only at the end).
 */
export async function writeNdjson(out: Output, findings: Findings): Promise<void> {
  const typed = (type: string, json: string) => (json === '{}' ? `{"type":"${type}"}\n` : `{"type":"${type}",${json.slice(1)}\n`);
  for (const input of findings.inputs) await out.write(typed('input', JSON.stringify(input)));
  for (const line of findings.resets.lines()) await out.write(typed('reset', line));
  for (const line of findings.connections.lines()) await out.write(typed('connection', line));
  for (const p of findings.patterns) await out.write(typed('pattern', JSON.stringify(p)));
  await out.write(typed('summary', JSON.stringify({ tool: { name: 'whyreset', version: VERSION }, ...findings.summary })));
}
