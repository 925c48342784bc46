/**
 * A root CA -> intermediate CA -> end-entity chain made at test time by python3's
 * `cryptography` (an independent X.509 implementation), RSA keys of `bits`, for the
 * in-process exchange tests: two end entities, gw.esprit.test and client.esprit.test, each
 * with its name as CN and DNS subjectAltName. Valid from 1970-01-01: the engines check validity
 * at their clock's time, and the tests' FakeClock starts there.
 */
import { spawnSync } from 'node:child_process';
import type { PrivateKey } from '../../src/crypto/ike/signature-auth.js';
import { loadPrivateKey } from '../../src/crypto/ike/signature-auth.js';
import { type Cert, parseCertificate } from '../../src/crypto/ike/x509-chain.js';

const SCRIPT = `
import datetime, json, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

bits = int(sys.argv[1])
now = datetime.datetime.now(datetime.timezone.utc)
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "esprit"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(subject, key, issuer, issuer_key, ca, san=None):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)
def pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
root, inter, gw, client = key(), key(), key(), key()
out = {
  "root": cert("esprit test root CA", root, "esprit test root CA", root, True),
  "intermediate": cert("esprit test intermediate CA", inter, "esprit test root CA", root, True),
  "gw": cert("gw.esprit.test", gw, "esprit test intermediate CA", inter, False, "gw.esprit.test"),
  "client": cert("client.esprit.test", client, "esprit test intermediate CA", inter, False, "client.esprit.test"),
  "gwKey": pem(gw), "clientKey": pem(client),
}
print(json.dumps(out))
`;

export interface TestChain {
  root: Cert;
  intermediate: Cert;
  gw: Cert;
  client: Cert;
  gwKey: PrivateKey;
  clientKey: PrivateKey;
}

export function makeChain(bits: number): TestChain {
  const r = spawnSync('python3', ['-c', SCRIPT, String(bits)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python3 cryptography chain: ${r.stderr || r.error?.message}`);
  const o = JSON.parse(r.stdout) as Record<string, string>;
  const c = (k: string): Cert => parseCertificate(new TextEncoder().encode(o[k] ?? ''));
  const k = (n: string): PrivateKey => loadPrivateKey(new TextEncoder().encode(o[n] ?? ''));
  return {
    root: c('root'),
    intermediate: c('intermediate'),
    gw: c('gw'),
    client: c('client'),
    gwKey: k('gwKey'),
    clientKey: k('clientKey'),
  };
}
