/**
 * EVP-specific behaviour: native lifetime (dispose, use after dispose), packets larger
 * than the 64 KiB staging arena (chunked updates), and the load failure message.
 * Compared against node:crypto as the oracle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { backendsUnderTest } from './backends-under-test.js';
import { disposeContext, evpLiveNativeObjects, loadEvpBackend } from './evp-backend.js';
import { nodeBackend } from './node-backend.js';

const evp = backendsUnderTest().find((b) => b.name === 'evp');
const isCryptoError = (e: unknown): boolean => e instanceof CryptoError;
const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

describe('EVP backend', () => {
  it('reports a missing library as a CryptoError naming it', () => {
    assert.throws(
      () => loadEvpBackend('libcrypto-esprit-missing.so.3'),
      (e: unknown) => e instanceof CryptoError && e.message.includes('libcrypto-esprit-missing.so.3'),
    );
  });

  if (evp === undefined) return;

  it('dispose() frees the native contexts once; later use throws CryptoError', () => {
    const base = evpLiveNativeObjects();
    const aead = evp.aead('aes-gcm', pattern(16, 1), pattern(4, 2), 16);
    const cbc = evp.cbc('aes-cbc', pattern(16, 3));
    const mac = evp.mac('sha256', pattern(32, 4), 16);
    assert.equal(evpLiveNativeObjects(), base + 1, 'HMAC_CTX is made at creation, cipher contexts on first use');
    aead.seal(pattern(8, 5), pattern(8, 6), pattern(64, 7), new Uint8Array(16));
    aead.open(pattern(8, 5), pattern(8, 6), pattern(64, 7), new Uint8Array(16));
    cbc.encrypt(pattern(16, 8), pattern(32, 9));
    assert.equal(evpLiveNativeObjects(), base + 4);
    for (const c of [aead, cbc, mac]) disposeContext(c);
    assert.equal(evpLiveNativeObjects(), base);
    for (const c of [aead, cbc, mac]) disposeContext(c);
    assert.equal(evpLiveNativeObjects(), base, 'dispose is idempotent');
    assert.throws(() => aead.seal(pattern(8, 5), pattern(8, 6), pattern(64, 7), new Uint8Array(16)), isCryptoError);
    assert.throws(() => aead.open(pattern(8, 5), pattern(8, 6), pattern(64, 7), new Uint8Array(16)), isCryptoError);
    assert.throws(() => cbc.decrypt(pattern(16, 8), pattern(32, 9)), isCryptoError);
    assert.throws(() => mac.compute(pattern(10, 1), undefined, new Uint8Array(16)), isCryptoError);
  });

  it('disposeContext() on a node:crypto context is a no-op', () => {
    const c = nodeBackend.aead('aes-gcm', pattern(16, 1), pattern(4, 2), 16);
    disposeContext(c);
    c.seal(pattern(8, 1), pattern(8, 1), pattern(16, 1), new Uint8Array(16));
  });

  it('packets larger than the staging arena are processed in chunks, as node:crypto does', () => {
    const n = 65536 * 2 + 48; // three chunks, multiple of 16
    const key = pattern(32, 11);
    const results = [nodeBackend, evp].map((b) => {
      const data = pattern(n, 12);
      const tag = new Uint8Array(16);
      const aad = pattern(70000, 13);
      b.aead('aes-gcm', key, pattern(4, 14), 16).seal(pattern(8, 15), aad, data, tag);
      const cbc = pattern(n, 16);
      b.cbc('aes-cbc', key).encrypt(pattern(16, 17), cbc);
      const mac = new Uint8Array(32);
      b.mac('sha512', key, 32).compute(pattern(n, 18), pattern(4, 19), mac);
      return { gcm: toHex(data) + toHex(tag), cbc: toHex(cbc), mac: toHex(mac) };
    });
    assert.deepEqual(results[1], results[0]);
    // and the big packet opens again on EVP
    const data = pattern(n, 12);
    const tag = new Uint8Array(16);
    const ctx = evp.aead('aes-gcm', key, pattern(4, 14), 16);
    ctx.seal(pattern(8, 15), pattern(70000, 13), data, tag);
    assert.equal(ctx.open(pattern(8, 15), pattern(70000, 13), data, tag), true);
    assert.equal(toHex(data), toHex(pattern(n, 12)));
  });
});
