/**
 * IKEv1 key derivation and ISAKMP encryption against test/vectors/ikev1-ref.json, written by
 * test/vectors/gen/ikev1-ref.py from the RFC 2409 text (§5, §5.5, Appendix B) with Python's
 * hmac/hashlib, python3-cryptography's AES/TripleDES and pow() over the MODP primes copied
 * from RFC 2409 §6.2 and RFC 3526 §2 -- independent of this code. Four suites: SHA1 + AES-256
 * (Ka expanded from a 20-octet SKEYID_e), MD5 + 3DES (expanded from 16), SHA2-256 + AES-128
 * with signatures (no expansion), SHA2-512 + AES-192.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CryptoError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { createKeyExchange } from '../ike/key-exchange.js';
import { ikev1BlockSize, ikev1Decrypt, ikev1Encrypt, ikev1KeyLength } from './ikev1-cipher.js';
import {
  deriveSkeyids,
  encryptionKey,
  hash1,
  phase1Hash,
  phase1Iv,
  phase2Iv,
  quickModeHash2,
  quickModeHash3,
  quickModeKeymat,
} from './ikev1-keymat.js';

interface Case {
  name: string;
  prf: number;
  encr: number;
  keyBits: number;
  auth: 'psk' | 'signature';
  group: number;
  [k: string]: string | number;
}
const V = JSON.parse(readFileSync(new URL('../../../../test/vectors/ikev1-ref.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const hex = (s: string | number | undefined): Uint8Array => new Uint8Array(Buffer.from(String(s ?? ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const big = (s: string | number | undefined): bigint => BigInt(`0x${String(s)}`);
const fixedRng = (key: Uint8Array): Rng => ({
  fill(buf: Uint8Array): void {
    buf.set(key.subarray(0, buf.length));
  },
});

test('MODP groups 2 and 5 (RFC 2409 §6.2, RFC 3526 §2): g^xi, g^xr and g^xy as pow() computes them', () => {
  for (const c of V.cases.filter((x) => x.group === 2 || x.group === 5)) {
    const i = createKeyExchange(c.group, fixedRng(hex(c.privI)));
    const r = createKeyExchange(c.group, fixedRng(hex(c.privR)));
    assert.equal(toHex(i.publicValue), c.gxi, c.name);
    assert.equal(toHex(r.publicValue), c.gxr, c.name);
    assert.equal(toHex(i.sharedSecret(hex(c.gxr))), c.gxy, c.name);
    assert.equal(toHex(r.sharedSecret(hex(c.gxi))), c.gxy, c.name);
  }
});

test('SKEYID (PSK and signatures), SKEYID_d/a/e, the Appendix B key Ka, HASH_I and HASH_R', () => {
  assert.equal(V.cases.length, 4);
  for (const c of V.cases) {
    const auth = c.auth === 'psk' ? { kind: 'psk' as const, psk: hex(c.psk) } : { kind: 'signature' as const };
    const k = deriveSkeyids(c.prf, auth, hex(c.ni), hex(c.nr), hex(c.gxy), big(c.spiI), big(c.spiR));
    assert.equal(toHex(k.skeyid), c.skeyid, c.name);
    assert.equal(toHex(k.skeyidD), c.skeyidD, c.name);
    assert.equal(toHex(k.skeyidA), c.skeyidA, c.name);
    assert.equal(toHex(k.skeyidE), c.skeyidE, c.name);
    const ka = encryptionKey(c.prf, k.skeyidE, ikev1KeyLength(c.encr, c.keyBits));
    assert.equal(toHex(ka), c.ka, c.name);
    const hi = phase1Hash(
      c.prf,
      k.skeyid,
      true,
      hex(c.gxi),
      hex(c.gxr),
      big(c.spiI),
      big(c.spiR),
      hex(c.saiB),
      hex(c.idiiB),
    );
    const hr = phase1Hash(
      c.prf,
      k.skeyid,
      false,
      hex(c.gxi),
      hex(c.gxr),
      big(c.spiI),
      big(c.spiR),
      hex(c.saiB),
      hex(c.idirB),
    );
    assert.equal(toHex(hi), c.hashI, c.name);
    assert.equal(toHex(hr), c.hashR, c.name);
  }
});

test('phase 1 IV, MM5/MM6 encryption with zero padding and CBC chaining, and back', () => {
  for (const c of V.cases) {
    const bs = ikev1BlockSize(c.encr);
    const ka = hex(c.ka);
    const iv1 = phase1Iv(c.prf, hex(c.gxi), hex(c.gxr), bs);
    assert.equal(toHex(iv1), c.iv1, c.name);
    const mm5 = ikev1Encrypt(c.encr, ka, iv1, hex(c.mm5Plain));
    assert.equal(toHex(mm5.data), c.mm5, c.name);
    const mm6 = ikev1Encrypt(c.encr, ka, mm5.nextIv, hex(c.mm6Plain));
    assert.equal(toHex(mm6.data), c.mm6, c.name);
    // The responder decrypts with the same chain: IV of MM6 = last block of MM5.
    const back5 = ikev1Decrypt(c.encr, ka, iv1, hex(c.mm5));
    assert.ok(back5);
    assert.equal(toHex(back5.data).slice(0, String(c.mm5Plain).length), c.mm5Plain);
    assert.ok(
      back5.data.subarray(hex(c.mm5Plain).length).every((b) => b === 0),
      'zero padding',
    );
    assert.equal(toHex(back5.nextIv), toHex(mm5.nextIv));
    // Quick Mode: IV = hash(last phase 1 block | M-ID).
    const qmIv = phase2Iv(c.prf, mm6.nextIv, Number(c.mid), bs);
    assert.equal(toHex(qmIv), c.qmIv, c.name);
    assert.equal(toHex(ikev1Encrypt(c.encr, ka, qmIv, hex(c.qm1Plain)).data), c.qm1, c.name);
  }
});

test('Quick Mode HASH(1), HASH(2), HASH(3) and KEYMAT with and without PFS', () => {
  for (const c of V.cases) {
    const a = hex(c.skeyidA);
    const mid = Number(c.mid);
    assert.equal(toHex(hash1(c.prf, a, mid, hex(c.qmRest1))), c.hash1, c.name);
    assert.equal(toHex(quickModeHash2(c.prf, a, mid, hex(c.nqi), hex(c.qmRest2))), c.hash2, c.name);
    assert.equal(toHex(quickModeHash3(c.prf, a, mid, hex(c.nqi), hex(c.nqr))), c.hash3, c.name);
    const d = hex(c.skeyidD);
    assert.equal(toHex(quickModeKeymat(c.prf, d, 3, hex(c.spi), hex(c.nqi), hex(c.nqr), 52)), c.keymat52, c.name);
    assert.equal(
      toHex(quickModeKeymat(c.prf, d, 3, hex(c.spi), hex(c.nqi), hex(c.nqr), 36, hex(c.qmGxy))),
      c.keymat36Pfs,
      c.name,
    );
  }
});

test('decryption of attacker bytes: wrong lengths are undefined, key misuse is a CryptoError', () => {
  const key = new Uint8Array(24);
  const iv = new Uint8Array(8);
  assert.equal(ikev1Decrypt(3, key, iv, new Uint8Array(0)), undefined);
  assert.equal(ikev1Decrypt(3, key, iv, new Uint8Array(12)), undefined);
  assert.equal(ikev1Decrypt(12, new Uint8Array(16), new Uint8Array(16), new Uint8Array(24)), undefined);
  assert.ok(ikev1Decrypt(3, key, iv, new Uint8Array(16)));
  assert.throws(() => ikev1Encrypt(3, new Uint8Array(16), iv, new Uint8Array(8)), CryptoError);
  assert.throws(() => ikev1Encrypt(12, new Uint8Array(16), iv, new Uint8Array(8)), CryptoError);
  assert.throws(() => ikev1KeyLength(12, 100), CryptoError);
  // An empty plaintext still yields one block (Appendix B pads every message).
  assert.equal(ikev1Encrypt(12, new Uint8Array(16), new Uint8Array(16), new Uint8Array(0)).data.length, 16);
});
