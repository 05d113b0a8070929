/**
 * What says that a file is still the same file with the same bytes: its device and inode, size,
 * and modification and status-change times in nanoseconds (any write changes both; a rename over
 * it changes the inode). The store compares them before and after the reads of a file it keys by
 * sha256 (src/store/hasher.ts, hashWorker.ts).
 */
import type { BigIntStats } from 'node:fs';

/** A file's identity, from a `bigint` stat. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The identity in `stats` (statSync/fstatSync with `{ bigint: true }`). */
export function identityOf(stats: BigIntStats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs };
}

/** Whether two identities are the same file unchanged. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}
