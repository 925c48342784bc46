#!/usr/bin/python3
# Generates test/vectors/esp-cbc-null-scapy.json: ESP packets built by scapy 2.5.0
# (secdev/scapy scapy/layers/ipsec.py SecurityAssociation.encrypt), an implementation
# independent of esprit. Run: /usr/bin/python3 test/vectors/gen/esp-scapy.py
import json
from scapy.layers.ipsec import SecurityAssociation, ESP
from scapy.layers.inet import IP, ICMP, UDP
from scapy.packet import Raw

AUTH = {'hmac-sha1-96': ('HMAC-SHA1-96', 20), 'hmac-sha256-128': ('SHA2-256-128', 32),
        'hmac-sha384-192': ('SHA2-384-192', 48), 'hmac-sha512-256': ('SHA2-512-256', 64),
        'hmac-md5-96': ('HMAC-MD5-96', 16)}
CRYPT = {'aes-cbc': 'AES-CBC', '3des-cbc': '3DES', 'null': 'NULL'}

def key(n, base):
    return bytes((base + i) & 0xff for i in range(n))

# No ESN cases: scapy 2.5.0 leaves Seq-hi out of the ESP ICV with a separate integrity
# algorithm (AuthAlgo.sign() appends it only for AH), contrary to RFC 4303 §2.2.1;
# ESN with HMAC is covered by the node:crypto construction in src/esp/esp-sa.test.ts.
cases = [
    # name, encr, key len, integ, spi, seq (64-bit), esn, inner payload bytes
    ('aes128-cbc hmac-sha1-96', 'aes-cbc', 16, 'hmac-sha1-96', 0x0000a001, 1, False, 0),
    ('aes256-cbc hmac-sha256-128', 'aes-cbc', 32, 'hmac-sha256-128', 0x0000a002, 0x12345678, False, 13),
    ('aes192-cbc hmac-sha512-256', 'aes-cbc', 24, 'hmac-sha512-256', 0x0000a003, 5, False, 100),
    ('aes128-cbc hmac-sha384-192 no padding', 'aes-cbc', 16, 'hmac-sha384-192', 0x0000a004, 42, False, 18),
    ('3des-cbc hmac-md5-96', '3des-cbc', 24, 'hmac-md5-96', 0x0000a005, 7, False, 21),
    ('3des-cbc hmac-sha1-96', '3des-cbc', 24, 'hmac-sha1-96', 0x0000a006, 0xffffffff, False, 3),
    ('null hmac-sha256-128', 'null', 0, 'hmac-sha256-128', 0x0000a007, 1, False, 8),
    ('null hmac-sha1-96', 'null', 0, 'hmac-sha1-96', 0x0000a008, 9, False, 31),
]
vectors = []
for i, (name, encr, klen, integ, spi, seq, esn, plen) in enumerate(cases):
    ck = key(klen, 0x10 * (i + 1))
    aname, alen = AUTH[integ]
    ak = key(alen, 0x80 + i)
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo=CRYPT[encr], crypt_key=ck if klen else None,
                             auth_algo=aname, auth_key=ak,
                             tunnel_header=IP(src='192.0.2.1', dst='198.51.100.1'),
                             esn_en=esn, esn=seq >> 32)
    inner = IP(src='10.1.0.1', dst='10.2.0.1', id=i) / UDP(sport=1000 + i, dport=2000) / Raw(bytes(range(plen)))
    ivlen = {'aes-cbc': 16, '3des-cbc': 8, 'null': 0}[encr]
    iv = key(ivlen, 0xa0 + i) if ivlen else None
    e = sa.encrypt(inner, seq_num=seq & 0xffffffff, iv=iv)
    pkt = bytes(e[ESP])
    vectors.append({
        'name': name, 'source': 'scapy 2.5.0 SecurityAssociation(ESP).encrypt, tunnel mode (test/vectors/gen/esp-scapy.py)',
        'encryption': encr, 'encryptionKey': ck.hex(), 'integrity': integ, 'integrityKey': ak.hex(),
        'spi': f'{spi:08x}', 'seq': f'{seq:016x}', 'esn': esn, 'iv': (iv or b'').hex(),
        'nextHeader': 4, 'payload': bytes(inner).hex(), 'packet': pkt.hex(),
    })
json.dump({'source': 'scapy 2.5.0 (secdev/scapy scapy/layers/ipsec.py); generator test/vectors/gen/esp-scapy.py',
           'vectors': vectors}, open('test/vectors/esp-cbc-null-scapy.json', 'w'), indent=2)
print(len(vectors))
