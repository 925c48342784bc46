/**
 * Oracle test: the EVP fast path must produce exactly the bytes node:crypto produces
 * (ciphertext and ICV) for random keys, IVs, AAD and data of random lengths, on every
 * cipher and ICV size; open(seal(x)) round-trips; any flipped bit in ICV, data or AAD
 * makes open() refuse on both backends. In CI the EVP backend must load.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../util/hex.js';
import type { AeadCipher, CryptoBackend } from './backend.js';
import { backendLabel, backendsUnderTest } from './backends-under-test.js';
import { evpNativeCalls } from './evp-backend.js';
import type { HashName } from './suites.js';

const backends = backendsUnderTest();
const RUNS = 200;

const aeadShape = fc.oneof(
  fc.record({
    cipher: fc.constant<AeadCipher>('aes-gcm'),
    keyLen: fc.constantFrom(16, 24, 32),
    icvLen: fc.constantFrom(8, 12, 16),
  }),
  fc.record({ cipher: fc.constant<AeadCipher>('chacha20-poly1305'), keyLen: fc.constant(32), icvLen: fc.constant(16) }),
);

const aeadCase = aeadShape.chain((s) =>
  fc.record({
    shape: fc.constant(s),
    key: fc.uint8Array({ minLength: s.keyLen, maxLength: s.keyLen }),
    salt: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    iv: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    // ESP uses 8 or 12 bytes; GMAC puts the whole packet in the AAD
    aad: fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 300 })),
    // 0 = AES-GMAC (RFC 4543)
    data: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 1600 })),
  }),
);

type AeadCase = typeof aeadCase extends fc.Arbitrary<infer T> ? T : never;

function sealWith(b: CryptoBackend, c: AeadCase): { data: Uint8Array; tag: Uint8Array } {
  const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
  const data = c.data.slice();
  const tag = new Uint8Array(c.shape.icvLen);
  ctx.seal(c.iv, c.aad, data, tag);
  return { data, tag };
}

/** sealPacket on an ESP-like layout: header(8) | IV(8) | data | ICV, in a buffer with a tail guard. */
function sealPacketWith(b: CryptoBackend, c: AeadCase): Uint8Array {
  const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
  const p = new Uint8Array(16 + c.data.length + c.shape.icvLen + 5).fill(0xa5);
  p.set(c.iv, 8);
  p.set(c.data, 16);
  ctx.sealPacket(p, c.aad, 8, 16, c.data.length);
  return p;
}

describe('backend cross-check', () => {
  it('the EVP backend is among the backends under test (or the run is not CI)', () => {
    assert.ok(backends.some((b) => b.name === 'evp') || process.env.CI !== 'true');
  });

  it('AEAD: every backend gives identical ciphertext and ICV; open(seal(x)) = x', () => {
    fc.assert(
      fc.property(aeadCase, (c) => {
        const outs = backends.map((b) => sealWith(b, c));
        const first = outs[0];
        assert.ok(first);
        for (const o of outs) {
          assert.equal(toHex(o.data), toHex(first.data));
          assert.equal(toHex(o.tag), toHex(first.tag));
        }
        for (const b of backends) {
          const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
          const data = first.data.slice();
          assert.equal(ctx.open(c.iv, c.aad, data, first.tag.slice()), true);
          assert.equal(toHex(data), toHex(c.data));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('AEAD packet path: every backend (native helper or not) seals the same bytes as seal(); openPacket round-trips', () => {
    const before = evpNativeCalls();
    fc.assert(
      fc.property(aeadCase, (c) => {
        const ref = sealWith(backends[0] ?? assert.fail('no backend'), c);
        const want = toHex(ref.data) + toHex(ref.tag);
        for (const b of backends) {
          const p = sealPacketWith(b, c);
          const end = 16 + c.data.length;
          assert.equal(toHex(p.subarray(16, end + c.shape.icvLen)), want, backendLabel(b));
          assert.ok(
            p.subarray(end + c.shape.icvLen).every((x) => x === 0xa5),
            `${backendLabel(b)}: guard`,
          );
          const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
          assert.equal(ctx.openPacket(p, c.aad, 8, 16, c.data.length), true, backendLabel(b));
          assert.equal(toHex(p.subarray(16, end)), toHex(c.data));
          p[end] = (p[end] ?? 0) ^ 1; // first ICV byte
          assert.equal(ctx.openPacket(p, c.aad, 8, 16, c.data.length), false, `${backendLabel(b)}: flipped ICV`);
        }
      }),
      { numRuns: RUNS },
    );
    // the helper really ran (when it is among the backends), not only the koffi path
    if (backends.some((b) => backendLabel(b) === 'evp+native')) assert.ok(evpNativeCalls() > before);
  });

  it('AEAD: a flipped bit in ICV, data or AAD makes open() return false on every backend', () => {
    fc.assert(
      fc.property(
        aeadCase,
        fc.constantFrom('tag', 'data', 'aad'),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (c, where, at, bit) => {
          const sealed = sealWith(backends[0] ?? assert.fail('no backend'), c);
          const data = sealed.data.slice();
          const tag = sealed.tag.slice();
          const aad = c.aad.slice();
          const target = where === 'tag' ? tag : where === 'data' ? data : aad;
          fc.pre(target.length > 0);
          const i = at % target.length;
          target[i] = (target[i] ?? 0) ^ (1 << bit);
          for (const b of backends) {
            const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
            assert.equal(ctx.open(c.iv, aad, data.slice(), tag), false, `${b.name} accepted a flipped ${where} bit`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('AEAD: one context seals many packets like fresh contexts do (IV reset per packet)', () => {
    fc.assert(
      fc.property(
        aeadCase,
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 2, maxLength: 5 }),
        (c, ivs) => {
          for (const b of backends) {
            const ctx = b.aead(c.shape.cipher, c.key, c.salt, c.shape.icvLen);
            for (const iv of ivs) {
              const data = c.data.slice();
              const tag = new Uint8Array(c.shape.icvLen);
              ctx.seal(iv, c.aad, data, tag);
              const fresh = sealWith(b, { ...c, iv });
              assert.equal(toHex(data) + toHex(tag), toHex(fresh.data) + toHex(fresh.tag));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('CBC: identical ciphertext on every backend; decrypt(encrypt(x)) = x', () => {
    const cbcCase = fc
      .oneof(
        fc.record({
          cipher: fc.constant('aes-cbc' as const),
          keyLen: fc.constantFrom(16, 24, 32),
          block: fc.constant(16),
        }),
        fc.record({ cipher: fc.constant('3des-cbc' as const), keyLen: fc.constant(24), block: fc.constant(8) }),
      )
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          key: fc.uint8Array({ minLength: s.keyLen, maxLength: s.keyLen }),
          iv: fc.uint8Array({ minLength: s.block, maxLength: s.block }),
          blocks: fc.integer({ min: 0, max: 100 }),
          seed: fc.uint8Array({ minLength: 1, maxLength: 64 }),
        }),
      );
    fc.assert(
      fc.property(cbcCase, (c) => {
        const plain = new Uint8Array(c.blocks * c.s.block).map((_, i) => c.seed[i % c.seed.length] ?? 0);
        let expect: string | undefined;
        for (const b of backends) {
          const ctx = b.cbc(c.s.cipher, c.key);
          const data = plain.slice();
          ctx.encrypt(c.iv, data);
          expect ??= toHex(data);
          assert.equal(toHex(data), expect, b.name);
          ctx.decrypt(c.iv, data);
          assert.equal(toHex(data), toHex(plain));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('HMAC: identical truncated ICVs on every backend for any key, data, extra and ICV length', () => {
    const L: Record<HashName, number> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
    const macCase = fc.constantFrom<HashName>('md5', 'sha1', 'sha256', 'sha384', 'sha512').chain((hash) =>
      fc.record({
        hash: fc.constant(hash),
        icvLen: fc.integer({ min: 1, max: L[hash] }),
        key: fc.uint8Array({ maxLength: 200 }),
        data: fc.uint8Array({ maxLength: 1600 }),
        extra: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(macCase, (c) => {
        let expect: string | undefined;
        for (const b of backends) {
          const out = new Uint8Array(c.icvLen);
          b.mac(c.hash, c.key, c.icvLen).compute(c.data, c.extra, out);
          expect ??= toHex(out);
          assert.equal(toHex(out), expect, b.name);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
