#!/usr/bin/python3
# Test certificates and values for src/crypto/ike/x509-chain.test.ts, made with
# python3-cryptography (an implementation independent of esprit): a CA, a leaf it issued
# (SAN DNS gw.esprit.test), an expired leaf, a leaf of another CA, a non-CA "issuer" with a
# leaf under it; the SHA-1 of the CA's SubjectPublicKeyInfo (RFC 7296 §3.7 CERTREQ); and a
# ECDSA-with-SHA256 signature by the leaf key over fixed octets (RFC 7427 method 14 body).
# Writes JSON to stdout. Run: /usr/bin/python3 test/vectors/gen/x509-chain.py
import datetime, hashlib, json
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

now = datetime.datetime.now(datetime.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, 'CH'), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(subject, key, issuer, ikey, ca, days_from=-1, days_to=30, san=None):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer)).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now + datetime.timedelta(days=days_from))
         .not_valid_after(now + datetime.timedelta(days=days_to))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san: b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return b.sign(ikey, hashes.SHA256())
pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
ca_key, other_key, leaf_key, mid_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
ca = cert('esprit test CA', ca_key, 'esprit test CA', ca_key, True, days_to=60)
other = cert('other CA', other_key, 'other CA', other_key, True, days_to=60)
leaf = cert('gw.esprit.test', leaf_key, 'esprit test CA', ca_key, False, san='gw.esprit.test')
expired = cert('gw.esprit.test', leaf_key, 'esprit test CA', ca_key, False, days_from=-20, days_to=-10, san='gw.esprit.test')
stranger = cert('gw.esprit.test', leaf_key, 'other CA', other_key, False, san='gw.esprit.test')
notca = cert('not a CA', mid_key, 'esprit test CA', ca_key, False)
under_notca = cert('gw.esprit.test', leaf_key, 'not a CA', mid_key, False, san='gw.esprit.test')
octets = b'signed octets of an IKE_AUTH message'
sig = leaf_key.sign(octets, ec.ECDSA(hashes.SHA256()))
spki = ca.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
print(json.dumps(dict(ca=pem(ca), other=pem(other), leaf=pem(leaf), expired=pem(expired), stranger=pem(stranger),
                      notca=pem(notca), underNotca=pem(under_notca), caSpkiSha1=hashlib.sha1(spki).hexdigest(),
                      octets=octets.hex(), ecdsaSha256Der=sig.hex())))
