/**
 * sealPacket/openPacket, the ESP engine's per-packet AEAD path, on every backend: the
 * published vectors of test/vectors/crypto-aead.json (McGrew & Viega GCM test cases,
 * RFC 8439 §2.8.2 / RFC 7634 ChaCha20-Poly1305) laid out as an ESP packet
 * (guard | IV | data | ICV | guard), in plain, shared and alternating buffers, and the
 * layout checks that run before any native call.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CryptoError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import type { AeadCipher, AeadContext, CryptoBackend } from './backend.js';
import { backendLabel, backendsUnderTest } from './backends-under-test.js';
import { evpIvFixedPath, evpLiveNativeObjects } from './evp-backend.js';

interface AeadVector {
  name: string;
  cipher: AeadCipher;
  key: string;
  salt: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  icv: string;
}

const file = JSON.parse(readFileSync(new URL('../../../test/vectors/crypto-aead.json', import.meta.url), 'utf8')) as {
  vectors: AeadVector[];
};

const IV_OFF = 5;
const DATA_OFF = IV_OFF + 8;
const GUARD = 0xee;

/** guard(5) | IV(8) | `data` | ICV (zeros, or `icv`) | guard(7), in `ab` (a fresh ArrayBuffer by default) */
function packet(v: AeadVector, data: string, icv: string | undefined, ab?: ArrayBufferLike): Uint8Array {
  const d = fromHex(data);
  const icvLen = v.icv.length / 2;
  const n = DATA_OFF + d.length + icvLen + 7;
  const p = ab ? new Uint8Array(ab, 0, n) : new Uint8Array(n);
  p.fill(GUARD);
  p.set(fromHex(v.iv), IV_OFF);
  p.set(d, DATA_OFF);
  p.fill(0, DATA_OFF + d.length, DATA_OFF + d.length + icvLen);
  if (icv !== undefined) p.set(fromHex(icv), DATA_OFF + d.length);
  return p;
}

function hexAt(p: Uint8Array, at: number, len: number): string {
  return toHex(p.subarray(at, at + len));
}

function guardsIntact(p: Uint8Array, dataLen: number, icvLen: number): boolean {
  const tail = DATA_OFF + dataLen + icvLen;
  return p.subarray(0, IV_OFF).every((b) => b === GUARD) && p.subarray(tail).every((b) => b === GUARD);
}

function ctxFor(b: CryptoBackend, v: AeadVector): AeadContext {
  return b.aead(v.cipher, fromHex(v.key), fromHex(v.salt), v.icv.length / 2);
}

/** Every GCM vector through both packet methods; true when each gave the published bytes. */
function gcmVectorsPass(b: CryptoBackend): boolean {
  for (const v of file.vectors.filter((x) => x.cipher === 'aes-gcm')) {
    const len = v.plaintext.length / 2;
    const icvLen = v.icv.length / 2;
    const ctx = ctxFor(b, v);
    const p = packet(v, v.plaintext, undefined);
    ctx.sealPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len);
    if (hexAt(p, DATA_OFF, len) + hexAt(p, DATA_OFF + len, icvLen) !== v.ciphertext + v.icv) return false;
    if (!ctx.openPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len) || hexAt(p, DATA_OFF, len) !== v.plaintext) {
      return false;
    }
    const bad = packet(v, v.ciphertext, v.icv);
    bad[DATA_OFF] = (bad[DATA_OFF] as number) ^ 1;
    if (ctx.openPacket(bad, fromHex(v.aad), IV_OFF, DATA_OFF, len)) return false;
  }
  return true;
}

describe('AEAD packet path (sealPacket/openPacket)', () => {
  for (const b of backendsUnderTest()) {
    for (const v of file.vectors) {
      const icvLen = v.icv.length / 2;
      const len = v.plaintext.length / 2;

      it(`${backendLabel(b)}: ${v.name} sealPacket writes the published ciphertext and ICV in place`, () => {
        const p = packet(v, v.plaintext, undefined);
        ctxFor(b, v).sealPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len);
        assert.equal(hexAt(p, DATA_OFF, len), v.ciphertext);
        assert.equal(hexAt(p, DATA_OFF + len, icvLen), v.icv);
        assert.equal(hexAt(p, IV_OFF, 8), v.iv);
        assert.ok(guardsIntact(p, len, icvLen));
      });

      it(`${backendLabel(b)}: ${v.name} openPacket restores the plaintext; a flipped ICV, AAD or IV bit is refused`, () => {
        const ctx = ctxFor(b, v);
        const p = packet(v, v.ciphertext, v.icv);
        assert.equal(ctx.openPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len), true);
        assert.equal(hexAt(p, DATA_OFF, len), v.plaintext);
        assert.ok(guardsIntact(p, len, icvLen));
        const badIcv = packet(v, v.ciphertext, v.icv);
        badIcv[DATA_OFF + len + icvLen - 1] = (badIcv[DATA_OFF + len + icvLen - 1] as number) ^ 1;
        assert.equal(ctx.openPacket(badIcv, fromHex(v.aad), IV_OFF, DATA_OFF, len), false);
        const aad = fromHex(v.aad);
        if (aad.length > 0) {
          aad[0] = (aad[0] as number) ^ 0x80;
          assert.equal(ctx.openPacket(packet(v, v.ciphertext, v.icv), aad, IV_OFF, DATA_OFF, len), false);
        }
        const badIv = packet(v, v.ciphertext, v.icv);
        badIv[IV_OFF] = (badIv[IV_OFF] as number) ^ 1;
        assert.equal(ctx.openPacket(badIv, fromHex(v.aad), IV_OFF, DATA_OFF, len), false);
        // the context still opens a good packet after refusals
        assert.equal(ctx.openPacket(packet(v, v.ciphertext, v.icv), fromHex(v.aad), IV_OFF, DATA_OFF, len), true);
      });

      it(`${backendLabel(b)}: ${v.name} in a SharedArrayBuffer, and alternating between two buffers`, () => {
        const ctx = ctxFor(b, v);
        const shared = packet(v, v.plaintext, undefined, new SharedArrayBuffer(DATA_OFF + len + icvLen + 7));
        ctx.sealPacket(shared, fromHex(v.aad), IV_OFF, DATA_OFF, len);
        assert.equal(hexAt(shared, DATA_OFF, len) + hexAt(shared, DATA_OFF + len, icvLen), v.ciphertext + v.icv);
        assert.ok(guardsIntact(shared, len, icvLen));
        // a cached address must follow the buffer: A, B, A again, each a different ArrayBuffer
        const a = packet(v, v.plaintext, undefined);
        const bb = packet(v, v.plaintext, undefined);
        for (const p of [a, bb]) ctx.sealPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len);
        assert.equal(toHex(a), toHex(bb));
        assert.equal(ctx.openPacket(a, fromHex(v.aad), IV_OFF, DATA_OFF, len), true);
        assert.equal(ctx.openPacket(shared, fromHex(v.aad), IV_OFF, DATA_OFF, len), true);
        assert.equal(ctx.openPacket(bb, fromHex(v.aad), IV_OFF, DATA_OFF, len), true);
        for (const p of [a, bb, shared]) assert.equal(hexAt(p, DATA_OFF, len), v.plaintext);
      });
    }

    if (b.name === 'evp') {
      it('evp: AES-GCM gives the published bytes with the tlsivfixed IV path and with EVP_CipherInit', () => {
        try {
          assert.equal(evpIvFixedPath(true), true, 'the tlsivfixed path is available');
          assert.ok(gcmVectorsPass(b), 'tlsivfixed path');
          // still on: libcrypto accepted every set_params (a refusal turns the path off)
          assert.equal(evpIvFixedPath(), true);
          assert.equal(evpIvFixedPath(false), false);
          assert.ok(gcmVectorsPass(b), 'EVP_CipherInit path');
        } finally {
          evpIvFixedPath(true);
        }
      });
    }

    it(`${backendLabel(b)}: contexts interleaved (two salts, a CBC IV between) each keep their own nonce`, () => {
      const [v1, v2] = [file.vectors[0], file.vectors[file.vectors.length - 1]] as [AeadVector, AeadVector];
      assert.notEqual(v1.salt, v2.salt);
      const c1 = ctxFor(b, v1);
      const c2 = ctxFor(b, v2);
      const cbc = b.cbc('aes-cbc', new Uint8Array(16));
      for (let round = 0; round < 3; round++) {
        for (const [v, c] of [
          [v1, c1],
          [v2, c2],
          [v1, c1],
        ] as const) {
          const len = v.plaintext.length / 2;
          const p = packet(v, v.plaintext, undefined);
          c.sealPacket(p, fromHex(v.aad), IV_OFF, DATA_OFF, len);
          assert.equal(hexAt(p, DATA_OFF, len) + hexAt(p, DATA_OFF + len, v.icv.length / 2), v.ciphertext + v.icv);
          cbc.encrypt(new Uint8Array(16).fill(round + 1), new Uint8Array(32));
        }
      }
    });

    it(`${backendLabel(b)}: a packet layout outside the buffer is refused before libcrypto`, () => {
      const ctx = b.aead('aes-gcm', new Uint8Array(16), new Uint8Array(4), 16);
      const p = new Uint8Array(64);
      const aad = new Uint8Array(8);
      const bad: [string, number, number, number][] = [
        ['IV past the end', 57, 16, 0],
        ['negative IV offset', -1, 16, 16],
        ['negative data offset', 0, -8, 16],
        ['negative data length', 0, 16, -1],
        ['ICV past the end', 0, 16, 33],
        ['fractional offset', 0, 16.5, 16],
        ['NaN length', 0, 16, Number.NaN],
      ];
      for (const op of ['sealPacket', 'openPacket'] as const) {
        for (const [what, ivOff, dataOff, dataLen] of bad) {
          const before = evpLiveNativeObjects();
          assert.throws(
            () => ctx[op](p, aad, ivOff, dataOff, dataLen),
            (e: unknown) => e instanceof CryptoError,
            `${op}: ${what}`,
          );
          assert.equal(evpLiveNativeObjects(), before, `${op}: ${what} reached libcrypto`);
        }
      }
      // exactly fitting: IV at 0, data 16..48, ICV 48..64
      ctx.sealPacket(p, aad, 0, 16, 32);
      assert.equal(ctx.openPacket(p, aad, 0, 16, 32), true);
      assert.ok(p.subarray(16, 48).every((x) => x === 0));
    });
  }
});
