/**
 * Test support: the backends every crypto vector and property runs against. The EVP
 * backend is included whenever it loads; under CI (CI=true) failing to load it is an
 * error, so a CI machine without libcrypto.so.3 fails instead of silently testing less.
 */
import type { CryptoBackend } from './backend.js';
import { loadEvpBackend } from './evp-backend.js';
import { nodeBackend } from './node-backend.js';

export function backendsUnderTest(): CryptoBackend[] {
  const list: CryptoBackend[] = [nodeBackend];
  try {
    list.push(loadEvpBackend());
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    process.emitWarning(`crypto tests run without the EVP backend: ${e instanceof Error ? e.message : String(e)}`);
  }
  return list;
}

/** A copy of `src` placed at `offset` inside a larger buffer: a view with a non-zero byteOffset. */
export function offsetView(src: Uint8Array, offset = 13): Uint8Array {
  const big = new Uint8Array(src.length + offset + 7).fill(0xee);
  big.set(src, offset);
  return big.subarray(offset, offset + src.length);
}
