import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CryptoError } from '../../util/errors.js';
import { parseCertificate } from './x509-chain.js';
import { checkRevocation, crlIssuedBy, parseCrl } from './x509-crl.js';

// test/vectors/gen/x509-crl.py: CAs, certificates and CRLs made by python3-cryptography.
const V = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/x509-crl.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const enc = (s: string | undefined): Uint8Array => new TextEncoder().encode(s ?? '');
const cert = (k: string) => parseCertificate(enc(V[k]));
const crl = (k: string) => parseCrl(enc(V[k]));
const NOW = Date.parse('2026-01-20T00:00:00Z');

test('parseCrl: issuer, thisUpdate/nextUpdate and revoked serials as python3-cryptography wrote them', () => {
  const c = crl('rsaCrl');
  assert.equal(c.thisUpdate, Date.parse(V.thisUpdate ?? ''));
  assert.equal(c.nextUpdate, Date.parse(V.nextUpdate ?? ''));
  assert.deepEqual([...c.revoked].sort(), [V.badSerial, '63'].sort());
  assert.equal(c.signatureOid, '1.2.840.113549.1.1.11');
  assert.deepEqual(Buffer.from(c.issuerDer), Buffer.from(cert('rsaCa').subjectDer));
  assert.equal(crl('ecCrl').signatureOid, '1.2.840.10045.4.3.3');
  assert.equal(crl('rsaCrlEmpty').revoked.size, 0);
});

test('crlIssuedBy: the signature must verify with the CA key (RSA and ECDSA); a CRL signed by another key does not count', () => {
  assert.equal(crlIssuedBy(crl('rsaCrl'), cert('rsaCa')), true);
  assert.equal(crlIssuedBy(crl('ecCrl'), cert('ecCa')), true);
  assert.equal(crlIssuedBy(crl('ecCrl'), cert('rsaCa')), false, 'another issuer');
  assert.equal(crlIssuedBy(crl('forgedCrl'), cert('rsaCa')), false, 'same issuer name, wrong key');
});

test('checkRevocation: revoked under every policy; no CRL or a stale one only under strict; forged CRLs ignored', () => {
  const rca = cert('rsaCa');
  const all = [crl('rsaCrl'), crl('ecCrl'), crl('forgedCrl')];
  const bad = checkRevocation([cert('bad'), rca], all, NOW, 'relaxed');
  assert.deepEqual(bad, { ok: false, reason: `certificate 'CN=bad.esprit.test' is revoked (serial ${V.badSerial})` });
  assert.deepEqual(checkRevocation([cert('ecBad'), cert('ecCa')], all, NOW, 'relaxed'), {
    ok: false,
    reason: "certificate 'CN=ecbad.esprit.test' is revoked (serial 4D)",
  });
  // the forged CRL lists good's serial 0x1234: it is not the CA's, so good stays good
  assert.deepEqual(checkRevocation([cert('good'), rca], all, NOW, 'strict'), { ok: true, checked: 1 });
  assert.deepEqual(checkRevocation([cert('good'), rca], [], NOW, 'relaxed'), { ok: true, checked: 0 });
  assert.equal(checkRevocation([cert('good'), rca], [], NOW, 'strict').ok, false);
  const later = Date.parse('2026-03-01T00:00:00Z');
  assert.deepEqual(checkRevocation([cert('good'), rca], [crl('rsaCrlEmpty')], later, 'strict'), {
    ok: false,
    reason: "the CRL for 'CN=good.esprit.test' is past its nextUpdate (revocation = strict)",
  });
  assert.equal(checkRevocation([cert('good'), rca], [crl('rsaCrlEmpty')], later, 'relaxed').ok, true);
});

test('parseCrl: malformed input is a CryptoError naming the field, never another exception', () => {
  const der = new Uint8Array(
    Buffer.from((V.rsaCrl ?? '').replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64'),
  );
  assert.throws(() => parseCrl(der.subarray(0, 40)), /CRL .*(truncated|overruns)/);
  assert.throws(() => parseCrl(new Uint8Array([0x02, 0x01, 0x00])), /CRL CertificateList: not a SEQUENCE/);
  for (let i = 0; i < 2000; i++) {
    const m = der.slice();
    const at = (i * 7919) % m.length;
    m[at] = (m[at] as number) ^ (1 << (i % 8));
    try {
      parseCrl(m);
    } catch (e) {
      assert.ok(e instanceof CryptoError, String(e));
    }
  }
});
