/**
 * The EVP backend's binding to libcrypto.so.3 and its per-thread native staging arena
 * (evp-backend.ts uses both): function declarations made once, the arena's layout, the
 * prepared OSSL_PARAM for the AEAD tag, and the helpers that resolve a caller's buffer
 * to a native address or copy it through the stage.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/** openssl/evp.h (3.0) */
const EVP_MAX_MD_SIZE = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A native address as a JS number (user-space addresses fit in 53 bits). The hot
 * path declares every pointer as intptr_t: koffi converts a number in ~0.1 us but
 * spends ~0.2 us per TypedArray or External pointer argument (measured, koffi 2.16).
 */
export type Addr = number;

export interface Libcrypto {
  readonly version: number;
  // setup only: keys are passed as TypedArrays (slow path, once per context)
  EVP_CIPHER_fetch(libctx: Addr, name: string, props: Addr): Addr;
  EVP_MD_fetch(libctx: Addr, name: string, props: Addr): Addr;
  EVP_CIPHER_CTX_new(): Addr;
  EVP_CIPHER_CTX_free(ctx: Addr): void;
  EVP_CIPHER_CTX_set_padding(ctx: Addr, pad: number): number;
  EVP_CipherInit_key(ctx: Addr, cipher: Addr, engine: Addr, key: Uint8Array | null, iv: Addr, enc: number): number;
  HMAC_CTX_new(): Addr;
  HMAC_CTX_free(ctx: Addr): void;
  HMAC_Init_key(ctx: Addr, key: Uint8Array, len: number, md: Addr, engine: Addr): number;
  // per packet: addresses only, all inside the staging arena
  EVP_CIPHER_CTX_ctrl(ctx: Addr, type: number, arg: number, ptr: Addr): number;
  EVP_CipherInit_ex(ctx: Addr, cipher: Addr, engine: Addr, key: Addr, iv: Addr, enc: number): number;
  EVP_CipherUpdate(ctx: Addr, out: Addr, outl: Addr, inp: Addr, inl: number): number;
  EVP_CipherInit_ex2(ctx: Addr, cipher: Addr, key: Addr, iv: Addr, enc: number, params: Addr): number;
  EVP_CIPHER_CTX_get_params(ctx: Addr, params: Addr): number;
  EVP_CIPHER_CTX_set_params(ctx: Addr, params: Addr): number;
  EVP_CipherFinal_ex(ctx: Addr, out: Addr, outl: Addr): number;
  HMAC_Init_ex(ctx: Addr, key: Addr, len: number, md: Addr, engine: Addr): number;
  HMAC_Update(ctx: Addr, data: Addr, len: number): number;
  HMAC_Final(ctx: Addr, md: Addr, len: Addr): number;
}

/**
 * Staging arena: one native block per thread, never freed (it lives as long as the
 * module). It holds the nonce, small AAD, outl/final scratch and the HMAC output at
 * constant offsets. Packet data (cipher in place, HMAC input, AEAD tag) is passed to C
 * as the address of the caller's own ArrayBuffer + byteOffset (bufferBase(): no copy);
 * only buffers that do not qualify (SharedArrayBuffer, resizable) are copied through
 * the stage. Every length handed to C is the length of the caller's view (so it stays
 * inside that view) or at most the size of an arena slot.
 *
 *   0        STAGE_LEN  +64        +80   +96    +100    +132  +196    +200              +280
 *   | stage  | aad      | nonce/iv | tag | outl | final | md  | mdLen | OSSL_PARAM[2]   | "tag\0" |
 *
 * The OSSL_PARAM array (openssl/core.h, 40 bytes each on LP64: key, data_type, data,
 * data_size, return_size; then an all-zero end marker) names OSSL_CIPHER_PARAM_AEAD_TAG
 * as an octet string; the packet paths write its data pointer and size before each use.
 */
export const STAGE_LEN = 65536;
/** AAD up to this size (ESP: 8 or 12 bytes, RFC 4106 §5) skips the stage. */
export const AAD_SLOT = 64;
export const OFF_AAD = STAGE_LEN;
export const OFF_IV = OFF_AAD + AAD_SLOT;
export const OFF_TAG = OFF_IV + 16;
export const OFF_OUTL = OFF_TAG + 16;
export const OFF_FINAL = OFF_OUTL + 4;
export const OFF_MD = OFF_FINAL + 32;
export const OFF_MDLEN = OFF_MD + EVP_MAX_MD_SIZE;
export const OFF_PARAM = OFF_MDLEN + 4;
export const PARAM_LEN = 40;
/** AES-GCM: {"tlsivfixed", the nonce slot, size (size_t)-1}, end (see ivParams) */
export const OFF_PARAM_IV = OFF_PARAM + 2 * PARAM_LEN;
/** AES-GCM open: {"tlsivfixed" as above}, {"tag", per packet}, end */
export const OFF_PARAM_IVTAG = OFF_PARAM_IV + 2 * PARAM_LEN;
export const OFF_PARAM_KEY = OFF_PARAM_IVTAG + 3 * PARAM_LEN;
/** "tag\0" at +0, "tlsivfixed\0" at +8 */
export const ARENA_LEN = OFF_PARAM_KEY + 24;
/** openssl/core.h */
const OSSL_PARAM_OCTET_STRING = 5;

export interface Arena {
  readonly base: Addr;
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  /** koffi.address of an ArrayBuffer's backing store */
  readonly addressOf: (ab: ArrayBuffer) => Addr;
  /** last ArrayBuffer resolved by bufferBase(), its byteLength then and its address */
  lastAb: ArrayBufferLike | undefined;
  lastLen: number;
  lastBase: Addr;
  /** last view resolved by viewBase(), its length then and the address of its first byte */
  lastView: Uint8Array | undefined;
  lastViewLen: number;
  lastViewAt: Addr;
  /** the context whose salt is in the nonce slot now (an AEAD context's nonceAt skips rewriting it) */
  nonceOwner: object | undefined;
  /** the OSSL_PARAM tag path is usable (LP64, little-endian: the layout written by prepareParams) */
  readonly params: boolean;
  /**
   * AES-GCM IV resets through EVP_CIPHER_CTX_set_params("tlsivfixed", size -1) instead of
   * EVP_CipherInit_ex (see ivParams); turned off for good when libcrypto refuses it.
   */
  ivFixed: boolean;
}

/** Declares every function once; per-packet calls then reuse these bindings. */
export function bindLibcrypto(libPath: string): { L: Libcrypto; arena: Arena } {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof Koffi;
  const lib = koffi.load(libPath);
  const f = <T>(proto: string): T => lib.func(proto) as unknown as T;
  const versionNum = f<() => number | bigint>('unsigned long OpenSSL_version_num(void)');
  const L: Libcrypto = {
    version: Number(versionNum()),
    EVP_CIPHER_fetch: f('intptr_t EVP_CIPHER_fetch(intptr_t libctx, const char *name, intptr_t props)'),
    EVP_MD_fetch: f('intptr_t EVP_MD_fetch(intptr_t libctx, const char *name, intptr_t props)'),
    EVP_CIPHER_CTX_new: f('intptr_t EVP_CIPHER_CTX_new(void)'),
    EVP_CIPHER_CTX_free: f('void EVP_CIPHER_CTX_free(intptr_t ctx)'),
    EVP_CIPHER_CTX_set_padding: f('int EVP_CIPHER_CTX_set_padding(intptr_t ctx, int pad)'),
    EVP_CipherInit_key: f(
      'int EVP_CipherInit_ex(intptr_t ctx, intptr_t cipher, intptr_t engine, const uint8_t *key, intptr_t iv, int enc)',
    ),
    HMAC_CTX_new: f('intptr_t HMAC_CTX_new(void)'),
    HMAC_CTX_free: f('void HMAC_CTX_free(intptr_t ctx)'),
    HMAC_Init_key: f('int HMAC_Init_ex(intptr_t ctx, const uint8_t *key, int len, intptr_t md, intptr_t engine)'),
    EVP_CIPHER_CTX_ctrl: f('int EVP_CIPHER_CTX_ctrl(intptr_t ctx, int type, int arg, intptr_t ptr)'),
    EVP_CipherInit_ex: f(
      'int EVP_CipherInit_ex(intptr_t ctx, intptr_t cipher, intptr_t engine, intptr_t key, intptr_t iv, int enc)',
    ),
    EVP_CipherUpdate: f('int EVP_CipherUpdate(intptr_t ctx, intptr_t out, intptr_t outl, intptr_t inp, int inl)'),
    EVP_CipherFinal_ex: f('int EVP_CipherFinal_ex(intptr_t ctx, intptr_t out, intptr_t outl)'),
    HMAC_Init_ex: f('int HMAC_Init_ex(intptr_t ctx, intptr_t key, int len, intptr_t md, intptr_t engine)'),
    HMAC_Update: f('int HMAC_Update(intptr_t ctx, intptr_t data, size_t len)'),
    HMAC_Final: f('int HMAC_Final(intptr_t ctx, intptr_t md, intptr_t len)'),
    EVP_CipherInit_ex2: f(
      'int EVP_CipherInit_ex2(intptr_t ctx, intptr_t cipher, intptr_t key, intptr_t iv, int enc, intptr_t params)',
    ),
    EVP_CIPHER_CTX_get_params: f('int EVP_CIPHER_CTX_get_params(intptr_t ctx, intptr_t params)'),
    EVP_CIPHER_CTX_set_params: f('int EVP_CIPHER_CTX_set_params(intptr_t ctx, intptr_t params)'),
  };
  const block = koffi.alloc('uint64_t', Math.ceil(ARENA_LEN / 8));
  const base = Number(koffi.address(block));
  if (!Number.isSafeInteger(base) || base === 0) throw new Error('arena address is not a safe integer');
  const ab = koffi.view(block, ARENA_LEN);
  // keep the block reachable for the life of the module
  arenaRoots.push(block);
  const addressOf = (b: ArrayBuffer): Addr => Number(koffi.address(b));
  const arena: Arena = {
    base,
    bytes: new Uint8Array(ab),
    i32: new Int32Array(ab),
    addressOf,
    lastAb: undefined,
    lastLen: 0,
    lastBase: 0,
    lastView: undefined,
    lastViewLen: 0,
    lastViewAt: 0,
    nonceOwner: undefined,
    params: koffi.sizeof('size_t') === 8 && koffi.sizeof('void *') === 8 && LITTLE_ENDIAN,
    ivFixed: false,
  };
  arena.ivFixed = arena.params;
  if (arena.params) prepareParams(arena);
  return { L, arena };
}

const arenaRoots: unknown[] = [];

/** Writes a 64-bit little-endian value (a safe integer) at a multiple of 4 in the arena. */
export function put64(A: Arena, at: number, v: number): void {
  A.i32[at >> 2] = v >>> 0;
  A.i32[(at >> 2) + 1] = (v / 0x1_0000_0000) >>> 0;
}

/** An OCTET_STRING OSSL_PARAM {key, data, size} at `at`, return_size OSSL_PARAM_UNMODIFIED. */
function octetParam(A: Arena, at: number, key: Addr, data: Addr, size: number): void {
  put64(A, at, key);
  A.i32[(at + 8) >> 2] = OSSL_PARAM_OCTET_STRING;
  put64(A, at + 16, data);
  if (size < 0) {
    A.i32[(at + 24) >> 2] = -1; // (size_t)-1
    A.i32[(at + 28) >> 2] = -1;
  } else put64(A, at + 24, size);
  A.i32[(at + 32) >> 2] = -1;
  A.i32[(at + 36) >> 2] = -1;
}

/**
 * The three OSSL_PARAM arrays (each ends with an all-zero entry): {tag} for get_params and
 * EVP_CipherInit_ex2; {tlsivfixed} and {tlsivfixed, tag} for AES-GCM. OpenSSL 3's GCM
 * provider takes OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED of size (size_t)-1 as "the whole
 * 12-byte IV" (the provider's setivfixed(); EVP_CTRL_GCM_SET_IV_FIXED with -1 before 3.0)
 * and marks it buffered for the next update, which resets GHASH and the counter as an IV
 * given to EVP_CipherInit_ex does, without that call's IV-length query and dispatch.
 */
export function prepareParams(A: Arena): void {
  const tagKey = A.base + OFF_PARAM_KEY;
  const ivKey = tagKey + 8;
  A.bytes.fill(0, OFF_PARAM, ARENA_LEN);
  A.bytes.set([0x74, 0x61, 0x67, 0], OFF_PARAM_KEY); // "tag" = OSSL_CIPHER_PARAM_AEAD_TAG
  // "tlsivfixed" = OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED
  A.bytes.set([0x74, 0x6c, 0x73, 0x69, 0x76, 0x66, 0x69, 0x78, 0x65, 0x64, 0], OFF_PARAM_KEY + 8);
  octetParam(A, OFF_PARAM, tagKey, 0, 0);
  octetParam(A, OFF_PARAM_IV, ivKey, A.base + OFF_IV, -1);
  octetParam(A, OFF_PARAM_IVTAG, ivKey, A.base + OFF_IV, -1);
  octetParam(A, OFF_PARAM_IVTAG + PARAM_LEN, tagKey, 0, 0);
}

/** The {tlsivfixed, tag} array with the tag pointing at `len` bytes at native address `at`. */
export function ivTagParam(A: Arena, at: Addr, len: number): Addr {
  const p = OFF_PARAM_IVTAG + PARAM_LEN;
  put64(A, p + 16, at);
  A.i32[(p + 24) >> 2] = len;
  A.i32[(p + 28) >> 2] = 0;
  return A.base + OFF_PARAM_IVTAG;
}

/** Points the tag OSSL_PARAM at `len` bytes at native address `at`. */
export function tagParam(A: Arena, at: Addr, len: number): Addr {
  put64(A, OFF_PARAM + 16, at);
  A.i32[(OFF_PARAM + 24) >> 2] = len;
  A.i32[(OFF_PARAM + 28) >> 2] = 0;
  return A.base + OFF_PARAM;
}

export function stageIn(A: Arena, src: Uint8Array, at: number): void {
  A.bytes.set(src, at);
}
export function stageOut(A: Arena, dst: Uint8Array, at: number, len: number): void {
  dst.set(A.bytes.subarray(at, at + len));
}

/**
 * Direct path: the native address of `u.buffer`, or -1 when the stage must be used.
 *
 * Only a plain, non-resizable, non-empty ArrayBuffer qualifies: its backing store is
 * off the V8 heap and never moves while it is alive (`u.buffer` also moves a small
 * on-heap typed array's bytes off-heap for good). A detached buffer has byteLength 0,
 * so a cached address is reused only for the same ArrayBuffer with the same byteLength.
 * SharedArrayBuffers and resizable buffers take the stage. The caller's view keeps the
 * buffer alive during the call; the one-entry cache (the ESP engine reuses its packet
 * buffer) keeps the last buffer alive until the next one replaces it.
 */
export function bufferBase(A: Arena, u: Uint8Array): Addr {
  const ab = u.buffer;
  if (ab === A.lastAb && ab.byteLength === A.lastLen) return A.lastBase;
  if (!(ab instanceof ArrayBuffer) || (ab as { resizable?: boolean }).resizable === true || ab.byteLength === 0) {
    return -1;
  }
  const base = A.addressOf(ab);
  if (!Number.isSafeInteger(base) || base === 0) return -1;
  A.lastAb = ab;
  A.lastLen = ab.byteLength;
  A.lastBase = base;
  return base;
}

/**
 * The native address of `u[0]`, or -1 (stage needed): bufferBase() behind a one-entry
 * cache keyed by the view itself, so a packet buffer reused call after call costs an
 * identity check instead of the `.buffer` getter (a call into the runtime). A view never
 * changes its buffer or offset; if that buffer is detached its length becomes 0 and the
 * length check misses.
 */
export function viewBase(A: Arena, u: Uint8Array): Addr {
  if (u === A.lastView && u.length === A.lastViewLen) return A.lastViewAt;
  const b = bufferBase(A, u);
  if (b < 0) return -1;
  A.lastView = u;
  A.lastViewLen = u.length;
  A.lastViewAt = b + u.byteOffset;
  return A.lastViewAt;
}

/**
 * EVP_CipherUpdate over `buf` in place, through the stage in chunks of at most
 * STAGE_LEN bytes; `out` false feeds AAD (NULL output). Returns false on failure.
 */
export function cipherUpdate(L: Libcrypto, A: Arena, ctx: Addr, buf: Uint8Array, out: boolean): boolean {
  const base = A.base;
  if (!out && buf.length <= AAD_SLOT) {
    // small AAD: a byte loop beats TypedArray#set at this size
    const b = A.bytes;
    for (let i = 0; i < buf.length; i++) b[OFF_AAD + i] = buf[i] ?? 0;
    return buf.length === 0 || L.EVP_CipherUpdate(ctx, 0, base + OFF_OUTL, base + OFF_AAD, buf.length) === 1;
  }
  if (buf.length === 0) return true;
  const direct = bufferBase(A, buf);
  if (direct >= 0) {
    // in place in the caller's buffer: buf.byteOffset + buf.length <= byteLength by construction
    // of the view, and buf.length <= INT_MAX (checkFfiLength)
    const p = direct + buf.byteOffset;
    if (L.EVP_CipherUpdate(ctx, out ? p : 0, base + OFF_OUTL, p, buf.length) !== 1) return false;
    return !out || A.i32[OFF_OUTL >> 2] === buf.length;
  }
  for (let off = 0; off < buf.length; off += STAGE_LEN) {
    const n = Math.min(STAGE_LEN, buf.length - off);
    const chunk = off === 0 && n === buf.length ? buf : buf.subarray(off, off + n);
    stageIn(A, chunk, 0);
    if (L.EVP_CipherUpdate(ctx, out ? base : 0, base + OFF_OUTL, base, n) !== 1) return false;
    if (out) {
      if (A.i32[OFF_OUTL >> 2] !== n) return false;
      stageOut(A, chunk, 0, n);
    }
  }
  return true;
}
