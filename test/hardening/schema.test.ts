/**
 * Issue 16, item 14: `--format json` output validates against the JSON Schema shipped in
 * docs/report.schema.json. The validator below implements the part of JSON Schema 2020-12 the
 * schema uses (type, enum, required, properties, additionalProperties, items, pattern, minimum,
 * maximum, local $ref), so no dependency is needed; it fails loudly on a keyword it does not know.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli } from '../helpers/run.js';

type Schema = { [keyword: string]: unknown };
const KNOWN = new Set(['$schema', '$id', 'title', 'description', '$defs', 'type', 'enum', 'required', 'properties', 'additionalProperties', 'items', 'pattern', 'minimum', 'maximum', '$ref']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The violations of `schema` by `value`, each with its JSON path. */
function validate(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`validator does not know the keyword ${k}`);
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((s, key) => (s as Schema)[key], root);
    return validate(value, target as Schema, root, path);
  }
  const errors: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: ${t}, expected ${types.join(' or ')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in obj)) errors.push(`${path}: missing ${key}`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, v] of Object.entries(obj)) {
      const sub = props[key] ?? (typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined);
      if (sub !== undefined) errors.push(...validate(v, sub, root, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
    }
  }
  if (t === 'array' && schema.items !== undefined) (value as unknown[]).forEach((v, i) => errors.push(...validate(v, schema.items as Schema, root, `${path}[${i}]`)));
  return errors;
}

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'report.schema.json'), 'utf8')) as Schema;

test('the validator catches what the schema forbids (a test that can fail)', () => {
  const good = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'golden', 'middlebox-injection.client.json'), 'utf8'));
  assert.deepEqual(validate(good, schema, schema).slice(0, 5), []);
  const bad = structuredClone(good);
  bad.resets[0].verdict = 'maybe';
  bad.resets[0].sport = 70000;
  delete bad.summary.by_stage;
  const errors = validate(bad, schema, schema);
  assert.equal(errors.length, 3, errors.join('\n'));
});

test('--format json output of analyze, of several captures and of correlate validates against docs/report.schema.json', async () => {
  const lab = join(REPO_ROOT, 'test', 'fixtures', 'lab');
  for (const args of [
    ['analyze', 'examples/middlebox-injection.pcap'],
    ['analyze', join(lab, 'nmap-syn-scan.client.pcap'), join(lab, 'closed-port-v6.client.pcap'), join(lab, 'accept-overflow.client.pcap')],
    ['correlate', join(lab, 'middlebox-injection.client.pcap'), join(lab, 'middlebox-injection.router.pcap')],
  ]) {
    const r = await runCli([...args, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.ok(report.resets.length > 0);
    assert.deepEqual(validate(report, schema, schema).slice(0, 10), [], args.join(' '));
  }
});
