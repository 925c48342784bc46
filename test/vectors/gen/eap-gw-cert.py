#!/usr/bin/python3
# A CA and an RSA gateway certificate (SAN DNS gw.esprit.test) for test/exchange/ikev2-eap.test.ts,
# made with python3-cryptography. Valid from 1970-01-01 (the exchange tests' FakeClock starts
# at 1 000 000 ms) for 30 days from now. Writes JSON {ca, gw, gwKey} (PEM) to stdout.
import datetime, json
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

start = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, 'CH'), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
gw_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
def cert(subject, key, issuer, ikey, ca, san=None):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer)).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san: b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return b.sign(ikey, hashes.SHA256())
pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
ca = cert('esprit EAP test CA', ca_key, 'esprit EAP test CA', ca_key, True)
gw = cert('gw.esprit.test', gw_key, 'esprit EAP test CA', ca_key, False, san='gw.esprit.test')
key = gw_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
print(json.dumps(dict(ca=pem(ca), gw=pem(gw), gwKey=key)))
