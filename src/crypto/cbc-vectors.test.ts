/**
 * CBC known-answer tests on every backend: AES-CBC (RFC 3602 §4 cases 1-3) and 3DES-CBC
 * (NIST TDES MMT examples). Vectors and sources: test/vectors/crypto-cbc.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../util/hex.js';
import type { CbcCipher } from './backend.js';
import { backendLabel, backendsUnderTest, offsetView } from './backends-under-test.js';

interface CbcVector {
  name: string;
  cipher: CbcCipher;
  source: string;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
}

const file = JSON.parse(readFileSync(new URL('../../../test/vectors/crypto-cbc.json', import.meta.url), 'utf8')) as {
  source: string;
  vectors: CbcVector[];
};

describe('CBC vectors', () => {
  for (const backend of backendsUnderTest()) {
    for (const v of file.vectors) {
      it(`${backendLabel(backend)}: ${v.name} encrypts and decrypts as published (${v.source})`, () => {
        const ctx = backend.cbc(v.cipher, fromHex(v.key));
        const data = fromHex(v.plaintext);
        ctx.encrypt(fromHex(v.iv), data);
        assert.equal(toHex(data), v.ciphertext);
        ctx.decrypt(fromHex(v.iv), data);
        assert.equal(toHex(data), v.plaintext);
      });

      it(`${backendLabel(backend)}: ${v.name} through subarray views, decrypt first (fresh context)`, () => {
        const ctx = backend.cbc(v.cipher, offsetView(fromHex(v.key), 2));
        const iv = offsetView(fromHex(v.iv), 6);
        const data = offsetView(fromHex(v.ciphertext), 10);
        ctx.decrypt(iv, data);
        assert.equal(toHex(data), v.plaintext);
        const around = new Uint8Array(data.buffer);
        assert.equal(around[9], 0xee);
        assert.equal(around[10 + data.length], 0xee);
      });
    }
  }
});
