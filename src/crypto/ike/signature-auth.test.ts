/**
 * AUTH signatures made by esprit, verified by python3-cryptography
 * (test/vectors/gen/verify-sig.py): RFC 7427 method 14 with RSA (PKCS#1 v1.5, SHA2-256) and
 * ECDSA (DER), classic method 1 (RSA, SHA-1, RFC 7296 §3.8) and method 9 (ECDSA P-256 r|s,
 * RFC 4754). The method-14 prefix is the AlgorithmIdentifier of RFC 7427 Appendix A. And
 * the SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 §4) as hand-built hex.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  classicMethod,
  encodeSignatureHashAlgorithms,
  parseSignatureHashAlgorithms,
  signAuth,
  verifyAuth,
} from './signature-auth.js';

const script = new URL('../../../../test/vectors/gen/verify-sig.py', import.meta.url).pathname;
const octets = new TextEncoder().encode('InitiatorSignedOctets of an IKE_AUTH request');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('signatures made here verify in python3-cryptography (methods 14 RSA/ECDSA, 1, 9)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  assert.equal(classicMethod(rsa.privateKey), 1);
  assert.equal(classicMethod(ecKey.privateKey), 9);
  const m14rsa = signAuth(14, rsa.privateKey, octets);
  const m14ec = signAuth(14, ecKey.privateKey, octets);
  // RFC 7427 Appendix A: sha256WithRSAEncryption / ecdsa-with-SHA256 AlgorithmIdentifiers
  assert.equal(hex(m14rsa.subarray(0, 16)), '0f300d06092a864886f70d01010b0500');
  assert.equal(hex(m14ec.subarray(0, 13)), '0c300a06082a8648ce3d040302');
  const m1 = signAuth(1, rsa.privateKey, octets);
  const m9 = signAuth(9, ecKey.privateKey, octets);
  assert.equal(m9.length, 64, 'r | s, 32 octets each');
  const pem = (k: typeof rsa.publicKey): string => k.export({ format: 'pem', type: 'spki' }).toString();
  const cases = [
    { pubPem: pem(rsa.publicKey), kind: 'rsa-pkcs1-sha256', octets: hex(octets), sig: hex(m14rsa.subarray(16)) },
    { pubPem: pem(ecKey.publicKey), kind: 'ecdsa-der-sha256', octets: hex(octets), sig: hex(m14ec.subarray(13)) },
    { pubPem: pem(rsa.publicKey), kind: 'rsa-pkcs1-sha1', octets: hex(octets), sig: hex(m1) },
    { pubPem: pem(ecKey.publicKey), kind: 'ecdsa-p1363-sha256', octets: hex(octets), sig: hex(m9) },
    // a control that must fail: the RSA method-14 signature over other octets
    {
      pubPem: pem(rsa.publicKey),
      kind: 'rsa-pkcs1-sha256',
      octets: hex(octets.subarray(1)),
      sig: hex(m14rsa.subarray(16)),
    },
  ];
  const res = JSON.parse(
    execFileSync('python3', [script], { input: JSON.stringify({ cases }), encoding: 'utf8' }),
  ) as boolean[];
  assert.deepEqual(res, [true, true, true, true, false]);
  // and our own verification agrees, including a wrong method for the key
  assert.equal(verifyAuth(14, rsa.publicKey, octets, m14rsa), true);
  assert.equal(verifyAuth(1, rsa.publicKey, octets, m1), true);
  assert.equal(verifyAuth(9, ecKey.publicKey, octets, m9), true);
  assert.equal(verifyAuth(10, ecKey.publicKey, octets, m9), false);
  assert.equal(verifyAuth(9, rsa.publicKey, octets, m9), false);
});

test('SIGNATURE_HASH_ALGORITHMS data: 2-octet identifiers (RFC 7427 §4, §7: SHA2-256 = 2 ...)', () => {
  assert.equal(hex(encodeSignatureHashAlgorithms([2, 3, 4])), '000200030004');
  // strongSwan's notify from ../shared/lab/captures/ikev2-natt.pcap: 00:02:00:03:00:04:00:05
  assert.deepEqual(parseSignatureHashAlgorithms(Buffer.from('0002000300040005', 'hex')), [2, 3, 4, 5]);
  assert.deepEqual(parseSignatureHashAlgorithms(new Uint8Array([0, 2, 0])), [2], 'a trailing odd octet is ignored');
});
