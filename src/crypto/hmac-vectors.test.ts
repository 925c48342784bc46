/**
 * HMAC known-answer tests on every backend: RFC 2202 (MD5, SHA-1 and their 96-bit
 * truncations), RFC 4231 §4 (SHA-256/384/512, case 5 truncated to 128 bits) and RFC 4868
 * §2.7.2 (truncated SHA-2 authenticators). Vectors and sources: test/vectors/crypto-hmac.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../util/hex.js';
import { backendLabel, backendsUnderTest, offsetView } from './backends-under-test.js';
import type { HashName } from './suites.js';

interface HmacVector {
  name: string;
  hash: HashName;
  source: string;
  key: string;
  data: string;
  mac: string;
}

const file = JSON.parse(readFileSync(new URL('../../../test/vectors/crypto-hmac.json', import.meta.url), 'utf8')) as {
  source: string;
  vectors: HmacVector[];
};

describe('HMAC vectors', () => {
  it('cover every hash, RFC 2202, RFC 4231 and RFC 4868', () => {
    assert.deepEqual([...new Set(file.vectors.map((v) => v.hash))].sort(), [
      'md5',
      'sha1',
      'sha256',
      'sha384',
      'sha512',
    ]);
    for (const rfc of ['RFC 2202', 'RFC 4231', 'RFC 4868']) {
      assert.ok(
        file.vectors.some((v) => v.source.startsWith(rfc)),
        rfc,
      );
    }
  });

  for (const backend of backendsUnderTest()) {
    for (const v of file.vectors) {
      const icvLen = v.mac.length / 2;
      it(`${backendLabel(backend)}: ${v.name} (${v.source.split(',')[0]})`, () => {
        const ctx = backend.mac(v.hash, fromHex(v.key), icvLen);
        const out = new Uint8Array(icvLen);
        ctx.compute(fromHex(v.data), undefined, out);
        assert.equal(toHex(out), v.mac);
        // the context is reusable: a second packet gives the same answer
        out.fill(0);
        ctx.compute(fromHex(v.data), undefined, out);
        assert.equal(toHex(out), v.mac);
      });

      it(`${backendLabel(backend)}: ${v.name} with the input split into data + extra (ESN high bits path)`, () => {
        const ctx = backend.mac(v.hash, offsetView(fromHex(v.key), 4), icvLen);
        const all = fromHex(v.data);
        const cut = all.length >> 1;
        const out = offsetView(new Uint8Array(icvLen), 3);
        ctx.compute(offsetView(all.slice(0, cut), 5), offsetView(all.slice(cut), 8), out);
        assert.equal(toHex(out), v.mac);
        const around = new Uint8Array(out.buffer);
        assert.equal(around[2], 0xee);
        assert.equal(around[3 + icvLen], 0xee);
      });
    }
  }
});
