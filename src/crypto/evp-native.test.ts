/**
 * The native AEAD helper's fallback: when the helper is missing or not a loadable
 * library, `native: 'auto'` keeps the koffi-only EVP path (and still gives the published
 * bytes), `native: 'on'` refuses with a CryptoError naming the file, `native: 'off'`
 * never loads it. The build script never fails an install. The published-bytes tests of
 * both paths are aead-packet.test.ts, aead-vectors.test.ts and backend-crosscheck.test.ts
 * (backendsUnderTest runs them on `evp` and `evp+native`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CryptoError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { evpNativeCalls, LIBCRYPTO, loadEvpBackend } from './evp-backend.js';
import { nativeAddonPath } from './native-addon.js';

interface AeadVector {
  name: string;
  key: string;
  salt: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  icv: string;
}
// McGrew & Viega GCM test case 3 (AES-128, 16-byte ICV) as test/vectors/crypto-aead.json holds it
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/crypto-aead.json', import.meta.url), 'utf8'))
  .vectors as AeadVector[];
const v3 = vectors.find((v) => v.name === 'aes_gcm3') ?? assert.fail('aes_gcm3 missing');
const V = { key: v3.key, salt: v3.salt, aad: v3.aad, iv: v3.iv, plain: v3.plaintext, sealed: v3.ciphertext + v3.icv };

function sealsPublishedBytes(native: 'auto' | 'off', helper: string): string {
  const b = loadEvpBackend(LIBCRYPTO, native, helper);
  const ctx = b.aead('aes-gcm', fromHex(V.key), fromHex(V.salt), 16);
  const plain = fromHex(V.plain);
  const p = new Uint8Array(16 + plain.length + 16);
  p.set(fromHex(V.iv), 8);
  p.set(plain, 16);
  ctx.sealPacket(p, fromHex(V.aad), 8, 16, plain.length);
  assert.equal(toHex(p.subarray(16)), V.sealed);
  assert.equal(ctx.openPacket(p, fromHex(V.aad), 8, 16, plain.length), true);
  return b.nativeHelper ?? 'koffi only';
}

describe('native AEAD helper fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esprit-native-'));
  const missing = join(dir, 'missing.so');
  const garbage = join(dir, 'garbage.so');
  writeFileSync(garbage, 'not an ELF file\n');

  it('a missing or unloadable helper: auto keeps the koffi path with the published bytes; on refuses', () => {
    for (const path of [missing, garbage]) {
      const before = evpNativeCalls();
      assert.equal(sealsPublishedBytes('auto', path), 'koffi only');
      assert.equal(evpNativeCalls(), before, 'no helper call');
      assert.throws(
        () => loadEvpBackend(LIBCRYPTO, 'on', path),
        (e: unknown) => e instanceof CryptoError && e.message.includes(path),
      );
    }
  });

  it('off never uses the built helper; auto uses it when it is built (required under CI)', () => {
    const built = nativeAddonPath();
    const before = evpNativeCalls();
    assert.equal(sealsPublishedBytes('off', built), 'koffi only');
    assert.equal(evpNativeCalls(), before);
    let used: string;
    try {
      used = sealsPublishedBytes('auto', built);
    } catch (e) {
      assert.fail(`EVP backend: ${(e as Error).message}`);
    }
    if (process.env.CI === 'true') assert.equal(used, built, 'CI builds the helper at npm ci');
    if (used === built) assert.equal(evpNativeCalls(), before + 2, 'one seal and one open through the helper');
  });

  it('the build script exits 0 and says why when the compiler is missing (an install never fails on it)', () => {
    const script = join(import.meta.dirname, '../../../scripts/build-native.mjs');
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, CC: join(dir, 'no-such-cc'), ESPRIT_NATIVE: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /not built \(.*no-such-cc.*\); the EVP backend uses its koffi-only path/);
  });
});
