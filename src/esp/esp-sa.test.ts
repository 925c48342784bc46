/**
 * EspSa against published and independently built ESP packets:
 * - draft-mcgrew-gcm-test-01 (AES-GCM ESP, 128/192/256-bit keys, ESN cases): test/vectors/esp-gcm.json
 * - RFC 7634 Appendix A (ChaCha20-Poly1305 ESP): test/vectors/esp-chacha20-poly1305.json
 * - scapy 2.5.0 CBC+HMAC and NULL+HMAC packets: test/vectors/esp-cbc-null-scapy.json
 * - CBC+HMAC, NULL+HMAC and AES-GMAC packets built here from the RFC construction
 *   with node:crypto primitives directly (not through EspSa or the backend).
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test as nodeTest } from 'node:test';
import type { CryptoBackend } from '../crypto/backend.js';
import { backendLabel, backendsUnderTest } from '../crypto/backends-under-test.js';
import type { EncrAlgorithm, IntegAlgorithm } from '../crypto/suites.js';
import type { SaConfig } from '../sad/sa-config.js';
import { ConfigError } from '../util/errors.js';
import { concatBytes, fromHex, toHex } from '../util/hex.js';
import { parseIp } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { EspSa } from './esp-sa.js';

const BACKENDS = backendsUnderTest();
/** Every test runs on each backend: node:crypto, EVP through koffi alone, EVP with the native AEAD helper. */
function test(name: string, fn: (backend: CryptoBackend) => void): void {
  for (const b of BACKENDS) nodeTest(`${backendLabel(b)}: ${name}`, () => fn(b));
}

const root = new URL('../../../', import.meta.url);
function loadVectors<T>(file: string): T[] {
  const doc = JSON.parse(readFileSync(new URL(`test/vectors/${file}`, root), 'utf8')) as { vectors: T[] };
  assert.ok(doc.vectors.length > 0, `${file} has vectors`);
  return doc.vectors;
}

function cfg(over: Partial<SaConfig>): SaConfig {
  return {
    spi: 0x1000,
    src: parseIp('192.0.2.1'),
    dst: parseIp('198.51.100.1'),
    mode: 'tunnel',
    encryption: { algorithm: 'aes-gcm-16', key: new Uint8Array(20) },
    integrity: { algorithm: 'none', key: new Uint8Array(0) },
    encapsulation: { type: 'none', sport: 0, dport: 0 },
    esn: false,
    replayWindow: 64,
    seq: 1n,
    ...over,
  };
}

/** A test-only IV source that replays the published IV. */
const fixedIv = (iv: Uint8Array) => (_seq: bigint, out: Uint8Array) => out.set(iv);

function sealOnce(sa: EspSa, nh: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(sa.maxSealLength(payload.length) + 7);
  const r = sa.seal(nh, payload, out);
  assert.ok(r.ok, r.ok ? '' : `seal dropped: ${r.reason}`);
  return out.subarray(0, r.length);
}

interface GcmVector {
  name: string;
  source: string;
  key: string;
  salt: string;
  spi: string;
  seq: string;
  esn: boolean;
  iv: string;
  plaintext: string;
  packet: string;
  expectConfigError?: string;
}

for (const v of loadVectors<GcmVector>('esp-gcm.json')) {
  // source: v.source (draft-mcgrew-gcm-test-01 §4)
  test(`AES-GCM ESP: ${v.name}`, (backend) => {
    const c = cfg({
      spi: Number.parseInt(v.spi, 16),
      mode: 'transport', // the draft's packets carry next header 1
      encryption: { algorithm: 'aes-gcm-16', key: fromHex(v.key + v.salt) },
      esn: v.esn,
      seq: BigInt(`0x${v.seq}`),
    });
    if (v.expectConfigError) {
      assert.throws(() => new EspSa(c, 'in', { backend, rng: new SeededRng() }), {
        name: 'ConfigError',
        path: 'spi',
      });
      return;
    }
    const plaintext = fromHex(v.plaintext);
    const padLen = plaintext[plaintext.length - 2] as number;
    const nh = plaintext[plaintext.length - 1] as number;
    const payload = plaintext.subarray(0, plaintext.length - 2 - padLen);

    const rx = new EspSa(c, 'in', { backend, rng: new SeededRng() });
    const pkt = fromHex(v.packet);
    const r = rx.open(pkt);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(toHex(r.payload), toHex(payload));
    assert.equal(r.nextHeader, nh);
    assert.equal(r.seq, BigInt(`0x${v.seq}`));
    assert.equal(r.payload.buffer, pkt.buffer, 'payload is a view into the receive buffer');

    const tx = new EspSa(c, 'out', { backend, rng: new SeededRng(), ivSource: fixedIv(fromHex(v.iv)) });
    assert.equal(tx.maxSealLength(payload.length), pkt.length);
    assert.equal(toHex(sealOnce(tx, nh, payload)), v.packet);
  });
}

interface ChachaVector {
  source: string;
  key: string;
  salt: string;
  spi: string;
  seq: string;
  iv: string;
  nextHeader: number;
  payload: string;
  packet: string;
}

for (const v of loadVectors<ChachaVector>('esp-chacha20-poly1305.json')) {
  // source: RFC 7634 Appendix A; strongswan src/libipsec/tests/suites/test_chapoly.c
  test('ChaCha20-Poly1305 ESP: RFC 7634 Appendix A, byte-exact seal and open', (backend) => {
    const c = cfg({
      spi: Number.parseInt(v.spi, 16),
      encryption: { algorithm: 'chacha20-poly1305', key: fromHex(v.key + v.salt) },
      seq: BigInt(`0x${v.seq}`),
    });
    const tx = new EspSa(c, 'out', { backend, rng: new SeededRng(), ivSource: fixedIv(fromHex(v.iv)) });
    const sealed = sealOnce(tx, v.nextHeader, fromHex(v.payload));
    assert.equal(toHex(sealed), v.packet);
    const rx = new EspSa(c, 'in', { backend, rng: new SeededRng() });
    const r = rx.open(fromHex(v.packet));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(toHex(r.payload), v.payload);
    assert.equal(r.nextHeader, 4);
    assert.equal(r.seq, 5n);
  });
}

interface ScapyVector {
  name: string;
  encryption: EncrAlgorithm;
  encryptionKey: string;
  integrity: IntegAlgorithm;
  integrityKey: string;
  spi: string;
  seq: string;
  esn: boolean;
  iv: string;
  nextHeader: number;
  payload: string;
  packet: string;
}

for (const v of loadVectors<ScapyVector>('esp-cbc-null-scapy.json')) {
  // source: scapy 2.5.0 SecurityAssociation(ESP).encrypt (test/vectors/gen/esp-scapy.py)
  test(`scapy ESP: ${v.name}`, (backend) => {
    const c = cfg({
      spi: Number.parseInt(v.spi, 16),
      encryption: { algorithm: v.encryption, key: fromHex(v.encryptionKey) },
      integrity: { algorithm: v.integrity, key: fromHex(v.integrityKey) },
      esn: v.esn,
      seq: BigInt(`0x${v.seq}`),
    });
    const rx = new EspSa(c, 'in', { backend, rng: new SeededRng() });
    const r = rx.open(fromHex(v.packet));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(toHex(r.payload), v.payload);
    assert.equal(r.nextHeader, v.nextHeader);
    assert.equal(r.seq, BigInt(`0x${v.seq}`));
    const tx = new EspSa(c, 'out', { backend, rng: new SeededRng(), ivSource: fixedIv(fromHex(v.iv)) });
    assert.equal(toHex(sealOnce(tx, v.nextHeader, fromHex(v.payload))), v.packet);
  });
}

// ---- independent constructions (RFC text + node:crypto, no EspSa, no backend) ----

const be32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const seqHi = (s: bigint) => Number(s >> 32n);
const seqLo = (s: bigint) => Number(s & 0xffff_ffffn);

/** RFC 4303 §2.4: payload | 1, 2, 3, ... | pad length | next header, a multiple of `block` (>= 4). */
function espPlaintext(payload: Uint8Array, nh: number, block: number, padOverride?: Uint8Array): Uint8Array {
  const padLen = (block - ((payload.length + 2) % block)) % block;
  const pad = padOverride ?? Uint8Array.from({ length: padLen }, (_, i) => i + 1);
  return concatBytes(payload, pad, Uint8Array.of(pad.length, nh));
}

interface Built {
  spi: number;
  seq: bigint;
  esn: boolean;
  nh: number;
  payload: Uint8Array;
}

/**
 * CBC (RFC 3602 / RFC 2451) or NULL (RFC 2410) + HMAC (RFC 2104, truncated RFC 4868 §2.1):
 * ICV = HMAC(SPI | Seq-lo | IV | ciphertext [| Seq-hi with ESN, RFC 4303 §2.2.1]).
 */
function buildCbcHmac(
  p: Built & {
    cipher?: string;
    key?: Uint8Array;
    iv?: Uint8Array;
    block: number;
    hash: string;
    akey: Uint8Array;
    icvLen: number;
  },
  padOverride?: Uint8Array,
): Uint8Array {
  const pt = espPlaintext(p.payload, p.nh, p.block, padOverride);
  let ct = pt;
  const iv = p.iv ?? new Uint8Array(0);
  if (p.cipher && p.key) {
    const c = createCipheriv(p.cipher, p.key, iv).setAutoPadding(false);
    ct = concatBytes(c.update(pt), c.final());
  }
  const head = concatBytes(be32(p.spi), be32(seqLo(p.seq)), iv, ct);
  const h = createHmac(p.hash, p.akey).update(head);
  if (p.esn) h.update(be32(seqHi(p.seq)));
  return concatBytes(head, h.digest().subarray(0, p.icvLen));
}

/** AES-GMAC (RFC 4543 §3): AAD = SPI | [Seq-hi |] Seq-lo | IV | plaintext, nonce = salt | IV, ICV 16. */
function buildGmac(p: Built & { key: Uint8Array; salt: Uint8Array; iv: Uint8Array }): Uint8Array {
  const pt = espPlaintext(p.payload, p.nh, 4);
  const seqPart = p.esn ? concatBytes(be32(seqHi(p.seq)), be32(seqLo(p.seq))) : be32(seqLo(p.seq));
  const aad = concatBytes(be32(p.spi), seqPart, p.iv, pt);
  const g = createCipheriv(`aes-${p.key.length * 8}-gcm` as 'aes-128-gcm', p.key, concatBytes(p.salt, p.iv));
  g.setAAD(aad);
  g.final();
  return concatBytes(be32(p.spi), be32(seqLo(p.seq)), p.iv, pt, g.getAuthTag());
}

const bytes = (n: number, base: number) => Uint8Array.from({ length: n }, (_, i) => (base + i * 7) & 255);
const innerV4 = (len: number) => {
  const b = bytes(len, 3);
  b[0] = 0x45;
  return b;
};

test('AES-CBC + HMAC-SHA-256-128 with ESN matches the RFC 3602/4303 construction', (backend) => {
  for (const [esn, seq] of [
    [false, 77n],
    [true, (3n << 32n) | 9n],
  ] as const) {
    const key = bytes(16, 1);
    const akey = bytes(32, 2);
    const iv = bytes(16, 5);
    const payload = innerV4(61);
    const expected = buildCbcHmac({
      spi: 0x2000,
      seq,
      esn,
      nh: 4,
      payload,
      cipher: 'aes-128-cbc',
      key,
      iv,
      block: 16,
      hash: 'sha256',
      akey,
      icvLen: 16,
    });
    const c = cfg({
      spi: 0x2000,
      encryption: { algorithm: 'aes-cbc', key },
      integrity: { algorithm: 'hmac-sha256-128', key: akey },
      esn,
      seq,
    });
    const tx = new EspSa(c, 'out', { backend, rng: new SeededRng(), ivSource: fixedIv(iv) });
    assert.equal(toHex(sealOnce(tx, 4, payload)), toHex(expected));
    const r = new EspSa(c, 'in', { backend, rng: new SeededRng() }).open(expected.slice());
    assert.ok(r.ok);
    assert.equal(toHex(r.payload), toHex(payload));
  }
});

test('3DES-CBC + HMAC-SHA1-96 and NULL + HMAC-SHA-512-256 (ESN) match the construction', (backend) => {
  const payload = innerV4(33);
  const k3 = bytes(24, 9);
  const a1 = bytes(20, 4);
  const iv8 = bytes(8, 11);
  const des = buildCbcHmac({
    spi: 0x3000,
    seq: 5n,
    esn: false,
    nh: 4,
    payload,
    cipher: 'des-ede3-cbc',
    key: k3,
    iv: iv8,
    block: 8,
    hash: 'sha1',
    akey: a1,
    icvLen: 12,
  });
  const cDes = cfg({
    spi: 0x3000,
    encryption: { algorithm: '3des-cbc', key: k3 },
    integrity: { algorithm: 'hmac-sha1-96', key: a1 },
    seq: 5n,
  });
  const tx = new EspSa(cDes, 'out', { backend, rng: new SeededRng(), ivSource: fixedIv(iv8) });
  assert.equal(toHex(sealOnce(tx, 4, payload)), toHex(des));

  const a5 = bytes(64, 6);
  const seq = (0xabcdn << 32n) | 0xffff_fff0n;
  const nul = buildCbcHmac({
    spi: 0x3001,
    seq,
    esn: true,
    nh: 41,
    payload,
    block: 4,
    hash: 'sha512',
    akey: a5,
    icvLen: 32,
  });
  const cNull = cfg({
    spi: 0x3001,
    encryption: { algorithm: 'null', key: new Uint8Array(0) },
    integrity: { algorithm: 'hmac-sha512-256', key: a5 },
    esn: true,
    seq,
  });
  const txn = new EspSa(cNull, 'out', { backend, rng: new SeededRng() });
  const sealed = sealOnce(txn, 41, payload);
  assert.equal(toHex(sealed), toHex(nul));
  // NULL: the payload is in clear right after SPI | Seq (RFC 2410 has no IV)
  assert.equal(toHex(sealed.subarray(8, 8 + payload.length)), toHex(payload));
  const r = new EspSa(cNull, 'in', { backend, rng: new SeededRng() }).open(nul.slice());
  assert.ok(r.ok);
  assert.equal(r.nextHeader, 41);
  assert.equal(r.seq, seq);
});

test('AES-GMAC (RFC 4543) with and without ESN matches the construction; IV = 64-bit seq by default', (backend) => {
  for (const [esn, seq, keyLen] of [
    [false, 12n, 16],
    [true, (7n << 32n) | 1n, 32],
  ] as const) {
    const key = bytes(keyLen, 20);
    const salt = Uint8Array.of(0xca, 0xfe, 0xba, 0xbe);
    const iv = concatBytes(be32(seqHi(seq)), be32(seqLo(seq))); // RFC 4543 §3.1: the counter is a fine IV
    const payload = innerV4(45);
    const expected = buildGmac({ spi: 0x4000, seq, esn, nh: 4, payload, key, salt, iv });
    const c = cfg({ spi: 0x4000, encryption: { algorithm: 'aes-gmac', key: concatBytes(key, salt) }, esn, seq });
    const tx = new EspSa(c, 'out', { backend, rng: new SeededRng() });
    assert.equal(toHex(sealOnce(tx, 4, payload)), toHex(expected));
    const r = new EspSa(c, 'in', { backend, rng: new SeededRng() }).open(expected.slice());
    assert.ok(r.ok);
    assert.equal(toHex(r.payload), toHex(payload));
  }
});

test('receiver checks the padding bytes after a valid ICV (bad-padding), and pad length overflow', (backend) => {
  const akey = bytes(32, 1);
  const c = cfg({
    spi: 0x5000,
    encryption: { algorithm: 'null', key: new Uint8Array(0) },
    integrity: { algorithm: 'hmac-sha256-128', key: akey },
  });
  const base = { spi: 0x5000, esn: false, nh: 4, payload: innerV4(21), block: 4, hash: 'sha256', akey, icvLen: 16 };
  const rx = new EspSa(c, 'in', { backend, rng: new SeededRng() });
  // 21 + 2 -> pad 1; send pad byte 7 instead of 1
  const bad = buildCbcHmac({ ...base, seq: 1n }, Uint8Array.of(7));
  assert.deepEqual(rx.open(bad), { ok: false, reason: 'bad-padding' });
  // pad length 255 with only a few bytes before it
  const huge = buildCbcHmac({ ...base, seq: 2n, payload: new Uint8Array(0) }, Uint8Array.of(1, 2));
  huge[8 + 2] = 255;
  const fixed = buildCbcHmac({ ...base, seq: 2n, payload: new Uint8Array(0) }, Uint8Array.of(1, 2));
  assert.notEqual(toHex(huge), toHex(fixed));
  // re-MAC the modified packet so only the padding is wrong
  const head = huge.subarray(0, huge.length - 16);
  huge.set(createHmac('sha256', akey).update(head).digest().subarray(0, 16), huge.length - 16);
  assert.deepEqual(rx.open(huge), { ok: false, reason: 'bad-padding' });
  // the window did move: both were authentic (RFC 4303 App. A updates after the ICV)
  assert.deepEqual(rx.open(buildCbcHmac({ ...base, seq: 1n })), { ok: false, reason: 'replay' });
  assert.equal(rx.counters.drops['bad-padding'], 2);
  assert.equal(rx.counters.drops.replay, 1);
});

test('SaConfig rejections at construction (ConfigError with the field path)', (backend) => {
  const gcmKey = new Uint8Array(20);
  const cases: [string, Partial<SaConfig>, string][] = [
    ['SPI 0', { spi: 0 }, 'spi'],
    ['SPI 255 (IANA reserved)', { spi: 255 }, 'spi'],
    ['SPI > 2^32-1', { spi: 2 ** 32 }, 'spi'],
    [
      'AEAD + separate integrity',
      { integrity: { algorithm: 'hmac-sha1-96', key: new Uint8Array(20) } },
      'integrity.algorithm',
    ],
    [
      'GMAC + separate integrity',
      {
        encryption: { algorithm: 'aes-gmac', key: gcmKey },
        integrity: { algorithm: 'hmac-sha1-96', key: new Uint8Array(20) },
      },
      'integrity.algorithm',
    ],
    [
      'CBC without integrity',
      { encryption: { algorithm: 'aes-cbc', key: new Uint8Array(16) }, replayWindow: 0 },
      'integrity.algorithm',
    ],
    [
      'NULL without integrity, no replay',
      { encryption: { algorithm: 'null', key: new Uint8Array(0) }, replayWindow: 0 },
      'integrity.algorithm',
    ],
    [
      'replay window without integrity',
      { encryption: { algorithm: 'null', key: new Uint8Array(0) }, replayWindow: 64 },
      'replayWindow',
    ],
    ['GCM key without salt', { encryption: { algorithm: 'aes-gcm-16', key: new Uint8Array(16) } }, 'encryption.key'],
    ['GCM 20-byte key + salt', { encryption: { algorithm: 'aes-gcm-8', key: new Uint8Array(24) } }, 'encryption.key'],
    [
      'ChaCha20 16-byte key',
      { encryption: { algorithm: 'chacha20-poly1305', key: new Uint8Array(20) } },
      'encryption.key',
    ],
    [
      '3DES 16-byte key',
      {
        encryption: { algorithm: '3des-cbc', key: new Uint8Array(16) },
        integrity: { algorithm: 'hmac-sha1-96', key: new Uint8Array(20) },
      },
      'encryption.key',
    ],
    [
      'NULL with a key',
      {
        encryption: { algorithm: 'null', key: new Uint8Array(4) },
        integrity: { algorithm: 'hmac-sha1-96', key: new Uint8Array(20) },
      },
      'encryption.key',
    ],
    [
      'HMAC-SHA-256 16-byte key',
      {
        encryption: { algorithm: 'aes-cbc', key: new Uint8Array(16) },
        integrity: { algorithm: 'hmac-sha256-128', key: new Uint8Array(16) },
      },
      'integrity.key',
    ],
    ['window above 2^20', { replayWindow: 2 ** 20 + 1 }, 'replayWindow'],
    ['negative window', { replayWindow: -1 }, 'replayWindow'],
    ['32-bit seq out of range', { seq: 1n << 32n }, 'seq'],
    ['64-bit seq out of range', { esn: true, seq: 1n << 64n }, 'seq'],
    ['TFC pad above 65535', { tfcPadTo: 70000 }, 'tfcPadTo'],
  ];
  for (const [name, over, path] of cases) {
    for (const dir of ['in', 'out'] as const) {
      assert.throws(
        () => new EspSa(cfg(over), dir, { backend, rng: new SeededRng() }),
        (e: unknown) => e instanceof ConfigError && e.path === path,
        `${name} (${dir})`,
      );
    }
  }
  assert.doesNotThrow(
    () => new EspSa(cfg({ spi: 256, replayWindow: 2 ** 20 }), 'in', { backend, rng: new SeededRng() }),
  );
});
