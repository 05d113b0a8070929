/**
 * The thread that takes a large capture's sha256 while the main thread analyses it
 * (src/store/hasher.ts). It reads the file itself, through its own descriptor, from the page
 * cache the analysis's reads fill (or fill in turn): the main thread copies nothing and never
 * waits for it. The file must be the one the main thread stat'ed (device, inode, size, mtime and
 * ctime, `workerData`) before this thread's first read and after its last, with exactly `size`
 * bytes read; anything else is an error, never a digest. Before hashing it may load DuckDB's
 * native library (`library`), which the main thread would otherwise load while it analyses.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { type FileIdentity, identityOf, sameIdentity } from './fileIdentity.js';

/** Bytes per read: large enough that the reads cost nothing next to the hash, small enough to stay in cache. */
const READ_BYTES = 1 << 20;

const port = parentPort;
if (port === null) throw new Error('hashWorker.js runs as a worker thread');
const { path, identity, library } = workerData as { path: string; identity: FileIdentity; library: string | null };
if (library !== null) {
  // DuckDB's native library, for the main thread to find loaded (duckdbRaw.ts StoreOpenOptions.libraryLoaded).
  try {
    createRequire(import.meta.url)(library);
  } finally {
    port.postMessage({ libraryLoaded: true });
  }
}
const fd = openSync(path, 'r');
try {
  const changed = (when: string) => new Error(`${path} changed while it was being read (${when}): not stored`);
  if (!sameIdentity(identityOf(fstatSync(fd, { bigint: true })), identity)) throw changed('before it was hashed');
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let total = 0n;
  for (let n = readSync(fd, buffer, 0, READ_BYTES, null); n > 0; n = readSync(fd, buffer, 0, READ_BYTES, null)) {
    hash.update(buffer.subarray(0, n));
    total += BigInt(n);
  }
  if (total !== identity.size || !sameIdentity(identityOf(fstatSync(fd, { bigint: true })), identity)) throw changed('while it was hashed');
  port.postMessage(hash.digest('hex'));
} finally {
  closeSync(fd);
}
