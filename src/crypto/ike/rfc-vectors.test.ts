/**
 * IKEv2 crypto against published vectors and a few one-line Python references:
 * - RFC 5903 §8.1 (256-bit ECP group 19): i, g^i, r, g^r and g^ir, fed through createKeyExchange.
 * - RFC 7748 §6.1 (X25519 Diffie-Hellman): Alice's key pair and the shared secret with Bob.
 * - RFC 4231 test case 2 ("Jefe") for PRF_HMAC_SHA2_256 (5); HMAC-SHA1 of the same input
 *   from Python's hmac module (RFC 2202 §3 case 2).
 * - §2.18 rekey SKEYSEED and §2.16 EAP AUTH: expected values printed by
 *   `python3 -c "import hmac,hashlib; ..."` (hmac.new(SK_d, g^ir|Ni|Nr, sha256) and
 *   hmac.new(hmac.new(MSK, b'Key Pad for IKEv2', sha512).digest(), octets, sha512)).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CryptoError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { eapMskAuthData } from './ike-auth.js';
import { deriveRekeySkeyseed } from './ike-keymat.js';
import { createKeyExchange, isSupportedGroup } from './key-exchange.js';
import { prf } from './prf.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fixedRng = (key: Uint8Array): Rng => ({
  fill(buf: Uint8Array): void {
    buf.set(key.subarray(0, buf.length));
  },
});

test('RFC 5903 §8.1: ECP group 19 g^i, g^r and g^ir', () => {
  const gi =
    'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180' +
    '5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3';
  const gr =
    'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63' +
    '56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab';
  const girx = 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de';
  const i = createKeyExchange(19, fixedRng(hex('c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433')));
  const r = createKeyExchange(19, fixedRng(hex('c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53')));
  assert.equal(toHex(i.publicValue), gi);
  assert.equal(toHex(r.publicValue), gr);
  assert.equal(toHex(i.sharedSecret(hex(gr))), girx);
  assert.equal(toHex(r.sharedSecret(hex(gi))), girx);
});

test('RFC 7748 §6.1: X25519 key pair and shared secret through group 31', () => {
  const alice = createKeyExchange(
    31,
    fixedRng(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')),
  );
  assert.equal(toHex(alice.publicValue), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  const bobPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  assert.equal(toHex(alice.sharedSecret(bobPub)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
});

test('unsupported group and bad MODP value are CryptoErrors', () => {
  assert.equal(isSupportedGroup(1), false);
  assert.throws(() => createKeyExchange(1, fixedRng(new Uint8Array(64))), CryptoError);
  const m = createKeyExchange(14, fixedRng(new Uint8Array(256).fill(3)));
  assert.throws(() => m.sharedSecret(new Uint8Array(256)), CryptoError);
});

test('RFC 4231 case 2 (PRF 5) and HMAC-SHA1 (PRF 2) as PRFs', () => {
  const key = new TextEncoder().encode('Jefe');
  const data = new TextEncoder().encode('what do ya want for nothing?');
  assert.equal(toHex(prf(5, key, data)), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  assert.equal(toHex(prf(2, key, data)), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
});

test('§2.18 rekey SKEYSEED and §2.16 EAP MSK AUTH as Python hmac', () => {
  const skD = new Uint8Array(32).map((_, i) => i);
  const got = deriveRekeySkeyseed(
    5,
    skD,
    new Uint8Array(32).fill(0xaa),
    new Uint8Array(16).fill(1),
    new Uint8Array(16).fill(2),
  );
  assert.equal(toHex(got), 'c556bd5f7e0c224eac5a7d3c24a0d1a02407aa2a3b7730e66c0704432baeb8f9');
  const auth = eapMskAuthData(7, new Uint8Array(64).fill(7), new TextEncoder().encode('signed octets'));
  assert.equal(
    toHex(auth),
    'a9d4dbd122c68b5a2afc51c45a30f5fe2ba9d34ceab800597837b7a65307bab2758414c58cded4b94287fbc7c4604c979b7d61f7f1085b7cf6af4c43af33a34e',
  );
});
