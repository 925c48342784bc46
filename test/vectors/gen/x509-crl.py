#!/usr/bin/env python3
"""CAs, certificates and CRLs (RFC 5280 §5) made with python3-cryptography for
src/crypto/ike/x509-crl.test.ts: writes test/vectors/x509-crl.json."""
import datetime, json, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def pem(c): return c.public_bytes(serialization.Encoding.PEM).decode()

def ca(cn, key, h):
    return (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
        .public_key(key.public_key()).serial_number(1).not_valid_before(T0)
        .not_valid_after(T0 + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, h))

def leaf(cn, serial, issuer, ikey, h):
    k = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer.subject)
        .public_key(k.public_key()).serial_number(serial).not_valid_before(T0)
        .not_valid_after(T0 + datetime.timedelta(days=365)).sign(ikey, h))

def crl(issuer, ikey, h, revoked, this, nxt):
    b = x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(this).next_update(nxt)
    for s in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(s)
            .revocation_date(this).build())
    c = b.sign(ikey, h)
    return c.public_bytes(serialization.Encoding.PEM).decode()

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP384R1())
other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rca = ca('esprit test RSA CA', rsa_key, hashes.SHA256())
eca = ca('esprit test ECDSA CA', ec_key, hashes.SHA384())
# serials with a high bit (a leading 00 octet in DER) and a long one
good = leaf('good.esprit.test', 0x1234, rca, rsa_key, hashes.SHA256())
bad = leaf('bad.esprit.test', 0x00f0e1d2c3b4a5968778, rca, rsa_key, hashes.SHA256())
ebad = leaf('ecbad.esprit.test', 77, eca, ec_key, hashes.SHA384())
out = {
  'rsaCa': pem(rca), 'ecCa': pem(eca), 'good': pem(good), 'bad': pem(bad), 'ecBad': pem(ebad),
  'badSerial': format(0x00f0e1d2c3b4a5968778, 'X'),
  'rsaCrl': crl(rca, rsa_key, hashes.SHA256(), [0x00f0e1d2c3b4a5968778, 99], T0 + datetime.timedelta(days=10), T0 + datetime.timedelta(days=40)),
  'rsaCrlEmpty': crl(rca, rsa_key, hashes.SHA256(), [], T0 + datetime.timedelta(days=10), T0 + datetime.timedelta(days=40)),
  'ecCrl': crl(eca, ec_key, hashes.SHA384(), [77], T0 + datetime.timedelta(days=10), T0 + datetime.timedelta(days=40)),
  'forgedCrl': crl(rca, other, hashes.SHA256(), [0x1234], T0 + datetime.timedelta(days=10), T0 + datetime.timedelta(days=40)),
  'thisUpdate': '2026-01-11T00:00:00.000Z', 'nextUpdate': '2026-02-10T00:00:00.000Z',
}
path = os.path.join(os.path.dirname(__file__), '..', 'x509-crl.json')
with open(path, 'w') as f: json.dump(out, f, indent=1)
print(path)
