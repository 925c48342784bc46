/**
 * Certificate chains, CERTREQ hashes and signature verification against certificates and a
 * signature made at test time by python3-cryptography (test/vectors/gen/x509-chain.py), an
 * implementation independent of esprit. The CERTREQ value is Python's SHA-1 of the CA's
 * SubjectPublicKeyInfo DER (RFC 7296 §3.7).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { verifyAuth } from './signature-auth.js';
import { caKeyHash, certMatchesIdentity, certPublicKey, parseCertificate, verifyChain } from './x509-chain.js';

const script = new URL('../../../../test/vectors/gen/x509-chain.py', import.meta.url).pathname;
const v = JSON.parse(execFileSync('python3', [script], { encoding: 'utf8' })) as Record<string, string>;
const c = (k: string) => parseCertificate(new TextEncoder().encode(v[k] ?? ''));
const now = Date.now();
const enc = new TextEncoder();

test('a leaf issued by the trusted CA verifies; the chain ends at the CA', () => {
  const r = verifyChain(c('leaf'), [], [c('ca')], now);
  assert.equal(r.ok, true);
  if (r.ok) assert.equal(r.chain.length, 2);
});

test('refused: expired, issued by another CA, issued by a non-CA', () => {
  const expired = verifyChain(c('expired'), [], [c('ca')], now);
  assert.ok(!expired.ok && /not valid now/.test(expired.reason));
  const stranger = verifyChain(c('stranger'), [], [c('ca')], now);
  assert.ok(!stranger.ok && /no trusted issuer/.test(stranger.reason));
  const viaNotCa = verifyChain(c('underNotca'), [c('notca')], [c('ca')], now);
  assert.ok(!viaNotCa.ok && /is not a CA/.test(viaNotCa.reason));
});

test('CERTREQ value: SHA-1 of the CA SubjectPublicKeyInfo, as Python computes it', () => {
  assert.equal(Buffer.from(caKeyHash(c('ca'))).toString('hex'), v.caSpkiSha1);
});

test('identity: the DNS subjectAltName matches an FQDN ID, the subject DN matches a DN ID', () => {
  const leaf = c('leaf');
  assert.ok(certMatchesIdentity(leaf, 2, enc.encode('gw.esprit.test')));
  assert.ok(!certMatchesIdentity(leaf, 2, enc.encode('other.esprit.test')));
  assert.ok(certMatchesIdentity(leaf, 9, leaf.subjectDer));
  assert.ok(!certMatchesIdentity(leaf, 9, c('ca').subjectDer));
});

test('RFC 7427 method 14: a Python ECDSA-with-SHA256 signature verifies, a changed octet does not', () => {
  const alg = Buffer.from('300a06082a8648ce3d040302', 'hex'); // ecdsa-with-SHA256 (RFC 7427 Appendix A)
  const data = new Uint8Array(
    Buffer.concat([Buffer.from([alg.length]), alg, Buffer.from(v.ecdsaSha256Der ?? '', 'hex')]),
  );
  const octets = new Uint8Array(Buffer.from(v.octets ?? '', 'hex'));
  const key = certPublicKey(c('leaf'));
  assert.equal(verifyAuth(14, key, octets, data), true);
  octets[0] = (octets[0] ?? 0) ^ 1;
  assert.equal(verifyAuth(14, key, octets, data), false);
  assert.equal(verifyAuth(14, key, octets, data.subarray(0, 5)), false, 'truncated: false, no throw');
});
