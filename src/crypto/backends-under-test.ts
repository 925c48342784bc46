/**
 * Test support: the backends every crypto vector and property runs against: node:crypto,
 * EVP through koffi alone (`native: 'off'`, the fallback) and EVP with the native AEAD
 * helper (evp-native.ts) whenever each loads. Under CI (CI=true) failing to load either
 * EVP variant is an error, so a CI machine without libcrypto.so.3 or without a built
 * helper fails instead of silently testing less.
 */
import type { CryptoBackend } from './backend.js';
import { type EvpBackend, loadEvpBackend } from './evp-backend.js';
import { nodeBackend } from './node-backend.js';

export function backendsUnderTest(): CryptoBackend[] {
  const list: CryptoBackend[] = [nodeBackend];
  for (const native of ['on', 'off'] as const) {
    try {
      list.push(loadEvpBackend(undefined, native));
    } catch (e) {
      if (process.env.CI === 'true') throw e;
      const why = e instanceof Error ? e.message : String(e);
      process.emitWarning(`crypto tests run without the EVP backend (native ${native}): ${why}`);
    }
  }
  return list;
}

/** `node`, `evp` (koffi only) or `evp+native` (one helper call per AEAD packet), for test names. */
export function backendLabel(b: CryptoBackend): string {
  return b.name === 'evp' && (b as EvpBackend).nativeHelper !== undefined ? 'evp+native' : b.name;
}

/** A copy of `src` placed at `offset` inside a larger buffer: a view with a non-zero byteOffset. */
export function offsetView(src: Uint8Array, offset = 13): Uint8Array {
  const big = new Uint8Array(src.length + offset + 7).fill(0xee);
  big.set(src, offset);
  return big.subarray(offset, offset + src.length);
}
