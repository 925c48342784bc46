#!/usr/bin/python3
# Verifies signatures made by esprit (src/crypto/ike/signature-auth.ts) with
# python3-cryptography, an independent implementation. Input on stdin, JSON:
#   {"cases": [{"pubPem": ..., "kind": "rsa-pkcs1-sha1" | "rsa-pkcs1-sha256" | "ecdsa-der-sha256"
#                | "ecdsa-p1363-sha256", "octets": hex, "sig": hex}, ...]}
# Prints a JSON list of booleans.
import json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

out = []
for c in json.load(sys.stdin)['cases']:
    key = serialization.load_pem_public_key(c['pubPem'].encode())
    octets, sig = bytes.fromhex(c['octets']), bytes.fromhex(c['sig'])
    try:
        k = c['kind']
        if k.startswith('rsa'):
            key.verify(sig, octets, padding.PKCS1v15(), hashes.SHA1() if k.endswith('sha1') else hashes.SHA256())
        elif k == 'ecdsa-der-sha256':
            key.verify(sig, octets, ec.ECDSA(hashes.SHA256()))
        else:  # r | s, RFC 4754
            n = len(sig) // 2
            der = utils.encode_dss_signature(int.from_bytes(sig[:n], 'big'), int.from_bytes(sig[n:], 'big'))
            key.verify(der, octets, ec.ECDSA(hashes.SHA256()))
        out.append(True)
    except InvalidSignature:
        out.append(False)
print(json.dumps(out))
