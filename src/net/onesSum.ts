/**
 * The RFC 1071 one's-complement sum as a WebAssembly SIMD kernel that sums capture bytes in
 * place. The capture window (capture/window.ts) allocates its two read buffers inside one
 * WebAssembly memory (summableBuffers); decode/checksum.ts asks kernelFor(view.buffer) and, for a
 * packet in such a buffer, calls the kernel on its offsets: no copy, no allocation per packet.
 * Buffers outside a kernel's memory (tests, a merged buffer after a jumbo record, a host without
 * WebAssembly SIMD) keep the JavaScript sum.
 *
 * The kernel, `sum(at, end) -> i32`, in the WebAssembly text format (the bytes below are this,
 * assembled by hand; each instruction's encoding is in the comment beside it; opcodes from the
 * WebAssembly core specification §5.4 and the fixed-width SIMD proposal, as V8 lists them in
 * src/wasm/wasm-opcodes.h):
 *
 *   (func (param $p i32) (param $stop i32) (result i32)
 *     (local $acc v128) (local $s i64) (local $block i32) (local $start i32) (local $bias v128) (local $ones v128)
 *     ;; Each 16 bytes are eight little-endian 16-bit words w, summed pairwise into four 32-bit
 *     ;; lanes as signed (w - 0x8000): i32x4.dot_i16x8_s(v ^ 0x8000.., 1..), an xor and one
 *     ;; multiply-add (pmaddwd) where an unsigned pairwise add (i32x4.extadd_pairwise_i16x8_u)
 *     ;; takes three instructions on x64; the 0x8000 per word is added back at the end.
 *     $start = $p ; $bias = i16x8(0x8000) ; $ones = i16x8(1)
 *     ;; 64 bytes per turn in blocks of at most 32 KiB (512 turns): a lane gains at most 2^18
 *     ;; in magnitude per turn, so it is widened into $s before it could reach 2^31.
 *     block $done loop $outer
 *       (br_if $done (i32.lt_u (i32.sub $stop $p) 64))
 *       $block = min($p + 32768, $stop) - 64 ; $acc = 0
 *       loop $inner
 *         $acc += dot(v128.load offset=0/16/32/48 $p ^ $bias, $ones) ; $p += 64
 *         (br_if $inner (i32.le_u $p $block))
 *       end
 *       $s += lane0 + lane1 + lane2 + lane3 (each i64.extend_i32_s) ; br $outer
 *     end end
 *     ;; under 64 bytes left: 16 at a time
 *     $acc = 0 ; while ($stop - $p >= 16) { $acc += dot(v128.load $p ^ $bias, $ones) ; $p += 16 }
 *     ;; under 16 left: one 16-byte load, the bytes from $stop on masked to zero (lane i kept
 *     ;; when i8x16.gt_s(splat($stop - $p), 0..15)); a last odd byte is then the low, i.e. first,
 *     ;; byte of its word, as RFC 1071 pads it. The load may read up to 15 bytes past $stop: the
 *     ;; memory has that much room after its last buffer (summableBuffers).
 *     (if (i32.lt_u $p $stop) $acc += dot((v128.load $p & mask) ^ $bias, $ones) ; $p += 16)
 *     $s += lane0 + … + lane3 (i64.extend_i32_s)
 *     ;; every word summed counted -0x8000: ($p - $start) / 2 words, i.e. ($p - $start) << 14
 *     $s += i64.extend_i32_u($p - $start) << 14
 *     ;; end-around carry down to 16 bits, then the bytes swapped
 *     block $f loop $fl (br_if $f (i64.eqz (i64.shr_u $s 16))) $s = ($s & 0xffff) + ($s >> 16) ; br $fl end end
 *     (i32.and (i32.or (i32.shl (i32.wrap_i64 $s) 8) (i32.shr_u (i32.wrap_i64 $s) 8)) 0xffff))
 *
 * Words are read little-endian from `at`, so the byte at an even distance from `at` weighs 1 and
 * the next 2^8: RFC 1071 §2(B) (byte order independence) makes the folded sum the byte-swapped
 * big-endian one, hence the swap. The result equals decode/checksum.ts sumBytes' JavaScript sum
 * exactly: both fold the same total (0 only for all-zero bytes, else 1..0xffff).
 */

/** The parts of the WebAssembly API used here (tsconfig's ES2022 lib does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}

const PAGE = 65536;
/** Larger requests (never the window's: two chunks and their headroom) stay plain arrays. */
const MAX_MEMORY_BYTES = 1 << 30;
/** How far past the end of a range the kernel's last 16-byte load may read (masked off). */
const TAIL_READ = 15;

// Section and instruction encodings (WebAssembly core specification §5.3–§5.5).
const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
const EMPTY = 0x40;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const SIMD = 0xfd;
// Locals: the two parameters, then $acc, $s, $block, $start, $bias, $ones.
const P = 0;
const STOP = 1;
const ACC = 2;
const S = 3;
const BLK = 4;
const START = 5;
const BIAS = 6;
const ONES = 7;

/** `v128.const` of eight copies of the little-endian 16-bit `word`. */
const i16x8 = (word: number): number[] => [SIMD, 0x0c /* v128.const */, ...new Array<number>(8).fill(0).flatMap(() => [word & 0xff, word >>> 8])];
/** `v128.const` 0, 1, …, 15 (byte lanes). */
const IOTA = [SIMD, 0x0c /* v128.const */, ...Array.from({ length: 16 }, (_, i) => i)];
/** `i32x4.dot_i16x8_s(<v128 on the stack> ^ $bias, $ones)`, added to $acc (which the caller pushed first). */
const DOT_INTO_ACC = [GET, BIAS, SIMD, 0x51 /* v128.xor */, GET, ONES, SIMD, 0xba, 0x01 /* i32x4.dot_i16x8_s */, SIMD, 0xae, 0x01 /* i32x4.add */, SET, ACC];

/** `$acc += dot(v128.load offset=<offset> $p ^ $bias, $ones)` */
function addVector(offset: number): number[] {
  return [GET, ACC, GET, P, SIMD, 0x00 /* v128.load */, 0 /* align 1 */, ...uleb(offset), ...DOT_INTO_ACC];
}

/** `$s += s64(lane 0) + … + s64(lane 3)` of $acc. */
const WIDEN = [GET, S, ...[0, 1, 2, 3].flatMap((lane) => [GET, ACC, SIMD, 0x1b /* i32x4.extract_lane */, lane, 0xac /* i64.extend_i32_s */, 0x7c /* i64.add */]), SET, S];
/** `$acc = 0` */
const CLEAR = [SIMD, 0x0c /* v128.const */, ...new Array<number>(16).fill(0), SET, ACC];
/**
 * `(i32.lt_u (i32.sub $stop $p) <n>)`. The constant is signed LEB128 (sleb): a single byte with
 * bit 6 set is negative, so 64 written as the byte 0x40 read as -64, and `left <_u -64` held for
 * every range: until session 10 no range took the 64-byte loop (callgrind of a 32 MiB mix: 16-byte
 * turns only, with V8's stack check each).
 */
const lessThanLeft = (n: number): number[] => [GET, STOP, GET, P, 0x6b /* i32.sub */, I32_CONST, ...sleb(n), 0x49 /* i32.lt_u */];
/** `$p += <n>` */
const advance = (n: number): number[] => [GET, P, I32_CONST, ...sleb(n), 0x6a /* i32.add */, SET, P];

/** `sum`'s body (see the file comment), instruction by instruction. */
const BODY = [
  // locals: 1 v128, 1 i64, 2 i32, 2 v128
  4, 1, V128, 1, I64, 2, I32, 2, V128,
  GET, P, SET, START,
  ...i16x8(0x8000), SET, BIAS,
  ...i16x8(1), SET, ONES,
  // 64 bytes per turn in blocks of at most 32 KiB: $block = min($p + 32768, $stop) - 64
  BLOCK, EMPTY, LOOP, EMPTY,
  ...lessThanLeft(64), BR_IF, 1,
  GET, P, I32_CONST, 0x80, 0x80, 0x02 /* 32768 */, 0x6a /* i32.add */, 0x22 /* local.tee */, BLK,
  GET, STOP, GET, BLK, GET, STOP, 0x49 /* i32.lt_u */, 0x1b /* select */, I32_CONST, 0xc0, 0x00 /* 64 */, 0x6b /* i32.sub */, SET, BLK,
  ...CLEAR,
  LOOP, EMPTY,
  ...addVector(0), ...addVector(16), ...addVector(32), ...addVector(48),
  GET, P, I32_CONST, 0xc0, 0x00 /* 64 */, 0x6a /* i32.add */, 0x22 /* local.tee */, P, GET, BLK, 0x4d /* i32.le_u */, BR_IF, 0,
  END,
  ...WIDEN,
  BR, 0,
  END, END,
  // under 64 bytes left: 16 at a time
  ...CLEAR,
  BLOCK, EMPTY, LOOP, EMPTY,
  ...lessThanLeft(16), BR_IF, 1,
  ...addVector(0), ...advance(16),
  BR, 0,
  END, END,
  // under 16 left: one load, the bytes from $stop on masked to zero
  GET, P, GET, STOP, 0x49 /* i32.lt_u */, IF, EMPTY,
  GET, ACC,
  GET, P, SIMD, 0x00 /* v128.load */, 0 /* align 1 */, 0 /* offset 0 */,
  GET, STOP, GET, P, 0x6b /* i32.sub */, SIMD, 0x0f /* i8x16.splat */, ...IOTA, SIMD, 0x27 /* i8x16.gt_s */,
  SIMD, 0x4e /* v128.and */,
  ...DOT_INTO_ACC,
  ...advance(16),
  END,
  ...WIDEN,
  // each word was summed as (word - 0x8000): ($p - $start) / 2 words of 0x8000 back
  GET, S, GET, P, GET, START, 0x6b /* i32.sub */, 0xad /* i64.extend_i32_u */, I64_CONST, 14, 0x86 /* i64.shl */, 0x7c /* i64.add */, SET, S,
  // end-around carry down to 16 bits
  BLOCK, EMPTY, LOOP, EMPTY,
  GET, S, I64_CONST, 16, 0x88 /* i64.shr_u */, 0x50 /* i64.eqz */, BR_IF, 1,
  GET, S, I64_CONST, 0xff, 0xff, 0x03 /* 0xffff */, 0x83 /* i64.and */, GET, S, I64_CONST, 16, 0x88 /* i64.shr_u */, 0x7c /* i64.add */, SET, S,
  BR, 0,
  END, END,
  // the bytes swapped
  GET, S, 0xa7 /* i32.wrap_i64 */, I32_CONST, 8, 0x74 /* i32.shl */,
  GET, S, 0xa7 /* i32.wrap_i64 */, I32_CONST, 8, 0x76 /* i32.shr_u */, 0x72 /* i32.or */,
  I32_CONST, 0xff, 0xff, 0x03 /* 0xffff */, 0x71 /* i32.and */,
  END,
];

/** A section: its id, its size (unsigned LEB128), its contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** Signed LEB128 of a non-negative `n` (WebAssembly core specification §5.2.2: `i32.const` takes a signed integer). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>>= 7;
    // Done when the rest is zero and the byte's sign bit (0x40) reads as positive.
    if (n === 0 && (byte & 0x40) === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** Unsigned LEB128 (WebAssembly core specification §5.2.2). */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** The module: one type, the memory imported as m.mem, the function exported as `sum`. */
export const ONES_SUM_WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 2, I32, I32, 1, I32]), // type 0: (i32, i32) -> i32
  ...section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x00]), // import "m" "mem" memory, min 0
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(7, [1, 3, 0x73, 0x75, 0x6d, 0x00, 0]), // export "sum" = function 0
  ...section(10, [1, ...uleb(BODY.length), ...BODY]),
]);

/** The in-place sum over [at, end) of a kernel's memory, folded to 16 bits (see the file comment). */
export type OnesSumKernel = (at: number, end: number) => number;

const kernels = new WeakMap<ArrayBufferLike, OnesSumKernel>();
/** The compiled module, null where WebAssembly or its SIMD is missing, undefined before the first try. */
let compiled: object | null | undefined;

function wasmApi(): WasmApi | null {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

function compiledModule(): object | null {
  if (compiled === undefined) {
    const api = wasmApi();
    try {
      compiled = api === null ? null : new api.Module(ONES_SUM_WASM);
    } catch {
      compiled = null; // no SIMD (e.g. node --no-experimental-wasm-simd): the JavaScript sum
    }
  }
  return compiled;
}

/**
 * `count` zero-filled buffers of `length` bytes, laid out one after another in one WebAssembly
 * memory that kernelFor() can sum in place; plain arrays where there is no kernel.
 */
export function summableBuffers(length: number, count: number): Uint8Array[] {
  const module = compiledModule();
  const api = wasmApi();
  const bytes = length * count;
  if (module === null || api === null || bytes > MAX_MEMORY_BYTES) return Array.from({ length: count }, () => new Uint8Array(length));
  // TAIL_READ bytes of room after the last buffer: the kernel's last load may read past its end.
  const pages = Math.ceil((bytes + TAIL_READ) / PAGE);
  // A fixed size (maximum = initial): the memory never grows, so its ArrayBuffer never detaches.
  const memory = new api.Memory({ initial: pages, maximum: pages });
  const instance = new api.Instance(module, { m: { mem: memory } });
  kernels.set(memory.buffer, instance.exports.sum as OnesSumKernel);
  return Array.from({ length: count }, (_, i) => new Uint8Array(memory.buffer, i * length, length));
}

/** The sum kernel for bytes in `buffer` (offsets from the buffer's start), or null when it is not a kernel's memory. */
export function kernelFor(buffer: ArrayBufferLike): OnesSumKernel | null {
  return kernels.get(buffer) ?? null;
}
