/**
 * AEAD known-answer tests on every backend: AES-GCM (McGrew & Viega test cases in the
 * RFC 4106 key|salt form, 128/192/256-bit keys, ICV 8/12/16) and ChaCha20-Poly1305
 * (RFC 8439 §2.8.2, RFC 7634 appendices). Vectors and sources: test/vectors/crypto-aead.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../util/hex.js';
import type { AeadCipher } from './backend.js';
import { backendLabel, backendsUnderTest, offsetView } from './backends-under-test.js';

interface AeadVector {
  name: string;
  cipher: AeadCipher;
  source: string;
  key: string;
  salt: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  icv: string;
}

const file = JSON.parse(readFileSync(new URL('../../../test/vectors/crypto-aead.json', import.meta.url), 'utf8')) as {
  source: string;
  vectors: AeadVector[];
};

describe('AEAD vectors', () => {
  it('cover GCM 128/192/256, ICV 8/12/16, and ChaCha20-Poly1305', () => {
    const gcm = file.vectors.filter((v) => v.cipher === 'aes-gcm');
    assert.deepEqual([...new Set(gcm.map((v) => v.key.length / 2))].sort(), [16, 24, 32]);
    assert.deepEqual([...new Set(gcm.map((v) => v.icv.length / 2))].sort(), [12, 16, 8]);
    assert.ok(file.vectors.some((v) => v.cipher === 'chacha20-poly1305'));
    assert.ok(file.source.length > 0 && file.vectors.every((v) => v.source.length > 0));
  });

  for (const backend of backendsUnderTest()) {
    for (const v of file.vectors) {
      const icvLen = v.icv.length / 2;
      it(`${backendLabel(backend)}: ${v.name} seal gives the published ciphertext and ICV (${v.source.split(',')[0]})`, () => {
        const ctx = backend.aead(v.cipher, fromHex(v.key), fromHex(v.salt), icvLen);
        const data = fromHex(v.plaintext);
        const tag = new Uint8Array(icvLen);
        ctx.seal(fromHex(v.iv), fromHex(v.aad), data, tag);
        assert.equal(toHex(data), v.ciphertext);
        assert.equal(toHex(tag), v.icv);
      });

      it(`${backendLabel(backend)}: ${v.name} open restores the plaintext; a wrong ICV is refused`, () => {
        const ctx = backend.aead(v.cipher, fromHex(v.key), fromHex(v.salt), icvLen);
        const data = fromHex(v.ciphertext);
        assert.equal(ctx.open(fromHex(v.iv), fromHex(v.aad), data, fromHex(v.icv)), true);
        assert.equal(toHex(data), v.plaintext);
        const bad = fromHex(v.icv);
        bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x01;
        assert.equal(ctx.open(fromHex(v.iv), fromHex(v.aad), fromHex(v.ciphertext), bad), false);
      });

      it(`${backendLabel(backend)}: ${v.name} through subarray views with non-zero byteOffset`, () => {
        const ctx = backend.aead(v.cipher, offsetView(fromHex(v.key), 3), offsetView(fromHex(v.salt), 5), icvLen);
        const iv = offsetView(fromHex(v.iv), 7);
        const aad = offsetView(fromHex(v.aad), 9);
        const data = offsetView(fromHex(v.plaintext), 11);
        const tag = offsetView(new Uint8Array(icvLen), 1);
        ctx.seal(iv, aad, data, tag);
        assert.equal(toHex(data), v.ciphertext);
        assert.equal(toHex(tag), v.icv);
        // the bytes around each view are untouched
        const around = new Uint8Array(data.buffer);
        assert.equal(around[10], 0xee);
        assert.equal(around[11 + data.length], 0xee);
        assert.equal(ctx.open(iv, aad, data, tag), true);
        assert.equal(toHex(data), v.plaintext);
      });
    }
  }
});
