/**
 * bin/whyreset.js's shebang starts node without NODE_EXTRA_CA_CERTS (its start-up cost, for a TLS
 * connection only the PostgreSQL commands make) and hands the file on as WHYRESET_EXTRA_CA_CERTS:
 * a PostgreSQL client that will use TLS must trust the bundled roots plus that file, as node would
 * have. Clients are built, never connected.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { rootCertificates } from 'node:tls';
import pg from 'pg';
import { addExtraCaCerts, extraCaCertsFile } from '../../src/store/pg.js';
import { BIN, tempDir } from '../helpers/run.js';

const tmp = tempDir('whyreset-ca-');
after(() => tmp.remove());
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const file = join(tmp.dir, 'extra.pem');
writeFileSync(file, PEM);

function sslOf(client: pg.Client): unknown {
  return (client as unknown as { connection: { ssl: unknown } }).connection.ssl;
}

test('extraCaCertsFile: the handed-on file, unless node read NODE_EXTRA_CA_CERTS itself', () => {
  assert.equal(extraCaCertsFile({ WHYRESET_EXTRA_CA_CERTS: '/x.pem' }), '/x.pem');
  assert.equal(extraCaCertsFile({ WHYRESET_EXTRA_CA_CERTS: '' }), null);
  assert.equal(extraCaCertsFile({}), null);
  assert.equal(extraCaCertsFile({ WHYRESET_EXTRA_CA_CERTS: '/x.pem', NODE_EXTRA_CA_CERTS: '/x.pem' }), null);
});

test('addExtraCaCerts: a TLS client gets the roots plus the file; a plain one, or one with its own CA, is left alone', () => {
  const tls = new pg.Client({ connectionString: 'postgresql://u@db.example/whyreset?sslmode=require' });
  const before = sslOf(tls);
  assert.ok(before, 'sslmode=require gives the connection an ssl setting');
  addExtraCaCerts(tls, file);
  const ssl = sslOf(tls) as { ca: string[] };
  assert.equal(ssl.ca.length, rootCertificates.length + 1);
  assert.equal(ssl.ca.at(-1), PEM);
  assert.equal(ssl.ca[0], rootCertificates[0]);
  // Other TLS options of the URL are kept.
  for (const [k, v] of Object.entries(before === true ? {} : (before as object))) assert.deepEqual((ssl as Record<string, unknown>)[k], v, k);

  const plain = new pg.Client({ connectionString: 'postgresql://u@127.0.0.1/whyreset' });
  addExtraCaCerts(plain, file);
  assert.equal(sslOf(plain), false);

  const own = new pg.Client({ connectionString: `postgresql://u@db.example/whyreset?sslmode=verify-full&sslrootcert=${encodeURIComponent(file)}` });
  const ownCa = (sslOf(own) as { ca: unknown }).ca;
  addExtraCaCerts(own, join(tmp.dir, 'other.pem'));
  assert.equal((sslOf(own) as { ca: unknown }).ca, ownCa);

  const none = new pg.Client({ connectionString: 'postgresql://u@db.example/whyreset?sslmode=require' });
  addExtraCaCerts(none, null);
  assert.equal((sslOf(none) as { ca?: unknown }).ca, undefined);
});

test('the bin hands NODE_EXTRA_CA_CERTS on as WHYRESET_EXTRA_CA_CERTS and node does not read it', () => {
  const probe = join(tmp.dir, 'probe.js');
  const line = readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '';
  writeFileSync(probe, `${line}\nprocess.stdout.write(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null, process.env.WHYRESET_EXTRA_CA_CERTS ?? null]));\n`, { mode: 0o755 });
  const missing = join(tmp.dir, 'missing.pem');
  const out = execFileSync(probe, { env: { ...process.env, NODE_EXTRA_CA_CERTS: missing }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.deepEqual(JSON.parse(out), [null, missing]);
});
