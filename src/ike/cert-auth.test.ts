/**
 * certContainsIdentity: a DN identity typed in the configuration (encoded by esprit with
 * UTF8String values for O= and CN=) names a certificate whose subject uses PrintableString for
 * every attribute, as strongSwan's `pki --dn` writes them (seen with `openssl asn1parse` on a
 * pki-made certificate); the certificate here is made by python3's `cryptography` with those
 * string types. Other DNs, and FQDNs not in the subjectAltName, do not match.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseCertificate } from '../crypto/ike/x509-chain.js';
import { toHex } from '../util/hex.js';
import { certContainsIdentity } from './cert-auth.js';
import { parseIdentity } from './identity.js';

const SCRIPT = `
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
P = _ASN1Type.PrintableString
k = ec.generate_private_key(ec.SECP256R1())
n = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "esprit", _type=P), x509.NameAttribute(NameOID.COMMON_NAME, "client.esprit.test", _type=P)])
c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key()).serial_number(1)
     .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(datetime.datetime(2040, 1, 1))
     .add_extension(x509.SubjectAlternativeName([x509.DNSName("client.esprit.test")]), critical=False)
     .sign(k, hashes.SHA256()))
print(c.public_bytes(serialization.Encoding.PEM).decode())
`;

test('a configured DN matches the certificate subject by attributes, whatever the string types', () => {
  const r = spawnSync('python3', ['-c', SCRIPT], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const cert = parseCertificate(new TextEncoder().encode(r.stdout));
  const id = parseIdentity('C=CH, O=esprit, CN=client.esprit.test');
  // the encodings differ: O= and CN= are PrintableString (0x13) in the certificate, UTF8String (0x0c) in ours
  assert.notEqual(toHex(cert.subjectDer), toHex(id.data));
  assert.match(toHex(cert.subjectDer), /0603550403131263/);
  assert.match(toHex(id.data), /06035504030c1263/);
  assert.equal(certContainsIdentity(cert, id), true);
  assert.equal(certContainsIdentity(cert, parseIdentity('C=CH, O=esprit, CN=other.esprit.test')), false);
  assert.equal(certContainsIdentity(cert, parseIdentity('O=esprit, CN=client.esprit.test')), false);
  assert.equal(certContainsIdentity(cert, parseIdentity('client.esprit.test')), true);
  assert.equal(certContainsIdentity(cert, parseIdentity('gw.esprit.test')), false);
});
