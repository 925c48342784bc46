#!/usr/bin/env python3
"""Cisco "enc_GroupPwd" obfuscation written from the public description (python3-cryptography),
each result checked with vpnc's own `cisco-decrypt` (Debian package vpnc). Prints the literals
src/crypto/cisco-obfuscation.test.ts uses."""
import hashlib, subprocess
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

def obfuscate(text: str, h1: bytes) -> str:
    ht = bytearray(h1); ht[19] = (ht[19] + 1) & 0xff; h2 = hashlib.sha1(ht).digest()
    ht[19] = (ht[19] + 2) & 0xff; h3 = hashlib.sha1(ht).digest()
    p = text.encode(); pad = 8 - len(p) % 8; p += bytes([pad]) * pad
    e = Cipher(TripleDES(h2 + h3[:4]), modes.CBC(h1[:8])).encryptor()
    data = e.update(p) + e.finalize()
    return (h1 + hashlib.sha1(data).digest() + data).hex().upper()

for text, seed in [("labgroup-secret", b"a"), ("p@ss w0rd!", b"b"), ("12345678", b"c")]:
    o = obfuscate(text, hashlib.sha1(seed).digest())
    back = subprocess.run(["cisco-decrypt", o], capture_output=True, text=True, check=True).stdout.strip()
    assert back == text, (text, back)
    print(f"['{text}', '{o}'],")
