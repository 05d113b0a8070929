import { VERSION } from '../version.js';
/** `--format json`: the Report of DESIGN.md as one JSON document, one reset or connection per line. */
import type { Findings } from './findings.js';
import type { JsonSpool } from './jsonSpool.js';
import type { Output } from './output.js';

/** Writes the whole Report; resets and connections stream from their spools. */
export async function writeJson(out: Output, findings: Findings): Promise<void> {
  await out.write(`{"tool":${JSON.stringify({ name: 'whyreset', version: VERSION })},\n`);
  await out.write(`"inputs":${JSON.stringify(findings.inputs)},\n`);
  await out.write(`"summary":${JSON.stringify(findings.summary)},\n`);
  if (findings.path !== null) await out.write(`"path":${JSON.stringify(findings.path)},\n`);
  await writeSpooled(out, 'resets', findings.resets);
  await out.write(',\n');
  await writeSpooled(out, 'connections', findings.connections);
  await out.write(',\n');
  await writeArray(out, 'patterns', findings.patterns.map((p) => JSON.stringify(p)));
  await out.write('}\n');
}

/**
 * A spooled array, copied as bytes: the spool's lines end with ",\n" (JsonSpool), so its chunks
 * go out as they are, but for the last comma of each chunk, written before the next chunk only.
 */
async function writeSpooled(out: Output, name: string, spool: JsonSpool): Promise<void> {
  await out.write(`"${name}":[`);
  if (spool.count === 0) {
    await out.write(']');
    return;
  }
  await out.write('\n');
  let first = true;
  for (const chunk of spool.chunks()) {
    if (chunk.length < 2) continue;
    if (!first) await out.write(',\n');
    first = false;
    // A chunk is valid only until the next is read: writeNow writes it (or copies it) at once.
    if (!out.writeNow(chunk.subarray(0, chunk.length - 2))) await out.drained();
  }
  await out.write('\n]');
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

/** One ndjson line: the object `json` with `"type"` first. */
export function ndjsonLine(type: string, json: string): string {
  return json === '{}' ? `{"type":"${type}"}\n` : `{"type":"${type}",${json.slice(1)}\n`;
}

/**
 * `--format ndjson`: one object per line with a "type": every `input`, the `path` (correlation), then every `reset`,
 * `connection` and `pattern`, and the `summary` last (it is complete only at the end).
 */
export async function writeNdjson(out: Output, findings: Findings): Promise<void> {
  const typed = ndjsonLine;
  for (const input of findings.inputs) await out.write(typed('input', JSON.stringify(input)));
  if (findings.path !== null) await out.write(typed('path', JSON.stringify(findings.path)));
  for (const line of findings.resets.lines()) await out.write(typed('reset', line));
  for (const line of findings.connections.lines()) await out.write(typed('connection', line));
  for (const p of findings.patterns) await out.write(typed('pattern', JSON.stringify(p)));
  await out.write(typed('summary', JSON.stringify({ tool: { name: 'whyreset', version: VERSION }, ...findings.summary })));
}
