/**
 * The AEAD part of the optional native helper (native/esprit-aead.c, in the N-API addon
 * native-addon.ts loads): one call per ESP packet's AES-GCM / ChaCha20-Poly1305 seal or
 * open instead of four or five koffi calls (docs/dataplane.md §10.6). The EVP backend uses
 * it when it loads and falls back to its koffi-only path when it does not (not built, not
 * Linux, `native: 'off'`).
 *
 * The helper works on the backend's own EVP_CIPHER_CTX objects and reads its per-packet
 * parameters from a native "job" block filled here (layout: job_t in native/esprit-native.h).
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import type { Addr } from './evp-arena.js';
import { loadNativeAddon, nativeAddonPath } from './native-addon.js';

export type { NativePreference } from './native-addon.js';

/** job_t offsets (native/esprit-native.h); the Int32 fields are indexed as i32[off >> 2] */
export const JOB_IV_OFF = 0;
export const JOB_DATA_OFF = 4;
export const JOB_DATA_LEN = 8;
export const JOB_ICV_LEN = 12;
export const JOB_AAD_LEN = 16;
export const JOB_FLAGS = 20;
export const JOB_NONCE = 24;
export const JOB_AAD = 40;
/** the largest AAD the job carries (ESP: 8 or 12 bytes, RFC 4106 §5) */
export const JOB_AAD_MAX = 16;
const JOB_LEN = 88;
/** flags bit: AES-GCM IV reset through "tlsivfixed" */
export const FLAG_IVFIXED = 1;
/** result bits: done / ICV verified; libcrypto refused tlsivfixed (negative: an EVP call failed) */
export const R_OK = 1;
export const R_IVFIXED_REFUSED = 2;

export interface NativeAead {
  /** esprit_aead_seal(ctx, packet address, job address) */
  readonly seal: (ctx: Addr, pkt: Addr, job: Addr) => number;
  readonly open: (ctx: Addr, pkt: Addr, job: Addr) => number;
  readonly job: Addr;
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  /** the AEAD context whose salt is in the job's nonce now */
  nonceOwner: object | undefined;
  readonly path: string;
}

const roots: unknown[] = [];

/**
 * Loads the helper and resolves its EVP functions in `libcrypto` (the path the backend
 * loaded, so both use one library object).
 * @throws Error saying why it cannot be used (missing file, load or init failure, ABI).
 */
export function loadNativeAead(libcrypto: string, path: string = nativeAddonPath()): NativeAead {
  const addon = loadNativeAddon(path);
  if (addon.aeadInit(libcrypto) !== 1) throw new Error(`${path}: cannot resolve the EVP functions in ${libcrypto}`);
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof Koffi;
  const block = koffi.alloc('uint64_t', JOB_LEN / 8);
  roots.push(block); // lives as long as the module
  const job = Number(koffi.address(block));
  if (!Number.isSafeInteger(job) || job === 0) throw new Error('job block address is not a safe integer');
  const ab = koffi.view(block, JOB_LEN);
  return {
    seal: addon.aeadSeal,
    open: addon.aeadOpen,
    job,
    bytes: new Uint8Array(ab),
    i32: new Int32Array(ab),
    nonceOwner: undefined,
    path,
  };
}
