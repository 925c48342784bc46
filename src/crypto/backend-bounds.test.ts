/**
 * Misuse is refused with a CryptoError, identically on both backends, before anything
 * reaches C: on the EVP backend a refused call leaves the native object count as it
 * was (a context's first FFI call is the one that allocates its EVP_CIPHER_CTX).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoError } from '../util/errors.js';
import type { CryptoBackend } from './backend.js';
import { backendLabel, backendsUnderTest } from './backends-under-test.js';
import { evpLiveNativeObjects } from './evp-backend.js';

const z = (n: number): Uint8Array => new Uint8Array(n);
const isCryptoError = (e: unknown): boolean => e instanceof CryptoError && e.code === 'crypto';

/** Runs `fn`, which must throw a CryptoError, and proves no native object was made. */
function refuses(b: CryptoBackend, what: string, fn: () => unknown): void {
  const before = evpLiveNativeObjects();
  assert.throws(fn, isCryptoError, `${backendLabel(b)}: ${what}`);
  assert.equal(evpLiveNativeObjects(), before, `${backendLabel(b)}: ${what} reached libcrypto`);
}

describe('crypto bounds', () => {
  for (const b of backendsUnderTest()) {
    it(`${backendLabel(b)}: AEAD key, salt and ICV lengths are checked at context creation`, () => {
      refuses(b, 'GCM key 15', () => b.aead('aes-gcm', z(15), z(4), 16));
      refuses(b, 'GCM key 33', () => b.aead('aes-gcm', z(33), z(4), 16));
      refuses(b, 'GCM ICV 10', () => b.aead('aes-gcm', z(16), z(4), 10));
      refuses(b, 'GCM ICV 0', () => b.aead('aes-gcm', z(16), z(4), 0));
      refuses(b, 'salt 3', () => b.aead('aes-gcm', z(16), z(3), 16));
      refuses(b, 'salt 5', () => b.aead('chacha20-poly1305', z(32), z(5), 16));
      refuses(b, 'ChaCha key 16', () => b.aead('chacha20-poly1305', z(16), z(4), 16));
      refuses(b, 'ChaCha ICV 12', () => b.aead('chacha20-poly1305', z(32), z(4), 12));
    });

    it(`${backendLabel(b)}: AEAD IV and ICV buffer lengths are checked on every seal/open`, () => {
      for (const [cipher, keyLen, icv] of [
        ['aes-gcm', 16, 12],
        ['chacha20-poly1305', 32, 16],
      ] as const) {
        const ctx = b.aead(cipher, z(keyLen), z(4), icv);
        for (const op of ['seal', 'open'] as const) {
          refuses(b, `${op} IV 7`, () => ctx[op](z(7), z(8), z(16), z(icv)));
          refuses(b, `${op} IV 12`, () => ctx[op](z(12), z(8), z(16), z(icv)));
          refuses(b, `${op} ICV short`, () => ctx[op](z(8), z(8), z(16), z(icv - 1)));
          refuses(b, `${op} ICV long`, () => ctx[op](z(8), z(8), z(16), z(icv + 1)));
          refuses(b, `${op} ICV view`, () => ctx[op](z(8), z(8), z(16), z(64).subarray(3, 3 + icv + 4)));
        }
      }
    });

    it(`${backendLabel(b)}: CBC key, IV and block-multiple data lengths are checked`, () => {
      refuses(b, 'AES key 20', () => b.cbc('aes-cbc', z(20)));
      refuses(b, '3DES key 16', () => b.cbc('3des-cbc', z(16)));
      const aes = b.cbc('aes-cbc', z(16));
      const des = b.cbc('3des-cbc', z(24));
      for (const op of ['encrypt', 'decrypt'] as const) {
        refuses(b, `AES ${op} IV 8`, () => aes[op](z(8), z(32)));
        refuses(b, `AES ${op} data 31`, () => aes[op](z(16), z(31)));
        refuses(b, `AES ${op} data 8`, () => aes[op](z(16), z(8)));
        refuses(b, `3DES ${op} IV 16`, () => des[op](z(16), z(16)));
        refuses(b, `3DES ${op} data 12`, () => des[op](z(8), z(12)));
      }
    });

    it(`${backendLabel(b)}: HMAC ICV length is 1..L and the output buffer must match it`, () => {
      refuses(b, 'MD5 ICV 17', () => b.mac('md5', z(16), 17));
      refuses(b, 'SHA-1 ICV 21', () => b.mac('sha1', z(20), 21));
      refuses(b, 'SHA-256 ICV 0', () => b.mac('sha256', z(32), 0));
      refuses(b, 'SHA-512 ICV 65', () => b.mac('sha512', z(64), 65));
      const m = b.mac('sha256', z(32), 16);
      refuses(b, 'out 15', () => m.compute(z(10), undefined, z(15)));
      refuses(b, 'out 32', () => m.compute(z(10), z(4), z(32)));
    });

    it(`${backendLabel(b)}: a refused call leaves the context usable`, () => {
      const ctx = b.aead('aes-gcm', z(16), z(4), 16);
      assert.throws(() => ctx.seal(z(7), z(8), z(16), z(16)), isCryptoError);
      const data = z(16);
      const tag = z(16);
      ctx.seal(z(8), z(8), data, tag);
      assert.equal(ctx.open(z(8), z(8), data, tag), true);
      assert.deepEqual(data, z(16));
    });
  }
});
