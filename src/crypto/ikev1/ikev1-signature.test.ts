/**
 * The IKEv1 SIG payload's RSA signature (PKCS#1 v1.5 padding of the bare HASH, no DigestInfo,
 * as charon's SIGN_RSA_EMSA_PKCS1_NULL). Expected octets from OpenSSL 3.0.19, independent of
 * esprit: `openssl genrsa 1024` made KEY, then `openssl pkeyutl -sign -inkey k.pem -in h.bin
 * -pkeyopt rsa_padding_mode:pkcs1` (no digest: the input is padded as it is) signed HASH;
 * python3 (`pow(sig, e, n)` with the key's numbers from `cryptography`) shows the encoded
 * message 00 01 FF..FF 00 | HASH, with no DigestInfo.
 */
import assert from 'node:assert/strict';
import { createPublicKey, sign } from 'node:crypto';
import { test } from 'node:test';
import { fromHex as hex } from '../../util/hex.js';
import { loadPrivateKey } from '../ike/signature-auth.js';
import { signHashRsa, verifyHashRsa } from './ikev1-signature.js';

const KEY = `-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAKwe/z1SyZsm6KG+
kkC9wcCV4a3mfbHcE584yd6UhQS88FL/tPIusTNO2K7o+r9qowyqP8Zo+sCi72Xl
ggqmAN2iI+CVxnxpCUpALnMb5Lo/kZVU42Sye1REbESo9ORFbGftIOCcywrixmlI
IX5azsCePvGegF2nZl1p+v1TV4gXAgMBAAECgYBeXRgeLLcvAqPjmTFhoScKSKHT
z1v2GOwBDQdPqilLMbKoLlyrsgGgWYfeTQi7zODbXrNcOc3PswSA3tTutZgfBCUW
wpnAfhocos6cDXTXfCpmcBFdfl5rFqgtIt+gfBeqMcIgibRaBcgnSJI4DqvCNDbY
gzp9F3QvXSIucKBsMQJBANm/9P2WS6nSU6+J2dpfb1b4edjaI7cX5Ze+ZT1rV0zs
D/BCbIRsmz86Kck5VHbA6WUWntbqafQhHuCa7zAA//0CQQDKWyZvReZHIFCTRTQY
X+/Ugal0B3J89rHpi77hR2+A/HG90zGmIpaciR6k/HrEYLZKuF7n4hnu6V6BCtCv
w9KjAkB6nzitnXeaeJEb5ztBWEDw7xhe3+kA8Hogi92jStFsxfrrx9wobqi2YGCr
qpdAEL7eaHCmgneMPSKQRW+wzr9ZAkEAuVVyhkeG+W3nXnrrk8eKaR+4i8SmXz2z
BSwwzzQWNBUCN9HOj1LujsAniQSVjHbnftgOVGMJTYAARkAZkmHP8QJBAKrs/qyl
qYxI+41aD4S793BTaPxWBoKZPUs4UZ49by4el87Vrkfn3Ax5+hkKG77OmbLhu7fH
UWm+O48akEJo1WY=
-----END PRIVATE KEY-----`;

/** a 20-octet HASH_I as with a SHA1 PRF */
const HASH = hex('5e8b1f330c4a2d619077a8124ed53bc011223344');
const SIG = hex(
  '5e65466f2873dd8981ece71b3503a74d2b10e1d360a208fd7ac54e72f7e78e3f267bc071dec237291d0715a38ec406fd' +
    'fa4b386c2c64fb3c264fca0a5c3cdce92c6c07ebaa32b277021fe07bf553ea8e576a0b9b44d48dc77ca0a35b17a12d36' +
    '1a12849a4c8af8a88ba6c7c350422931f10ba037ad283b4bcd8f240730bb3a16',
);

const key = loadPrivateKey(new TextEncoder().encode(KEY));
const pub = createPublicKey(key);

test('SIG: RSA PKCS#1 v1.5 over the bare HASH equals OpenSSL pkeyutl, and verifies', () => {
  assert.deepEqual(signHashRsa(key, HASH), SIG);
  assert.equal(verifyHashRsa(pub, HASH, SIG), true);
});

test('SIG verification fails for another hash, a flipped bit, a wrong length and the DigestInfo form', () => {
  const other = HASH.slice();
  other[19] = (other[19] ?? 0) ^ 1;
  assert.equal(verifyHashRsa(pub, other, SIG), false);
  const flipped = SIG.slice();
  flipped[5] = (flipped[5] ?? 0) ^ 0x40;
  assert.equal(verifyHashRsa(pub, HASH, flipped), false);
  assert.equal(verifyHashRsa(pub, HASH, SIG.subarray(1)), false);
  assert.equal(verifyHashRsa(pub, HASH, new Uint8Array([0, ...SIG])), false);
  // RSASSA-PKCS1-v1_5 with SHA-1 (DigestInfo | SHA1(HASH)) is not what IKEv1 signs
  assert.equal(verifyHashRsa(pub, HASH, new Uint8Array(sign('sha1', HASH, key))), false);
  assert.equal(verifyHashRsa(pub, HASH, new Uint8Array(0)), false);
});
