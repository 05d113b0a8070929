/**
 * The hashing thread (hashWorker.ts hashThread) as a module file, for the thread that
 * bin/hashThreadEarly.cjs starts before the ingest script has loaded: the thread's own start-up
 * (~30-40 ms of its CPU) and its loading of DuckDB's library (~9 ms) then fall in the time the
 * main thread spends loading and starting `ingest` (~60-70 ms of its CPU before it asked for a
 * thread), when the other core has nothing else to do, instead of in the analysis's time, when
 * V8's compiler thread needs that core. hasher.ts adopts the thread for the first file it hashes.
 */
import { createRequire } from 'node:module';
import { identityOf, sameIdentity } from './fileIdentity.js';
import { hashThread } from './hashWorker.js';
import { schedstatMs } from './threadCpu.js';

hashThread(createRequire(import.meta.url), identityOf, sameIdentity, schedstatMs);
