#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS WHYRESET_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --max-semi-space-size=2 --heap-growing-percent=20 --max-inlined-bytecode-size-cumulative=300 --v8-pool-size=1
// The young generation is capped at 2 MiB per semi-space (V8's default is 16): whyreset's
// short-lived objects die young either way, and the smaller nursery takes ~25% off the peak
// RSS of a 512 MiB analysis at the same speed (npm run bench measures both). The flag must be
// given to node at start; executing this file (npx whyreset, the npm bin link) does.
// --heap-growing-percent=20 lets the old generation grow by 20% of its live size at each full
// collection instead of V8's larger default steps: on the bench's 512 MiB mix peak RSS fell from
// 164-175 MB to 132-163 MB (text/json, one thread; 194 -> 152 MB with two), under a quarter of
// tshark's 683 MB, at the same speed; a 200k-connection flood costs ~10% more time for 30% less
// memory (281 -> 188-203 MB), since its heap grows the whole run.
// Measured again for issue 13 (callgrind, all threads' instructions, 32 MiB mix slice; the
// machine too busy for wall clocks): semi-space 2/4/8/16 MiB cost text 2,604/2,690/2,636/2,666 M
// instructions, 2 MiB without --heap-growing-percent 2,689 M; JSON 2 MiB 2,875 M, 8 MiB 2,869 M.
// On the 512 MiB mix (paired runs, median CPU) 4 MiB was 0.99x and 8 MiB 1.01x of 2 MiB, for
// 124 and 132 MiB peak RSS against 120. The JIT flags --interrupt-budget x2 / x0.5 (1.02x /
// 1.04x the CPU) and --no-lazy-feedback-allocation (1.05x) did not pay.
// --max-inlined-bytecode-size-cumulative=300 (V8's default 920) caps how much TurboFan inlines
// into one function: one thread's run spends most of its background CPU in TurboFan's
// concurrent compiles (96 % of V8's own threads' instructions on a 64 MiB mix), and the smaller
// inlining budget cuts those (64 MiB mix, callgrind, one thread: 4.71 -> 4.20 G instructions, the
// main thread's 2.42 -> 2.40 G unchanged). Idle machine, 512 MiB mix, farm-bench pairs with and
// without it (session 7): text 7 pairs median wall 0.938x, CPU 0.900x; JSON 5 pairs wall 1.017x
// (noise), CPU 0.970x; 200k flood 3 pairs wall 0.986x, CPU 0.980x; peak RSS unchanged.
// --v8-pool-size=1 (Node's default: 4 platform threads) gives V8 one background thread for its
// concurrent compiles and parallel GC tasks: on 2 cores the default pool's tasks took the core
// the main thread runs on (session 9, idle machine, 512 MiB mix, farm-bench 5 pairs with and
// without it: text median wall 0.922x at the same CPU, JSON 0.940x, 200k flood 0.956x; two
// threads 0.987x, noise). A worker thread (--threads 2) still has its own core.
// `-u NODE_EXTRA_CA_CERTS`: Node 20 reads the certificate file that variable names, and builds
// its root certificate store, while the process starts (node::InitializeOncePerProcess ->
// crypto::UseExtraCaCerts), before any script runs and whether or not the process ever opens a
// TLS connection; only the PostgreSQL commands open one, and they get the
// file back as WHYRESET_EXTRA_CA_CERTS (src/store/pg.ts addExtraCaCerts: the roots plus the file). Where it is set (this machine sets it to Debian's
// 220 KB ca-certificates.crt), every run paid ~415 M instructions for it: callgrind, a tiny
// `analyze examples/closed-port.pcap --out /dev/null`, 578.6 M with it, 163.2 M without; about
// 0.06 s of wall and 0.03 s of CPU per run, on the 512 MiB mix's ~0.8 s (issue 13).
// The command line comes bundled (scripts/bundle.mjs, run by `npm run build`): `analyze` (not
// `analyze --correlate`) as one script compiled with its build-time code cache
// (analyze.cjs + analyze.cjs.cache, loaded by ./analyzeBundle.cjs), every other command from
// the ES module bundle, a few files of dist/bundle with one chunk per command, instead of ~129
// modules of dist/src that Node 20 resolves, realpaths and links one by one. This file is
// CommonJS (bin/package.json), so that analyze never starts Node's ES module loader.
// A tiny analyze under callgrind (no NODE_EXTRA_CA_CERTS, --out /dev/null): 612 M instructions
// before the bundles, 393 M with the ES module bundle, 230 M with the analyze script and its
// cache, 161 M without Node's stream modules (progress.ts); bare `node -e 0` 93 M.
// The V8 flags above cost start-up too: any V8 flag changes V8's flag hash, so Node's embedded
// code cache of its built-ins is refused and each built-in loaded after start-up compiles from
// source (`node -e "process.stderr"` 140 M instructions with these flags, 99 M without).
// `ingest` comes as such a script too (dist/bundle/ingest.cjs and its cache): through the ES
// module bundle it paid ~0.08 s of CPU more start-up than analyze.
const argv = process.argv.slice(2);
/** `ingest`, given its hashing thread started before the script loads (./hashThreadEarly.cjs). */
const ingest = (early) => require('./analyzeBundle.cjs').loadIngest().exports.ingestMain(argv.slice(1), early);
const analyzeAlone = argv[0] === 'analyze' && !argv.includes('--correlate');
const run = analyzeAlone
  ? require('./analyzeBundle.cjs').loadAnalyze().exports.analyzeMain(argv.slice(1))
  : argv[0] === 'ingest'
    ? ingest(require('./hashThreadEarly.cjs').startHashThread(argv.slice(1)))
    : import('../dist/bundle/main.js').then((cli) => cli.main(argv));

run.then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`whyreset: internal error: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
